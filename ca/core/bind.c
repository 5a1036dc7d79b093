/* bind.c: a store belongs to one CA.  See bind.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "bind.h"
#include "cadir.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jstore.h"
#include "totp-seal.h"

#define FP_MAX	128

/* What binds a store: the CA keys' and totp.key's fingerprints. */
struct binding {
	char user[FP_MAX], host[FP_MAX], totp[FP_MAX];
};

/* "SHA256:" and the unpadded base64 SHA-256 of totp.key's 32 bytes. */
static int
totp_fp(const char *dir, char out[FP_MAX])
{
	unsigned char key[CA_TOTP_KEY_LEN], md[32];
	struct jbuf *b = NULL;
	char *b64 = NULL, *eq;
	int r;

	if ((r = ca_totp_key_load(dir, 0, key)) != 0)
		return r;
	r = EVP_Digest(key, sizeof(key), md, NULL, EVP_sha256(), NULL) == 1 ?
	    0 : JIT_ERR_LIBCRYPTO;
	jit_wipe(key, sizeof(key));
	if (r == 0 && (b = jbuf_from(md, sizeof(md))) == NULL)
		r = JIT_ERR_ALLOC;
	if (r == 0 && (r = jbuf_dtob64(b, &b64)) == 0) {
		if ((eq = strchr(b64, '=')) != NULL)
			*eq = '\0';
		snprintf(out, FP_MAX, "SHA256:%s", b64);
	}
	free(b64);
	jbuf_free(b);
	return r;
}

static int
key_fp(const char *dir, const char *name, char out[FP_MAX])
{
	char *path = ca_path(dir, name), *fp = NULL;
	struct jkey *k = NULL;
	int r;

	if ((r = jkey_load_public(path, &k, NULL)) != 0)
		ca_error("%s: %s", path, jit_strerror(r));
	else if ((r = jkey_fingerprint(k, &fp)) == 0)
		snprintf(out, FP_MAX, "%s", fp);
	free(fp);
	jkey_free(k);
	free(path);
	return r;
}

/* Whether DIR/BASE.next.pub (a waiting next key) has fingerprint fp. */
static int
is_next(const char *dir, const char *base, const char *fp)
{
	char name[64], have[FP_MAX];
	struct stat st;
	char *path;
	int exists;

	snprintf(name, sizeof(name), "%s.next.pub", base);
	path = ca_path(dir, name);
	exists = stat(path, &st) == 0;
	free(path);
	return exists && key_fp(dir, name, have) == 0 && strcmp(have, fp) == 0;
}

static int
dir_binding(const char *dir, struct binding *b)
{
	int r;

	if ((r = key_fp(dir, CA_USER_KEY ".pub", b->user)) != 0 ||
	    (r = key_fp(dir, CA_HOST_KEY ".pub", b->host)) != 0 ||
	    (r = totp_fp(dir, b->totp)) != 0)
		return r;
	return 0;
}

int
ca_bind_record(const char *dir, struct jstore *st)
{
	struct binding b;
	struct jstore_event ev;
	char reason[3 * FP_MAX + 64];
	int r;

	if ((r = dir_binding(dir, &b)) != 0)
		return r;
	snprintf(reason, sizeof(reason), "user CA %s; host CA %s; totp.key %s",
	    b.user, b.host, b.totp);
	memset(&ev, 0, sizeof(ev));
	ev.event = CA_BIND_EVENT;
	ev.fingerprint = b.user;
	ev.source = "offline";
	ev.reason = reason;
	if ((r = jstore_append(st, &ev, 1)) != 0)
		ca_error("recording the CA in its store: %s", jit_strerror(r));
	return r;
}

/* What the log says binds the store, as of its last ca-rotate step. */
struct logged {
	int seen;
	uint64_t seq;
	struct binding b;
};

/* The value after "what " in a "user CA X; host CA Y; totp.key Z" text. */
static void
field(const char *text, const char *what, char out[FP_MAX])
{
	const char *p = strstr(text, what);
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(what);
	n = strcspn(p, ";");
	if (n < FP_MAX) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

static int
read_log(const struct jstore_event *ev, void *arg)
{
	struct logged *l = arg;

	if (strcmp(ev->event, CA_BIND_EVENT) == 0 && !l->seen) {
		l->seen = 1;
		l->seq = ev->seq;
		field(ev->reason, "user CA ", l->b.user);
		field(ev->reason, "host CA ", l->b.host);
		field(ev->reason, "totp.key ", l->b.totp);
	} else if (l->seen && strcmp(ev->event, "ca-rotate") == 0 &&
	    ev->role != NULL && ev->reason != NULL &&
	    strncmp(ev->reason, "activate ", 9) == 0 &&
	    ev->fingerprint != NULL && strlen(ev->fingerprint) < FP_MAX)
		/* An activation moves the binding to the new key. */
		snprintf(strcmp(ev->role, "host") == 0 ? l->b.host : l->b.user,
		    FP_MAX, "%s", ev->fingerprint);
	return 0;
}

static int
mismatch(const char *dir, const struct logged *l, const char *what,
    const char *logged, const char *have)
{
	ca_error("this store belongs to another CA: its log (event %llu and "
	    "the rotations since) names %s %s, but %s has %s: refusing to "
	    "use it (check store: in %s/config.yaml)", (unsigned long long)l->seq,
	    what, logged, dir, have, dir);
	return JIT_ERR_STORE_FOREIGN;
}

int
ca_bind_check(const char *dir, struct jstore *st)
{
	struct jstore_filter f;
	struct logged l;
	struct binding have;
	int r;

	memset(&l, 0, sizeof(l));
	memset(&f, 0, sizeof(f));
	f.event = CA_BIND_EVENT;
	if ((r = jstore_query(st, &f, read_log, &l)) != 0) {
		ca_error("reading the store's CA: %s", jit_strerror(r));
		return r;
	}
	if (!l.seen)
		return 0;	/* a store from before the binding */
	f.event = "ca-rotate";
	if ((r = jstore_query(st, &f, read_log, &l)) != 0) {
		ca_error("reading the store's CA: %s", jit_strerror(r));
		return r;
	}
	if ((r = dir_binding(dir, &have)) != 0)
		return r;
	/*
	 * An activation on record whose files did not move yet names the next
	 * key: that directory is this CA's too (rotate --activate runs again).
	 */
	if (strcmp(l.b.user, have.user) != 0 && !is_next(dir, CA_USER_KEY,
	    l.b.user))
		return mismatch(dir, &l, "the user CA key", l.b.user, have.user);
	if (strcmp(l.b.host, have.host) != 0 && !is_next(dir, CA_HOST_KEY,
	    l.b.host))
		return mismatch(dir, &l, "the host CA key", l.b.host, have.host);
	if (strcmp(l.b.totp, have.totp) != 0)
		return mismatch(dir, &l, "totp.key", l.b.totp, have.totp);
	return 0;
}
