/*
 * key-ed25519.c: Ed25519 keys (RFC 8709): their SSH encodings, generation
 * and signatures, as the jkey_ops table that key*.c dispatches through.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

static int
ed25519_generate(const struct jkey_info *ki, unsigned bits, EVP_PKEY **pkeyp)
{
	(void)ki;
	(void)bits;
	*pkeyp = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return *pkeyp != NULL ? 0 : JIT_ERR_LIBCRYPTO;
}

static int
ed25519_put_public(const struct jkey_info *ki, EVP_PKEY *pkey, struct jbuf *b)
{
	unsigned char raw[32];
	size_t len = sizeof(raw);

	(void)ki;
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32)
		return JIT_ERR_LIBCRYPTO;
	return jbuf_put_string(b, raw, len);
}

/*
 * Any 32 bytes are an Ed25519 public key as far as encoding goes; the
 * EVP_PKEY (a provider fetch, the costliest part of parsing a key we are
 * only asked to certify) is made when a signature is verified.
 */
static int
ed25519_get_public(const struct jkey_info *ki, struct jbuf *b,
    EVP_PKEY **pkeyp)
{
	const unsigned char *pk;
	size_t pk_len;
	int r;

	(void)ki;
	*pkeyp = NULL;
	if ((r = jbuf_get_string_direct(b, &pk, &pk_len)) != 0)
		return r;
	return pk_len == 32 ? 0 : JIT_ERR_KEY_INVALID;
}

/* OpenSSH keeps seed || public as the 64-byte private key. */
static int
ed25519_put_private(const struct jkey *k, struct jbuf *b)
{
	unsigned char raw[64];
	size_t len = 32;
	int r = JIT_ERR_LIBCRYPTO;

	if (EVP_PKEY_get_raw_private_key(k->pkey, raw, &len) != 1 || len != 32)
		goto out;
	len = 32;
	if (EVP_PKEY_get_raw_public_key(k->pkey, raw + 32, &len) != 1 ||
	    len != 32)
		goto out;
	if ((r = jbuf_put_string(b, raw + 32, 32)) != 0)
		goto out;
	r = jbuf_put_string(b, raw, 64);
 out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

static int
ed25519_get_private(const struct jkey_info *ki, struct jbuf *b,
    EVP_PKEY **pkeyp)
{
	const unsigned char *pk, *sk;
	size_t pk_len, sk_len;
	unsigned char derived[32];
	size_t dlen = sizeof(derived);
	int r;

	(void)ki;
	*pkeyp = NULL;
	if ((r = jbuf_get_string_direct(b, &pk, &pk_len)) != 0 ||
	    (r = jbuf_get_string_direct(b, &sk, &sk_len)) != 0)
		return r;
	if (pk_len != 32 || sk_len != 64)
		return JIT_ERR_INVALID_FORMAT;
	if ((*pkeyp = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    sk, 32)) == NULL)
		return JIT_ERR_KEY_INVALID;
	/* The seed must give the public key stored twice beside it. */
	if (EVP_PKEY_get_raw_public_key(*pkeyp, derived, &dlen) != 1 ||
	    dlen != 32 || memcmp(derived, pk, 32) != 0 ||
	    memcmp(derived, sk + 32, 32) != 0) {
		EVP_PKEY_free(*pkeyp);
		*pkeyp = NULL;
		return JIT_ERR_KEY_INVALID;
	}
	return 0;
}

/*
 * Ed25519 public keys parsed from the wire carry no EVP_PKEY (see
 * jkey_get_public_fields): make a short-lived one from the blob.  The key
 * itself is not touched, so keys shared between threads stay read-only.
 */
static int
ed25519_verify(const struct jkey *k, const unsigned char *alg, size_t alg_len,
    const unsigned char *sig, size_t siglen, const unsigned char *data,
    size_t len)
{
	EVP_PKEY *pkey = k->pkey;
	int r;

	if (!jkey_alg_is(alg, alg_len, "ssh-ed25519"))
		return JIT_ERR_KEY_TYPE_MISMATCH;
	if (siglen != 64)
		return JIT_ERR_INVALID_FORMAT;
	if (pkey == NULL && (pkey = EVP_PKEY_new_raw_public_key(
	    EVP_PKEY_ED25519, NULL, k->blob + k->fields_off + 4, 32)) == NULL)
		return JIT_ERR_KEY_INVALID;
	r = jkey_evp_verify(pkey, NULL, sig, 64, data, len);
	if (pkey != k->pkey)
		EVP_PKEY_free(pkey);
	return r;
}

const struct jkey_ops jkey_ed25519_ops = {
	ed25519_generate, ed25519_put_public, ed25519_get_public,
	ed25519_put_private, ed25519_get_private, jkey_put_sig_string,
	ed25519_verify,
};

int
jkey_ed25519_from_seed(const unsigned char seed[32], struct jkey **keyp)
{
	EVP_PKEY *pkey;

	if (seed == NULL || keyp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    32)) == NULL)
		return JIT_ERR_LIBCRYPTO;
	return jkey_wrap(JKEY_ED25519, pkey, 1, NULL, 0, keyp);
}
