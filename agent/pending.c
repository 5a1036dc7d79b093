/*
 * pending.c: the key of a request that waits for approval, kept so that a
 * later `jit-ssh login` (after a crash, a closed terminal, a dropped
 * connection or a restarted CA) picks the same request up instead of
 * opening a new one.
 *
 * The key to certify (K) is never stored anywhere.  A random "pending
 * key" P goes into ssh-agent, as a bare key whose comment names the
 * request ("jit-pending:ID:ROLE") and whose lifetime is the request's
 * window; K is derived from P's signature over a fixed string:
 *   K = Ed25519 seed HKDF-SHA256(ikm = sig, salt = "jit-ssh",
 *       info = "pending key v1"),  sig = Ed25519-sign(P, PENDING_MSG).
 * Ed25519 signatures are deterministic (RFC 8032), so whoever can have
 * the agent sign with P (the user, as with any key in it) gets K again,
 * and nobody else can.  An agent whose signature differs from ours (a
 * non-deterministic one) is not used: then K lives in memory only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "jagent.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jkey.h"
#include "jitssh.h"

#define PENDING_MSG	"jit-ssh pending key v1: sign only to derive"
#define PENDING_PREFIX	"jit-pending:"

/* K from the SSH signature blob of P over PENDING_MSG. */
static int
derive(const unsigned char *sigblob, size_t len, struct jkey **kp)
{
	static const char salt[] = "jit-ssh", info[] = "pending key v1";
	struct jbuf *b = NULL;
	const unsigned char *sig;
	unsigned char seed[32];
	size_t slen;
	char *alg = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5];
	int r = JIT_ERR_INVALID_FORMAT;

	*kp = NULL;
	if ((b = jbuf_from(sigblob, len)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (jbuf_get_cstring(b, &alg, NULL) != 0 ||
	    strcmp(alg, "ssh-ed25519") != 0 ||
	    jbuf_get_string_direct(b, &sig, &slen) != 0 || slen != 64 ||
	    jbuf_expect_end(b) != 0)
		goto out;
	r = JIT_ERR_LIBCRYPTO;
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)sig, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)salt, sizeof(salt) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, sizeof(info) - 1);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, seed, sizeof(seed), params) != 1)
		goto out;
	r = jkey_ed25519_from_seed(seed, kp);
 out:
	OPENSSL_cleanse(seed, sizeof(seed));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	free(alg);
	jbuf_free(b);
	return r;
}

int
js_pending_new(struct jkey **pp, struct jkey **kp)
{
	struct jbuf *sig = NULL;
	int r;

	*pp = *kp = NULL;
	if ((sig = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jkey_generate(JKEY_ED25519, 0, pp)) != 0 ||
	    (r = jkey_sign(*pp, (const unsigned char *)PENDING_MSG,
	    strlen(PENDING_MSG), sig)) != 0 ||
	    (r = derive(jbuf_ptr(sig), jbuf_len(sig), kp)) != 0) {
		jkey_free(*pp);
		*pp = NULL;
	}
	jbuf_free(sig);	/* wipes: the signature is K's secret */
	return r;
}

/* P's public blob, in a new jbuf. */
static int
public_blob(const struct jkey *p, struct jbuf **bp)
{
	int r;

	if ((*bp = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jkey_put_public(p, *bp)) != 0) {
		jbuf_free(*bp);
		*bp = NULL;
	}
	return r;
}

/* K from the agent's signature with the identity blob. */
static int
derive_by_agent(struct jagent *a, const unsigned char *blob, size_t len,
    struct jkey **kp)
{
	struct jbuf *sig;
	int r;

	*kp = NULL;
	if ((sig = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jagent_sign(a, blob, len, (const unsigned char *)PENDING_MSG,
	    strlen(PENDING_MSG), 0, sig)) == 0)
		r = derive(jbuf_ptr(sig), jbuf_len(sig), kp);
	jbuf_free(sig);
	return r;
}

int
js_pending_store(struct jagent *a, const struct jkey *p, const struct jkey *k,
    const char *id, const char *role, uint32_t lifetime)
{
	struct jbuf *blob = NULL;
	struct jkey *again = NULL;
	char comment[256];
	int r;

	if (a == NULL || p == NULL || id == NULL || role == NULL ||
	    strchr(id, ':') != NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	snprintf(comment, sizeof(comment), PENDING_PREFIX "%s:%s", id, role);
	if ((r = jagent_add(a, p, NULL, comment, lifetime)) != 0 ||
	    (r = public_blob(p, &blob)) != 0)
		goto out;
	/* The agent must give back the same K, or the stored P is useless. */
	if ((r = derive_by_agent(a, jbuf_ptr(blob), jbuf_len(blob),
	    &again)) != 0 || !jkey_equal_public(again, k)) {
		(void)jagent_remove(a, jbuf_ptr(blob), jbuf_len(blob));
		r = r != 0 ? r : JIT_ERR_SIGNATURE_INVALID;
	}
 out:
	jkey_free(again);
	jbuf_free(blob);
	return r;
}

struct find {
	const char *id, *role;
	struct js_pending *out;
	int found;
};

static int
find_one(const unsigned char *blob, size_t len, const char *comment, void *arg)
{
	struct find *f = arg;
	const char *id, *role;
	size_t idlen;

	if (strncmp(comment, PENDING_PREFIX, strlen(PENDING_PREFIX)) != 0)
		return 0;
	id = comment + strlen(PENDING_PREFIX);
	if ((role = strchr(id, ':')) == NULL)
		return 0;
	idlen = (size_t)(role++ - id);
	if (idlen == 0 || idlen >= sizeof(f->out->id) ||
	    strlen(role) >= sizeof(f->out->role) || len > sizeof(f->out->blob))
		return 0;
	if (f->id != NULL && (strlen(f->id) != idlen ||
	    strncmp(f->id, id, idlen) != 0))
		return 0;
	if (f->role != NULL && strcmp(f->role, role) != 0)
		return 0;
	/* Several for one role: the newest (ids sort by creation time). */
	if (f->found && strncmp(id, f->out->id, idlen) <= 0)
		return 0;
	memcpy(f->out->id, id, idlen);
	f->out->id[idlen] = '\0';
	snprintf(f->out->role, sizeof(f->out->role), "%s", role);
	memcpy(f->out->blob, blob, len);
	f->out->blob_len = len;
	f->found = 1;
	return 0;
}

int
js_pending_find(struct jagent *a, const char *id, const char *role,
    struct js_pending *out)
{
	struct find f = { id, role, out, 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = jagent_list(a, find_one, &f)) != 0)
		return r;
	return f.found ? 0 : JIT_ERR_NOT_FOUND;
}

int
js_pending_resume(struct jagent *a, const struct js_pending *pd,
    struct jkey **kp)
{
	return derive_by_agent(a, pd->blob, pd->blob_len, kp);
}

int
js_pending_forget(struct jagent *a, const struct jkey *p,
    const struct js_pending *pd)
{
	struct jbuf *blob = NULL;
	int r;

	if (pd != NULL && pd->blob_len > 0)
		return jagent_remove(a, pd->blob, pd->blob_len);
	if (p == NULL)
		return 0;
	if ((r = public_blob(p, &blob)) == 0)
		r = jagent_remove(a, jbuf_ptr(blob), jbuf_len(blob));
	jbuf_free(blob);
	return r;
}
