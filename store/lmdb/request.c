/*
 * request.c: approval requests: records, the index of open ones, and every state change.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store-impl.h"
#include "store-req.h"

int
lmdb_req_read(struct store_be *s, MDB_txn *txn, const char *id,
    struct jstore_request **rp)
{
	MDB_val k, v;
	int rc;

	*rp = NULL;
	k.mv_data = (void *)(uintptr_t)id;
	k.mv_size = strlen(id);
	if (k.mv_size == 0 || k.mv_size > KEY_MAX)
		return JIT_ERR_NOT_FOUND;
	if ((rc = mdb_get(txn, s->dbi[DB_REQUESTS], &k, &v)) != 0)
		return lmdb_mdb_err(rc);
	return store_request_decode(v.mv_data, v.mv_size, rp);
}

/*
 * The open-request index (DB_OPEN): two keys for each pending or approved
 * request, so that nothing on a hot path walks the whole history (which
 * is never pruned: it is the record of every request):
 *   'u' user NUL id      a user's open requests (the per-user cap)
 *   'e' be64(expires) id what is due to expire, soonest first
 * The value is the state byte.  req_write() keeps it in step with the
 * records, and audit verify checks it against them.
 */
#define OPEN_KEY_MAX	(1 + KEY_MAX + 1 + KEY_MAX)

int
lmdb_req_is_open(const struct jstore_request *r)
{
	return r->state == JSTORE_REQ_PENDING ||
	    r->state == JSTORE_REQ_APPROVED;
}

static size_t
open_key_user(const char *user, const char *id, unsigned char *buf)
{
	size_t ul = strlen(user), il = id != NULL ? strlen(id) : 0;

	buf[0] = 'u';
	memcpy(buf + 1, user, ul);
	buf[1 + ul] = '\0';
	if (il > 0)
		memcpy(buf + 2 + ul, id, il);
	return 2 + ul + il;
}

static size_t
open_key_exp(uint64_t expires, const char *id, unsigned char *buf)
{
	size_t il = strlen(id);

	buf[0] = 'e';
	lmdb_put_be64(buf + 1, expires);
	memcpy(buf + 9, id, il);
	return 9 + il;
}

static int
open_index(struct store_be *s, MDB_txn *txn, const struct jstore_request *r,
    int add)
{
	unsigned char kb[2][OPEN_KEY_MAX], st = (unsigned char)r->state;
	MDB_val k, v;
	size_t len[2];
	int i, rc;

	if (strlen(r->user) > KEY_MAX || strlen(r->id) > KEY_MAX)
		return JIT_ERR_STORE_CORRUPT;
	len[0] = open_key_user(r->user, r->id, kb[0]);
	len[1] = open_key_exp(r->expires, r->id, kb[1]);
	for (i = 0; i < 2; i++) {
		k.mv_data = kb[i];
		k.mv_size = len[i];
		v.mv_data = &st;
		v.mv_size = 1;
		rc = add ? mdb_put(txn, s->dbi[DB_OPEN], &k, &v, 0) :
		    mdb_del(txn, s->dbi[DB_OPEN], &k, NULL);
		if (rc != 0 && !(rc == MDB_NOTFOUND && !add))
			return lmdb_mdb_err(rc);
	}
	return 0;
}

static int
req_write(struct store_be *s, MDB_txn *txn, const struct jstore_request *r,
    unsigned int flags)
{
	struct jstore_request *old = NULL;
	struct jbuf *b;
	MDB_val k, v;
	int e;

	if (!(flags & MDB_NOOVERWRITE)) {
		if ((e = lmdb_req_read(s, txn, r->id, &old)) != 0 &&
		    e != JIT_ERR_NOT_FOUND)
			return e;
		e = old != NULL && lmdb_req_is_open(old) ?
		    open_index(s, txn, old, 0) : 0;
		jstore_request_free(old);
		if (e != 0)
			return e;
	}
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((e = store_request_encode(r, b)) == 0) {
		k.mv_data = r->id;
		k.mv_size = strlen(r->id);
		v.mv_data = (void *)(uintptr_t)jbuf_ptr(b);
		v.mv_size = jbuf_len(b);
		e = lmdb_mdb_err(mdb_put(txn, s->dbi[DB_REQUESTS], &k, &v, flags));
	}
	jbuf_free(b);
	if (e == 0 && lmdb_req_is_open(r))
		e = open_index(s, txn, r, 1);
	return e;
}

/* A store made before DB_OPEN: index its open requests once. */
int
lmdb_open_index_build(struct store_be *s, MDB_txn *txn)
{
	struct jstore_request *r;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, e = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_REQUESTS], &cur)) != 0)
		return lmdb_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((e = store_request_decode(v.mv_data, v.mv_size, &r)) != 0)
			break;
		if (lmdb_req_is_open(r))
			e = open_index(s, txn, r, 1);
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (e != 0)
		return e;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : lmdb_mdb_err(rc);
}

/*
 * Calls cb with the id of each open request: user's (when not NULL), or
 * all of them soonest expiry first.  A cb that returns non-zero stops.
 */
static int
open_each(struct store_be *s, MDB_txn *txn, const char *user,
    int (*cb)(const char *id, unsigned char state, uint64_t expires,
    void *arg), void *arg)
{
	unsigned char kb[OPEN_KEY_MAX];
	char id[KEY_MAX + 1];
	MDB_cursor *cur;
	MDB_val k, v;
	size_t plen, il;
	int rc, e = 0;

	if (s->no_open_index)
		return JIT_ERR_STORE_CORRUPT;
	if (user != NULL && strlen(user) > KEY_MAX)
		return 0;
	plen = user != NULL ? open_key_user(user, NULL, kb) : 1;
	if (user == NULL)
		kb[0] = 'e';
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_OPEN], &cur)) != 0)
		return lmdb_mdb_err(rc);
	k.mv_data = kb;
	k.mv_size = plen;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    e == 0 && k.mv_size > plen + (user == NULL ? 8 : 0) &&
	    memcmp(k.mv_data, kb, plen) == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		il = k.mv_size - plen - (user == NULL ? 8 : 0);
		if (il > KEY_MAX || v.mv_size != 1) {
			e = JIT_ERR_STORE_CORRUPT;
			break;
		}
		memcpy(id, (const char *)k.mv_data + k.mv_size - il, il);
		id[il] = '\0';
		e = cb(id, *(const unsigned char *)v.mv_data, user == NULL ?
		    lmdb_get_be64((const unsigned char *)k.mv_data + 1) : 0, arg);
	}
	mdb_cursor_close(cur);
	if (e != 0)
		return e < 0 ? e : 0;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : lmdb_mdb_err(rc);
}

/* The request decisions (requests.c) in an LMDB write transaction. */
struct ltx {
	struct store_be *s;
	MDB_txn *txn;
};

static int
ltx_read(void *tx, const char *id, struct jstore_request **rp)
{
	struct ltx *t = tx;

	return lmdb_req_read(t->s, t->txn, id, rp);
}

static int
ltx_write(void *tx, const struct jstore_request *r, int create)
{
	struct ltx *t = tx;

	return req_write(t->s, t->txn, r, create ? MDB_NOOVERWRITE : 0);
}

static int
ltx_append(void *tx, struct jstore_event *evs, size_t n)
{
	struct ltx *t = tx;
	int e;

	if ((e = lmdb_issue_allowed(t->s, t->txn, evs, n)) != 0)
		return e;
	return lmdb_append_txn(t->s, t->txn, evs, n);
}

static int
count_one(const char *id, unsigned char state, uint64_t expires, void *arg)
{
	(void)id;
	(void)expires;
	if (state == JSTORE_REQ_PENDING)
		(*(unsigned *)arg)++;
	return 0;
}

/* The user's pending requests: from the open index, not the history. */
static int
ltx_count_pending(void *tx, const char *user, unsigned *np)
{
	struct ltx *t = tx;

	*np = 0;
	return open_each(t->s, t->txn, user, count_one, np);
}

struct find_key {
	struct ltx *t;
	const char *role, *fp;
	uint64_t now;
	char *id;
	uint64_t created;
	int found, err;
};

static int
find_key_one(const char *id, unsigned char state, uint64_t expires, void *arg)
{
	struct find_key *f = arg;
	struct jstore_request *r = NULL;

	(void)expires;		/* 0 in a user's listing: read below */
	if (state != JSTORE_REQ_PENDING)
		return 0;
	if ((f->err = lmdb_req_read(f->t->s, f->t->txn, id, &r)) != 0)
		return 1;
	if (r->expires > f->now && strcmp(r->role, f->role) == 0 &&
	    strcmp(r->fingerprint, f->fp) == 0 &&
	    (!f->found || r->created >= f->created) &&
	    strlen(id) <= JSTORE_REQUEST_ID_LEN) {
		memcpy(f->id, id, strlen(id) + 1);
		f->created = r->created;
		f->found = 1;
	}
	jstore_request_free(r);
	return 0;
}

/* The write transaction is LMDB's only one: the look-up is atomic. */
static int
ltx_find_pending(void *tx, const char *user, const char *role, const char *fp,
    uint64_t now, char *id)
{
	struct find_key f = { tx, role, fp, now, id, 0, 0, 0 };
	int e;

	if ((e = open_each(f.t->s, f.t->txn, user, find_key_one, &f)) != 0 &&
	    f.err == 0)
		return e;
	if (f.err != 0)
		return f.err;
	return f.found ? 0 : JIT_ERR_NOT_FOUND;
}

static const struct store_rtx_ops ltx_ops = {
	ltx_read, ltx_write, ltx_append, ltx_count_pending, ltx_find_pending
};

struct ltx_call {
	store_req_fn fn;
	struct store_req_arg *a;
};

static int
ltx_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct ltx_call *c = arg;
	struct ltx t = { s, txn };

	return c->fn(&ltx_ops, &t, c->a);
}

int
lmdb_rtx_run(void *be, store_req_fn fn, struct store_req_arg *a)
{
	struct ltx_call c = { fn, a };

	return lmdb_run_write(be, ltx_fn, &c);
}

int
lmdb_request_create(struct store_be *s, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out)
{
	return store_req_create(lmdb_rtx_run, s, req, now, max_pending, id_out);
}

int
lmdb_request_get(struct store_be *s, const char *id,
    struct jstore_request **reqp)
{
	MDB_txn *txn = NULL;
	int rc, e;

	if (s == NULL || id == NULL || reqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*reqp = NULL;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_mdb_err(rc);
	e = lmdb_req_read(s, txn, id, reqp);
	mdb_txn_abort(txn);
	return e;
}

int
lmdb_request_approve(struct store_be *s, const char *id,
    const char *approver, const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep)
{
	return store_req_decide(lmdb_rtx_run, s, "approve", id, approver, comment,
	    now, quorum, statep);
}

int
lmdb_request_deny(struct store_be *s, const char *id, const char *by,
    const char *comment, uint64_t now)
{
	return store_req_decide(lmdb_rtx_run, s, "deny", id, by, comment, now, 0,
	    NULL);
}

int
lmdb_request_cancel(struct store_be *s, const char *id, const char *by,
    const char *reason, uint64_t now)
{
	return store_req_decide(lmdb_rtx_run, s, "cancel", id, by, reason, now, 0,
	    NULL);
}

int
lmdb_request_mark(struct store_be *s, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	return store_req_mark(lmdb_rtx_run, s, id, flag, note, now);
}

int
lmdb_request_issue(struct store_be *s, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	return store_req_issue(lmdb_rtx_run, s, id, now, evs, n);
}

struct expire_arg {
	uint64_t now;
	unsigned count;
};

#define EXPIRE_BATCH	256

struct due {
	uint64_t now;
	size_t n;
	char ids[EXPIRE_BATCH][JSTORE_REQUEST_ID_LEN + 1];
};

static int
due_one(const char *id, unsigned char state, uint64_t expires, void *arg)
{
	struct due *d = arg;

	(void)state;
	if (expires > d->now || d->n == EXPIRE_BATCH)
		return 1;	/* sorted: nothing later is due */
	snprintf(d->ids[d->n++], sizeof(d->ids[0]), "%s", id);
	return 0;
}

/*
 * Expires what is due: the open index lists requests soonest first, so
 * this reads only those (in batches, as the index changes under it).
 */
static int
expire_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct expire_arg *a = arg;
	struct ltx t = { s, txn };
	struct jstore_request *r;
	struct due *d;
	size_t i;
	int e = 0;

	a->count = 0;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return JIT_ERR_ALLOC;
	d->now = a->now;
	do {
		d->n = 0;
		if ((e = open_each(s, txn, NULL, due_one, d)) != 0)
			break;
		for (i = 0; i < d->n && e == 0; i++) {
			if ((e = lmdb_req_read(s, txn, d->ids[i], &r)) != 0)
				break;
			if (!lmdb_req_is_open(r) || r->expires > a->now)
				e = JIT_ERR_STORE_CORRUPT;	/* index lies */
			else {
				r->state = JSTORE_REQ_EXPIRED;
				if ((e = req_write(s, txn, r, 0)) == 0 &&
				    (e = store_req_event(&ltx_ops, &t, r, "expire",
				    NULL, NULL, a->now)) == 0)
					a->count++;
			}
			jstore_request_free(r);
		}
	} while (e == 0 && d->n == EXPIRE_BATCH);
	free(d);
	return e;
}

int
lmdb_request_expire(struct store_be *s, uint64_t now, unsigned *countp)
{
	struct expire_arg a = { now, 0 };
	int e;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	e = lmdb_run_write(s, expire_fn, &a);
	if (countp != NULL)
		*countp = e == 0 ? a.count : 0;
	return e;
}

int
lmdb_request_list(struct store_be *s, enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	struct jstore_request *r;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc, e = 0;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_REQUESTS], &cur)) != 0) {
		e = lmdb_mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((e = store_request_decode(v.mv_data, v.mv_size, &r)) != 0)
			break;
		if (state == 0 || r->state == state)
			e = cb(r, arg);
		jstore_request_free(r);
	}
	if (e == 0 && rc != 0 && rc != MDB_NOTFOUND)
		e = lmdb_mdb_err(rc);
 out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	return e;
}

struct list_open {
	struct store_be *s;
	MDB_txn *txn;
	int (*cb)(const struct jstore_request *req, void *arg);
	void *arg;
};

static int
list_open_one(const char *id, unsigned char state, uint64_t expires,
    void *arg)
{
	struct list_open *l = arg;
	struct jstore_request *r;
	int e;

	(void)state;
	(void)expires;
	if ((e = lmdb_req_read(l->s, l->txn, id, &r)) != 0)
		return e == JIT_ERR_NOT_FOUND ? JIT_ERR_STORE_CORRUPT : e;
	if (lmdb_req_is_open(r) && (e = l->cb(r, l->arg)) > 0)
		e = 0;	/* a callback's own code is not the store's */
	jstore_request_free(r);
	return e;
}

int
lmdb_request_list_open(struct store_be *s, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	struct list_open l = { s, NULL, cb, arg };
	int rc, e;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &l.txn)) != 0)
		return lmdb_mdb_err(rc);
	e = open_each(s, l.txn, user, list_open_one, &l);
	mdb_txn_abort(l.txn);
	return e;
}
