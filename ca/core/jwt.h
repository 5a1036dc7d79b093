/*
 * jwt.h: ID tokens (OpenID Connect Core 3.1.3.7): JSON Web Signatures in
 * compact form, checked against the issuer's key set (RFC 7517) with
 * OpenSSL.  Only asymmetric algorithms: RS256/384/512, PS256/384/512,
 * ES256/384/512 and EdDSA (Ed25519); "none" and HS* are refused whatever
 * the key set holds.
 */
#ifndef JIT_CA_JWT_H
#define JIT_CA_JWT_H

#include <stddef.h>
#include <stdint.h>

struct json_t;
struct ca_jwks;

#define CA_JWT_MAX	16384	/* an ID token, in bytes */
#define CA_JWKS_KEYS_MAX 32

/*
 * Parses a JWK Set (JSON).  Keys that are not for signatures or of a type
 * jit-ssh does not use are skipped; a malformed set is
 * JIT_ERR_INVALID_FORMAT with err saying why.
 */
int ca_jwks_parse(const char *json, size_t len, struct ca_jwks **kp,
    char *err, size_t errlen);
void ca_jwks_free(struct ca_jwks *k);

/* What the token must say. */
struct ca_jwt_expect {
	const char *issuer;	/* iss, exactly */
	const char *client_id;	/* in aud; azp, when present, is it */
	uint64_t now, skew;	/* exp, iat, nbf within skew of now */
};

/*
 * Verifies token: its header (alg, kid), its signature with the key of
 * that kid in keys, then its claims.  0 and the claims in *claimsp (the
 * caller json_decref()s); JIT_ERR_NOT_FOUND when keys has no key of that
 * kid (the caller may fetch the set again, once); else
 * JIT_ERR_SIGNATURE_INVALID or JIT_ERR_INVALID_FORMAT or JIT_ERR_DENIED
 * (a claim), with err saying which.
 */
int ca_jwt_verify(const char *token, const struct ca_jwks *keys,
    const struct ca_jwt_expect *e, struct json_t **claimsp, char *err,
    size_t errlen);

#endif /* JIT_CA_JWT_H */
