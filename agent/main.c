/*
 * main.c: jit-ssh, the engineer's, approver's and auditor's client.
 *
 *   jit-ssh [--config F] [--ca HOST:PORT] [--user U] [--identity F]
 *           [--ca-host-key LINE] COMMAND [ARGS]
 *
 * One command table: the client's own commands below, and the CA's
 * commands jit-ssh passes on as they are (JIT_VERB_CLIENT in the CA's
 * table, jit-remote.h).  Every command's words are checked here, before
 * the configuration is read or the CA asked: `--help` anywhere prints the
 * command's usage, and a typo is refused before it could cost a
 * verification code.  A command runs twice: with no configuration (ctx
 * NULL: it checks its options only), then with it.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-config.h"
#include "jit-remote.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jitssh.h"

#define O_END	{ NULL, 0, NULL, NULL, NULL }
#define O_JSON	{ "json", 0, NULL, "JSON Lines", NULL }

static int cmd_login(void *, const struct jit_args *);
static int cmd_status(void *, const struct jit_args *);
static int cmd_logout(void *, const struct jit_args *);
static int cmd_setup(void *, const struct jit_args *);
static int cmd_approve(void *, const struct jit_args *);
static int cmd_play(void *, const struct jit_args *);

static const struct jit_opt global_opts[] = {
	{ "config", 0, "FILE", "the configuration file", JIT_COMPLETE_FILE },
	{ "ca", 0, "HOST:PORT", "the CA (a list: tried in order)", NULL },
	{ "user", 0, "U", "your user name at the CA", NULL },
	{ "identity", 0, "FILE", "the private key the CA knows you by",
	    JIT_COMPLETE_FILE },
	{ "ca-host-key", 0, "LINE", "the CA's host key, pinned", NULL },
	{ "version", 'V', NULL, "show the version", NULL },
	O_END,
};
static const struct jit_opt login_opts[] = {
	{ "role", 0, "R", "the role to request", NULL },
	{ "ttl", 0, "D", "how long the certificate lasts (90s, 5m, 1h)", NULL },
	{ "reason", 0, "TEXT", "why (the audit log and approvers see it)",
	    NULL },
	{ "out", 0, "FILE", "write key and certificate here, not to ssh-agent",
	    JIT_COMPLETE_FILE },
	O_JSON,
	{ "request", 0, "ID", "pick up this waiting request", NULL },
	{ "sso", 0, NULL, "sign in with your identity provider (no key needed)",
	    NULL },
	O_END,
};
static const struct jit_opt status_opts[] = {
	O_JSON,
	{ "local", 0, NULL, "ssh-agent only: do not ask the CA", NULL },
	O_END,
};
static const struct jit_opt setup_opts[] = {
	{ "ca", 0, "HOST:PORT", "the CA (from its operator)", NULL },
	{ "fingerprint", 0, "SHA256:...", "the CA's host key fingerprint (from "
	    "its operator)", NULL },
	{ "user", 0, "U", "your user name at the CA", NULL },
	{ "identity", 0, "FILE", "the private key the CA knows you by",
	    JIT_COMPLETE_FILE },
	{ "ssh-config", 0, "FILE", "add a Host block for the fleet here",
	    JIT_COMPLETE_FILE },
	{ "hosts", 0, "PATTERN", "the fleet's Host patterns (with "
	    "--ssh-config)", NULL },
	{ "sso", 0, NULL, "sign in with your identity provider (no key "
	    "needed)", NULL },
	O_END,
};
static const struct jit_opt comment_opts[] = {
	{ "comment", 0, "TEXT", "a comment for the audit log", NULL },
	O_END,
};

static const struct jit_verb login = {
	.name = "login",
	.usage = "login [--role R] [--ttl D] [--reason TEXT] [--out FILE] "
	    "[--json]\n       jit-ssh login --request ID",
	.summary = "a certificate for a fresh key, into ssh-agent (--request "
	    "ID, or --role R again, picks up a waiting request)",
	.opts = login_opts, .run = cmd_login,
};
static const struct jit_verb status = {
	.name = "status", .usage = "status [--json] [--local]",
	.summary = "jit-ssh certificates in ssh-agent and waiting requests; "
	    "then what the CA has on record for you (not with --local)",
	.opts = status_opts, .run = cmd_status,
};
static const struct jit_verb logout = {
	.name = "logout", .usage = "logout",
	.summary = "remove the jit-ssh certificates from ssh-agent",
	.run = cmd_logout,
};
static const struct jit_verb setup = {
	.name = "setup",
	.usage = "setup --ca HOST:PORT --fingerprint SHA256:... [--user U] "
	    "[--identity FILE] [--ssh-config FILE --hosts PATTERN]",
	.summary = "check the CA's host key, write the configuration, trust "
	    "the CA's host certificates in ~/.ssh/known_hosts",
	.opts = setup_opts, .flags = JIT_VERB_NO_CODE, .run = cmd_setup,
};
static const struct jit_verb approve = {
	.name = "approve", .usage = "approve [ID] [--comment TEXT]",
	.summary = "approve ID, or review each waiting request (one code in "
	    "all)",
	.opts = comment_opts, .max_args = 1, .run = cmd_approve,
};
static const struct jit_opt play_opts[] = {
	{ "speed", 0, "X", "faster (2) or slower (0.5)", NULL },
	O_END,
};
static const struct jit_verb play = {
	.name = "session play", .usage = "session play ID [--speed X]",
	.summary = "play a recorded session here (auditors)",
	.opts = play_opts, .min_args = 1, .max_args = 1, .run = cmd_play,
};
/* The program's own words: options before the command, then it. */
static const struct jit_verb program = {
	.name = "jit-ssh", .usage = "jit-ssh [--config FILE] [--ca HOST:PORT] "
	    "[--user U] [--identity FILE] [--ca-host-key LINE] COMMAND [ARGS]",
	.opts = global_opts, .max_args = JIT_VERB_ARGS_MAX,
	.flags = JIT_VERB_OPTS_FIRST,
};

/* The table: ours, then the CA's that we pass on (made once, at start). */
static const struct jit_verb *verbs[24] = {
	&login, &status, &logout, &setup, &approve, &play,
};
static const struct jit_prog prog = { "jit-ssh", global_opts, verbs };

static void
table_init(void)
{
	const struct jit_verb *const *v;
	size_t n = 6;

	for (v = jit_remote_verbs; *v != NULL; v++)
		if (((*v)->flags & JIT_VERB_CLIENT) &&
		    n + 1 < sizeof(verbs) / sizeof(verbs[0]))
			verbs[n++] = *v;
	verbs[n] = NULL;
}

/* 1 when v is a CA command passed on as it is. */
static int
is_remote(const struct jit_verb *v)
{
	return (v->flags & JIT_VERB_CLIENT) != 0;
}

static void
usage(FILE *f)
{
	const struct jit_verb *const *v;

	fprintf(f, "usage: %s\n       jit-ssh completion bash|zsh|fish\n\n",
	    program.usage);
	for (v = verbs; *v != NULL; v++)
		fprintf(f, "  %-9s %s\n", (*v)->name, (*v)->summary);
	fprintf(f,
"\n"
"COMMAND --help shows its usage.  Configuration: $JIT_SSH_CONFIG or\n"
"~/.config/jit-ssh/config.yaml (ca, user, identity, ca_host_key); jit-ssh setup\n"
"writes it.  Verification code: asked on the terminal, or $JIT_SSH_OTP.\n"
"Exit: 0 ok, 1 refused, 2 usage, 3 CA unreachable or untrusted, 4 ssh-agent.\n");
}

static void
command_usage(const struct jit_verb *v)
{
	printf("usage: jit-ssh %s\n  %s\n\nSee jit-ssh(1).\n", v->usage,
	    v->summary);
}

static void
on_signal(int sig)
{
	(void)sig;
	js_interrupted = 1;
}

static int
set(char **slot, const char *v)
{
	free(*slot);
	return (*slot = strdup(v)) == NULL ? -1 : 0;
}

static int
cmd_login(void *ctx, const struct jit_args *a)
{
	struct js_login_opts o;

	memset(&o, 0, sizeof(o));
	o.role = jit_arg(a, "role");
	o.ttl = jit_arg(a, "ttl");
	o.reason = jit_arg(a, "reason");
	o.out = jit_arg(a, "out");
	o.json = jit_flag(a, "json");
	o.request = jit_arg(a, "request");
	if (ctx != NULL && jit_flag(a, "sso"))
		((struct js_config *)ctx)->sso = 1;
	if (o.request != NULL && o.out != NULL) {
		fprintf(stderr, "jit-ssh: login: --request takes the key from "
		    "ssh-agent and puts the certificate there: not with --out\n");
		return JS_EXIT_USAGE;
	}
	return ctx == NULL ? JS_EXIT_OK : js_cmd_login(ctx, &o);
}

/* status [--json] [--local]: the agent, then the CA unless --local. */
static int
cmd_status(void *ctx, const struct jit_args *a)
{
	int json = jit_flag(a, "json"), rc;

	if (ctx == NULL)
		return JS_EXIT_OK;
	rc = js_cmd_status(json);
	if (!jit_flag(a, "local") && rc != JS_EXIT_USAGE)
		js_cmd_status_remote(ctx, json);
	return rc;
}

static int
cmd_logout(void *ctx, const struct jit_args *a)
{
	(void)a;
	return ctx == NULL ? JS_EXIT_OK : js_cmd_logout();
}

/* --hosts: ssh_config Host patterns of a fleet, never every host. */
static int
hosts_ok(const char *hosts)
{
	size_t k;

	for (k = 0; hosts[k] != '\0'; k++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_*?! ", hosts[k]) == NULL)
			return 0;
	return strspn(hosts, "* ") != strlen(hosts);
}

static int
cmd_setup(void *ctx, const struct jit_args *a)
{
	struct js_setup_opts o;

	o.ca = jit_arg(a, "ca");
	o.fingerprint = jit_arg(a, "fingerprint");
	o.user = jit_arg(a, "user");
	o.identity = jit_arg(a, "identity");
	o.ssh_config = jit_arg(a, "ssh-config");
	o.hosts = jit_arg(a, "hosts");
	o.sso = jit_flag(a, "sso");
	/* The snippet applies to the fleet's hosts, never to every host. */
	if ((o.ssh_config != NULL) != (o.hosts != NULL)) {
		fprintf(stderr, "jit-ssh: setup: --ssh-config FILE and --hosts "
		    "PATTERN go together: the snippet is for the hosts of your "
		    "fleet (--hosts '*.prod.example.com'), never Host *\n");
		return JS_EXIT_USAGE;
	}
	if (o.hosts != NULL && !hosts_ok(o.hosts)) {
		fprintf(stderr, "jit-ssh: setup: --hosts '%s': want ssh_config "
		    "Host patterns of your fleet's names ('*.prod.example.com "
		    "bastion1'), not every host\n", o.hosts);
		return JS_EXIT_USAGE;
	}
	if (o.ca == NULL || o.fingerprint == NULL) {
		fprintf(stderr, "jit-ssh: setup needs --ca HOST:PORT and "
		    "--fingerprint SHA256:... (ask the CA operator for both)\n"
		    "usage: jit-ssh %s\n", setup.usage);
		return JS_EXIT_USAGE;
	}
	return ctx == NULL ? JS_EXIT_OK : js_cmd_setup(ctx, &o);
}

/* A command of the CA's, checked against its table before connecting. */
static int
cmd_remote(void *ctx, const struct jit_args *a)
{
	/* A two-word command ("session export") was parsed from its last
	 * word on: the CA gets both. */
	int extra = strchr(a->verb->name, ' ') != NULL ? 1 : 0;

	return ctx == NULL ? JS_EXIT_OK : js_cmd_remote(ctx, a->argc + extra,
	    a->argv - extra);
}

static int
cmd_play(void *ctx, const struct jit_args *a)
{
	const char *sp = jit_arg(a, "speed");
	double speed = 1;
	char *end;

	if (sp != NULL && ((speed = strtod(sp, &end)) <= 0 || *end != '\0' ||
	    speed > 1000)) {
		fprintf(stderr, "jit-ssh: session play: --speed: a number above "
		    "0 and at most 1000\n");
		return JS_EXIT_USAGE;
	}
	return ctx == NULL ? JS_EXIT_OK : js_cmd_play(ctx, a->pos[0], speed);
}

static int
cmd_approve(void *ctx, const struct jit_args *a)
{
	const struct jit_verb *v;
	struct jit_args ra;
	char err[512];
	int n;

	/* No ID: the interactive review (one code for every decision). */
	if (a->npos == 0)
		return ctx == NULL ? JS_EXIT_OK : js_cmd_review(ctx,
		    jit_arg(a, "comment"));
	/* With one: the CA's approve, as its table has it. */
	if ((v = jit_verb_find(&jit_remote_prog, a->argc, a->argv, &n)) ==
	    NULL || jit_verb_parse(v, a->argc, a->argv, &ra, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "jit-ssh: %s\n", v != NULL ? err :
		    "approve: unknown to the CA");
		return JS_EXIT_USAGE;
	}
	return cmd_remote(ctx, a);
}

/* The configuration, with the global options over it: 0 or an exit. */
static int
load_config(const struct jit_args *g, int for_setup, struct js_config *cfg)
{
	const char *ca = jit_arg(g, "ca"), *user = jit_arg(g, "user");
	const char *hostkey = jit_arg(g, "ca-host-key");
	const char *identity = jit_arg(g, "identity"), *u;
	struct passwd *pw;

	/* setup writes the file: it need not exist yet. */
	if (js_config_load(jit_arg(g, "config"), for_setup, cfg) != 0)
		return JS_EXIT_USAGE;
	if ((ca != NULL && set(&cfg->ca, ca) != 0) ||
	    (user != NULL && set(&cfg->user, user) != 0) ||
	    (hostkey != NULL && set(&cfg->ca_host_key, hostkey) != 0) ||
	    (identity != NULL && (free(cfg->identity),
	    (cfg->identity = js_expand_home(identity)) == NULL)))
		return JS_EXIT_USAGE;
	if (cfg->ca == NULL && set(&cfg->ca, JS_DEFAULT_CA) != 0)
		return JS_EXIT_USAGE;
	if (cfg->identity == NULL &&
	    (cfg->identity = js_expand_home(JS_DEFAULT_IDENTITY)) == NULL)
		return JS_EXIT_USAGE;
	if (cfg->user == NULL) {
		u = getenv("USER");
		if ((u == NULL || *u == '\0') &&
		    (pw = getpwuid(getuid())) != NULL)
			u = pw->pw_name;
		if (u == NULL || set(&cfg->user, u) != 0) {
			fprintf(stderr, "jit-ssh: who are you? set user: in "
			    "the configuration or --user\n");
			return JS_EXIT_USAGE;
		}
	}
	return 0;
}

/* The command argv names, parsed and checked: its verb, or NULL (*rc). */
static const struct jit_verb *
find_command(int argc, char **argv, struct jit_args *a, int *rc)
{
	const struct jit_verb *v;
	char err[1024];
	int n, r;

	*rc = JS_EXIT_USAGE;
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 1 && (v = jit_verb_find(&prog, argc - 1, argv + 1,
		    &n)) != NULL)
			command_usage(v);
		else
			usage(stdout);
		*rc = JS_EXIT_OK;
		return NULL;
	}
	if ((v = jit_verb_find(&prog, argc, argv, &n)) == NULL) {
		fprintf(stderr, "jit-ssh: unknown command '%s' (jit-ssh --help "
		    "lists them)\n", argv[0]);
		return NULL;
	}
	/* Help and the words' check come first: no file, no network. */
	argc -= n - 1;
	argv += n - 1;
	if ((r = jit_verb_parse(v, argc, argv, a, err, sizeof(err))) > 0) {
		command_usage(v);
		*rc = JS_EXIT_OK;
		return NULL;
	}
	if (r < 0) {
		fprintf(stderr, "jit-ssh: %s\n", err);
		return NULL;
	}
	/* Checked only (no configuration yet): its own value checks. */
	if ((*rc = (is_remote(v) ? cmd_remote : v->run)(NULL, a)) != 0)
		return NULL;
	return v;
}

int
main(int argc, char **argv)
{
	const struct jit_verb *v;
	struct jit_args g, a;
	struct js_config cfg;
	struct sigaction sa;
	char err[1024];
	int rc;

	/* Fresh private keys and verification codes pass through here. */
	if (jit_no_dumps() != 0) {
		fprintf(stderr, "jit-ssh: cannot disable core dumps and "
		    "tracing: %s\n", strerror(errno));
		return JS_EXIT_USAGE;
	}
	table_init();
	if ((rc = jit_verb_parse(&program, argc, argv, &g, err,
	    sizeof(err))) == 0 && jit_flag(&g, "version")) {
		printf("jit-ssh %s\n", JIT_VERSION);
		return JS_EXIT_OK;
	}
	if (rc != 0 || g.npos == 0) {
		if (rc < 0)
			fprintf(stderr, "%s\n", err);	/* "jit-ssh: ..." */
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? JS_EXIT_OK : JS_EXIT_USAGE;
	}
	argv += argc - g.npos;
	argc = g.npos;
	if (strcmp(argv[0], "completion") == 0) {
		if (argc == 2 && jit_verbs_complete(&prog, argv[1], stdout) == 0)
			return JS_EXIT_OK;
		fprintf(stderr, "usage: jit-ssh completion bash|zsh|fish\n");
		return JS_EXIT_USAGE;
	}
	if ((v = find_command(argc, argv, &a, &rc)) == NULL)
		return rc;
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = load_config(&g, v == &setup, &cfg)) == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;	/* no SA_RESTART: waits wake up */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		rc = (is_remote(v) ? cmd_remote : v->run)(&cfg, &a);
	}
	js_config_free(&cfg);
	return rc;
}
