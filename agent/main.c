/*
 * main.c: jit-ssh, the engineer's, approver's and auditor's client.
 *
 *   jit-ssh [--config F] [--ca HOST:PORT] [--user U] [--identity F]
 *           [--ca-host-key LINE] COMMAND [ARGS]
 *
 * Every command's words are checked here, before the configuration is
 * read or the CA asked: `--help` anywhere prints the command's usage, and
 * a typo is refused before it could cost a verification code.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-cmdspec.h"
#include "jit-config.h"
#include "jit-util.h"
#include "jitssh.h"

struct command {
	const char *name;
	const char *usage;	/* after "jit-ssh " */
	const char *summary;
	int (*fn)(const struct js_config *, int, char **);
};

static int cmd_login(const struct js_config *, int, char **);
static int cmd_status(const struct js_config *, int, char **);
static int cmd_logout(const struct js_config *, int, char **);
static int cmd_setup(const struct js_config *, int, char **);
static int cmd_approve(const struct js_config *, int, char **);
static int cmd_remote(const struct js_config *, int, char **);

static const struct command commands[] = {
	{ "login", "login [--role R] [--ttl D] [--reason TEXT] [--out FILE] "
	    "[--json]\n       jit-ssh login --request ID",
	    "a certificate for a fresh key, into ssh-agent (--request ID, or "
	    "--role R again, picks up a waiting request)", cmd_login },
	{ "status", "status [--json] [--local]",
	    "jit-ssh certificates in ssh-agent and waiting requests; then what "
	    "the CA has on record for you (not with --local)", cmd_status },
	{ "logout", "logout", "remove the jit-ssh certificates from ssh-agent",
	    cmd_logout },
	{ "setup", "setup --ca HOST:PORT --fingerprint SHA256:... [--user U] "
	    "[--identity FILE] [--ssh-config FILE --hosts PATTERN]",
	    "check the CA's host key, write the configuration, trust the CA's "
	    "host certificates in ~/.ssh/known_hosts", cmd_setup },
	{ "roles", "roles [--json]", "roles you may request", cmd_remote },
	{ "whoami", "whoami [--json]", "who the CA thinks you are",
	    cmd_remote },
	{ "requests", "requests [--json]", "requests you may decide, and your "
	    "own", cmd_remote },
	{ "approve", "approve [ID] [--comment TEXT]",
	    "approve ID, or review each waiting request (one code in all)",
	    cmd_approve },
	{ "deny", "deny ID [--comment TEXT]", "deny a request, or withdraw "
	    "your own", cmd_remote },
	{ "audit", "audit [--user U] [--role R] [--event E] [--serial N] "
	    "[--request ID]\n             [--since T] [--until T] [--limit N] "
	    "[--json|--csv]", "the audit log (auditors)", cmd_remote },
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
"usage: jit-ssh [--config FILE] [--ca HOST:PORT] [--user U] [--identity FILE]\n"
"               [--ca-host-key LINE] COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
"\n"
"COMMAND --help shows its usage.  Configuration: $JIT_SSH_CONFIG or\n"
"~/.config/jit-ssh/config.yaml (ca, user, identity, ca_host_key); jit-ssh setup\n"
"writes it.  Verification code: asked on the terminal, or $JIT_SSH_OTP.\n"
"Exit: 0 ok, 1 refused, 2 usage, 3 CA unreachable or untrusted, 4 ssh-agent.\n");
}

static void
command_usage(const struct command *c)
{
	printf("usage: jit-ssh %s\n  %s\n\nSee jit-ssh(1).\n", c->usage,
	    c->summary);
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

/* getopt_long's own message is enough; add the usage line. */
static int
bad_usage(const char *name)
{
	const struct command *c = find_command(name);

	fprintf(stderr, "usage: jit-ssh %s\n", c != NULL ? c->usage : name);
	return JS_EXIT_USAGE;
}

static int
cmd_login(const struct js_config *cfg, int argc, char **argv)
{
	struct js_login_opts o;
	static const struct option lo[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'R' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "request", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': o.role = optarg; break;
		case 't': o.ttl = optarg; break;
		case 'R': o.reason = optarg; break;
		case 'o': o.out = optarg; break;
		case 'j': o.json = 1; break;
		case 'q': o.request = optarg; break;
		default:
			return bad_usage("login");
		}
	}
	if (optind != argc) {
		fprintf(stderr, "jit-ssh: login: unexpected '%s'\n",
		    argv[optind]);
		return bad_usage("login");
	}
	if (o.request != NULL && o.out != NULL) {
		fprintf(stderr, "jit-ssh: login: --request takes the key from "
		    "ssh-agent and puts the certificate there: not with --out\n");
		return JS_EXIT_USAGE;
	}
	if (cfg == NULL)
		return JS_EXIT_OK;	/* checked only */
	return js_cmd_login(cfg, &o);
}

/* status [--json] [--local]: the agent, then the CA unless --local. */
static int
cmd_status(const struct js_config *cfg, int argc, char **argv)
{
	int i, json = 0, local = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--local") == 0)
			local = 1;
		else {
			fprintf(stderr, "jit-ssh: status: unexpected '%s'\n",
			    argv[i]);
			return bad_usage("status");
		}
	}
	if (cfg == NULL)
		return JS_EXIT_OK;
	rc = js_cmd_status(json);
	if (!local && rc != JS_EXIT_USAGE)
		js_cmd_status_remote(cfg, json);
	return rc;
}

static int
cmd_logout(const struct js_config *cfg, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "jit-ssh: logout: unexpected '%s'\n", argv[1]);
		return bad_usage("logout");
	}
	return cfg == NULL ? JS_EXIT_OK : js_cmd_logout();
}

static int
cmd_setup(const struct js_config *cfg, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "identity", required_argument, NULL, 'i' },
		{ "ssh-config", required_argument, NULL, 's' },
		{ "hosts", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct js_setup_opts o;
	size_t k;
	int ch;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o.ca = optarg; break;
		case 'f': o.fingerprint = optarg; break;
		case 'u': o.user = optarg; break;
		case 'i': o.identity = optarg; break;
		case 's': o.ssh_config = optarg; break;
		case 'H': o.hosts = optarg; break;
		default:
			return bad_usage("setup");
		}
	}
	/* The snippet applies to the fleet's hosts, never to every host. */
	if ((o.ssh_config != NULL) != (o.hosts != NULL)) {
		fprintf(stderr, "jit-ssh: setup: --ssh-config FILE and --hosts "
		    "PATTERN go together: the snippet is for the hosts of your "
		    "fleet (--hosts '*.prod.example.com'), never Host *\n");
		return JS_EXIT_USAGE;
	}
	for (k = 0; o.hosts != NULL && o.hosts[k] != '\0'; k++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_*?! ", o.hosts[k]) == NULL)
			break;
	if (o.hosts != NULL && (o.hosts[k] != '\0' || strspn(o.hosts, "* ") ==
	    strlen(o.hosts))) {
		fprintf(stderr, "jit-ssh: setup: --hosts '%s': want ssh_config "
		    "Host patterns of your fleet's names ('*.prod.example.com "
		    "bastion1'), not every host\n", o.hosts);
		return JS_EXIT_USAGE;
	}
	if (optind != argc || o.ca == NULL || o.fingerprint == NULL) {
		fprintf(stderr, "jit-ssh: setup needs --ca HOST:PORT and "
		    "--fingerprint SHA256:... (ask the CA operator for both)\n");
		return bad_usage("setup");
	}
	if (cfg == NULL)
		return JS_EXIT_OK;
	return js_cmd_setup(cfg, &o);
}

/* A command of the CA's, checked against its table before connecting. */
static int
check_remote(int argc, char **argv)
{
	const struct jit_cmdspec *spec = jit_cmdspec_find(argv[0]);
	char msg[512];

	if (spec == NULL)
		return JS_EXIT_USAGE;
	if (jit_cmdspec_check(spec, argc, argv, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "jit-ssh: %s\n", msg);
		return JS_EXIT_USAGE;
	}
	return 0;
}

static int
cmd_remote(const struct js_config *cfg, int argc, char **argv)
{
	int rc;

	if ((rc = check_remote(argc, argv)) != 0 || cfg == NULL)
		return rc;
	return js_cmd_remote(cfg, argc, argv);
}

static int
cmd_approve(const struct js_config *cfg, int argc, char **argv)
{
	const char *comment = NULL;
	int rc;

	/* No ID: the interactive review (one code for every decision). */
	if (argc == 1 || (argc == 3 && strcmp(argv[1], "--comment") == 0)) {
		comment = argc == 3 ? argv[2] : NULL;
		return cfg == NULL ? JS_EXIT_OK : js_cmd_review(cfg, comment);
	}
	if ((rc = check_remote(argc, argv)) != 0 || cfg == NULL)
		return rc;
	return js_cmd_remote(cfg, argc, argv);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "identity", required_argument, NULL, 'i' },
		{ "ca-host-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *c;
	struct js_config cfg;
	struct sigaction sa;
	const char *config = NULL, *ca = NULL, *user = NULL, *identity = NULL;
	const char *hostkey = NULL;
	int ch, rc;

	/* Fresh private keys and verification codes pass through here. */
	if (jit_no_dumps() != 0) {
		fprintf(stderr, "jit-ssh: cannot disable core dumps and "
		    "tracing: %s\n", strerror(errno));
		return JS_EXIT_USAGE;
	}
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'a': ca = optarg; break;
		case 'u': user = optarg; break;
		case 'i': identity = optarg; break;
		case 'k': hostkey = optarg; break;
		case 'h':
			usage(stdout);
			return JS_EXIT_OK;
		case 'V':
			printf("jit-ssh %s\n", JIT_VERSION);
			return JS_EXIT_OK;
		default:
			usage(stderr);
			return JS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return JS_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 1 && (c = find_command(argv[1])) != NULL)
			command_usage(c);
		else
			usage(stdout);
		return JS_EXIT_OK;
	}
	if ((c = find_command(argv[0])) == NULL) {
		fprintf(stderr, "jit-ssh: unknown command '%s' (jit-ssh --help "
		    "lists them)\n", argv[0]);
		return JS_EXIT_USAGE;
	}
	/* Help and the words' check come first: no file, no network. */
	if (jit_args_want_help(argc, argv)) {
		command_usage(c);
		return JS_EXIT_OK;
	}
	if ((rc = c->fn(NULL, argc, argv)) != 0)
		return rc;
	/* setup writes the file: it need not exist yet. */
	if (js_config_load(config, c->fn == cmd_setup, &cfg) != 0)
		return JS_EXIT_USAGE;
	rc = JS_EXIT_USAGE;
	if ((ca != NULL && set(&cfg.ca, ca) != 0) ||
	    (user != NULL && set(&cfg.user, user) != 0) ||
	    (hostkey != NULL && set(&cfg.ca_host_key, hostkey) != 0) ||
	    (identity != NULL && (free(cfg.identity),
	    (cfg.identity = js_expand_home(identity)) == NULL)))
		goto out;
	if (cfg.ca == NULL && set(&cfg.ca, JS_DEFAULT_CA) != 0)
		goto out;
	if (cfg.identity == NULL &&
	    (cfg.identity = js_expand_home(JS_DEFAULT_IDENTITY)) == NULL)
		goto out;
	if (cfg.user == NULL) {
		const char *u = getenv("USER");
		struct passwd *pw;

		if ((u == NULL || *u == '\0') &&
		    (pw = getpwuid(getuid())) != NULL)
			u = pw->pw_name;
		if (u == NULL || set(&cfg.user, u) != 0) {
			fprintf(stderr, "jit-ssh: who are you? set user: in "
			    "the configuration or --user\n");
			goto out;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = c->fn(&cfg, argc, argv);
 out:
	js_config_free(&cfg);
	return rc;
}
