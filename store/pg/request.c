/*
 * request.c: approval requests in PostgreSQL.  Each decision reads the
 * request FOR UPDATE in the shared transaction, so instances deciding on
 * one request at once are ordered by the database: one certificate per
 * request, one vote per approver, whichever instance they come through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"

#define REQ_COLS REQ_COLS_PUBLIC

int
pg_request_row(const PGresult *res, int i, struct jstore_request **rp)
{
	struct jstore_request *r;
	char **s[10];
	int k;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return JIT_ERR_ALLOC;
	s[0] = &r->id; s[1] = &r->user; s[2] = &r->role;
	s[3] = &r->principals; s[4] = &r->pubkey; s[5] = &r->fingerprint;
	s[6] = &r->reason; s[7] = &r->source; s[8] = &r->approver_groups;
	s[9] = &r->approvers;
	for (k = 0; k < 10; k++)
		if ((*s[k] = strdup(pg_str(res, i, k))) == NULL) {
			jstore_request_free(r);
			return JIT_ERR_ALLOC;
		}
	r->ttl = pg_u64(res, i, 10);
	r->created = pg_u64(res, i, 11);
	r->serial = pg_u64(res, i, 12);
	r->expires = pg_u64(res, i, 13);
	r->pickup_ttl = pg_u64(res, i, 14);
	r->quorum = (unsigned)pg_u64(res, i, 15);
	r->state = (enum jstore_request_state)pg_u64(res, i, 16);
	r->flags = (unsigned)pg_u64(res, i, 17);
	*rp = r;
	return 0;
}

static int
req_read(PGconn *c, const char *id, int for_update, struct jstore_request **rp)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	int r;

	*rp = NULL;
	pgp_str(&p, id);
	if ((r = pg_exec(c, for_update ? "SELECT " REQ_COLS " FROM jit_requests "
	    "WHERE id = $1 FOR UPDATE" : "SELECT " REQ_COLS " FROM "
	    "jit_requests WHERE id = $1", &p, &res)) != 0)
		return r;
	r = PQntuples(res) == 1 ? pg_request_row(res, 0, rp) : JIT_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}

int
pg_request_write(PGconn *c, const struct jstore_request *r)
{
	struct pgp p = { .n = 0 };

	pgp_str(&p, r->id);
	pgp_str(&p, r->user);
	pgp_str(&p, r->role);
	pgp_str(&p, r->principals);
	pgp_str(&p, r->pubkey);
	pgp_str(&p, r->fingerprint);
	pgp_str(&p, r->reason);
	pgp_str(&p, r->source);
	pgp_str(&p, r->approver_groups);
	pgp_str(&p, r->approvers);
	pgp_u64(&p, r->ttl);
	pgp_u64(&p, r->created);
	pgp_u64(&p, r->serial);
	pgp_u64(&p, r->expires);
	pgp_u64(&p, r->pickup_ttl);
	pgp_u64(&p, r->quorum);
	pgp_u64(&p, r->state);
	pgp_u64(&p, r->flags);
	return pg_exec(c, "INSERT INTO jit_requests (" REQ_COLS ") VALUES ($1, "
	    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
	    "$17, $18) ON CONFLICT (id) DO UPDATE SET approvers = $10, "
	    "serial = $13, expires = $14, quorum = $16, state = $17, "
	    "flags = $18", &p, NULL);
}

static int
req_event(struct pgtx *t, const struct jstore_request *r, const char *kind,
    const char *actor, const char *comment, uint64_t now)
{
	struct jstore_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time = now;
	ev.event = kind;
	ev.user = r->user;
	ev.role = r->role;
	ev.principals = r->principals;
	ev.fingerprint = r->fingerprint;
	ev.source = strcmp(kind, "request") == 0 ? r->source : NULL;
	ev.reason = comment;
	ev.request_id = r->id;
	ev.approvers = actor;
	return pg_append_tx(t, &ev, 1);
}

struct req_arg {
	const struct jstore_request *in;
	const char *id, *actor, *comment;
	uint64_t now;
	unsigned max_pending, count, quorum, flag;
	int approved_too;
	struct jstore_event *evs;
	size_t nevs;
	char *id_out;
	enum jstore_request_state state;
};

static int
create_fn(struct pgtx *t, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request r = *a->in;
	struct pgp p = { .n = 0 };
	PGresult *res;
	unsigned char rnd[4];
	char id[JSTORE_REQUEST_ID_LEN + 1];
	uint64_t n;
	int e;

	/* The user's row lock orders two instances creating at once. */
	pgp_str(&p, r.user);
	if ((e = pg_exec(t->c, "SELECT pg_advisory_xact_lock(hashtext($1))",
	    &p, NULL)) != 0 ||
	    (e = pg_exec(t->c, "SELECT count(*) FROM jit_requests WHERE "
	    "\"user\" = $1 AND state = 1", &p, &res)) != 0)
		return e;
	n = pg_u64(res, 0, 0);
	PQclear(res);
	if (n >= a->max_pending)
		return JIT_ERR_NO_BUFFER_SPACE;
	if ((e = jit_random(rnd, sizeof(rnd))) != 0)
		return e;
	snprintf(id, sizeof(id), "r-%08llx%02x%02x%02x%02x",
	    (unsigned long long)(a->now & 0xffffffffULL), rnd[0], rnd[1],
	    rnd[2], rnd[3]);
	r.id = id;
	r.state = JSTORE_REQ_PENDING;
	r.created = a->now;
	if (r.pickup_ttl == 0)
		r.pickup_ttl = r.expires - a->now;
	r.approvers = NULL;
	r.serial = 0;
	r.flags = 0;
	if ((e = pg_request_write(t->c, &r)) != 0 ||
	    (e = req_event(t, &r, "request", NULL, r.reason, a->now)) != 0)
		return e;
	memcpy(a->id_out, id, sizeof(id));
	return 0;
}

int
pg_request_create(struct store_be *b, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out)
{
	struct req_arg a;

	if (b == NULL || req == NULL || id_out == NULL || req->user == NULL ||
	    req->role == NULL || *req->user == '\0' || req->quorum == 0 ||
	    req->expires <= now || !store_fingerprint_ok(req->fingerprint))
		return JIT_ERR_INVALID_ARGUMENT;
	if (strlen(req->user) > PG_NAME_MAX || strlen(req->role) > PG_NAME_MAX ||
	    (req->pubkey != NULL && strlen(req->pubkey) > JSTORE_FIELD_MAX) ||
	    (req->reason != NULL && strlen(req->reason) > JSTORE_FIELD_MAX) ||
	    (req->principals != NULL &&
	    strlen(req->principals) > JSTORE_FIELD_MAX))
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.in = req;
	a.now = now;
	a.max_pending = max_pending;
	a.id_out = id_out;
	id_out[0] = '\0';
	return pg_run_write(b, create_fn, &a);
}

int
pg_request_get(struct store_be *b, const char *id, struct jstore_request **reqp)
{
	PGconn *c;
	int r;

	if (b == NULL || id == NULL || reqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*reqp = NULL;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	r = req_read(c, id, 0, reqp);
	pg_reader_done(b, c);
	return r;
}

/* An open request, locked; an overdue one is expired here. */
static int
open_request(struct pgtx *t, struct req_arg *a, int approved_too,
    struct jstore_request **rp, int *expiredp)
{
	int e;

	*expiredp = 0;
	if ((e = req_read(t->c, a->id, 1, rp)) != 0)
		return e;
	if ((*rp)->state != JSTORE_REQ_PENDING &&
	    !(approved_too && (*rp)->state == JSTORE_REQ_APPROVED))
		return JIT_ERR_REQUEST_DECIDED;
	if (a->now >= (*rp)->expires) {
		(*rp)->state = JSTORE_REQ_EXPIRED;
		if ((e = pg_request_write(t->c, *rp)) != 0 ||
		    (e = req_event(t, *rp, "expire", NULL, NULL, a->now)) != 0)
			return e;
		*expiredp = 1;
	}
	return 0;
}

static int
approve_fn(struct pgtx *t, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	char *list = NULL;
	int e, expired;

	if ((e = open_request(t, a, 0, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->state = r->state;
		a->count = 1;
		goto out;
	}
	if (strcmp(a->actor, r->user) == 0) {
		e = JIT_ERR_REQUEST_SELF;
		goto out;
	}
	if (store_list_has(r->approvers, a->actor)) {
		e = JIT_ERR_EXISTS;
		goto out;
	}
	if (asprintf(&list, "%s%s%s", r->approvers, *r->approvers ? "," : "",
	    a->actor) == -1) {
		list = NULL;
		e = JIT_ERR_ALLOC;
		goto out;
	}
	free(r->approvers);
	r->approvers = list;
	if (a->quorum != 0)
		r->quorum = a->quorum;
	if (jit_list_count(r->approvers) >= r->quorum) {
		r->state = JSTORE_REQ_APPROVED;
		r->expires = r->pickup_ttl > UINT64_MAX - a->now ? UINT64_MAX :
		    a->now + r->pickup_ttl;
	}
	a->state = r->state;
	if ((e = pg_request_write(t->c, r)) == 0)
		e = req_event(t, r, "approve", a->actor, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

static int
deny_fn(struct pgtx *t, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e, expired;

	if ((e = open_request(t, a, a->approved_too, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->count = 1;
		goto out;
	}
	r->state = JSTORE_REQ_DENIED;
	a->state = r->state;
	if ((e = pg_request_write(t->c, r)) == 0)
		e = req_event(t, r, "deny", a->actor, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

static int
decide(struct store_be *b, int (*fn)(struct pgtx *, void *), const char *id,
    const char *actor, const char *comment, uint64_t now, unsigned quorum,
    int approved_too, enum jstore_request_state *statep)
{
	struct req_arg a;
	int e;

	if (b == NULL || id == NULL || actor == NULL || *actor == '\0' ||
	    strlen(actor) > PG_NAME_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if (comment != NULL && strlen(comment) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.actor = actor;
	a.comment = comment;
	a.now = now;
	a.quorum = quorum;
	a.approved_too = approved_too;
	if ((e = pg_run_write(b, fn, &a)) != 0)
		return e;
	if (statep != NULL)
		*statep = a.state;
	return a.count ? JIT_ERR_REQUEST_EXPIRED : 0;
}

int
pg_request_approve(struct store_be *b, const char *id, const char *approver,
    const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep)
{
	return decide(b, approve_fn, id, approver, comment, now, quorum, 0,
	    statep);
}

int
pg_request_deny(struct store_be *b, const char *id, const char *by,
    const char *comment, uint64_t now)
{
	return decide(b, deny_fn, id, by, comment, now, 0, 0, NULL);
}

int
pg_request_cancel(struct store_be *b, const char *id, const char *by,
    const char *reason, uint64_t now)
{
	return decide(b, deny_fn, id, by, reason, now, 0, 1, NULL);
}

static int
mark_fn(struct pgtx *t, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e;

	if ((e = req_read(t->c, a->id, 1, &r)) != 0)
		goto out;
	if (r->state != JSTORE_REQ_PENDING)
		e = JIT_ERR_REQUEST_DECIDED;
	else if (r->flags & a->flag)
		e = JIT_ERR_EXISTS;
	else {
		r->flags |= a->flag;
		if ((e = pg_request_write(t->c, r)) == 0)
			e = req_event(t, r, a->flag == JSTORE_REQ_REMINDED ?
			    "remind" : "escalate", NULL, a->comment, a->now);
	}
 out:
	jstore_request_free(r);
	return e;
}

int
pg_request_mark(struct store_be *b, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	struct req_arg a;

	if (b == NULL || id == NULL || (flag != JSTORE_REQ_REMINDED &&
	    flag != JSTORE_REQ_ESCALATED))
		return JIT_ERR_INVALID_ARGUMENT;
	if (note != NULL && strlen(note) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flag = flag;
	a.comment = note;
	a.now = now;
	return pg_run_write(b, mark_fn, &a);
}

static int
issue_fn(struct pgtx *t, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e, expired;

	if ((e = open_request(t, a, 1, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->count = 1;
		goto out;
	}
	if (r->state != JSTORE_REQ_APPROVED) {
		e = JIT_ERR_REQUEST_DECIDED;
		goto out;
	}
	r->state = JSTORE_REQ_ISSUED;
	r->serial = a->evs[0].serial;
	/* The append checks lock and cap, as for any issue event. */
	if ((e = pg_request_write(t->c, r)) == 0)
		e = pg_append_tx(t, a->evs, a->nevs);
 out:
	jstore_request_free(r);
	return e;
}

int
pg_request_issue(struct store_be *b, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	struct req_arg a;
	size_t i;
	int e;

	if (b == NULL || id == NULL || evs == NULL || n == 0 ||
	    evs[0].serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n; i++)
		if ((e = store_event_check(&evs[i])) != 0)
			return e;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.now = now;
	a.evs = evs;
	a.nevs = n;
	e = pg_run_write(b, issue_fn, &a);
	if (e == 0 && a.count)
		e = JIT_ERR_REQUEST_EXPIRED;
	if (e != 0)
		for (i = 0; i < n; i++)
			evs[i].seq = 0;
	return e;
}

static int
expire_fn(struct pgtx *t, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r;
	struct pgp p = { .n = 0 };
	PGresult *res;
	int i, e;

	a->count = 0;
	pgp_u64(&p, a->now);
	/* SKIP LOCKED: one another instance decides on now is left to it. */
	if ((e = pg_exec(t->c, "SELECT " REQ_COLS " FROM jit_requests WHERE "
	    "state IN (1, 2) AND expires <= $1 ORDER BY expires "
	    "FOR UPDATE SKIP LOCKED", &p, &res)) != 0)
		return e;
	for (i = 0; i < PQntuples(res) && e == 0; i++) {
		if ((e = pg_request_row(res, i, &r)) != 0)
			break;
		r->state = JSTORE_REQ_EXPIRED;
		if ((e = pg_request_write(t->c, r)) == 0 &&
		    (e = req_event(t, r, "expire", NULL, NULL, a->now)) == 0)
			a->count++;
		jstore_request_free(r);
	}
	PQclear(res);
	return e;
}

int
pg_request_expire(struct store_be *b, uint64_t now, unsigned *countp)
{
	struct req_arg a;
	int e;

	if (b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&a, 0, sizeof(a));
	a.now = now;
	e = pg_run_write(b, expire_fn, &a);
	if (countp != NULL)
		*countp = e == 0 ? a.count : 0;
	return e;
}

/* Calls cb for each row of sql; with quiet, a positive return goes on. */
static int
each_request(struct store_be *b, const char *sql, const struct pgp *p,
    int (*cb)(const struct jstore_request *, void *), void *arg, int quiet)
{
	struct jstore_request *r;
	PGresult *res;
	PGconn *c;
	int i, e;

	if ((e = pg_reader(b, &c)) != 0)
		return e;
	e = pg_exec(c, sql, p, &res);
	pg_reader_done(b, c);
	if (e != 0)
		return e;
	for (i = 0; i < PQntuples(res) && e == 0; i++) {
		if ((e = pg_request_row(res, i, &r)) != 0)
			break;
		e = cb(r, arg);
		jstore_request_free(r);
		if (quiet && e > 0)
			e = 0;	/* a callback's own code is not the store's */
	}
	PQclear(res);
	return e;
}

int
pg_request_list(struct store_be *b, enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	struct pgp p = { .n = 0 };

	if (b == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	pgp_u64(&p, state);
	return each_request(b, "SELECT " REQ_COLS " FROM jit_requests WHERE "
	    "$1 = 0 OR state = $1 ORDER BY id", &p, cb, arg, 0);
}

int
pg_request_list_open(struct store_be *b, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	struct pgp p = { .n = 0 };

	if (b == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (user != NULL) {
		pgp_str(&p, user);
		return each_request(b, "SELECT " REQ_COLS " FROM jit_requests "
		    "WHERE \"user\" = $1 AND state IN (1, 2) ORDER BY id", &p,
		    cb, arg, 1);
	}
	return each_request(b, "SELECT " REQ_COLS " FROM jit_requests WHERE "
	    "state IN (1, 2) ORDER BY expires, id", NULL, cb, arg, 1);
}
