/*
 * cakeys.h: the CA keys, user and host.  For each, DIR/user_ca.pub (or
 * host_ca.pub) is the key that signs; its private half is DIR/user_ca, or
 * on a PKCS#11 token when config.yaml's ca_key: says so.  During a
 * rotation (cmd-rotate.c) the next key waits in DIR/user_ca.next.pub
 * (private half DIR/user_ca.next, or a token URI in user_ca.next.uri),
 * and after --activate the old one stays published as user_ca.old.pub
 * until --retire.  Functions print why they fail and return JIT_ERR_*.
 */
#ifndef JIT_CA_CAKEYS_H
#define JIT_CA_CAKEYS_H

#include <stddef.h>

#include "cadir.h"
#include "jkey.h"

struct jp11;

/* Generations of one CA's key, in the order they are published. */
enum { CA_GEN_ACTIVE, CA_GEN_NEXT, CA_GEN_OLD, CA_GENS };

/* "user_ca" or "host_ca": the file name of the active key. */
const char *ca_key_base(int kind);
/* "user" or "host". */
const char *ca_key_kind_name(int kind);
/* --key-type: ed25519, ecdsa (P-256) or rsa (3072 bits); -1 otherwise. */
int ca_parse_key_type(const char *s, enum jkey_type *type);
/* The comment a published key carries: "jit-ssh user CA (next)", ... */
const char *ca_key_comment(int kind, int gen);
/*
 * The public key lines of kind's published keys (active, next, retiring),
 * each prefixed with prefix and ending in a newline; NULL on failure
 * (printed).
 */
char *ca_pub_lines(const char *dir, int kind, const char *prefix);
/* DIR/user_ca + suffix for generation gen ("", ".next", ".old"). */
char *ca_key_path(const char *dir, int kind, int gen, const char *ext);

/* A key that signs: a private key file or a key on a token. */
struct ca_signer {
	const struct jkey *key;	/* signs; its public half is DIR/...pub */
	struct jkey *file_key;
	struct jp11 *token;
	char *where;		/* the file or the URI, for messages */
};

/*
 * Opens the private key of kind's generation gen (ACTIVE or NEXT): the
 * file, or the token key config.yaml (ACTIVE) or user_ca.next.uri (NEXT)
 * names; checks that it is the public key published for it.
 */
int ca_signer_open(const char *dir, int kind, int gen, struct ca_signer *s);
void ca_signer_close(struct ca_signer *s);

/*
 * The token key uri names, opened; when the token has none, a new one of
 * type generated there.  Says which on stderr; prints why it fails.
 */
int ca_token_key(const char *module, const char *uri, enum jkey_type type,
    struct jp11 **tp);
/* Writes k's public line with comment to path (0644; replace: atomically). */
int ca_write_pub(const char *path, const struct jkey *k, const char *comment,
    int replace);

/* The published public keys of one CA: active always, next and old
 * when a rotation has them (else NULL). */
struct ca_pubs {
	struct jkey *k[CA_GENS];
};
int ca_pubs_load(const char *dir, int kind, struct ca_pubs *p);
void ca_pubs_free(struct ca_pubs *p);
/* The keys present, in publishing order, into out; returns how many. */
size_t ca_pubs_list(const struct ca_pubs *p, const struct jkey *out[CA_GENS]);

#endif /* JIT_CA_CAKEYS_H */
