/*
 * rpc-login.c: login: a certificate for the public key on stdin, at once
 * or once a request is approved (rpc-wait.c waits).  One login is
 *   parse (options, the key on stdin, the role) -> decide (the policy's
 *   verdict: jpolicy_evaluate(), pure, tested without a CA in
 *   tests/policy) -> act (issue, or record a request) -> reply (the
 *   certificate, or the request to wait for).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cadir.h"
#include "calog.h"
#include "issue.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jkey.h"
#include "jp11.h"
#include "jpolicy.h"
#include "jstore.h"
#include "rpc-impl.h"
#include "svc.h"
#include "textout.h"

int
rpc_issue_cert(struct svc *s, const char *user, const char *role,
    const struct jkey *key, const struct jpolicy_decision *d,
    const char *source, const char *reason, const char *request_id,
    const char *approvers, struct jcert **cp)
{
	struct svc_keys *k = svc_keys_get(s);
	char why[256];
	int r;

	r = ca_issue(k->user.key, s->store, user, role, key, d, source, reason,
	    request_id, approvers, cp);
	if (r == JIT_ERR_TOKEN && k->user.token != NULL) {
		jp11_last_error(k->user.token, why, sizeof(why));
		ca_log("the user CA key's token (%s): %s; the next login "
		    "opens it again", k->user.where, why);
	} else if (r != 0 && r != JIT_ERR_REQUEST_DECIDED &&
	    r != JIT_ERR_REQUEST_EXPIRED && r != JIT_ERR_USER_LOCKED &&
	    r != JIT_ERR_CERT_CAP)
		/* The client is told only that it failed: the log says why. */
		ca_log("issuing to %s (role %s%s%s): %s (certificate withheld)",
		    user, role, request_id != NULL ? ", request " : "",
		    request_id != NULL ? request_id : "", jit_strerror(r));
	svc_keys_put(k);
	return r;
}

/* A login's request, parsed: what it asks for, and the key on stdin. */
struct login_ask {
	const char *role_opt, *ttl_s, *reason;
	uint64_t ttl;
	int json;
	struct jkey *key;
	char role[128];		/* the role asked for (or the only one) */
	char *reason_found;	/* a waiting request's reason (owned) */
};

static int login_request(struct rpc *, const char *, const struct jkey *,
    const struct jpolicy_decision *, const char *, int);
static char *open_request_reason(struct rpc *, const char *,
    const struct jkey *);

/* The options: an exit status, or 0. */
static int
parse_opts(struct rpc *cx, const struct jit_args *a, struct login_ask *q)
{
	q->role_opt = jit_arg(a, "role");
	q->ttl_s = jit_arg(a, "ttl");
	q->reason = jit_arg(a, "reason");
	q->json = jit_flag(a, "json");
	if (q->ttl_s != NULL && jpolicy_parse_duration(q->ttl_s, &q->ttl) != 0) {
		rpc_err(cx, "login: --ttl '%s' is not a duration (90s, 5m, 1h)\n",
		    q->ttl_s);
		return RPC_USAGE;
	}
	if (q->reason != NULL && strlen(q->reason) > 1024) {
		rpc_err(cx, "login: --reason is longer than 1024 bytes\n");
		return RPC_USAGE;
	}
	if (q->role_opt != NULL && strlen(q->role_opt) > 64) {
		rpc_err(cx, "login: --role is longer than a role name can be\n");
		return RPC_USAGE;
	}
	return 0;
}

/* stdin: exactly one public key line, not one of the CA's own keys. */
static int
parse_key(struct rpc *cx, struct login_ask *q)
{
	struct svc_keys *ks;
	char *text, *nl;
	int r, own;

	if (cx->in_too_big) {
		rpc_err(cx, "login: stdin must be one public key line (at most %d "
		    "bytes)\n", RPC_STDIN_MAX);
		return RPC_USAGE;
	}
	if ((text = strndup((const char *)jbuf_ptr(cx->in),
	    jbuf_len(cx->in))) == NULL)
		return RPC_ERROR;
	if (strlen(text) != jbuf_len(cx->in) ||
	    ((nl = strchr(text, '\n')) != NULL && nl[1] != '\0')) {
		rpc_err(cx, "login: stdin must be one public key line\n");
		free(text);
		return RPC_USAGE;
	}
	r = jkey_parse_line(text, &q->key, NULL);
	free(text);
	if (r != 0) {
		rpc_err(cx, "login: stdin is not a public key: %s\n",
		    jit_strerror(r));
		return RPC_USAGE;
	}
	ks = svc_keys_get(cx->svc);
	own = ca_own_key(ks->own, q->key);
	svc_keys_put(ks);
	if (own >= 0) {
		rpc_err(cx, "login: that is %s: the CA does not certify its own "
		    "keys (send a fresh key)\n", ca_own_key_name(own));
		ca_log("login by %s refused: the key sent is %s", cx->user,
		    ca_own_key_name(own));
		return RPC_DENIED;
	}
	return 0;
}

/* No --role: the one role this user may request, if only one. */
static int
parse_role(struct rpc *cx, const struct jpolicy *p, struct login_ask *q)
{
	const char *role = q->role_opt;
	size_t i, n;

	for (i = 0, n = 0; role == NULL && i < jpolicy_nroles(p); i++)
		if (jpolicy_user_may_request(p, cx->user,
		    jpolicy_role_name(p, i))) {
			snprintf(q->role, sizeof(q->role), "%s",
			    jpolicy_role_name(p, i));
			n++;
		}
	if (role == NULL && n != 1) {
		rpc_err(cx, "login: --role is needed (%s may request %zu "
		    "roles: see `roles`)\n", cx->user, n);
		return RPC_USAGE;
	}
	if (role != NULL)
		snprintf(q->role, sizeof(q->role), "%s", role);
	return 0;
}

/* The policy's verdict on q now: 0 with *dp, or an exit status (said). */
static int
decide(struct rpc *cx, struct login_ask *q, struct jpolicy_decision **dp)
{
	struct jpolicy *p = rpc_policy(cx);
	int r;

	if ((r = parse_role(cx, p, q)) != 0) {
		svc_policy_put(cx->svc, p);
		return r;
	}
	/* Picking up a request: its recorded reason counts. */
	if (q->reason == NULL && (q->reason_found = open_request_reason(cx,
	    q->role, q->key)) != NULL)
		q->reason = q->reason_found;
	{
		struct jpolicy_request req = {
			.user = cx->user, .role = q->role, .ttl = q->ttl,
			.mfa_done = cx->mfa_done, .reason = q->reason,
			.address = cx->addr, .key_type = jkey_type(q->key),
			.now = jit_now(),
		};

		r = jpolicy_evaluate(p, &req, dp);
	}
	/* The decision holds copies: never hold the policy across commits. */
	svc_policy_put(cx->svc, p);
	if (r != 0) {
		rpc_err(cx, "login: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	if (jpolicy_decision_verdict(*dp) == JPOLICY_DENY) {
		rpc_err(cx, "denied: %s\n", jpolicy_decision_reason(*dp));
		return RPC_DENIED;
	}
	return 0;
}

/* Issues the certificate the decision allows: 0, or an exit status. */
static int
act_issue(struct rpc *cx, const struct login_ask *q,
    const struct jpolicy_decision *d, struct jcert **cp)
{
	int r;

	if ((r = rpc_issue_cert(cx->svc, cx->user, q->role, q->key, d,
	    cx->source_note != NULL ? cx->source_note : cx->addr, q->reason,
	    NULL, NULL, cp)) == 0)
		return 0;
	if (r == JIT_ERR_USER_LOCKED && rpc_refuse_locked(cx, "login",
	    cx->user, "no new certificates"))
		return RPC_DENIED;	/* locked while we signed */
	if (r == JIT_ERR_CERT_CAP) {
		rpc_err(cx, "login: %s\n", jit_strerror(r));
		return RPC_DENIED;
	}
	rpc_err(cx, "login: the certificate could not be issued (see the CA's "
	    "log)\n");
	return RPC_ERROR;
}

/* Notes on stderr (stdout stays the certificate) and the CA's log. */
static void
reply_notes(struct rpc *cx, const struct login_ask *q,
    const struct jpolicy_decision *d, const struct jcert *c)
{
	char got[32];

	if (jpolicy_decision_ttl_capped(d)) {
		jpolicy_format_duration(jpolicy_decision_ttl(d), got,
		    sizeof(got));
		rpc_err(cx, "note: %s%s is more than role %s gives now (its max_ttl "
		    "or the end of its time window): the certificate is valid "
		    "for %s\n", q->ttl_s != NULL ? "--ttl " : "the default ttl",
		    q->ttl_s != NULL ? q->ttl_s : "", q->role, got);
	}
	if (jpolicy_decision_auto_approved(d))
		rpc_err(cx, "approved by the policy (role %s: approval.auto)\n",
		    q->role);
	ca_log("issue %s to %s (role %s) from %s", jcert_key_id(c), cx->user,
	    q->role, cx->addr);
	if (jpolicy_decision_break_glass(d))
		ca_log("BREAK-GLASS %s by %s: %s", jcert_key_id(c), cx->user,
		    q->reason != NULL ? q->reason : "");
	if (jpolicy_decision_auto_approved(d))
		ca_log("%s approved by the policy (approval.auto)",
		    jcert_key_id(c));
}

/* The certificate: its line, or one JSON object. */
static int
reply_cert(struct rpc *cx, const struct login_ask *q,
    const struct jpolicy_decision *d, const struct jcert *c)
{
	json_t *o, *pr;
	char *line = NULL, vb[32];
	size_t i;

	if (jcert_format_line(c, jcert_key_id(c), &line) != 0)
		return RPC_ERROR;
	reply_notes(cx, q, d, c);
	if (!q->json) {
		rpc_out(cx, "%s\n", line);
		free(line);
		return RPC_OK;
	}
	o = json_object();
	pr = json_array();
	for (i = 0; i < jcert_nprincipals(c); i++)
		json_array_append_new(pr, json_string(jcert_principal(c, i)));
	jit_format_time(jcert_valid_before(c), vb, sizeof(vb));
	json_object_set_new(o, "certificate", json_string(line));
	json_object_set_new(o, "serial", json_integer((json_int_t)jcert_serial(c)));
	json_object_set_new(o, "key_id", json_string(jcert_key_id(c)));
	json_object_set_new(o, "role", json_string(q->role));
	json_object_set_new(o, "principals", pr);
	json_object_set_new(o, "valid_before", json_string(vb));
	if (jpolicy_decision_auto_approved(d))
		json_object_set_new(o, "approvers", ca_json_list(CA_AUTO_APPROVER));
	rpc_json(cx, o);
	free(line);
	return RPC_OK;
}

int
rpc_login(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	struct login_ask q;
	struct jpolicy_decision *d = NULL;
	struct jcert *c = NULL;
	int rc;

	memset(&q, 0, sizeof(q));
	if ((rc = parse_opts(cx, a, &q)) != 0 || (rc = parse_key(cx, &q)) != 0)
		goto out;
	if (rpc_refuse_locked(cx, "login", cx->user, "no new certificates")) {
		rc = RPC_DENIED;
		goto out;
	}
	if ((rc = decide(cx, &q, &d)) != 0)
		goto out;
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL)
		rc = login_request(cx, q.role, q.key, d, q.reason, q.json);
	else if ((rc = act_issue(cx, &q, d, &c)) == 0)
		rc = reply_cert(cx, &q, d, c);
 out:
	free(q.reason_found);
	jcert_free(c);
	jkey_free(q.key);
	jpolicy_decision_free(d);
	return rc;
}

struct find_ctx {
	const char *user, *role, *fp;
	char id[JSTORE_REQUEST_ID_LEN + 1];
	enum jstore_request_state state;
	uint64_t expires, pickup_ttl;
};

static int
find_mine(const struct jstore_request *r, void *arg)
{
	struct find_ctx *f = arg;

	if (strcmp(r->user, f->user) == 0 && strcmp(r->role, f->role) == 0 &&
	    strcmp(r->fingerprint, f->fp) == 0 &&
	    (r->state == JSTORE_REQ_PENDING || r->state == JSTORE_REQ_APPROVED)) {
		snprintf(f->id, sizeof(f->id), "%s", r->id);
		f->state = r->state;
		f->expires = r->expires;
		f->pickup_ttl = r->state == JSTORE_REQ_PENDING ?
		    r->pickup_ttl : 0;
	}
	return 0;
}

struct reason_ctx {
	const char *role, *fp;
	char *reason;
};

static int
find_reason(const struct jstore_request *r, void *arg)
{
	struct reason_ctx *c = arg;

	if (c->reason == NULL && strcmp(r->role, c->role) == 0 &&
	    strcmp(r->fingerprint, c->fp) == 0 && r->reason[0] != '\0' &&
	    (c->reason = strdup(r->reason)) == NULL)
		return JIT_ERR_ALLOC;
	return 0;
}

/*
 * The reason recorded with this user's open request for role and key (a
 * login that picks a request up need not give it again), or NULL.
 */
static char *
open_request_reason(struct rpc *cx, const char *role, const struct jkey *key)
{
	struct reason_ctx c = { role, NULL, NULL };
	char *fp = NULL;

	if (role == NULL || jkey_fingerprint(key, &fp) != 0)
		return NULL;
	c.fp = fp;
	(void)jstore_request_list_open(cx->svc->store, cx->user, find_reason,
	    &c);
	free(fp);
	return c.reason;
}

static int
last_request_id(const struct jstore_event *ev, void *arg)
{
	snprintf(arg, JSTORE_REQUEST_ID_LEN + 1, "%s", ev->request_id);
	return 0;
}

/*
 * No open request for this key: if its last one was approved and then
 * lapsed (nobody picked it up in time), say so before asking anew.
 */
static void
tell_lapsed(struct rpc *cx, const char *role, const char *fp)
{
	struct jstore_filter f;
	struct jstore_request *rq = NULL;
	char id[JSTORE_REQUEST_ID_LEN + 1] = "";
	char newest[JSTORE_REQUEST_ID_LEN + 1] = "";

	memset(&f, 0, sizeof(f));
	f.user = cx->user;
	f.role = role;
	f.fingerprint = fp;
	f.limit = 1;
	f.event = "request";	/* only about the key's latest request */
	if (jstore_query(cx->svc->store, &f, last_request_id, newest) != 0)
		return;
	f.event = "expire";
	if (jstore_query(cx->svc->store, &f, last_request_id, id) != 0 ||
	    id[0] == '\0' || strcmp(id, newest) != 0 ||
	    jstore_request_get(cx->svc->store, id, &rq) != 0)
		return;
	if (rq->state == JSTORE_REQ_EXPIRED && rq->approvers[0] != '\0' &&
	    jit_list_count(rq->approvers) >= rq->quorum)
		rpc_err(cx, "request %s was approved but not picked up in time: it "
		    "expired; asking again\n", id);
	jstore_request_free(rq);
}

/*
 * A login for a role that needs approval: join (or pick up) this user's
 * request for the same role and key, or record a new one; then wait.
 */
static int
login_request(struct rpc *cx, const char *role, const struct jkey *key,
    const struct jpolicy_decision *d, const char *reason, int json)
{
	struct jstore_request req;
	struct find_ctx f;
	char *principals = NULL, *groups = NULL, ttl[32], *fp = NULL;
	char *line = NULL;
	uint64_t now = jit_now();
	int r, rc = RPC_ERROR;

	if (jkey_fingerprint(key, &fp) != 0 ||
	    jkey_format_line(key, NULL, &line) != 0)
		goto out;
	memset(&f, 0, sizeof(f));
	f.user = cx->user;
	f.role = role;
	f.fp = fp;
	(void)jstore_request_list_open(cx->svc->store, cx->user, find_mine, &f);
	if ((principals = ca_join_decision(d, 0)) == NULL ||
	    (groups = ca_join_decision(d, 1)) == NULL)
		goto out;
	if (f.id[0] == '\0') {
		tell_lapsed(cx, role, fp);
		memset(&req, 0, sizeof(req));
		req.user = (char *)(uintptr_t)cx->user;
		req.role = (char *)(uintptr_t)role;
		req.principals = principals;
		req.pubkey = line;
		req.fingerprint = fp;
		req.reason = (char *)(uintptr_t)reason;
		req.source = (char *)(uintptr_t)cx->addr;
		req.approver_groups = groups;
		req.ttl = jpolicy_decision_ttl(d);
		req.quorum = jpolicy_decision_quorum(d);
		req.expires = now + jpolicy_decision_pending_ttl(d);
		req.pickup_ttl = jpolicy_decision_pickup_ttl(d);
		if ((r = jstore_request_create(cx->svc->store, &req, now,
		    RPC_PENDING_PER_USER, f.id)) != 0) {
			rpc_err(cx, "login: cannot record the request: %s\n",
			    r == JIT_ERR_PENDING_CAP ? "too many pending "
			    "requests (deny or let some expire)" : jit_strerror(r));
			rc = r == JIT_ERR_PENDING_CAP ? RPC_DENIED : RPC_ERROR;
			goto out;
		}
		f.expires = req.expires;
		f.pickup_ttl = req.pickup_ttl != 0 ? req.pickup_ttl :
		    req.expires - now;
	}
	jpolicy_format_duration(jpolicy_decision_pending_ttl(d), ttl,
	    sizeof(ttl));
	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "status", json_string("pending"));
		json_object_set_new(o, "request_id", json_string(f.id));
		json_object_set_new(o, "role", json_string(role));
		json_object_set_new(o, "approver_groups", ca_json_list(groups));
		json_object_set_new(o, "quorum",
		    json_integer(jpolicy_decision_quorum(d)));
		/* How long the same key may come back for the certificate. */
		json_object_set_new(o, "resume_within", json_integer(
		    (json_int_t)((f.expires > now ? f.expires - now : 0) +
		    f.pickup_ttl)));
		rpc_json(cx, o);
	}
	rpc_err(cx, "request %s: waiting for %u approval(s) from %s (expires in "
	    "%s)\n", f.id, jpolicy_decision_quorum(d), groups, ttl);
	snprintf(cx->wait_id, sizeof(cx->wait_id), "%s", f.id);
	cx->wait_changes = 0;	/* the first poll reads */
	cx->wait_json = json;
	rc = RPC_WAIT;
 out:
	free(principals);
	free(groups);
	free(fp);
	free(line);
	return rc;
}

