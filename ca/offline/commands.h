/*
 * commands.h: the offline jit-ssh-ca subcommands (main.c dispatches to
 * them); they return the CA_EXIT_* statuses of calog.h.
 */
#ifndef JIT_CA_COMMANDS_H
#define JIT_CA_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_unlock(int argc, char **argv);
int cmd_krl(int argc, char **argv);
int cmd_sign_host(int argc, char **argv);
int cmd_host_config(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_rotate(int argc, char **argv);

#endif /* JIT_CA_COMMANDS_H */
