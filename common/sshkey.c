/* sshkey.c: see jsshkey.h. */
#include <stdio.h>
#include <stdlib.h>

#include "jit-err.h"
#include "jkey.h"
#include "jsshkey.h"

int
jkey_from_ssh(ssh_key k, struct jkey **out)
{
	char *b64 = NULL, *line = NULL;
	const char *type = ssh_key_type_to_char(ssh_key_type(k));
	int r = JIT_ERR_KEY_INVALID;

	*out = NULL;
	if (type == NULL || ssh_pki_export_pubkey_base64(k, &b64) != SSH_OK)
		goto out;
	if (asprintf(&line, "%s %s", type, b64) == -1) {
		line = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	r = jkey_parse_line(line, out, NULL);
 out:
	free(line);
	ssh_string_free_char(b64);
	return r;
}
