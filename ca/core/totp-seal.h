/*
 * totp-seal.h: TOTP secrets at rest, sealed with AES-256-GCM under
 * DIR/totp.key and bound to the user name.
 */
#ifndef JIT_CA_TOTP_SEAL_H
#define JIT_CA_TOTP_SEAL_H

#include <stddef.h>

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

#endif /* JIT_CA_TOTP_SEAL_H */
