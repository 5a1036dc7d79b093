/*
 * ca.h: the jit-ssh-ca program's commands and the helpers they share.
 * Commands return the process exit status: 0 ok, 1 failure, 2 usage.
 */
#ifndef JIT_CA_H
#define JIT_CA_H

#define CA_EXIT_OK	0
#define CA_EXIT_FAIL	1
#define CA_EXIT_USAGE	2

#define CA_DIR_ENV	"JIT_SSH_CA_DIR"
#define CA_DIR_DEFAULT	"/var/lib/jit-ssh-ca"

/* File names inside the CA directory. */
#define CA_USER_KEY	"user_ca"
#define CA_HOST_KEY	"host_ca"
#define CA_LISTEN_KEY	"ssh_host_ed25519_key"
#define CA_CONFIG	"config.yaml"
#define CA_POLICY	"policy.yaml"
#define CA_STORE	"store"

/* Prints "jit-ssh-ca: " and the message to stderr. */
void ca_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The CA directory: the --dir value, else $JIT_SSH_CA_DIR, else the default. */
const char *ca_dir(const char *opt);

/* "dir/name" in a new string; exits on allocation failure. */
char *ca_path(const char *dir, const char *name);

struct jpolicy;

/* Loads DIR/policy.yaml, or file when not NULL; prints why it is refused. */
int ca_load_policy(const char *dir, const char *file, struct jpolicy **pp);

int cmd_init(int argc, char **argv);
int cmd_policy(int argc, char **argv);

#endif /* JIT_CA_H */
