/*
 * auth.c: authentication decisions for the service (see auth.h).  No SSH
 * here: session.c turns libssh's callbacks into these calls.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "auth.h"
#include "cadir.h"
#include "calog.h"
#include "jit-remote.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"
#include "jtext.h"
#include "jtotp.h"
#include "svc.h"
#include "totp-seal.h"

#define AUTH_FAIL_EVENTS_PER_MIN 10	/* durable auth-fail events per address */
#define GRACE_SLOTS		512

struct auth_tables {
	pthread_mutex_t lock;
	struct failrate {	/* auth-fail events recorded per address */
		char addr[INET6_ADDRSTRLEN];
		uint64_t window;	/* start of the current minute */
		unsigned n, dropped;
	} failrate[256];
	struct grace {		/* defaults.mfa_grace: recent verified codes */
		char user[65], addr[INET6_ADDRSTRLEN], fp[64];
		unsigned char sealed_hash[32];	/* of the secret it verified */
		uint64_t time;
	} grace[GRACE_SLOTS];
	size_t grace_next;
};

struct auth_tables *
auth_tables_new(void)
{
	struct auth_tables *t = calloc(1, sizeof(*t));

	if (t != NULL)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
auth_tables_free(struct auth_tables *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	jit_wipe(t, sizeof(*t));
	free(t);
}

void
auth_forget_grace(struct auth_tables *t)
{
	pthread_mutex_lock(&t->lock);
	memset(t->grace, 0, sizeof(t->grace));
	pthread_mutex_unlock(&t->lock);
}

void
auth_refused(struct auth *a)
{
	if (++a->auth_failures >= AUTH_MAX_FAILURES && !a->kick) {
		a->kick = 1;
		snprintf(a->notice, sizeof(a->notice), "jit-ssh: %d refused "
		    "authentication attempts on one connection (keys and codes "
		    "together): the CA ends it\n", AUTH_MAX_FAILURES);
	}
}

void
auth_clear(struct auth *a)
{
	jkey_free(a->identity);
	a->identity = NULL;
}

/*
 * Whether another auth-fail from addr goes on record: at most
 * AUTH_FAIL_EVENTS_PER_MIN per address and minute.  When a new minute
 * begins, *droppedp says how many of the last one were only counted.
 */
static int
auth_fail_admit(struct auth_tables *t, const char *addr, uint64_t now,
    unsigned *droppedp)
{
	struct failrate *f = NULL, *oldest = &t->failrate[0];
	size_t i;
	int ok;

	*droppedp = 0;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < sizeof(t->failrate) / sizeof(t->failrate[0]); i++) {
		if (strcmp(t->failrate[i].addr, addr) == 0) {
			f = &t->failrate[i];
			break;
		}
		if (t->failrate[i].window < oldest->window)
			oldest = &t->failrate[i];
	}
	if (f == NULL) {	/* reuse the slot idle longest */
		f = oldest;
		snprintf(f->addr, sizeof(f->addr), "%s", addr);
		f->window = now;
		f->n = f->dropped = 0;
	} else if (now - f->window >= 60) {
		*droppedp = f->dropped;
		f->window = now;
		f->n = f->dropped = 0;
	}
	if ((ok = f->n < AUTH_FAIL_EVENTS_PER_MIN))
		f->n++;
	else
		f->dropped++;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/*
 * Records a refused user or key, rate-limited per address.  The user name
 * is the client's: it is recorded escaped (the log holds clean text only).
 */
static void
record_auth_fail(struct auth *a, const char *user, const char *fp)
{
	char why[128], *u = jtext_escape_dup(user, strlen(user));
	unsigned dropped;

	if (u == NULL)
		return;
	if (!auth_fail_admit(a->tables, a->addr, jit_now(),
	    &dropped)) {
		free(u);
		return;
	}
	if (dropped > 0) {
		snprintf(why, sizeof(why), "%u more auth failures in the last "
		    "minute were counted, not recorded", dropped);
		ca_log("auth-fail from %s: %s", a->addr, why);
		svc_event(a->svc, "auth-fail", NULL, a->addr, why, NULL);
	}
	ca_log("auth-fail user=%s key=%s from %s", user, fp != NULL ? fp : "?",
	    a->addr);	/* ca_log escapes */
	svc_event(a->svc, "auth-fail", strlen(u) <= 64 ? u : NULL, a->addr,
	    "unknown user or key", fp);
	free(u);
}

static void
sealed_hash(const unsigned char *sealed, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(sealed, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

static int
any_event(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 1;
}

/*
 * defaults.mfa_grace: a verified code also covers later connections by the
 * same user, with the same identity key, from the same address, for that
 * long; but not past a re-enrollment (the stored secret is another), a
 * lockout (checked by the caller), a revocation of one of the user's
 * certificates (on record after the code), or a policy reload (which
 * empties the table).  Returns the time of that code, or 0.
 */
static uint64_t
grace_lookup(struct auth *a, const char *fp, uint64_t grace,
    const struct jstore_totp *rec)
{
	struct auth_tables *t = a->tables;
	struct jstore_filter f;
	unsigned char h[32];
	uint64_t now = jit_now(), when = 0;
	size_t i;

	if (grace == 0)
		return 0;
	sealed_hash(rec->secret, rec->secret_len, h);
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < GRACE_SLOTS; i++) {
		struct grace *g = &t->grace[i];

		if (g->time != 0 && now - g->time < grace &&
		    strcmp(g->user, a->user) == 0 &&
		    strcmp(g->addr, a->addr) == 0 && strcmp(g->fp, fp) == 0 &&
		    jit_timingsafe_eq(g->sealed_hash, h, sizeof(h)) &&
		    g->time > when)
			when = g->time;
	}
	pthread_mutex_unlock(&t->lock);
	if (when == 0)
		return 0;
	/* A revocation or a lock of the user since the code ends the grace. */
	memset(&f, 0, sizeof(f));
	f.user = a->user;
	f.since = when;
	f.event = "revoke";
	if (jstore_query(a->svc->store, &f, any_event, NULL) != 0)
		return 0;	/* revoked since (or the query failed) */
	f.event = "lock";
	if (jstore_query(a->svc->store, &f, any_event, NULL) != 0)
		return 0;
	return when;
}

static void
grace_remember(struct auth *a, const unsigned char hash[32])
{
	struct auth_tables *t = a->tables;
	struct grace *g;
	char *fp = NULL;

	if (jkey_fingerprint(a->identity, &fp) != 0)
		return;
	pthread_mutex_lock(&t->lock);
	g = &t->grace[t->grace_next++ % GRACE_SLOTS];
	snprintf(g->user, sizeof(g->user), "%s", a->user);
	snprintf(g->addr, sizeof(g->addr), "%s", a->addr);
	snprintf(g->fp, sizeof(g->fp), "%s", fp);
	memcpy(g->sealed_hash, hash, sizeof(g->sealed_hash));
	g->time = a->mfa_time;
	pthread_mutex_unlock(&t->lock);
	free(fp);
}

struct enrolled {
	const char *name;
	int yes;
};

static int
enroll_state(const struct jstore_event *ev, void *arg)
{
	struct enrolled *e = arg;

	/* Oldest first: the newest event about this key decides. */
	if (strcmp(ev->event, "host-enroll") == 0)
		e->yes = strcmp(ev->principals, e->name) == 0;
	else if (strcmp(ev->event, "host-remove") == 0)
		e->yes = 0;
	return 0;
}

int
auth_host_enrolled(struct svc *s, const char *name, const char *fp)
{
	struct enrolled e = { name, 0 };
	struct jstore_filter f;
	int r;

	memset(&f, 0, sizeof(f));
	f.fingerprint = fp;
	if ((r = jstore_query(s->store, &f, enroll_state, &e)) != 0)
		return r;
	return e.yes;
}

/*
 * An enrolled host (SSH user "host:NAME"): its key, found through the
 * log's fingerprint index.  Hosts owe no code; their sessions run host
 * commands only (rpc.c).
 */
static enum auth_result
auth_host(struct auth *a, const char *name, struct jkey *k, int signed_)
{
	char *fp = NULL;
	int ok;

	if (*name == '\0' || strlen(name) >= sizeof(a->host) ||
	    jkey_fingerprint(k, &fp) != 0) {
		free(fp);
		jkey_free(k);
		auth_refused(a);
		return AUTH_DENIED;
	}
	if ((ok = auth_host_enrolled(a->svc, name, fp)) != 1) {
		if (ok < 0)
			ca_log("host %s: %s: refused", name, jit_strerror(ok));
		else if (signed_ || a->auth_fail_logged++ == 0)
			record_auth_fail(a, name, fp);
		free(fp);
		jkey_free(k);
		auth_refused(a);
		return AUTH_DENIED;
	}
	free(fp);
	if (!signed_) {
		jkey_free(k);
		return AUTH_OK;
	}
	snprintf(a->user, sizeof(a->user), "host:%.59s", name);
	snprintf(a->host, sizeof(a->host), "%s", name);
	jkey_free(a->identity);
	a->identity = k;
	a->authed = 1;
	return AUTH_OK;
}

enum auth_result
auth_publickey(struct auth *a, const char *user, struct jkey *k, int signed_)
{
	struct jpolicy *p;
	struct jstore_totp t;
	int ok, r;

	if (a->kick || k == NULL || (strncmp(user, "host:", 5) != 0 &&
	    strlen(user) >= sizeof(a->user))) {
		jkey_free(k);
		auth_refused(a);
		return AUTH_DENIED;
	}
	if (strncmp(user, "host:", 5) == 0)
		return auth_host(a, user + 5, k, signed_);
	p = svc_policy_get(a->svc);
	ok = jpolicy_user_has_key(p, user, k);
	svc_policy_put(a->svc, p);
	if (!ok) {
		if (signed_ || a->auth_fail_logged++ == 0) {
			char *fp = NULL;

			(void)jkey_fingerprint(k, &fp);
			record_auth_fail(a, user, fp);
			free(fp);
		}
		jkey_free(k);
		auth_refused(a);
		return AUTH_DENIED;
	}
	if (!signed_) {
		jkey_free(k);
		return AUTH_OK;		/* "this key would do" */
	}
	snprintf(a->user, sizeof(a->user), "%s", user);
	jkey_free(a->identity);
	a->identity = k;
	/*
	 * Enrolled users owe a verification code next, unless in grace.  A
	 * record that cannot be read or is not the user's latest enrollment
	 * (restored, edited) fails closed: it never means "not enrolled".
	 */
	if ((r = jstore_totp_get(a->svc->store, user, &t)) != 0 &&
	    r != JIT_ERR_NOT_FOUND) {
		ca_log("mfa user=%s: %s: refused", user, jit_strerror(r));
		auth_clear(a);
		if (r == JIT_ERR_STORE_UNAVAILABLE) {
			/* Not the user's fault: say so, and end the session. */
			snprintf(a->notice, sizeof(a->notice), "%s (%s): try "
			    "again shortly, or another CA\n", JIT_BANNER_STORE_DOWN,
			    jit_strerror(r));
			a->kick = 1;
		}
		auth_refused(a);
		return AUTH_DENIED;
	}
	if (r == 0) {
		char *fp = NULL;
		uint64_t grace, when = 0;

		p = svc_policy_get(a->svc);
		grace = jpolicy_mfa_grace(p);
		svc_policy_put(a->svc, p);
		/*
		 * No grace past a lockout: a lockout sets locked_until, and
		 * only a verified code (which grants grace) clears it.
		 */
		if (grace > 0 && t.locked_until == 0 &&
		    jkey_fingerprint(k, &fp) == 0)
			when = grace_lookup(a, fp, grace, &t);
		jit_wipe(&t, sizeof(t));
		free(fp);
		if (when != 0) {
			a->mfa_done = 1;
			a->mfa_time = when;
			a->authed = 1;
			return AUTH_OK;
		}
		a->pk_ok = 1;
		return AUTH_PARTIAL;
	}
	a->authed = 1;
	return AUTH_OK;
}

struct code_arg {
	struct auth *a;
	const char *code;
	uint64_t now;
	int unsealed;	/* 0: the stored secret did not open */
	unsigned char sealed_hash[32];	/* for mfa_grace */
};

/* Runs inside the store's check: opens the sealed secret, checks the code. */
static int
verify_code(const unsigned char *sealed, size_t len, void *arg,
    uint64_t *stepp)
{
	struct code_arg *c = arg;
	unsigned char secret[CA_TOTP_SECRET_MAX];
	size_t secret_len = 0;
	int r;

	if (ca_totp_open(c->a->svc->totp_key, c->a->user, sealed, len,
	    secret, sizeof(secret), &secret_len) != 0)
		return JIT_ERR_DENIED;
	c->unsealed = 1;
	sealed_hash(sealed, len, c->sealed_hash);
	r = jtotp_verify(secret, secret_len, c->code, c->now, stepp);
	jit_wipe(secret, sizeof(secret));
	return r;
}

/* Why a code was refused, in words for the client (an SSH banner). */
static void
tell_code(int r, const struct jstore_totp_check *c, uint64_t now, char *why,
    size_t len)
{
	char left[32];

	if (r == JIT_ERR_TOTP_LOCKED || c->locked_until > now) {
		jpolicy_format_duration(c->locked_until > now ?
		    c->locked_until - now : 1, left, sizeof(left));
		snprintf(why, len, "jit-ssh: locked out after %d wrong codes in "
		    "a row: try again in %s\n", AUTH_MAX_TOTP_FAILURES, left);
	} else if (r == JIT_ERR_TOTP_REPLAY)
		snprintf(why, len, "%s: the next one comes in %llu s\n",
		    JIT_BANNER_CODE_USED, (unsigned long long)(JTOTP_STEP -
		    now % JTOTP_STEP));
	else if (r == JIT_ERR_TOTP_WRONG)
		snprintf(why, len, "jit-ssh: wrong code (%u of %d before a "
		    "lockout)\n", c->failures, AUTH_MAX_TOTP_FAILURES);
}

/*
 * Checks a code.  The store counts it and locks out (growing back-off) in
 * the same transaction that reads the state, so parallel connections get
 * AUTH_MAX_TOTP_FAILURES codes checked between them, no more.
 */
enum auth_result
auth_code(struct auth *a, const char *code, char *why, size_t len)
{
	struct code_arg arg = { a, code, jit_now(), 0, { 0 } };
	struct jstore_totp_check c;
	int r;

	why[0] = '\0';
	if (code == NULL) {	/* no answer at all */
		a->code_failures++;
		auth_refused(a);
		return AUTH_DENIED;
	}
	if (*code == '\0') {	/* no code: ca-keys, krl, help only */
		a->codeless = 1;
		a->authed = 1;
		return AUTH_OK;
	}
	memset(&c, 0, sizeof(c));
	c.now = arg.now;
	c.max_failures = AUTH_MAX_TOTP_FAILURES;
	c.source = a->addr;
	c.verify = verify_code;
	c.arg = &arg;
	r = jstore_totp_check(a->svc->store, a->user, &c);
	if (r == 0) {
		a->mfa_done = 1;
		a->mfa_time = arg.now;
		a->authed = 1;
		grace_remember(a, arg.sealed_hash);
		return AUTH_OK;
	}
	if (r != JIT_ERR_TOTP_REPLAY) {	/* a right code, typed twice */
		a->code_failures++;
		auth_refused(a);
	}
	tell_code(r, &c, arg.now, why, len);
	if (r == JIT_ERR_TOTP_LOCKED) {
		ca_log("mfa-fail user=%s from %s (locked out for %llu s more)",
		    a->user, a->addr,
		    (unsigned long long)(c.locked_until - arg.now));
		return AUTH_DENIED;
	}
	if (r != JIT_ERR_TOTP_WRONG && r != JIT_ERR_TOTP_REPLAY) {
		ca_log("mfa user=%s: %s", a->user, jit_strerror(r));
		return AUTH_DENIED;
	}
	if (!arg.unsealed)
		ca_log("mfa user=%s: the stored secret does not open with %s: "
		    "re-enroll the user", a->user, CA_TOTP_KEY);
	ca_log("mfa-fail user=%s from %s (%s, %u in a row)", a->user, a->addr,
	    r == JIT_ERR_TOTP_REPLAY ? "code reused" : "wrong code",
	    c.failures);
	if (c.locked_now)	/* the event is on record: the notifier tells */
		ca_log("lockout user=%s: %u wrong codes in a row: locked for "
		    "%llu s", a->user, c.failures,
		    (unsigned long long)(c.locked_until - arg.now));
	return AUTH_DENIED;
}
