/* main.c: jit-ssh-ca, the CA operator's program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "calog.h"
#include "commands.h"
#include "server.h"
#include "jit-cmdspec.h"
#include "jit-config.h"
#include "jit-util.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} commands[] = {
	{ "init", cmd_init,
	    "init --dir DIR [--key-type ed25519|ecdsa|rsa] [--store lmdb|URL]\n"
	    "      [--ca-key pkcs11:URI] [--host-ca-key pkcs11:URI] [--pkcs11-module SO]" },
	{ "policy", cmd_policy,
	    "policy check [--dir DIR | FILE]\n"
	    "  jit-ssh-ca policy explain --dir DIR --user U [--role R] [--from ADDR]" },
	{ "serve", cmd_serve, "serve --dir DIR [--listen ADDR:PORT]" },
	{ "enroll", cmd_enroll, "enroll --dir DIR --user U" },
	{ "sign", cmd_sign,
	    "sign --dir DIR --user U --role R [--ttl D] [--reason T] "
	    "[--force-offline] [-o] PUBKEY" },
	{ "audit", cmd_audit,
	    "audit --dir DIR [--user U] [--role R] [--event E] [--serial N] [--request ID]\n"
	    "      [--since T] [--until T] [--limit N] [--json|--csv]\n"
	    "  jit-ssh-ca audit verify --dir DIR" },
	{ "revoke", cmd_revoke,
	    "revoke --dir DIR (--serial N | --key-id ID | --user U "
	    "[--lock|--no-lock]) "
	    "[--reason TEXT]" },
	{ "lock", cmd_lock,
	    "lock --dir DIR --user U [--until T] --reason TEXT" },
	{ "unlock", cmd_unlock, "unlock --dir DIR --user U [--reason TEXT]" },
	{ "krl", cmd_krl, "krl --dir DIR [-o FILE]" },
	{ "sign-host", cmd_sign_host,
	    "sign-host --dir DIR --hostname H[,H...] [--ttl D] [-o] HOSTKEY.pub" },
	{ "host-config", cmd_host_config,
	    "host-config --dir DIR [--hosts PATTERN]" },
	{ "rotate", cmd_rotate,
	    "rotate --dir DIR --ca user|host [--key-type T] [--ca-key pkcs11:URI]\n"
	    "  jit-ssh-ca rotate --dir DIR --ca user|host --activate\n"
	    "  jit-ssh-ca rotate --dir DIR --ca user|host --retire" },
	{ "store", cmd_store,
	    "store migrate [--dir DIR | --store URL]\n"
	    "  jit-ssh-ca store copy --dir DIR [--from lmdb] --to URL" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: jit-ssh-ca [--help | --version] COMMAND [ARGS]\n\n"
	    "jit-ssh-ca runs a just-in-time SSH certificate authority.\n"
	    "--dir defaults to $%s, then %s.\n\ncommands:\n",
	    CA_DIR_ENV, CA_DIR_DEFAULT);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  jit-ssh-ca %s\n", commands[i].usage);
}

int
main(int argc, char **argv)
{
	size_t i;

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
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* --help anywhere: the usage, before anything is touched. */
		if (jit_args_want_help(argc - 1, argv + 1)) {
			printf("usage: jit-ssh-ca %s\n\nSee jit-ssh-ca(8).\n",
			    commands[i].usage);
			return CA_EXIT_OK;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	ca_error("unknown command '%s' (try --help)", argv[1]);
	return CA_EXIT_USAGE;
}
