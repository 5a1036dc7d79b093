/*
 * cadir.h: the CA directory (--dir, $JIT_SSH_CA_DIR, /var/lib/jit-ssh-ca)
 * and what it holds: keys, config.yaml, policy.yaml, the store.  The
 * functions print why they fail (ca_error) and return a JIT_ERR_* code.
 */
#ifndef JIT_CA_CADIR_H
#define JIT_CA_CADIR_H

#include <stdint.h>

struct jkey;
struct jpolicy;
struct jstore;

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

/* The CA directory: the --dir value, else $JIT_SSH_CA_DIR, else the default. */
const char *ca_dir(const char *opt);

/* "dir/name" in a new string; exits on allocation failure. */
char *ca_path(const char *dir, const char *name);

/* 1 when dir holds a CA (its config.yaml and user CA public key). */
int ca_dir_is_ca(const char *dir);

/* Where the CA directory dir came from, in words, for error messages. */
const char *ca_dir_origin(const char *dir);

/*
 * Commands that write into DIR run as its owner, so that what they write
 * stays the service's (which runs as that user): 0 when the effective user
 * owns DIR (or DIR does not exist yet), else says how to run the command
 * and returns JIT_ERR_BAD_PERMISSIONS.
 */
int ca_dir_check_owner(const char *dir);

/*
 * Opens the store config.yaml names (default: DIR/store, LMDB).  Unless
 * flags hold JSTORE_RDONLY, only as DIR's owner (ca_dir_check_owner) and
 * only when the store is DIR's CA's (ca_bind_check), unless flags hold
 * CA_STORE_UNBOUND (init, which binds it).
 */
#define CA_STORE_UNBOUND	0x1000
int ca_open_store(const char *dir, int flags, struct jstore **sp);

/* Loads DIR/policy.yaml, or file when not NULL. */
int ca_load_policy(const char *dir, const char *file, struct jpolicy **pp);

/* DIR/config.yaml. */
enum { CA_KEY_USER, CA_KEY_HOST, CA_KEY_KINDS };
/*
 * The service's deadlines, in seconds (config.yaml's deadlines:, each
 * 1s to 1h): key exchange, authentication, the end of a command's stdin,
 * idle (and a slow reader), and how often waiting requests are swept.
 * Tests shorten them instead of waiting.
 */
struct ca_deadlines {
	uint64_t kex, auth, stdin_end, idle, sweep;
};
#define CA_DEADLINES_DEFAULT	{ 10, 30, 10, 120, 1 }

struct ca_config {
	char *listen;	/* "ADDR:PORT" (default 127.0.0.1:2222) */
	char *store;	/* "lmdb" (default: DIR/store) or a PostgreSQL URL */
	char *ca_key[CA_KEY_KINDS];	/* "file" (DIR/user_ca, DIR/host_ca)
					   or a pkcs11: URI (ca_key: user:,
					   host:) */
	char *pkcs11_module;	/* the token's module (NULL: the URI's) */
	struct ca_deadlines deadlines;
};

/*
 * Reads the config file at path into c (ca_config_free() it).  On a
 * problem returns a JIT_ERR_* code with "file:line:column: message" in
 * *errp (unprinted).
 */
int ca_config_read(const char *path, struct ca_config *c, char **errp);
/* Reads DIR/config.yaml, printing what is wrong with it. */
int ca_config_load(const char *dir, struct ca_config *c);
void ca_config_free(struct ca_config *c);
/*
 * Sets ca_key: KIND: value ("file" or a pkcs11: URI) in DIR/config.yaml,
 * changing nothing else in it; the new file is read back before it
 * replaces the old one (with dry set, it is only made and read back: can
 * it be done?).  Prints why it fails.
 */
int ca_config_set_key(const char *dir, int kind, const char *value, int dry);
/* v as a single-quoted YAML scalar ("file" stays plain); NULL: no memory. */
char *ca_yaml_quote(const char *v);
/* Reads DIR/config.yaml when there is one, else gives the defaults. */
int ca_config_get(const char *dir, struct ca_config *c);

/*
 * 1 when where is a store location config.yaml may name: "lmdb", or a
 * PostgreSQL URL or conninfo without a password in it; else 0 and why.
 */
int ca_store_where_ok(const char *where, const char **whyp);

/*
 * Loads the public key at path; when it fails, says why (a private key
 * given by mistake is named as such).
 */
int ca_load_pubkey(const char *path, struct jkey **kp);

/*
 * The CA's own public keys (user CA, host CA, the service's host key),
 * which it never certifies: a certificate for one of them would let its
 * holder pass for the CA.
 */
enum { CA_OWN_USER_CA, CA_OWN_HOST_CA, CA_OWN_LISTENER,
	/* during a rotation, when present: */
	CA_OWN_USER_NEXT, CA_OWN_USER_OLD, CA_OWN_HOST_NEXT, CA_OWN_HOST_OLD,
	CA_OWN_KEYS };
int ca_own_keys_load(const char *dir, struct jkey *keys[CA_OWN_KEYS]);
void ca_own_keys_free(struct jkey *keys[CA_OWN_KEYS]);
/* Which of them k is (CA_OWN_*), or -1. */
int ca_own_key(struct jkey *const keys[CA_OWN_KEYS], const struct jkey *k);
/* "the user CA's key", ... */
const char *ca_own_key_name(int which);
/*
 * Refuses (saying why) to certify one of the CA's own keys: 0 when k at
 * path is none of them, -1 when it is or they cannot be read.  With host
 * set, the service's host key may be certified (as a host: it is one).
 */
int ca_refuse_own_key(const char *dir, const struct jkey *k,
    const char *path, int host);

#endif /* JIT_CA_CADIR_H */
