/*
 * key.c: key types, public key blobs and lines, fingerprints, generation.
 * OpenSSL return conventions stop here: every path answers JIT_ERR_*.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey-impl.h"

static const struct jkey_info infos[] = {
	{ JKEY_ED25519, "ssh-ed25519", "ssh-ed25519", "ed25519", NULL, NULL, 0,
	    NULL, &jkey_ed25519_ops },
	{ JKEY_ECDSA_P256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256",
	    "ecdsa", "nistp256", "P-256", 65, EVP_sha256, &jkey_ecdsa_ops },
	{ JKEY_ECDSA_P384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384",
	    "ecdsa", "nistp384", "P-384", 97, EVP_sha384, &jkey_ecdsa_ops },
	{ JKEY_ECDSA_P521, "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521",
	    "ecdsa", "nistp521", "P-521", 133, EVP_sha512, &jkey_ecdsa_ops },
	{ JKEY_RSA, "ssh-rsa", "rsa-sha2-512", "rsa", NULL, NULL, 0, EVP_sha512,
	    &jkey_rsa_ops },
};

const struct jkey_info *
jkey_info(enum jkey_type type)
{
	size_t i;

	for (i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		if (infos[i].type == type)
			return &infos[i];
	return NULL;
}

const char *
jkey_type_name(enum jkey_type type)
{
	const struct jkey_info *ki = jkey_info(type);

	return ki == NULL ? NULL : ki->name;
}

const char *
jkey_sig_alg(enum jkey_type type)
{
	const struct jkey_info *ki = jkey_info(type);

	return ki == NULL ? NULL : ki->sig_alg;
}

const char *
jkey_family(enum jkey_type type)
{
	const struct jkey_info *ki = jkey_info(type);

	return ki == NULL ? NULL : ki->family;
}

enum jkey_type
jkey_type_from_name(const char *name, size_t len)
{
	size_t i;

	if (name == NULL)
		return JKEY_UNSPEC;
	for (i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		if (strlen(infos[i].name) == len &&
		    memcmp(infos[i].name, name, len) == 0)
			return infos[i].type;
	return JKEY_UNSPEC;
}

int
jkey_wrap(enum jkey_type type, EVP_PKEY *pkey, int priv,
    const unsigned char *fields, size_t fields_len, struct jkey **keyp)
{
	const struct jkey_info *ki = jkey_info(type);
	struct jkey *k = NULL;
	struct jbuf *b = NULL;
	size_t name_len;
	int r = JIT_ERR_INTERNAL;

	*keyp = NULL;
	if (ki == NULL) {
		EVP_PKEY_free(pkey);
		return JIT_ERR_KEY_TYPE_UNKNOWN;
	}
	if ((b = jbuf_new()) == NULL || (k = calloc(1, sizeof(*k))) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put_cstring(b, jkey_type_name(type))) != 0)
		goto out;
	name_len = jbuf_len(b);
	if (fields != NULL)
		r = jbuf_put(b, fields, fields_len);
	else
		r = ki->ops->put_public(ki, pkey, b);
	if (r != 0)
		goto out;
	if ((k->blob = malloc(jbuf_len(b))) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	memcpy(k->blob, jbuf_ptr(b), jbuf_len(b));
	k->blob_len = jbuf_len(b);
	k->fields_off = name_len;
	k->type = type;
	k->pkey = pkey;
	k->priv = priv;
	pkey = NULL;	/* k's now */
	if (priv && (r = jkey_sign_prepare(k)) != 0)
		goto out;
	*keyp = k;
	k = NULL;
	r = 0;
 out:
	jkey_free(k);
	EVP_PKEY_free(pkey);
	jbuf_free(b);
	return r;
}

void
jkey_free(struct jkey *k)
{
	if (k == NULL)
		return;
	jkey_sign_release(k);
	EVP_PKEY_free(k->pkey);	/* OpenSSL clears private key material */
	free(k->blob);
	free(k);
}

enum jkey_type
jkey_type(const struct jkey *k)
{
	return k == NULL ? JKEY_UNSPEC : k->type;
}

unsigned
jkey_bits(const struct jkey *k)
{
	int bits;

	if (k == NULL)
		return 0;
	if (k->type == JKEY_ED25519)
		return 256;
	bits = EVP_PKEY_get_bits(k->pkey);
	return bits < 0 ? 0 : (unsigned)bits;
}

int
jkey_is_private(const struct jkey *k)
{
	return k != NULL && k->priv;
}

int
jkey_put_bn(struct jbuf *b, const BIGNUM *bn)
{
	unsigned char *tmp;
	size_t len;
	int r;

	if (BN_is_negative(bn))
		return JIT_ERR_BIGNUM_IS_NEGATIVE;
	len = (size_t)BN_num_bytes(bn);
	if (len > JBUF_MPINT_MAX_BYTES - 1)
		return JIT_ERR_BIGNUM_TOO_LARGE;
	if ((tmp = malloc(len + 1)) == NULL)
		return JIT_ERR_ALLOC;
	if (BN_bn2bin(bn, tmp) != (int)len) {
		jit_freezero(tmp, len + 1);
		return JIT_ERR_LIBCRYPTO;
	}
	r = jbuf_put_mpint(b, tmp, len);
	jit_freezero(tmp, len + 1);
	return r;
}

int
jkey_get_bn(struct jbuf *b, BIGNUM **bnp)
{
	const unsigned char *p;
	size_t len;
	int r;

	*bnp = NULL;
	if ((r = jbuf_get_mpint_direct(b, &p, &len)) != 0)
		return r;
	if ((*bnp = BN_bin2bn(p, (int)len, NULL)) == NULL)
		return JIT_ERR_ALLOC;
	return 0;
}

BIGNUM *
jkey_bn_param(const EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	return bn;
}

int
jkey_fromdata(const char *alg, int selection, OSSL_PARAM *params,
    EVP_PKEY **pkeyp)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = JIT_ERR_KEY_INVALID;

	*pkeyp = NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)) == NULL) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, pkeyp, selection, params) != 1) {
		*pkeyp = NULL;
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
jkey_keypair(const char *alg, OSSL_PARAM *params, EVP_PKEY **pkeyp)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	if ((r = jkey_fromdata(alg, EVP_PKEY_KEYPAIR, params, pkeyp)) == 0 &&
	    ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *pkeyp, NULL)) == NULL ||
	    EVP_PKEY_pairwise_check(ctx) != 1)) {
		EVP_PKEY_free(*pkeyp);
		*pkeyp = NULL;
		r = JIT_ERR_KEY_INVALID;
	}
	EVP_PKEY_CTX_free(ctx);
	jkey_params_clear_free(params);
	return r;
}

/* What every constructor checks first: keyp (reset), the type's info. */
static int
begin(enum jkey_type type, struct jkey **keyp, const struct jkey_info **kip)
{
	if (keyp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((*kip = jkey_info(type)) == NULL)
		return JIT_ERR_KEY_TYPE_UNKNOWN;
	return 0;
}

int
jkey_generate(enum jkey_type type, unsigned bits, struct jkey **keyp)
{
	const struct jkey_info *ki;
	EVP_PKEY *pkey = NULL;
	int r;

	if ((r = begin(type, keyp, &ki)) != 0 ||
	    (r = ki->ops->generate(ki, bits, &pkey)) != 0)
		return r;
	return jkey_wrap(type, pkey, 1, NULL, 0, keyp);
}

int
jkey_put_public_fields(const struct jkey *k, struct jbuf *b)
{
	if (k == NULL || b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return jbuf_put(b, k->blob + k->fields_off, k->blob_len - k->fields_off);
}

int
jkey_put_public(const struct jkey *k, struct jbuf *b)
{
	if (k == NULL || b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return jbuf_put(b, k->blob, k->blob_len);
}

int
jkey_get_public_fields(enum jkey_type type, struct jbuf *b, struct jkey **keyp)
{
	const struct jkey_info *ki;
	const unsigned char *start = jbuf_ptr(b);
	size_t before = jbuf_len(b);
	EVP_PKEY *pkey = NULL;
	int r;

	if ((r = begin(type, keyp, &ki)) != 0 ||
	    (r = ki->ops->get_public(ki, b, &pkey)) != 0)
		return r;
	/* The strict parse above accepts only the canonical encoding. */
	return jkey_wrap(type, pkey, 0, start, before - jbuf_len(b), keyp);
}

int
jkey_from_blob(const unsigned char *blob, size_t len, struct jkey **keyp)
{
	struct jbuf *b = NULL;
	struct jkey *k = NULL;
	const unsigned char *name;
	size_t name_len;
	enum jkey_type type;
	int r = JIT_ERR_INTERNAL;

	if (keyp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((b = jbuf_from(blob, len)) == NULL) {
		r = JIT_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((r = jbuf_get_string_direct(b, &name, &name_len)) != 0)
		goto out;
	if ((type = jkey_type_from_name((const char *)name, name_len)) ==
	    JKEY_UNSPEC) {
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((r = jkey_get_public_fields(type, b, &k)) != 0 ||
	    (r = jbuf_expect_end(b)) != 0)
		goto out;
	*keyp = k;
	k = NULL;
	r = 0;
 out:
	jkey_free(k);
	jbuf_free(b);
	return r;
}

int
jkey_demote(const struct jkey *k, struct jkey **pubp)
{
	if (pubp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*pubp = NULL;
	if (k == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	/*
	 * Share the EVP_PKEY: it was checked when made, and with priv = 0 the
	 * copy can neither sign nor be saved as a private key.
	 */
	if (k->pkey != NULL && EVP_PKEY_up_ref(k->pkey) != 1)
		return JIT_ERR_LIBCRYPTO;
	return jkey_wrap(k->type, k->pkey, 0, k->blob + k->fields_off,
	    k->blob_len - k->fields_off, pubp);
}

int
jkey_external(const struct jkey *pub, jkey_ext_sign_fn sign, void *arg,
    struct jkey **keyp)
{
	int r;

	if (keyp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (pub == NULL || sign == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = jkey_demote(pub, keyp)) != 0)
		return r;
	(*keyp)->ext_sign = sign;
	(*keyp)->ext_arg = arg;
	(*keyp)->priv = 1;
	return 0;
}

int
jkey_equal_public(const struct jkey *a, const struct jkey *b)
{
	/* Encodings are canonical (we parse strictly), so bytes decide. */
	if (a == NULL || b == NULL || a->type != b->type)
		return 0;
	return a->blob_len == b->blob_len &&
	    memcmp(a->blob, b->blob, a->blob_len) == 0;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

int
jkey_parse_line(const char *line, struct jkey **keyp, char **commentp)
{
	struct jbuf *blob = NULL;
	struct jkey *k = NULL;
	const char *p, *type, *b64, *end;
	size_t len, type_len, b64_len;
	char *comment = NULL;
	int r = JIT_ERR_INTERNAL;

	if (keyp == NULL || line == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (commentp != NULL)
		*commentp = NULL;
	len = strnlen(line, JKEY_LINE_MAX + 1);
	if (len > JKEY_LINE_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	/* One line: a single trailing "\n" or "\r\n" is allowed. */
	end = line + len;
	if (end > line && end[-1] == '\n')
		end--;
	if (end > line && end[-1] == '\r')
		end--;
	for (p = line; p < end; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return JIT_ERR_INVALID_FORMAT;
	for (p = line; p < end && is_blank(*p); p++)
		;
	type = p;
	while (p < end && !is_blank(*p))
		p++;
	type_len = (size_t)(p - type);
	while (p < end && is_blank(*p))
		p++;
	b64 = p;
	while (p < end && !is_blank(*p))
		p++;
	b64_len = (size_t)(p - b64);
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (type_len == 0 || b64_len == 0)
		return JIT_ERR_INVALID_FORMAT;
	if ((size_t)(end - p) > JKEY_COMMENT_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	if (jkey_type_from_name(type, type_len) == JKEY_UNSPEC)
		return JIT_ERR_KEY_TYPE_UNKNOWN;
	if ((blob = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_b64tod(blob, b64, b64_len, 0)) != 0 ||
	    (r = jkey_from_blob(jbuf_ptr(blob), jbuf_len(blob), &k)) != 0)
		goto out;
	if (jkey_type_from_name(type, type_len) != k->type) {
		r = JIT_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	if (commentp != NULL && end > p) {
		if ((comment = strndup(p, (size_t)(end - p))) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
	}
	*keyp = k;
	k = NULL;
	if (commentp != NULL)
		*commentp = comment;
	comment = NULL;
	r = 0;
 out:
	free(comment);
	jkey_free(k);
	jbuf_free(blob);
	return r;
}

/* k's public key blob in a new buffer. */
static int
public_blob(const struct jkey *k, struct jbuf **bp)
{
	int r;

	*bp = NULL;
	if (k == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((*bp = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jkey_put_public(k, *bp)) != 0) {
		jbuf_free(*bp);
		*bp = NULL;
	}
	return r;
}

int
jkey_format_line(const struct jkey *k, const char *comment, char **linep)
{
	struct jbuf *b = NULL;
	char *b64 = NULL, *line = NULL;
	int r = JIT_ERR_INTERNAL;

	if (linep == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*linep = NULL;
	if ((r = public_blob(k, &b)) != 0 || (r = jbuf_dtob64(b, &b64)) != 0)
		goto out;
	if (asprintf(&line, "%s %s%s%s", jkey_type_name(k->type), b64,
	    comment != NULL && *comment != '\0' ? " " : "",
	    comment != NULL ? comment : "") == -1) {
		line = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	*linep = line;
	r = 0;
 out:
	free(b64);
	jbuf_free(b);
	return r;
}

int
jkey_fingerprint(const struct jkey *k, char **fpp)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct jbuf *b = NULL, *mdb = NULL;
	char *b64 = NULL, *fp = NULL, *eq;
	int r = JIT_ERR_INTERNAL;

	if (fpp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*fpp = NULL;
	if ((r = public_blob(k, &b)) != 0)
		goto out;
	if (EVP_Digest(jbuf_ptr(b), jbuf_len(b), md, NULL, EVP_sha256(),
	    NULL) != 1) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	if ((mdb = jbuf_from(md, sizeof(md))) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_dtob64(mdb, &b64)) != 0)
		goto out;
	if ((eq = strchr(b64, '=')) != NULL)
		*eq = '\0';	/* ssh-keygen prints it without padding */
	if (asprintf(&fp, "SHA256:%s", b64) == -1) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	*fpp = fp;
	r = 0;
 out:
	free(b64);
	jbuf_free(mdb);
	jbuf_free(b);
	return r;
}

int
jkey_load_public(const char *path, struct jkey **keyp, char **commentp)
{
	struct jbuf *b = NULL;
	char *line = NULL, *nl;
	int r;

	if (keyp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((r = jit_file_read(path, JKEY_LINE_MAX, 0, &b)) != 0)
		return r;
	if ((line = strndup((const char *)jbuf_ptr(b), jbuf_len(b))) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (strlen(line) != jbuf_len(b)) {
		r = JIT_ERR_EMBEDDED_NUL;
		goto out;
	}
	if ((nl = strchr(line, '\n')) != NULL) {
		if (nl[1] != '\0') {
			r = JIT_ERR_TRAILING_DATA;
			goto out;
		}
	}
	r = jkey_parse_line(line, keyp, commentp);
 out:
	free(line);
	jbuf_free(b);
	return r;
}
