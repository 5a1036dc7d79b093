/*
 * jkrl.h: OpenSSH key revocation lists (PROTOCOL.krl), as sshd's
 * RevokedKeys and `ssh-keygen -Q` read them.  Builds one certificates
 * section under each CA key (during a rotation, the old and the new):
 * the serials, each run of consecutive ones as a list, a range or part of
 * a bitmap, whichever makes the KRL smallest, then key ids.
 */
#ifndef JIT_JKRL_H
#define JIT_JKRL_H

#include <stddef.h>
#include <stdint.h>

struct jbuf;
struct jcert;
struct jkey;

/*
 * Appends a KRL to out.  serials must be sorted ascending without
 * duplicates or zero.  key_ids may be NULL when nkey_ids is 0.  version should grow
 * each time the revocations change.  Returns 0 or a JIT_ERR_* code.
 */
int jkrl_encode(const struct jkey *const *cas, size_t ncas,
    const uint64_t *serials, size_t nserials,
    char *const *key_ids, size_t nkey_ids, uint64_t version, uint64_t date,
    const char *comment, struct jbuf *out);

/*
 * Reads a KRL as sshd does and says whether certificate c is revoked by
 * it: 1 revoked (its serial or key id under its CA, or its key or its CA
 * key listed explicitly or by SHA-1/SHA-256 hash), 0 not, or a JIT_ERR_*
 * code for a KRL that is not well formed (JIT_ERR_INVALID_FORMAT; then
 * nothing is known).  c NULL only checks the form.  A certificates
 * section with an empty CA key applies to every CA.  The signature
 * section, when present, is not checked (sshd does not either).
 * *versionp, when not NULL, gets the KRL's version.
 */
int jkrl_check(const unsigned char *krl, size_t len, const struct jcert *c,
    uint64_t *versionp);

#endif /* JIT_JKRL_H */
