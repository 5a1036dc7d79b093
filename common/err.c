/* err.c: descriptions for the JIT_ERR_* space. */
#include <errno.h>
#include <string.h>

#include "jit-err.h"

const char *
jit_strerror(int r)
{
	switch (r) {
	case JIT_OK:
		return "success";
	case JIT_ERR_INTERNAL:
		return "unexpected internal error";
	case JIT_ERR_ALLOC:
		return "memory allocation failed";
	case JIT_ERR_MESSAGE_INCOMPLETE:
		return "incomplete message";
	case JIT_ERR_INVALID_FORMAT:
		return "invalid format";
	case JIT_ERR_BIGNUM_IS_NEGATIVE:
		return "bignum is negative";
	case JIT_ERR_STRING_TOO_LARGE:
		return "string is too large";
	case JIT_ERR_BIGNUM_TOO_LARGE:
		return "bignum is too large";
	case JIT_ERR_NO_BUFFER_SPACE:
		return "buffer size limit reached";
	case JIT_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case JIT_ERR_KEY_TYPE_UNKNOWN:
		return "unknown or unsupported key type";
	case JIT_ERR_KEY_TYPE_MISMATCH:
		return "key type does not match";
	case JIT_ERR_KEY_INVALID:
		return "invalid key";
	case JIT_ERR_KEY_TOO_SMALL:
		return "key is too small (RSA needs at least 3072 bits)";
	case JIT_ERR_LIBCRYPTO:
		return "error in libcrypto";
	case JIT_ERR_SIGNATURE_INVALID:
		return "signature verification failed";
	case JIT_ERR_SYSTEM:
		return strerror(errno);
	case JIT_ERR_BAD_PERMISSIONS:
		return "bad permissions: private key file is accessible by group or others";
	case JIT_ERR_EXISTS:
		return "already exists";
	case JIT_ERR_NOT_FOUND:
		return "not found";
	case JIT_ERR_TRAILING_DATA:
		return "unexpected trailing data";
	case JIT_ERR_EMBEDDED_NUL:
		return "string contains an embedded NUL";
	case JIT_ERR_CERT_INVALID:
		return "invalid certificate";
	case JIT_ERR_PRINCIPALS_EMPTY:
		return "certificate has no principals (that would mean any principal)";
	case JIT_ERR_OPTION_DUPLICATE:
		return "duplicate certificate option or extension";
	case JIT_ERR_OPTION_ORDER:
		return "certificate options or extensions are not sorted";
	case JIT_ERR_KEY_ENCRYPTED:
		return "private key is passphrase-protected (not supported for CA keys)";
	case JIT_ERR_NOT_CERT:
		return "key is not a certificate";
	case JIT_ERR_CRYPTO_RANDOM:
		return "random number generator failed";
	case JIT_ERR_FILE_TOO_LARGE:
		return "file is too large";
	case JIT_ERR_POLICY:
		return "invalid policy";
	case JIT_ERR_DENIED:
		return "denied by policy";
	case JIT_ERR_STORE_FOREIGN:
		return "not a jit-ssh store (refusing to use it)";
	case JIT_ERR_STORE_CORRUPT:
		return "the store is damaged (refusing to use it)";
	case JIT_ERR_STORE_FULL:
		return "the store is full (raise its map size); nothing was written";
	case JIT_ERR_STORE_TAMPERED:
		return "the audit log does not verify: it was altered";
	case JIT_ERR_STORE_BUSY:
		return "the store is busy (too many readers)";
	case JIT_ERR_STORE:
		return "store error";
	case JIT_ERR_TOTP_REPLAY:
		return "this verification code was already used";
	case JIT_ERR_TOTP_LOCKED:
		return "locked out after too many wrong verification codes";
	case JIT_ERR_TOTP_WRONG:
		return "wrong verification code";
	case JIT_ERR_BAD_TEXT:
		return "text must be UTF-8 without control characters";
	case JIT_ERR_USER_LOCKED:
		return "the user is locked: no new certificates (jit-ssh-ca unlock)";
	case JIT_ERR_CERT_CAP:
		return "the user holds as many live certificates as the policy "
		    "allows (defaults.max_live_certs): wait for some to expire "
		    "or have them revoked";
	case JIT_ERR_STORE_UNAVAILABLE:
		return "the store's database is unavailable";
	case JIT_ERR_NOT_SUPPORTED:
		return "not supported by this build";
	case JIT_ERR_PENDING_CAP:
		return "too many pending requests";
	case JIT_ERR_TOKEN:
		return "the PKCS#11 token failed or refused";
	case JIT_ERR_REQUEST_SELF:
		return "a requester cannot approve their own request";
	case JIT_ERR_REQUEST_DECIDED:
		return "the request was already decided";
	case JIT_ERR_REQUEST_EXPIRED:
		return "the request has expired";
	case JIT_ERR_AGENT_NONE:
		return "no ssh-agent (start one: eval $(ssh-agent); or set SSH_AUTH_SOCK)";
	case JIT_ERR_AGENT_REFUSED:
		return "the ssh-agent refused the request";
	case JIT_ERR_AGENT_PROTOCOL:
		return "the ssh-agent sent a malformed or truncated answer";
	default:
		return "unknown error";
	}
}
