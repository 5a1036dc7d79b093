/*
 * jtotp.h: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1, 6 digits,
 * 30-second steps, and the base32 used by otpauth:// URIs.  Pure functions:
 * the time is an argument.  Codes are compared in constant time.
 */
#ifndef JIT_JTOTP_H
#define JIT_JTOTP_H

#include <stddef.h>
#include <stdint.h>

#define JTOTP_STEP		30
#define JTOTP_DIGITS		6
#define JTOTP_SECRET_LEN	20	/* 160 bits, as RFC 4226 recommends */

/*
 * The HOTP value for counter, reduced to digits (6..8) decimal digits.
 * Returns 0 or a JIT_ERR_* code.
 */
int jtotp_hotp(const unsigned char *secret, size_t len, uint64_t counter,
    unsigned digits, uint32_t *codep);

/*
 * Checks a 6-digit code (text) against the time steps now-1, now, now+1
 * (one step of skew) and returns the matching step in *stepp.  Every
 * candidate is computed and compared, whatever matches, in constant time.
 * JIT_ERR_SIGNATURE_INVALID when no step matches; JIT_ERR_INVALID_FORMAT
 * when code is not six digits.
 */
int jtotp_verify(const unsigned char *secret, size_t len, const char *code,
    uint64_t now, uint64_t *stepp);

/* RFC 4648 base32 without padding into a new string (caller frees). */
int jtotp_base32(const unsigned char *data, size_t len, char **outp);

#endif /* JIT_JTOTP_H */
