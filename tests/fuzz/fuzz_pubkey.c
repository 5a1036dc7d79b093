/* libFuzzer target: public key blobs, key lines and private key files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jkey *k = NULL;
	struct jbuf *b;
	char *text, *comment = NULL, *fp = NULL;

	if (jkey_from_blob(data, len, &k) == 0) {
		/* Whatever parses must re-encode to the same bytes. */
		if ((b = jbuf_new()) != NULL) {
			if (jkey_put_public(k, b) != 0 || jbuf_len(b) != len ||
			    memcmp(jbuf_ptr(b), data, len) != 0)
				abort();
			jbuf_free(b);
		}
		(void)jkey_fingerprint(k, &fp);
		free(fp);
		jkey_free(k);
	}
	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (jkey_parse_line(text, &k, &comment) == 0)
		jkey_free(k);
	free(comment);
	comment = NULL;
	if (jkey_private_parse(data, len, &k, &comment) == 0)
		jkey_free(k);
	free(comment);
	free(text);
	return 0;
}
