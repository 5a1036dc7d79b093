/* sshkey.c: see jsshkey.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
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

int
jssh_import_private(const char *path, ssh_auth_callback cb, void *cbarg,
    ssh_key *keyp)
{
	struct jbuf *b = NULL;
	char *text;
	size_t len;
	int r;

	*keyp = NULL;
	if ((r = jit_file_read(path, 65536, JIT_FILE_PRIVATE, &b)) != 0)
		return r;
	len = jbuf_len(b);
	if ((text = malloc(len + 1)) == NULL) {
		jbuf_free(b);
		return JIT_ERR_ALLOC;
	}
	memcpy(text, jbuf_ptr(b), len);
	text[len] = '\0';
	jbuf_free(b);	/* wipes */
	r = ssh_pki_import_privkey_base64(text, NULL, cb, cbarg, keyp) ==
	    SSH_OK ? 0 : JIT_ERR_INVALID_FORMAT;
	jit_freezero(text, len + 1);
	return r;
}
