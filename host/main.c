/*
 * main.c: jit-ssh-host, the program on hosts whose sessions are recorded.
 *
 *   jit-ssh-host record [--config FILE]        (sshd runs it)
 *   jit-ssh-host ship [--config FILE] [--once] (a service, as jit-ssh-rec)
 *   jit-ssh-host krl-refresh [--config FILE]   (a timer, as root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-config.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "host.h"

#define O_END		{ NULL, 0, NULL, NULL, NULL }
#define O_CONFIG	{ "config", 0, "FILE", "the configuration (default " \
			    HOST_CONFIG_DEFAULT ")", JIT_COMPLETE_FILE }

static const struct jit_opt config_opts[] = { O_CONFIG, O_END };
static const struct jit_opt ship_opts[] = {
	O_CONFIG,
	{ "once", 0, NULL, "ship what is there, then exit", NULL },
	O_END,
};

/*
 * Loads the configuration.  Set-user-ID, a --config file must be root's
 * (config.c checks), and $JIT_SSH_HOST_CONFIG is not read.
 */
static int
config(const struct jit_args *a, struct host_config *cfg)
{
	return host_config_load(jit_arg(a, "config"), cfg);
}

/* Runs fn with the configuration a names. */
static int
with_config(const struct jit_args *a, int (*fn)(const struct host_config *,
    const struct jit_args *))
{
	struct host_config cfg;
	int rc;

	if (config(a, &cfg) != 0)
		return 1;
	rc = fn(&cfg, a);
	host_config_free(&cfg);
	return rc;
}

static int
record(const struct host_config *cfg, const struct jit_args *a)
{
	(void)a;
	return host_record(cfg);
}

static int
ship(const struct host_config *cfg, const struct jit_args *a)
{
	return host_ship(cfg, jit_flag(a, "once"));
}

static int
krl_refresh(const struct host_config *cfg, const struct jit_args *a)
{
	(void)a;
	return host_krl_refresh(cfg);
}

static int
cmd_record(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	return with_config(a, record);
}

static int
cmd_ship(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	return with_config(a, ship);
}

static int
cmd_krl_refresh(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	/* Root runs it (the KRL is root's): set-user-ID took that away. */
	if (getuid() == 0 && geteuid() != 0 && seteuid(0) != 0) {
		return host_say(1, "seteuid: %s", strerror(errno));
	}
	return with_config(a, krl_refresh);
}

static const struct jit_verb v_record = {
	.name = "record", .usage = "record [--config FILE]",
	.summary = "record this SSH session (sshd's ForceCommand)",
	.opts = config_opts, .run = cmd_record,
};
static const struct jit_verb v_ship = {
	.name = "ship", .usage = "ship [--config FILE] [--once]",
	.summary = "send the recordings to the CA (a service)",
	.opts = ship_opts, .run = cmd_ship,
};
static const struct jit_verb v_krl = {
	.name = "krl-refresh", .usage = "krl-refresh [--config FILE]",
	.summary = "fetch the CA's KRL for sshd's RevokedKeys",
	.opts = config_opts, .run = cmd_krl_refresh,
};
static const struct jit_verb *const verbs[] = { &v_record, &v_ship, &v_krl,
    NULL };
static const struct jit_prog prog = { "jit-ssh-host", NULL, verbs };

static void
usage(FILE *f)
{
	const struct jit_verb *const *v;

	fprintf(f, "usage: jit-ssh-host [--help | --version] COMMAND [ARGS]\n"
	    "       jit-ssh-host completion bash|zsh|fish\n\n"
	    "jit-ssh-host records SSH sessions on a jit-ssh host and ends them "
	    "when\ntheir certificate does.\n\ncommands:\n");
	for (v = verbs; *v != NULL; v++)
		fprintf(f, "  jit-ssh-host %-34s %s\n", (*v)->usage,
		    (*v)->summary);
}

int
main(int argc, char **argv)
{
	const struct jit_verb *v;
	struct jit_args a;
	char err[1024];
	int nwords, r;

	if (jit_no_dumps() != 0) {
		fprintf(stderr, "jit-ssh-host: cannot disable core dumps and "
		    "tracing: %s\n", strerror(errno));
		return 1;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("jit-ssh-host %s\n", JIT_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "completion") == 0) {
		if (argc == 3 && jit_verbs_complete(&prog, argv[2], stdout) == 0)
			return 0;
		fprintf(stderr, "usage: jit-ssh-host completion bash|zsh|fish\n");
		return 2;
	}
	if ((v = jit_verb_find(&prog, argc - 1, argv + 1, &nwords)) == NULL) {
		fprintf(stderr, "jit-ssh-host: unknown command '%s' (try "
		    "--help)\n", argv[1]);
		return 2;
	}
	if ((r = jit_verb_parse(v, argc - 1, argv + 1, &a, err,
	    sizeof(err))) > 0) {
		printf("usage: jit-ssh-host %s\n  %s\n", v->usage, v->summary);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "jit-ssh-host: %s\n", err);
		return 2;
	}
	return v->run(NULL, &a);
}
