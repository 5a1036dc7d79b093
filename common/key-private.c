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
static void
params_clear_free(OSSL_PARAM *params)
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
	const struct jkey_info *ki = jkey_info(k->type);
	unsigned char raw[64], point[256];
	size_t len;
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL;
	BIGNUM *iqmp = NULL, *priv = NULL;
	int r = JIT_ERR_INTERNAL;

	if (k == NULL || b == NULL || !k->priv)
		return JIT_ERR_INVALID_ARGUMENT;
	switch (k->type) {
	case JKEY_ED25519:
		/* OpenSSH keeps seed || public as the 64-byte private key. */
		len = 32;
		if (EVP_PKEY_get_raw_private_key(k->pkey, raw, &len) != 1 ||
		    len != 32) {
			r = JIT_ERR_LIBCRYPTO;
			goto out;
		}
		len = 32;
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw + 32, &len) != 1 ||
		    len != 32) {
			r = JIT_ERR_LIBCRYPTO;
			goto out;
		}
		if ((r = jbuf_put_string(b, raw + 32, 32)) != 0 ||
		    (r = jbuf_put_string(b, raw, 64)) != 0)
			goto out;
		break;
	case JKEY_ECDSA_P256:
	case JKEY_ECDSA_P384:
	case JKEY_ECDSA_P521:
		if ((r = jkey_ec_point(k->type, k->pkey, point, sizeof(point))) != 0)
			goto out;
		if ((priv = jkey_bn_param(k->pkey,
		    OSSL_PKEY_PARAM_PRIV_KEY)) == NULL) {
			r = JIT_ERR_LIBCRYPTO;
			goto out;
		}
		if ((r = jbuf_put_cstring(b, ki->curve)) != 0 ||
		    (r = jbuf_put_string(b, point, ki->point_len)) != 0 ||
		    (r = jkey_put_bn(b, priv)) != 0)
			goto out;
		break;
	case JKEY_RSA:
		if ((n = jkey_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N)) == NULL ||
		    (e = jkey_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E)) == NULL ||
		    (d = jkey_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_D)) == NULL ||
		    (p = jkey_bn_param(k->pkey,
		    OSSL_PKEY_PARAM_RSA_FACTOR1)) == NULL ||
		    (q = jkey_bn_param(k->pkey,
		    OSSL_PKEY_PARAM_RSA_FACTOR2)) == NULL ||
		    (iqmp = jkey_bn_param(k->pkey,
		    OSSL_PKEY_PARAM_RSA_COEFFICIENT1)) == NULL) {
			r = JIT_ERR_LIBCRYPTO;
			goto out;
		}
		if ((r = jkey_put_bn(b, n)) != 0 || (r = jkey_put_bn(b, e)) != 0 ||
		    (r = jkey_put_bn(b, d)) != 0 ||
		    (r = jkey_put_bn(b, iqmp)) != 0 ||
		    (r = jkey_put_bn(b, p)) != 0 || (r = jkey_put_bn(b, q)) != 0)
			goto out;
		break;
	default:
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	r = 0;
 out:
	OPENSSL_cleanse(raw, sizeof(raw));
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(iqmp);
	BN_clear_free(priv);
	return r;
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

static int
get_ed25519_private(struct jbuf *b, EVP_PKEY **pkeyp)
{
	const unsigned char *pk, *sk;
	size_t pk_len, sk_len;
	unsigned char derived[32];
	size_t dlen = sizeof(derived);
	int r;

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

static int
get_ecdsa_private(const struct jkey_info *ki, struct jbuf *b, EVP_PKEY **pkeyp)
{
	const unsigned char *curve, *q;
	size_t curve_len, q_len;
	BIGNUM *priv = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
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
	if ((r = jkey_fromdata("EC", EVP_PKEY_KEYPAIR, params, pkeyp)) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *pkeyp, NULL)) == NULL ||
	    EVP_PKEY_pairwise_check(ctx) != 1) {
		EVP_PKEY_free(*pkeyp);
		*pkeyp = NULL;
		r = JIT_ERR_KEY_INVALID;
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	params_clear_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return r;
}

static int
get_rsa_private(struct jbuf *b, EVP_PKEY **pkeyp)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL;
	BIGNUM *q = NULL, *dmp1 = NULL, *dmq1 = NULL, *tmp = NULL;
	BN_CTX *bnctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	*pkeyp = NULL;
	if ((r = jkey_get_bn(b, &n)) != 0 || (r = jkey_get_bn(b, &e)) != 0 ||
	    (r = jkey_get_bn(b, &d)) != 0 || (r = jkey_get_bn(b, &iqmp)) != 0 ||
	    (r = jkey_get_bn(b, &p)) != 0 || (r = jkey_get_bn(b, &q)) != 0)
		goto out;
	if ((r = jkey_rsa_bits_ok(n)) != 0)
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
	if ((r = jkey_fromdata("RSA", EVP_PKEY_KEYPAIR, params, pkeyp)) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *pkeyp, NULL)) == NULL ||
	    EVP_PKEY_pairwise_check(ctx) != 1) {
		EVP_PKEY_free(*pkeyp);
		*pkeyp = NULL;
		r = JIT_ERR_KEY_INVALID;
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	params_clear_free(params);
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
	switch (type) {
	case JKEY_ED25519:
		r = get_ed25519_private(inner, &pkey);
		break;
	case JKEY_ECDSA_P256:
	case JKEY_ECDSA_P384:
	case JKEY_ECDSA_P521:
		r = get_ecdsa_private(jkey_info(type), inner, &pkey);
		break;
	case JKEY_RSA:
		r = get_rsa_private(inner, &pkey);
		break;
	default:
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		break;
	}
	if (r != 0)
		goto out;
	if ((r = jkey_wrap(type, pkey, 1, NULL, 0, &k)) != 0)
		goto out;
	pkey = NULL;
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
