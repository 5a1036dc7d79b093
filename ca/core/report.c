/*
 * report.c: the access review's walk.  The period's events are read once,
 * oldest first, through the store's time index; what a finding needs is
 * kept in tables keyed by name, by (user, role), by serial (only while a
 * certificate is live, plus an hour for late recordings) and by request
 * (only while it is open).  At the end the tables become the model: a
 * JSON document the renderers draw (report-out.c, report-html.c).
 *
 * Findings (docs/OPERATIONS.md "The access review" says what each means):
 * out-of-hours, rubber-stamp, break-glass, unused-grant, standing-access,
 * unused-role, inactive-user, refused, closure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"
#include "textout.h"
#include "timefmt.h"

#define NAMES_MAX	100000	/* users, roles, approvers; then "(other)" */
#define DAY_ROLES_MAX	24	/* roles drawn per day; the rest "(other)" */
#define DAYS_MAX	3700	/* about ten years */
#define SEQS_MAX	20	/* evidence listed per finding */
#define REQS_MAX	8	/* requests named per finding */
#define EACH_MAX	200	/* findings of one use each, per kind */
#define SUBJECTS_MAX	10000	/* users and addresses tallied for refusals */
#define GRACE		3600	/* a recording may reach the CA this late */
#define CHAIN_GAP	900	/* back to back: the next within 15 minutes */
#define CLOCK_SLACK	60	/* host and CA clocks */
#define SWEEP_EVERY	300
#define HIST_SECS	86400	/* latencies: to the second up to a day, */
#define HIST_HOURS	9600	/* then to the hour (400 days) */
#define RUBBER_MIN	4	/* a role's requests before "more than half" */

enum kind {
	K_OOH, K_RUBBER, K_BREAK, K_UNUSED_GRANT, K_STANDING, K_UNUSED_ROLE,
	K_INACTIVE, K_REFUSED, K_CLOSURE, K_N
};

static const char *const kind_name[K_N] = { "out-of-hours", "rubber-stamp",
    "break-glass", "unused-grant", "standing-access", "unused-role",
    "inactive-user", "refused", "closure" };
static const char *const kind_sev[K_N] = { "medium", "medium", "high", "low",
    "high", "low", "low", "medium", "high" };

/* An open-addressing table: 64-bit key to 32-bit slot (linear probing). */
struct map {
	uint64_t *keys;
	uint32_t *vals;		/* slot + 1; 0: empty */
	size_t cap, n;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t
hash_str(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int
map_grow(struct map *m)
{
	struct map n = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
	size_t i, j;

	if ((n.keys = calloc(n.cap, sizeof(*n.keys))) == NULL ||
	    (n.vals = calloc(n.cap, sizeof(*n.vals))) == NULL) {
		free(n.keys);
		return JIT_ERR_ALLOC;
	}
	for (i = 0; i < m->cap; i++) {
		if (m->vals[i] == 0)
			continue;
		for (j = mix(m->keys[i]) & (n.cap - 1); n.vals[j] != 0;
		    j = (j + 1) & (n.cap - 1))
			;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.n++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

/* The slot for key, or -1. */
static long
map_get(const struct map *m, uint64_t key)
{
	size_t j;

	if (m->cap == 0)
		return -1;
	for (j = mix(key) & (m->cap - 1); m->vals[j] != 0;
	    j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key)
			return (long)m->vals[j] - 1;
	return -1;
}

static int
map_put(struct map *m, uint64_t key, uint32_t slot)
{
	size_t j;
	int r;

	if ((m->n + 1) * 2 > m->cap && (r = map_grow(m)) != 0)
		return r;
	for (j = mix(key) & (m->cap - 1); m->vals[j] != 0;
	    j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key)
			break;
	if (m->vals[j] == 0)
		m->n++;
	m->keys[j] = key;
	m->vals[j] = slot + 1;
	return 0;
}

/* Removes key, moving later entries of its run back (no tombstones). */
static void
map_del(struct map *m, uint64_t key)
{
	size_t i, j, k;

	if (m->cap == 0)
		return;
	for (i = mix(key) & (m->cap - 1); m->vals[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			break;
	if (m->vals[i] == 0)
		return;
	m->vals[i] = 0;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->vals[j] != 0;
	    j = (j + 1) & (m->cap - 1)) {
		k = mix(m->keys[j]) & (m->cap - 1);
		/* Stays when its home lies cyclically in (i, j]. */
		if ((i < j) ? (k > i && k <= j) : (k > i || k <= j))
			continue;
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		m->vals[j] = 0;
		i = j;
	}
}

static void
map_free(struct map *m)
{
	free(m->keys);
	free(m->vals);
}

/* A grown array of fixed-size items with a free list. */
struct pool {
	unsigned char *items;
	size_t size, n, cap;
	uint32_t *free;
	size_t nfree;
};

static long
pool_take(struct pool *p)
{
	size_t i;
	void *t;

	if (p->nfree > 0)
		i = p->free[--p->nfree];
	else {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;

			if ((t = realloc(p->items, cap * p->size)) == NULL)
				return -1;
			p->items = t;
			if ((t = realloc(p->free, cap * sizeof(*p->free))) ==
			    NULL)
				return -1;
			p->free = t;
			p->cap = cap;
		}
		i = p->n++;
	}
	memset(p->items + i * p->size, 0, p->size);
	return (long)i;
}

static void *
pool_at(const struct pool *p, long i)
{
	return p->items + (size_t)i * p->size;
}

static void
pool_give(struct pool *p, long i)
{
	p->free[p->nfree++] = (uint32_t)i;
}

/* Seconds, counted exactly up to a day and by the hour beyond. */
struct hist {
	uint32_t *sec, *hour;
	uint64_t n, max;
};

static int
hist_add(struct hist *h, uint64_t v)
{
	if (h->sec == NULL &&
	    ((h->sec = calloc(HIST_SECS, sizeof(*h->sec))) == NULL ||
	    (h->hour = calloc(HIST_HOURS, sizeof(*h->hour))) == NULL))
		return JIT_ERR_ALLOC;
	if (v < HIST_SECS)
		h->sec[v]++;
	else
		h->hour[v / 3600 < HIST_HOURS ? v / 3600 : HIST_HOURS - 1]++;
	h->n++;
	if (v > h->max)
		h->max = v;
	return 0;
}

/* The smallest v with at least q percent of the values at or below it. */
static uint64_t
hist_pct(const struct hist *h, unsigned q)
{
	uint64_t want = (h->n * q + 99) / 100, seen = 0;
	size_t i;

	if (h->n == 0)
		return 0;
	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_SECS; i++)
		if ((seen += h->sec[i]) >= want)
			return i;
	for (i = 0; i < HIST_HOURS; i++)
		if ((seen += h->hour[i]) >= want)
			return i * 3600 + 3599 < h->max ? i * 3600 + 3599 : h->max;
	return h->max;
}

/* How many values fall in [lo, hi). */
static uint64_t
hist_range(const struct hist *h, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0, v;

	if (h->n == 0)
		return 0;
	for (v = lo; v < hi && v < HIST_SECS; v++)
		n += h->sec[v];
	for (v = lo > HIST_SECS ? lo / 3600 : HIST_SECS / 3600;
	    hi > HIST_SECS && v < HIST_HOURS && v * 3600 < hi; v++)
		n += h->hour[v];
	return n;
}

/* A finding, kept while the walk goes on. */
struct agg {
	int kind;
	uint32_t user, role;	/* names; UINT32_MAX: none */
	uint64_t count, min, max;
	uint64_t requests;	/* out-of-hours: how many were requests */
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
	char reqs[REQS_MAX][JSTORE_REQUEST_ID_LEN + 1];
	size_t nreqs;
	char text[320];		/* one finding per use: what it was */
};

struct cert {
	uint64_t serial, seq, bg_seq, issued, valid_before;
	uint64_t revoked_at, revoke_seq, first_use;
	uint32_t user, role, sessions;
	uint64_t sess_seqs[4];
	char reason[160];
};

struct pending {
	char id[JSTORE_REQUEST_ID_LEN + 1];
	uint64_t time, seq, last_approval;
	uint32_t user, role;
};

struct chain {
	uint32_t user, role;
	uint64_t start, end, n;
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
};

struct subject {
	char key[80];		/* "user NAME" or "address ADDR" */
	uint64_t hour, in_hour, worst, worst_hour;
	uint64_t fails, lockouts, denied;
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
};

struct rep {
	struct jstore *st;
	const struct jpolicy *p;
	const struct ca_report_opts *o;
	int err;
	/* Names. */
	char **names;
	size_t nnames, capnames;
	struct map names_ix;
	unsigned char *active, *asked;	/* by name */
	uint64_t *role_issued, *role_requests;	/* by name */
	/* Counts. */
	uint64_t events, first_seq, last_seq;
	unsigned char last_hash[32];
	uint64_t requests, approvals, denials, withdrawals, expiries;
	uint64_t issuances, revocations, break_glass, sessions, fails;
	uint64_t lockouts, certs_done, certs_used;
	struct hist latency, first_use;
	uint64_t heat[7][24];		/* Monday first, local hours */
	/* Issuances per local day, for the first DAY_ROLES_MAX roles. */
	uint64_t day0, ndays;
	uint32_t day_role[DAY_ROLES_MAX];	/* name of column c */
	size_t nday_roles;
	uint32_t *days;			/* ndays x (DAY_ROLES_MAX + 1) */
	/* Tables. */
	struct pool certs, pend, chains, subjects, aggs, decided;
	struct map certs_ix, pend_ix, chains_ix, subjects_ix, aggs_ix;
	struct map decided_ix;
	uint64_t each[K_N];		/* findings of one use each, so far */
	uint64_t next_sweep, untallied;
	int hosts_enrolled;
};

struct decided {
	uint32_t role, approver;
	uint64_t n;
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
};

#define NONE	UINT32_MAX

static uint32_t
name_of(struct rep *R, const char *s)
{
	uint64_t h;
	long i;
	void *t;

	if (s == NULL || *s == '\0')
		return NONE;
	h = hash_str(s, 0);
	/* Collisions of 64-bit hashes: compared, and then probed on. */
	for (;; h = mix(h + 1)) {
		if ((i = map_get(&R->names_ix, h)) < 0)
			break;
		if (strcmp(R->names[i], s) == 0)
			return (uint32_t)i;
	}
	if (R->nnames >= NAMES_MAX)
		return name_of(R, "(other)") == NONE ? NONE :
		    (uint32_t)map_get(&R->names_ix, hash_str("(other)", 0));
	if (R->nnames == R->capnames) {
		size_t cap = R->capnames ? R->capnames * 2 : 256;

		if ((t = realloc(R->names, cap * sizeof(char *))) == NULL)
			goto fail;
		R->names = t;
		if ((t = realloc(R->active, cap)) == NULL)
			goto fail;
		R->active = t;
		if ((t = realloc(R->asked, cap)) == NULL)
			goto fail;
		R->asked = t;
		if ((t = realloc(R->role_issued, cap * sizeof(uint64_t))) ==
		    NULL)
			goto fail;
		R->role_issued = t;
		if ((t = realloc(R->role_requests, cap * sizeof(uint64_t))) ==
		    NULL)
			goto fail;
		R->role_requests = t;
		R->capnames = cap;
	}
	if ((R->names[R->nnames] = strdup(s)) == NULL ||
	    map_put(&R->names_ix, h, (uint32_t)R->nnames) != 0)
		goto fail;
	R->active[R->nnames] = 0;
	R->asked[R->nnames] = 0;
	R->role_issued[R->nnames] = 0;
	R->role_requests[R->nnames] = 0;
	return (uint32_t)R->nnames++;
 fail:
	R->err = JIT_ERR_ALLOC;
	return NONE;
}

static const char *
name_str(const struct rep *R, uint32_t i)
{
	return i == NONE ? NULL : R->names[i];
}

static void
seq_add(uint64_t *seqs, size_t *n, uint64_t seq)
{
	if (seq != 0 && *n < SEQS_MAX && (*n == 0 || seqs[*n - 1] != seq))
		seqs[(*n)++] = seq;
}

/*
 * The finding of kind for (user, role): found or made.  each: one finding
 * per use (break-glass, closure), up to EACH_MAX of a kind; past that the
 * uses are counted in one finding that says so.
 */
static struct agg *
agg_of(struct rep *R, int kind, uint32_t user, uint32_t role, int each)
{
	uint64_t key;
	struct agg *a;
	long i;

	if (each && R->each[kind]++ >= EACH_MAX) {
		each = 0;
		user = role = NONE;
	}
	key = each ? mix(((uint64_t)kind << 56) ^ R->each[kind] ^
	    0x9e3779b97f4a7c15ULL) : ((uint64_t)kind << 56) ^
	    ((uint64_t)(user & 0xfffffff) << 28) ^ (role & 0xfffffff);
	if (!each && (i = map_get(&R->aggs_ix, key)) >= 0)
		return pool_at(&R->aggs, i);
	if ((i = pool_take(&R->aggs)) < 0 ||
	    map_put(&R->aggs_ix, key, (uint32_t)i) != 0) {
		R->err = JIT_ERR_ALLOC;
		return NULL;
	}
	a = pool_at(&R->aggs, i);
	a->kind = kind;
	a->user = user;
	a->role = role;
	a->min = UINT64_MAX;
	if (user == NONE && role == NONE && kind != K_REFUSED &&
	    R->each[kind] > EACH_MAX)
		snprintf(a->text, sizeof(a->text), "more %s findings than the "
		    "report lists one by one: see the log", kind_name[kind]);
	return a;
}

static void
agg_note(struct agg *a, uint64_t v, uint64_t seq)
{
	if (a == NULL)
		return;
	a->count++;
	if (v < a->min)
		a->min = v;
	if (v > a->max)
		a->max = v;
	seq_add(a->seqs, &a->nseqs, seq);
}

static void
agg_req(struct agg *a, const char *id)
{
	size_t i;

	if (a == NULL || id == NULL || *id == '\0')
		return;
	for (i = 0; i < a->nreqs; i++)
		if (strcmp(a->reqs[i], id) == 0)
			return;
	if (a->nreqs < REQS_MAX)
		snprintf(a->reqs[a->nreqs++], sizeof(a->reqs[0]), "%s", id);
}

static long
local_off(const struct rep *R, uint64_t t)
{
	return jpolicy_review_tz_offset(R->p, t);
}

static uint64_t
local_day(const struct rep *R, uint64_t t)
{
	long off = local_off(R, t);

	return ((int64_t)t + off < 0 ? 0 : (uint64_t)((int64_t)t + off)) /
	    86400;
}

static int
is(const struct jstore_event *ev, const char *name)
{
	return strcmp(ev->event, name) == 0;
}

/* Out of hours: requests and issuances. */
static void
note_hours(struct rep *R, const struct jstore_event *ev, uint32_t u,
    uint32_t role)
{
	if (!jpolicy_review_in_hours(R->p, ev->time)) {
		struct agg *a = agg_of(R, K_OOH, u, role, 0);

		agg_note(a, ev->time, ev->seq);
		if (a != NULL && is(ev, "request"))
			a->requests++;
		agg_req(a, ev->request_id);
	}
}

static void
note_issue_day(struct rep *R, uint64_t t, uint32_t role)
{
	uint64_t d = local_day(R, t), local;
	size_t c;
	long off = local_off(R, t);
	unsigned wd, hr;

	if (d >= R->day0 && d - R->day0 < R->ndays) {
		for (c = 0; c < R->nday_roles && R->day_role[c] != role; c++)
			;
		if (c == R->nday_roles && c < DAY_ROLES_MAX)
			R->day_role[R->nday_roles++] = role;
		R->days[(d - R->day0) * (DAY_ROLES_MAX + 1) + c]++;
	}
	local = (uint64_t)((int64_t)t + off);
	/* 1970-01-01 was a Thursday: Monday first, it is index 3. */
	wd = (unsigned)((local / 86400 + 3) % 7);
	hr = (unsigned)(local % 86400 / 3600);
	R->heat[wd][hr]++;
}

static struct cert *
cert_get(struct rep *R, uint64_t serial)
{
	long i = map_get(&R->certs_ix, serial);

	return i < 0 ? NULL : pool_at(&R->certs, i);
}

static void
close_chain(struct rep *R, uint32_t u, uint32_t role, struct chain *c)
{
	uint64_t end = c->end < R->o->until ? c->end : R->o->until;
	size_t i;

	if (c->n >= 2 && end > c->start &&
	    end - c->start > jpolicy_review_standing_after(R->p)) {
		struct agg *a = agg_of(R, K_STANDING, u, role, 0);

		if (a == NULL)
			return;
		agg_note(a, end - c->start, 0);
		a->count += c->n - 1;	/* count: certificates */
		for (i = 0; i < c->nseqs; i++)
			seq_add(a->seqs, &a->nseqs, c->seqs[i]);
	}
}

static void
note_chain(struct rep *R, const struct jstore_event *ev, uint32_t u,
    uint32_t role)
{
	uint64_t key = ((uint64_t)u << 32) | role;
	struct chain *c;
	long i;

	if ((i = map_get(&R->chains_ix, key)) < 0) {
		if ((i = pool_take(&R->chains)) < 0 ||
		    map_put(&R->chains_ix, key, (uint32_t)i) != 0) {
			R->err = JIT_ERR_ALLOC;
			return;
		}
	}
	c = pool_at(&R->chains, i);
	if (c->n > 0 && ev->time > c->end + CHAIN_GAP) {
		close_chain(R, u, role, c);
		memset(c, 0, sizeof(*c));
	}
	c->user = u;
	c->role = role;
	if (c->n == 0)
		c->start = ev->time;
	c->n++;
	if (ev->valid_before > c->end)
		c->end = ev->valid_before;
	seq_add(c->seqs, &c->nseqs, ev->seq);
}

/* A certificate's story is complete: break-glass and unused-grant. */
static void
cert_done(struct rep *R, struct cert *c, int final)
{
	char n[32];
	size_t i;

	if (c->bg_seq != 0) {
		struct agg *a = agg_of(R, K_BREAK, c->user, c->role, 1);

		if (a == NULL)
			return;
		agg_note(a, c->issued, c->seq);
		seq_add(a->seqs, &a->nseqs, c->bg_seq);
		for (i = 0; i < c->sessions && i < 4; i++)
			seq_add(a->seqs, &a->nseqs, c->sess_seqs[i]);
		if (a->text[0] == '\0') {
			snprintf(n, sizeof(n), "%u recorded session%s",
			    c->sessions, c->sessions == 1 ? "" : "s");
			snprintf(a->text, sizeof(a->text), "serial %llu, reason "
			    "\"%s\": %s", (unsigned long long)c->serial,
			    c->reason, c->sessions > 0 ? n :
			    "no session recorded");
		}
		return;
	}
	if (c->valid_before > R->o->until || !final)
		return;
	R->certs_done++;
	if (c->sessions > 0)
		R->certs_used++;
	else if (R->hosts_enrolled)
		agg_note(agg_of(R, K_UNUSED_GRANT, c->user, c->role, 0),
		    c->issued, c->seq);
}

static void
cert_drop(struct rep *R, uint64_t serial)
{
	long i = map_get(&R->certs_ix, serial);

	if (i < 0)
		return;
	map_del(&R->certs_ix, serial);
	pool_give(&R->certs, i);
}

/* Certificates past their end (and an hour for late recordings). */
static void
sweep(struct rep *R, uint64_t now, int all)
{
	size_t i;

	for (i = 0; i < R->certs.n; i++) {
		struct cert *c = pool_at(&R->certs, (long)i);

		if (c->serial == 0 || map_get(&R->certs_ix, c->serial) !=
		    (long)i)
			continue;
		if (all || c->valid_before + GRACE < now) {
			cert_done(R, c, 1);
			cert_drop(R, c->serial);
			c->serial = 0;
		}
	}
	/* Requests open for a month: their end is not in the log. */
	for (i = 0; i < R->pend.n && !all; i++) {
		struct pending *p = pool_at(&R->pend, (long)i);
		uint64_t key;

		if (p->id[0] == '\0' || p->time + 31 * 86400 > now)
			continue;
		key = hash_str(p->id, 1);
		if (map_get(&R->pend_ix, key) == (long)i) {
			map_del(&R->pend_ix, key);
			pool_give(&R->pend, (long)i);
		}
		p->id[0] = '\0';
	}
}

static struct pending *
pending_get(struct rep *R, const char *id)
{
	long i;
	struct pending *p;

	if (id == NULL || *id == '\0' ||
	    (i = map_get(&R->pend_ix, hash_str(id, 1))) < 0)
		return NULL;
	p = pool_at(&R->pend, i);
	return strcmp(p->id, id) == 0 ? p : NULL;
}

static void
pending_drop(struct rep *R, const char *id)
{
	uint64_t key = hash_str(id, 1);
	long i = map_get(&R->pend_ix, key);

	if (i < 0 || strcmp(((struct pending *)pool_at(&R->pend, i))->id, id)
	    != 0)
		return;
	((struct pending *)pool_at(&R->pend, i))->id[0] = '\0';
	map_del(&R->pend_ix, key);
	pool_give(&R->pend, i);
}

/* Refusals: per user and per address, in hours. */
static void
tally(struct rep *R, const char *what, const char *who,
    const struct jstore_event *ev, int lockout, int denied)
{
	char key[80];
	struct subject *s;
	uint64_t h;
	long i;

	if (who == NULL || *who == '\0')
		return;
	snprintf(key, sizeof(key), "%s %s", what, who);
	h = hash_str(key, 2);
	if ((i = map_get(&R->subjects_ix, h)) < 0) {
		if (R->subjects.n >= SUBJECTS_MAX) {
			R->untallied++;
			return;
		}
		if ((i = pool_take(&R->subjects)) < 0 ||
		    map_put(&R->subjects_ix, h, (uint32_t)i) != 0) {
			R->err = JIT_ERR_ALLOC;
			return;
		}
		snprintf(((struct subject *)pool_at(&R->subjects, i))->key,
		    sizeof(key), "%s", key);
	}
	s = pool_at(&R->subjects, i);
	if (strcmp(s->key, key) != 0)
		return;		/* a 64-bit collision: not counted twice */
	if (lockout)
		s->lockouts++;
	else if (denied)
		s->denied++;
	else
		s->fails++;
	if (ev->time / 3600 != s->hour) {
		s->hour = ev->time / 3600;
		s->in_hour = 0;
	}
	if (++s->in_hour > s->worst) {
		s->worst = s->in_hour;
		s->worst_hour = s->hour;
	}
	seq_add(s->seqs, &s->nseqs, ev->seq);
}


static void
on_issue(struct rep *R, const struct jstore_event *ev, uint32_t u,
    uint32_t role)
{
	struct pending *p;
	struct cert *c;
	long i;

	R->issuances++;
	if (u != NONE)
		R->active[u] = 1;
	if (role != NONE) {
		R->asked[role] = 1;
		R->role_issued[role]++;
	}
	note_hours(R, ev, u, role);
	note_issue_day(R, ev->time, role);
	if ((p = pending_get(R, ev->request_id)) != NULL) {
		if (p->last_approval >= p->time && p->last_approval != 0 &&
		    hist_add(&R->latency, p->last_approval - p->time) != 0)
			R->err = JIT_ERR_ALLOC;
		pending_drop(R, ev->request_id);
	}
	note_chain(R, ev, u, role);
	if (ev->serial == 0 || cert_get(R, ev->serial) != NULL)
		return;
	if ((i = pool_take(&R->certs)) < 0 ||
	    map_put(&R->certs_ix, ev->serial, (uint32_t)i) != 0) {
		R->err = JIT_ERR_ALLOC;
		return;
	}
	c = pool_at(&R->certs, i);
	c->serial = ev->serial;
	c->seq = ev->seq;
	c->issued = ev->time;
	c->valid_before = ev->valid_before;
	c->user = u;
	c->role = role;
}

static void
on_session(struct rep *R, const struct jstore_event *ev)
{
	uint64_t krl = jpolicy_review_krl_refresh(R->p), vb = 0, at;
	struct cert *c = cert_get(R, ev->serial);
	char kid[256], role[128], d[32];
	uint32_t u = name_of(R, ev->user), r = name_of(R, ev->role);
	struct agg *a;

	if (is(ev, "session-start")) {
		R->sessions++;
		if (u != NONE)
			R->active[u] = 1;
		if (c == NULL)
			return;
		at = ev->valid_after != 0 ? ev->valid_after : ev->time;
		if (c->sessions < 4)
			c->sess_seqs[c->sessions] = ev->seq;
		if (c->sessions++ == 0) {
			c->first_use = at;
			if (hist_add(&R->first_use, at > c->issued ? at -
			    c->issued : 0) != 0)
				R->err = JIT_ERR_ALLOC;
		}
		if (c->revoked_at != 0 && at > c->revoked_at + krl) {
			a = agg_of(R, K_CLOSURE, u, r, 1);
			agg_note(a, at - c->revoked_at, c->revoke_seq);
			if (a == NULL)
				return;
			seq_add(a->seqs, &a->nseqs, ev->seq);
			jit_format_duration(at - c->revoked_at, d, sizeof(d));
			snprintf(a->text, sizeof(a->text), "session %s of serial "
			    "%llu began %s after the revocation (hosts refresh "
			    "the KRL within the review's krl_refresh)",
			    ev->request_id, (unsigned long long)ev->serial, d);
		}
		return;
	}
	/* session-end: valid_before is when it ended, by the host's clock. */
	at = ev->valid_before;
	if (c != NULL)
		vb = c->valid_before;
	else if (jstore_cert_info(R->st, ev->serial, kid, sizeof(kid), &vb,
	    role, sizeof(role)) != 0)
		vb = 0;
	if (vb != 0 && at > vb + CLOCK_SLACK) {
		a = agg_of(R, K_CLOSURE, u, r, 1);
		agg_note(a, at - vb, ev->seq);
		if (a != NULL) {
			jit_format_duration(at - vb, d, sizeof(d));
			snprintf(a->text, sizeof(a->text), "session %s outlived "
			    "its certificate (serial %llu) by %s",
			    ev->request_id, (unsigned long long)ev->serial, d);
		}
	} else if (c != NULL && c->revoked_at != 0 &&
	    at > c->revoked_at + krl) {
		a = agg_of(R, K_CLOSURE, u, r, 1);
		agg_note(a, at - c->revoked_at, c->revoke_seq);
		if (a != NULL) {
			seq_add(a->seqs, &a->nseqs, ev->seq);
			jit_format_duration(at - c->revoked_at, d, sizeof(d));
			snprintf(a->text, sizeof(a->text), "session %s of serial "
			    "%llu ran %s after the revocation, longer than the "
			    "KRL refresh", ev->request_id,
			    (unsigned long long)ev->serial, d);
		}
	}
}

static void
on_decision(struct rep *R, const struct jstore_event *ev, uint32_t u,
    uint32_t role)
{
	const char *actor = ev->approvers;
	struct pending *p = pending_get(R, ev->request_id);
	uint32_t who = name_of(R, actor);
	struct decided *d;
	uint64_t key, created = 0;
	struct agg *a;
	long i;

	if (who != NONE)
		R->active[who] = 1;
	if (p != NULL)
		created = p->time;
	else if (ev->request_id != NULL && *ev->request_id != '\0') {
		struct jstore_request *rq = NULL;

		/* Asked before the period began. */
		if (jstore_request_get(R->st, ev->request_id, &rq) == 0)
			created = rq->created;
		jstore_request_free(rq);
	}
	if (is(ev, "approve")) {
		R->approvals++;
		if (p != NULL)
			p->last_approval = ev->time;
		if (created != 0 && ev->time >= created &&
		    ev->time - created < jpolicy_review_min_review(R->p)) {
			a = agg_of(R, K_RUBBER, who, role, 0);
			agg_note(a, ev->time - created, p != NULL ? p->seq : 0);
			if (a != NULL)
				seq_add(a->seqs, &a->nseqs, ev->seq);
			agg_req(a, ev->request_id);
		}
	} else if (actor != NULL && ev->user != NULL &&
	    strcmp(actor, ev->user) == 0) {
		R->withdrawals++;
		if (p != NULL)
			pending_drop(R, ev->request_id);
		return;
	} else {
		R->denials++;
		tally(R, "user", ev->user, ev, 0, 1);
		if (p != NULL)
			pending_drop(R, ev->request_id);
	}
	(void)u;
	/* Who decides this role's requests. */
	if (who == NONE || role == NONE || strcmp(actor, "policy") == 0 ||
	    strncmp(actor, "policy:", 7) == 0)
		return;
	key = ((uint64_t)role << 32) | who;
	if ((i = map_get(&R->decided_ix, key)) < 0) {
		if ((i = pool_take(&R->decided)) < 0 ||
		    map_put(&R->decided_ix, key, (uint32_t)i) != 0) {
			R->err = JIT_ERR_ALLOC;
			return;
		}
		d = pool_at(&R->decided, i);
		d->role = role;
		d->approver = who;
	}
	d = pool_at(&R->decided, i);
	d->n++;
	seq_add(d->seqs, &d->nseqs, ev->seq);
}

static int
walk(const struct jstore_event *ev, void *arg)
{
	struct rep *R = arg;
	uint32_t u, role;
	struct pending *p;
	struct cert *c;
	long i;

	if (is(ev, "report"))
		return 0;	/* reviews are not what is reviewed */
	R->events++;
	if (R->first_seq == 0 || ev->seq < R->first_seq)
		R->first_seq = ev->seq;
	if (ev->seq > R->last_seq) {
		R->last_seq = ev->seq;
		memcpy(R->last_hash, ev->hash, 32);
	}
	if (ev->time >= R->next_sweep) {
		sweep(R, ev->time, 0);
		R->next_sweep = ev->time + SWEEP_EVERY;
	}
	if (is(ev, "session-start") || is(ev, "session-end")) {
		on_session(R, ev);
		return R->err;
	}
	if (is(ev, "auth-fail") || is(ev, "mfa-fail")) {
		R->fails++;
		tally(R, "user", ev->user, ev, 0, 0);
		tally(R, "address", ev->source, ev, 0, 0);
		return R->err;
	}
	if (is(ev, "lockout")) {
		R->lockouts++;
		tally(R, "user", ev->user, ev, 1, 0);
		return R->err;
	}
	u = name_of(R, ev->user);
	role = name_of(R, ev->role);
	if (is(ev, "request")) {
		R->requests++;
		if (u != NONE)
			R->active[u] = 1;
		if (role != NONE) {
			R->asked[role] = 1;
			R->role_requests[role]++;
		}
		note_hours(R, ev, u, role);
		if (ev->request_id == NULL || *ev->request_id == '\0' ||
		    pending_get(R, ev->request_id) != NULL)
			return R->err;
		if ((i = pool_take(&R->pend)) < 0 ||
		    map_put(&R->pend_ix, hash_str(ev->request_id, 1),
		    (uint32_t)i) != 0)
			return JIT_ERR_ALLOC;
		p = pool_at(&R->pend, i);
		snprintf(p->id, sizeof(p->id), "%s", ev->request_id);
		p->time = ev->time;
		p->seq = ev->seq;
		p->user = u;
		p->role = role;
	} else if (is(ev, "approve") || is(ev, "deny"))
		on_decision(R, ev, u, role);
	else if (is(ev, "expire")) {
		R->expiries++;
		pending_drop(R, ev->request_id);
	} else if (is(ev, "issue"))
		on_issue(R, ev, u, role);
	else if (is(ev, "break-glass")) {
		R->break_glass++;
		if ((c = cert_get(R, ev->serial)) != NULL) {
			c->bg_seq = ev->seq;
			snprintf(c->reason, sizeof(c->reason), "%s",
			    ev->reason != NULL ? ev->reason : "");
		}
	} else if (is(ev, "revoke")) {
		R->revocations++;
		if ((c = cert_get(R, ev->serial)) != NULL &&
		    c->revoked_at == 0) {
			c->revoked_at = ev->time;
			c->revoke_seq = ev->seq;
		}
	} else if (is(ev, "mfa") || is(ev, "enroll")) {
		if (u != NONE)
			R->active[u] = 1;
	}
	return R->err;
}

static int
any_host(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	*(int *)arg = 1;
	return 1;
}

/* The model: helpers. */
static json_t *
jtime(uint64_t t)
{
	char buf[32];

	jit_format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? ca_json_text(s, strlen(s)) : json_null();
}

static json_t *
figures(const struct hist *h)
{
	return json_pack("{sI sI sI sI}", "count", (json_int_t)h->n,
	    "median", (json_int_t)hist_pct(h, 50), "p90",
	    (json_int_t)hist_pct(h, 90), "max", (json_int_t)h->max);
}

static json_t *
seq_list(const uint64_t *seqs, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)seqs[i]));
	return a;
}

static json_t *
name_list(const struct rep *R, uint32_t i)
{
	json_t *a = json_array();

	if (i != NONE)
		json_array_append_new(a, jstr(R->names[i]));
	return a;
}

static json_t *
finding(int kind, json_t *users, json_t *roles, json_t *reqs,
    const char *address, const char *detail, uint64_t count,
    const uint64_t *seqs, size_t nseqs)
{
	json_t *addrs = json_array();

	if (address != NULL)
		json_array_append_new(addrs, jstr(address));
	return json_pack("{ss ss so so so so so sI so}", "kind",
	    kind_name[kind], "severity", kind_sev[kind], "users", users,
	    "roles", roles, "requests", reqs, "addresses", addrs, "detail",
	    jstr(detail), "count", (json_int_t)count, "seqs",
	    seq_list(seqs, nseqs));
}

struct out {
	const struct rep *R;
	json_t *list, *left_out;
};

/* Adds f unless review.exclude leaves it out (then counts it). */
static int
keep(struct out *o, int kind, const char *user, const char *role, json_t *f)
{
	json_t *n;

	if (f == NULL)
		return JIT_ERR_ALLOC;
	if (jpolicy_review_excluded(o->R->p, kind_name[kind], user, role)) {
		n = json_object_get(o->left_out, kind_name[kind]);
		json_object_set_new(o->left_out, kind_name[kind],
		    json_integer(json_integer_value(n) + 1));
		json_decref(f);
		return 0;
	}
	return json_array_append_new(o->list, f) == 0 ? 0 : JIT_ERR_ALLOC;
}

static int
agg_finding(struct out *o, const struct agg *a)
{
	const struct rep *R = o->R;
	char text[512], d[32];
	json_t *reqs = json_array();
	size_t i;

	for (i = 0; i < a->nreqs; i++)
		json_array_append_new(reqs, json_string(a->reqs[i]));
	switch (a->kind) {
	case K_OOH:
		snprintf(text, sizeof(text), "%llu issuance%s and %llu "
		    "request%s outside business hours",
		    (unsigned long long)(a->count - a->requests),
		    a->count - a->requests == 1 ? "" : "s",
		    (unsigned long long)a->requests, a->requests == 1 ? "" : "s");
		break;
	case K_RUBBER:
		jit_format_duration(a->min, d, sizeof(d));
		snprintf(text, sizeof(text), "%llu approval%s given less than "
		    "%llus after the request (the quickest in %s)",
		    (unsigned long long)a->count, a->count == 1 ? "" : "s",
		    (unsigned long long)jpolicy_review_min_review(R->p), d);
		break;
	case K_UNUSED_GRANT:
		snprintf(text, sizeof(text), "%llu certificate%s never used on "
		    "a recorded host", (unsigned long long)a->count,
		    a->count == 1 ? "" : "s");
		break;
	case K_STANDING:
		jit_format_duration(a->max, d, sizeof(d));
		snprintf(text, sizeof(text), "held the role for %s without a "
		    "break, through %llu back-to-back certificates", d,
		    (unsigned long long)a->count);
		break;
	default:
		snprintf(text, sizeof(text), "%s", a->text);
		break;
	}
	if (a->kind != K_BREAK && a->kind != K_CLOSURE && a->text[0] != '\0')
		snprintf(text, sizeof(text), "%s", a->text);
	return keep(o, a->kind, name_str(R, a->user), name_str(R, a->role),
	    finding(a->kind, name_list(R, a->user), name_list(R, a->role),
	    reqs, NULL, text, a->count, a->seqs, a->nseqs));
}

/* Approvers who decide more than half of a role's requests. */
static int
share_finding(struct out *o, const struct decided *d)
{
	const struct rep *R = o->R;
	uint64_t n = R->role_requests[d->role];	/* in the period */
	char text[256];

	if (n < RUBBER_MIN || d->n * 2 <= n)
		return 0;
	snprintf(text, sizeof(text), "decided %llu of the role's %llu requests",
	    (unsigned long long)d->n, (unsigned long long)n);
	return keep(o, K_RUBBER, name_str(R, d->approver), name_str(R, d->role),
	    finding(K_RUBBER, name_list(R, d->approver), name_list(R, d->role),
	    json_array(), NULL, text, d->n, d->seqs, d->nseqs));
}

static int
refused_finding(struct out *o, const struct subject *s)
{
	const struct rep *R = o->R;
	unsigned spike = jpolicy_review_refused_spike(R->p);
	char text[256], when[32];
	const char *who = strchr(s->key, ' ') + 1;
	int user = strncmp(s->key, "user ", 5) == 0;
	json_t *users;

	if (s->worst < spike && s->lockouts == 0)
		return 0;
	jit_format_time(s->worst_hour * 3600, when, sizeof(when));
	snprintf(text, sizeof(text), "%llu auth failure%s, %llu lockout%s, "
	    "%llu denied request%s; %llu in the worst hour (from %s)",
	    (unsigned long long)s->fails, s->fails == 1 ? "" : "s",
	    (unsigned long long)s->lockouts, s->lockouts == 1 ? "" : "s",
	    (unsigned long long)s->denied, s->denied == 1 ? "" : "s",
	    (unsigned long long)s->worst, when);
	users = json_array();
	if (user)
		json_array_append_new(users, jstr(who));
	return keep(o, K_REFUSED, user ? who : NULL, NULL,
	    finding(K_REFUSED, users, json_array(), json_array(),
	    user ? NULL : who, text, s->fails + s->lockouts + s->denied,
	    s->seqs, s->nseqs));
}

static int
sev_rank(const char *s)
{
	return strcmp(s, "high") == 0 ? 0 : strcmp(s, "medium") == 0 ? 1 :
	    strcmp(s, "low") == 0 ? 2 : 3;
}

static int
kind_rank(const char *s)
{
	int k;

	for (k = 0; k < K_N; k++)
		if (strcmp(kind_name[k], s) == 0)
			return k;
	return K_N;
}

static const char *
first_str(const json_t *f, const char *key)
{
	const char *s = json_string_value(json_array_get(json_object_get(f,
	    key), 0));

	return s != NULL ? s : "";
}

/* High first; then by kind, user, role, address, the first event. */
static int
cmp_finding(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	static const char *const keys[] = { "users", "roles", "addresses" };
	json_int_t sa, sb;
	size_t i;
	int c;

	if ((c = sev_rank(json_string_value(json_object_get(a, "severity"))) -
	    sev_rank(json_string_value(json_object_get(b, "severity")))) != 0)
		return c;
	if ((c = kind_rank(json_string_value(json_object_get(a, "kind"))) -
	    kind_rank(json_string_value(json_object_get(b, "kind")))) != 0)
		return c;
	for (i = 0; i < 3; i++)
		if ((c = strcmp(first_str(a, keys[i]), first_str(b, keys[i]))) !=
		    0)
			return c;
	sa = json_integer_value(json_array_get(json_object_get(a, "seqs"), 0));
	sb = json_integer_value(json_array_get(json_object_get(b, "seqs"), 0));
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "detail")),
	    json_string_value(json_object_get(b, "detail")));
}

static json_t *
sorted(json_t *list)
{
	size_t n = json_array_size(list), i;
	json_t **v, *out = json_array();

	if ((v = calloc(n + 1, sizeof(*v))) == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(*v), cmp_finding);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

static int
all_findings(struct rep *R, json_t **listp, json_t **left_outp)
{
	struct out o = { R, json_array(), json_object() };
	size_t i;
	int r = 0;

	*listp = *left_outp = NULL;
	for (i = 0; i < R->aggs.n && r == 0; i++)
		r = agg_finding(&o, pool_at(&R->aggs, (long)i));
	for (i = 0; i < R->decided.n && r == 0; i++)
		r = share_finding(&o, pool_at(&R->decided, (long)i));
	for (i = 0; i < R->subjects.n && r == 0; i++)
		r = refused_finding(&o, pool_at(&R->subjects, (long)i));
	/* Absences: the policy's roles and users with nothing in the period. */
	for (i = 0; i < jpolicy_nroles(R->p) && r == 0; i++) {
		const char *role = jpolicy_role_name(R->p, i);
		uint32_t ix = name_of(R, role);

		if (ix != NONE && !R->asked[ix])
			r = keep(&o, K_UNUSED_ROLE, NULL, role,
			    finding(K_UNUSED_ROLE, json_array(),
			    name_list(R, ix), json_array(), NULL,
			    "nobody asked for this role in the period", 0,
			    NULL, 0));
	}
	for (i = 0; i < jpolicy_nusers(R->p) && r == 0; i++) {
		const char *user = jpolicy_user_name(R->p, i);
		uint32_t ix = name_of(R, user);

		if (ix != NONE && !R->active[ix])
			r = keep(&o, K_INACTIVE, user, NULL,
			    finding(K_INACTIVE, name_list(R, ix), json_array(),
			    json_array(), NULL, "no activity in the period "
			    "(no request, certificate, decision, code or "
			    "session)", 0, NULL, 0));
	}
	if (r == 0 && R->err != 0)
		r = R->err;
	if (r == 0 && (*listp = sorted(o.list)) == NULL)
		r = JIT_ERR_ALLOC;
	json_decref(o.list);
	if (r != 0) {
		json_decref(o.left_out);
		return r;
	}
	*left_outp = o.left_out;
	return 0;
}

static const char *const wday_name[7] = { "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat", "Sun" };

static json_t *
heat_map(const struct rep *R)
{
	json_t *counts = json_array(), *hours = json_array(), *row, *brow;
	unsigned d, h;

	for (d = 0; d < 7; d++) {
		row = json_array();
		brow = json_array();
		for (h = 0; h < 24; h++) {
			json_array_append_new(row,
			    json_integer((json_int_t)R->heat[d][h]));
			/* Mid-hour inside the business hours (Sunday: 0). */
			json_array_append_new(brow, json_boolean(
			    jpolicy_review_hours_at(R->p, (d + 1) % 7,
			    h * 60 + 30)));
		}
		json_array_append_new(counts, row);
		json_array_append_new(hours, brow);
	}
	return json_pack("{s[sssssss] so so}", "days", wday_name[0],
	    wday_name[1], wday_name[2], wday_name[3], wday_name[4],
	    wday_name[5], wday_name[6], "counts", counts, "business", hours);
}

static json_t *
per_day(const struct rep *R)
{
	json_t *roles = json_array(), *days = json_array(), *counts;
	char date[32];
	uint64_t d;
	size_t c;

	for (c = 0; c < R->nday_roles; c++)
		json_array_append_new(roles, R->day_role[c] == NONE ?
		    json_string("(none)") : jstr(R->names[R->day_role[c]]));
	for (d = 0; d < R->ndays; d++) {
		counts = json_array();
		for (c = 0; c < R->nday_roles; c++)
			json_array_append_new(counts, json_integer((json_int_t)
			    R->days[d * (DAY_ROLES_MAX + 1) + c]));
		jit_format_time((R->day0 + d) * 86400, date, sizeof(date));
		date[10] = '\0';
		json_array_append_new(days, json_pack("{ss so}", "day", date,
		    "counts", counts));
	}
	return json_pack("{so so}", "roles", roles, "days", days);
}

static json_t *
latency_histogram(const struct rep *R)
{
	static const uint64_t edges[] = { 0, 10, 30, 60, 120, 300, 900, 1800,
	    3600, 4 * 3600, UINT64_MAX };
	static const char *const labels[] = { "<10s", "10-30s", "30s-1m",
	    "1-2m", "2-5m", "5-15m", "15-30m", "30m-1h", "1-4h", ">4h" };
	uint64_t min = jpolicy_review_min_review(R->p);
	json_t *a = json_array();
	size_t i;

	for (i = 0; i + 1 < sizeof(edges) / sizeof(edges[0]); i++)
		json_array_append_new(a, json_pack("{ss sI sI sb}", "label",
		    labels[i], "from", (json_int_t)edges[i], "count",
		    (json_int_t)hist_range(&R->latency, edges[i], edges[i + 1]),
		    "under_min_review", edges[i] < min));
	return a;
}

static json_t *
verdict(const json_t *findings)
{
	size_t i, n[4] = { 0, 0, 0, 0 };
	char text[160];
	json_t *f;

	json_array_foreach(findings, i, f)
		n[sev_rank(json_string_value(json_object_get(f, "severity")))]++;
	if (n[0] > 0)
		snprintf(text, sizeof(text), "Action needed: %zu high-severity "
		    "finding%s", n[0], n[0] == 1 ? "" : "s");
	else if (n[1] > 0)
		snprintf(text, sizeof(text), "Review needed: %zu finding%s of "
		    "medium severity", n[1], n[1] == 1 ? "" : "s");
	else if (n[2] > 0)
		snprintf(text, sizeof(text), "No urgent findings: %zu to tidy "
		    "up", n[2]);
	else
		snprintf(text, sizeof(text), "No findings");
	return json_pack("{ss sI sI sI}", "text", text, "high",
	    (json_int_t)n[0], "medium", (json_int_t)n[1], "low",
	    (json_int_t)n[2]);
}

static json_t *
review_settings(const struct rep *R)
{
	json_t *hours = json_array();
	size_t i;

	for (i = 0; i < jpolicy_review_nhours(R->p); i++)
		json_array_append_new(hours,
		    json_string(jpolicy_review_hours(R->p, i)));
	return json_pack("{so ss sI sI sI sI sb}", "business_hours", hours,
	    "timezone", jpolicy_review_timezone(R->p), "min_review",
	    (json_int_t)jpolicy_review_min_review(R->p), "standing_after",
	    (json_int_t)jpolicy_review_standing_after(R->p), "krl_refresh",
	    (json_int_t)jpolicy_review_krl_refresh(R->p), "refused_spike",
	    (json_int_t)jpolicy_review_refused_spike(R->p), "recorded_hosts",
	    R->hosts_enrolled);
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The index of a name known to be there. */
static uint32_t
name_ix(const struct rep *R, const char *s)
{
	uint64_t h;
	long i;

	for (h = hash_str(s, 0); (i = map_get(&R->names_ix, h)) >= 0;
	    h = mix(h + 1))
		if (strcmp(R->names[i], s) == 0)
			return (uint32_t)i;
	return 0;
}

static json_t *
summary(const struct rep *R)
{
	json_t *per_role = json_object(), *s;
	const char **ix;
	size_t i, n = 0;

	s = json_pack("{sI sI sI sI sI sI sI sI sI sI sI so so}",
	    "requests", (json_int_t)R->requests,
	    "approvals", (json_int_t)R->approvals,
	    "denials", (json_int_t)R->denials,
	    "withdrawals", (json_int_t)R->withdrawals,
	    "expiries", (json_int_t)R->expiries,
	    "issuances", (json_int_t)R->issuances,
	    "revocations", (json_int_t)R->revocations,
	    "break_glass", (json_int_t)R->break_glass,
	    "sessions", (json_int_t)R->sessions,
	    "auth_failures", (json_int_t)R->fails,
	    "lockouts", (json_int_t)R->lockouts,
	    "approval_latency", figures(&R->latency),
	    "time_to_first_use", figures(&R->first_use));
	if (s != NULL) {
		json_object_set_new(json_object_get(s, "time_to_first_use"),
		    "certificates", json_integer((json_int_t)R->certs_done));
		json_object_set_new(json_object_get(s, "time_to_first_use"),
		    "used", json_integer((json_int_t)R->certs_used));
	}
	/* In name order. */
	if ((ix = calloc(R->nnames + 1, sizeof(*ix))) != NULL) {
		for (i = 0; i < R->nnames; i++)
			if (R->role_issued[i] > 0)
				ix[n++] = R->names[i];
		qsort(ix, n, sizeof(*ix), cmp_strp);
		for (i = 0; i < n; i++)
			json_object_set_new(per_role, ix[i], json_integer(
			    (json_int_t)R->role_issued[name_ix(R, ix[i])]));
		free(ix);
	}
	json_object_set_new(s, "issuances_per_role", per_role);
	return s;
}

static void
rep_free(struct rep *R)
{
	size_t i;

	for (i = 0; i < R->nnames; i++)
		free(R->names[i]);
	free(R->names);
	free(R->active);
	free(R->asked);
	free(R->role_issued);
	free(R->role_requests);
	free(R->days);
	free(R->latency.sec);
	free(R->latency.hour);
	free(R->first_use.sec);
	free(R->first_use.hour);
	free(R->certs.items);
	free(R->certs.free);
	free(R->pend.items);
	free(R->pend.free);
	free(R->chains.items);
	free(R->chains.free);
	free(R->subjects.items);
	free(R->subjects.free);
	free(R->aggs.items);
	free(R->aggs.free);
	free(R->decided.items);
	free(R->decided.free);
	map_free(&R->names_ix);
	map_free(&R->certs_ix);
	map_free(&R->pend_ix);
	map_free(&R->chains_ix);
	map_free(&R->subjects_ix);
	map_free(&R->aggs_ix);
	map_free(&R->decided_ix);
}

int
ca_report_build(struct jstore *st, const struct jpolicy *p,
    const struct ca_report_opts *o, json_t **modelp)
{
	struct jstore_filter f;
	struct rep R;
	json_t *m = NULL, *list = NULL, *left_out = NULL;
	char hash[65];
	size_t i;
	int r, any = 0;

	*modelp = NULL;
	if (o->until < o->since)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&R, 0, sizeof(R));
	R.st = st;
	R.p = p;
	R.o = o;
	R.certs.size = sizeof(struct cert);
	R.pend.size = sizeof(struct pending);
	R.chains.size = sizeof(struct chain);
	R.subjects.size = sizeof(struct subject);
	R.aggs.size = sizeof(struct agg);
	R.decided.size = sizeof(struct decided);
	R.day0 = local_day(&R, o->since);
	R.ndays = local_day(&R, o->until) - R.day0 + 1;
	if (R.ndays > DAYS_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((R.days = calloc(R.ndays * (DAY_ROLES_MAX + 1), sizeof(*R.days))) ==
	    NULL)
		return JIT_ERR_ALLOC;
	/* unused-grant only means something once a host records. */
	memset(&f, 0, sizeof(f));
	f.event = "host-enroll";
	f.until = o->until;
	f.limit = 1;
	if ((r = jstore_query(st, &f, any_host, &any)) != 0 && r != 1)
		goto out;
	R.hosts_enrolled = any;
	memset(&f, 0, sizeof(f));
	f.since = o->since;
	f.until = o->until;
	if ((r = jstore_query(st, &f, walk, &R)) != 0)
		goto out;
	/* Chains and certificates still open at the end of the period. */
	for (i = 0; i < R.chains.n; i++) {
		struct chain *c = pool_at(&R.chains, (long)i);

		if (c->n > 0)
			close_chain(&R, c->user, c->role, c);
	}
	sweep(&R, UINT64_MAX, 1);
	if ((r = all_findings(&R, &list, &left_out)) != 0)
		goto out;
	ca_hex(R.last_hash, 32, hash);
	m = json_pack("{ss s{so so ss} s{sI sI sI ss} so so so so so so so so "
	    "so}",
	    "title", "jit-ssh access review",
	    "period", "since", jtime(o->since), "until", jtime(o->until),
	    "timezone", jpolicy_review_timezone(p),
	    "log", "events", (json_int_t)R.events, "first_seq",
	    (json_int_t)R.first_seq, "last_seq", (json_int_t)R.last_seq,
	    "last_hash", R.events > 0 ? hash : "",
	    "review", review_settings(&R),
	    "verdict", verdict(list),
	    "summary", summary(&R),
	    "issuances_per_day", per_day(&R),
	    "access_by_hour", heat_map(&R),
	    "approval_latency_histogram", latency_histogram(&R),
	    "findings", list,
	    "left_out", left_out,
	    "notes", json_pack("[ss]", "times are UTC unless marked local; "
	    "the charts use review.timezone", "each finding's seqs are events "
	    "of `jit-ssh-ca audit` (the first 20)"));
	list = left_out = NULL;
	if (m == NULL)
		r = JIT_ERR_ALLOC;
	else if (R.err != 0)
		r = R.err;
 out:
	json_decref(list);
	json_decref(left_out);
	rep_free(&R);
	if (r != 0) {
		json_decref(m);
		return r;
	}
	*modelp = m;
	return 0;
}
