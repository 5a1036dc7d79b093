/*
 * index.c: the event indexes (time, user, role, serial, fingerprint, request) and queries over them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store-impl.h"

#define INDEX_BATCH	1024	/* events indexed together */

/* Index key for a fingerprint: the 32 raw bytes of "SHA256:<b64>". */
int
lmdb_fp_key(const char *fp, unsigned char out[32], size_t *lenp)
{
	struct jbuf *b;
	char tmp[64];
	int r;

	*lenp = 0;
	if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 7 + 43)
		return JIT_ERR_INVALID_FORMAT;
	memcpy(tmp, fp + 7, 43);
	tmp[43] = '=';
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_b64tod(b, tmp, 44, 0)) == 0 && jbuf_len(b) != 32)
		r = JIT_ERR_INVALID_FORMAT;
	if (r == 0) {
		memcpy(out, jbuf_ptr(b), 32);
		*lenp = 32;
	}
	jbuf_free(b);
	return r;
}

static int
index_put(struct store_be *s, MDB_txn *txn, int db, const void *key,
    size_t klen, const unsigned char seqbe[8])
{
	MDB_val k, v;

	if (klen == 0)
		return 0;
	if (klen > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	v.mv_data = (void *)(uintptr_t)seqbe;
	v.mv_size = 8;
	return lmdb_mdb_err(mdb_put(txn, s->dbi[db], &k, &v, 0));
}

/*
 * Indexes are derived from the log and brought up to date in batches of
 * INDEX_BATCH events, in a transaction of their own: a random index page is
 * then written once per batch instead of once per event, which keeps
 * durable commits small.  Queries read the index up to "indexed" and scan
 * the few newer events directly, so they never miss one.
 */
int
lmdb_index_entries(const struct jstore_event *ev,
    int (*put)(void *arg, int db, const void *key, size_t klen,
    const unsigned char seqbe[8]), void *arg)
{
	unsigned char seqbe[8], tbe[8], sbe[8], fpk[32];
	size_t fpl = 0;
	int r;

	lmdb_put_be64(seqbe, ev->seq);
	lmdb_put_be64(tbe, ev->time);
	lmdb_put_be64(sbe, ev->serial);
	if (ev->fingerprint[0] != '\0' &&
	    lmdb_fp_key(ev->fingerprint, fpk, &fpl) != 0)
		return JIT_ERR_STORE_CORRUPT;
	if ((r = put(arg, DB_TIME, tbe, 8, seqbe)) != 0 ||
	    (r = put(arg, DB_USER, ev->user, strlen(ev->user), seqbe)) != 0 ||
	    (r = put(arg, DB_ROLE, ev->role, strlen(ev->role), seqbe)) != 0 ||
	    (ev->serial != 0 && (r = put(arg, DB_SERIAL, sbe, 8, seqbe)) != 0) ||
	    (r = put(arg, DB_FP, fpk, fpl, seqbe)) != 0 ||
	    (r = put(arg, DB_REQ, ev->request_id, strlen(ev->request_id),
	    seqbe)) != 0)
		return r;
	return 0;
}

struct index_put_arg {
	struct store_be *s;
	MDB_txn *txn;
};

static int
index_put_cb(void *arg, int db, const void *key, size_t klen,
    const unsigned char seqbe[8])
{
	struct index_put_arg *a = arg;

	return index_put(a->s, a->txn, db, key, klen, seqbe);
}

int
lmdb_index_event(struct store_be *s, MDB_txn *txn, const struct jstore_event *ev)
{
	struct index_put_arg a = { s, txn };

	return lmdb_index_entries(ev, index_put_cb, &a);
}

/* Indexes every event after "indexed", when at least min_lag are waiting. */
int
lmdb_index_catch_up(struct store_be *s, uint64_t min_lag)
{
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	unsigned char head_hash[32];
	uint64_t head, indexed, seq;
	MDB_txn *txn = NULL;
	int rc, r;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_mdb_err(rc);
	if ((r = lmdb_get_head(s, txn, &head, head_hash)) != 0 ||
	    (r = lmdb_get_meta_u64(s, txn, "indexed", &indexed)) != 0)
		goto out;
	if (head < indexed) {
		r = JIT_ERR_STORE_CORRUPT;
		goto out;
	}
	if (head - indexed < min_lag || head == indexed)
		goto out;	/* r == 0: nothing to do yet */
	if ((scratch = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (seq = indexed + 1; seq <= head; seq++)
		if ((r = lmdb_get_event(s, txn, seq, &ev, scratch)) != 0 ||
		    (r = lmdb_index_event(s, txn, &ev)) != 0)
			goto out;
	if ((r = lmdb_put_meta_u64(s, txn, "indexed", head)) != 0)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	r = lmdb_mdb_err(rc);
 out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	jbuf_free(scratch);
	return r;
}

/* Reads event seq (a read or write txn); pointers live in scratch. */
int
lmdb_get_event(struct store_be *s, MDB_txn *txn, uint64_t seq,
    struct jstore_event *ev, struct jbuf *scratch)
{
	unsigned char seqbe[8];
	MDB_val k, v;
	int rc, r;

	lmdb_put_be64(seqbe, seq);
	k.mv_data = seqbe;
	k.mv_size = 8;
	if ((rc = mdb_get(txn, s->dbi[DB_EVENTS], &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? JIT_ERR_STORE_CORRUPT : lmdb_mdb_err(rc);
	if (v.mv_size < 32 + 8)
		return JIT_ERR_STORE_CORRUPT;
	if ((r = store_event_decode((unsigned char *)v.mv_data + 32,
	    v.mv_size - 32, ev, scratch)) != 0)
		return r;
	if (ev->seq != seq)
		return JIT_ERR_STORE_CORRUPT;
	memcpy(ev->hash, v.mv_data, 32);
	return 0;
}

int
lmdb_matches(const struct jstore_filter *f, const struct jstore_event *ev)
{
	if (f->user != NULL && strcmp(f->user, ev->user) != 0)
		return 0;
	if (f->role != NULL && strcmp(f->role, ev->role) != 0)
		return 0;
	if (f->event != NULL && strcmp(f->event, ev->event) != 0)
		return 0;
	if (f->fingerprint != NULL && strcmp(f->fingerprint,
	    ev->fingerprint) != 0)
		return 0;
	if (f->request_id != NULL && strcmp(f->request_id, ev->request_id) != 0)
		return 0;
	if (f->serial != 0 && f->serial != ev->serial)
		return 0;
	if (f->since != 0 && ev->time < f->since)
		return 0;
	if (f->until != 0 && ev->time > f->until)
		return 0;
	return 1;
}

/*
 * Candidate sequence numbers come from the most selective index the filter
 * names, walked forward (oldest first) or backward (newest first).
 */
int
lmdb_walk_start(struct store_be *s, MDB_txn *txn, const struct jstore_filter *f,
    int backward, struct walk *w)
{
	unsigned char fpk[32];
	size_t fpl;
	const void *kp = NULL;
	size_t kl = 0;
	int rc;

	memset(w, 0, sizeof(*w));
	w->backward = backward;
	w->since = f->since;
	w->until = f->until;
	if (f->serial != 0) {
		lmdb_put_be64(w->kbuf, f->serial);
		kp = w->kbuf;
		kl = 8;
		w->db = DB_SERIAL;
	} else if (f->request_id != NULL) {
		kp = f->request_id;
		kl = strlen(kp);
		w->db = DB_REQ;
	} else if (f->fingerprint != NULL) {
		if (lmdb_fp_key(f->fingerprint, fpk, &fpl) != 0)
			return JIT_ERR_NOT_FOUND;
		kp = fpk;
		kl = fpl;
		w->db = DB_FP;
	} else if (f->user != NULL) {
		kp = f->user;
		kl = strlen(kp);
		w->db = DB_USER;
	} else if (f->role != NULL) {
		kp = f->role;
		kl = strlen(kp);
		w->db = DB_ROLE;
	} else if (f->since != 0 || f->until != 0)
		w->db = DB_TIME;
	else
		w->db = DB_EVENTS;
	if (kl > KEY_MAX || (kp != NULL && kl == 0))
		return JIT_ERR_NOT_FOUND;
	if (kp != NULL && kp != w->kbuf)
		memcpy(w->kbuf, kp, kl);
	w->key.mv_data = w->kbuf;
	w->key.mv_size = kl;
	if (w->db != DB_EVENTS) {
		unsigned char hh[32];
		int r;

		if ((r = lmdb_get_head(s, txn, &w->head, hh)) != 0 ||
		    (r = lmdb_get_meta_u64(s, txn, "indexed", &w->indexed)) != 0)
			return r;
		if (w->indexed > w->head)
			return JIT_ERR_STORE_CORRUPT;
		/* Newest first: the unindexed tail, then the index. */
		w->in_tail = backward;
		w->tail = backward ? w->head : w->indexed + 1;
	}
	if ((rc = mdb_cursor_open(txn, s->dbi[w->db], &w->cur)) != 0)
		return lmdb_mdb_err(rc);
	return 0;
}

/*
 * The next candidate seq, or JIT_ERR_NOT_FOUND at the end.  Candidates
 * from the tail are every recent event: the caller's filter decides.
 */
static int walk_index_next(struct walk *w, uint64_t *seqp);

int
lmdb_walk_next(struct walk *w, uint64_t *seqp)
{
	int r;

	if (w->db == DB_EVENTS)
		return walk_index_next(w, seqp);
	if (!w->backward) {
		if (!w->in_tail) {
			if ((r = walk_index_next(w, seqp)) != JIT_ERR_NOT_FOUND)
				return r;
			w->in_tail = 1;
		}
		if (w->tail > w->head)
			return JIT_ERR_NOT_FOUND;
		*seqp = w->tail++;
		return 0;
	}
	if (w->in_tail) {
		if (w->tail > w->indexed) {
			*seqp = w->tail--;
			return 0;
		}
		w->in_tail = 0;
	}
	return walk_index_next(w, seqp);
}

static int
walk_index_next(struct walk *w, uint64_t *seqp)
{
	MDB_val k, v;
	unsigned char tb[8];
	MDB_cursor_op op;
	int rc;

	if (w->db == DB_EVENTS) {
		op = !w->started ? (w->backward ? MDB_LAST : MDB_FIRST) :
		    (w->backward ? MDB_PREV : MDB_NEXT);
		w->started = 1;
		if ((rc = mdb_cursor_get(w->cur, &k, &v, op)) != 0)
			return lmdb_mdb_err(rc);
		if (k.mv_size != 8)
			return JIT_ERR_STORE_CORRUPT;
		*seqp = lmdb_get_be64(k.mv_data);
		return 0;
	}
	if (w->db == DB_TIME) {
		if (!w->started) {
			w->started = 1;
			if (!w->backward) {
				lmdb_put_be64(tb, w->since);
				k.mv_data = tb;
				k.mv_size = 8;
				rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_RANGE);
			} else if (w->until == 0 || w->until == UINT64_MAX) {
				rc = mdb_cursor_get(w->cur, &k, &v, MDB_LAST);
			} else {
				lmdb_put_be64(tb, w->until + 1);
				k.mv_data = tb;
				k.mv_size = 8;
				rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_RANGE);
				if (rc == 0)
					rc = mdb_cursor_get(w->cur, &k, &v, MDB_PREV);
				else if (rc == MDB_NOTFOUND)
					rc = mdb_cursor_get(w->cur, &k, &v, MDB_LAST);
			}
		} else
			rc = mdb_cursor_get(w->cur, &k, &v,
			    w->backward ? MDB_PREV : MDB_NEXT);
		if (rc != 0)
			return lmdb_mdb_err(rc);
		if (k.mv_size != 8 || v.mv_size != 8)
			return JIT_ERR_STORE_CORRUPT;
		if ((!w->backward && w->until != 0 &&
		    lmdb_get_be64(k.mv_data) > w->until) ||
		    (w->backward && lmdb_get_be64(k.mv_data) < w->since))
			return JIT_ERR_NOT_FOUND;
		*seqp = lmdb_get_be64(v.mv_data);
		return 0;
	}
	if (!w->started) {
		w->started = 1;
		k = w->key;
		if ((rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_KEY)) != 0)
			return lmdb_mdb_err(rc);
		if (w->backward && (rc = mdb_cursor_get(w->cur, &k, &v,
		    MDB_LAST_DUP)) != 0)
			return lmdb_mdb_err(rc);
	} else if ((rc = mdb_cursor_get(w->cur, &k, &v,
	    w->backward ? MDB_PREV_DUP : MDB_NEXT_DUP)) != 0)
		return lmdb_mdb_err(rc);
	if (v.mv_size != 8)
		return JIT_ERR_STORE_CORRUPT;
	*seqp = lmdb_get_be64(v.mv_data);
	return 0;
}

int
lmdb_query(struct store_be *s, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg)
{
	static const struct jstore_filter all;
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	struct walk w = { 0 };
	MDB_txn *txn = NULL;
	uint64_t seq, *seqs = NULL, n = 0, i;
	int rc, r = JIT_ERR_INTERNAL;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (f == NULL)
		f = &all;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (f->limit != 0 && (f->limit > 10000000 ||
	    (seqs = calloc(f->limit, sizeof(*seqs))) == NULL)) {
		r = f->limit > 10000000 ? JIT_ERR_INVALID_ARGUMENT : JIT_ERR_ALLOC;
		goto out;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if ((r = lmdb_walk_start(s, txn, f, f->limit != 0, &w)) != 0) {
		if (r == JIT_ERR_NOT_FOUND)
			r = 0;
		goto out;
	}
	/* With a limit: the newest matches, found backward, shown oldest first. */
	while ((r = lmdb_walk_next(&w, &seq)) == 0) {
		if ((r = lmdb_get_event(s, txn, seq, &ev, scratch)) != 0)
			goto out;
		if (!lmdb_matches(f, &ev))
			continue;
		if (f->limit == 0) {
			if ((r = cb(&ev, arg)) != 0)
				goto out;
			continue;
		}
		seqs[n++] = seq;
		if (n == f->limit)
			break;
	}
	if (r != 0 && r != JIT_ERR_NOT_FOUND)
		goto out;
	for (i = n; i-- > 0;) {
		if ((r = lmdb_get_event(s, txn, seqs[i], &ev, scratch)) != 0 ||
		    (r = cb(&ev, arg)) != 0)
			goto out;
	}
	r = 0;
 out:
	if (w.cur != NULL)
		mdb_cursor_close(w.cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(seqs);
	jbuf_free(scratch);
	return r;
}
