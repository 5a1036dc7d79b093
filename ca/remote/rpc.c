/*
 * rpc.c: the service's command line: split without a shell, checked
 * against the command table (jit-cmdspec.h, shared with the client),
 * dispatched; and the output helpers every command uses.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmdline.h"
#include "jit-cmdspec.h"
#include "jit-err.h"
#include "rpc-impl.h"

#define MAX_ARGS	32	/* words in a command line */

/* `help`, and what a bare `ssh user@ca` (a shell request) gets. */
static int
rpc_help(struct rpc *cx, int argc, char **argv)
{
	const struct jit_cmdspec *c;
	size_t i;

	(void)argc;
	(void)argv;
	rpc_out(cx, "jit-ssh-ca: commands (as exec requests: ssh -p PORT %s@CA "
	    "COMMAND ...):\n", cx->user);
	for (i = 0; (c = jit_cmdspec_at(i)) != NULL; i++)
		rpc_out(cx, "  %-10s %s\n", c->name, c->summary);
	rpc_out(cx, "COMMAND --help shows its usage.  The jit-ssh client runs "
	    "them for you: jit-ssh --help.\n");
	return RPC_OK;
}

int
rpc_reads_stdin(const char *command)
{
	const struct jit_cmdspec *spec;
	char *buf, *argv[MAX_ARGS];
	int argc = 0, reads = 0;

	if ((buf = strdup(command)) == NULL)
		return 0;
	if (ca_split_args(buf, argv, MAX_ARGS, &argc) == 0 && argc > 0 &&
	    (spec = jit_cmdspec_find(argv[0])) != NULL)
		reads = spec->reads_stdin;
	free(buf);
	return reads;
}

int
rpc_run(struct rpc *cx, const char *command)
{
	static const struct {
		const char *name;
		int (*fn)(struct rpc *, int, char **);
	} cmds[] = {
		{ "login", rpc_login }, { "whoami", rpc_whoami },
		{ "roles", rpc_roles }, { "krl", rpc_krl },
		{ "ca-keys", rpc_ca_keys }, { "requests", rpc_requests },
		{ "approve", rpc_approve }, { "deny", rpc_deny },
		{ "audit", rpc_audit }, { "status", rpc_status },
		{ "help", rpc_help },
	};
	const struct jit_cmdspec *spec;
	char *buf, *argv[MAX_ARGS], msg[512];
	int argc = 0, rc = RPC_USAGE, r;
	size_t i;

	if ((buf = strdup(command)) == NULL)
		return RPC_ERROR;
	if ((r = ca_split_args(buf, argv, MAX_ARGS, &argc)) ==
	    JIT_ERR_BAD_TEXT) {
		/* Reasons and comments reach approvers' terminals and JSON. */
		rpc_err(cx, "the command must be UTF-8 text without control "
		    "characters\n");
		goto out;
	}
	if (r != 0 || argc == 0) {
		rpc_err(cx, "cannot parse the command (unbalanced quotes, control "
		    "characters or more than %d words)\n", MAX_ARGS);
		goto out;
	}
	/* Options are checked against the one table the client uses too. */
	if ((spec = jit_cmdspec_find(argv[0])) != NULL &&
	    (r = jit_cmdspec_check(spec, argc, argv, msg, sizeof(msg))) != 0) {
		if (r > 0) {
			rpc_out(cx, "usage: %s\n  %s\n", spec->usage, spec->summary);
			rc = RPC_OK;
		} else
			rpc_err(cx, "%s\n", msg);
		goto out;
	}
	if (cx->codeless && spec != NULL && !spec->no_code) {
		rpc_err(cx, "%s needs a verification code: connect again and "
		    "give one (without one, only ca-keys, krl and help run)\n",
		    argv[0]);
		rc = RPC_DENIED;
		goto out;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			rc = cmds[i].fn(cx, argc, argv);
			goto out;
		}
	rpc_err(cx, "unknown command '%s' (`help` lists them)\n", argv[0]);
 out:
	free(buf);
	return rc;
}
