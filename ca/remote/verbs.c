/*
 * verbs.c: the CA service's remote commands, one entry each (the contract
 * of jit-remote.h and docs/PROTOCOL.md).  The service runs them
 * (rpc.c); jit-ssh links this table built with JIT_VERBS_DATA_ONLY, which
 * leaves the functions out, to check a command line before connecting.
 */
#include <stddef.h>
#include <string.h>

#include "jit-remote.h"

#ifdef JIT_VERBS_DATA_ONLY
#define RUN(f)	NULL
#else
#include "rpc-impl.h"
#define RUN(f)	f
#endif

static const struct jit_opt login_opts[] = {
	{ "role", 0, "R", "the role to request", NULL },
	{ "ttl", 0, "D", "how long the certificate lasts (90s, 5m, 1h)", NULL },
	{ "reason", 0, "TEXT", "why (the audit log and approvers see it)",
	    NULL },
	{ "json", 0, NULL, "JSON Lines", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};
static const struct jit_opt json_opts[] = {
	{ "json", 0, NULL, "JSON Lines", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};
static const struct jit_opt comment_opts[] = {
	{ "comment", 0, "TEXT", "a comment for the audit log", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};
static const struct jit_opt audit_opts[] = {
	JIT_AUDIT_FILTER_OPTS,
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct jit_opt sessions_opts[] = {
	JIT_SESSIONS_OPTS,
	{ NULL, 0, NULL, NULL, NULL },
};
static const struct jit_opt report_opts[] = {
	JIT_REPORT_OPTS,
	{ NULL, 0, NULL, NULL, NULL },
};
static const struct jit_opt upload_opts[] = {
	{ "end", 0, "WHY", "the recording is complete: how it ended", NULL },
	{ "status", 0, "N", "the session's exit status", NULL },
	{ "bytes-in", 0, "N", "bytes the user sent", NULL },
	{ "bytes-out", 0, "N", "bytes the session printed", NULL },
	{ "ended-at", 0, "T", "when it ended (seconds since the epoch)", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const struct jit_verb login = {
	.name = "login",
	.usage = "login [--role R] [--ttl D] [--reason TEXT] [--json] < KEY.pub",
	.summary = "a certificate for the public key on stdin",
	.opts = login_opts,
	.flags = JIT_VERB_STDIN | JIT_VERB_WAITS,
	.run = RUN(rpc_login),
	.poll = RUN(rpc_login_poll),
	.withdraw = RUN(rpc_login_withdraw),
};
static const struct jit_verb roles = {
	.name = "roles", .usage = "roles [--json]",
	.summary = "the roles you may request and what each takes",
	.opts = json_opts, .flags = JIT_VERB_CLIENT, .run = RUN(rpc_roles),
};
static const struct jit_verb whoami = {
	.name = "whoami", .usage = "whoami [--json]",
	.summary = "who the CA thinks you are",
	.opts = json_opts, .flags = JIT_VERB_CLIENT, .run = RUN(rpc_whoami),
};
static const struct jit_verb status = {
	.name = "status", .usage = "status [--json]",
	.summary = "your live certificates and your open requests, as the CA "
	    "has them",
	.opts = json_opts, .run = RUN(rpc_status),
};
static const struct jit_verb requests = {
	.name = "requests", .usage = "requests [--json]",
	.summary = "requests you may decide, and your own",
	.opts = json_opts, .flags = JIT_VERB_CLIENT, .run = RUN(rpc_requests),
};
static const struct jit_verb approve = {
	.name = "approve", .usage = "approve ID [--comment TEXT]",
	.summary = "approve a request", .opts = comment_opts,
	.min_args = 1, .max_args = 1, .run = RUN(rpc_approve),
};
static const struct jit_verb deny = {
	.name = "deny", .usage = "deny ID [--comment TEXT]",
	.summary = "deny a request (or withdraw your own)", .opts = comment_opts,
	.min_args = 1, .max_args = 1, .flags = JIT_VERB_CLIENT,
	.run = RUN(rpc_deny),
};
static const struct jit_verb audit = {
	.name = "audit",
	.usage = "audit [--user U] [--role R] [--event E] [--serial N] "
	    "[--request ID] [--since T] [--until T] [--limit N] [--json|--csv]",
	.summary = "the audit log (auditors)", .opts = audit_opts,
	.exclusive = { "json", "csv" },
	.flags = JIT_VERB_CLIENT | JIT_VERB_AUDITORS, .run = RUN(rpc_audit),
};
static const struct jit_verb sessions = {
	.name = "sessions",
	.usage = "sessions [--user U] [--serial N] [--host H] [--since T] "
	    "[--until T] [--json]",
	.summary = "recorded sessions (auditors)", .opts = sessions_opts,
	.flags = JIT_VERB_CLIENT | JIT_VERB_AUDITORS, .run = RUN(rpc_sessions),
};
static const struct jit_verb session_export = {
	.name = "session export", .usage = "session export ID",
	.summary = "a recording, asciicast v2 (auditors)",
	.min_args = 1, .max_args = 1,
	.flags = JIT_VERB_CLIENT | JIT_VERB_AUDITORS,
	.run = RUN(rpc_session_export),
};
static const struct jit_verb report = {
	.name = "report",
	.usage = "report [--since T] [--until T] [--format text|json|html]",
	.summary = "the access review (auditors)", .opts = report_opts,
	.flags = JIT_VERB_CLIENT | JIT_VERB_AUDITORS, .run = RUN(rpc_report),
};
static const struct jit_verb upload = {
	.name = "upload",
	.usage = "upload SESSION OFFSET [--end WHY --status N --bytes-in N "
	    "--bytes-out N --ended-at T] < BYTES",
	.summary = "a recording's next bytes (enrolled hosts: jit-ssh-host "
	    "ship)", .opts = upload_opts, .min_args = 2, .max_args = 2,
	.flags = JIT_VERB_STDIN | JIT_VERB_NO_CODE | JIT_VERB_HOST_ONLY,
	.run = RUN(rpc_upload),
};
static const struct jit_verb krl = {
	.name = "krl", .usage = "krl",
	.summary = "the current KRL (binary, for sshd's RevokedKeys)",
	.flags = JIT_VERB_NO_CODE | JIT_VERB_HOSTS, .run = RUN(rpc_krl),
};
static const struct jit_verb ca_keys = {
	.name = "ca-keys", .usage = "ca-keys [--json]",
	.summary = "the CA's public keys (user CA, host CA)", .opts = json_opts,
	.flags = JIT_VERB_NO_CODE | JIT_VERB_HOSTS, .run = RUN(rpc_ca_keys),
};
static const struct jit_verb help = {
	.name = "help", .usage = "help", .summary = "this list",
	.flags = JIT_VERB_NO_CODE, .run = RUN(rpc_help),
};

const struct jit_verb *const jit_remote_verbs[] = {
	&login, &roles, &whoami, &status, &requests, &approve, &deny, &audit,
	&sessions, &session_export, &report, &upload, &krl, &ca_keys, &help, NULL,
};

const struct jit_prog jit_remote_prog = { "ssh USER@CA", NULL,
    jit_remote_verbs };

int
jit_remote_no_code(const char *name)
{
	const struct jit_verb *const *v;

	for (v = jit_remote_verbs; name != NULL && *v != NULL; v++)
		if (strcmp((*v)->name, name) == 0)
			return ((*v)->flags & JIT_VERB_NO_CODE) != 0;
	return 0;
}
