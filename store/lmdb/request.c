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

int
store_req_read(struct store_be *s, MDB_txn *txn, const char *id,
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
		return store_mdb_err(rc);
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
store_req_is_open(const struct jstore_request *r)
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
	store_put_be64(buf + 1, expires);
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
			return store_mdb_err(rc);
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
		if ((e = store_req_read(s, txn, r->id, &old)) != 0 &&
		    e != JIT_ERR_NOT_FOUND)
			return e;
		e = old != NULL && store_req_is_open(old) ?
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
		e = store_mdb_err(mdb_put(txn, s->dbi[DB_REQUESTS], &k, &v, flags));
	}
	jbuf_free(b);
	if (e == 0 && store_req_is_open(r))
		e = open_index(s, txn, r, 1);
	return e;
}

/* A store made before DB_OPEN: index its open requests once. */
int
store_open_index_build(struct store_be *s, MDB_txn *txn)
{
	struct jstore_request *r;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, e = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_REQUESTS], &cur)) != 0)
		return store_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((e = store_request_decode(v.mv_data, v.mv_size, &r)) != 0)
			break;
		if (store_req_is_open(r))
			e = open_index(s, txn, r, 1);
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (e != 0)
		return e;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_mdb_err(rc);
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
		return store_mdb_err(rc);
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
		    store_get_be64((const unsigned char *)k.mv_data + 1) : 0, arg);
	}
	mdb_cursor_close(cur);
	if (e != 0)
		return e < 0 ? e : 0;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_mdb_err(rc);
}

/* An event about request r: kind, acting user in approvers, comment. */
static int
req_event(struct store_be *s, MDB_txn *txn, const struct jstore_request *r,
    const char *kind, const char *actor, const char *comment, uint64_t now)
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
	return store_append_txn(s, txn, &ev, 1);
}

struct req_arg {
	const struct jstore_request *in;
	const char *id, *actor, *comment;
	uint64_t now, serial;
	unsigned max_pending, count, quorum;
	unsigned flag;			/* mark: JSTORE_REQ_REMINDED, ... */
	int approved_too;		/* cancel: also an approved request */
	struct jstore_event *evs;	/* issue: the events to append */
	size_t nevs;
	char *id_out;
	enum jstore_request_state state;
};

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
count_pending(struct store_be *s, MDB_txn *txn, const char *user, unsigned *np)
{
	*np = 0;
	return open_each(s, txn, user, count_one, np);
}

static int
create_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request r = *a->in;
	unsigned char rnd[4];
	char id[JSTORE_REQUEST_ID_LEN + 1];
	unsigned n;
	int e;

	if ((e = count_pending(s, txn, r.user, &n)) != 0)
		return e;
	if (n >= a->max_pending)
		return JIT_ERR_NO_BUFFER_SPACE;
	/* Time first, so ids sort by creation; then 32 random bits. */
	if ((e = jit_random(rnd, sizeof(rnd))) != 0)
		return e;
	snprintf(id, sizeof(id), "r-%08llx%02x%02x%02x%02x",
	    (unsigned long long)(a->now & 0xffffffffULL), rnd[0], rnd[1],
	    rnd[2], rnd[3]);
	r.id = id;
	r.state = JSTORE_REQ_PENDING;
	r.created = a->now;
	if (r.pickup_ttl == 0)
		r.pickup_ttl = r.expires - a->now;	/* as long as the wait */
	r.approvers = NULL;
	r.serial = 0;
	if ((e = req_write(s, txn, &r, MDB_NOOVERWRITE)) != 0 ||
	    (e = req_event(s, txn, &r, "request", NULL, r.reason, a->now)) != 0)
		return e;
	memcpy(a->id_out, id, sizeof(id));
	return 0;
}

int
lmdb_request_create(struct store_be *s, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out)
{
	struct req_arg a;
	const char *f[] = { req != NULL ? req->user : NULL,
	    req != NULL ? req->role : NULL };

	if (s == NULL || req == NULL || id_out == NULL || f[0] == NULL ||
	    f[1] == NULL || *f[0] == '\0' || req->quorum == 0 ||
	    req->expires <= now)
		return JIT_ERR_INVALID_ARGUMENT;
	if (!store_fingerprint_ok(req->fingerprint))
		return JIT_ERR_INVALID_ARGUMENT;
	if (strlen(f[0]) > KEY_MAX || strlen(f[1]) > KEY_MAX ||
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
	return store_run_write(s, create_fn, &a);
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
		return store_mdb_err(rc);
	e = store_req_read(s, txn, id, reqp);
	mdb_txn_abort(txn);
	return e;
}

/*
 * Loads a request that is still open: pending (or, with approved_too, also
 * approved and not yet picked up).  An overdue one is expired right here
 * (state and event), and the caller told so.
 */
static int
open_request(struct store_be *s, MDB_txn *txn, struct req_arg *a,
    int approved_too, struct jstore_request **rp, int *expiredp)
{
	int e;

	*expiredp = 0;
	if ((e = store_req_read(s, txn, a->id, rp)) != 0)
		return e;
	if ((*rp)->state != JSTORE_REQ_PENDING &&
	    !(approved_too && (*rp)->state == JSTORE_REQ_APPROVED))
		return JIT_ERR_REQUEST_DECIDED;
	if (a->now >= (*rp)->expires) {
		(*rp)->state = JSTORE_REQ_EXPIRED;
		if ((e = req_write(s, txn, *rp, 0)) != 0 ||
		    (e = req_event(s, txn, *rp, "expire", NULL, NULL,
		    a->now)) != 0)
			return e;
		*expiredp = 1;
	}
	return 0;
}

static int
approve_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	char *list = NULL;
	int e, expired;

	if ((e = open_request(s, txn, a, 0, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->state = r->state;
		e = 0;	/* commit the expiry; the caller reports it */
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
		r->quorum = a->quorum;	/* what the policy asks for now */
	if (jit_list_count(r->approvers) >= r->quorum) {
		r->state = JSTORE_REQ_APPROVED;
		/* From now on the clock is the pickup window. */
		r->expires = r->pickup_ttl > UINT64_MAX - a->now ? UINT64_MAX :
		    a->now + r->pickup_ttl;
	}
	a->state = r->state;
	if ((e = req_write(s, txn, r, 0)) != 0 ||
	    (e = req_event(s, txn, r, "approve", a->actor, a->comment,
	    a->now)) != 0)
		goto out;
 out:
	jstore_request_free(r);
	return e;
}

static int
check_actor(const char *id, const char *actor, const char *comment)
{
	if (id == NULL || actor == NULL || *actor == '\0' ||
	    strlen(actor) > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if (comment != NULL && strlen(comment) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	return 0;
}

/* Runs a decision (approve_fn or deny_fn) by actor on request id. */
static int
decide(struct store_be *s, int (*fn)(struct store_be *, MDB_txn *, void *),
    const char *id, const char *actor, const char *comment, uint64_t now,
    unsigned quorum, int approved_too, enum jstore_request_state *statep)
{
	struct req_arg a;
	int e;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((e = check_actor(id, actor, comment)) != 0)
		return e;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.actor = actor;
	a.comment = comment;
	a.now = now;
	a.quorum = quorum;
	a.approved_too = approved_too;
	if ((e = store_run_write(s, fn, &a)) != 0)
		return e;
	if (statep != NULL)
		*statep = a.state;
	return a.count ? JIT_ERR_REQUEST_EXPIRED : 0;
}

int
lmdb_request_approve(struct store_be *s, const char *id,
    const char *approver, const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep)
{
	return decide(s, approve_fn, id, approver, comment, now, quorum, 0,
	    statep);
}

static int
deny_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e, expired;

	if ((e = open_request(s, txn, a, a->approved_too, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->count = 1;
		goto out;
	}
	/* A requester may withdraw their own request: that is a deny too. */
	r->state = JSTORE_REQ_DENIED;
	a->state = r->state;
	if ((e = req_write(s, txn, r, 0)) != 0)
		goto out;
	e = req_event(s, txn, r, "deny", a->actor, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

int
lmdb_request_deny(struct store_be *s, const char *id, const char *by,
    const char *comment, uint64_t now)
{
	return decide(s, deny_fn, id, by, comment, now, 0, 0, NULL);
}

int
lmdb_request_cancel(struct store_be *s, const char *id, const char *by,
    const char *reason, uint64_t now)
{
	return decide(s, deny_fn, id, by, reason, now, 0, 1, NULL);
}

static int
mark_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e;

	if ((e = store_req_read(s, txn, a->id, &r)) != 0)
		goto out;
	if (r->state != JSTORE_REQ_PENDING) {
		e = JIT_ERR_REQUEST_DECIDED;
		goto out;
	}
	if (r->flags & a->flag) {
		e = JIT_ERR_EXISTS;
		goto out;
	}
	r->flags |= a->flag;
	if ((e = req_write(s, txn, r, 0)) == 0)
		e = req_event(s, txn, r, a->flag == JSTORE_REQ_REMINDED ?
		    "remind" : "escalate", NULL, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

int
lmdb_request_mark(struct store_be *s, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	struct req_arg a;

	if (s == NULL || id == NULL || (flag != JSTORE_REQ_REMINDED &&
	    flag != JSTORE_REQ_ESCALATED))
		return JIT_ERR_INVALID_ARGUMENT;
	if (note != NULL && strlen(note) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flag = flag;
	a.comment = note;
	a.now = now;
	return store_run_write(s, mark_fn, &a);
}

/*
 * The claim and the record in one transaction: whoever commits first
 * turns the request issued; everybody else then finds it decided, and
 * their certificate (signed, never shown) is dropped.
 */
static int
issue_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e, expired;

	if ((e = open_request(s, txn, a, 1, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->count = 1;	/* commit the expiry; the caller reports it */
		goto out;
	}
	if (r->state != JSTORE_REQ_APPROVED) {
		e = JIT_ERR_REQUEST_DECIDED;
		goto out;
	}
	if ((e = store_issue_allowed(s, txn, a->evs, a->nevs)) != 0)
		goto out;
	r->state = JSTORE_REQ_ISSUED;
	r->serial = a->evs[0].serial;
	if ((e = req_write(s, txn, r, 0)) != 0)
		goto out;
	e = store_append_txn(s, txn, a->evs, a->nevs);
 out:
	jstore_request_free(r);
	return e;
}

int
lmdb_request_issue(struct store_be *s, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	struct req_arg a;
	size_t i;
	int e;

	if (s == NULL || id == NULL || evs == NULL || n == 0 ||
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
	e = store_run_write(s, issue_fn, &a);
	if (e == 0 && a.count)
		e = JIT_ERR_REQUEST_EXPIRED;
	if (e != 0)
		for (i = 0; i < n; i++)
			evs[i].seq = 0;
	return e;
}

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
	struct req_arg *a = arg;
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
			if ((e = store_req_read(s, txn, d->ids[i], &r)) != 0)
				break;
			if (!store_req_is_open(r) || r->expires > a->now)
				e = JIT_ERR_STORE_CORRUPT;	/* index lies */
			else {
				r->state = JSTORE_REQ_EXPIRED;
				if ((e = req_write(s, txn, r, 0)) == 0 &&
				    (e = req_event(s, txn, r, "expire", NULL,
				    NULL, a->now)) == 0)
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
	struct req_arg a;
	int e;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&a, 0, sizeof(a));
	a.now = now;
	e = store_run_write(s, expire_fn, &a);
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
		e = store_mdb_err(rc);
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
		e = store_mdb_err(rc);
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
	if ((e = store_req_read(l->s, l->txn, id, &r)) != 0)
		return e == JIT_ERR_NOT_FOUND ? JIT_ERR_STORE_CORRUPT : e;
	if (store_req_is_open(r) && (e = l->cb(r, l->arg)) > 0)
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
		return store_mdb_err(rc);
	e = open_each(s, l.txn, user, list_open_one, &l);
	mdb_txn_abort(l.txn);
	return e;
}
