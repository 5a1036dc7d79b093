/*
 * oidc.c: the device authorization grant against the identity provider
 * (oidc.h), over libcurl.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "jit-err.h"
#include "textout.h"
#include "jit-util.h"
#include "jwt.h"
#include "oidc.h"

#define JWKS_TTL_DEFAULT	300	/* without Cache-Control */
#define JWKS_TTL_MAX		86400
#define DEVICE_GRANT		"urn:ietf:params:oauth:grant-type:device_code"

struct ca_oidc {
	atomic_int refs;
	char *issuer, *client_id, *client_secret, *ca_file, *scope;
	uint64_t skew;
	long timeout_ms;
	pthread_mutex_t lock;
	int discovered;
	char device_ep[512], token_ep[512], jwks_uri[512];
	struct ca_jwks *jwks;
	uint64_t jwks_until;
};

struct body {
	char *p;
	size_t len;
	int too_big;
	uint64_t max_age;	/* Cache-Control: max-age, or 0 */
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	char *t;

	if (b->len + size * n > CA_OIDC_BODY_MAX) {
		b->too_big = 1;
		return 0;	/* stops the transfer */
	}
	if ((t = realloc(b->p, b->len + size * n + 1)) == NULL)
		return 0;
	b->p = t;
	memcpy(b->p + b->len, data, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;
	char buf[256], *m;

	if (len < sizeof(buf) && strncasecmp(line, "cache-control:", 14) == 0) {
		memcpy(buf, line, len);
		buf[len] = '\0';
		if ((m = strstr(buf, "max-age=")) != NULL)
			b->max_age = strtoull(m + 8, NULL, 10);
	}
	return len;
}

/*
 * One request: GET url, or POST form (already encoded).  0 with the body
 * (NUL-terminated) and the status; else a message for people.
 */
static int
http(struct ca_oidc *o, const char *url, const char *form, int auth,
    struct body *b, long *statusp, char *err, size_t errlen)
{
	CURL *c;
	CURLcode rc;
	char *user = NULL, *pass = NULL;
	int r = 0;

	memset(b, 0, sizeof(*b));
	if (!jit_url_https_or_loopback(url))
		return ca_errf(err, errlen, JIT_ERR_DENIED, "%s: the identity "
		    "provider must be reached over https (http only on "
		    "loopback)", url);
	if ((c = curl_easy_init()) == NULL)
		return JIT_ERR_ALLOC;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "jit-ssh-ca");
	if (form != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		/* client_secret_basic: id and secret form-encoded, RFC 6749 2.3.1 */
		if (auth && o->client_secret != NULL) {
			user = curl_easy_escape(c, o->client_id, 0);
			pass = curl_easy_escape(c, o->client_secret, 0);
			curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_USERNAME, user);
			curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
		}
	}
	rc = curl_easy_perform(c);
	if (b->too_big)
		r = ca_errf(err, errlen, JIT_ERR_FILE_TOO_LARGE, "%s: the identity "
		    "provider's answer is over %d bytes", url, CA_OIDC_BODY_MAX);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		r = ca_errf(err, errlen, JIT_ERR_SYSTEM, "%s: the "
		    "identity provider did not answer in %ld ms", url,
		    o->timeout_ms);
	else if (rc != CURLE_OK)
		r = ca_errf(err, errlen, JIT_ERR_SYSTEM, "%s: %s", url,
		    curl_easy_strerror(rc));
	else if (b->p == NULL && (b->p = strdup("")) == NULL)
		r = JIT_ERR_ALLOC;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, statusp);
	if (pass != NULL)
		explicit_bzero(pass, strlen(pass));
	curl_free(user);
	curl_free(pass);
	curl_easy_cleanup(c);
	if (r != 0) {
		free(b->p);
		b->p = NULL;
	}
	return r;
}

/* A JSON object from a body. */
static json_t *
object_of(const struct body *b)
{
	json_t *j = json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, NULL);

	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int
copy_url(const json_t *doc, const char *name, char *out, size_t len,
    char *err, size_t errlen)
{
	const char *v = json_string_value(json_object_get(doc, name));

	if (v == NULL || strlen(v) >= len || !jit_url_https_or_loopback(v))
		return ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the identity "
		    "provider's discovery document has no usable %s", name);
	strcpy(out, v);
	return 0;
}

/* Endpoints, once (under the lock). */
static int
discover(struct ca_oidc *o, char *err, size_t errlen)
{
	char url[600];
	struct body b;
	long status = 0;
	json_t *doc;
	const char *iss;
	int r;

	if (o->discovered)
		return 0;
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration",
	    o->issuer, o->issuer[strlen(o->issuer) - 1] == '/' ? "" : "/");
	if ((r = http(o, url, NULL, 0, &b, &status, err, errlen)) != 0)
		return r;
	doc = status == 200 ? object_of(&b) : NULL;
	free(b.p);
	if (doc == NULL)
		return ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "%s: no "
		    "discovery document (HTTP %ld)", url, status);
	iss = json_string_value(json_object_get(doc, "issuer"));
	if (iss == NULL || strcmp(iss, o->issuer) != 0)
		r = ca_errf(err, errlen, JIT_ERR_DENIED, "%s names issuer %s, not "
		    "%s", url, iss != NULL ? iss : "(none)", o->issuer);
	else if ((r = copy_url(doc, "device_authorization_endpoint",
	    o->device_ep, sizeof(o->device_ep), err, errlen)) == 0 &&
	    (r = copy_url(doc, "token_endpoint", o->token_ep,
	    sizeof(o->token_ep), err, errlen)) == 0 &&
	    (r = copy_url(doc, "jwks_uri", o->jwks_uri, sizeof(o->jwks_uri),
	    err, errlen)) == 0)
		o->discovered = 1;
	json_decref(doc);
	return r;
}

/* The key set: cached, or fetched (force: an unknown kid). */
static int
keys(struct ca_oidc *o, uint64_t now, int force, char *err, size_t errlen)
{
	struct ca_jwks *ks = NULL;
	struct body b;
	long status = 0;
	int r;

	if (o->jwks != NULL && !force && now < o->jwks_until)
		return 0;
	if ((r = http(o, o->jwks_uri, NULL, 0, &b, &status, err, errlen)) != 0)
		return r;
	if (status != 200)
		r = ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "%s: HTTP %ld",
		    o->jwks_uri, status);
	else
		r = ca_jwks_parse(b.p, b.len, &ks, err, errlen);
	if (r == 0) {
		ca_jwks_free(o->jwks);
		o->jwks = ks;
		o->jwks_until = now + (b.max_age > 0 ? (b.max_age <
		    JWKS_TTL_MAX ? b.max_age : JWKS_TTL_MAX) : JWKS_TTL_DEFAULT);
	}
	free(b.p);
	return r;
}

int
ca_oidc_new(const struct ca_oidc_cfg *cfg, struct ca_oidc **op)
{
	struct ca_oidc *o;

	*op = NULL;
	if (cfg->issuer == NULL || *cfg->issuer == '\0' ||
	    cfg->client_id == NULL || !jit_url_https_or_loopback(cfg->issuer))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return JIT_ERR_ALLOC;
	/*
	 * libcurl's global state, before any thread makes a handle (counted:
	 * ca_oidc_free()'s cleanup balances it).
	 */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(o);
		return JIT_ERR_LIBCRYPTO;
	}
	pthread_mutex_init(&o->lock, NULL);
	atomic_init(&o->refs, 1);
	o->issuer = strdup(cfg->issuer);
	o->client_id = strdup(cfg->client_id);
	o->client_secret = cfg->client_secret ? strdup(cfg->client_secret) :
	    NULL;
	o->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	o->scope = strdup(cfg->scope ? cfg->scope : "openid profile");
	o->skew = cfg->skew;
	o->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
	if (o->issuer == NULL || o->client_id == NULL || o->scope == NULL ||
	    (cfg->client_secret && !o->client_secret) ||
	    (cfg->ca_file && !o->ca_file)) {
		ca_oidc_free(o);
		return JIT_ERR_ALLOC;
	}
	*op = o;
	return 0;
}

struct ca_oidc *
ca_oidc_ref(struct ca_oidc *o)
{
	if (o != NULL)
		atomic_fetch_add(&o->refs, 1);
	return o;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

int
ca_oidc_same(const struct ca_oidc *o, const struct ca_oidc_cfg *c)
{
	return same_str(o->issuer, c->issuer) &&
	    same_str(o->client_id, c->client_id) &&
	    same_str(o->client_secret, c->client_secret) &&
	    same_str(o->ca_file, c->ca_file) &&
	    same_str(o->scope, c->scope ? c->scope : "openid profile") &&
	    o->skew == c->skew;
}

void
ca_oidc_free(struct ca_oidc *o)
{
	if (o == NULL || atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o->issuer);
	free(o->client_id);
	if (o->client_secret != NULL)
		explicit_bzero(o->client_secret, strlen(o->client_secret));
	free(o->client_secret);
	free(o->ca_file);
	free(o->scope);
	ca_jwks_free(o->jwks);
	free(o);
	curl_global_cleanup();
}

/* "a=b&c=d" with the values escaped. */
static char *
form_of(const char *const *kv)
{
	char *out = NULL, *v;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&out, &len)) == NULL)
		return NULL;
	for (i = 0; kv[i] != NULL; i += 2) {
		/* No handle needed to escape (libcurl 7.82 and later). */
		if ((v = curl_easy_escape(NULL, kv[i + 1], 0)) == NULL)
			break;
		fprintf(f, "%s%s=%s", i > 0 ? "&" : "", kv[i], v);
		curl_free(v);
	}
	fclose(f);
	return out;
}

static int
copy_str(const json_t *j, const char *name, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(j, name));

	if (v == NULL || strlen(v) >= len)
		return -1;
	strcpy(out, v);
	return 0;
}

int
ca_oidc_device_start(struct ca_oidc *o, uint64_t now, struct ca_oidc_device *d,
    char *err, size_t errlen)
{
	const char *kv[] = { "client_id", o->client_id, "scope", o->scope,
	    NULL };
	struct body b;
	long status = 0;
	json_t *j = NULL;
	json_int_t exp, iv;
	char *form;
	int r;

	memset(d, 0, sizeof(*d));
	pthread_mutex_lock(&o->lock);
	r = discover(o, err, errlen);
	pthread_mutex_unlock(&o->lock);
	if (r != 0)
		return r;
	if ((form = form_of(kv)) == NULL)
		return JIT_ERR_ALLOC;
	r = http(o, o->device_ep, form, 1, &b, &status, err, errlen);
	free(form);
	if (r != 0)
		return r;
	j = object_of(&b);
	if (status != 200 || j == NULL || copy_str(j, "device_code", d->device_code,
	    sizeof(d->device_code)) != 0 ||
	    copy_str(j, "user_code", d->user_code, sizeof(d->user_code)) != 0 ||
	    (copy_str(j, "verification_uri", d->uri, sizeof(d->uri)) != 0 &&
	    copy_str(j, "verification_url", d->uri, sizeof(d->uri)) != 0)) {
		const char *e = json_string_value(json_object_get(j, "error"));

		r = ca_errf(err, errlen, JIT_ERR_DENIED, "the identity provider "
		    "refused the device request (HTTP %ld%s%s)", status,
		    e ? ": " : "", e ? e : "");
		goto out;
	}
	(void)copy_str(j, "verification_uri_complete", d->uri_complete,
	    sizeof(d->uri_complete));
	exp = json_integer_value(json_object_get(j, "expires_in"));
	iv = json_integer_value(json_object_get(j, "interval"));
	d->expires = now + (uint64_t)(exp > 0 && exp < 3600 ? exp : 600);
	d->interval = (uint64_t)(iv > 0 && iv < 60 ? iv : 5);
 out:
	json_decref(j);
	free(b.p);
	return r;
}

static int
verify(struct ca_oidc *o, const char *token, uint64_t now, json_t **claimsp,
    char *err, size_t errlen)
{
	struct ca_jwt_expect e = { o->issuer, o->client_id, now, o->skew };
	int r;

	pthread_mutex_lock(&o->lock);
	if ((r = keys(o, now, 0, err, errlen)) == 0) {
		r = ca_jwt_verify(token, o->jwks, &e, claimsp, err, errlen);
		/* A kid the cached set lacks: the issuer rotated; once more. */
		if (r == JIT_ERR_NOT_FOUND &&
		    (r = keys(o, now, 1, err, errlen)) == 0)
			r = ca_jwt_verify(token, o->jwks, &e, claimsp, err,
			    errlen);
	}
	pthread_mutex_unlock(&o->lock);
	return r;
}

int
ca_oidc_device_poll(struct ca_oidc *o, struct ca_oidc_device *d, uint64_t now,
    json_t **claimsp, char *err, size_t errlen)
{
	const char *kv[] = { "grant_type", DEVICE_GRANT, "device_code",
	    d->device_code, "client_id", o->client_id, NULL };
	const char *e;
	struct body b;
	long status = 0;
	json_t *j;
	char *form;
	int r;

	*claimsp = NULL;
	if (now >= d->expires)
		return ca_errf(err, errlen, JIT_ERR_REQUEST_EXPIRED, "the sign-in "
		    "code %s expired before it was used", d->user_code);
	if ((form = form_of(kv)) == NULL)
		return JIT_ERR_ALLOC;
	r = http(o, o->token_ep, form, 1, &b, &status, err, errlen);
	free(form);
	if (r != 0)
		return r;
	j = object_of(&b);
	free(b.p);
	if (j == NULL)
		return ca_errf(err, errlen, JIT_ERR_INVALID_FORMAT, "the identity "
		    "provider's token answer is not JSON (HTTP %ld)", status);
	e = json_string_value(json_object_get(j, "error"));
	if (status == 200 && e == NULL)
		r = verify(o, json_string_value(json_object_get(j, "id_token")),
		    now, claimsp, err, errlen);
	else if (e != NULL && strcmp(e, "authorization_pending") == 0)
		r = 0;
	else if (e != NULL && strcmp(e, "slow_down") == 0) {
		d->interval += 5;	/* RFC 8628 3.5 */
		r = 0;
	} else if (e != NULL && strcmp(e, "access_denied") == 0)
		r = ca_errf(err, errlen, JIT_ERR_DENIED, "the sign-in was refused "
		    "at the identity provider");
	else if (e != NULL && strcmp(e, "expired_token") == 0)
		r = ca_errf(err, errlen, JIT_ERR_REQUEST_EXPIRED, "the sign-in "
		    "code %s expired before it was used", d->user_code);
	else
		r = ca_errf(err, errlen, JIT_ERR_DENIED, "the identity provider "
		    "refused the token request (HTTP %ld: %s)", status,
		    e != NULL ? e : "no error given");
	json_decref(j);
	return r;
}
