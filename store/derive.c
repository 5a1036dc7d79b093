/*
 * derive.c: the state the store keeps beside its log (requests,
 * revocations, the serial high-water mark, TOTP enrollments), derived from
 * the log alone, for `audit verify` to compare with what the tables say.
 * No LMDB here: verify.c feeds events in order and asks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "jtotp.h"
#include "store-impl.h"

/* A string-keyed open-addressing table of fixed-size values. */
struct table {
	char **keys;
	void *vals;
	size_t vsize, n, cap;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void *
table_find(const struct table *t, const char *key)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = hash_str(key) & (t->cap - 1); t->keys[i] != NULL;
	    i = (i + 1) & (t->cap - 1))
		if (strcmp(t->keys[i], key) == 0)
			return (char *)t->vals + i * t->vsize;
	return NULL;
}

static int
table_grow(struct table *t)
{
	struct table nt = { NULL, NULL, t->vsize, 0, t->cap ? t->cap * 2 : 64 };
	size_t i, j;

	if ((nt.keys = calloc(nt.cap, sizeof(*nt.keys))) == NULL ||
	    (nt.vals = calloc(nt.cap, nt.vsize)) == NULL) {
		free(nt.keys);
		return JIT_ERR_ALLOC;
	}
	for (i = 0; i < t->cap; i++) {
		if (t->keys[i] == NULL)
			continue;
		for (j = hash_str(t->keys[i]) & (nt.cap - 1); nt.keys[j] != NULL;
		    j = (j + 1) & (nt.cap - 1))
			;
		nt.keys[j] = t->keys[i];
		memcpy((char *)nt.vals + j * nt.vsize,
		    (char *)t->vals + i * t->vsize, t->vsize);
	}
	nt.n = t->n;
	free(t->keys);
	free(t->vals);
	*t = nt;
	return 0;
}

/* The value for key, added (zeroed) when new; NULL when out of memory. */
static void *
table_get(struct table *t, const char *key)
{
	void *v;
	size_t i;

	if ((v = table_find(t, key)) != NULL)
		return v;
	if ((t->n + 1) * 2 > t->cap && table_grow(t) != 0)
		return NULL;
	for (i = hash_str(key) & (t->cap - 1); t->keys[i] != NULL;
	    i = (i + 1) & (t->cap - 1))
		;
	if ((t->keys[i] = strdup(key)) == NULL)
		return NULL;
	t->n++;
	return (char *)t->vals + i * t->vsize;
}

static void
table_free(struct table *t, void (*fn)(void *))
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->keys[i] != NULL) {
			if (fn != NULL)
				fn((char *)t->vals + i * t->vsize);
			free(t->keys[i]);
		}
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

struct derive {
	struct table requests;	/* id -> struct store_derived_request */
	struct table enrolls;	/* user -> struct store_derived_enroll */
	struct table revoked;	/* decimal serial -> char (present) */
	struct table locks;	/* user -> struct store_derived_lock */
	struct table live;	/* decimal serial -> struct store_derived_live */
	uint64_t max_serial, now, max_time;
	int bound;		/* a ca-init event: the log holds everything */
};

struct derive *
store_derive_new(uint64_t now)
{
	struct derive *d = calloc(1, sizeof(*d));

	if (d != NULL) {
		d->requests.vsize = sizeof(struct store_derived_request);
		d->enrolls.vsize = sizeof(struct store_derived_enroll);
		d->revoked.vsize = 1;
		d->locks.vsize = sizeof(struct store_derived_lock);
		d->live.vsize = sizeof(struct store_derived_live);
		d->now = now;
	}
	return d;
}

static void
free_request(void *p)
{
	free(((struct store_derived_request *)p)->approvers);
}

static void
free_live(void *p)
{
	free(((struct store_derived_live *)p)->user);
}

static void
free_lock(void *p)
{
	free(((struct store_derived_lock *)p)->reason);
}

void
store_derive_free(struct derive *d)
{
	if (d == NULL)
		return;
	table_free(&d->requests, free_request);
	table_free(&d->enrolls, NULL);
	table_free(&d->revoked, NULL);
	table_free(&d->locks, free_lock);
	table_free(&d->live, free_live);
	free(d);
}

static int
append_name(char **list, const char *name)
{
	size_t a = *list != NULL ? strlen(*list) : 0, b = strlen(name);
	char *n;

	if ((n = realloc(*list, a + b + 2)) == NULL)
		return JIT_ERR_ALLOC;
	if (a > 0)
		n[a++] = ',';
	memcpy(n + a, name, b + 1);
	*list = n;
	return 0;
}

/*
 * A lock event sets the user's lock (its end in valid_before), an unlock
 * event clears it: the "held" flag says which came last.
 */
static int
derive_lock(struct derive *d, const struct jstore_event *ev)
{
	struct store_derived_lock *l;
	int lock = strcmp(ev->event, "lock") == 0;

	if ((!lock && strcmp(ev->event, "unlock") != 0) || ev->user[0] == '\0')
		return 0;
	if ((l = table_get(&d->locks, ev->user)) == NULL)
		return JIT_ERR_ALLOC;
	free(l->reason);
	l->reason = NULL;
	l->held = lock;
	l->until = lock ? ev->valid_before : 0;
	if (lock && (l->reason = strdup(ev->reason)) == NULL)
		return JIT_ERR_ALLOC;
	return 0;
}

static void derive_totp(struct derive *d, const struct jstore_event *ev);

int
store_derive_event(struct derive *d, const struct jstore_event *ev)
{
	struct store_derived_request *r;
	char key[24];
	int err;

	if (ev->serial > d->max_serial)	/* reserved before any use */
		d->max_serial = ev->serial;
	if (ev->time > d->max_time)
		d->max_time = ev->time;
	if (strcmp(ev->event, "revoke") == 0 && ev->serial != 0) {
		struct store_derived_live *l;

		snprintf(key, sizeof(key), "%llu", (unsigned long long)ev->serial);
		if (table_get(&d->revoked, key) == NULL)
			return JIT_ERR_ALLOC;
		if ((l = table_find(&d->live, key)) != NULL)
			l->gone = 1;
	}
	/* Certificates live now: what the live index must hold at least. */
	if (strcmp(ev->event, "issue") == 0 && ev->serial != 0 &&
	    ev->valid_before > d->now && ev->user[0] != '\0') {
		struct store_derived_live *l;

		snprintf(key, sizeof(key), "%llu", (unsigned long long)ev->serial);
		if ((l = table_get(&d->live, key)) == NULL)
			return JIT_ERR_ALLOC;
		free(l->user);
		if ((l->user = strdup(ev->user)) == NULL)
			return JIT_ERR_ALLOC;
		l->valid_before = ev->valid_before;
		l->gone = 0;
	}
	if (strcmp(ev->event, "ca-init") == 0)
		d->bound = 1;
	if (strcmp(ev->event, "enroll") == 0 && ev->user[0] != '\0') {
		struct store_derived_enroll *e = table_get(&d->enrolls, ev->user);

		if (e == NULL)
			return JIT_ERR_ALLOC;
		e->seq = ev->seq;
		snprintf(e->digest, sizeof(e->digest), "%s", ev->fingerprint);
		/* A new secret starts with a clean state. */
		e->anchored = d->bound;
		e->failures = 0;
		e->locked_until = e->last_step = 0;
	}
	derive_totp(d, ev);
	if ((err = derive_lock(d, ev)) != 0)
		return err;
	/* A session event's request_id is its session (session.c checks). */
	if (ev->request_id[0] == '\0' || strncmp(ev->event, "session-", 8) == 0)
		return 0;
	if (strcmp(ev->event, "request") == 0) {
		if ((r = table_get(&d->requests, ev->request_id)) == NULL)
			return JIT_ERR_ALLOC;
		r->seen = 1;
		r->state = JSTORE_REQ_PENDING;
		r->expires = ev->valid_before;
		return 0;
	}
	if ((r = table_find(&d->requests, ev->request_id)) == NULL) {
		/* A decision on a request never made: record that. */
		if ((r = table_get(&d->requests, ev->request_id)) == NULL)
			return JIT_ERR_ALLOC;
		r->orphan = 1;
	}
	if (strcmp(ev->event, "approve") == 0) {
		if (ev->valid_before != 0)
			r->expires = ev->valid_before;
		return append_name(&r->approvers, ev->approvers);
	}
	if (strcmp(ev->event, "deny") == 0)
		r->state = JSTORE_REQ_DENIED;
	else if (strcmp(ev->event, "expire") == 0)
		r->state = JSTORE_REQ_EXPIRED;
	else if (strcmp(ev->event, "remind") == 0)
		r->flags |= JSTORE_REQ_REMINDED;
	else if (strcmp(ev->event, "escalate") == 0)
		r->flags |= JSTORE_REQ_ESCALATED;
	else if (strcmp(ev->event, "issue") == 0) {
		r->state = JSTORE_REQ_ISSUED;
		r->serial = ev->serial;
	}
	return 0;
}

/* The code state: accepted codes, wrong ones, lockouts (store_totp_decide). */
static void
derive_totp(struct derive *d, const struct jstore_event *ev)
{
	struct store_derived_enroll *e;

	if (ev->user[0] == '\0' || (strcmp(ev->event, "mfa") != 0 &&
	    strcmp(ev->event, "mfa-fail") != 0 &&
	    strcmp(ev->event, "lockout") != 0) ||
	    (e = table_find(&d->enrolls, ev->user)) == NULL)
		return;
	if (strcmp(ev->event, "mfa") == 0) {
		/* An accepted code sets it all: from here it is on record. */
		e->anchored = 1;
		e->failures = 0;
		e->locked_until = 0;
		e->last_step = ev->valid_after / JTOTP_STEP;
	} else if (strcmp(ev->event, "mfa-fail") == 0) {
		if (strcmp(ev->reason, "wrong code") == 0 &&
		    e->failures < UINT32_MAX)
			e->failures++;
	} else if (ev->valid_before != 0)
		e->locked_until = ev->valid_before;
	else
		e->anchored = 0;	/* an older lockout: its end unrecorded */
}

const struct store_derived_request *
store_derive_request(struct derive *d, const char *id)
{
	return table_find(&d->requests, id);
}

const struct store_derived_enroll *
store_derive_enroll(struct derive *d, const char *user)
{
	return table_find(&d->enrolls, user);
}

int
store_derive_revoked(struct derive *d, uint64_t serial)
{
	char key[24];

	snprintf(key, sizeof(key), "%llu", (unsigned long long)serial);
	return table_find(&d->revoked, key) != NULL;
}

const struct store_derived_live *
store_derive_live(struct derive *d, uint64_t serial)
{
	const struct store_derived_live *l;
	char key[24];

	snprintf(key, sizeof(key), "%llu", (unsigned long long)serial);
	l = table_find(&d->live, key);
	return l != NULL && !l->gone &&
	    l->valid_before > store_derive_horizon(d) ? l : NULL;
}

uint64_t
store_derive_horizon(const struct derive *d)
{
	return d->max_time > d->now ? d->max_time : d->now;
}

const struct store_derived_lock *
store_derive_lock(struct derive *d, const char *user)
{
	const struct store_derived_lock *l = table_find(&d->locks, user);

	return l != NULL && l->held ? l : NULL;
}

size_t
store_derive_count(struct derive *d, int what)
{
	size_t i, n = 0;

	if (what == STORE_DERIVED_LIVE) {
		for (i = 0; i < d->live.cap; i++)
			if (d->live.keys[i] != NULL && !((const struct
			    store_derived_live *)d->live.vals)[i].gone &&
			    ((const struct store_derived_live *)
			    d->live.vals)[i].valid_before >
			    store_derive_horizon(d))
				n++;
		return n;
	}
	if (what == STORE_DERIVED_LOCKS) {
		for (i = 0; i < d->locks.cap; i++)
			if (d->locks.keys[i] != NULL && ((const struct
			    store_derived_lock *)d->locks.vals)[i].held)
				n++;
		return n;
	}
	return what == STORE_DERIVED_REQUESTS ? d->requests.n :
	    what == STORE_DERIVED_ENROLLS ? d->enrolls.n : d->revoked.n;
}

uint64_t
store_derive_max_serial(struct derive *d)
{
	return d->max_serial;
}

int
store_derive_each_request(struct derive *d,
    int (*cb)(const char *id, const struct store_derived_request *r,
    void *arg), void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < d->requests.cap; i++)
		if (d->requests.keys[i] != NULL && (r = cb(d->requests.keys[i],
		    (const struct store_derived_request *)d->requests.vals + i,
		    arg)) != 0)
			return r;
	return 0;
}

int
store_derive_each_enroll(struct derive *d,
    int (*cb)(const char *user, const struct store_derived_enroll *e,
    void *arg), void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < d->enrolls.cap; i++)
		if (d->enrolls.keys[i] != NULL && (r = cb(d->enrolls.keys[i],
		    (const struct store_derived_enroll *)d->enrolls.vals + i,
		    arg)) != 0)
			return r;
	return 0;
}
