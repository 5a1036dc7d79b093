/*
 * main.c: jit-ssh, the engineer's, approver's and auditor's client.
 *
 *   jit-ssh [--config F] [--ca HOST:PORT] [--user U] [--identity F]
 *           [--ca-host-key LINE] COMMAND [ARGS]
 */
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-config.h"
#include "jitssh.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: jit-ssh [--config FILE] [--ca HOST:PORT] [--user U] [--identity FILE]\n"
"               [--ca-host-key LINE] COMMAND [ARGS]\n"
"\n"
"  login [--role R] [--ttl D] [--reason TEXT] [--out FILE] [--json]\n"
"                       a certificate for a fresh key, into ssh-agent\n"
"  login --request ID   pick up a waiting request made earlier (its key is\n"
"                       in ssh-agent); login --role R does that by itself\n"
"  status [--json]      jit-ssh certificates in ssh-agent and time left\n"
"  logout               remove them from ssh-agent\n"
"  roles [--json]       roles you may request\n"
"  whoami [--json]      who the CA thinks you are\n"
"  requests [--json]    requests you may decide, and your own\n"
"  approve [ID] [--comment T]   approve ID, or review each waiting request\n"
"  deny ID [--comment T]\n"
"  audit [--user U] [--role R] [--event E] [--serial N] [--since T]\n"
"        [--until T] [--limit N] [--json]       (auditors)\n"
"\n"
"Configuration: $JIT_SSH_CONFIG or ~/.config/jit-ssh/config.yaml (ca, user,\n"
"identity, ca_host_key).  Verification code: asked on the terminal, or\n"
"$JIT_SSH_OTP.  Exit: 0 ok, 1 refused, 2 usage, 3 CA unreachable or\n"
"untrusted, 4 ssh-agent problem.\n");
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
			usage(stderr);
			return JS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "jit-ssh: login: unexpected '%s'\n",
		    argv[optind]);
		return JS_EXIT_USAGE;
	}
	if (o.request != NULL && o.out != NULL) {
		fprintf(stderr, "jit-ssh: login: --request takes the key from "
		    "ssh-agent and puts the certificate there: not with --out\n");
		return JS_EXIT_USAGE;
	}
	return js_cmd_login(cfg, &o);
}

/* status [--json] / logout: local, no CA needed. */
static int
cmd_local(int argc, char **argv)
{
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc > 1 + json || (strcmp(argv[0], "logout") == 0 && json)) {
		fprintf(stderr, "jit-ssh: %s: unexpected '%s'\n", argv[0],
		    argv[1]);
		return JS_EXIT_USAGE;
	}
	return strcmp(argv[0], "status") == 0 ? js_cmd_status(json) :
	    js_cmd_logout();
}

static int
cmd_approve(const struct js_config *cfg, int argc, char **argv)
{
	if (argc == 1)
		return js_cmd_review(cfg, NULL);
	if (argc == 3 && strcmp(argv[1], "--comment") == 0)
		return js_cmd_review(cfg, argv[2]);
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
	static const char *const remote[] = { "roles", "whoami", "requests",
	    "deny", "audit", NULL };
	struct js_config cfg;
	struct sigaction sa;
	const char *config = NULL, *ca = NULL, *user = NULL, *identity = NULL;
	const char *hostkey = NULL, *cmd;
	size_t i;
	int ch, rc;

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
	cmd = argv[0];
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return JS_EXIT_OK;
	}
	if (js_config_load(config, &cfg) != 0)
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

	if (strcmp(cmd, "login") == 0)
		rc = cmd_login(&cfg, argc, argv);
	else if (strcmp(cmd, "status") == 0 || strcmp(cmd, "logout") == 0)
		rc = cmd_local(argc, argv);
	else if (strcmp(cmd, "approve") == 0)
		rc = cmd_approve(&cfg, argc, argv);
	else {
		for (i = 0; remote[i] != NULL; i++)
			if (strcmp(cmd, remote[i]) == 0)
				break;
		if (remote[i] == NULL) {
			fprintf(stderr, "jit-ssh: unknown command '%s' (jit-ssh "
			    "--help lists them)\n", cmd);
			goto out;
		}
		rc = js_cmd_remote(&cfg, argc, argv);
	}
 out:
	js_config_free(&cfg);
	return rc;
}
