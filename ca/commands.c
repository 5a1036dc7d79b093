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
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"
#include "serve.h"

#define MAX_ARGS	32

enum { EXIT_OK = 0, EXIT_DENIED = 1, EXIT_USAGE = 2, EXIT_ERROR = 3 };

static void
out(struct sess *se, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
err(struct sess *se, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/*
 * Splits a command line into at most MAX_ARGS words in buf (which it
 * modifies): blanks separate words; '...' and "..." quote; \ escapes.
 */
static int
split_args(char *buf, char **argv, int *argcp)
{
	char *r = buf, *w = buf, quote = 0;
	int argc = 0, inword = 0;

	for (;; r++) {
		char c = *r;

		if (c == '\0' || (!quote && (c == ' ' || c == '\t'))) {
			if (inword) {
				*w++ = '\0';
				inword = 0;
			}
			if (c == '\0')
				break;
			continue;
		}
		if ((unsigned char)c < 0x20)
			return -1;
		if (!inword) {
			if (argc == MAX_ARGS)
				return -1;
			argv[argc++] = w;
			inword = 1;
		}
		if (quote) {
			if (c == quote)
				quote = 0;
			else if (c == '\\' && quote == '"' && r[1] != '\0')
				*w++ = *++r;
			else
				*w++ = c;
		} else if (c == '\'' || c == '"')
			quote = c;
		else if (c == '\\' && r[1] != '\0')
			*w++ = *++r;
		else
			*w++ = c;
	}
	if (quote)
		return -1;
	*argcp = argc;
	return 0;
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
	char *line = NULL, *text = NULL, *nl;
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
	p = srv_policy_get(se->srv);
	if (role == NULL) {
		/* No --role: the one role this user may request, if only one. */
		for (i = 0, n = 0; i < jpolicy_nroles(p); i++) {
			const char *rn = jpolicy_role_name(p, i);
			size_t g;

			for (g = 0; g < jpolicy_role_ngroups(p, rn); g++)
				if (jpolicy_user_in_group(p, se->user,
				    jpolicy_role_group(p, rn, g)))
					break;
			if (g < jpolicy_role_ngroups(p, rn)) {
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
	{
		struct jpolicy_request req = {
			.user = se->user, .role = role, .ttl = ttl,
			.mfa_done = se->mfa_done, .reason = reason,
			.address = se->addr, .key_type = jkey_type(key),
			.now = (uint64_t)time(NULL),
		};

		if ((r = jpolicy_evaluate(p, &req, &d)) != 0) {
			err(se, "login: %s\n", jit_strerror(r));
			goto out;
		}
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		err(se, "denied: %s\n", jpolicy_decision_reason(d));
		rc = EXIT_DENIED;
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL) {
		err(se, "denied: role %s needs approval, which this CA does not "
		    "handle yet\n", role);
		rc = EXIT_DENIED;
		goto out;
	}
	if (ca_issue(se->srv->user_ca, se->srv->store, se->user, role, key, d,
	    se->addr, reason, NULL, NULL, &c) != 0) {
		err(se, "login: the certificate could not be issued (see the "
		    "CA's log)\n");
		goto out;
	}
	if (jpolicy_decision_ttl_capped(d) && !json)
		err(se, "note: ttl capped by the policy\n");
	if (jcert_format_line(c, jcert_key_id(c), &line) != 0)
		goto out;
	srv_log("issue %s to %s (role %s) from %s", jcert_key_id(c), se->user,
	    role, se->addr);
	if (json) {
		json_t *o = json_object(), *pr = json_array();
		char vb[32];

		for (i = 0; i < jcert_nprincipals(c); i++)
			json_array_append_new(pr, json_string(jcert_principal(c, i)));
		ca_format_time(jcert_valid_before(c), vb, sizeof(vb));
		json_object_set_new(o, "certificate", json_string(line));
		json_object_set_new(o, "serial",
		    json_integer((json_int_t)jcert_serial(c)));
		json_object_set_new(o, "key_id", json_string(jcert_key_id(c)));
		json_object_set_new(o, "role", json_string(role));
		json_object_set_new(o, "principals", pr);
		json_object_set_new(o, "valid_before", json_string(vb));
		out_json(se, o);
	} else
		out(se, "%s\n", line);
	rc = EXIT_OK;
 out:
	if (p != NULL)
		srv_policy_put(se->srv, p);
	free(line);
	free(text);
	jcert_free(c);
	jkey_free(key);
	jpolicy_decision_free(d);
	return rc;
}

/* A role's principal template with {user} replaced, into buf. */
static const char *
expand_user(const char *tmpl, const char *user, char *buf, size_t len)
{
	const char *p = tmpl, *b;
	size_t off = 0;

	buf[0] = '\0';
	while ((b = strstr(p, "{user}")) != NULL && off < len) {
		off += (size_t)snprintf(buf + off, len - off, "%.*s%s",
		    (int)(b - p), p, user);
		p = b + 6;
	}
	if (off < len)
		snprintf(buf + off, len - off, "%s", p);
	return buf;
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
		ca_format_time(se->mfa_time, t, sizeof(t));
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
	char ttl[32], max[32], x[256];
	size_t i, g, k;

	if (parse_opts(se, argc, argv, opts, NULL) != 0)
		return EXIT_USAGE;
	p = srv_policy_get(se->srv);
	for (i = 0; i < jpolicy_nroles(p); i++) {
		const char *rn = jpolicy_role_name(p, i);

		for (g = 0; g < jpolicy_role_ngroups(p, rn); g++)
			if (jpolicy_user_in_group(p, se->user,
			    jpolicy_role_group(p, rn, g)))
				break;
		if (g == jpolicy_role_ngroups(p, rn) ||
		    jpolicy_role_info(p, rn, &info) != 0)
			continue;
		jpolicy_format_duration(info.ttl, ttl, sizeof(ttl));
		jpolicy_format_duration(info.max_ttl, max, sizeof(max));
		if (json) {
			json_t *o = json_object(), *pr = json_array();

			for (k = 0; k < jpolicy_role_nprincipals(p, rn); k++)
				json_array_append_new(pr, json_string(expand_user(
				    jpolicy_role_principal(p, rn, k), se->user, x,
				    sizeof(x))));
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
			out_json(se, o);
			continue;
		}
		if (!any)
			out(se, "%-16s %-24s %-8s %-8s %-4s %s\n", "ROLE",
			    "PRINCIPALS", "TTL", "MAX", "MFA", "APPROVAL");
		any = 1;
		out(se, "%-16s ", rn);
		{
			char pr[256] = "";

			for (k = 0; k < jpolicy_role_nprincipals(p, rn); k++) {
				strncat(pr, k ? "," : "", sizeof(pr) - strlen(pr) - 1);
				strncat(pr, expand_user(jpolicy_role_principal(p,
				    rn, k), se->user, x, sizeof(x)),
				    sizeof(pr) - strlen(pr) - 1);
			}
			out(se, "%-24s ", pr);
		}
		out(se, "%-8s %-8s %-4s ", ttl, max, info.mfa_required ? "yes" : "no");
		if (info.quorum > 0)
			out(se, "%u approver(s)\n", info.quorum);
		else
			out(se, "%s\n", info.break_glass ? "break-glass" : "-");
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
	if (ca_build_krl(se->srv->dir, se->srv->store, b) == 0) {
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
	(void)argv;
	if (argc != 1) {
		err(se, "ca-keys takes no arguments\n");
		return EXIT_USAGE;
	}
	out(se, "%s", se->srv->ca_keys_text);
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
		{ "ca-keys", cmd_ca_keys },
	};
	char *buf, *argv[MAX_ARGS];
	int argc = 0, rc = EXIT_USAGE;
	size_t i;

	if ((buf = strdup(command)) == NULL)
		return EXIT_ERROR;
	if (split_args(buf, argv, &argc) != 0 || argc == 0) {
		err(se, "cannot parse the command (unbalanced quotes, control "
		    "characters or more than %d words)\n", MAX_ARGS);
		goto out;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			rc = cmds[i].fn(se, argc, argv);
			goto out;
		}
	err(se, "unknown command '%s' (login, roles, whoami, krl, ca-keys)\n",
	    argv[0]);
 out:
	free(buf);
	return rc;
}
