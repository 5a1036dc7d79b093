/*
 * rpc.h: the commands the service answers (ca/remote/verbs.c lists them),
 * for an authenticated user.  They write through an output of the
 * caller's (the server's session: the SSH channel; a test: a buffer),
 * never to SSH themselves: this room links no libssh.
 */
#ifndef JIT_CA_RPC_H
#define JIT_CA_RPC_H

#include <stddef.h>
#include <stdint.h>

struct jbuf;
struct jit_verb;
struct svc;

#define RPC_WAIT		(-1)	/* a command waits (then rpc_poll()) */
#define RPC_STDIN_MAX		(16 * 1024)
#define RPC_UPLOAD_MAX		(1024 * 1024)	/* stdin of a host's upload */
#define RPC_RECORDING_MAX	(1ULL << 30)	/* bytes of one recording */
#define RPC_COMMAND_MAX		4096
#define RPC_AUDIT_MAX		(256 << 20)	/* bytes of remote audit output */
#define RPC_PENDING_PER_USER	5

/* Exit statuses of the commands. */
enum { RPC_OK = 0, RPC_DENIED = 1, RPC_USAGE = 2, RPC_ERROR = 3 };

/*
 * Where a command's output goes: write() takes len bytes for stdout (or
 * stderr) and returns 0, or -1 when the reader has gone.
 */
struct rpc_io {
	int (*write)(void *arg, int to_stderr, const char *data, size_t len);
	void *arg;
};

/* One command's context: who runs it, its input, its output. */
struct jpolicy;

struct rpc {
	struct svc *svc;
	struct rpc_io io;
	const char *user, *addr;	/* authenticated user, client address */
	struct jpolicy *view;		/* a signed-in SSO user's policy, or
					   NULL: the service's (rpc_policy) */
	const char *source_note;	/* what issue events say of the source:
					   the address, or "ADDR sso ISS SUB" */
	const char *sso_sources;	/* an SSO user's groups, whence */
	const char *host;		/* an enrolled host's name (its session
					   runs host commands only), or NULL */
	int mfa_done;
	int codeless;			/* no code given: only no_code commands */
	uint64_t mfa_time;
	const struct jbuf *in;		/* stdin, up to RPC_STDIN_MAX */
	int in_too_big;
	const struct jit_verb *waiting;	/* the command that waits, or NULL */
	char wait_id[32];		/* what it waits for (a request) */
	uint64_t wait_changes;		/* jstore_changes() at its last read */
	uint64_t wait_read;		/* when it last read the request */
	int wait_json;
};

/*
 * 1 when the command line's command (as rpc_run() splits it: quotes and
 * leading blanks are no other command) reads stdin before it runs.
 */
int rpc_reads_stdin(const char *command);

/*
 * Runs one command line (split without a shell): its exit status, or
 * RPC_WAIT when the command waits (r->waiting is set: then rpc_poll()).
 */
int rpc_run(struct rpc *r, const char *command);

/* The policy this session is judged by: a reference for svc_policy_put(). */
struct jpolicy *rpc_policy(struct rpc *r);

/* The waiting command looks again: RPC_WAIT, or its exit status. */
int rpc_poll(struct rpc *r);

/*
 * The service stops while a command waits: says how to resume (what it
 * waits for is durable) and returns the status for the channel.
 */
int rpc_interrupted(struct rpc *r);

/*
 * The waiter asked to stop (Ctrl-C in jit-ssh): the command gives up (a
 * login withdraws its request, audited, unless it was decided meanwhile).
 */
int rpc_withdraw(struct rpc *r);

#endif /* JIT_CA_RPC_H */
