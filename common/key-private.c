/*
 * key-private.c: private keys in the OpenSSH "openssh-key-v1" format
 * (PROTOCOL.key), unencrypted, so `ssh-keygen -y` reads what we write and
 * we read what `ssh-keygen -N ''` writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/param_build.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

#define MAGIC		"openssh-key-v1"	/* followed by its NUL */
#define PEM_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----"
#define PEM_END		"-----END OPENSSH PRIVATE KEY-----"
#define PEM_WIDTH	70
#define BLOCK_SIZE	8	/* cipher "none" */
#define PRIVATE_MAX	(64 * 1024)

/* OSSL_PARAM_clear_free() is OpenSSL 3.2; wipe by hand for 3.0. */
void
jkey_params_clear_free(OSSL_PARAM *params)
{
	OSSL_PARAM *p;

	for (p = params; p != NULL && p->key != NULL; p++)
		if (p->data != NULL)
			OPENSSL_cleanse(p->data, p->data_size);
	OSSL_PARAM_free(params);
}

int
jkey_put_private_fields(const struct jkey *k, struct jbuf *b)
{
	if (k == NULL || b == NULL || !k->priv)
		return JIT_ERR_INVALID_ARGUMENT;
	if (k->ext_sign != NULL)	/* held by a token: not ours to write */
		return JIT_ERR_KEY_INVALID;
	return jkey_info(k->type)->ops->put_private(k, b);
}

int
jkey_private_serialize(const struct jkey *k, const char *comment,
    struct jbuf *out)
{
	struct jbuf *outer = NULL, *inner = NULL, *pub = NULL, *pem = NULL;
	uint32_t check;
	char *b64 = NULL;
	size_t i, len;
	int r = JIT_ERR_INTERNAL;

	if (k == NULL || out == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (!k->priv)
		return JIT_ERR_KEY_INVALID;
	if ((outer = jbuf_new()) == NULL || (inner = jbuf_new()) == NULL ||
	    (pub = jbuf_new()) == NULL || (pem = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jit_random(&check, sizeof(check))) != 0)
		goto out;
	if ((r = jkey_put_public(k, pub)) != 0 ||
	    (r = jbuf_put_u32(inner, check)) != 0 ||
	    (r = jbuf_put_u32(inner, check)) != 0 ||
	    (r = jbuf_put_cstring(inner, jkey_type_name(k->type))) != 0 ||
	    (r = jkey_put_private_fields(k, inner)) != 0 ||
	    (r = jbuf_put_cstring(inner, comment != NULL ? comment : "")) != 0)
		goto out;
	for (i = 1; jbuf_len(inner) % BLOCK_SIZE != 0; i++)
		if ((r = jbuf_put_u8(inner, (uint8_t)i)) != 0)
			goto out;
	if ((r = jbuf_put(outer, MAGIC, sizeof(MAGIC))) != 0 ||
	    (r = jbuf_put_cstring(outer, "none")) != 0 ||
	    (r = jbuf_put_cstring(outer, "none")) != 0 ||
	    (r = jbuf_put_string(outer, NULL, 0)) != 0 ||
	    (r = jbuf_put_u32(outer, 1)) != 0 ||
	    (r = jbuf_put_stringb(outer, pub)) != 0 ||
	    (r = jbuf_put_stringb(outer, inner)) != 0)
		goto out;
	if ((r = jbuf_dtob64(outer, &b64)) != 0)
		goto out;
	if ((r = jbuf_put(pem, PEM_BEGIN "\n", strlen(PEM_BEGIN) + 1)) != 0)
		goto out;
	len = strlen(b64);
	for (i = 0; i < len; i += PEM_WIDTH) {
		if ((r = jbuf_put(pem, b64 + i,
		    len - i < PEM_WIDTH ? len - i : PEM_WIDTH)) != 0 ||
		    (r = jbuf_put_u8(pem, '\n')) != 0)
			goto out;
	}
	if ((r = jbuf_put(pem, PEM_END "\n", strlen(PEM_END) + 1)) != 0 ||
	    (r = jbuf_putb(out, pem)) != 0)
		goto out;
	r = 0;
 out:
	jit_free_string(b64);
	jbuf_free(outer);
	jbuf_free(inner);
	jbuf_free(pub);
	jbuf_free(pem);
	return r;
}

/* Strips the PEM armour and decodes the base64 body into out. */
static int
pem_decode(const unsigned char *text, size_t len, struct jbuf *out)
{
	const char *s = (const char *)text, *body, *end;
	size_t blen = strlen(PEM_BEGIN), elen = strlen(PEM_END);

	if (len < blen || memcmp(s, PEM_BEGIN, blen) != 0)
		return JIT_ERR_INVALID_FORMAT;
	body = s + blen;
	if ((size_t)(body - s) < len && *body == '\r')
		body++;
	if ((size_t)(body - s) >= len || *body != '\n')
		return JIT_ERR_INVALID_FORMAT;
	body++;
	/* The end marker, then at most blank line endings. */
	end = s + len;
	while (end > body && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if ((size_t)(end - body) < elen ||
	    memcmp(end - elen, PEM_END, elen) != 0)
		return JIT_ERR_INVALID_FORMAT;
	end -= elen;
	if (memchr(body, '\0', (size_t)(end - body)) != NULL)
		return JIT_ERR_EMBEDDED_NUL;
	return jbuf_b64tod(out, body, (size_t)(end - body), 1);
}

int
jkey_private_parse(const unsigned char *text, size_t len, struct jkey **keyp,
    char **commentp)
{
	struct jbuf *raw = NULL, *inner = NULL;
	const unsigned char *cipher, *kdf, *pubblob, *name;
	size_t cipher_len, kdf_len, pub_len, name_len, i;
	uint32_t nkeys, check1, check2;
	uint8_t pad;
	enum jkey_type type;
	EVP_PKEY *pkey = NULL;
	struct jkey *k = NULL, *pub = NULL;
	char *comment = NULL;
	int r = JIT_ERR_INTERNAL;

	if (keyp == NULL || (text == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (commentp != NULL)
		*commentp = NULL;
	if (len > PRIVATE_MAX)
		return JIT_ERR_FILE_TOO_LARGE;
	if ((raw = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = pem_decode(text, len, raw)) != 0)
		goto out;
	if (jbuf_len(raw) < sizeof(MAGIC) ||
	    memcmp(jbuf_ptr(raw), MAGIC, sizeof(MAGIC)) != 0) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = jbuf_consume(raw, sizeof(MAGIC))) != 0 ||
	    (r = jbuf_get_string_direct(raw, &cipher, &cipher_len)) != 0 ||
	    (r = jbuf_get_string_direct(raw, &kdf, &kdf_len)) != 0 ||
	    (r = jbuf_get_string_direct(raw, NULL, NULL)) != 0 ||
	    (r = jbuf_get_u32(raw, &nkeys)) != 0)
		goto out;
	if (cipher_len != 4 || memcmp(cipher, "none", 4) != 0 ||
	    kdf_len != 4 || memcmp(kdf, "none", 4) != 0) {
		r = JIT_ERR_KEY_ENCRYPTED;
		goto out;
	}
	if (nkeys != 1) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = jbuf_get_string_direct(raw, &pubblob, &pub_len)) != 0 ||
	    (r = jkey_from_blob(pubblob, pub_len, &pub)) != 0 ||
	    (r = jbuf_froms(raw, &inner)) != 0 ||
	    (r = jbuf_expect_end(raw)) != 0)
		goto out;
	if (jbuf_len(inner) % BLOCK_SIZE != 0) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = jbuf_get_u32(inner, &check1)) != 0 ||
	    (r = jbuf_get_u32(inner, &check2)) != 0)
		goto out;
	if (check1 != check2) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = jbuf_get_string_direct(inner, &name, &name_len)) != 0)
		goto out;
	type = jkey_type_from_name((const char *)name, name_len);
	if (type == JKEY_UNSPEC) {
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if (type != jkey_type(pub)) {
		r = JIT_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	if ((r = jkey_info(type)->ops->get_private(jkey_info(type), inner,
	    &pkey)) != 0)
		goto out;
	r = jkey_wrap(type, pkey, 1, NULL, 0, &k);
	pkey = NULL;	/* jkey_wrap's, whatever it answered */
	if (r != 0)
		goto out;
	if (!jkey_equal_public(k, pub)) {
		r = JIT_ERR_KEY_INVALID;
		goto out;
	}
	if ((r = jbuf_get_cstring(inner, &comment, NULL)) != 0)
		goto out;
	/* Padding is 1, 2, 3, ... up to the block size, nothing else. */
	for (i = 1; jbuf_len(inner) > 0; i++) {
		if ((r = jbuf_get_u8(inner, &pad)) != 0)
			goto out;
		if (pad != (uint8_t)i || i >= BLOCK_SIZE) {
			r = JIT_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	*keyp = k;
	k = NULL;
	if (commentp != NULL) {
		*commentp = comment;
		comment = NULL;
	}
	r = 0;
 out:
	free(comment);
	EVP_PKEY_free(pkey);
	jkey_free(k);
	jkey_free(pub);
	jbuf_free(inner);
	jbuf_free(raw);
	return r;
}

int
jkey_save_private(const struct jkey *k, const char *comment, const char *path)
{
	struct jbuf *b = NULL;
	char *line = NULL, *pubpath = NULL;
	int r = JIT_ERR_INTERNAL, wrote = 0;

	if (k == NULL || path == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (asprintf(&pubpath, "%s.pub", path) == -1) {
		pubpath = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jkey_private_serialize(k, comment, b)) != 0 ||
	    (r = jkey_format_line(k, comment, &line)) != 0)
		goto out;
	if ((r = jit_file_write(path, jbuf_ptr(b), jbuf_len(b), 0600, 0)) != 0)
		goto out;
	wrote = 1;
	jbuf_reset(b);
	if ((r = jbuf_put(b, line, strlen(line))) != 0 ||
	    (r = jbuf_put_u8(b, '\n')) != 0 ||
	    (r = jit_file_write(pubpath, jbuf_ptr(b), jbuf_len(b), 0644, 0)) != 0)
		goto out;
	wrote = 0;
	r = 0;
 out:
	if (wrote)
		(void)unlink(path);	/* never leave half a key pair */
	free(line);
	free(pubpath);
	jbuf_free(b);
	return r;
}

int
jkey_load_private(const char *path, struct jkey **keyp, char **commentp)
{
	struct jbuf *b = NULL;
	int r;

	if (keyp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((r = jit_file_read(path, PRIVATE_MAX, JIT_FILE_PRIVATE, &b)) != 0)
		return r;
	r = jkey_private_parse(jbuf_ptr(b), jbuf_len(b), keyp, commentp);
	jbuf_free(b);
	return r;
}
