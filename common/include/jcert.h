/*
 * jcert.h: OpenSSH certificates (PROTOCOL.certkeys), v01 format.
 *
 * A certificate is built with jcert_new() and the setters, then signed with
 * jcert_sign(), which sorts options and extensions, refuses duplicates and
 * an empty principal list (sshd reads that as "any principal"), draws a
 * fresh 32-byte nonce from the CSPRNG, and fixes the encoding.  A parsed
 * certificate is checked the same way; jcert_verify() checks its signature.
 * Setters fail with JIT_ERR_INVALID_ARGUMENT after signing or parsing.
 * All int functions return 0 or a JIT_ERR_* code.
 */
#ifndef JIT_JCERT_H
#define JIT_JCERT_H

#include <stddef.h>
#include <stdint.h>

struct jbuf;
struct jkey;
struct jcert;

#define JCERT_TYPE_USER		1
#define JCERT_TYPE_HOST		2

#define JCERT_PRINCIPALS_MAX	256
#define JCERT_OPTIONS_MAX	64
#define JCERT_NAME_MAX		256	/* principal, option name, key id */
#define JCERT_KEY_ID_MAX	1024
#define JCERT_VALUE_MAX		4096	/* critical option value */

/* A new, empty certificate; NULL on allocation failure. */
struct jcert *jcert_new(void);

/* Frees c and everything it owns.  NULL-safe. */
void jcert_free(struct jcert *c);

/* The subject key: a copy of the public half of k is kept. */
int jcert_set_key(struct jcert *c, const struct jkey *k);
int jcert_set_serial(struct jcert *c, uint64_t serial);
int jcert_set_type(struct jcert *c, uint32_t type);
int jcert_set_key_id(struct jcert *c, const char *key_id);
int jcert_set_validity(struct jcert *c, uint64_t valid_after,
    uint64_t valid_before);

/*
 * Adds a principal: non-empty, printable, no whitespace or commas (sshd
 * would split on them), at most JCERT_NAME_MAX bytes, not a duplicate.
 */
int jcert_add_principal(struct jcert *c, const char *principal);

/* Adds a critical option with a string value (force-command, ...). */
int jcert_add_critical(struct jcert *c, const char *name, const char *value);

/* Adds an extension with empty data (permit-pty, ...). */
int jcert_add_extension(struct jcert *c, const char *name);

/*
 * Signs c with the CA's private key.  The encoded certificate is then
 * available through jcert_blob() and jcert_format_line().
 */
int jcert_sign(struct jcert *c, const struct jkey *ca);

/*
 * Parses a certificate blob (string type name first).  Structure and
 * limits are checked; the signature is not (see jcert_verify()).
 */
int jcert_parse(const unsigned char *blob, size_t len, struct jcert **cp);

/* Parses a certificate line "type-cert-v01@openssh.com base64 [comment]". */
int jcert_parse_line(const char *line, struct jcert **cp);

/*
 * Checks the signature of a signed or parsed certificate with its signature
 * key; when ca is not NULL the signature key must also be ca.
 * JIT_ERR_SIGNATURE_INVALID when it does not verify.
 */
int jcert_verify(const struct jcert *c, const struct jkey *ca);

/*
 * Checks that c is a valid user/host certificate at time now for principal
 * (NULL: any).  JIT_ERR_CERT_INVALID when not.  Does not check the signature.
 */
int jcert_check(const struct jcert *c, uint32_t type, uint64_t now,
    const char *principal);

/* The encoded certificate; valid while c lives.  NULL before signing. */
const unsigned char *jcert_blob(const struct jcert *c, size_t *lenp);

/* "ssh-ed25519-cert-v01@openssh.com AAAA...[ comment]" as a new string. */
int jcert_format_line(const struct jcert *c, const char *comment,
    char **linep);

/* The SSH name of the certificate type, e.g. "ssh-ed25519-cert-v01@openssh.com". */
const char *jcert_type_name(const struct jcert *c);

/* Getters: pointers live as long as c. */
const struct jkey *jcert_key(const struct jcert *c);
const struct jkey *jcert_signature_key(const struct jcert *c);
/* The algorithm the signature names, e.g. "rsa-sha2-512". */
const char *jcert_signature_alg(const struct jcert *c);
uint64_t jcert_serial(const struct jcert *c);
uint32_t jcert_type(const struct jcert *c);
const char *jcert_key_id(const struct jcert *c);
uint64_t jcert_valid_after(const struct jcert *c);
uint64_t jcert_valid_before(const struct jcert *c);
size_t jcert_nprincipals(const struct jcert *c);
const char *jcert_principal(const struct jcert *c, size_t i);
size_t jcert_ncritical(const struct jcert *c);
/* Name and value (NULL when the data is not a single string) of option i. */
const char *jcert_critical(const struct jcert *c, size_t i,
    const char **valuep);
size_t jcert_nextensions(const struct jcert *c);
const char *jcert_extension(const struct jcert *c, size_t i);

#endif /* JIT_JCERT_H */
