/*
 * session.c: session recordings in LMDB: "sessions" maps a session id to
 * its record (host, serial, size, ended, the seqs of its events),
 * "chunks" maps id || be64(offset) to the bytes stored from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store-impl.h"

static int
rec_encode(const struct jstore_session *r, struct jbuf *b)
{
	int e;

	if ((e = jbuf_put_cstring(b, r->host)) != 0 ||
	    (e = jbuf_put_u64(b, r->serial)) != 0 ||
	    (e = jbuf_put_u64(b, r->size)) != 0 ||
	    (e = jbuf_put_u8(b, r->ended ? 1 : 0)) != 0 ||
	    (e = jbuf_put_u64(b, r->start_seq)) != 0 ||
	    (e = jbuf_put_u64(b, r->end_seq)) != 0)
		return e;
	return 0;
}

static int
rec_decode(const MDB_val *v, const char *id, struct jstore_session *r)
{
	struct jbuf *b = jbuf_from(v->mv_data, v->mv_size);
	const unsigned char *h;
	size_t hl;
	uint8_t ended;
	int e;

	memset(r, 0, sizeof(*r));
	if (b == NULL)
		return JIT_ERR_ALLOC;
	e = jbuf_get_string_direct(b, &h, &hl);
	if (e == 0 && (hl == 0 || hl > JSTORE_HOST_MAX))
		e = JIT_ERR_STORE_CORRUPT;
	if (e == 0 && ((e = jbuf_get_u64(b, &r->serial)) != 0 ||
	    (e = jbuf_get_u64(b, &r->size)) != 0 ||
	    (e = jbuf_get_u8(b, &ended)) != 0 ||
	    (e = jbuf_get_u64(b, &r->start_seq)) != 0 ||
	    (e = jbuf_get_u64(b, &r->end_seq)) != 0 ||
	    (e = jbuf_expect_end(b)) != 0))
		e = JIT_ERR_STORE_CORRUPT;
	if (e == 0) {
		memcpy(r->host, h, hl);
		r->host[hl] = '\0';
		r->ended = ended != 0;
		snprintf(r->id, sizeof(r->id), "%s", id);
	}
	jbuf_free(b);
	return e;
}

static int
rec_get(struct store_be *s, MDB_txn *txn, const char *id,
    struct jstore_session *r)
{
	MDB_val k = { strlen(id), (void *)(uintptr_t)id }, v;
	int rc;

	if ((rc = mdb_get(txn, s->dbi[DB_SESSIONS], &k, &v)) != 0)
		return lmdb_mdb_err(rc);
	return rec_decode(&v, id, r);
}

static int
rec_put(struct store_be *s, MDB_txn *txn, const struct jstore_session *r)
{
	MDB_val k = { strlen(r->id), (void *)(uintptr_t)r->id }, v;
	struct jbuf *b = jbuf_new();
	int e, rc;

	if (b == NULL)
		return JIT_ERR_ALLOC;
	if ((e = rec_encode(r, b)) == 0) {
		v.mv_size = jbuf_len(b);
		v.mv_data = (void *)(uintptr_t)jbuf_ptr(b);
		if ((rc = mdb_put(txn, s->dbi[DB_SESSIONS], &k, &v, 0)) != 0)
			e = lmdb_mdb_err(rc);
	}
	jbuf_free(b);
	return e;
}

static int
chunk_put(struct store_be *s, MDB_txn *txn, const char *id, uint64_t off,
    const void *data, size_t len)
{
	unsigned char key[JSTORE_SESSION_ID_LEN + 8];
	MDB_val k = { sizeof(key), key }, v = { len, (void *)(uintptr_t)data };
	int rc;

	if (len == 0)
		return 0;
	memcpy(key, id, JSTORE_SESSION_ID_LEN);
	lmdb_put_be64(key + JSTORE_SESSION_ID_LEN, off);
	if ((rc = mdb_put(txn, s->dbi[DB_CHUNKS], &k, &v,
	    MDB_NOOVERWRITE)) != 0)
		return lmdb_mdb_err(rc);
	return 0;
}

struct start_arg {
	const char *host;
	struct jstore_event *ev;
	const void *data;
	size_t len;
};

static int
start_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct start_arg *a = arg;
	struct jstore_session rec, old;
	struct jstore_event issue;
	struct jbuf *scratch = jbuf_new();
	int r;

	if (scratch == NULL)
		return JIT_ERR_ALLOC;
	if ((r = rec_get(s, txn, a->ev->request_id, &old)) == 0) {
		r = JIT_ERR_EXISTS;
		goto out;
	}
	if (r != JIT_ERR_NOT_FOUND)
		goto out;
	if ((r = lmdb_find_issue(s, txn, a->ev->serial, &issue, scratch)) != 0)
		goto out;
	a->ev->user = issue.user;
	a->ev->role = issue.role;
	a->ev->key_id = issue.key_id;
	if ((r = lmdb_append_txn(s, txn, a->ev, 1)) != 0)
		goto out;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.id, sizeof(rec.id), "%s", a->ev->request_id);
	snprintf(rec.host, sizeof(rec.host), "%s", a->host);
	rec.serial = a->ev->serial;
	rec.size = a->len;
	rec.start_seq = a->ev->seq;
	if ((r = chunk_put(s, txn, rec.id, 0, a->data, a->len)) == 0)
		r = rec_put(s, txn, &rec);
 out:
	/* They pointed into scratch: the caller must not keep them. */
	a->ev->user = a->ev->role = a->ev->key_id = NULL;
	jbuf_free(scratch);
	return r;
}

int
lmdb_session_start(struct store_be *s, const char *host,
    struct jstore_event *ev, const void *data, size_t len)
{
	struct start_arg a = { host, ev, data, len };

	return lmdb_run_write(s, start_fn, &a);
}

struct append_arg {
	const char *id, *host;
	uint64_t off, max, size;
	const void *data;
	size_t len;
};

/* The record of id, refusing another host's and an ended one. */
static int
rec_for_host(struct store_be *s, MDB_txn *txn, const char *id,
    const char *host, struct jstore_session *rec, uint64_t *sizep)
{
	int r;

	if ((r = rec_get(s, txn, id, rec)) != 0)
		return r;
	if (strcmp(rec->host, host) != 0)
		return JIT_ERR_DENIED;
	*sizep = rec->size;
	return rec->ended ? JIT_ERR_REQUEST_DECIDED : 0;
}

static int
append_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct append_arg *a = arg;
	struct jstore_session rec;
	int r;

	if ((r = rec_for_host(s, txn, a->id, a->host, &rec, &a->size)) != 0)
		return r;
	if ((r = store_session_append_ok(rec.size, a->off, a->len,
	    a->max)) != 0)
		return r;
	if (a->len == 0)
		return 0;
	if ((r = chunk_put(s, txn, a->id, rec.size, a->data, a->len)) != 0)
		return r;
	rec.size += a->len;
	if ((r = rec_put(s, txn, &rec)) == 0)
		a->size = rec.size;
	return r;
}

int
lmdb_session_append(struct store_be *s, const char *id, const char *host,
    uint64_t off, const void *data, size_t len, uint64_t max,
    uint64_t *sizep)
{
	struct append_arg a = { id, host, off, max, 0, data, len };
	int r;

	r = lmdb_run_write(s, append_fn, &a);
	*sizep = a.size;
	return r;
}

struct end_arg {
	const char *id, *host;
	uint64_t size;
	struct jstore_event *ev;
};

static int
end_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct end_arg *a = arg;
	struct jstore_session rec;
	struct jstore_event start;
	struct jbuf *scratch = jbuf_new();
	uint64_t size;
	int r;

	if (scratch == NULL)
		return JIT_ERR_ALLOC;
	if ((r = rec_for_host(s, txn, a->id, a->host, &rec, &size)) != 0)
		goto out;
	if (rec.size != a->size) {
		r = JIT_ERR_STORE_BUSY;	/* grew since it was hashed */
		goto out;
	}
	if ((r = lmdb_get_event(s, txn, rec.start_seq, &start, scratch)) != 0)
		goto out;
	store_session_end_from(a->ev, &start);
	if ((r = lmdb_append_txn(s, txn, a->ev, 1)) != 0)
		goto out;
	rec.ended = 1;
	rec.end_seq = a->ev->seq;
	r = rec_put(s, txn, &rec);
 out:
	store_session_end_from(a->ev, NULL);
	jbuf_free(scratch);
	return r;
}

int
lmdb_session_end(struct store_be *s, const char *id, const char *host,
    uint64_t size, struct jstore_event *ev)
{
	struct end_arg a = { id, host, size, ev };

	return lmdb_run_write(s, end_fn, &a);
}

int
lmdb_session_get(struct store_be *s, const char *id, struct jstore_session *out)
{
	MDB_txn *txn = NULL;
	int rc, r;

	if (s->no_sessions)
		return JIT_ERR_NOT_FOUND;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_mdb_err(rc);
	r = rec_get(s, txn, id, out);
	mdb_txn_abort(txn);
	return r;
}

int
lmdb_session_read(struct store_be *s, const char *id,
    int (*cb)(uint64_t off, const unsigned char *p, size_t len, void *arg),
    void *arg)
{
	unsigned char key[JSTORE_SESSION_ID_LEN + 8];
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, r = 0;

	if (s->no_sessions)
		return JIT_ERR_NOT_FOUND;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_mdb_err(rc);
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_CHUNKS], &cur)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_mdb_err(rc);
	}
	memcpy(key, id, JSTORE_SESSION_ID_LEN);
	lmdb_put_be64(key + JSTORE_SESSION_ID_LEN, 0);
	k.mv_data = key;
	k.mv_size = sizeof(key);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && r == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(key) ||
		    memcmp(k.mv_data, id, JSTORE_SESSION_ID_LEN) != 0)
			break;
		r = cb(lmdb_get_be64((const unsigned char *)k.mv_data +
		    JSTORE_SESSION_ID_LEN), v.mv_data, v.mv_size, arg);
	}
	if (r == 0 && rc != 0 && rc != MDB_NOTFOUND)
		r = lmdb_mdb_err(rc);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return r;
}
