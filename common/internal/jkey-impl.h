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
	EVP_PKEY *pkey;		/* may be shared (up-ref) by demoted copies */
	int priv;
	unsigned char *blob;	/* the public key blob, encoded once */
	size_t blob_len;
	size_t fields_off;	/* where the type's fields start in blob */
	EVP_MD_CTX *sign_tmpl;	/* private keys: signing context set up once */
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

/*
 * Wraps pkey (taking ownership on success) into a new struct jkey.  fields
 * are the already-encoded public fields when the caller has them (parsing),
 * or NULL to encode them from pkey.
 */
int jkey_wrap(enum jkey_type type, EVP_PKEY *pkey, int priv,
    const unsigned char *fields, size_t fields_len, struct jkey **keyp);

/*
 * Sets up k->sign_tmpl for a private key, so each signature copies a ready
 * context instead of fetching the algorithm again.
 */
int jkey_sign_prepare(struct jkey *k);

/* Frees what jkey_sign_prepare() made. */
void jkey_sign_release(struct jkey *k);

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
int jkey_ec_point(enum jkey_type type, EVP_PKEY *pkey, unsigned char *buf,
    size_t len);

#endif /* JIT_JKEY_IMPL_H */
