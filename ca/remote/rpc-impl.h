/*
 * rpc-impl.h: what the command files share (rpc.c, rpc-out.c,
 * rpc-login.c, rpc-wait.c, rpc-approve.c, rpc-info.c, rpc-audit.c):
 * output helpers and the commands of the table (verbs.c).  Each command
 * takes its struct rpc as ctx and its parsed command line.
 */
#ifndef JIT_CA_RPC_IMPL_H
#define JIT_CA_RPC_IMPL_H

#include "rpc.h"

struct json_t;
struct jit_args;

/* printf-style output to the command's stdout / stderr. */
void rpc_out(struct rpc *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rpc_err(struct rpc *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One JSON Lines object (freed). */
void rpc_json(struct rpc *cx, struct json_t *o);

/*
 * When user is locked (jit-ssh-ca lock), says so ("CMD: USER is locked
 * until T: WHAT (reason)") and returns 1; 0 when not locked.  A store that
 * cannot tell counts as locked.
 */
int rpc_refuse_locked(struct rpc *cx, const char *cmd, const char *user,
    const char *what);

struct jcert;
struct jkey;
struct jpolicy_decision;

/*
 * ca_issue() with the user CA key in force (a reload may swap it); a
 * token's failure goes to the CA's log.
 */
int rpc_issue_cert(struct svc *s, const char *user, const char *role,
    const struct jkey *key, const struct jpolicy_decision *d,
    const char *source, const char *reason, const char *request_id,
    const char *approvers, struct jcert **cp);

int rpc_login(void *ctx, const struct jit_args *a);
int rpc_login_poll(void *ctx);
int rpc_login_withdraw(void *ctx);
int rpc_whoami(void *ctx, const struct jit_args *a);
int rpc_roles(void *ctx, const struct jit_args *a);
int rpc_status(void *ctx, const struct jit_args *a);
int rpc_krl(void *ctx, const struct jit_args *a);
int rpc_ca_keys(void *ctx, const struct jit_args *a);
int rpc_requests(void *ctx, const struct jit_args *a);
int rpc_approve(void *ctx, const struct jit_args *a);
int rpc_deny(void *ctx, const struct jit_args *a);
int rpc_audit(void *ctx, const struct jit_args *a);
int rpc_help(void *ctx, const struct jit_args *a);
int rpc_sessions(void *ctx, const struct jit_args *a);
int rpc_report(void *ctx, const struct jit_args *a);
int rpc_session_export(void *ctx, const struct jit_args *a);
int rpc_upload(void *ctx, const struct jit_args *a);

#endif /* JIT_CA_RPC_IMPL_H */
