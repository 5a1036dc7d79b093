/*
 * jp11.h: a signing key held by a PKCS#11 token, named by an RFC 7512
 * "pkcs11:" URI, reached through p11-kit (URI parsing, module loading).
 * The private key never leaves the token: signatures are made by C_Sign
 * (Ed25519: CKM_EDDSA; ECDSA: CKM_ECDSA over our digest; RSA:
 * CKM_SHA512_RSA_PKCS).  The PIN comes from the URI's pin-source (a file
 * others cannot read); a pin-value in the URI is refused.
 *
 * A token that fails while signing (removed, its server gone) fails that
 * signature with JIT_ERR_TOKEN; the next signature opens it again and
 * checks that the key is still the same one.  Functions that can fail at
 * set-up say why in *errp (malloc'ed, unprinted).
 */
#ifndef JIT_JP11_H
#define JIT_JP11_H

#include "jkey.h"

struct jp11;

/* 1 when s is a pkcs11: URI (by its scheme; jp11_open() checks the rest). */
int jp11_is_uri(const char *s);

/*
 * NULL when uri can name a CA key (parses, no pin-value), else why not
 * (a static string).
 */
const char *jp11_uri_problem(const char *uri);

/*
 * Opens the private key uri names on a token of module (NULL: the URI's
 * module-path), logging in with the PIN from its pin-source, and reads its
 * public half.  Exactly one private key must match (none:
 * JIT_ERR_NOT_FOUND).
 */
int jp11_open(const char *module, const char *uri, struct jp11 **tp,
    char **errp);

/*
 * Generates a key pair of type (bits: RSA) on the token uri names, with
 * the URI's object= as label (required) and id= as CKA_ID (else a random
 * one); refused when a private key already matches.  Then opens it.
 */
int jp11_generate(const char *module, const char *uri, enum jkey_type type,
    unsigned bits, struct jp11 **tp, char **errp);

/*
 * The key: signs through the token, valid until jp11_close().  Its public
 * half is what the token holds.
 */
const struct jkey *jp11_key(const struct jp11 *t);

/* Why the last signature failed, into buf (empty when none). */
void jp11_last_error(struct jp11 *t, char *buf, size_t size);

void jp11_close(struct jp11 *t);

#endif /* JIT_JP11_H */
