/*
 * rpc-approve.c: requests, approve and deny: the approvers' side of a
 * request.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "calog.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jpolicy.h"
#include "jstore.h"
#include "rpc-impl.h"
#include "svc.h"

_Static_assert(JPOLICY_APPROVERS_MAX <= JSTORE_FIELD_MAX,
    "the policy lets a quorum's names grow past the log's field");
#include "textout.h"

struct list_ctx {
	struct rpc *cx;
	struct jpolicy *p;
	int json, n;
	uint64_t now;
};

static int
list_one(const struct jstore_request *r, void *arg)
{
	struct list_ctx *l = arg;
	struct rpc *cx = l->cx;
	char exp[32];
	int mine = strcmp(r->user, cx->user) == 0;

	if (r->state != JSTORE_REQ_PENDING ||
	    (!mine && !jpolicy_can_approve_at(l->p, r->role, cx->user,
	    l->now > r->created ? l->now - r->created : 0)))
		return 0;
	jit_format_time(r->expires, exp, sizeof(exp));
	if (l->json) {
		json_t *o = json_object();

		json_object_set_new(o, "request_id", json_string(r->id));
		json_object_set_new(o, "user", json_string(r->user));
		json_object_set_new(o, "role", json_string(r->role));
		json_object_set_new(o, "principals", ca_json_list(r->principals));
		json_object_set_new(o, "ttl", json_integer((json_int_t)r->ttl));
		json_object_set_new(o, "fingerprint", json_string(r->fingerprint));
		json_object_set_new(o, "reason", json_string(r->reason));
		json_object_set_new(o, "source", json_string(r->source));
		json_object_set_new(o, "expires", json_string(exp));
		json_object_set_new(o, "approvers", ca_json_list(r->approvers));
		json_object_set_new(o, "quorum", json_integer(r->quorum));
		json_object_set_new(o, "yours", json_boolean(mine));
		rpc_json(cx, o);
	} else {
		if (l->n == 0)
			rpc_out(cx, "%-19s %-10s %-12s %-14s %-21s %-9s %s\n", "ID",
			    "USER", "ROLE", "PRINCIPALS", "EXPIRES", "APPROVALS",
			    "REASON");
		rpc_out(cx, "%-19s %-10s %-12s %-14s %-21s %zu/%-7u %s\n", r->id,
		    r->user, r->role, r->principals, exp,
		    jit_list_count(r->approvers), r->quorum, r->reason);
	}
	l->n++;
	return 0;
}

int
rpc_requests(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	int json = jit_flag(a, "json");
	struct list_ctx l = { cx, NULL, 0, 0, jit_now() };

	(void)jstore_request_expire(cx->svc->store, jit_now(), NULL);
	l.p = rpc_policy(cx);
	l.json = json;
	(void)jstore_request_list_open(cx->svc->store, NULL, list_one,
	    &l);
	svc_policy_put(cx->svc, l.p);
	if (!json && l.n == 0)
		rpc_err(cx, "no pending requests for you to decide or of yours\n");
	return RPC_OK;
}

static int
decide_cmd(struct rpc *cx, const struct jit_args *a, int approve)
{
	const char *comment = jit_arg(a, "comment"), *id = a->pos[0];
	const char *cmd = a->verb->name;
	struct jstore_request *rq = NULL;
	struct jpolicy *p;
	struct jpolicy_role_info info;
	enum jstore_request_state st = 0;
	unsigned quorum = 0;
	int r, may, rc = RPC_DENIED;

	if (comment != NULL && strlen(comment) > 1024) {
		rpc_err(cx, "%s: --comment is longer than 1024 bytes\n", cmd);
		return RPC_USAGE;
	}
	if (jstore_request_get(cx->svc->store, id, &rq) != 0) {
		rpc_err(cx, "%s: no request %s\n", cmd, id);
		return RPC_DENIED;
	}
	p = rpc_policy(cx);
	may = jpolicy_can_approve_at(p, rq->role, cx->user,
	    jit_now() > rq->created ? jit_now() -
	    rq->created : 0);
	if (jpolicy_role_info(p, rq->role, &info) == 0 && info.quorum > 0)
		quorum = info.quorum;	/* the quorum as the policy is now */
	svc_policy_put(cx->svc, p);
	/*
	 * A requester may withdraw (deny) their own request.  Anyone else who
	 * may not decide it is told what a request that does not exist gets:
	 * request ids are not theirs to probe.
	 */
	if (!may && !(!approve && strcmp(rq->user, cx->user) == 0)) {
		rpc_err(cx, "%s: no request %s\n", cmd, id);
		goto out;
	}
	/* A locked user decides nothing for others (and may withdraw). */
	if (strcmp(rq->user, cx->user) != 0 && rpc_refuse_locked(cx, cmd,
	    cx->user, "no decisions"))
		goto out;
	if (may && !cx->mfa_done && strcmp(rq->user, cx->user) != 0) {
		rpc_err(cx, "%s: approvers need MFA: this session has not completed "
		    "a verification code\n", cmd);
		goto out;
	}
	r = approve ? jstore_request_approve(cx->svc->store, id, cx->user,
	    comment, jit_now(), quorum, &st) :
	    jstore_request_deny(cx->svc->store, id, cx->user, comment,
	    jit_now());
	if (r != 0) {
		rpc_err(cx, "%s %s: %s\n", cmd, id, jit_strerror(r));
		goto out;
	}
	rpc_out(cx, "%s: %s\n", id, approve ? jstore_request_state_name(st) :
	    "denied");
	ca_log("%s %s by %s", approve ? "approve" : "deny", id, cx->user);
	rc = RPC_OK;
 out:
	jstore_request_free(rq);
	return rc;
}

int
rpc_approve(void *ctx, const struct jit_args *a)
{
	return decide_cmd(ctx, a, 1);
}

int
rpc_deny(void *ctx, const struct jit_args *a)
{
	return decide_cmd(ctx, a, 0);
}
