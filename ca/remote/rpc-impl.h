/*
 * rpc-impl.h: what the command files (rpc.c, rpc-login.c, rpc-approve.c,
 * rpc-info.c, rpc-audit.c) share: output helpers and the commands.
 */
#ifndef JIT_CA_RPC_IMPL_H
#define JIT_CA_RPC_IMPL_H

#include "rpc.h"

struct json_t;

/* printf-style output to the command's stdout / stderr. */
void rpc_out(struct rpc *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rpc_err(struct rpc *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One JSON Lines object (freed). */
void rpc_json(struct rpc *cx, struct json_t *o);

/* --name VALUE options; flags take no value.  -1 (said why) on a bad one. */
struct rpc_opt {
	const char *name;
	int has_value;
	const char **value;
	int *flag;
};
int rpc_parse_opts(struct rpc *cx, int argc, char **argv,
    struct rpc_opt *opts, const char **positional);

/*
 * When user is locked (jit-ssh-ca lock), says so ("CMD: USER is locked
 * until T: WHAT (reason)") and returns 1; 0 when not locked.  A store that
 * cannot tell counts as locked.
 */
int rpc_refuse_locked(struct rpc *cx, const char *cmd, const char *user,
    const char *what);

int rpc_login(struct rpc *cx, int argc, char **argv);
int rpc_whoami(struct rpc *cx, int argc, char **argv);
int rpc_roles(struct rpc *cx, int argc, char **argv);
int rpc_status(struct rpc *cx, int argc, char **argv);
int rpc_krl(struct rpc *cx, int argc, char **argv);
int rpc_ca_keys(struct rpc *cx, int argc, char **argv);
int rpc_requests(struct rpc *cx, int argc, char **argv);
int rpc_approve(struct rpc *cx, int argc, char **argv);
int rpc_deny(struct rpc *cx, int argc, char **argv);
int rpc_audit(struct rpc *cx, int argc, char **argv);

#endif /* JIT_CA_RPC_IMPL_H */
