/*
 * rpc.c: the service's command line: split without a shell, parsed by the
 * command's entry in the table (verbs.c, shared with the client), run;
 * and a waiting command's poll and withdraw, through the same entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "jit-err.h"
#include "jit-remote.h"
#include "jpolicy.h"
#include "rpc-impl.h"
#include "svc.h"

/* `help`, and what a bare `ssh user@ca` (a shell request) gets. */
int
rpc_help(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	const struct jit_verb *const *v;

	(void)a;
	rpc_out(cx, "jit-ssh-ca: commands (as exec requests: ssh -p PORT %s@CA "
	    "COMMAND ...):\n", cx->user);
	for (v = jit_remote_verbs; *v != NULL; v++)
		if (strcmp((*v)->name, "help") != 0 &&
		    !((*v)->flags & JIT_VERB_HOST_ONLY))
			rpc_out(cx, "  %-10s %s\n", (*v)->name, (*v)->summary);
	rpc_out(cx, "COMMAND --help shows its usage.  The jit-ssh client runs "
	    "them for you: jit-ssh --help.\n");
	return RPC_OK;
}

/* The table's entry for the line's first words (*np of them), or NULL. */
static const struct jit_verb *
find(int argc, char **argv, int *np)
{
	return jit_verb_find(&jit_remote_prog, argc, argv, np);
}

int
rpc_reads_stdin(const char *command)
{
	const struct jit_verb *v;
	char *buf, *argv[JIT_VERB_ARGS_MAX];
	int argc = 0, reads = 0, n;

	if ((buf = strdup(command)) == NULL)
		return 0;
	if (ca_split_args(buf, argv, JIT_VERB_ARGS_MAX, &argc) == 0 &&
	    (v = find(argc, argv, &n)) != NULL)
		reads = (v->flags & JIT_VERB_STDIN) != 0;
	free(buf);
	return reads;
}

/* 1 when the session's user is an auditor under the policy in force. */
static int
is_auditor(struct rpc *cx)
{
	struct jpolicy *p = rpc_policy(cx);
	int yes = jpolicy_is_auditor(p, cx->user);

	svc_policy_put(cx->svc, p);
	return yes;
}

/* Runs the parsed line: the command's status (RPC_WAIT: it waits). */
static int
run(struct rpc *cx, const struct jit_verb *v, int argc, char **argv)
{
	struct jit_args a;
	char msg[512];
	int r;

	if ((r = jit_verb_parse(v, argc, argv, &a, msg, sizeof(msg))) != 0) {
		if (r < 0) {
			rpc_err(cx, "%s\n", msg);
			return RPC_USAGE;
		}
		rpc_out(cx, "usage: %s\n  %s\n", v->usage, v->summary);
		return RPC_OK;
	}
	/* Hosts run host commands; people never run host-only ones. */
	if (cx->host != NULL ? !(v->flags & (JIT_VERB_HOSTS |
	    JIT_VERB_HOST_ONLY)) : (v->flags & JIT_VERB_HOST_ONLY) != 0) {
		rpc_err(cx, "%s: not for %s\n", v->name, cx->host != NULL ?
		    "hosts" : "users (enrolled hosts send recordings)");
		return RPC_DENIED;
	}
	if (cx->codeless && !(v->flags & JIT_VERB_NO_CODE)) {
		rpc_err(cx, "%s needs a verification code: connect again and "
		    "give one (without one, only ca-keys, krl and help run)\n",
		    v->name);
		return RPC_DENIED;
	}
	if ((v->flags & JIT_VERB_AUDITORS) && !is_auditor(cx)) {
		rpc_err(cx, "%s: %s is not in an auditors group\n", v->name,
		    cx->user);
		return RPC_DENIED;
	}
	r = v->run(cx, &a);
	if (r == RPC_WAIT)
		cx->waiting = v;
	return r;
}

int
rpc_run(struct rpc *cx, const char *command)
{
	const struct jit_verb *v;
	char *buf, *argv[JIT_VERB_ARGS_MAX];
	int argc = 0, rc = RPC_USAGE, r, n;

	cx->waiting = NULL;
	if ((buf = strdup(command)) == NULL)
		return RPC_ERROR;
	if ((r = ca_split_args(buf, argv, JIT_VERB_ARGS_MAX, &argc)) ==
	    JIT_ERR_BAD_TEXT)
		/* Reasons and comments reach approvers' terminals and JSON. */
		rpc_err(cx, "the command must be UTF-8 text without control "
		    "characters\n");
	else if (r != 0 || argc == 0)
		rpc_err(cx, "cannot parse the command (unbalanced quotes, control "
		    "characters or more than %d words)\n", JIT_VERB_ARGS_MAX);
	else if ((v = find(argc, argv, &n)) == NULL)
		rpc_err(cx, "unknown command '%s' (`help` lists them)\n", argv[0]);
	else	/* a two-word command is parsed from its last word */
		rc = run(cx, v, argc - (n - 1), argv + (n - 1));
	free(buf);
	return rc;
}

int
rpc_poll(struct rpc *cx)
{
	int rc;

	if (cx->waiting == NULL)
		return RPC_ERROR;
	if ((rc = cx->waiting->poll(cx)) != RPC_WAIT)
		cx->waiting = NULL;
	return rc;
}

int
rpc_interrupted(struct rpc *cx)
{
	if (cx->waiting != NULL)
		rpc_err(cx, "the CA is stopping: run %s again to pick up request "
		    "%s\n", cx->waiting->name, cx->wait_id);
	cx->waiting = NULL;
	return RPC_ERROR;	/* unavailable, not refused */
}

int
rpc_withdraw(struct rpc *cx)
{
	int rc;

	if (cx->waiting == NULL)
		return RPC_ERROR;
	rc = cx->waiting->withdraw(cx);
	cx->waiting = NULL;
	return rc;
}

struct jpolicy *
rpc_policy(struct rpc *cx)
{
	return cx->view != NULL ? jpolicy_ref(cx->view) :
	    svc_policy_get(cx->svc);
}
