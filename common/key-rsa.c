/*
 * key-rsa.c: RSA keys (RFC 4253, signatures with SHA-2 only: RFC 8332;
 * "ssh-rsa" signatures, SHA-1, are refused): their SSH encodings,
 * generation and signatures, as the jkey_ops table that key*.c dispatches
 * through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/param_build.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

/* Checks an RSA modulus size against the limits. */
static int
rsa_bits_ok(const BIGNUM *n)
{
	int bits = BN_num_bits(n);

	if (bits < JKEY_RSA_MIN_BITS)
		return JIT_ERR_KEY_TOO_SMALL;
	if (bits > JKEY_RSA_MAX_BITS)
		return JIT_ERR_KEY_INVALID;
	return 0;
}

static int
rsa_generate(const struct jkey_info *ki, unsigned bits, EVP_PKEY **pkeyp)
{
	(void)ki;
	*pkeyp = NULL;
	if (bits == 0)
		bits = JKEY_RSA_DEFAULT_BITS;
	if (bits < JKEY_RSA_MIN_BITS)
		return JIT_ERR_KEY_TOO_SMALL;
	if (bits > JKEY_RSA_MAX_BITS)
		return JIT_ERR_INVALID_ARGUMENT;
	*pkeyp = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	return *pkeyp != NULL ? 0 : JIT_ERR_LIBCRYPTO;
}

static int
rsa_put_public(const struct jkey_info *ki, EVP_PKEY *pkey, struct jbuf *b)
{
	BIGNUM *n = NULL, *e = NULL;
	int r = JIT_ERR_LIBCRYPTO;

	(void)ki;
	if ((n = jkey_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N)) != NULL &&
	    (e = jkey_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E)) != NULL &&
	    (r = jkey_put_bn(b, e)) == 0)
		r = jkey_put_bn(b, n);
	BN_free(n);
	BN_free(e);
	return r;
}

static int
rsa_get_public(const struct jkey_info *ki, struct jbuf *b, EVP_PKEY **pkeyp)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int r;

	(void)ki;
	*pkeyp = NULL;
	if ((r = jkey_get_bn(b, &e)) != 0 || (r = jkey_get_bn(b, &n)) != 0)
		goto out;
	if ((r = rsa_bits_ok(n)) != 0)
		goto out;
	if (!BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 64 ||
	    !BN_is_odd(n)) {
		r = JIT_ERR_KEY_INVALID;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	r = jkey_fromdata("RSA", EVP_PKEY_PUBLIC_KEY, params, pkeyp);
 out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return r;
}

/* n, e, d, iqmp, p, q: the order of OpenSSH's private key format. */
static int
rsa_put_private(const struct jkey *k, struct jbuf *b)
{
	static const char *const names[] = { OSSL_PKEY_PARAM_RSA_N,
	    OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_COEFFICIENT1, OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2 };
	BIGNUM *bn;
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && r == 0; i++) {
		if ((bn = jkey_bn_param(k->pkey, names[i])) == NULL)
			return JIT_ERR_LIBCRYPTO;
		r = jkey_put_bn(b, bn);
		BN_clear_free(bn);
	}
	return r;
}

static int
rsa_get_private(const struct jkey_info *ki, struct jbuf *b,
    EVP_PKEY **pkeyp)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL;
	BIGNUM *q = NULL, *dmp1 = NULL, *dmq1 = NULL, *tmp = NULL;
	BN_CTX *bnctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int r;

	(void)ki;
	*pkeyp = NULL;
	if ((r = jkey_get_bn(b, &n)) != 0 || (r = jkey_get_bn(b, &e)) != 0 ||
	    (r = jkey_get_bn(b, &d)) != 0 || (r = jkey_get_bn(b, &iqmp)) != 0 ||
	    (r = jkey_get_bn(b, &p)) != 0 || (r = jkey_get_bn(b, &q)) != 0)
		goto out;
	if ((r = rsa_bits_ok(n)) != 0)
		goto out;
	if (BN_is_zero(p) || BN_is_zero(q) || BN_is_one(p) || BN_is_one(q)) {
		r = JIT_ERR_KEY_INVALID;
		goto out;
	}
	/* OpenSSH does not store the CRT exponents; derive them. */
	if ((bnctx = BN_CTX_secure_new()) == NULL ||
	    (dmp1 = BN_secure_new()) == NULL ||
	    (dmq1 = BN_secure_new()) == NULL ||
	    (tmp = BN_secure_new()) == NULL ||
	    BN_sub(tmp, p, BN_value_one()) != 1 ||
	    BN_mod(dmp1, d, tmp, bnctx) != 1 ||
	    BN_sub(tmp, q, BN_value_one()) != 1 ||
	    BN_mod(dmq1, d, tmp, bnctx) != 1) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    dmp1) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    dmq1) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    iqmp) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	r = jkey_keypair("RSA", params, pkeyp);
	params = NULL;
 out:
	jkey_params_clear_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bnctx);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	BN_clear_free(tmp);
	return r;
}

static int
rsa_verify(const struct jkey *k, const unsigned char *alg, size_t alg_len,
    const unsigned char *sig, size_t siglen, const unsigned char *data,
    size_t len)
{
	unsigned char *padded = NULL;
	const EVP_MD *md;
	size_t mod_len;
	int r;

	if (jkey_alg_is(alg, alg_len, "rsa-sha2-512"))
		md = EVP_sha512();
	else if (jkey_alg_is(alg, alg_len, "rsa-sha2-256"))
		md = EVP_sha256();
	else
		return JIT_ERR_KEY_TYPE_MISMATCH;	/* "ssh-rsa": SHA-1 */
	mod_len = (size_t)EVP_PKEY_get_size(k->pkey);
	if (siglen == 0 || siglen > mod_len)
		return JIT_ERR_INVALID_FORMAT;
	if (siglen < mod_len) {
		/* Some signers strip leading zeros; restore them. */
		if ((padded = calloc(1, mod_len)) == NULL)
			return JIT_ERR_ALLOC;
		memcpy(padded + mod_len - siglen, sig, siglen);
		sig = padded;
		siglen = mod_len;
	}
	r = jkey_evp_verify(k->pkey, md, sig, siglen, data, len);
	free(padded);
	return r;
}

/* PKCS#1 v1.5 output is always exactly the modulus length. */
const struct jkey_ops jkey_rsa_ops = {
	rsa_generate, rsa_put_public, rsa_get_public, rsa_put_private,
	rsa_get_private, jkey_put_sig_string, rsa_verify,
};
