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
#include "store-req.h"

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
	pg_param_str(&p, id);
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

	pg_param_str(&p, r->id);
	pg_param_str(&p, r->user);
	pg_param_str(&p, r->role);
	pg_param_str(&p, r->principals);
	pg_param_str(&p, r->pubkey);
	pg_param_str(&p, r->fingerprint);
	pg_param_str(&p, r->reason);
	pg_param_str(&p, r->source);
	pg_param_str(&p, r->approver_groups);
	pg_param_str(&p, r->approvers);
	pg_param_u64(&p, r->ttl);
	pg_param_u64(&p, r->created);
	pg_param_u64(&p, r->serial);
	pg_param_u64(&p, r->expires);
	pg_param_u64(&p, r->pickup_ttl);
	pg_param_u64(&p, r->quorum);
	pg_param_u64(&p, r->state);
	pg_param_u64(&p, r->flags);
	return pg_exec(c, "INSERT INTO jit_requests (" REQ_COLS ") VALUES ($1, "
	    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
	    "$17, $18) ON CONFLICT (id) DO UPDATE SET approvers = $10, "
	    "serial = $13, expires = $14, quorum = $16, state = $17, "
	    "flags = $18", &p, NULL);
}

/* The request decisions (requests.c) in the shared transaction. */
static int
ptx_read(void *tx, const char *id, struct jstore_request **rp)
{
	return req_read(((struct pgtx *)tx)->c, id, 1, rp);
}

static int
ptx_write(void *tx, const struct jstore_request *r, int create)
{
	(void)create;	/* ids are random: a clash is a unique violation */
	return pg_request_write(((struct pgtx *)tx)->c, r);
}

static int
ptx_append(void *tx, struct jstore_event *evs, size_t n)
{
	return pg_append_tx(tx, evs, n);	/* checks lock and cap */
}

/*
 * The user's pending requests.  An advisory lock on the user orders two
 * instances creating requests for one user at once (the count and the
 * insert would otherwise race).
 */
static int
ptx_count_pending(void *tx, const char *user, unsigned *np)
{
	struct pgtx *t = tx;
	struct pgp p = { .n = 0 };
	PGresult *res;
	int e;

	pg_param_str(&p, user);
	if ((e = pg_exec(t->c, "SELECT pg_advisory_xact_lock(hashtext($1))",
	    &p, NULL)) != 0 ||
	    (e = pg_exec(t->c, "SELECT count(*) FROM jit_requests WHERE "
	    "\"user\" = $1 AND state = 1", &p, &res)) != 0)
		return e;
	*np = (unsigned)pg_u64(res, 0, 0);
	PQclear(res);
	return 0;
}

/* Under count_pending's lock on the user: no other instance creates. */
static int
ptx_find_pending(void *tx, const char *user, const char *role, const char *fp,
    uint64_t now, char *id)
{
	struct pgtx *t = tx;
	struct pgp p = { .n = 0 };
	PGresult *res;
	int e;

	pg_param_str(&p, user);
	pg_param_str(&p, role);
	pg_param_str(&p, fp);
	pg_param_u64(&p, now);
	if ((e = pg_exec(t->c, "SELECT id FROM jit_requests WHERE \"user\" = $1 "
	    "AND role = $2 AND fingerprint = $3 AND state = 1 AND expires > $4 "
	    "ORDER BY created DESC LIMIT 1", &p, &res)) != 0)
		return e;
	e = JIT_ERR_NOT_FOUND;
	if (PQntuples(res) == 1 && strlen(pg_str(res, 0, 0)) <=
	    JSTORE_REQUEST_ID_LEN) {
		memcpy(id, pg_str(res, 0, 0), strlen(pg_str(res, 0, 0)) + 1);
		e = 0;
	}
	PQclear(res);
	return e;
}

static const struct store_rtx_ops ptx_ops = {
	ptx_read, ptx_write, ptx_append, ptx_count_pending, ptx_find_pending
};

struct ptx_call {
	store_req_fn fn;
	struct store_req_arg *a;
};

static int
ptx_fn(struct pgtx *t, void *arg)
{
	struct ptx_call *c = arg;

	return c->fn(&ptx_ops, t, c->a);
}

int
pg_rtx_run(void *be, store_req_fn fn, struct store_req_arg *a)
{
	struct ptx_call c = { fn, a };

	return pg_run_write(be, ptx_fn, &c);
}

int
pg_request_create(struct store_be *b, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out)
{
	return store_req_create(pg_rtx_run, b, req, now, max_pending, id_out);
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

int
pg_request_approve(struct store_be *b, const char *id, const char *approver,
    const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep)
{
	return store_req_decide(pg_rtx_run, b, "approve", id, approver, comment,
	    now, quorum, statep);
}

int
pg_request_deny(struct store_be *b, const char *id, const char *by,
    const char *comment, uint64_t now)
{
	return store_req_decide(pg_rtx_run, b, "deny", id, by, comment, now, 0,
	    NULL);
}

int
pg_request_cancel(struct store_be *b, const char *id, const char *by,
    const char *reason, uint64_t now)
{
	return store_req_decide(pg_rtx_run, b, "cancel", id, by, reason, now, 0,
	    NULL);
}

int
pg_request_mark(struct store_be *b, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	return store_req_mark(pg_rtx_run, b, id, flag, note, now);
}

int
pg_request_issue(struct store_be *b, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	return store_req_issue(pg_rtx_run, b, id, now, evs, n);
}

struct expire_arg {
	uint64_t now;
	unsigned count;
};

static int
expire_fn(struct pgtx *t, void *arg)
{
	struct expire_arg *a = arg;
	struct jstore_request *r;
	struct pgp p = { .n = 0 };
	PGresult *res;
	int i, e;

	a->count = 0;
	pg_param_u64(&p, a->now);
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
		    (e = store_req_event(&ptx_ops, t, r, "expire", NULL, NULL,
		    a->now)) == 0)
			a->count++;
		jstore_request_free(r);
	}
	PQclear(res);
	return e;
}

int
pg_request_expire(struct store_be *b, uint64_t now, unsigned *countp)
{
	struct expire_arg a = { now, 0 };
	int e;

	if (b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
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
	pg_param_u64(&p, state);
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
		pg_param_str(&p, user);
		return each_request(b, "SELECT " REQ_COLS " FROM jit_requests "
		    "WHERE \"user\" = $1 AND state IN (1, 2) ORDER BY id", &p,
		    cb, arg, 1);
	}
	return each_request(b, "SELECT " REQ_COLS " FROM jit_requests WHERE "
	    "state IN (1, 2) ORDER BY expires, id", NULL, cb, arg, 1);
}
