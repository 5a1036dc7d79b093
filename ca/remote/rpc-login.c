/*
 * rpc-login.c: login: a certificate for the public key on stdin, at once or
 * once a request is approved (waiting, picking up, withdrawing).
 */
#include <stdarg.h>
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
#include "jkey.h"
#include "jp11.h"
#include "jpolicy.h"
#include "jstore.h"
#include "rpc-impl.h"
#include "svc.h"
#include "textout.h"


/* ca_issue() with the user CA key in force (a reload may swap it). */
static int
issue_cert(struct svc *s, const char *user, const char *role,
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
	}
	svc_keys_put(k);
	return r;
}

static int login_request(struct rpc *, const char *, const struct jkey *,
    const struct jpolicy_decision *, const char *, int);
static char *open_request_reason(struct rpc *, const char *,
    const struct jkey *);

int
rpc_login(struct rpc *cx, int argc, char **argv)
{
	const char *role = NULL, *ttl_s = NULL, *reason = NULL;
	int json = 0, rc = RPC_ERROR, r;
	struct rpc_opt opts[] = {
		{ "--role", 1, &role, NULL }, { "--ttl", 1, &ttl_s, NULL },
		{ "--reason", 1, &reason, NULL }, { "--json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL },
	};
	struct jpolicy *p = NULL;
	struct jpolicy_decision *d = NULL;
	struct jkey *key = NULL;
	struct jcert *c = NULL;
	char *line = NULL, *text = NULL, *nl, role_buf[128];
	char *reason_copy = NULL;
	struct svc_keys *ks;
	int own;
	uint64_t ttl = 0;
	size_t i, n;

	if (rpc_parse_opts(cx, argc, argv, opts, NULL) != 0)
		return RPC_USAGE;
	if (ttl_s != NULL && jpolicy_parse_duration(ttl_s, &ttl) != 0) {
		rpc_err(cx, "login: --ttl '%s' is not a duration (90s, 5m, 1h)\n",
		    ttl_s);
		return RPC_USAGE;
	}
	if (reason != NULL && strlen(reason) > 1024) {
		rpc_err(cx, "login: --reason is longer than 1024 bytes\n");
		return RPC_USAGE;
	}
	if (role != NULL && strlen(role) > 64) {
		rpc_err(cx, "login: --role is longer than a role name can be\n");
		return RPC_USAGE;
	}
	if (cx->in_too_big) {
		rpc_err(cx, "login: stdin must be one public key line (at most %d "
		    "bytes)\n", RPC_STDIN_MAX);
		return RPC_USAGE;
	}
	/* stdin: exactly one public key line. */
	if ((text = strndup((const char *)jbuf_ptr(cx->in),
	    jbuf_len(cx->in))) == NULL)
		goto out;
	if (strlen(text) != jbuf_len(cx->in) ||
	    ((nl = strchr(text, '\n')) != NULL && nl[1] != '\0')) {
		rpc_err(cx, "login: stdin must be one public key line\n");
		rc = RPC_USAGE;
		goto out;
	}
	if ((r = jkey_parse_line(text, &key, NULL)) != 0) {
		rpc_err(cx, "login: stdin is not a public key: %s\n", jit_strerror(r));
		rc = RPC_USAGE;
		goto out;
	}
	ks = svc_keys_get(cx->svc);
	own = ca_own_key(ks->own, key);
	svc_keys_put(ks);
	if (own >= 0) {
		rpc_err(cx, "login: that is %s: the CA does not certify its own "
		    "keys (send a fresh key)\n", ca_own_key_name(own));
		ca_log("login by %s refused: the key sent is %s", cx->user,
		    ca_own_key_name(own));
		rc = RPC_DENIED;
		goto out;
	}
	if (rpc_refuse_locked(cx, "login", cx->user, "no new certificates")) {
		rc = RPC_DENIED;
		goto out;
	}
	p = svc_policy_get(cx->svc);
	if (role == NULL) {
		/* No --role: the one role this user may request, if only one. */
		for (i = 0, n = 0; i < jpolicy_nroles(p); i++) {
			const char *rn = jpolicy_role_name(p, i);

			if (jpolicy_user_may_request(p, cx->user, rn)) {
				role = rn;
				n++;
			}
		}
		if (n != 1) {
			rpc_err(cx, "login: --role is needed (%s may request %zu "
			    "roles: see `roles`)\n", cx->user, n);
			rc = RPC_USAGE;
			goto out;
		}
	}
	/* Picking up a request: its recorded reason counts. */
	if (reason == NULL && (reason = open_request_reason(cx, role,
	    key)) != NULL)
		reason_copy = (char *)(uintptr_t)reason;
	{
		struct jpolicy_request req = {
			.user = cx->user, .role = role, .ttl = ttl,
			.mfa_done = cx->mfa_done, .reason = reason,
			.address = cx->addr, .key_type = jkey_type(key),
			.now = (uint64_t)time(NULL),
		};

		r = jpolicy_evaluate(p, &req, &d);
	}
	/*
	 * The decision holds copies of what it needs: let go of the policy
	 * (and of role, which may point into it) before signing and writing.
	 */
	snprintf(role_buf, sizeof(role_buf), "%s", role);
	role = role_buf;
	svc_policy_put(cx->svc, p);
	p = NULL;
	if (r != 0) {
		rpc_err(cx, "login: %s\n", jit_strerror(r));
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		rpc_err(cx, "denied: %s\n", jpolicy_decision_reason(d));
		rc = RPC_DENIED;
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL) {
		rc = login_request(cx, role, key, d, reason, json);
		goto out;
	}
	if ((r = issue_cert(cx->svc, cx->user, role,
	    key, d, cx->addr, reason, NULL, NULL, &c)) != 0) {
		if (r == JIT_ERR_USER_LOCKED && rpc_refuse_locked(cx, "login", cx->user, "no new certificates"))
			rc = RPC_DENIED;	/* locked while we signed */
		else if (r == JIT_ERR_CERT_CAP) {
			rpc_err(cx, "login: %s\n", jit_strerror(r));
			rc = RPC_DENIED;
		} else
			rpc_err(cx, "login: the certificate could not be issued "
			    "(see the CA's log)\n");
		goto out;
	}
	if (jpolicy_decision_ttl_capped(d)) {
		char got[32];

		jpolicy_format_duration(jpolicy_decision_ttl(d), got,
		    sizeof(got));
		/* On stderr: stdout stays the certificate (or its JSON). */
		rpc_err(cx, "note: %s%s is more than role %s gives now (its max_ttl "
		    "or the end of its time window): the certificate is valid "
		    "for %s\n", ttl_s != NULL ? "--ttl " : "the default ttl",
		    ttl_s != NULL ? ttl_s : "", role, got);
	}
	if (jpolicy_decision_auto_approved(d))
		rpc_err(cx, "approved by the policy (role %s: approval.auto)\n", role);
	if (jcert_format_line(c, jcert_key_id(c), &line) != 0)
		goto out;
	ca_log("issue %s to %s (role %s) from %s", jcert_key_id(c), cx->user,
	    role, cx->addr);
	if (jpolicy_decision_break_glass(d)) {
		ca_log("BREAK-GLASS %s by %s: %s", jcert_key_id(c), cx->user,
		    reason != NULL ? reason : "");
	}
	if (jpolicy_decision_auto_approved(d))
		ca_log("%s approved by the policy (approval.auto)",
		    jcert_key_id(c));
	if (json) {
		json_t *o = json_object(), *pr = json_array();
		char vb[32];

		for (i = 0; i < jcert_nprincipals(c); i++)
			json_array_append_new(pr, json_string(jcert_principal(c, i)));
		jit_format_time(jcert_valid_before(c), vb, sizeof(vb));
		json_object_set_new(o, "certificate", json_string(line));
		json_object_set_new(o, "serial",
		    json_integer((json_int_t)jcert_serial(c)));
		json_object_set_new(o, "key_id", json_string(jcert_key_id(c)));
		json_object_set_new(o, "role", json_string(role));
		json_object_set_new(o, "principals", pr);
		json_object_set_new(o, "valid_before", json_string(vb));
		if (jpolicy_decision_auto_approved(d))
			json_object_set_new(o, "approvers",
			    ca_json_list(CA_AUTO_APPROVER));
		rpc_json(cx, o);
	} else
		rpc_out(cx, "%s\n", line);
	rc = RPC_OK;
 out:
	if (p != NULL)
		svc_policy_put(cx->svc, p);
	free(reason_copy);
	free(line);
	free(text);
	jcert_free(c);
	jkey_free(key);
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
	uint64_t now = (uint64_t)time(NULL);
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

/*
 * Approvals under the policy as it is now: those of approvers who still
 * may approve the role (never the requester).  Returns their number.
 */
static unsigned
valid_approvals(const struct jpolicy *p, const struct jstore_request *rq,
    uint64_t now)
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
		    jpolicy_can_approve_at(p, rq->role, name, age))
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
	    (uint64_t)time(NULL));
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
	struct jpolicy *p = svc_policy_get(cx->svc);
	struct jpolicy_decision *d = NULL;
	struct jkey *key = NULL;
	struct jcert *c = NULL;
	char *principals = NULL, *line = NULL, why[256];
	unsigned valid = 0;
	int r, rc = RPC_ERROR;
	struct jpolicy_request req = {
		.user = rq->user, .role = rq->role, .ttl = rq->ttl,
		.mfa_done = 1, .reason = rq->reason, .address = rq->source,
		.now = (uint64_t)time(NULL),
	};

	if (jkey_parse_line(rq->pubkey, &key, NULL) != 0)
		goto out;
	req.key_type = jkey_type(key);
	if (jpolicy_evaluate(p, &req, &d) != 0)
		goto out;
	valid = valid_approvals(p, rq, req.now);
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
	if ((r = issue_cert(cx->svc, rq->user, rq->role,
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
rpc_login_poll(struct rpc *cx)
{
	struct jstore_request *rq = NULL;
	uint64_t now = (uint64_t)time(NULL);
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
rpc_login_withdraw(struct rpc *cx)
{
	int r;

	r = jstore_request_deny(cx->svc->store, cx->wait_id, cx->user,
	    "withdrawn by the requester", (uint64_t)time(NULL));
	if (r == 0) {
		ca_log("request %s withdrawn by %s", cx->wait_id, cx->user);
		rpc_err(cx, "request %s withdrawn\n", cx->wait_id);
	} else
		rpc_err(cx, "request %s could not be withdrawn: %s\n", cx->wait_id,
		    jit_strerror(r));
	cx->wait_id[0] = '\0';
	return RPC_DENIED;
}
