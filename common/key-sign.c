/* key-sign.c: SSH signatures (Ed25519, ECDSA, RSA/SHA-2) over EVP. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

int
jkey_sign_prepare(struct jkey *k)
{
	const struct jkey_info *ki = jkey_info(k->type);
	const EVP_MD *md = ki->md != NULL ? ki->md() : NULL;

	if ((k->sign_tmpl = EVP_MD_CTX_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (EVP_DigestSignInit(k->sign_tmpl, NULL, md, NULL, k->pkey) != 1) {
		EVP_MD_CTX_free(k->sign_tmpl);
		k->sign_tmpl = NULL;
		return JIT_ERR_LIBCRYPTO;
	}
	return 0;
}

void
jkey_sign_release(struct jkey *k)
{
	EVP_MD_CTX_free(k->sign_tmpl);
	k->sign_tmpl = NULL;
}

/*
 * One-shot EVP signature with a copy of the key's prepared context (the
 * template itself is never used, so concurrent signers do not share state).
 * raw is a new allocation of *raw_len bytes.
 */
static int
evp_sign(const struct jkey *k, const unsigned char *data, size_t len,
    unsigned char **rawp, size_t *raw_lenp)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *raw = NULL;
	size_t raw_len;
	int r = JIT_ERR_LIBCRYPTO, max;

	*rawp = NULL;
	*raw_lenp = 0;
	if ((max = EVP_PKEY_get_size(k->pkey)) <= 0)
		goto out;
	raw_len = (size_t)max;
	if ((ctx = EVP_MD_CTX_new()) == NULL || (raw = malloc(raw_len)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (EVP_MD_CTX_copy_ex(ctx, k->sign_tmpl) != 1 ||
	    EVP_DigestSign(ctx, raw, &raw_len, data, len) != 1)
		goto out;
	*rawp = raw;
	*raw_lenp = raw_len;
	raw = NULL;
	r = 0;
 out:
	free(raw);
	EVP_MD_CTX_free(ctx);
	return r;
}

int
jkey_evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *sig,
    size_t siglen, const unsigned char *data, size_t len)
{
	EVP_MD_CTX *ctx = NULL;
	int r = JIT_ERR_SIGNATURE_INVALID, ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) != 1) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	ok = EVP_DigestVerify(ctx, sig, siglen, data, len);
	r = ok == 1 ? 0 : JIT_ERR_SIGNATURE_INVALID;
 out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
jkey_sign(const struct jkey *k, const unsigned char *data, size_t len,
    struct jbuf *sig)
{
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	struct jbuf *blob = NULL;
	int r = JIT_ERR_INTERNAL;

	if (k == NULL || sig == NULL || (data == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	if (!k->priv || (k->sign_tmpl == NULL && k->ext_sign == NULL))
		return JIT_ERR_KEY_INVALID;
	if ((blob = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_put_cstring(blob, jkey_sig_alg(k->type))) != 0)
		goto out;
	if (k->ext_sign != NULL)
		r = k->ext_sign(k->ext_arg, data, len, &raw, &raw_len);
	else
		r = evp_sign(k, data, len, &raw, &raw_len);
	if (r != 0 ||
	    (r = jkey_info(k->type)->ops->put_sig(blob, raw, raw_len)) != 0)
		goto out;
	r = jbuf_putb(sig, blob);
 out:
	free(raw);
	jbuf_free(blob);
	return r;
}

int
jkey_verify(const struct jkey *k, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t len)
{
	struct jbuf *b = NULL;
	const unsigned char *alg, *raw;
	size_t alg_len, raw_len;
	int r = JIT_ERR_INTERNAL;

	if (k == NULL || (sig == NULL && siglen != 0) ||
	    (data == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((b = jbuf_from(sig, siglen)) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_get_string_direct(b, &alg, &alg_len)) != 0 ||
	    (r = jbuf_get_string_direct(b, &raw, &raw_len)) != 0 ||
	    (r = jbuf_expect_end(b)) != 0)
		goto out;
	r = jkey_info(k->type)->ops->verify(k, alg, alg_len, raw, raw_len, data,
	    len);
 out:
	jbuf_free(b);
	return r;
}

int
jkey_put_sig_string(struct jbuf *b, const unsigned char *raw, size_t len)
{
	return jbuf_put_string(b, raw, len);
}

int
jkey_alg_is(const unsigned char *alg, size_t alg_len, const char *name)
{
	return alg_len == strlen(name) && memcmp(alg, name, alg_len) == 0;
}
