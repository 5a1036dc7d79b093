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
#define CA_TOTP_KEY	"totp.key"	/* seals the TOTP secrets in the store */

/* Prints "jit-ssh-ca: " and the message to stderr, as one line. */
void ca_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, after the time (RFC 3339) when stamp is set. */
void ca_vlog(int stamp, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The CA directory: the --dir value, else $JIT_SSH_CA_DIR, else the default. */
const char *ca_dir(const char *opt);

/* "dir/name" in a new string; exits on allocation failure. */
char *ca_path(const char *dir, const char *name);


/* Where the CA directory dir came from, in words, for error messages. */
const char *ca_dir_origin(const char *dir);

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jcert;
struct jkey;
struct jpolicy;
struct jpolicy_decision;

/*
 * Loads the public key at path; when it fails, says why (a private key
 * given by mistake is named as such).
 */
int ca_load_pubkey(const char *path, struct jkey **kp);
struct jstore;

/*
 * The CA's own public keys (user CA, host CA, the service's host key),
 * which it never certifies: a certificate for one of them would let its
 * holder pass for the CA.  Loaded from DIR (printing why not).
 */
enum { CA_OWN_USER_CA, CA_OWN_HOST_CA, CA_OWN_LISTENER, CA_OWN_KEYS };
int ca_own_keys_load(const char *dir, struct jkey *keys[CA_OWN_KEYS]);
void ca_own_keys_free(struct jkey *keys[CA_OWN_KEYS]);
/* Which of them k is (CA_OWN_*), or -1. */
int ca_own_key(struct jkey *const keys[CA_OWN_KEYS], const struct jkey *k);
/* "the user CA's key", ... */
const char *ca_own_key_name(int which);

/* Opens DIR/store, printing why not. */
int ca_open_store(const char *dir, int flags, struct jstore **sp);

/*
 * Issues a user certificate for key as the decision says: serial, key id
 * "jit:<user>:<role>:<serial>", signature by ca, then "issue" (and
 * "break-glass") events committed durably.  With a request id, the claim
 * of the approved request and the events are one commit: JIT_ERR_REQUEST_
 * DECIDED (already issued, or not approved) and JIT_ERR_REQUEST_EXPIRED
 * (pickup window passed) come back unprinted for the caller to explain.
 * Prints other errors.
 */
int ca_issue(const struct jkey *ca, struct jstore *st, const char *user,
    const char *role, const struct jkey *key,
    const struct jpolicy_decision *d, const char *source, const char *reason,
    const char *request_id, const char *approvers, struct jcert **cp);

/*
 * Prints the certificate line, or with write_file writes it next to the
 * public key file (key.pub -> key-cert.pub), as ssh-keygen does.
 */
int ca_output_cert(const char *pubpath, const char *line, int write_file);

/* ---- TOTP secrets at rest (totp-seal.c) ---- */

#define CA_TOTP_KEY_LEN		32
#define CA_TOTP_SECRET_MAX	32
#define CA_TOTP_SEALED_MAX	(12 + CA_TOTP_SECRET_MAX + 16)

/*
 * Reads DIR/totp.key (private file, 32 bytes); with create, makes it when
 * missing.  Prints what went wrong.
 */
int ca_totp_key_load(const char *dir, int create,
    unsigned char key[CA_TOTP_KEY_LEN]);

/* Seals secret for user into out (size bytes); *outlenp = sealed length. */
int ca_totp_seal(const unsigned char key[CA_TOTP_KEY_LEN], const char *user,
    const unsigned char *secret, size_t len, unsigned char *out, size_t size,
    size_t *outlenp);

/* Opens a sealed secret of user; JIT_ERR_SIGNATURE_INVALID if altered. */
int ca_totp_open(const unsigned char key[CA_TOTP_KEY_LEN], const char *user,
    const unsigned char *in, size_t inlen, unsigned char *secret, size_t size,
    size_t *lenp);

struct jbuf;
struct jstore_event;
struct jstore_filter;
struct json_t;

/* A JSON string of len bytes at s; text that is not clean UTF-8 is
 * escaped (\xNN), never dropped. */
struct json_t *ca_json_text(const char *s, size_t len);

/*
 * One CSV field and its separator (',' or, when last, '\n'): quoted,
 * quotes doubled, text that is not clean escaped, and a leading = + - @
 * tab or CR (a spreadsheet formula) defused with a '.
 */
void ca_csv_field(FILE *f, const char *s, int last);

/* A comma-separated list as a JSON array of strings (as ca_json_text). */
struct json_t *ca_json_list(const char *s);

/* An audit event as a JSON object with the contract's field names. */
struct json_t *ca_event_json(const struct jstore_event *ev);

/* The KRL of every revoked, unexpired certificate under the user CA ca. */
int ca_build_krl(const struct jkey *ca, struct jstore *st, struct jbuf *out);

/* Parses the audit filter flags (--dir only when dirp is not NULL). */
int ca_audit_parse(int argc, char **argv, struct jstore_filter *f, int *mode,
    const char **dirp);

/*
 * Applies one audit filter option (long name without "--"; val NULL for
 * json/csv).  On a bad value returns -1 with a message in err.
 */
int ca_audit_option(struct jstore_filter *f, int *mode, const char *name,
    const char *val, char *err, size_t errlen);

/* Prints matching events to out as a table, JSON Lines or CSV. */
int ca_audit_print(struct jstore *st, const struct jstore_filter *f, int mode,
    FILE *out);


/* RFC 3339 (Z or +hh:mm), a date, or a duration ago ("90m", "7d"). */
int ca_parse_time(const char *s, uint64_t now, uint64_t *out);
/* The same, but a duration counts from now into the future (lock --until). */
int ca_parse_until(const char *s, uint64_t now, uint64_t *out);

/* The approver an issuance by approval.auto records. */
#define CA_AUTO_APPROVER	"policy:auto"

/*
 * "a,b" of the decision's principals (groups 0) or approver groups
 * (groups 1), in full: a new string, NULL when out of memory.
 */
char *ca_join_decision(const struct jpolicy_decision *d, int groups);

/*
 * Reads DIR/config.yaml: *listenp is "ADDR:PORT" (default 127.0.0.1:2222;
 * caller frees).  On a problem, "file:line:column: message" in *errp.
 */
int ca_config_read(const char *path, char **listenp, char **errp);

/* Loads DIR/policy.yaml, or file when not NULL; prints why it is refused. */
int ca_load_policy(const char *dir, const char *file, struct jpolicy **pp);

/* The listen address from DIR/config.yaml; prints why not. */
int ca_config_listen(const char *dir, char **listenp);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
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

#endif /* JIT_CA_H */
