/*
 * Fuzz target: the CA's JSON Lines as jit-ssh reads them (agent/jsonl.c):
 * a login's line, a request the review shows, the host CA keys of
 * ca-keys.  Beyond memory safety: what a parse gives is never NULL, and
 * the host keys are as many as it says.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *text = (const char *)data;
	struct js_login_line l;
	struct js_request_view v;
	char *lines[4];
	size_t i, n;

	if (js_login_line(text, len, &l) == 0 && (l.certificate == NULL ||
	    l.status == NULL || l.request_id == NULL || l.role == NULL))
		abort();
	js_json_free(l.json);
	if (js_request_view(text, len, &v) >= 0) {
		if (v.request_id == NULL || v.user == NULL || v.role == NULL ||
		    v.reason == NULL || v.source == NULL ||
		    v.fingerprint == NULL || v.expires == NULL ||
		    v.nprincipals > 16)
			abort();
		for (i = 0; i < v.nprincipals; i++)
			if (v.principals[i] == NULL)
				abort();
	}
	js_json_free(v.json);
	if (js_ca_keys_host(text, len, lines, 4, &n) == 0) {
		if (n < 1 || n > 4)
			abort();
		for (i = 0; i < n; i++) {
			if (lines[i] == NULL)
				abort();
			free(lines[i]);
		}
	} else if (n != 0)
		abort();
	return 0;
}
