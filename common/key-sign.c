/* key-sign.c: SSH signatures (Ed25519, ECDSA, RSA/SHA-2) over EVP. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

static const EVP_MD *
ecdsa_md(enum jkey_type type)
{
	switch (type) {
	case JKEY_ECDSA_P256:
		return EVP_sha256();
	case JKEY_ECDSA_P384:
		return EVP_sha384();
	case JKEY_ECDSA_P521:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int
jkey_sign_prepare(struct jkey *k)
{
	const EVP_MD *md = NULL;

	if (k->type == JKEY_RSA)
		md = EVP_sha512();
	else if (k->type != JKEY_ED25519)
		md = ecdsa_md(k->type);
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

static int
evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *sig,
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

/*
 * Ed25519 public keys parsed from the wire carry no EVP_PKEY (see
 * jkey_get_public_fields): make a short-lived one from the blob.  The key
 * itself is not touched, so keys shared between threads stay read-only.
 */
static int
verify_ed25519(const struct jkey *k, const unsigned char *sig,
    const unsigned char *data, size_t len)
{
	EVP_PKEY *pkey = k->pkey;
	int r;

	if (pkey == NULL && (pkey = EVP_PKEY_new_raw_public_key(
	    EVP_PKEY_ED25519, NULL, k->blob + k->fields_off + 4, 32)) == NULL)
		return JIT_ERR_KEY_INVALID;
	r = evp_verify(pkey, NULL, sig, 64, data, len);
	if (pkey != k->pkey)
		EVP_PKEY_free(pkey);
	return r;
}

/* DER ECDSA-Sig-Value -> SSH (mpint r, mpint s). */
static int
put_ecdsa_sig(struct jbuf *out, const unsigned char *der, size_t der_len)
{
	ECDSA_SIG *esig = NULL;
	const BIGNUM *sr, *ss;
	const unsigned char *p = der;
	struct jbuf *inner = NULL;
	int r;

	if ((esig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
		return JIT_ERR_LIBCRYPTO;
	ECDSA_SIG_get0(esig, &sr, &ss);
	if ((inner = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jkey_put_bn(inner, sr)) != 0 ||
	    (r = jkey_put_bn(inner, ss)) != 0 ||
	    (r = jbuf_put_stringb(out, inner)) != 0)
		goto out;
	r = 0;
 out:
	jbuf_free(inner);
	ECDSA_SIG_free(esig);
	return r;
}

/* SSH (mpint r, mpint s) -> DER ECDSA-Sig-Value, a new allocation. */
static int
get_ecdsa_sig(const unsigned char *sig, size_t siglen, unsigned char **derp,
    int *der_lenp)
{
	struct jbuf *b = NULL;
	BIGNUM *sr = NULL, *ss = NULL;
	ECDSA_SIG *esig = NULL;
	unsigned char *der = NULL;
	int r, der_len;

	*derp = NULL;
	*der_lenp = 0;
	if ((b = jbuf_from(sig, siglen)) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jkey_get_bn(b, &sr)) != 0 || (r = jkey_get_bn(b, &ss)) != 0 ||
	    (r = jbuf_expect_end(b)) != 0)
		goto out;
	if (BN_is_zero(sr) || BN_is_zero(ss)) {
		r = JIT_ERR_SIGNATURE_INVALID;
		goto out;
	}
	if ((esig = ECDSA_SIG_new()) == NULL ||
	    ECDSA_SIG_set0(esig, sr, ss) != 1) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	sr = ss = NULL;	/* owned by esig */
	if ((der_len = i2d_ECDSA_SIG(esig, &der)) <= 0) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	*derp = der;
	*der_lenp = der_len;
	r = 0;
 out:
	ECDSA_SIG_free(esig);
	BN_free(sr);
	BN_free(ss);
	jbuf_free(b);
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
	if (!k->priv || k->sign_tmpl == NULL)
		return JIT_ERR_KEY_INVALID;
	if ((blob = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_put_cstring(blob, jkey_sig_alg(k->type))) != 0)
		goto out;
	switch (k->type) {
	case JKEY_ED25519:
		if ((r = evp_sign(k, data, len, &raw, &raw_len)) != 0)
			goto out;
		r = jbuf_put_string(blob, raw, raw_len);
		break;
	case JKEY_ECDSA_P256:
	case JKEY_ECDSA_P384:
	case JKEY_ECDSA_P521:
		if ((r = evp_sign(k, data, len, &raw, &raw_len)) != 0)
			goto out;
		r = put_ecdsa_sig(blob, raw, raw_len);
		break;
	case JKEY_RSA:
		/* PKCS#1 v1.5 output is always exactly the modulus length. */
		if ((r = evp_sign(k, data, len, &raw, &raw_len)) != 0)
			goto out;
		r = jbuf_put_string(blob, raw, raw_len);
		break;
	default:
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		break;
	}
	if (r != 0)
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
	size_t alg_len, raw_len, mod_len;
	unsigned char *der = NULL, *padded = NULL;
	const EVP_MD *md = NULL;
	int r = JIT_ERR_INTERNAL, der_len = 0;

	if (k == NULL || (sig == NULL && siglen != 0) ||
	    (data == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((b = jbuf_from(sig, siglen)) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_get_string_direct(b, &alg, &alg_len)) != 0 ||
	    (r = jbuf_get_string_direct(b, &raw, &raw_len)) != 0 ||
	    (r = jbuf_expect_end(b)) != 0)
		goto out;
#define ALG_IS(s) (alg_len == strlen(s) && memcmp(alg, (s), alg_len) == 0)
	switch (k->type) {
	case JKEY_ED25519:
		if (!ALG_IS("ssh-ed25519")) {
			r = JIT_ERR_KEY_TYPE_MISMATCH;
			goto out;
		}
		if (raw_len != 64) {
			r = JIT_ERR_INVALID_FORMAT;
			goto out;
		}
		r = verify_ed25519(k, raw, data, len);
		break;
	case JKEY_ECDSA_P256:
	case JKEY_ECDSA_P384:
	case JKEY_ECDSA_P521:
		if (!ALG_IS(jkey_sig_alg(k->type))) {
			r = JIT_ERR_KEY_TYPE_MISMATCH;
			goto out;
		}
		if ((r = get_ecdsa_sig(raw, raw_len, &der, &der_len)) != 0)
			goto out;
		r = evp_verify(k->pkey, ecdsa_md(k->type), der,
		    (size_t)der_len, data, len);
		break;
	case JKEY_RSA:
		if (ALG_IS("rsa-sha2-512"))
			md = EVP_sha512();
		else if (ALG_IS("rsa-sha2-256"))
			md = EVP_sha256();
		else {
			/* "ssh-rsa" means SHA-1: refused. */
			r = JIT_ERR_KEY_TYPE_MISMATCH;
			goto out;
		}
		mod_len = (size_t)EVP_PKEY_get_size(k->pkey);
		if (raw_len == 0 || raw_len > mod_len) {
			r = JIT_ERR_INVALID_FORMAT;
			goto out;
		}
		if (raw_len < mod_len) {
			/* Some signers strip leading zeros; restore them. */
			if ((padded = calloc(1, mod_len)) == NULL) {
				r = JIT_ERR_ALLOC;
				goto out;
			}
			memcpy(padded + mod_len - raw_len, raw, raw_len);
			raw = padded;
			raw_len = mod_len;
		}
		r = evp_verify(k->pkey, md, raw, raw_len, data, len);
		break;
	default:
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		break;
	}
#undef ALG_IS
 out:
	free(padded);
	OPENSSL_free(der);
	jbuf_free(b);
	return r;
}
