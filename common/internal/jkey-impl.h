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
	jkey_ext_sign_fn ext_sign;	/* a key held elsewhere (a token) */
	void *ext_arg;
};

struct jkey_info;

/*
 * What differs between key families: one table each, in key-ed25519.c,
 * key-ecdsa.c and key-rsa.c; key.c, key-sign.c and key-private.c reach
 * them through jkey_info(type)->ops and never switch on the type.  All
 * return 0 or JIT_ERR_*.
 */
struct jkey_ops {
	/* A new key pair (bits: RSA's modulus, 0 for the default). */
	int (*generate)(const struct jkey_info *ki, unsigned bits,
	    EVP_PKEY **pkeyp);
	/* The public fields of pkey, as they follow the type name. */
	int (*put_public)(const struct jkey_info *ki, EVP_PKEY *pkey,
	    struct jbuf *b);
	/*
	 * Parses public fields, the canonical encoding only; *pkeyp may be
	 * left NULL when the key is made only when needed (Ed25519).
	 */
	int (*get_public)(const struct jkey_info *ki, struct jbuf *b,
	    EVP_PKEY **pkeyp);
	/* The private fields of the OpenSSH key format (and ssh-agent). */
	int (*put_private)(const struct jkey *k, struct jbuf *b);
	/* Parses them into a checked key pair. */
	int (*get_private)(const struct jkey_info *ki, struct jbuf *b,
	    EVP_PKEY **pkeyp);
	/* The EVP signature raw as the SSH signature's blob string. */
	int (*put_sig)(struct jbuf *b, const unsigned char *raw, size_t len);
	/* Verifies sig, the SSH signature's blob string, made with alg. */
	int (*verify)(const struct jkey *k, const unsigned char *alg,
	    size_t alg_len, const unsigned char *sig, size_t siglen,
	    const unsigned char *data, size_t len);
};

extern const struct jkey_ops jkey_ed25519_ops, jkey_ecdsa_ops, jkey_rsa_ops;

/* Static facts about a key type. */
struct jkey_info {
	enum jkey_type type;
	const char *name;	/* SSH key type name */
	const char *sig_alg;	/* SSH signature algorithm we make */
	const char *family;	/* policy name */
	const char *curve;	/* SSH curve identifier (ECDSA) */
	const char *group;	/* OpenSSL group name (ECDSA) */
	size_t point_len;	/* uncompressed point length (ECDSA) */
	const EVP_MD *(*md)(void);	/* our signatures' digest (NULL: none) */
	const struct jkey_ops *ops;
};

const struct jkey_info *jkey_info(enum jkey_type type);

/*
 * Wraps pkey into a new struct jkey, taking it over (freed on failure).
 * fields are the already-encoded public fields when the caller has them
 * (parsing), or NULL to encode them from pkey.
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

/*
 * A key pair of the algorithm from params, checked (the private half must
 * give the public one: EVP_PKEY_pairwise_check); params are wiped and
 * freed.
 */
int jkey_keypair(const char *alg, OSSL_PARAM *params, EVP_PKEY **pkeyp);

/* Frees params made from secrets, wiping them first. */
void jkey_params_clear_free(OSSL_PARAM *params);

/* Verifies an EVP signature of data (md NULL: the algorithm's own). */
int jkey_evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *sig,
    size_t siglen, const unsigned char *data, size_t len);

/* put_sig for signatures kept as EVP makes them: one string. */
int jkey_put_sig_string(struct jbuf *b, const unsigned char *raw, size_t len);

/* 1 when the SSH algorithm name alg (alg_len bytes) is name. */
int jkey_alg_is(const unsigned char *alg, size_t alg_len, const char *name);

#endif /* JIT_JKEY_IMPL_H */
