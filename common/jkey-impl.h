/*
 * jkey-impl.h: the inside of struct jkey, shared by key*.c only.
 * Nothing outside common/key*.c includes this file.
 */
#ifndef JIT_JKEY_IMPL_H
#define JIT_JKEY_IMPL_H

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "jkey.h"

struct jkey {
	enum jkey_type type;
	EVP_PKEY *pkey;
	int priv;
};

/* Static facts about a key type. */
struct jkey_info {
	enum jkey_type type;
	const char *name;	/* SSH key type name */
	const char *sig_alg;	/* SSH signature algorithm */
	const char *family;	/* policy name */
	const char *curve;	/* SSH curve identifier (ECDSA) */
	const char *group;	/* OpenSSL group name (ECDSA) */
	size_t point_len;	/* uncompressed point length (ECDSA) */
};

const struct jkey_info *jkey_info(enum jkey_type type);

/* Wraps pkey (taking ownership on success) into a new struct jkey. */
int jkey_wrap(enum jkey_type type, EVP_PKEY *pkey, int priv,
    struct jkey **keyp);

/* Appends a non-negative BIGNUM as an SSH mpint. */
int jkey_put_bn(struct jbuf *b, const BIGNUM *bn);

/* Reads an SSH mpint into a new BIGNUM (freed with BN_clear_free). */
int jkey_get_bn(struct jbuf *b, BIGNUM **bnp);

/* A BIGNUM parameter of pkey, NULL on error (freed with BN_clear_free). */
BIGNUM *jkey_bn_param(const EVP_PKEY *pkey, const char *name);

/* Builds an EVP_PKEY of the algorithm from params (public or key pair). */
int jkey_fromdata(const char *alg, int selection, OSSL_PARAM *params,
    EVP_PKEY **pkeyp);

/* Checks an RSA modulus size against the limits. */
int jkey_rsa_bits_ok(const BIGNUM *n);

/* The uncompressed public point of an ECDSA key into buf (point_len). */
int jkey_ec_point(const struct jkey *k, unsigned char *buf, size_t len);

#endif /* JIT_JKEY_IMPL_H */
