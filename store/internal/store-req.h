/*
 * store-req.h: the request decisions (create, approve, deny, cancel,
 * mark, issue), written once (store/requests.c) over what a backend's
 * write transaction can do with a request; each backend runs them in its
 * own transaction (LMDB: a nested txn of the group commit; PostgreSQL: a
 * savepoint, the request row read FOR UPDATE).
 */
#ifndef JIT_STORE_REQ_H
#define JIT_STORE_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "jstore.h"

#define STORE_NAME_MAX	256	/* user, role, request id, actor */

/* What a backend's write transaction tx does with requests. */
struct store_rtx_ops {
	/* Request id (for update); JIT_ERR_NOT_FOUND when there is none. */
	int (*read)(void *tx, const char *id, struct jstore_request **rp);
	/* Writes r (create: a new id, refused when it exists). */
	int (*write)(void *tx, const struct jstore_request *r, int create);
	/* Appends events, with the checks an "issue" event must pass. */
	int (*append)(void *tx, struct jstore_event *evs, size_t n);
	/*
	 * user's pending requests; from here to the end of tx no other
	 * writer (another CA instance too) creates one for user.
	 */
	int (*count_pending)(void *tx, const char *user, unsigned *np);
	/*
	 * The id (into id, JSTORE_REQUEST_ID_LEN + 1 bytes) of user's newest
	 * request for role and key fp pending past now; JIT_ERR_NOT_FOUND.
	 */
	int (*find_pending)(void *tx, const char *user, const char *role,
	    const char *fp, uint64_t now, char *id);
};

struct store_req_arg {
	const struct jstore_request *in;
	const char *id, *actor, *comment;
	uint64_t now;
	unsigned max_pending, quorum, flag;
	int approved_too;		/* cancel: also an approved request */
	struct jstore_event *evs;	/* issue: the events to append */
	size_t nevs;
	char *id_out;
	/* Out: */
	int expired;			/* the request was found overdue */
	int joined;			/* create: one was pending for the key */
	enum jstore_request_state state;
};

/* A decision, run inside tx. */
typedef int (*store_req_fn)(const struct store_rtx_ops *o, void *tx,
    struct store_req_arg *a);
/* A backend runs fn in a write transaction of its own and commits it. */
typedef int (*store_req_runner)(void *be, store_req_fn fn,
    struct store_req_arg *a);

/* An event about request r: kind, the acting user in approvers, comment. */
int store_req_event(const struct store_rtx_ops *o, void *tx,
    const struct jstore_request *r, const char *kind, const char *actor,
    const char *comment, uint64_t now);

int store_req_create(store_req_runner run, void *be,
    const struct jstore_request *req, uint64_t now, unsigned max_pending,
    char *id_out);
/* kind: "approve", "deny" or "cancel". */
int store_req_decide(store_req_runner run, void *be, const char *kind,
    const char *id, const char *actor, const char *comment, uint64_t now,
    unsigned quorum, enum jstore_request_state *statep);
int store_req_mark(store_req_runner run, void *be, const char *id,
    unsigned flag, const char *note, uint64_t now);
int store_req_issue(store_req_runner run, void *be, const char *id,
    uint64_t now, struct jstore_event *evs, size_t n);

/* jstore_append(): events (checked first) in one transaction of run. */
int store_append_run(store_req_runner run, void *be, struct jstore_event *evs,
    size_t n);

#endif /* JIT_STORE_REQ_H */
