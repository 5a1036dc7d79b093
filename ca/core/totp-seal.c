/*
 * totp-seal.c: TOTP secrets are stored sealed (AES-256-GCM) under a key
 * kept in DIR/totp.key, outside the store, so a copy of the store (a
 * backup, an mdb_dump) does not hand out everybody's second factor.  The
 * user name is bound as additional data: a sealed secret moved to another
 * user does not open.
 *
 *   sealed = nonce (12) || ciphertext (len) || tag (16)
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cadir.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "totp-seal.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define AAD_PREFIX	"jit-ssh totp v1"

int
ca_totp_key_load(const char *dir, int create, unsigned char key[CA_TOTP_KEY_LEN])
{
	char *path = ca_path(dir, CA_TOTP_KEY);
	struct jbuf *b = NULL;
	int r;

	r = jit_file_read(path, 4096, JIT_FILE_PRIVATE, &b);
	if (r == JIT_ERR_NOT_FOUND && create) {
		if ((r = jit_random(key, CA_TOTP_KEY_LEN)) == 0)
			r = jit_file_write(path, key, CA_TOTP_KEY_LEN, 0600, 0);
		if (r != 0)
			ca_error("creating %s: %s", path, jit_strerror(r));
		goto out;
	}
	if (r != 0) {
		if (r != JIT_ERR_NOT_FOUND)
			ca_error("%s: %s", path, jit_strerror(r));
		goto out;
	}
	if (jbuf_len(b) != CA_TOTP_KEY_LEN) {
		ca_error("%s: not a %d-byte key", path, CA_TOTP_KEY_LEN);
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	memcpy(key, jbuf_ptr(b), CA_TOTP_KEY_LEN);
 out:
	if (b != NULL)
		jit_wipe((void *)(uintptr_t)jbuf_ptr(b), jbuf_len(b));
	jbuf_free(b);
	free(path);
	if (r != 0)
		jit_wipe(key, CA_TOTP_KEY_LEN);
	return r;
}

/* One AES-256-GCM pass; enc 1 seals, 0 opens (and checks the tag). */
static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce,
    const char *user, const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx;
	int n, r = JIT_ERR_LIBCRYPTO;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)AAD_PREFIX,
	    (int)sizeof(AAD_PREFIX)) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)user,
	    (int)strlen(user)) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1) {
		r = enc ? JIT_ERR_LIBCRYPTO : JIT_ERR_SIGNATURE_INVALID;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
ca_totp_seal(const unsigned char key[CA_TOTP_KEY_LEN], const char *user,
    const unsigned char *secret, size_t len, unsigned char *out, size_t size,
    size_t *outlenp)
{
	int r;

	if (len == 0 || len > CA_TOTP_SECRET_MAX ||
	    size < NONCE_LEN + len + TAG_LEN)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = jit_random(out, NONCE_LEN)) != 0 ||
	    (r = gcm(1, key, out, user, secret, len, out + NONCE_LEN,
	    out + NONCE_LEN + len)) != 0) {
		jit_wipe(out, size);
		return r;
	}
	*outlenp = NONCE_LEN + len + TAG_LEN;
	return 0;
}

int
ca_totp_open(const unsigned char key[CA_TOTP_KEY_LEN], const char *user,
    const unsigned char *in, size_t inlen, unsigned char *secret, size_t size,
    size_t *lenp)
{
	unsigned char tag[TAG_LEN];
	size_t len;
	int r;

	if (inlen <= NONCE_LEN + TAG_LEN)
		return JIT_ERR_INVALID_FORMAT;
	len = inlen - NONCE_LEN - TAG_LEN;
	if (len > size || len > CA_TOTP_SECRET_MAX)
		return JIT_ERR_INVALID_FORMAT;
	memcpy(tag, in + NONCE_LEN + len, TAG_LEN);
	if ((r = gcm(0, key, in, user, in + NONCE_LEN, len, secret, tag)) != 0) {
		jit_wipe(secret, size);
		return r;
	}
	*lenp = len;
	return 0;
}
