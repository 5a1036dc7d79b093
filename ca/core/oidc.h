/*
 * oidc.h: the CA as an OpenID Connect client of the company's identity
 * provider, for the OAuth 2.0 Device Authorization Grant (RFC 8628):
 * discovery (/.well-known/openid-configuration), the device request, the
 * token polls, and the ID token checked against the issuer's JWKS
 * (jwt.h), refetched once on an unknown kid and cached as its
 * Cache-Control says.  HTTP with libcurl: TLS verified, https only but
 * on loopback, no redirects, every answer bounded.  One struct ca_oidc
 * serves every thread (its caches are locked).
 */
#ifndef JIT_CA_OIDC_H
#define JIT_CA_OIDC_H

#include <stddef.h>
#include <stdint.h>

struct json_t;
struct ca_oidc;

#define CA_OIDC_BODY_MAX	65536	/* any answer of the provider */

struct ca_oidc_cfg {
	const char *issuer;
	const char *client_id;
	const char *client_secret;	/* NULL: a public client */
	const char *ca_file;		/* NULL: the system's CAs */
	const char *scope;		/* "openid profile ..." */
	uint64_t skew;			/* allowed clock skew, seconds */
	long timeout_ms;		/* per request (0: 10 s) */
};

int ca_oidc_new(const struct ca_oidc_cfg *cfg, struct ca_oidc **op);
/* Counted: each ca_oidc_ref() wants its ca_oidc_free(). */
struct ca_oidc *ca_oidc_ref(struct ca_oidc *o);
void ca_oidc_free(struct ca_oidc *o);
/* 1 when o was made from a configuration equal to cfg. */
int ca_oidc_same(const struct ca_oidc *o, const struct ca_oidc_cfg *cfg);

/* A device flow under way.  The device code never leaves the CA. */
struct ca_oidc_device {
	char device_code[512];
	char user_code[64];
	char uri[512];			/* verification_uri */
	char uri_complete[1024];	/* or empty */
	uint64_t expires;		/* when the codes expire */
	uint64_t interval;		/* seconds between polls */
};

/* Asks for a device code (discovering the endpoints first when needed). */
int ca_oidc_device_start(struct ca_oidc *o, uint64_t now,
    struct ca_oidc_device *d, char *err, size_t errlen);

/*
 * One poll of the token endpoint: 0 and *claimsp (the verified ID token's
 * claims) when signed in; 0 and *claimsp NULL while pending (slow_down
 * lengthens d->interval); else an error with err saying why: the user
 * refused (access_denied), the code expired, the token does not verify.
 */
int ca_oidc_device_poll(struct ca_oidc *o, struct ca_oidc_device *d,
    uint64_t now, struct json_t **claimsp, char *err, size_t errlen);

#endif /* JIT_CA_OIDC_H */
