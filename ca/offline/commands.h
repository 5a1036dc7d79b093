/*
 * commands.h: the offline jit-ssh-ca commands (main.c's table runs them):
 * each takes the table's context (none) and its parsed command line, and
 * returns a CA_EXIT_* status of calog.h.
 */
#ifndef JIT_CA_COMMANDS_H
#define JIT_CA_COMMANDS_H

struct jit_args;

int cmd_init(void *ctx, const struct jit_args *a);
int cmd_policy_check(void *ctx, const struct jit_args *a);
int cmd_policy_explain(void *ctx, const struct jit_args *a);
int cmd_sign(void *ctx, const struct jit_args *a);
int cmd_enroll(void *ctx, const struct jit_args *a);
int cmd_audit(void *ctx, const struct jit_args *a);
int cmd_audit_verify(void *ctx, const struct jit_args *a);
int cmd_revoke(void *ctx, const struct jit_args *a);
int cmd_lock(void *ctx, const struct jit_args *a);
int cmd_unlock(void *ctx, const struct jit_args *a);
int cmd_krl(void *ctx, const struct jit_args *a);
int cmd_sign_host(void *ctx, const struct jit_args *a);
int cmd_host_config(void *ctx, const struct jit_args *a);
int cmd_store_migrate(void *ctx, const struct jit_args *a);
int cmd_store_copy(void *ctx, const struct jit_args *a);
int cmd_rotate(void *ctx, const struct jit_args *a);
int cmd_host_enroll(void *ctx, const struct jit_args *a);
int cmd_host_remove(void *ctx, const struct jit_args *a);
int cmd_sessions(void *ctx, const struct jit_args *a);
int cmd_session_export(void *ctx, const struct jit_args *a);
int cmd_report(void *ctx, const struct jit_args *a);
int cmd_session_play(void *ctx, const struct jit_args *a);

#endif /* JIT_CA_COMMANDS_H */
