/*
 * session.c: session recordings, the part both backends share: the
 * session id's form, hashing a stored recording, and the session-end
 * event's fingerprint and size (see jstore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jstore.h"
#include "store-backend.h"
#include "store-impl.h"

int
jstore_session_id_ok(const char *id)
{
	return jit_hex_id_ok(id, "s-", JSTORE_SESSION_ID_LEN - 2);
}

static int
host_ok(const char *host)
{
	return host != NULL && *host != '\0' && strlen(host) <= JSTORE_HOST_MAX;
}

int
jstore_session_start(struct jstore *s, const char *host,
    struct jstore_event *ev, const void *data, size_t len)
{
	if (!host_ok(host) || ev == NULL || !jstore_session_id_ok(ev->request_id) ||
	    ev->serial == 0 || len > JSTORE_CHUNK_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	ev->event = "session-start";
	return s->ops->session_start(s->be, host, ev, data, len);
}

int
jstore_session_append(struct jstore *s, const char *id, const char *host,
    uint64_t off, const void *data, size_t len, uint64_t max,
    uint64_t *sizep)
{
	*sizep = 0;
	if (!host_ok(host) || !jstore_session_id_ok(id) ||
	    len > JSTORE_CHUNK_MAX || (len > 0 && data == NULL))
		return JIT_ERR_INVALID_ARGUMENT;
	return s->ops->session_append(s->be, id, host, off, data, len, max,
	    sizep);
}

int
jstore_session_get(struct jstore *s, const char *id, struct jstore_session *out)
{
	if (!jstore_session_id_ok(id))
		return JIT_ERR_INVALID_ARGUMENT;
	return s->ops->session_get(s->be, id, out);
}

struct in_order {
	uint64_t want, size;
	int (*cb)(const unsigned char *p, size_t len, void *arg);
	void *arg;
};

/* Chunks follow each other without a gap or overlap, up to the size. */
static int
next_chunk(uint64_t off, const unsigned char *p, size_t len, void *arg)
{
	struct in_order *o = arg;

	if (off != o->want || len > o->size - o->want)
		return JIT_ERR_STORE_CORRUPT;
	o->want += len;
	return o->cb(p, len, o->arg);
}

int
jstore_session_read(struct jstore *s, const char *id,
    int (*cb)(const unsigned char *p, size_t len, void *arg), void *arg)
{
	struct jstore_session rec;
	struct in_order o = { 0, 0, cb, arg };
	int r;

	if ((r = jstore_session_get(s, id, &rec)) != 0)
		return r;
	o.size = rec.size;
	if ((r = s->ops->session_read(s->be, id, next_chunk, &o)) != 0)
		return r;
	return o.want == rec.size ? 0 : JIT_ERR_STORE_CORRUPT;
}

struct hashing {
	EVP_MD_CTX *md;
	uint64_t size;
};

static int
hash_chunk(const unsigned char *p, size_t len, void *arg)
{
	struct hashing *h = arg;

	h->size += len;
	return EVP_DigestUpdate(h->md, p, len) == 1 ? 0 : JIT_ERR_LIBCRYPTO;
}

int
jstore_session_hash(struct jstore *s, const char *id, char fp[51],
    uint64_t *sizep)
{
	struct hashing h = { EVP_MD_CTX_new(), 0 };
	unsigned char d[32], b64[48];
	unsigned int n;
	int r;

	if (h.md == NULL)
		return JIT_ERR_ALLOC;
	if (EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) != 1)
		r = JIT_ERR_LIBCRYPTO;
	else if ((r = jstore_session_read(s, id, hash_chunk, &h)) == 0 &&
	    EVP_DigestFinal_ex(h.md, d, &n) != 1)
		r = JIT_ERR_LIBCRYPTO;
	EVP_MD_CTX_free(h.md);
	if (r != 0)
		return r;
	/* As ssh-keygen -l writes fingerprints: base64, no padding. */
	EVP_EncodeBlock(b64, d, 32);
	snprintf(fp, 51, "SHA256:%.43s", (const char *)b64);
	*sizep = h.size;
	return 0;
}

int
jstore_session_end(struct jstore *s, const char *id, const char *host,
    struct jstore_event *ev)
{
	char fp[51], *reason = NULL;
	const char *why = ev->reason;
	uint64_t size;
	int r;

	if (!host_ok(host) || !jstore_session_id_ok(id))
		return JIT_ERR_INVALID_ARGUMENT;
	/* Chunks never change once written: hashed outside the commit,
	 * which checks that the size is still the one hashed. */
	if ((r = jstore_session_hash(s, id, fp, &size)) != 0)
		return r;
	if (asprintf(&reason, "%llu bytes%s%s", (unsigned long long)size,
	    why != NULL && *why != '\0' ? "; " : "",
	    why != NULL ? why : "") < 0)
		return JIT_ERR_ALLOC;
	ev->event = "session-end";
	ev->fingerprint = fp;
	ev->reason = reason;
	r = s->ops->session_end(s->be, id, host, size, ev);
	ev->reason = why;
	ev->fingerprint = NULL;
	free(reason);
	return r;
}

struct vctx {
	struct jstore *s;
	void (*cb)(const char *what, void *arg);
	void *arg;
	size_t nbad;
};

static void
vbad(struct vctx *v, const char *what, const char *id, unsigned long long seq)
{
	char msg[320];

	snprintf(msg, sizeof(msg), "recording %s (event %llu): %s", id, seq,
	    what);
	if (v->cb != NULL)
		v->cb(msg, v->arg);
	v->nbad++;
}

static int
verify_event(const struct jstore_event *ev, void *arg)
{
	struct vctx *v = arg;
	struct jstore_session rec;
	char fp[51];
	unsigned long long said;
	uint64_t size;
	int r, end = strcmp(ev->event, "session-end") == 0;

	if (!end && strcmp(ev->event, "session-start") != 0)
		return 0;
	if ((r = jstore_session_get(v->s, ev->request_id, &rec)) != 0) {
		vbad(v, "missing", ev->request_id,
		    (unsigned long long)ev->seq);
		return 0;
	}
	if (rec.serial != ev->serial || (!end && rec.start_seq != ev->seq) ||
	    (end && (!rec.ended || rec.end_seq != ev->seq))) {
		vbad(v, "its record does not match the event",
		    ev->request_id, (unsigned long long)ev->seq);
		return 0;
	}
	if (!end)
		return 0;
	if ((r = jstore_session_hash(v->s, ev->request_id, fp, &size)) != 0) {
		vbad(v, "cannot be read back",
		    ev->request_id, (unsigned long long)ev->seq);
		return 0;
	}
	if (sscanf(ev->reason, "%llu bytes", &said) != 1 || said != size ||
	    strcmp(fp, ev->fingerprint) != 0)
		vbad(v, "not what was recorded (its SHA-256 or size differs: "
		    "changed after it was stored)",
		    ev->request_id, (unsigned long long)ev->seq);
	return 0;
}

int
store_sessions_verify(struct jstore *s,
    void (*cb)(const char *what, void *arg), void *arg, size_t *nbadp)
{
	struct vctx v = { s, cb, arg, 0 };
	struct jstore_filter f;
	int r;

	/* One walk: verify_event() takes the session events of it. */
	memset(&f, 0, sizeof(f));
	r = jstore_query(s, &f, verify_event, &v);
	*nbadp = v.nbad;
	if (r != 0)
		return r;
	return v.nbad > 0 ? JIT_ERR_STORE_TAMPERED : 0;
}
