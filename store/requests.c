/*
 * requests.c: the request decisions both backends make (store-req.h):
 * who may decide, when a request is approved, when it is overdue, and
 * that an approved request gives at most one certificate; and a plain
 * append (jstore_append) through the same transactions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "store-impl.h"
#include "store-req.h"

int
store_req_event(const struct store_rtx_ops *o, void *tx,
    const struct jstore_request *r, const char *kind, const char *actor,
    const char *comment, uint64_t now)
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
	/* The deadline (pending, then pickup) as it is after this event:
	 * audit verify re-derives the record's. */
	if (strcmp(kind, "request") == 0 || strcmp(kind, "approve") == 0)
		ev.valid_before = r->expires;
	return o->append(tx, &ev, 1);
}

static int
create_fn(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a)
{
	struct jstore_request r = *a->in;
	unsigned char rnd[4];
	char id[JSTORE_REQUEST_ID_LEN + 1];
	unsigned n;
	int e;

	if ((e = o->count_pending(tx, r.user, &n)) != 0)
		return e;
	/*
	 * The same user, role and key already wait (parallel logins, on this
	 * instance or another): join that request, in the same transaction
	 * that would create one, so there is only ever one.
	 */
	if (r.fingerprint != NULL && *r.fingerprint != '\0') {
		e = o->find_pending(tx, r.user, r.role, r.fingerprint, a->now,
		    id);
		if (e == 0) {
			memcpy(a->id_out, id, sizeof(id));
			a->joined = 1;
			return 0;
		}
		if (e != JIT_ERR_NOT_FOUND)
			return e;
	}
	if (n >= a->max_pending)
		return JIT_ERR_PENDING_CAP;
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
	r.flags = 0;
	if ((e = o->write(tx, &r, 1)) != 0 ||
	    (e = store_req_event(o, tx, &r, "request", NULL, r.reason, a->now)) != 0)
		return e;
	memcpy(a->id_out, id, sizeof(id));
	return 0;
}

int
store_req_create(store_req_runner run, void *be,
    const struct jstore_request *req, uint64_t now, unsigned max_pending,
    char *id_out)
{
	struct store_req_arg a;

	if (be == NULL || req == NULL || id_out == NULL || req->user == NULL ||
	    req->role == NULL || *req->user == '\0' || req->quorum == 0 ||
	    req->expires <= now || !store_fingerprint_ok(req->fingerprint))
		return JIT_ERR_INVALID_ARGUMENT;
	if (strlen(req->user) > STORE_NAME_MAX ||
	    strlen(req->role) > STORE_NAME_MAX ||
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
	return run(be, create_fn, &a);
}

/*
 * Reads a request that is still open: pending (or, with approved_too, also
 * approved and not yet picked up).  An overdue one is expired right here
 * (state and event), and the caller told so.
 */
static int
open_request(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a,
    int approved_too, struct jstore_request **rp)
{
	int e;

	if ((e = o->read(tx, a->id, rp)) != 0)
		return e;
	if ((*rp)->state != JSTORE_REQ_PENDING &&
	    !(approved_too && (*rp)->state == JSTORE_REQ_APPROVED))
		return JIT_ERR_REQUEST_DECIDED;
	if (a->now >= (*rp)->expires) {
		(*rp)->state = JSTORE_REQ_EXPIRED;
		if ((e = o->write(tx, *rp, 0)) != 0 ||
		    (e = store_req_event(o, tx, *rp, "expire", NULL, NULL, a->now)) != 0)
			return e;
		a->expired = 1;	/* committed; the caller reports it */
		a->state = (*rp)->state;
	}
	return 0;
}

static int
approve_fn(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a)
{
	struct jstore_request *r = NULL;
	char *list = NULL;
	int e;

	if ((e = open_request(o, tx, a, 0, &r)) != 0 || a->expired)
		goto out;
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
	if ((e = o->write(tx, r, 0)) == 0)
		e = store_req_event(o, tx, r, "approve", a->actor, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

static int
deny_fn(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a)
{
	struct jstore_request *r = NULL;
	int e;

	if ((e = open_request(o, tx, a, a->approved_too, &r)) != 0 ||
	    a->expired)
		goto out;
	/* A requester may withdraw their own request: that is a deny too. */
	r->state = JSTORE_REQ_DENIED;
	a->state = r->state;
	if ((e = o->write(tx, r, 0)) == 0)
		e = store_req_event(o, tx, r, "deny", a->actor, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

int
store_req_decide(store_req_runner run, void *be, const char *kind,
    const char *id, const char *actor, const char *comment, uint64_t now,
    unsigned quorum, enum jstore_request_state *statep)
{
	struct store_req_arg a;
	int e;

	if (be == NULL || id == NULL || actor == NULL || *actor == '\0' ||
	    strlen(actor) > STORE_NAME_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if (comment != NULL && strlen(comment) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.actor = actor;
	a.comment = comment;
	a.now = now;
	a.quorum = quorum;
	a.approved_too = strcmp(kind, "cancel") == 0;
	if ((e = run(be, strcmp(kind, "approve") == 0 ? approve_fn : deny_fn,
	    &a)) != 0)
		return e;
	if (statep != NULL)
		*statep = a.state;
	return a.expired ? JIT_ERR_REQUEST_EXPIRED : 0;
}

static int
mark_fn(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a)
{
	struct jstore_request *r = NULL;
	int e;

	if ((e = o->read(tx, a->id, &r)) != 0)
		goto out;
	if (r->state != JSTORE_REQ_PENDING)
		e = JIT_ERR_REQUEST_DECIDED;
	else if (r->flags & a->flag)
		e = JIT_ERR_EXISTS;
	else {
		r->flags |= a->flag;
		if ((e = o->write(tx, r, 0)) == 0)
			e = store_req_event(o, tx, r, a->flag == JSTORE_REQ_REMINDED ?
			    "remind" : "escalate", NULL, a->comment, a->now);
	}
 out:
	jstore_request_free(r);
	return e;
}

int
store_req_mark(store_req_runner run, void *be, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	struct store_req_arg a;

	if (be == NULL || id == NULL || (flag != JSTORE_REQ_REMINDED &&
	    flag != JSTORE_REQ_ESCALATED))
		return JIT_ERR_INVALID_ARGUMENT;
	if (note != NULL && strlen(note) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flag = flag;
	a.comment = note;
	a.now = now;
	return run(be, mark_fn, &a);
}

/*
 * The claim and the record in one transaction: whoever commits first
 * turns the request issued; everybody else then finds it decided, and
 * their certificate (signed, never shown) is dropped.
 */
static int
issue_fn(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a)
{
	struct jstore_request *r = NULL;
	int e;

	if ((e = open_request(o, tx, a, 1, &r)) != 0 || a->expired)
		goto out;
	if (r->state != JSTORE_REQ_APPROVED) {
		e = JIT_ERR_REQUEST_DECIDED;
		goto out;
	}
	r->state = JSTORE_REQ_ISSUED;
	r->serial = a->evs[0].serial;
	/* The append refuses an issue a lock or the cap forbids. */
	if ((e = o->write(tx, r, 0)) == 0)
		e = o->append(tx, a->evs, a->nevs);
 out:
	jstore_request_free(r);
	return e;
}

int
store_req_issue(store_req_runner run, void *be, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	struct store_req_arg a;
	size_t i;
	int e;

	if (be == NULL || id == NULL || evs == NULL || n == 0 ||
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
	e = run(be, issue_fn, &a);
	if (e == 0 && a.expired)
		e = JIT_ERR_REQUEST_EXPIRED;
	if (e != 0)
		for (i = 0; i < n; i++)
			evs[i].seq = 0;
	return e;
}

static int
append_fn(const struct store_rtx_ops *o, void *tx, struct store_req_arg *a)
{
	return o->append(tx, a->evs, a->nevs);
}

int
store_append_run(store_req_runner run, void *be, struct jstore_event *evs,
    size_t n)
{
	struct store_req_arg a;
	size_t i;
	int r;

	if (be == NULL || (evs == NULL && n != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n; i++)
		if ((r = store_event_check(&evs[i])) != 0)
			return r;
	memset(&a, 0, sizeof(a));
	a.evs = evs;
	a.nevs = n;
	if ((r = run(be, append_fn, &a)) != 0)
		for (i = 0; i < n; i++)
			evs[i].seq = 0;
	return r;
}
