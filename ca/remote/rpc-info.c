/*
 * rpc-info.c: whoami, roles, status, krl and ca-keys: what a user may ask
 * about.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jpolicy.h"
#include "jstore.h"
#include "cakrl.h"
#include "rpc-impl.h"
#include "svc.h"
#include "textout.h"

int
rpc_whoami(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	int json = jit_flag(a, "json");
	struct jpolicy *p;
	char t[32] = "";
	size_t i, n;

	if (cx->mfa_done)
		jit_format_time(cx->mfa_time, t, sizeof(t));
	p = rpc_policy(cx);
	n = jpolicy_user_ngroups(p, cx->user);
	if (json) {
		json_t *o = json_object(), *g = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(g, json_string(
			    jpolicy_user_group(p, cx->user, i)));
		json_object_set_new(o, "user", json_string(cx->user));
		json_object_set_new(o, "groups", g);
		json_object_set_new(o, "mfa", json_boolean(cx->mfa_done));
		json_object_set_new(o, "mfa_time", cx->mfa_done ?
		    json_string(t) : json_null());
		json_object_set_new(o, "source", json_string(cx->addr));
		json_object_set_new(o, "auth", json_string(cx->sso_sources ?
		    "sso" : "key"));
		if (cx->sso_sources != NULL)
			json_object_set_new(o, "groups_from",
			    json_string(cx->sso_sources));
		rpc_json(cx, o);
	} else {
		rpc_out(cx, "user:   %s\ngroups:", cx->user);
		for (i = 0; i < n; i++)
			rpc_out(cx, " %s", jpolicy_user_group(p, cx->user, i));
		rpc_out(cx, "\nmfa:    %s%s\nsource: %s\n", cx->mfa_done ?
		    "done at " : "not done", t, cx->addr);
		if (cx->sso_sources != NULL)
			rpc_out(cx, "groups from: %s\n", cx->sso_sources);
	}
	svc_policy_put(cx->svc, p);
	return RPC_OK;
}

/* One role as a JSON Lines object. */
static void
role_json(struct rpc *cx, const struct jpolicy *p, const char *rn,
    const struct jpolicy_role_info *info)
{
	json_t *o = json_object(), *pr = json_array(), *w = json_array();
	char *x;
	size_t k;

	for (k = 0; k < jpolicy_role_nprincipals(p, rn); k++) {
		x = jpolicy_expand_principal(jpolicy_role_principal(p, rn, k),
		    cx->user);
		json_array_append_new(pr, json_string(x != NULL ? x : "?"));
		free(x);
	}
	json_object_set_new(o, "role", json_string(rn));
	json_object_set_new(o, "principals", pr);
	/* Durations in JSON are seconds, in every command. */
	json_object_set_new(o, "ttl", json_integer((json_int_t)info->ttl));
	json_object_set_new(o, "max_ttl",
	    json_integer((json_int_t)info->max_ttl));
	/* "reason" is text and "mfa" whether done elsewhere: here they are
	 * requirements. */
	json_object_set_new(o, "mfa_required", json_boolean(info->mfa_required));
	json_object_set_new(o, "reason_required",
	    json_boolean(info->reason_required));
	json_object_set_new(o, "approval_quorum", json_integer(info->quorum));
	json_object_set_new(o, "break_glass", json_boolean(info->break_glass));
	json_object_set_new(o, "auto_approval",
	    json_boolean(info->auto_approval));
	for (k = 0; k < info->nwindows; k++)
		json_array_append_new(w, json_string(jpolicy_role_window(p, rn,
		    k)));
	json_object_set_new(o, "windows", w);
	json_object_set_new(o, "from", ca_json_list(jpolicy_role_from(p, rn)));
	rpc_json(cx, o);
}

/* One role as a table row (and its limits on lines of their own). */
static void
role_row(struct rpc *cx, const struct jpolicy *p, const char *rn,
    const struct jpolicy_role_info *info)
{
	char ttl[32], max[32], pr[256] = "", *x;
	size_t k, len = 0;
	int n;

	jpolicy_format_duration(info->ttl, ttl, sizeof(ttl));
	jpolicy_format_duration(info->max_ttl, max, sizeof(max));
	/* A display column: a long list is cut, not overrun. */
	for (k = 0; k < jpolicy_role_nprincipals(p, rn) &&
	    len < sizeof(pr) - 1; k++) {
		x = jpolicy_expand_principal(jpolicy_role_principal(p, rn, k),
		    cx->user);
		n = snprintf(pr + len, sizeof(pr) - len, "%s%s", k ? "," : "",
		    x != NULL ? x : "?");
		free(x);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	rpc_out(cx, "%-16s %-24s ", rn, pr);
	rpc_out(cx, "%-8s %-8s %-4s %-6s ", ttl, max, info->mfa_required ?
	    "yes" : "no", info->reason_required ? "yes" : "no");
	if (info->quorum > 0)
		rpc_out(cx, "%u approver(s)%s\n", info->quorum,
		    info->auto_approval ? ", or the policy (auto)" : "");
	else
		rpc_out(cx, "%s\n", info->break_glass ? "break-glass" : "-");
	for (k = 0; k < info->nwindows; k++)
		rpc_out(cx, "%-16s   only during %s\n", "",
		    jpolicy_role_window(p, rn, k));
	if (jpolicy_role_from(p, rn) != NULL)
		rpc_out(cx, "%-16s   only from %s\n", "",
		    jpolicy_role_from(p, rn));
}

int
rpc_roles(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	int json = jit_flag(a, "json"), any = 0;
	struct jpolicy *p;
	struct jpolicy_role_info info;
	const char *rn;
	size_t i;

	p = rpc_policy(cx);
	for (i = 0; i < jpolicy_nroles(p); i++) {
		rn = jpolicy_role_name(p, i);
		if (!jpolicy_user_may_request(p, cx->user, rn) ||
		    jpolicy_role_info(p, rn, &info) != 0)
			continue;
		if (json) {
			role_json(cx, p, rn, &info);
			continue;
		}
		if (!any++)
			rpc_out(cx, "%-16s %-24s %-8s %-8s %-4s %-6s %s\n", "ROLE",
			    "PRINCIPALS", "TTL", "MAX", "MFA", "REASON", "APPROVAL");
		role_row(cx, p, rn, &info);
	}
	if (!json && !any)
		rpc_err(cx, "%s may not request any role\n", cx->user);
	svc_policy_put(cx->svc, p);
	return RPC_OK;
}

int
rpc_krl(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	const struct jkey *cas[CA_GENS];
	struct svc_keys *k;
	struct jbuf *b = NULL;
	size_t n;
	int rc = RPC_ERROR, r;

	(void)a;	/* no arguments: the table says */
	if ((b = jbuf_new()) == NULL)
		return RPC_ERROR;
	k = svc_keys_get(cx->svc);
	n = ca_pubs_list(&k->pubs[CA_KEY_USER], cas);
	r = ca_krl_build(cas, n, cx->svc->store, b);
	svc_keys_put(k);
	if (r == 0) {
		rc = cx->io.write(cx->io.arg, 0, (const char *)jbuf_ptr(b),
		    jbuf_len(b)) == 0 ? RPC_OK : RPC_ERROR;
	} else
		rpc_err(cx, "krl: could not build the KRL\n");
	jbuf_free(b);
	return rc;
}

int
rpc_ca_keys(void *ctx, const struct jit_args *args)
{
	struct rpc *cx = ctx;
	struct svc_keys *k = svc_keys_get(cx->svc);
	static const char *const one[CA_KEY_KINDS] = { "user_ca", "host_ca" };
	static const char *const all[CA_KEY_KINDS] = { "user_cas", "host_cas" };
	json_t *o, *a;
	char *line;
	int kind, g, rc = RPC_OK;

	if (!jit_flag(args, "json")) {
		rpc_out(cx, "%s", k->text);
		svc_keys_put(k);
		return RPC_OK;
	}
	/* user_ca, host_ca: the keys that sign; user_cas, host_cas: every
	 * key to trust (during a rotation, the next or the retiring one). */
	o = json_object();
	for (kind = 0; kind < CA_KEY_KINDS; kind++) {
		a = json_array();
		for (g = 0; g < CA_GENS; g++) {
			if (k->pubs[kind].k[g] == NULL)
				continue;
			if (jkey_format_line(k->pubs[kind].k[g],
			    ca_key_comment(kind, g), &line) != 0) {
				rc = RPC_ERROR;
				continue;
			}
			if (g == CA_GEN_ACTIVE)
				json_object_set_new(o, one[kind],
				    json_string(line));
			json_array_append_new(a, json_string(line));
			free(line);
		}
		json_object_set_new(o, all[kind], a);
	}
	svc_keys_put(k);
	if (rc == RPC_OK)
		rpc_json(cx, o);
	else
		json_decref(o);
	return rc;
}

struct status_ctx {
	struct rpc *cx;
	int json, n;
	int revoked;
};

static int
status_revoked(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	((struct status_ctx *)arg)->revoked = 1;
	return 0;
}

static int
status_cert(const struct jstore_event *ev, void *arg)
{
	struct status_ctx *c = arg;
	struct jstore_filter f;
	char vb[32];

	memset(&f, 0, sizeof(f));
	f.serial = ev->serial;
	f.event = "revoke";
	c->revoked = 0;
	(void)jstore_query(c->cx->svc->store, &f, status_revoked, c);
	jit_format_time(ev->valid_before, vb, sizeof(vb));
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "where", json_string("ca"));
		json_object_set_new(o, "key_id", json_string(ev->key_id));
		json_object_set_new(o, "serial",
		    json_integer((json_int_t)ev->serial));
		json_object_set_new(o, "role", json_string(ev->role));
		json_object_set_new(o, "principals",
		    ca_json_list(ev->principals));
		json_object_set_new(o, "valid_before", json_string(vb));
		json_object_set_new(o, "revoked", json_boolean(c->revoked));
		rpc_json(c->cx, o);
	} else {
		if (c->n++ == 0)
			rpc_out(c->cx, "%-28s %-12s %-24s %-21s %s\n", "CERTIFICATE",
			    "ROLE", "PRINCIPALS", "EXPIRES", "STATE");
		rpc_out(c->cx, "%-28s %-12s %-24s %-21s %s\n", ev->key_id, ev->role,
		    ev->principals, vb, c->revoked ? "revoked" : "live");
	}
	return 0;
}

static int
status_request(const struct jstore_request *r, void *arg)
{
	struct status_ctx *c = arg;
	char exp[32];

	jit_format_time(r->expires, exp, sizeof(exp));
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "where", json_string("ca"));
		json_object_set_new(o, "request_id", json_string(r->id));
		json_object_set_new(o, "role", json_string(r->role));
		json_object_set_new(o, "state",
		    json_string(jstore_request_state_name(r->state)));
		json_object_set_new(o, "expires", json_string(exp));
		json_object_set_new(o, "approvers", ca_json_list(r->approvers));
		json_object_set_new(o, "quorum", json_integer(r->quorum));
		rpc_json(c->cx, o);
	} else {
		if (c->n++ == 0)
			rpc_out(c->cx, "%-19s %-12s %-9s %-21s %s\n", "REQUEST", "ROLE",
			    "STATE", "EXPIRES", "APPROVALS");
		rpc_out(c->cx, "%-19s %-12s %-9s %-21s %zu/%u\n", r->id, r->role,
		    jstore_request_state_name(r->state), exp,
		    jit_list_count(r->approvers), r->quorum);
	}
	return 0;
}

/*
 * status: the user's live certificates (revoked ones marked) and open
 * requests as the CA has them, and a lock if there is one.
 */
int
rpc_status(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	struct status_ctx c = { cx, 0, 0, 0 };
	struct jstore_filter f;
	uint64_t now = jit_now(), *serials = NULL, until;
	char *reason = NULL, when[32];
	size_t i, n = 0;
	int r;

	c.json = jit_flag(a, "json");
	if ((r = jstore_user_serials(cx->svc->store, cx->user, now, &serials,
	    &n)) != 0) {
		rpc_err(cx, "status: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		f.serial = serials[i];
		f.event = "issue";
		f.limit = 1;
		(void)jstore_query(cx->svc->store, &f, status_cert, &c);
	}
	free(serials);
	if (!c.json && c.n == 0)
		rpc_out(cx, "no live certificates on record for %s\n", cx->user);
	c.n = 0;
	(void)jstore_request_list_open(cx->svc->store, cx->user,
	    status_request, &c);
	if (!c.json && c.n == 0)
		rpc_out(cx, "no open requests\n");
	if (jstore_locked(cx->svc->store, cx->user, now, &until, &reason) == 1) {
		if (until != 0)
			jit_format_time(until, when, sizeof(when));
		if (c.json) {
			json_t *o = json_object();

			json_object_set_new(o, "where", json_string("ca"));
			json_object_set_new(o, "locked_until", until != 0 ?
			    json_string(when) : json_null());
			json_object_set_new(o, "reason", json_string(reason));
			rpc_json(cx, o);
		} else
			rpc_out(cx, "locked %s%s: %s\n", until != 0 ? "until " :
			    "until unlocked", until != 0 ? when : "", reason);
	}
	free(reason);
	return RPC_OK;
}
