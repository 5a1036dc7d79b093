/*
 * main.c: jit-ssh-ca, the CA operator's program: its command table (one
 * entry a command: name, options, usage, what runs it) and the dispatch,
 * --help and shell completions made from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "calog.h"
#include "commands.h"
#include "jit-config.h"
#include "jit-remote.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "server.h"

#define O_END		{ NULL, 0, NULL, NULL, NULL }
#define O_DIR		{ "dir", 0, "DIR", "the CA directory", JIT_COMPLETE_DIR }
#define O_USER(h)	{ "user", 0, "U", h, NULL }
#define O_REASON	{ "reason", 0, "TEXT", "why (into the audit log)", NULL }
#define O_OUTPUT	{ "output", 'o', "FILE", "write it here, not to stdout", \
			    JIT_COMPLETE_FILE }
#define O_KEY_TYPE	{ "key-type", 0, "T", "the new key's type", \
			    "ed25519 ecdsa rsa" }

static const struct jit_opt init_opts[] = {
	O_DIR, O_KEY_TYPE,
	{ "store", 0, "lmdb|URL", "the store: lmdb in DIR, or PostgreSQL "
	    "(postgresql://...)", NULL },
	{ "ca-key", 0, "pkcs11:URI", "the user CA key on a PKCS#11 token",
	    NULL },
	{ "host-ca-key", 0, "pkcs11:URI", "the host CA key on a PKCS#11 token",
	    NULL },
	{ "pkcs11-module", 0, "SO", "the token's PKCS#11 module",
	    JIT_COMPLETE_FILE },
	O_END,
};
static const struct jit_opt dir_opts[] = { O_DIR, O_END };
static const struct jit_opt explain_opts[] = {
	O_DIR, O_USER("the user to explain"),
	{ "role", 0, "R", "only this role", NULL },
	{ "from", 0, "ADDR", "as if from this address", NULL },
	{ "claims", 0, "FILE", "an ID token's claims (JSON): how sso: maps "
	    "them", JIT_COMPLETE_FILE },
	O_END,
};
static const struct jit_opt serve_opts[] = {
	O_DIR,
	{ "listen", 0, "ADDR:PORT", "listen here (config.yaml's listen: else)",
	    NULL },
	O_END,
};
static const struct jit_opt enroll_opts[] = {
	O_DIR, O_USER("the user to enrol"), O_END,
};
static const struct jit_opt sign_opts[] = {
	O_DIR, O_USER("the certificate's user"),
	{ "role", 0, "R", "the role whose principals it gets", NULL },
	{ "ttl", 0, "D", "how long it lasts (90s, 5m, 1h)", NULL },
	O_REASON,
	{ "force-offline", 0, NULL, "sign while the service runs", NULL },
	O_OUTPUT, O_END,
};
static const struct jit_opt audit_opts[] = {
	O_DIR, JIT_AUDIT_FILTER_OPTS, O_END,
};
static const struct jit_opt revoke_opts[] = {
	O_DIR,
	{ "serial", 0, "N", "the certificate with this serial", NULL },
	{ "key-id", 0, "ID", "the certificate with this key id", NULL },
	O_USER("every unexpired certificate of this user"),
	O_REASON,
	{ "lock", 0, NULL, "lock the user too (no new certificates)", NULL },
	{ "no-lock", 0, NULL, "do not lock the user (and do not ask)", NULL },
	O_END,
};
static const struct jit_opt lock_opts[] = {
	O_DIR, O_USER("the user to lock"),
	{ "until", 0, "T", "until this time (RFC 3339) or for this long (2h)",
	    NULL },
	O_REASON, O_END,
};
static const struct jit_opt unlock_opts[] = {
	O_DIR, O_USER("the user to unlock"), O_REASON, O_END,
};
static const struct jit_opt krl_opts[] = { O_DIR, O_OUTPUT, O_END };
static const struct jit_opt sign_host_opts[] = {
	O_DIR,
	{ "hostname", 0, "H[,H...]", "the host's names (its principals)", NULL },
	{ "ttl", 0, "D", "how long it lasts (default 30d)", NULL },
	O_OUTPUT, O_END,
};
static const struct jit_opt host_config_opts[] = {
	O_DIR,
	{ "hosts", 0, "PATTERN", "the hosts the CA vouches for", NULL },
	{ "record", 0, NULL, "also what recorded hosts need", NULL },
	O_END,
};
static const struct jit_opt rotate_opts[] = {
	O_DIR,
	{ "ca", 0, "user|host", "which CA key", "user host" },
	O_KEY_TYPE,
	{ "ca-key", 0, "pkcs11:URI", "the next key on a PKCS#11 token", NULL },
	{ "activate", 0, NULL, "sign with the next key from now", NULL },
	{ "retire", 0, NULL, "stop publishing the old key", NULL },
	O_END,
};
static const struct jit_opt migrate_opts[] = {
	O_DIR,
	{ "store", 0, "URL", "a store not in a CA directory", NULL },
	O_END,
};
static const struct jit_opt copy_opts[] = {
	O_DIR,
	{ "from", 0, "lmdb", "the store copied (the CA directory's)", "lmdb" },
	{ "to", 0, "URL", "the PostgreSQL store it goes to", NULL },
	O_END,
};

static const struct jit_opt host_enroll_opts[] = {
	O_DIR, { "name", 0, "NAME", "the host's name (jit-ssh-host's name:)",
	    NULL }, O_END,
};
static const struct jit_opt host_remove_opts[] = {
	O_DIR, { "name", 0, "NAME", "the host's name", NULL }, O_REASON, O_END,
};
static const struct jit_opt sessions_opts[] = {
	O_DIR, JIT_SESSIONS_OPTS, O_END,
};
static const struct jit_opt export_opts[] = { O_DIR, O_OUTPUT, O_END };
static const struct jit_opt report_opts[] = {
	O_DIR, JIT_REPORT_OPTS, O_OUTPUT, O_END,
};
static const struct jit_opt play_opts[] = {
	O_DIR, { "speed", 0, "X", "faster (2) or slower (0.5)", NULL }, O_END,
};

#define VERB(n, u, s, o, lo, hi, f, fn) \
	static const struct jit_verb v_##fn = { .name = n, .usage = u, \
	    .summary = s, .opts = o, .min_args = lo, .max_args = hi, \
	    .args_complete = JIT_COMPLETE_FILE, .flags = f, .run = fn }

VERB("init", "init --dir DIR [--key-type ed25519|ecdsa|rsa] "
    "[--store lmdb|URL]\n      [--ca-key pkcs11:URI] [--host-ca-key "
    "pkcs11:URI] [--pkcs11-module SO]", "create a CA: keys, config, policy, "
    "store", init_opts, 0, 0, 0, cmd_init);
VERB("policy check", "policy check [--dir DIR | FILE]",
    "check a policy file", dir_opts, 0, 1, 0, cmd_policy_check);
VERB("policy explain", "policy explain --dir DIR --user U [--role R] "
    "[--from ADDR] [--claims FILE.json]", "what the policy gives a user, and why",
    explain_opts, 0, 0, 0, cmd_policy_explain);
VERB("serve", "serve --dir DIR [--listen ADDR:PORT]",
    "run the CA service (SSH)", serve_opts, 0, 0, 0, cmd_serve);
VERB("enroll", "enroll --dir DIR --user U", "a TOTP secret for a user "
    "(QR code)", enroll_opts, 0, 0, 0, cmd_enroll);
VERB("sign", "sign --dir DIR --user U --role R [--ttl D] [--reason T] "
    "[--force-offline] [-o FILE] PUBKEY", "a user certificate, offline",
    sign_opts, 1, 1, 0, cmd_sign);
static const struct jit_verb v_cmd_audit = {
	.name = "audit",
	.usage = "audit --dir DIR [--user U] [--role R] [--event E] "
	    "[--serial N] [--request ID]\n      [--since T] [--until T] "
	    "[--limit N] [--json|--csv]\n  jit-ssh-ca audit verify --dir DIR",
	.summary = "the audit log", .opts = audit_opts,
	.exclusive = { "json", "csv" }, .run = cmd_audit,
};
VERB("audit verify", "audit verify --dir DIR", "check the audit log's "
    "chain and what is derived from it", dir_opts, 0, 0, 0,
    cmd_audit_verify);
VERB("revoke", "revoke --dir DIR (--serial N | --key-id ID | --user U "
    "[--lock|--no-lock]) [--reason TEXT]", "revoke certificates (the KRL "
    "lists them)", revoke_opts, 0, 0, 0, cmd_revoke);
VERB("lock", "lock --dir DIR --user U [--until T] --reason TEXT",
    "no new certificates for a user", lock_opts, 0, 0, 0,
    cmd_lock);
VERB("unlock", "unlock --dir DIR --user U [--reason TEXT]",
    "lift a user's lock", unlock_opts, 0, 0, 0, cmd_unlock);
VERB("krl", "krl --dir DIR [-o FILE]", "the KRL for sshd's RevokedKeys",
    krl_opts, 0, 0, 0, cmd_krl);
VERB("sign-host", "sign-host --dir DIR --hostname H[,H...] [--ttl D] "
    "[-o FILE] HOSTKEY.pub", "a host certificate", sign_host_opts, 1, 1,
    0, cmd_sign_host);
VERB("host-config", "host-config --dir DIR [--hosts PATTERN] [--record]",
    "what hosts and clients put in their configuration", host_config_opts,
    0, 0, 0, cmd_host_config);
VERB("host enroll", "host enroll --dir DIR --name NAME KEY.pub",
    "let a host send session recordings", host_enroll_opts, 1, 1, 0,
    cmd_host_enroll);
VERB("host remove", "host remove --dir DIR --name NAME [--reason TEXT]",
    "no more recordings from a host", host_remove_opts, 0, 0, 0,
    cmd_host_remove);
VERB("sessions", "sessions --dir DIR [--user U] [--serial N] [--host H] "
    "[--since T] [--until T] [--json]", "recorded sessions",
    sessions_opts, 0, 0, 0, cmd_sessions);
VERB("session export", "session export --dir DIR ID [-o FILE]",
    "a recording, asciicast v2", export_opts, 1, 1, 0, cmd_session_export);
VERB("session play", "session play --dir DIR ID [--speed X]",
    "play a recording in this terminal", play_opts, 1, 1, 0,
    cmd_session_play);
VERB("report", "report --dir DIR [--since T] [--until T] "
    "[--format text|json|html] [-o FILE]", "the access review: findings, "
    "figures, charts", report_opts, 0, 0, 0, cmd_report);
VERB("rotate", "rotate --dir DIR --ca user|host [--key-type T] "
    "[--ca-key pkcs11:URI]\n  jit-ssh-ca rotate --dir DIR --ca user|host "
    "--activate\n  jit-ssh-ca rotate --dir DIR --ca user|host --retire",
    "rotate a CA key: add the next, activate it, retire the old",
    rotate_opts, 0, 0, 0, cmd_rotate);
VERB("store migrate", "store migrate [--dir DIR | --store URL]",
    "create or upgrade a store's schema", migrate_opts, 0, 0,
    0, cmd_store_migrate);
VERB("store copy", "store copy --dir DIR [--from lmdb] --to URL",
    "copy the LMDB store into PostgreSQL", copy_opts, 0, 0, 0,
    cmd_store_copy);

static const struct jit_verb *const verbs[] = {
	&v_cmd_init, &v_cmd_policy_check, &v_cmd_policy_explain, &v_cmd_serve,
	&v_cmd_enroll, &v_cmd_sign, &v_cmd_audit, &v_cmd_audit_verify,
	&v_cmd_revoke, &v_cmd_lock, &v_cmd_unlock, &v_cmd_krl, &v_cmd_sign_host,
	&v_cmd_host_config, &v_cmd_host_enroll, &v_cmd_host_remove,
	&v_cmd_sessions, &v_cmd_session_export, &v_cmd_session_play,
	&v_cmd_report,
	&v_cmd_rotate, &v_cmd_store_migrate,
	&v_cmd_store_copy, NULL,
};

static const struct jit_prog prog = { "jit-ssh-ca", NULL, verbs };

static void
usage(FILE *f)
{
	const struct jit_verb *const *v, *const *u;

	fprintf(f, "usage: jit-ssh-ca [--help | --version] COMMAND [ARGS]\n"
	    "       jit-ssh-ca completion bash|zsh|fish\n\n"
	    "jit-ssh-ca runs a just-in-time SSH certificate authority.\n"
	    "--dir defaults to $%s, then %s.\n\ncommands:\n",
	    CA_DIR_ENV, CA_DIR_DEFAULT);
	/* Each usage once: audit's names audit verify's too. */
	for (v = verbs; *v != NULL; v++) {
		for (u = verbs; u != v && strstr((*u)->usage, (*v)->usage) ==
		    NULL; u++)
			;
		if (u == v)
			fprintf(f, "  jit-ssh-ca %s\n", (*v)->usage);
	}
}

/* `jit-ssh-ca policy --help`: the usages of its two-word commands. */
static int
group_usage(const char *name, int help)
{
	const struct jit_verb *const *v;
	size_t n = strlen(name);
	FILE *f = help ? stdout : stderr;

	if (!help)
		ca_error("%s: which? (jit-ssh-ca %s --help)", name, name);
	for (v = verbs; *v != NULL; v++)
		if (strncmp((*v)->name, name, n) == 0 && (*v)->name[n] == ' ')
			fprintf(f, "%s jit-ssh-ca %s\n", v == verbs ||
			    strncmp(v[-1]->name, name, n) != 0 ? "usage:" :
			    "      ", (*v)->usage);
	return help ? CA_EXIT_OK : CA_EXIT_USAGE;
}

/* Runs the command argv names (argv[0] its first word). */
static int
dispatch(int argc, char **argv)
{
	const struct jit_verb *v;
	struct jit_args a;
	char err[1024];
	int nwords, r;

	if ((v = jit_verb_find(&prog, argc, argv, &nwords)) == NULL) {
		if (jit_verb_is_group(&prog, argv[0]))
			return group_usage(argv[0], jit_args_want_help(argc,
			    argv));
		ca_error("unknown command '%s' (try --help)", argv[0]);
		return CA_EXIT_USAGE;
	}
	argc -= nwords - 1;
	argv += nwords - 1;
	/* --help anywhere: the usage, before anything is touched. */
	if ((r = jit_verb_parse(v, argc, argv, &a, err, sizeof(err))) > 0) {
		printf("usage: jit-ssh-ca %s\n  %s\n\nSee jit-ssh-ca(8).\n",
		    v->usage, v->summary);
		return CA_EXIT_OK;
	}
	if (r < 0) {
		ca_error("%s", err);
		return CA_EXIT_USAGE;
	}
	return v->run(NULL, &a);
}

int
main(int argc, char **argv)
{
	/* Keys, TOTP secrets and codes pass through here. */
	if (jit_no_dumps() != 0) {
		ca_error("cannot disable core dumps and tracing: %s",
		    strerror(errno));
		return CA_EXIT_FAIL;
	}
	if (argc < 2) {
		usage(stderr);
		return CA_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CA_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("jit-ssh-ca %s\n", JIT_VERSION);
		return CA_EXIT_OK;
	}
	if (strcmp(argv[1], "completion") == 0) {
		if (argc == 3 && jit_verbs_complete(&prog, argv[2], stdout) == 0)
			return CA_EXIT_OK;
		ca_error("usage: jit-ssh-ca completion bash|zsh|fish");
		return CA_EXIT_USAGE;
	}
	return dispatch(argc - 1, argv + 1);
}
