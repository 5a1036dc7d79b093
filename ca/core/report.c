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

#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"
#include "report-impl.h"
#include "textout.h"



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
	int made;

	if (each && R->each[kind]++ >= EACH_MAX) {
		each = 0;
		user = role = NONE;
	}
	key = each ? mix(((uint64_t)kind << 56) ^ R->each[kind] ^
	    0x9e3779b97f4a7c15ULL) : ((uint64_t)kind << 56) ^
	    ((uint64_t)(user & 0xfffffff) << 28) ^ (role & 0xfffffff);
	if ((a = pool_keyed(&R->aggs, &R->aggs_ix, key, &made)) == NULL) {
		R->err = JIT_ERR_ALLOC;
		return NULL;
	}
	if (!made)
		return a;
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
	int made;

	if ((c = pool_keyed(&R->chains, &R->chains_ix, key, &made)) == NULL) {
		R->err = JIT_ERR_ALLOC;
		return;
	}
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
	if (now < R->next_pend_sweep || all)
		return;
	R->next_pend_sweep = now + 86400;
	for (i = 0; i < R->pend.n; i++) {
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
	int made;

	if (who == NULL || *who == '\0')
		return;
	snprintf(key, sizeof(key), "%s %s", what, who);
	h = hash_str(key, 2);
	if (map_get(&R->subjects_ix, h) < 0 && R->subjects.n >= SUBJECTS_MAX) {
		R->untallied++;
		return;
	}
	if ((s = pool_keyed(&R->subjects, &R->subjects_ix, h, &made)) == NULL) {
		R->err = JIT_ERR_ALLOC;
		return;
	}
	if (made)
		snprintf(s->key, sizeof(s->key), "%s", key);
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
	int made;

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
	if (ev->serial == 0)
		return;
	if ((c = pool_keyed(&R->certs, &R->certs_ix, ev->serial, &made)) ==
	    NULL) {
		R->err = JIT_ERR_ALLOC;
		return;
	}
	if (!made)
		return;		/* issued twice: the first counts */
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
	uint32_t u = rep_name(R, ev->user), r = rep_name(R, ev->role);
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
			c->late = 1;	/* its end says nothing more */
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
	} else if (c != NULL && c->revoked_at != 0 && !c->late &&
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
	uint32_t who = rep_name(R, actor);
	struct decided *d;
	uint64_t key, created = 0;
	struct agg *a;
	int made;

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
	if ((d = pool_keyed(&R->decided, &R->decided_ix, key, &made)) == NULL) {
		R->err = JIT_ERR_ALLOC;
		return;
	}
	d->role = role;
	d->approver = who;
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
	int made;

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
	u = rep_name(R, ev->user);
	role = rep_name(R, ev->role);
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
		if ((p = pool_keyed(&R->pend, &R->pend_ix,
		    hash_str(ev->request_id, 1), &made)) == NULL)
			return JIT_ERR_ALLOC;
		if (!made)
			return R->err;	/* another id, the same 64-bit hash */
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
	hist_free(&R->latency);
	hist_free(&R->first_use);
	pool_free(&R->certs);
	pool_free(&R->pend);
	pool_free(&R->chains);
	pool_free(&R->subjects);
	pool_free(&R->aggs);
	pool_free(&R->decided);
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
	json_t *m = NULL;
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
	r = rep_model(&R, &m);
	if (r == 0 && R.err != 0)
		r = R.err;
 out:
	rep_free(&R);
	if (r != 0) {
		json_decref(m);
		return r;
	}
	*modelp = m;
	return 0;
}

