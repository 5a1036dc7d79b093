/*
 * pending.c: the key of a request that waits for approval, kept so that a
 * later `jit-ssh login` of this client (after a crash, a closed terminal, a
 * dropped connection or a restarted CA) picks the same request up instead
 * of opening a new one.
 *
 * The key to certify (K) is never stored anywhere.  A random "pending
 * key" P goes into ssh-agent, as a bare key whose comment names the
 * request ("jit-pending:ID:ROLE") and whose lifetime is the request's
 * window, and a random local secret S goes into this client's state
 * ($XDG_STATE_HOME or ~/.local/state, jit-ssh/pending/ID, 0600), with P's
 * public key and the role.  K is derived from both:
 *   K = Ed25519 seed HKDF-SHA256(ikm = sig || S, salt = "jit-ssh",
 *       info = "pending key v2"),  sig = Ed25519-sign(P, PENDING_MSG).
 * Ed25519 signatures are deterministic (RFC 8032), so this client, with
 * the agent and its record, gets K again.  Whoever can only use the agent
 * (a host the agent was forwarded to) cannot: agent signatures alone never
 * yield K, and a key planted in the agent with a pending comment is never
 * resumed, as no record names it.  An agent whose signature differs from
 * ours (a non-deterministic one) is not used: then K lives in memory only.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "jagent.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jitssh.h"

#define PENDING_MSG	"jit-ssh pending key v1: sign only to derive"
#define PENDING_PREFIX	"jit-pending:"

/* K from the SSH signature blob of P over PENDING_MSG and the secret. */
static int
derive(const unsigned char *sigblob, size_t len,
    const unsigned char secret[JS_PENDING_SECRET], struct jkey **kp)
{
	static const char salt[] = "jit-ssh", info[] = "pending key v2";
	unsigned char ikm[64 + JS_PENDING_SECRET];
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
	memcpy(ikm, sig, 64);
	memcpy(ikm + 64, secret, JS_PENDING_SECRET);
	r = JIT_ERR_LIBCRYPTO;
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    ikm, sizeof(ikm));
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
	OPENSSL_cleanse(ikm, sizeof(ikm));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	free(alg);
	jbuf_free(b);
	return r;
}

int
js_pending_new(struct jkey **pp, unsigned char secret[JS_PENDING_SECRET],
    struct jkey **kp)
{
	struct jbuf *sig = NULL;
	int r;

	*pp = *kp = NULL;
	if ((sig = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jit_random(secret, JS_PENDING_SECRET)) != 0 ||
	    (r = jkey_generate(JKEY_ED25519, 0, pp)) != 0 ||
	    (r = jkey_sign(*pp, (const unsigned char *)PENDING_MSG,
	    strlen(PENDING_MSG), sig)) != 0 ||
	    (r = derive(jbuf_ptr(sig), jbuf_len(sig), secret, kp)) != 0) {
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

/* K from the agent's signature with the identity blob, and the secret. */
static int
derive_by_agent(struct jagent *a, const unsigned char *blob, size_t len,
    const unsigned char secret[JS_PENDING_SECRET], struct jkey **kp)
{
	struct jbuf *sig;
	int r;

	*kp = NULL;
	if ((sig = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jagent_sign(a, blob, len, (const unsigned char *)PENDING_MSG,
	    strlen(PENDING_MSG), 0, sig)) == 0)
		r = derive(jbuf_ptr(sig), jbuf_len(sig), secret, kp);
	jbuf_free(sig);
	return r;
}

/* $XDG_STATE_HOME/jit-ssh/pending (or ~/.local/state/...), made 0700. */
static char *
state_dir(int create)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	char *base, *dir, *p;

	base = xdg != NULL && *xdg == '/' ? strdup(xdg) :
	    js_expand_home("~/.local/state");
	if (base == NULL)
		return NULL;
	dir = js_concat(base, "/jit-ssh/pending");
	free(base);
	if (dir == NULL || !create)
		return dir;
	for (p = dir + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0700) == -1 && errno != EEXIST)
				break;
			*p = '/';
		}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* Request ids name files: "r-" and hex digits only. */
static int
id_ok(const char *id)
{
	return strlen(id) < sizeof(((struct js_pending *)0)->id) &&
	    jit_hex_id_ok(id, "r-", 0);
}

static char *
record_path(const char *id, int create)
{
	char *dir = state_dir(create), *path;

	if (dir == NULL)
		return NULL;
	path = js_concat(dir, "/");
	free(dir);
	if (path != NULL) {
		dir = path;
		path = js_concat(dir, id);
		free(dir);
	}
	return path;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    strchr("0123456789abcdef", s[2 * i]) == NULL ||
		    strchr("0123456789abcdef", s[2 * i + 1]) == NULL)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Reads request id's record: "role R\nkey HEX\nsecret HEX\n" (0600). */
static int
record_read(const char *id, struct js_pending *pd)
{
	struct jbuf *b = NULL;
	char *path = NULL, *text = NULL, *line, *save, *v;
	int r = JIT_ERR_INVALID_FORMAT, have = 0;

	memset(pd, 0, sizeof(*pd));
	if (!id_ok(id) || (path = record_path(id, 0)) == NULL)
		return JIT_ERR_NOT_FOUND;
	if ((r = jit_file_read(path, 4096, JIT_FILE_PRIVATE, &b)) != 0)
		goto out;
	r = JIT_ERR_INVALID_FORMAT;
	if ((text = strndup((const char *)jbuf_ptr(b), jbuf_len(b))) == NULL)
		goto out;
	memcpy(pd->id, id, strlen(id) + 1);	/* id_ok(): it fits */
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((v = strchr(line, ' ')) == NULL)
			goto out;
		*v++ = '\0';
		if (strcmp(line, "role") == 0 && strlen(v) < sizeof(pd->role)) {
			snprintf(pd->role, sizeof(pd->role), "%s", v);
			have |= 1;
		} else if (strcmp(line, "key") == 0 && strlen(v) % 2 == 0 &&
		    strlen(v) / 2 <= sizeof(pd->blob) &&
		    unhex(v, pd->blob, strlen(v) / 2) == 0) {
			pd->blob_len = strlen(v) / 2;
			have |= 2;
		} else if (strcmp(line, "secret") == 0 &&
		    unhex(v, pd->secret, sizeof(pd->secret)) == 0)
			have |= 4;
		else
			goto out;
	}
	r = have == 7 ? 0 : JIT_ERR_INVALID_FORMAT;
 out:
	if (text != NULL) {
		jit_wipe(text, strlen(text));
		free(text);
	}
	if (b != NULL)
		jit_wipe((void *)(uintptr_t)jbuf_ptr(b), jbuf_len(b));
	jbuf_free(b);
	free(path);
	if (r != 0)
		jit_wipe(pd, sizeof(*pd));
	return r;
}

static int
record_write(const struct js_pending *pd)
{
	char text[64 + 128 + 2 * 256 + 2 * JS_PENDING_SECRET + 32];
	char kh[2 * 256 + 1], sh[2 * JS_PENDING_SECRET + 1], *path;
	int r;

	if ((path = record_path(pd->id, 1)) == NULL)
		return JIT_ERR_SYSTEM;
	hex(pd->blob, pd->blob_len, kh);
	hex(pd->secret, sizeof(pd->secret), sh);
	snprintf(text, sizeof(text), "role %s\nkey %s\nsecret %s\n", pd->role,
	    kh, sh);
	r = jit_file_write(path, text, strlen(text), 0600, 1);
	jit_wipe(text, sizeof(text));
	jit_wipe(sh, sizeof(sh));
	free(path);
	return r;
}

static void
record_remove(const char *id)
{
	char *path;

	if (id != NULL && id_ok(id) && (path = record_path(id, 0)) != NULL) {
		(void)unlink(path);
		free(path);
	}
}

int
js_pending_store(struct jagent *a, const struct jkey *p,
    const unsigned char secret[JS_PENDING_SECRET], const struct jkey *k,
    const char *id, const char *role, uint32_t lifetime)
{
	struct js_pending pd;
	struct jbuf *blob = NULL;
	struct jkey *again = NULL;
	char comment[256];
	int r;

	if (a == NULL || p == NULL || id == NULL || role == NULL || !id_ok(id) ||
	    strlen(role) >= sizeof(pd.role))
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&pd, 0, sizeof(pd));
	if ((r = public_blob(p, &blob)) != 0)
		goto out;
	if (jbuf_len(blob) > sizeof(pd.blob)) {
		r = JIT_ERR_INVALID_ARGUMENT;
		goto out;
	}
	snprintf(pd.id, sizeof(pd.id), "%s", id);
	snprintf(pd.role, sizeof(pd.role), "%s", role);
	memcpy(pd.blob, jbuf_ptr(blob), jbuf_len(blob));
	pd.blob_len = jbuf_len(blob);
	memcpy(pd.secret, secret, sizeof(pd.secret));
	/* The record first: a key in the agent without it is never used. */
	if ((r = record_write(&pd)) != 0)
		goto out;
	snprintf(comment, sizeof(comment), PENDING_PREFIX "%s:%s", id, role);
	if ((r = jagent_add(a, p, NULL, comment, lifetime)) != 0) {
		record_remove(id);
		goto out;
	}
	/* The agent must give back the same K, or the stored P is useless. */
	if ((r = derive_by_agent(a, pd.blob, pd.blob_len, secret,
	    &again)) != 0 || !jkey_equal_public(again, k)) {
		(void)jagent_remove(a, pd.blob, pd.blob_len);
		record_remove(id);
		r = r != 0 ? r : JIT_ERR_SIGNATURE_INVALID;
	}
 out:
	jit_wipe(&pd, sizeof(pd));
	jkey_free(again);
	jbuf_free(blob);
	return r;
}

int
js_pending_each(struct jagent *a,
    int (*cb)(const struct js_pending *, void *), void *arg)
{
	struct js_pending pd;
	struct dirent *de;
	char *dir;
	DIR *d;
	int r = 0;

	if ((dir = state_dir(0)) == NULL)
		return JIT_ERR_ALLOC;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;	/* nothing recorded */
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (!id_ok(de->d_name) || record_read(de->d_name, &pd) != 0)
			continue;
		if (jagent_holds(a, pd.blob, pd.blob_len))
			r = cb(&pd, arg);
		jit_wipe(&pd, sizeof(pd));
	}
	closedir(d);
	free(dir);
	return r;
}

struct find {
	const char *id, *role;
	struct js_pending *out;
	int found;
};

static int
find_one(const struct js_pending *pd, void *arg)
{
	struct find *f = arg;

	if (f->id != NULL && strcmp(f->id, pd->id) != 0)
		return 0;
	if (f->role != NULL && strcmp(f->role, pd->role) != 0)
		return 0;
	/* Several for one role: the newest (ids sort by creation time). */
	if (f->found && strcmp(pd->id, f->out->id) <= 0)
		return 0;
	*f->out = *pd;
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
	if ((r = js_pending_each(a, find_one, &f)) != 0)
		return r;
	return f.found ? 0 : JIT_ERR_NOT_FOUND;
}

int
js_pending_resume(struct jagent *a, const struct js_pending *pd,
    struct jkey **kp)
{
	return derive_by_agent(a, pd->blob, pd->blob_len, pd->secret, kp);
}

int
js_pending_forget(struct jagent *a, const struct jkey *p, const char *id,
    const struct js_pending *pd)
{
	struct jbuf *blob = NULL;
	int r = 0;

	record_remove(pd != NULL ? pd->id : id);
	if (pd != NULL && pd->blob_len > 0)
		return jagent_remove(a, pd->blob, pd->blob_len);
	if (p == NULL)
		return 0;
	if ((r = public_blob(p, &blob)) == 0)
		r = jagent_remove(a, jbuf_ptr(blob), jbuf_len(blob));
	jbuf_free(blob);
	return r;
}
