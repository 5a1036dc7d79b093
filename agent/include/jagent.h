/*
 * jagent.h: a client for the ssh-agent protocol (draft-miller-ssh-agent,
 * OpenSSH's PROTOCOL.agent): add a key with its certificate and a lifetime,
 * list identities, remove one.  Every message goes through struct jbuf;
 * replies are bounded and read with a timeout.  Returns 0 or JIT_ERR_*;
 * JIT_ERR_AGENT_REFUSED when the agent answers FAILURE.
 */
#ifndef JIT_JAGENT_H
#define JIT_JAGENT_H

#include <stddef.h>
#include <stdint.h>

struct jagent;
struct jbuf;
struct jcert;
struct jkey;

#define JAGENT_MSG_MAX		(256 * 1024)	/* longest reply accepted */
#define JAGENT_TIMEOUT_SEC	10

/* Connects to the agent at path (NULL: $SSH_AUTH_SOCK). */
int jagent_open(const char *path, struct jagent **ap);

/* NULL-safe. */
void jagent_close(struct jagent *a);

/*
 * Adds private key k with certificate c (or k alone when c is NULL), with
 * a lifetime constraint of lifetime seconds (0: none).
 */
int jagent_add(struct jagent *a, const struct jkey *k, const struct jcert *c,
    const char *comment, uint32_t lifetime);

/*
 * Lists identities: cb gets each key blob and comment (valid during the
 * call); a non-zero return stops the listing and is returned.
 */
int jagent_list(struct jagent *a,
    int (*cb)(const unsigned char *blob, size_t len, const char *comment,
    void *arg), void *arg);

/*
 * Asks the agent to sign dlen bytes of data with the identity whose key
 * blob this is (flags: the request's, e.g. SHA-2 for RSA); appends the
 * signature blob (string algorithm, string signature) to sig.
 */
int jagent_sign(struct jagent *a, const unsigned char *blob, size_t len,
    const unsigned char *data, size_t dlen, uint32_t flags, struct jbuf *sig);

/*
 * Serves one agent client on fd until it closes, as an agent that holds
 * one identity of a: the key blob given.  It lists that key alone, passes
 * signature requests for it on to a, and refuses everything else (other
 * keys, adding, removing).  So an SSH client library offers the one key
 * and no other.  Returns 0 when the client closed, else a JIT_ERR_* code.
 */
int jagent_serve_one(int fd, struct jagent *a, const unsigned char *blob,
    size_t len);

/* 1 when the agent holds the identity with this key blob, 0 when not
 * (or the agent cannot be asked). */
int jagent_holds(struct jagent *a, const unsigned char *blob, size_t len);

/* Removes the identity with this key blob. */
int jagent_remove(struct jagent *a, const unsigned char *blob, size_t len);

#endif /* JIT_JAGENT_H */
