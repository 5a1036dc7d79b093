/*
 * commands.c: the exec commands of `jit-ssh-ca serve`.  The command line is
 * split here (quotes and backslashes as a shell would, nothing else: no
 * expansion, no shell), every size is bounded, and options are parsed
 * without getopt (sessions run in parallel threads).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ca.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-cmdspec.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"
#include "cmdline.h"
#include "serve.h"

#include <stdint.h>

#define MAX_ARGS	32

enum { EXIT_OK = 0, EXIT_DENIED = 1, EXIT_USAGE = 2, EXIT_ERROR = 3 };

static void
out(struct sess *se, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
err(struct sess *se, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void vwrite(struct sess *se, int to_stderr, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
vwrite(struct sess *se, int to_stderr, const char *fmt, va_list ap)
{
	char *s = NULL;
	int n;

	if ((n = vasprintf(&s, fmt, ap)) < 0)
		return;
	if (to_stderr)
		ssh_channel_write_stderr(se->chan, s, (uint32_t)n);
	else
		ssh_channel_write(se->chan, s, (uint32_t)n);
	free(s);
}

static void
out(struct sess *se, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite(se, 0, fmt, ap);
	va_end(ap);
}

static void
err(struct sess *se, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite(se, 1, fmt, ap);
	va_end(ap);
}

static void
out_json(struct sess *se, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s != NULL)
		out(se, "%s\n", s);
	free(s);
	json_decref(o);
}

/* --name VALUE options; flags take no value.  Returns -1 on a bad option. */
struct opt {
	const char *name;
	int has_value;
	const char **value;
	int *flag;
};

static int
parse_opts(struct sess *se, int argc, char **argv, struct opt *opts,
    const char **positional)
{
	int i;
	struct opt *o;

	if (positional != NULL)
		*positional = NULL;
	for (i = 1; i < argc; i++) {
		for (o = opts; o->name != NULL; o++)
			if (strcmp(argv[i], o->name) == 0)
				break;
		if (o->name == NULL) {
			if (argv[i][0] != '-' && positional != NULL &&
			    *positional == NULL) {
				*positional = argv[i];
				continue;
			}
			err(se, "%s: unknown option or argument '%s'\n", argv[0],
			    argv[i]);
			return -1;
		}
		if (o->has_value) {
			if (i + 1 >= argc) {
				err(se, "%s: %s needs a value\n", argv[0], o->name);
				return -1;
			}
			*o->value = argv[++i];
		} else
			*o->flag = 1;
	}
	return 0;
}

/* ---- login ---- */

/*
 * When user is locked (jit-ssh-ca lock), says so with the end and the
 * reason and returns 1; 0 when not locked.  A store that cannot tell
 * counts as locked: the issuance would fail anyway.
 */
static int
refuse_locked(struct sess *se, const char *user)
{
	char *reason = NULL, when[48] = "until unlocked";
	uint64_t until;
	int r;

	if ((r = jstore_locked(se->srv->store, user, (uint64_t)time(NULL),
	    &until, &reason)) == 0)
		return 0;
	if (r < 0)
		err(se, "login: cannot tell whether %s is locked: %s\n", user,
		    jit_strerror(r));
	else {
		if (until != 0) {
			memcpy(when, "until ", 7);
			jit_format_time(until, when + 6, sizeof(when) - 6);
		}
		err(se, "login: %s is locked %s: no new certificates (%s)\n",
		    user, when, reason != NULL && *reason != '\0' ? reason :
		    "no reason given");
	}
	free(reason);
	return 1;
}

static int login_request(struct sess *se, const char *role,
    const struct jkey *key, const struct jpolicy_decision *d,
    const char *reason, int json);
static char *open_request_reason(struct sess *se, const char *role,
    const struct jkey *key);

static int
cmd_login(struct sess *se, int argc, char **argv)
{
	const char *role = NULL, *ttl_s = NULL, *reason = NULL;
	int json = 0, rc = EXIT_ERROR, r;
	struct opt opts[] = {
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
	int own;
	uint64_t ttl = 0;
	size_t i, n;

	if (parse_opts(se, argc, argv, opts, NULL) != 0)
		return EXIT_USAGE;
	if (ttl_s != NULL && jpolicy_parse_duration(ttl_s, &ttl) != 0) {
		err(se, "login: --ttl '%s' is not a duration (90s, 5m, 1h)\n",
		    ttl_s);
		return EXIT_USAGE;
	}
	if (reason != NULL && strlen(reason) > 1024) {
		err(se, "login: --reason is longer than 1024 bytes\n");
		return EXIT_USAGE;
	}
	if (role != NULL && strlen(role) > 64) {
		err(se, "login: --role is longer than a role name can be\n");
		return EXIT_USAGE;
	}
	if (se->in_too_big) {
		err(se, "login: stdin must be one public key line (at most %d "
		    "bytes)\n", SRV_STDIN_MAX);
		return EXIT_USAGE;
	}
	/* stdin: exactly one public key line. */
	if ((text = strndup((const char *)jbuf_ptr(se->in),
	    jbuf_len(se->in))) == NULL)
		goto out;
	if (strlen(text) != jbuf_len(se->in) ||
	    ((nl = strchr(text, '\n')) != NULL && nl[1] != '\0')) {
		err(se, "login: stdin must be one public key line\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r = jkey_parse_line(text, &key, NULL)) != 0) {
		err(se, "login: stdin is not a public key: %s\n", jit_strerror(r));
		rc = EXIT_USAGE;
		goto out;
	}
	if ((own = ca_own_key(se->srv->own_keys, key)) >= 0) {
		err(se, "login: that is %s: the CA does not certify its own "
		    "keys (send a fresh key)\n", ca_own_key_name(own));
		srv_log("login by %s refused: the key sent is %s", se->user,
		    ca_own_key_name(own));
		rc = EXIT_DENIED;
		goto out;
	}
	if (refuse_locked(se, se->user)) {
		rc = EXIT_DENIED;
		goto out;
	}
	p = srv_policy_get(se->srv);
	if (role == NULL) {
		/* No --role: the one role this user may request, if only one. */
		for (i = 0, n = 0; i < jpolicy_nroles(p); i++) {
			const char *rn = jpolicy_role_name(p, i);

			if (jpolicy_user_may_request(p, se->user, rn)) {
				role = rn;
				n++;
			}
		}
		if (n != 1) {
			err(se, "login: --role is needed (%s may request %zu "
			    "roles: see `roles`)\n", se->user, n);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	/* Picking up a request: its recorded reason counts. */
	if (reason == NULL && (reason = open_request_reason(se, role,
	    key)) != NULL)
		reason_copy = (char *)(uintptr_t)reason;
	{
		struct jpolicy_request req = {
			.user = se->user, .role = role, .ttl = ttl,
			.mfa_done = se->mfa_done, .reason = reason,
			.address = se->addr, .key_type = jkey_type(key),
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
	srv_policy_put(se->srv, p);
	p = NULL;
	if (r != 0) {
		err(se, "login: %s\n", jit_strerror(r));
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		err(se, "denied: %s\n", jpolicy_decision_reason(d));
		rc = EXIT_DENIED;
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL) {
		rc = login_request(se, role, key, d, reason, json);
		goto out;
	}
	if ((r = ca_issue(se->srv->user_ca, se->srv->store, se->user, role,
	    key, d, se->addr, reason, NULL, NULL, &c)) != 0) {
		if (r == JIT_ERR_USER_LOCKED && refuse_locked(se, se->user))
			rc = EXIT_DENIED;	/* locked while we signed */
		else if (r == JIT_ERR_CERT_CAP) {
			err(se, "login: %s\n", jit_strerror(r));
			rc = EXIT_DENIED;
		} else
			err(se, "login: the certificate could not be issued "
			    "(see the CA's log)\n");
		goto out;
	}
	if (jpolicy_decision_ttl_capped(d)) {
		char got[32];

		jpolicy_format_duration(jpolicy_decision_ttl(d), got,
		    sizeof(got));
		/* On stderr: stdout stays the certificate (or its JSON). */
		err(se, "note: %s%s is more than role %s gives now (its max_ttl "
		    "or the end of its time window): the certificate is valid "
		    "for %s\n", ttl_s != NULL ? "--ttl " : "the default ttl",
		    ttl_s != NULL ? ttl_s : "", role, got);
	}
	if (jpolicy_decision_auto_approved(d))
		err(se, "approved by the policy (role %s: approval.auto)\n", role);
	if (jcert_format_line(c, jcert_key_id(c), &line) != 0)
		goto out;
	srv_log("issue %s to %s (role %s) from %s", jcert_key_id(c), se->user,
	    role, se->addr);
	if (jpolicy_decision_break_glass(d)) {
		srv_log("BREAK-GLASS %s by %s: %s", jcert_key_id(c), se->user,
		    reason != NULL ? reason : "");
	}
	if (jpolicy_decision_auto_approved(d))
		srv_log("%s approved by the policy (approval.auto)",
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
		out_json(se, o);
	} else
		out(se, "%s\n", line);
	rc = EXIT_OK;
 out:
	if (p != NULL)
		srv_policy_put(se->srv, p);
	free(reason_copy);
	free(line);
	free(text);
	jcert_free(c);
	jkey_free(key);
	jpolicy_decision_free(d);
	return rc;
}

/* ---- whoami, roles, krl, ca-keys ---- */

static int
cmd_whoami(struct sess *se, int argc, char **argv)
{
	int json = 0;
	struct opt opts[] = { { "--json", 0, NULL, &json },
	    { NULL, 0, NULL, NULL } };
	struct jpolicy *p;
	char t[32] = "";
	size_t i, n;

	if (parse_opts(se, argc, argv, opts, NULL) != 0)
		return EXIT_USAGE;
	if (se->mfa_done)
		jit_format_time(se->mfa_time, t, sizeof(t));
	p = srv_policy_get(se->srv);
	n = jpolicy_user_ngroups(p, se->user);
	if (json) {
		json_t *o = json_object(), *g = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(g, json_string(
			    jpolicy_user_group(p, se->user, i)));
		json_object_set_new(o, "user", json_string(se->user));
		json_object_set_new(o, "groups", g);
		json_object_set_new(o, "mfa", json_boolean(se->mfa_done));
		json_object_set_new(o, "mfa_time", se->mfa_done ?
		    json_string(t) : json_null());
		json_object_set_new(o, "source", json_string(se->addr));
		out_json(se, o);
	} else {
		out(se, "user:   %s\ngroups:", se->user);
		for (i = 0; i < n; i++)
			out(se, " %s", jpolicy_user_group(p, se->user, i));
		out(se, "\nmfa:    %s%s\nsource: %s\n", se->mfa_done ?
		    "done at " : "not done", t, se->addr);
	}
	srv_policy_put(se->srv, p);
	return EXIT_OK;
}

static int
cmd_roles(struct sess *se, int argc, char **argv)
{
	int json = 0, any = 0;
	struct opt opts[] = { { "--json", 0, NULL, &json },
	    { NULL, 0, NULL, NULL } };
	struct jpolicy *p;
	struct jpolicy_role_info info;
	char ttl[32], max[32], *x;
	size_t i, k;

	if (parse_opts(se, argc, argv, opts, NULL) != 0)
		return EXIT_USAGE;
	p = srv_policy_get(se->srv);
	for (i = 0; i < jpolicy_nroles(p); i++) {
		const char *rn = jpolicy_role_name(p, i);

		if (!jpolicy_user_may_request(p, se->user, rn) ||
		    jpolicy_role_info(p, rn, &info) != 0)
			continue;
		jpolicy_format_duration(info.ttl, ttl, sizeof(ttl));
		jpolicy_format_duration(info.max_ttl, max, sizeof(max));
		if (json) {
			json_t *o = json_object(), *pr = json_array();

			for (k = 0; k < jpolicy_role_nprincipals(p, rn); k++) {
				x = jpolicy_expand_principal(
				    jpolicy_role_principal(p, rn, k), se->user);
				json_array_append_new(pr, json_string(x != NULL ?
				    x : "?"));
				free(x);
			}
			json_object_set_new(o, "role", json_string(rn));
			json_object_set_new(o, "principals", pr);
			json_object_set_new(o, "ttl", json_string(ttl));
			json_object_set_new(o, "max_ttl", json_string(max));
			json_object_set_new(o, "mfa", json_boolean(info.mfa_required));
			json_object_set_new(o, "reason",
			    json_boolean(info.reason_required));
			json_object_set_new(o, "approval_quorum",
			    json_integer(info.quorum));
			json_object_set_new(o, "break_glass",
			    json_boolean(info.break_glass));
			json_object_set_new(o, "auto_approval",
			    json_boolean(info.auto_approval));
			{
				json_t *w = json_array();

				for (k = 0; k < info.nwindows; k++)
					json_array_append_new(w, json_string(
					    jpolicy_role_window(p, rn, k)));
				json_object_set_new(o, "windows", w);
			}
			json_object_set_new(o, "from",
			    ca_json_list(jpolicy_role_from(p, rn)));
			out_json(se, o);
			continue;
		}
		if (!any)
			out(se, "%-16s %-24s %-8s %-8s %-4s %-6s %s\n", "ROLE",
			    "PRINCIPALS", "TTL", "MAX", "MFA", "REASON", "APPROVAL");
		any = 1;
		out(se, "%-16s ", rn);
		{
			char pr[256] = "";

			size_t len = 0;

			/* A display column: a long list is cut, not overrun. */
			for (k = 0; k < jpolicy_role_nprincipals(p, rn) &&
			    len < sizeof(pr) - 1; k++) {
				int n;

				x = jpolicy_expand_principal(
				    jpolicy_role_principal(p, rn, k), se->user);
				n = snprintf(pr + len, sizeof(pr) - len, "%s%s",
				    k ? "," : "", x != NULL ? x : "?");
				free(x);
				if (n < 0)
					break;
				len += (size_t)n;
			}
			out(se, "%-24s ", pr);
		}
		out(se, "%-8s %-8s %-4s %-6s ", ttl, max, info.mfa_required ?
		    "yes" : "no", info.reason_required ? "yes" : "no");
		if (info.quorum > 0)
			out(se, "%u approver(s)%s\n", info.quorum,
			    info.auto_approval ? ", or the policy (auto)" : "");
		else
			out(se, "%s\n", info.break_glass ? "break-glass" : "-");
		/* Limits on when and from where, on lines of their own. */
		for (k = 0; k < info.nwindows; k++)
			out(se, "%-16s   only during %s\n", "",
			    jpolicy_role_window(p, rn, k));
		if (jpolicy_role_from(p, rn) != NULL)
			out(se, "%-16s   only from %s\n", "",
			    jpolicy_role_from(p, rn));
	}
	if (!json && !any)
		err(se, "%s may not request any role\n", se->user);
	srv_policy_put(se->srv, p);
	return EXIT_OK;
}

static int
cmd_krl_remote(struct sess *se, int argc, char **argv)
{
	struct jbuf *b = NULL;
	int rc = EXIT_ERROR;

	(void)argv;
	if (argc != 1) {
		err(se, "krl takes no arguments\n");
		return EXIT_USAGE;
	}
	if ((b = jbuf_new()) == NULL)
		return EXIT_ERROR;
	if (ca_build_krl(se->srv->user_ca, se->srv->store, b) == 0) {
		ssh_channel_write(se->chan, jbuf_ptr(b), (uint32_t)jbuf_len(b));
		rc = EXIT_OK;
	} else
		err(se, "krl: could not build the KRL\n");
	jbuf_free(b);
	return rc;
}

static int
cmd_ca_keys(struct sess *se, int argc, char **argv)
{
	const char *t = se->srv->ca_keys_text, *nl;
	json_t *o;

	if (argc == 1) {
		out(se, "%s", t);
		return EXIT_OK;
	}
	(void)argv;	/* --json: checked by the command table */
	/* The text is the user CA's line, then the host CA's. */
	if ((nl = strchr(t, '\n')) == NULL)
		return EXIT_ERROR;
	o = json_object();
	json_object_set_new(o, "user_ca", json_stringn(t, (size_t)(nl - t)));
	json_object_set_new(o, "host_ca", json_stringn(nl + 1,
	    strcspn(nl + 1, "\n")));
	out_json(se, o);
	return EXIT_OK;
}

/* ---- approvals ---- */

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
open_request_reason(struct sess *se, const char *role, const struct jkey *key)
{
	struct reason_ctx c = { role, NULL, NULL };
	char *fp = NULL;

	if (role == NULL || jkey_fingerprint(key, &fp) != 0)
		return NULL;
	c.fp = fp;
	(void)jstore_request_list_open(se->srv->store, se->user, find_reason,
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
tell_lapsed(struct sess *se, const char *role, const char *fp)
{
	struct jstore_filter f;
	struct jstore_request *rq = NULL;
	char id[JSTORE_REQUEST_ID_LEN + 1] = "";
	char newest[JSTORE_REQUEST_ID_LEN + 1] = "";

	memset(&f, 0, sizeof(f));
	f.user = se->user;
	f.role = role;
	f.fingerprint = fp;
	f.limit = 1;
	f.event = "request";	/* only about the key's latest request */
	if (jstore_query(se->srv->store, &f, last_request_id, newest) != 0)
		return;
	f.event = "expire";
	if (jstore_query(se->srv->store, &f, last_request_id, id) != 0 ||
	    id[0] == '\0' || strcmp(id, newest) != 0 ||
	    jstore_request_get(se->srv->store, id, &rq) != 0)
		return;
	if (rq->state == JSTORE_REQ_EXPIRED && rq->approvers[0] != '\0' &&
	    jit_list_count(rq->approvers) >= rq->quorum)
		err(se, "request %s was approved but not picked up in time: it "
		    "expired; asking again\n", id);
	jstore_request_free(rq);
}

/*
 * A login for a role that needs approval: join (or pick up) this user's
 * request for the same role and key, or record a new one; then wait.
 */
static int
login_request(struct sess *se, const char *role, const struct jkey *key,
    const struct jpolicy_decision *d, const char *reason, int json)
{
	struct jstore_request req;
	struct find_ctx f;
	char *principals = NULL, *groups = NULL, ttl[32], *fp = NULL;
	char *line = NULL;
	uint64_t now = (uint64_t)time(NULL);
	int r, rc = EXIT_ERROR;

	if (jkey_fingerprint(key, &fp) != 0 ||
	    jkey_format_line(key, NULL, &line) != 0)
		goto out;
	memset(&f, 0, sizeof(f));
	f.user = se->user;
	f.role = role;
	f.fp = fp;
	(void)jstore_request_list_open(se->srv->store, se->user, find_mine, &f);
	if ((principals = ca_join_decision(d, 0)) == NULL ||
	    (groups = ca_join_decision(d, 1)) == NULL)
		goto out;
	if (f.id[0] == '\0') {
		tell_lapsed(se, role, fp);
		memset(&req, 0, sizeof(req));
		req.user = se->user;
		req.role = (char *)(uintptr_t)role;
		req.principals = principals;
		req.pubkey = line;
		req.fingerprint = fp;
		req.reason = (char *)(uintptr_t)reason;
		req.source = se->addr;
		req.approver_groups = groups;
		req.ttl = jpolicy_decision_ttl(d);
		req.quorum = jpolicy_decision_quorum(d);
		req.expires = now + jpolicy_decision_pending_ttl(d);
		req.pickup_ttl = jpolicy_decision_pickup_ttl(d);
		if ((r = jstore_request_create(se->srv->store, &req, now,
		    SRV_PENDING_PER_USER, f.id)) != 0) {
			err(se, "login: cannot record the request: %s\n",
			    r == JIT_ERR_NO_BUFFER_SPACE ? "too many pending "
			    "requests (deny or let some expire)" : jit_strerror(r));
			rc = r == JIT_ERR_NO_BUFFER_SPACE ? EXIT_DENIED : EXIT_ERROR;
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
		out_json(se, o);
	}
	err(se, "request %s: waiting for %u approval(s) from %s (expires in "
	    "%s)\n", f.id, jpolicy_decision_quorum(d), groups, ttl);
	snprintf(se->wait_id, sizeof(se->wait_id), "%s", f.id);
	se->wait_json = json;
	rc = SRV_WAIT;
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
approved_refused(struct sess *se, const struct jstore_request *rq,
    const char *why)
{
	(void)jstore_request_cancel(se->srv->store, rq->id, "policy", why,
	    (uint64_t)time(NULL));
	srv_log("request %s cancelled at issuance: %s", rq->id, why);
	err(se, "request %s was approved, but %s: ask again\n", rq->id, why);
	return EXIT_DENIED;
}

/*
 * The approved request's certificate, on the waiting channel.  The whole
 * decision is made again under the policy as it is now (role, principals,
 * ttl, quorum and who may approve); the ttl approved is an upper bound
 * (a window may end sooner), the principals must be the same.  Claim and
 * record are one commit (ca_issue): one certificate per request.
 */
static int
issue_approved(struct sess *se, const struct jstore_request *rq)
{
	struct jpolicy *p = srv_policy_get(se->srv);
	struct jpolicy_decision *d = NULL;
	struct jkey *key = NULL;
	struct jcert *c = NULL;
	char *principals = NULL, *line = NULL, why[256];
	unsigned valid = 0;
	int r, rc = EXIT_ERROR;
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
	srv_policy_put(se->srv, p);	/* d holds copies; never across commits */
	p = NULL;
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		snprintf(why, sizeof(why), "the policy no longer allows it: %s",
		    jpolicy_decision_reason(d));
		rc = approved_refused(se, rq, why);
		goto out;
	}
	if ((principals = ca_join_decision(d, 0)) == NULL)
		goto out;
	if (strcmp(principals, rq->principals) != 0 ||
	    jpolicy_decision_ttl(d) > rq->ttl) {
		rc = approved_refused(se, rq, "the policy changed what it "
		    "would issue");
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL &&
	    valid < jpolicy_decision_quorum(d)) {
		snprintf(why, sizeof(why), "the policy now needs %u approval(s) "
		    "and %u of them still count", jpolicy_decision_quorum(d),
		    valid);
		rc = approved_refused(se, rq, why);
		goto out;
	}
	if ((r = ca_issue(se->srv->user_ca, se->srv->store, rq->user, rq->role,
	    key, d, rq->source, rq->reason, rq->id, rq->approvers, &c)) != 0) {
		if (r == JIT_ERR_REQUEST_DECIDED) {
			err(se, "request %s was already issued\n", rq->id);
			rc = EXIT_DENIED;
		} else if (r == JIT_ERR_REQUEST_EXPIRED) {
			err(se, "request %s was approved but not picked up in "
			    "time: it expired\n", rq->id);
			rc = EXIT_DENIED;
		} else if (r == JIT_ERR_CERT_CAP) {
			err(se, "request %s stays approved: %s\n", rq->id,
			    jit_strerror(r));
			rc = EXIT_DENIED;
		} else if (r == JIT_ERR_USER_LOCKED &&
		    refuse_locked(se, rq->user)) {
			err(se, "request %s stays approved until it expires; it "
			    "can be picked up once %s is unlocked\n", rq->id,
			    rq->user);
			rc = EXIT_DENIED;
		} else
			err(se, "approved, but the certificate could not be "
			    "issued\n");
		goto out;
	}
	if (jcert_format_line(c, jcert_key_id(c), &line) != 0)
		goto out;
	srv_log("issue %s to %s (role %s, request %s, approved by %s)",
	    jcert_key_id(c), rq->user, rq->role, rq->id, rq->approvers);
	if (se->wait_json) {
		json_t *o = json_object();

		json_object_set_new(o, "status", json_string("issued"));
		json_object_set_new(o, "certificate", json_string(line));
		json_object_set_new(o, "key_id", json_string(jcert_key_id(c)));
		json_object_set_new(o, "approvers", ca_json_list(rq->approvers));
		out_json(se, o);
	} else
		out(se, "%s\n", line);
	rc = EXIT_OK;
 out:
	if (p != NULL)
		srv_policy_put(se->srv, p);
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
tell_denied(struct sess *se, const struct jstore_request *rq)
{
	struct jstore_filter f;
	struct deny_info d = { "", "" };

	memset(&f, 0, sizeof(f));
	f.request_id = rq->id;
	f.event = "deny";
	f.limit = 1;
	(void)jstore_query(se->srv->store, &f, last_deny, &d);
	if (strcmp(d.by, rq->user) == 0)
		err(se, "request %s was withdrawn (by %s)\n", rq->id, d.by);
	else if (strcmp(d.by, "policy") == 0)
		err(se, "request %s was cancelled: %s\n", rq->id, d.comment);
	else if (d.by[0] != '\0')
		err(se, "request %s was denied by %s%s%s\n", rq->id, d.by,
		    d.comment[0] != '\0' ? ": " : "", d.comment);
	else
		err(se, "request %s was denied\n", rq->id);
}

int
srv_login_poll(struct sess *se)
{
	struct jstore_request *rq = NULL;
	uint64_t now = (uint64_t)time(NULL);
	int rc = SRV_WAIT;

	if (jstore_request_get(se->srv->store, se->wait_id, &rq) != 0) {
		err(se, "request %s vanished\n", se->wait_id);
		rc = EXIT_ERROR;
		goto out;
	}
	switch (rq->state) {
	case JSTORE_REQ_PENDING:
		if (now >= rq->expires) {
			(void)jstore_request_expire(se->srv->store, now, NULL);
			err(se, "request %s expired without approval\n", rq->id);
			rc = EXIT_DENIED;
		}
		break;
	case JSTORE_REQ_APPROVED:
		rc = issue_approved(se, rq);
		break;
	case JSTORE_REQ_DENIED:
		tell_denied(se, rq);
		rc = EXIT_DENIED;
		break;
	case JSTORE_REQ_EXPIRED:
		err(se, "request %s expired without approval\n", rq->id);
		rc = EXIT_DENIED;
		break;
	default:
		err(se, "request %s was already issued\n", rq->id);
		rc = EXIT_DENIED;
		break;
	}
 out:
	jstore_request_free(rq);
	if (rc != SRV_WAIT)
		se->wait_id[0] = '\0';
	return rc;
}

int
srv_login_withdraw(struct sess *se)
{
	int r;

	r = jstore_request_deny(se->srv->store, se->wait_id, se->user,
	    "withdrawn by the requester", (uint64_t)time(NULL));
	if (r == 0) {
		srv_log("request %s withdrawn by %s", se->wait_id, se->user);
		err(se, "request %s withdrawn\n", se->wait_id);
	} else
		err(se, "request %s could not be withdrawn: %s\n", se->wait_id,
		    jit_strerror(r));
	se->wait_id[0] = '\0';
	return EXIT_DENIED;
}

struct list_ctx {
	struct sess *se;
	struct jpolicy *p;
	int json, n;
	uint64_t now;
};

static int
list_one(const struct jstore_request *r, void *arg)
{
	struct list_ctx *l = arg;
	struct sess *se = l->se;
	char exp[32];
	int mine = strcmp(r->user, se->user) == 0;

	if (r->state != JSTORE_REQ_PENDING ||
	    (!mine && !jpolicy_can_approve_at(l->p, r->role, se->user,
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
		out_json(se, o);
	} else {
		if (l->n == 0)
			out(se, "%-19s %-10s %-12s %-14s %-21s %-9s %s\n", "ID",
			    "USER", "ROLE", "PRINCIPALS", "EXPIRES", "APPROVALS",
			    "REASON");
		out(se, "%-19s %-10s %-12s %-14s %-21s %zu/%-7u %s\n", r->id,
		    r->user, r->role, r->principals, exp,
		    jit_list_count(r->approvers), r->quorum, r->reason);
	}
	l->n++;
	return 0;
}

static int
cmd_requests(struct sess *se, int argc, char **argv)
{
	int json = 0;
	struct opt opts[] = { { "--json", 0, NULL, &json },
	    { NULL, 0, NULL, NULL } };
	struct list_ctx l = { se, NULL, 0, 0, (uint64_t)time(NULL) };

	if (parse_opts(se, argc, argv, opts, NULL) != 0)
		return EXIT_USAGE;
	(void)jstore_request_expire(se->srv->store, (uint64_t)time(NULL), NULL);
	l.p = srv_policy_get(se->srv);
	l.json = json;
	(void)jstore_request_list_open(se->srv->store, NULL, list_one,
	    &l);
	srv_policy_put(se->srv, l.p);
	if (!json && l.n == 0)
		err(se, "no pending requests for you to decide or of yours\n");
	return EXIT_OK;
}

static int
decide_cmd(struct sess *se, int argc, char **argv, int approve)
{
	const char *comment = NULL, *id = NULL;
	struct opt opts[] = { { "--comment", 1, &comment, NULL },
	    { NULL, 0, NULL, NULL } };
	struct jstore_request *rq = NULL;
	struct jpolicy *p;
	struct jpolicy_role_info info;
	enum jstore_request_state st = 0;
	unsigned quorum = 0;
	int r, may, rc = EXIT_DENIED;

	if (parse_opts(se, argc, argv, opts, &id) != 0)
		return EXIT_USAGE;
	if (id == NULL) {
		err(se, "%s: which request? (see `requests`)\n", argv[0]);
		return EXIT_USAGE;
	}
	if (comment != NULL && strlen(comment) > 1024) {
		err(se, "%s: --comment is longer than 1024 bytes\n", argv[0]);
		return EXIT_USAGE;
	}
	if (jstore_request_get(se->srv->store, id, &rq) != 0) {
		err(se, "%s: no request %s\n", argv[0], id);
		return EXIT_DENIED;
	}
	p = srv_policy_get(se->srv);
	may = jpolicy_can_approve_at(p, rq->role, se->user,
	    (uint64_t)time(NULL) > rq->created ? (uint64_t)time(NULL) -
	    rq->created : 0);
	if (jpolicy_role_info(p, rq->role, &info) == 0 && info.quorum > 0)
		quorum = info.quorum;	/* the quorum as the policy is now */
	srv_policy_put(se->srv, p);
	/* A requester may withdraw (deny) their own request. */
	if (!may && !(!approve && strcmp(rq->user, se->user) == 0)) {
		err(se, "%s: %s may not decide requests for role %s\n", argv[0],
		    se->user, rq->role);
		goto out;
	}
	if (may && !se->mfa_done && strcmp(rq->user, se->user) != 0) {
		err(se, "%s: approvers need MFA: this session has not completed "
		    "a verification code\n", argv[0]);
		goto out;
	}
	r = approve ? jstore_request_approve(se->srv->store, id, se->user,
	    comment, (uint64_t)time(NULL), quorum, &st) :
	    jstore_request_deny(se->srv->store, id, se->user, comment,
	    (uint64_t)time(NULL));
	if (r != 0) {
		err(se, "%s %s: %s\n", argv[0], id, jit_strerror(r));
		goto out;
	}
	out(se, "%s: %s\n", id, approve ? jstore_request_state_name(st) :
	    "denied");
	srv_log("%s %s by %s", approve ? "approve" : "deny", id, se->user);
	rc = EXIT_OK;
 out:
	jstore_request_free(rq);
	return rc;
}

static int
cmd_approve(struct sess *se, int argc, char **argv)
{
	return decide_cmd(se, argc, argv, 1);
}

static int
cmd_deny(struct sess *se, int argc, char **argv)
{
	return decide_cmd(se, argc, argv, 0);
}

struct audit_cookie {
	struct sess *se;
	size_t total;
	int cut, broken;
};

static ssize_t
audit_write(void *cookie, const char *buf, size_t len)
{
	struct audit_cookie *ac = cookie;
	size_t off = 0;
	int n;

	if (ac->cut || ac->broken)
		return -1;
	if (ac->total + len > SRV_AUDIT_MAX) {
		ac->cut = 1;
		return -1;	/* stops the printing */
	}
	while (off < len) {
		n = ssh_channel_write(ac->se->chan, buf + off,
		    (uint32_t)(len - off > 65536 ? 65536 : len - off));
		if (n <= 0) {
			ac->broken = 1;
			return -1;
		}
		off += (size_t)n;
	}
	ac->total += len;
	return (ssize_t)len;
}

static int
cmd_audit_remote(struct sess *se, int argc, char **argv)
{
	struct jstore_filter f;
	struct jpolicy *p;
	struct audit_cookie ac = { se, 0, 0, 0 };
	char errbuf[256];
	FILE *out;
	int i, mode = 0, auditor, r;

	p = srv_policy_get(se->srv);
	auditor = jpolicy_is_auditor(p, se->user);
	srv_policy_put(se->srv, p);
	if (!auditor) {
		err(se, "audit: %s is not in an auditors group\n", se->user);
		return EXIT_DENIED;
	}
	memset(&f, 0, sizeof(f));
	for (i = 1; i < argc; i++) {
		const char *name = argv[i], *val = NULL;

		if (strncmp(name, "--", 2) != 0) {
			err(se, "audit: unexpected argument '%s'\n", name);
			return EXIT_USAGE;
		}
		name += 2;
		if (strcmp(name, "json") != 0 && strcmp(name, "csv") != 0)
			val = i + 1 < argc ? argv[++i] : NULL;
		if (ca_audit_option(&f, &mode, name, val, errbuf,
		    sizeof(errbuf)) != 0) {
			err(se, "audit: %s\n", errbuf);
			return EXIT_USAGE;
		}
	}
	/*
	 * Streamed to the channel as it is printed (a slow reader only slows
	 * this session), and bounded: past SRV_AUDIT_MAX bytes it stops.
	 */
	if ((out = fopencookie(&ac, "w", (cookie_io_functions_t){
	    .write = audit_write })) == NULL)
		return EXIT_ERROR;
	setvbuf(out, NULL, _IOFBF, 32768);
	r = ca_audit_print(se->srv->store, &f, mode, out);
	if (fclose(out) != 0 && r == 0)
		r = JIT_ERR_SYSTEM;
	if (ac.cut) {
		err(se, "audit: output stopped after %d MiB: narrow it with "
		    "--since, --until, --user or --limit\n",
		    SRV_AUDIT_MAX >> 20);
		return EXIT_DENIED;
	}
	if (ac.broken)
		return EXIT_ERROR;	/* the client went away */
	if (r != 0) {
		err(se, "audit: %s\n", jit_strerror(r));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* ---- status: what the CA has on record for the user ---- */

struct status_ctx {
	struct sess *se;
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
	(void)jstore_query(c->se->srv->store, &f, status_revoked, c);
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
		out_json(c->se, o);
	} else {
		if (c->n++ == 0)
			out(c->se, "%-28s %-12s %-24s %-21s %s\n", "CERTIFICATE",
			    "ROLE", "PRINCIPALS", "EXPIRES", "STATE");
		out(c->se, "%-28s %-12s %-24s %-21s %s\n", ev->key_id, ev->role,
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
		out_json(c->se, o);
	} else {
		if (c->n++ == 0)
			out(c->se, "%-19s %-12s %-9s %-21s %s\n", "REQUEST", "ROLE",
			    "STATE", "EXPIRES", "APPROVALS");
		out(c->se, "%-19s %-12s %-9s %-21s %zu/%u\n", r->id, r->role,
		    jstore_request_state_name(r->state), exp,
		    jit_list_count(r->approvers), r->quorum);
	}
	return 0;
}

/*
 * status: the user's live certificates (revoked ones marked) and open
 * requests as the CA has them, and a lock if there is one.
 */
static int
cmd_status_remote(struct sess *se, int argc, char **argv)
{
	struct status_ctx c = { se, 0, 0, 0 };
	struct jstore_filter f;
	uint64_t now = (uint64_t)time(NULL), *serials = NULL, until;
	char *reason = NULL, when[32];
	size_t i, n = 0;
	int r;

	c.json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if ((r = jstore_user_serials(se->srv->store, se->user, now, &serials,
	    &n)) != 0) {
		err(se, "status: %s\n", jit_strerror(r));
		return EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		f.serial = serials[i];
		f.event = "issue";
		f.limit = 1;
		(void)jstore_query(se->srv->store, &f, status_cert, &c);
	}
	free(serials);
	if (!c.json && c.n == 0)
		out(se, "no live certificates on record for %s\n", se->user);
	c.n = 0;
	(void)jstore_request_list_open(se->srv->store, se->user,
	    status_request, &c);
	if (!c.json && c.n == 0)
		out(se, "no open requests\n");
	if (jstore_locked(se->srv->store, se->user, now, &until, &reason) == 1) {
		if (until != 0)
			jit_format_time(until, when, sizeof(when));
		if (c.json) {
			json_t *o = json_object();

			json_object_set_new(o, "where", json_string("ca"));
			json_object_set_new(o, "locked_until", until != 0 ?
			    json_string(when) : json_null());
			json_object_set_new(o, "reason", json_string(reason));
			out_json(se, o);
		} else
			out(se, "locked %s%s: %s\n", until != 0 ? "until " :
			    "until unlocked", until != 0 ? when : "", reason);
	}
	free(reason);
	return EXIT_OK;
}

/* `help`, and what a bare `ssh user@ca` (a shell request) gets. */
static int
cmd_help(struct sess *se, int argc, char **argv)
{
	const struct jit_cmdspec *c;
	size_t i;

	(void)argc;
	(void)argv;
	out(se, "jit-ssh-ca: commands (as exec requests: ssh -p PORT %s@CA "
	    "COMMAND ...):\n", se->user);
	for (i = 0; (c = jit_cmdspec_at(i)) != NULL; i++)
		out(se, "  %-10s %s\n", c->name, c->summary);
	out(se, "COMMAND --help shows its usage.  The jit-ssh client runs "
	    "them for you: jit-ssh --help.\n");
	return EXIT_OK;
}

int
srv_run_command(struct sess *se, const char *command)
{
	static const struct {
		const char *name;
		int (*fn)(struct sess *, int, char **);
	} cmds[] = {
		{ "login", cmd_login }, { "whoami", cmd_whoami },
		{ "roles", cmd_roles }, { "krl", cmd_krl_remote },
		{ "ca-keys", cmd_ca_keys }, { "requests", cmd_requests },
		{ "approve", cmd_approve }, { "deny", cmd_deny },
		{ "audit", cmd_audit_remote }, { "status", cmd_status_remote },
		{ "help", cmd_help },
	};
	const struct jit_cmdspec *spec;
	char *buf, *argv[MAX_ARGS], msg[512];
	int argc = 0, rc = EXIT_USAGE, r;
	size_t i;

	if ((buf = strdup(command)) == NULL)
		return EXIT_ERROR;
	if ((r = ca_split_args(buf, argv, MAX_ARGS, &argc)) ==
	    JIT_ERR_BAD_TEXT) {
		/* Reasons and comments reach approvers' terminals and JSON. */
		err(se, "the command must be UTF-8 text without control "
		    "characters\n");
		goto out;
	}
	if (r != 0 || argc == 0) {
		err(se, "cannot parse the command (unbalanced quotes, control "
		    "characters or more than %d words)\n", MAX_ARGS);
		goto out;
	}
	/* Options are checked against the one table the client uses too. */
	if ((spec = jit_cmdspec_find(argv[0])) != NULL &&
	    (r = jit_cmdspec_check(spec, argc, argv, msg, sizeof(msg))) != 0) {
		if (r > 0) {
			out(se, "usage: %s\n  %s\n", spec->usage, spec->summary);
			rc = EXIT_OK;
		} else
			err(se, "%s\n", msg);
		goto out;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			rc = cmds[i].fn(se, argc, argv);
			goto out;
		}
	err(se, "unknown command '%s' (`help` lists them)\n", argv[0]);
 out:
	free(buf);
	return rc;
}
