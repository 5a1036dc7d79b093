/*
 * jit-err.h: the one error space of jit-ssh.
 *
 * Every library function returns 0 on success or a negative JIT_ERR_* code.
 * Foreign errors (OpenSSL, LMDB, libyaml, libssh) are translated in the one
 * file that calls that library; their codes never cross a header.
 * JIT_ERR_SYSTEM means "look at errno", which the failing call preserved.
 */
#ifndef JIT_ERR_H
#define JIT_ERR_H

enum jit_err {
	JIT_OK = 0,
	JIT_ERR_INTERNAL = -1,
	JIT_ERR_ALLOC = -2,
	JIT_ERR_MESSAGE_INCOMPLETE = -3,
	JIT_ERR_INVALID_FORMAT = -4,
	JIT_ERR_BIGNUM_IS_NEGATIVE = -5,
	JIT_ERR_STRING_TOO_LARGE = -6,
	JIT_ERR_BIGNUM_TOO_LARGE = -7,
	JIT_ERR_NO_BUFFER_SPACE = -8,
	JIT_ERR_INVALID_ARGUMENT = -9,
	JIT_ERR_KEY_TYPE_UNKNOWN = -10,
	JIT_ERR_KEY_TYPE_MISMATCH = -11,
	JIT_ERR_KEY_INVALID = -12,
	JIT_ERR_KEY_TOO_SMALL = -13,
	JIT_ERR_LIBCRYPTO = -14,
	JIT_ERR_SIGNATURE_INVALID = -15,
	JIT_ERR_SYSTEM = -16,
	JIT_ERR_BAD_PERMISSIONS = -17,
	JIT_ERR_EXISTS = -18,
	JIT_ERR_NOT_FOUND = -19,
	JIT_ERR_TRAILING_DATA = -20,
	JIT_ERR_EMBEDDED_NUL = -21,
	JIT_ERR_CERT_INVALID = -22,
	JIT_ERR_PRINCIPALS_EMPTY = -23,
	JIT_ERR_OPTION_DUPLICATE = -24,
	JIT_ERR_OPTION_ORDER = -25,
	JIT_ERR_KEY_ENCRYPTED = -26,
	JIT_ERR_NOT_CERT = -27,
	JIT_ERR_CRYPTO_RANDOM = -28,
	JIT_ERR_FILE_TOO_LARGE = -29,
	JIT_ERR_POLICY = -30,
	JIT_ERR_DENIED = -31,
	JIT_ERR_STORE_FOREIGN = -32,
	JIT_ERR_STORE_CORRUPT = -33,
	JIT_ERR_STORE_FULL = -34,
	JIT_ERR_STORE_TAMPERED = -35,
	JIT_ERR_STORE_BUSY = -36,
	JIT_ERR_STORE = -37,
	JIT_ERR_TOTP_REPLAY = -38,
	JIT_ERR_REQUEST_SELF = -39,
	JIT_ERR_REQUEST_DECIDED = -40,
	JIT_ERR_REQUEST_EXPIRED = -41,
	JIT_ERR_AGENT_NONE = -42,
	JIT_ERR_AGENT_REFUSED = -43,
	JIT_ERR_AGENT_PROTOCOL = -44,
	JIT_ERR_TOTP_LOCKED = -45,
	JIT_ERR_TOTP_WRONG = -46,
	JIT_ERR_BAD_TEXT = -47,
	JIT_ERR_USER_LOCKED = -48,
	JIT_ERR_CERT_CAP = -49,
	JIT_ERR_STORE_UNAVAILABLE = -50,
	JIT_ERR_NOT_SUPPORTED = -51,
	JIT_ERR_TOKEN = -52,
	JIT_ERR_PENDING_CAP = -53,
	JIT_ERR_LAST = -54,	/* keep last */
};

/*
 * Returns a static, human-readable description of r (0 or a JIT_ERR_* code).
 * For JIT_ERR_SYSTEM the text of the current errno is returned.
 * Never returns NULL.
 */
const char *jit_strerror(int r);

#endif /* JIT_ERR_H */
