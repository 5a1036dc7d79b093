/* libFuzzer target: certificate parser and verifier on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jcert.h"
#include "jkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jcert *c = NULL;
	char *line = NULL, *text;
	size_t i;

	if (jcert_parse(data, len, &c) == 0) {
		(void)jcert_verify(c, NULL);
		(void)jcert_check(c, JCERT_TYPE_USER, 1700000000, "root");
		for (i = 0; i < jcert_ncritical(c); i++)
			(void)jcert_critical(c, i, NULL);
		(void)jcert_format_line(c, "fuzz", &line);
		free(line);
		jcert_free(c);
	}
	/* The same bytes as a text line. */
	if ((text = malloc(len + 1)) != NULL) {
		memcpy(text, data, len);
		text[len] = '\0';
		if (jcert_parse_line(text, &c) == 0)
			jcert_free(c);
		free(text);
	}
	return 0;
}
