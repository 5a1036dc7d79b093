/*
 * jkey.h: SSH public and private keys over OpenSSL 3 EVP.
 *
 * Types: ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa (3072 to
 * 16384 bits; signatures are rsa-sha2-512, and rsa-sha2-256 is accepted on
 * verification; SHA-1 "ssh-rsa" signatures are refused).
 * A struct jkey is opaque and immutable once made; private parts are wiped
 * when it is freed.  All int functions return 0 or a JIT_ERR_* code, and
 * on error leave their outputs NULL.
 */
#ifndef JIT_JKEY_H
#define JIT_JKEY_H

#include <stddef.h>

struct jbuf;
struct jkey;

enum jkey_type {
	JKEY_UNSPEC = 0,
	JKEY_ED25519,
	JKEY_ECDSA_P256,
	JKEY_ECDSA_P384,
	JKEY_ECDSA_P521,
	JKEY_RSA,
};

#define JKEY_RSA_MIN_BITS	3072
#define JKEY_RSA_MAX_BITS	16384
#define JKEY_RSA_DEFAULT_BITS	3072
#define JKEY_LINE_MAX		16384	/* longest public key line accepted */
#define JKEY_COMMENT_MAX	1024

/*
 * A signer for a private key the process does not hold (a PKCS#11 token):
 * signs data and gives the signature as OpenSSL's EVP_DigestSign would
 * (Ed25519: 64 bytes; ECDSA: DER over the type's digest; RSA: PKCS#1 v1.5
 * over SHA-512) in *rawp, malloc'ed, *raw_lenp bytes.  May be called from
 * several threads at once.
 */
typedef int (*jkey_ext_sign_fn)(void *arg, const unsigned char *data,
    size_t len, unsigned char **rawp, size_t *raw_lenp);

/* "ssh-ed25519", "ecdsa-sha2-nistp256", ...; NULL for an unknown type. */
const char *jkey_type_name(enum jkey_type type);

/* The signature algorithm this type signs with ("rsa-sha2-512" for RSA). */
const char *jkey_sig_alg(enum jkey_type type);

/* The type for an SSH name, JKEY_UNSPEC when unknown. */
enum jkey_type jkey_type_from_name(const char *name, size_t len);

/* Family name used by policies: "ed25519", "ecdsa" or "rsa". */
const char *jkey_family(enum jkey_type type);

/*
 * Generates a new key.  bits matters only for RSA (0 means the default).
 */
int jkey_generate(enum jkey_type type, unsigned bits, struct jkey **keyp);

/* Frees k, wiping private parts.  NULL-safe. */
void jkey_free(struct jkey *k);

/* The Ed25519 private key of a 32-byte seed (RFC 8032). */
int jkey_ed25519_from_seed(const unsigned char seed[32], struct jkey **keyp);

enum jkey_type jkey_type(const struct jkey *k);

/* Key size in bits (256 for Ed25519). */
unsigned jkey_bits(const struct jkey *k);

/* 1 when k holds a private key. */
int jkey_is_private(const struct jkey *k);

/* A new key holding only the public half of k. */
/*
 * A private key (jkey_is_private() 1, jkey_sign() works) whose signatures
 * sign makes: the public half is pub's.  It cannot be saved.  arg must
 * outlive the key.
 */
int jkey_external(const struct jkey *pub, jkey_ext_sign_fn sign, void *arg,
    struct jkey **keyp);

int jkey_demote(const struct jkey *k, struct jkey **pubp);

/* 1 when the public halves of a and b are the same key. */
int jkey_equal_public(const struct jkey *a, const struct jkey *b);

/* Appends the public key blob (string type, then the type's fields). */
int jkey_put_public(const struct jkey *k, struct jbuf *b);

/* Appends only the type's fields (as inside a certificate). */
int jkey_put_public_fields(const struct jkey *k, struct jbuf *b);

/* Reads the type's public fields (after the type name) from b. */
int jkey_get_public_fields(enum jkey_type type, struct jbuf *b,
    struct jkey **keyp);

/* Parses a complete public key blob; trailing bytes are refused. */
int jkey_from_blob(const unsigned char *blob, size_t len, struct jkey **keyp);

/*
 * Parses an OpenSSH public key line "type base64 [comment]" (one line, an
 * optional trailing newline).  The type word must match the blob.
 * *commentp, when wanted, is the comment or NULL; the caller frees it.
 */
int jkey_parse_line(const char *line, struct jkey **keyp, char **commentp);

/* Formats "type base64[ comment]" (no newline) into a new string. */
int jkey_format_line(const struct jkey *k, const char *comment, char **linep);

/* "SHA256:<base64 without padding>" as `ssh-keygen -l` prints it. */
int jkey_fingerprint(const struct jkey *k, char **fpp);

/*
 * Signs len bytes of data with private key k and appends the SSH signature
 * blob (string algorithm, string signature) to sig.
 */
int jkey_sign(const struct jkey *k, const unsigned char *data, size_t len,
    struct jbuf *sig);

/*
 * Verifies an SSH signature blob over data with k.  Returns 0 when valid,
 * JIT_ERR_SIGNATURE_INVALID when not, another code when sig is malformed.
 */
int jkey_verify(const struct jkey *k, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t len);

/*
 * Appends the private fields of k as OpenSSH lays them out after the key
 * type (openssh-key-v1 and the ssh-agent protocol): for Ed25519 string pk,
 * string seed||pk.  k must be private.
 */
int jkey_put_private_fields(const struct jkey *k, struct jbuf *b);

/*
 * Private keys in the OpenSSH format ("openssh-key-v1", unencrypted), as
 * `ssh-keygen` writes them.  Encrypted keys give JIT_ERR_KEY_ENCRYPTED.
 */
int jkey_private_serialize(const struct jkey *k, const char *comment,
    struct jbuf *out);
int jkey_private_parse(const unsigned char *text, size_t len,
    struct jkey **keyp, char **commentp);

/*
 * Saves k to path with mode 0600 (refusing an existing file) and its public
 * line to path.pub (mode 0644).
 */
int jkey_save_private(const struct jkey *k, const char *comment,
    const char *path);

/*
 * Loads a private key file, which must be a regular file not accessible by
 * group or others (JIT_ERR_BAD_PERMISSIONS otherwise).
 */
int jkey_load_private(const char *path, struct jkey **keyp, char **commentp);

/* Loads the first line of a public key file. */
int jkey_load_public(const char *path, struct jkey **keyp, char **commentp);

#endif /* JIT_JKEY_H */
