/*
 * rpc-wait.c: a login that waits for approval: looking again (its hook
 * poll in the command table), issuing once approved under the policy as
 * it is then, or giving up (withdraw).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "calog.h"
#include "issue.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"
#include "rpc-impl.h"
#include "svc.h"
#include "textout.h"

static int
take_sso(const struct jstore_event *ev, void *arg)
{
	snprintf(arg, 2048, "%s", ev->reason != NULL ? ev->reason : "");
	return 0;
}

/*
 * An approver who signed in at the identity provider is not in the
 * policy: the groups their latest sign-in brought (the log's "sso" event)
 * judge them, under the policy as it is now.
 */
static int
sso_approver_may(struct rpc *cx, struct jpolicy *p, const char *role,
    const char *name, uint64_t age)
{
	struct jstore_filter f;
	struct jpolicy_sso_id id;
	struct jpolicy *view;
	char reason[2048] = "", *g, *save = NULL, *end;
	char *groups[64];
	int may;

	if (!jpolicy_user_sso(p, name))
		return 0;
	memset(&f, 0, sizeof(f));
	f.user = name;
	f.event = "sso";
	f.limit = 1;
	if (jstore_query(cx->svc->store, &f, take_sso, reason) != 0 ||
	    (g = strstr(reason, " groups ")) == NULL)
		return 0;
	g += 8;
	if ((end = strchr(g, ';')) != NULL)
		*end = '\0';
	memset(&id, 0, sizeof(id));
	snprintf(id.user, sizeof(id.user), "%s", name);
	id.groups = groups;
	/* "dev (groups), leads (department=sre)": the names before " (". */
	for (g = strtok_r(g, ",", &save); g != NULL && id.ngroups < 64;
	    g = strtok_r(NULL, ",", &save)) {
		g += strspn(g, " ");
		if ((end = strchr(g, ' ')) != NULL)
			*end = '\0';
		if (*g != '\0')
			groups[id.ngroups++] = g;
	}
	if ((view = jpolicy_with_sso_user(p, &id)) == NULL)
		return 0;
	may = jpolicy_can_approve_at(view, role, name, age);
	jpolicy_free(view);
	return may;
}

/*
 * Approvals under the policy as it is now: those of approvers who still
 * may approve the role (never the requester).  Returns their number.
 */
static unsigned
valid_approvals(struct rpc *cx, struct jpolicy *p,
    const struct jstore_request *rq, uint64_t now)
{
	uint64_t age = now > rq->created ? now - rq->created : 0;
	const char *a = rq->approvers, *e;
	char name[256];
	unsigned n = 0;

	while (a != NULL && *a != '\0') {
		e = strchr(a, ',');
		snprintf(name, sizeof(name), "%.*s",
		    (int)(e != NULL ? (size_t)(e - a) : strlen(a)), a);
		if (strcmp(name, rq->user) != 0 &&
		    (jpolicy_can_approve_at(p, rq->role, name, age) ||
		    sso_approver_may(cx, p, rq->role, name, age)))
			n++;
		a = e != NULL ? e + 1 : NULL;
	}
	return n;
}

/* The policy no longer allows what was approved: cancel, tell why. */
static int
approved_refused(struct rpc *cx, const struct jstore_request *rq,
    const char *why)
{
	(void)jstore_request_cancel(cx->svc->store, rq->id, "policy", why,
	    jit_now());
	ca_log("request %s cancelled at issuance: %s", rq->id, why);
	rpc_err(cx, "request %s was approved, but %s: ask again\n", rq->id, why);
	return RPC_DENIED;
}

/*
 * The approved request's certificate, on the waiting channel.  The whole
 * decision is made again under the policy as it is now (role, principals,
 * ttl, quorum and who may approve); the ttl approved is an upper bound
 * (a window may end sooner), the principals must be the same.  Claim and
 * record are one commit (ca_issue): one certificate per request.
 */
static int
issue_approved(struct rpc *cx, const struct jstore_request *rq)
{
	struct jpolicy *p = rpc_policy(cx);
	struct jpolicy_decision *d = NULL;
	struct jkey *key = NULL;
	struct jcert *c = NULL;
	char *principals = NULL, *line = NULL, why[256];
	unsigned valid = 0;
	int r, rc = RPC_ERROR;
	struct jpolicy_request req = {
		.user = rq->user, .role = rq->role, .ttl = rq->ttl,
		.mfa_done = 1, .reason = rq->reason, .address = rq->source,
		.now = jit_now(),
	};

	if (jkey_parse_line(rq->pubkey, &key, NULL) != 0)
		goto out;
	req.key_type = jkey_type(key);
	if (jpolicy_evaluate(p, &req, &d) != 0)
		goto out;
	valid = valid_approvals(cx, p, rq, req.now);
	svc_policy_put(cx->svc, p);	/* d holds copies; never across commits */
	p = NULL;
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		snprintf(why, sizeof(why), "the policy no longer allows it: %s",
		    jpolicy_decision_reason(d));
		rc = approved_refused(cx, rq, why);
		goto out;
	}
	if ((principals = ca_join_decision(d, 0)) == NULL)
		goto out;
	if (strcmp(principals, rq->principals) != 0 ||
	    jpolicy_decision_ttl(d) > rq->ttl) {
		rc = approved_refused(cx, rq, "the policy changed what it "
		    "would issue");
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL &&
	    valid < jpolicy_decision_quorum(d)) {
		snprintf(why, sizeof(why), "the policy now needs %u approval(s) "
		    "and %u of them still count", jpolicy_decision_quorum(d),
		    valid);
		rc = approved_refused(cx, rq, why);
		goto out;
	}
	if ((r = rpc_issue_cert(cx->svc, rq->user, rq->role,
	    key, d, rq->source, rq->reason, rq->id, rq->approvers, &c)) != 0) {
		if (r == JIT_ERR_REQUEST_DECIDED) {
			rpc_err(cx, "request %s was already issued\n", rq->id);
			rc = RPC_DENIED;
		} else if (r == JIT_ERR_REQUEST_EXPIRED) {
			rpc_err(cx, "request %s was approved but not picked up in "
			    "time: it expired\n", rq->id);
			rc = RPC_DENIED;
		} else if (r == JIT_ERR_CERT_CAP) {
			rpc_err(cx, "request %s stays approved: %s\n", rq->id,
			    jit_strerror(r));
			rc = RPC_DENIED;
		} else if (r == JIT_ERR_USER_LOCKED &&
		    rpc_refuse_locked(cx, "login", rq->user, "no new certificates")) {
			rpc_err(cx, "request %s stays approved until it expires; it "
			    "can be picked up once %s is unlocked\n", rq->id,
			    rq->user);
			rc = RPC_DENIED;
		} else
			rpc_err(cx, "approved, but the certificate could not be "
			    "issued\n");
		goto out;
	}
	if (jcert_format_line(c, jcert_key_id(c), &line) != 0)
		goto out;
	ca_log("issue %s to %s (role %s, request %s, approved by %s)",
	    jcert_key_id(c), rq->user, rq->role, rq->id, rq->approvers);
	if (cx->wait_json) {
		json_t *o = json_object();

		json_object_set_new(o, "status", json_string("issued"));
		json_object_set_new(o, "certificate", json_string(line));
		json_object_set_new(o, "key_id", json_string(jcert_key_id(c)));
		json_object_set_new(o, "approvers", ca_json_list(rq->approvers));
		rpc_json(cx, o);
	} else
		rpc_out(cx, "%s\n", line);
	rc = RPC_OK;
 out:
	if (p != NULL)
		svc_policy_put(cx->svc, p);
	free(principals);
	free(line);
	jcert_free(c);
	jkey_free(key);
	jpolicy_decision_free(d);
	return rc;
}

struct deny_info {
	char by[128], comment[1100];
};

static int
last_deny(const struct jstore_event *ev, void *arg)
{
	struct deny_info *d = arg;

	snprintf(d->by, sizeof(d->by), "%s", ev->approvers);
	snprintf(d->comment, sizeof(d->comment), "%s", ev->reason);
	return 0;
}

/*
 * Says who ended the request and why, from its deny event: withdrawn by
 * the requester, cancelled at issuance (by "policy"), or denied by an
 * approver with the comment they gave.
 */
static void
tell_denied(struct rpc *cx, const struct jstore_request *rq)
{
	struct jstore_filter f;
	struct deny_info d = { "", "" };

	memset(&f, 0, sizeof(f));
	f.request_id = rq->id;
	f.event = "deny";
	f.limit = 1;
	(void)jstore_query(cx->svc->store, &f, last_deny, &d);
	if (strcmp(d.by, rq->user) == 0)
		rpc_err(cx, "request %s was withdrawn (by %s)\n", rq->id, d.by);
	else if (strcmp(d.by, "policy") == 0)
		rpc_err(cx, "request %s was cancelled: %s\n", rq->id, d.comment);
	else if (d.by[0] != '\0')
		rpc_err(cx, "request %s was denied by %s%s%s\n", rq->id, d.by,
		    d.comment[0] != '\0' ? ": " : "", d.comment);
	else
		rpc_err(cx, "request %s was denied\n", rq->id);
}

/*
 * A waiting login reads its request again only when the store says its
 * log moved (an approval, a denial, an expiry: here or on another
 * instance), and at least every WAIT_REREAD_SEC seconds whatever it says.
 */
#define WAIT_REREAD_SEC	10

int
rpc_login_poll(void *ctx)
{
	struct rpc *cx = ctx;
	struct jstore_request *rq = NULL;
	uint64_t now = jit_now();
	uint64_t changes = jstore_changes(cx->svc->store);
	int rc = RPC_WAIT;

	if (changes != 0 && changes == cx->wait_changes &&
	    now - cx->wait_read < WAIT_REREAD_SEC)
		return RPC_WAIT;
	cx->wait_changes = changes;
	cx->wait_read = now;
	if (jstore_request_get(cx->svc->store, cx->wait_id, &rq) != 0) {
		rpc_err(cx, "request %s vanished\n", cx->wait_id);
		rc = RPC_ERROR;
		goto out;
	}
	switch (rq->state) {
	case JSTORE_REQ_PENDING:
		if (now >= rq->expires) {
			(void)jstore_request_expire(cx->svc->store, now, NULL);
			rpc_err(cx, "request %s expired without approval\n", rq->id);
			rc = RPC_DENIED;
		}
		break;
	case JSTORE_REQ_APPROVED:
		rc = issue_approved(cx, rq);
		break;
	case JSTORE_REQ_DENIED:
		tell_denied(cx, rq);
		rc = RPC_DENIED;
		break;
	case JSTORE_REQ_EXPIRED:
		rpc_err(cx, "request %s expired without approval\n", rq->id);
		rc = RPC_DENIED;
		break;
	default:
		rpc_err(cx, "request %s was already issued\n", rq->id);
		rc = RPC_DENIED;
		break;
	}
 out:
	jstore_request_free(rq);
	if (rc != RPC_WAIT)
		cx->wait_id[0] = '\0';
	return rc;
}

int
rpc_login_withdraw(void *ctx)
{
	struct rpc *cx = ctx;
	int r;

	r = jstore_request_deny(cx->svc->store, cx->wait_id, cx->user,
	    "withdrawn by the requester", jit_now());
	if (r == 0) {
		ca_log("request %s withdrawn by %s", cx->wait_id, cx->user);
		rpc_err(cx, "request %s withdrawn\n", cx->wait_id);
	} else
		rpc_err(cx, "request %s could not be withdrawn: %s\n", cx->wait_id,
		    jit_strerror(r));
	cx->wait_id[0] = '\0';
	return RPC_DENIED;
}
