/*
 * bind.h: a store belongs to one CA.  `init` records a "ca-init" event that
 * names the CA's user and host CA keys and the digest of its totp.key;
 * every command that writes to the store checks the CA directory against
 * it (the keys as rotated since, re-derived from the log's ca-rotate
 * activations), so a directory is never pointed at another CA's store,
 * and a second `init --store` on a database another CA initialised finds
 * a log there and is refused.
 */
#ifndef JIT_CA_BIND_H
#define JIT_CA_BIND_H

struct jstore;

#define CA_BIND_EVENT	"ca-init"

/* Records the binding of st to the CA in dir (init).  Prints failures. */
int ca_bind_record(const char *dir, struct jstore *st);

/*
 * 0 when st is dir's CA's store (or records no binding: a store from
 * before it); else prints the mismatch (which key, both fingerprints) and
 * returns JIT_ERR_STORE_FOREIGN.
 */
int ca_bind_check(const char *dir, struct jstore *st);

#endif /* JIT_CA_BIND_H */
