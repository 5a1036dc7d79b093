/* libFuzzer target: the jit-ssh client's YAML configuration reader. */
#include <stddef.h>
#include <stdint.h>

#include "jitssh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct js_config cfg = { 0 };

	(void)js_config_parse("fuzz", data, len, &cfg);
	js_config_free(&cfg);
	return 0;
}
