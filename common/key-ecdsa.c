/*
 * key-ecdsa.c: ECDSA keys on NIST P-256, P-384 and P-521 (RFC 5656):
 * their SSH encodings, generation and signatures, as the jkey_ops table
 * that key*.c dispatches through.  Uncompressed points only, as OpenSSH
 * sends them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/param_build.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

/* The uncompressed public point of pkey into buf (ki->point_len bytes). */
static int
ec_point(const struct jkey_info *ki, EVP_PKEY *pkey, unsigned char *buf,
    size_t len)
{
	size_t got = 0;

	if (ki == NULL || ki->point_len == 0 || len < ki->point_len)
		return JIT_ERR_INVALID_ARGUMENT;
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
	    buf, len, &got) != 1)
		return JIT_ERR_LIBCRYPTO;
	if (got != ki->point_len || buf[0] != 0x04)
		return JIT_ERR_KEY_INVALID;
	return 0;
}

static int
ecdsa_generate(const struct jkey_info *ki, unsigned bits, EVP_PKEY **pkeyp)
{
	(void)bits;
	*pkeyp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ki->group);
	return *pkeyp != NULL ? 0 : JIT_ERR_LIBCRYPTO;
}

static int
ecdsa_put_public(const struct jkey_info *ki, EVP_PKEY *pkey, struct jbuf *b)
{
	unsigned char raw[256];
	int r;

	if ((r = ec_point(ki, pkey, raw, sizeof(raw))) != 0 ||
	    (r = jbuf_put_cstring(b, ki->curve)) != 0)
		return r;
	return jbuf_put_string(b, raw, ki->point_len);
}

/* Public ECDSA key from the curve name and point of a blob. */
static int
ecdsa_get_public(const struct jkey_info *ki, struct jbuf *b, EVP_PKEY **pkeyp)
{
	OSSL_PARAM params[3];
	const unsigned char *curve, *q;
	size_t curve_len, q_len;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	*pkeyp = NULL;
	if ((r = jbuf_get_string_direct(b, &curve, &curve_len)) != 0 ||
	    (r = jbuf_get_string_direct(b, &q, &q_len)) != 0)
		return r;
	if (curve_len != strlen(ki->curve) ||
	    memcmp(curve, ki->curve, curve_len) != 0)
		return JIT_ERR_KEY_TYPE_MISMATCH;
	/* Uncompressed points only, as OpenSSH sends them. */
	if (q_len != ki->point_len || q[0] != 0x04)
		return JIT_ERR_KEY_INVALID;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)(uintptr_t)ki->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)(uintptr_t)q, q_len);
	params[2] = OSSL_PARAM_construct_end();
	if ((r = jkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, params, pkeyp)) != 0)
		return r;
	/* fromdata checks the point is on the curve; also check its order. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *pkeyp, NULL)) == NULL ||
	    EVP_PKEY_public_check(ctx) != 1) {
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(*pkeyp);
		*pkeyp = NULL;
		return JIT_ERR_KEY_INVALID;
	}
	EVP_PKEY_CTX_free(ctx);
	return 0;
}

static int
ecdsa_put_private(const struct jkey *k, struct jbuf *b)
{
	const struct jkey_info *ki = jkey_info(k->type);
	BIGNUM *priv = NULL;
	int r;

	if ((r = ecdsa_put_public(ki, k->pkey, b)) != 0)
		return r;
	if ((priv = jkey_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY)) == NULL)
		return JIT_ERR_LIBCRYPTO;
	r = jkey_put_bn(b, priv);
	BN_clear_free(priv);
	return r;
}

static int
ecdsa_get_private(const struct jkey_info *ki, struct jbuf *b,
    EVP_PKEY **pkeyp)
{
	const unsigned char *curve, *q;
	size_t curve_len, q_len;
	BIGNUM *priv = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int r;

	*pkeyp = NULL;
	if ((r = jbuf_get_string_direct(b, &curve, &curve_len)) != 0 ||
	    (r = jbuf_get_string_direct(b, &q, &q_len)) != 0 ||
	    (r = jkey_get_bn(b, &priv)) != 0)
		goto out;
	if (curve_len != strlen(ki->curve) ||
	    memcmp(curve, ki->curve, curve_len) != 0) {
		r = JIT_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	if (q_len != ki->point_len || q[0] != 0x04) {
		r = JIT_ERR_KEY_INVALID;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    ki->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    q, q_len) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	r = jkey_keypair("EC", params, pkeyp);
	params = NULL;
 out:
	jkey_params_clear_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return r;
}

/* DER ECDSA-Sig-Value -> SSH (mpint r, mpint s). */
static int
ecdsa_put_sig(struct jbuf *out, const unsigned char *der, size_t der_len)
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

static int
ecdsa_verify(const struct jkey *k, const unsigned char *alg, size_t alg_len,
    const unsigned char *sig, size_t siglen, const unsigned char *data,
    size_t len)
{
	const struct jkey_info *ki = jkey_info(k->type);
	unsigned char *der = NULL;
	int r, der_len = 0;

	if (!jkey_alg_is(alg, alg_len, ki->sig_alg))
		return JIT_ERR_KEY_TYPE_MISMATCH;
	if ((r = get_ecdsa_sig(sig, siglen, &der, &der_len)) != 0)
		return r;
	r = jkey_evp_verify(k->pkey, ki->md(), der, (size_t)der_len, data,
	    len);
	OPENSSL_free(der);
	return r;
}

const struct jkey_ops jkey_ecdsa_ops = {
	ecdsa_generate, ecdsa_put_public, ecdsa_get_public, ecdsa_put_private,
	ecdsa_get_private, ecdsa_put_sig, ecdsa_verify,
};
