/*
 * jwt.c: ID token verification (jwt.h): the JOSE header, the signature
 * with the issuer's key for its kid, then iss, aud, azp, exp, iat, nbf.
 * Keys come from a JWK Set; each becomes an OpenSSL EVP_PKEY once, when
 * the set is parsed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "jbuf.h"
#include "jit-err.h"
#include "textout.h"
#include "jwt.h"

#define RSA_BITS_MIN	2048

struct key {
	char kid[128];
	char alg[16];		/* the JWK's "alg", or empty */
	int kty;		/* KTY_* */
	int ec_bytes;		/* EC: the size of a coordinate */
	EVP_PKEY *pk;
};

enum { KTY_RSA = 1, KTY_EC, KTY_OKP };

struct ca_jwks {
	struct key k[CA_JWKS_KEYS_MAX];
	size_t n;
};

/*
 * base64url without padding (RFC 7515 section 2), into a new buffer: the
 * alphabet mapped to base64's, padded, and decoded by jbuf_b64tod (which
 * takes only canonical input).
 */
static int
b64url(const char *s, size_t len, unsigned char **outp, size_t *outlenp)
{
	size_t i, pad = (4 - len % 4) % 4;
	struct jbuf *b = NULL;
	char *t;
	int r;

	*outp = NULL;
	if (len % 4 == 1 || len > 3 * CA_JWT_MAX)
		return JIT_ERR_INVALID_FORMAT;
	if ((t = malloc(len + pad)) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < len; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' :
		    s[i] == '+' || s[i] == '/' || s[i] == '=' ? '!' : s[i];
	memset(t + len, '=', pad);
	if ((b = jbuf_new()) == NULL)
		r = JIT_ERR_ALLOC;
	else if ((r = jbuf_b64tod(b, t, len + pad, 0)) == 0 &&
	    (*outp = malloc(jbuf_len(b) + 1)) == NULL)
		r = JIT_ERR_ALLOC;
	if (r == 0) {
		memcpy(*outp, jbuf_ptr(b), jbuf_len(b));
		*outlenp = jbuf_len(b);
	}
	jbuf_free(b);
	free(t);
	return r != 0 && r != JIT_ERR_ALLOC ? JIT_ERR_INVALID_FORMAT : r;
}

static int
b64url_json(const char *s, size_t len, json_t **jp)
{
	unsigned char *d;
	size_t n;
	int r;

	*jp = NULL;
	if ((r = b64url(s, len, &d, &n)) != 0)
		return r;
	*jp = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES, NULL);
	free(d);
	return *jp != NULL && json_is_object(*jp) ? 0 : JIT_ERR_INVALID_FORMAT;
}

static BIGNUM *
member_bn(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));
	unsigned char *d;
	BIGNUM *bn;
	size_t n;

	if (s == NULL || b64url(s, strlen(s), &d, &n) != 0)
		return NULL;
	bn = n > 0 ? BN_bin2bn(d, (int)n, NULL) : NULL;
	free(d);
	return bn;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *b)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static EVP_PKEY *
rsa_key(const json_t *j)
{
	BIGNUM *n = member_bn(j, "n"), *e = member_bn(j, "e");
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;

	if (n != NULL && e != NULL && b != NULL && BN_num_bits(n) >=
	    RSA_BITS_MIN && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N,
	    n) == 1 && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pk = from_params("RSA", b);
	OSSL_PARAM_BLD_free(b);
	BN_free(n);
	BN_free(e);
	return pk;
}

static EVP_PKEY *
ec_key(const json_t *j, int *bytesp)
{
	static const struct { const char *crv, *group; int bytes; } curves[] = {
		{ "P-256", "prime256v1", 32 }, { "P-384", "secp384r1", 48 },
		{ "P-521", "secp521r1", 66 },
	};
	const char *crv = json_string_value(json_object_get(j, "crv"));
	const char *xs = json_string_value(json_object_get(j, "x"));
	const char *ys = json_string_value(json_object_get(j, "y"));
	unsigned char *x = NULL, *y = NULL, pt[1 + 2 * 66];
	OSSL_PARAM_BLD *b = NULL;
	EVP_PKEY *pk = NULL;
	size_t i, xn = 0, yn = 0;

	for (i = 0; crv != NULL && i < 3; i++)
		if (strcmp(crv, curves[i].crv) == 0)
			break;
	if (crv == NULL || i == 3 || xs == NULL || ys == NULL ||
	    b64url(xs, strlen(xs), &x, &xn) != 0 ||
	    b64url(ys, strlen(ys), &y, &yn) != 0 ||
	    xn != (size_t)curves[i].bytes || yn != (size_t)curves[i].bytes)
		goto out;
	pt[0] = 0x04;	/* uncompressed */
	memcpy(pt + 1, x, xn);
	memcpy(pt + 1 + xn, y, yn);
	if ((b = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	    curves[i].group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    1 + xn + yn) == 1)
		pk = from_params("EC", b);
	*bytesp = curves[i].bytes;
 out:
	OSSL_PARAM_BLD_free(b);
	free(x);
	free(y);
	return pk;
}

static EVP_PKEY *
okp_key(const json_t *j)
{
	const char *crv = json_string_value(json_object_get(j, "crv"));
	const char *xs = json_string_value(json_object_get(j, "x"));
	unsigned char *x = NULL;
	EVP_PKEY *pk = NULL;
	size_t n = 0;

	if (crv != NULL && strcmp(crv, "Ed25519") == 0 && xs != NULL &&
	    b64url(xs, strlen(xs), &x, &n) == 0 && n == 32)
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, n);
	free(x);
	return pk;
}

int
ca_jwks_parse(const char *text, size_t len, struct ca_jwks **kp, char *err,
    size_t errlen)
{
	struct ca_jwks *ks;
	json_t *j, *keys, *k;
	size_t i;

	*kp = NULL;
	if ((j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_array(keys = json_object_get(j, "keys"))) {
		json_decref(j);
		return ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the issuer's "
		    "key set is not a JWK Set");
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		json_decref(j);
		return JIT_ERR_ALLOC;
	}
	json_array_foreach(keys, i, k) {
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		struct key *key = &ks->k[ks->n];

		if (ks->n == CA_JWKS_KEYS_MAX || kty == NULL ||
		    (use != NULL && strcmp(use, "sig") != 0))
			continue;
		memset(key, 0, sizeof(*key));
		snprintf(key->kid, sizeof(key->kid), "%s", kid ? kid : "");
		snprintf(key->alg, sizeof(key->alg), "%s", alg ? alg : "");
		if (strcmp(kty, "RSA") == 0) {
			key->kty = KTY_RSA;
			key->pk = rsa_key(k);
		} else if (strcmp(kty, "EC") == 0) {
			key->kty = KTY_EC;
			key->pk = ec_key(k, &key->ec_bytes);
		} else if (strcmp(kty, "OKP") == 0) {
			key->kty = KTY_OKP;
			key->pk = okp_key(k);
		}
		if (key->pk != NULL)
			ks->n++;	/* else skipped: "oct", odd curves, small RSA */
	}
	json_decref(j);
	*kp = ks;
	return 0;
}

void
ca_jwks_free(struct ca_jwks *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->k[i].pk);
	free(ks);
}

/* What an alg needs: a key type, a digest, PSS or not, an EC size. */
struct alg {
	const char *name;
	int kty;
	const char *md;		/* NULL: EdDSA */
	int pss, ec_bytes;
};

static const struct alg algs[] = {
	{ "RS256", KTY_RSA, "SHA256", 0, 0 }, { "RS384", KTY_RSA, "SHA384", 0, 0 },
	{ "RS512", KTY_RSA, "SHA512", 0, 0 }, { "PS256", KTY_RSA, "SHA256", 1, 0 },
	{ "PS384", KTY_RSA, "SHA384", 1, 0 }, { "PS512", KTY_RSA, "SHA512", 1, 0 },
	{ "ES256", KTY_EC, "SHA256", 0, 32 }, { "ES384", KTY_EC, "SHA384", 0, 48 },
	{ "ES512", KTY_EC, "SHA512", 0, 66 }, { "EdDSA", KTY_OKP, NULL, 0, 0 },
};

/* An ECDSA signature r||s as the DER OpenSSL verifies. */
static int
ec_der(const unsigned char *sig, size_t len, int bytes, unsigned char **derp,
    size_t *dlenp)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	int n;

	*derp = NULL;
	if (len != 2 * (size_t)bytes || (es = ECDSA_SIG_new()) == NULL)
		return JIT_ERR_SIGNATURE_INVALID;
	r = BN_bin2bn(sig, bytes, NULL);
	s = BN_bin2bn(sig + bytes, bytes, NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return JIT_ERR_ALLOC;
	}
	n = i2d_ECDSA_SIG(es, derp);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return JIT_ERR_ALLOC;
	*dlenp = (size_t)n;
	return 0;
}

static int
verify_sig(const struct alg *a, const struct key *k, const char *input,
    size_t inlen, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int ok = 0;

	if (md == NULL)
		return JIT_ERR_ALLOC;
	if (a->kty == KTY_EC && ec_der(sig, siglen, a->ec_bytes, &der,
	    &siglen) == 0)
		sig = der;
	else if (a->kty == KTY_EC)
		goto out;
	if (EVP_DigestVerifyInit_ex(md, &pctx, a->md, NULL, NULL, k->pk,
	    NULL) != 1)
		goto out;
	if (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input,
	    inlen) == 1;
 out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok ? 0 : JIT_ERR_SIGNATURE_INVALID;
}

static int
number(const json_t *claims, const char *name, uint64_t *v, int required)
{
	json_t *j = json_object_get(claims, name);

	if (j == NULL)
		return required ? -1 : 1;
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int
check_claims(const json_t *c, const struct ca_jwt_expect *e, char *err,
    size_t errlen)
{
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *sub = json_string_value(json_object_get(c, "sub"));
	const char *azp = json_string_value(json_object_get(c, "azp"));
	json_t *aud = json_object_get(c, "aud"), *a;
	uint64_t exp, iat, nbf;
	size_t i, naud = 0;
	int mine = 0, r;

	if (iss == NULL || strcmp(iss, e->issuer) != 0)
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token's issuer is "
		    "not %s", e->issuer);
	if (json_is_string(aud)) {
		naud = 1;
		mine = strcmp(json_string_value(aud), e->client_id) == 0;
	} else if (json_is_array(aud))
		json_array_foreach(aud, i, a) {
			naud++;
			if (json_is_string(a) && strcmp(json_string_value(a),
			    e->client_id) == 0)
				mine = 1;
		}
	if (!mine)
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token is not for "
		    "this CA (its audience lacks client %s)", e->client_id);
	if ((azp != NULL && strcmp(azp, e->client_id) != 0) ||
	    (azp == NULL && json_object_get(c, "azp") != NULL) ||
	    (naud > 1 && azp == NULL))
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token was issued "
		    "to another client (azp)");
	if (number(c, "exp", &exp, 1) != 0 || number(c, "iat", &iat, 1) != 0)
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token lacks exp or "
		    "iat");
	if (e->now >= exp + e->skew)
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token has expired");
	if (iat > e->now + e->skew)
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token was issued in "
		    "the future (iat): check the clocks");
	if ((r = number(c, "nbf", &nbf, 0)) < 0 || (r == 0 &&
	    nbf > e->now + e->skew))
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token is not valid "
		    "yet (nbf)");
	if (sub == NULL || *sub == '\0')
		return ca_errf(err, errlen, JIT_ERR_DENIED, "the token has no "
		    "subject");
	return 0;
}

int
ca_jwt_verify(const char *token, const struct ca_jwks *keys,
    const struct ca_jwt_expect *e, json_t **claimsp, char *err, size_t errlen)
{
	const char *dot1, *dot2, *alg_name, *kid;
	const struct alg *a = NULL;
	const struct key *k = NULL;
	unsigned char *sig = NULL;
	json_t *hdr = NULL, *claims = NULL;
	size_t len, siglen, i;
	int r;

	*claimsp = NULL;
	if (token == NULL || (len = strlen(token)) > CA_JWT_MAX)
		return ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the ID token "
		    "is missing or longer than %d bytes", CA_JWT_MAX);
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL || strchr(dot2 + 1, '.'))
		return ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the ID token "
		    "is not a signed JWT (three parts)");
	if (b64url_json(token, (size_t)(dot1 - token), &hdr) != 0) {
		r = ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the ID token's "
		    "header is not JSON");
		goto out;
	}
	alg_name = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	for (i = 0; alg_name != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, alg_name) == 0)
			a = &algs[i];
	if (a == NULL || json_object_get(hdr, "crit") != NULL) {
		r = ca_errf(err, errlen, JIT_ERR_SIGNATURE_INVALID, "the ID token's "
		    "algorithm %s is refused (only RS*, PS*, ES* and EdDSA)",
		    alg_name != NULL ? alg_name : "(none)");
		goto out;
	}
	for (i = 0; i < keys->n; i++)
		if ((kid == NULL || strcmp(keys->k[i].kid, kid) == 0) &&
		    keys->k[i].kty == a->kty && (keys->k[i].alg[0] == '\0' ||
		    strcmp(keys->k[i].alg, a->name) == 0) && (a->kty != KTY_EC ||
		    keys->k[i].ec_bytes == a->ec_bytes)) {
			k = &keys->k[i];
			break;
		}
	if (k == NULL) {
		r = ca_errf(err, errlen, JIT_ERR_NOT_FOUND, "the issuer has no %s "
		    "key %s", a->name, kid != NULL ? kid : "(no kid)");
		goto out;
	}
	if (b64url(dot2 + 1, len - (size_t)(dot2 + 1 - token), &sig,
	    &siglen) != 0 || verify_sig(a, k, token, (size_t)(dot2 - token),
	    sig, siglen) != 0) {
		r = ca_errf(err, errlen, JIT_ERR_SIGNATURE_INVALID, "the ID token's "
		    "signature does not verify with the issuer's key %s",
		    k->kid);
		goto out;
	}
	if (b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1), &claims) != 0) {
		r = ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the ID token's "
		    "claims are not a JSON object");
		goto out;
	}
	if ((r = check_claims(claims, e, err, errlen)) != 0)
		goto out;
	*claimsp = claims;
	claims = NULL;
 out:
	free(sig);
	json_decref(hdr);
	json_decref(claims);
	return r;
}
