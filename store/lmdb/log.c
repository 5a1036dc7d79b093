/*
 * log.c: the hash-chained event log: appending (with the checks an issue must pass) and walking the chain.
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
#include "store-req.h"

int
lmdb_get_head(struct store_be *s, MDB_txn *txn, uint64_t *seq, unsigned char hash[32])
{
	MDB_val k, v;
	int rc;

	k.mv_data = (void *)(uintptr_t)"head";
	k.mv_size = 4;
	rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		memset(hash, 0, 32);
		return 0;
	}
	if (rc != 0)
		return lmdb_mdb_err(rc);
	if (v.mv_size != 40)
		return JIT_ERR_STORE_CORRUPT;
	*seq = lmdb_get_be64(v.mv_data);
	memcpy(hash, (unsigned char *)v.mv_data + 8, 32);
	return 0;
}

static int
append_one(struct store_be *s, MDB_txn *txn, struct jstore_event *ev,
    struct jbuf *canon, EVP_MD_CTX *md)
{
	unsigned char head[40], seqbe[8];
	uint64_t seq;
	MDB_val k, v;
	unsigned int hl;
	int r, rc;

	if ((r = lmdb_get_head(s, txn, &seq, head + 8)) != 0)
		return r;
	ev->seq = seq + 1;
	if (ev->time == 0)
		ev->time = jit_now();
	jbuf_reset(canon);
	if ((r = store_event_encode(ev, canon)) != 0)
		return r;
	if (EVP_DigestInit_ex(md, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(md, head + 8, 32) != 1 ||
	    EVP_DigestUpdate(md, jbuf_ptr(canon), jbuf_len(canon)) != 1 ||
	    EVP_DigestFinal_ex(md, ev->hash, &hl) != 1 || hl != 32)
		return JIT_ERR_LIBCRYPTO;
	lmdb_put_be64(seqbe, ev->seq);
	k.mv_data = seqbe;
	k.mv_size = 8;
	v.mv_size = 32 + jbuf_len(canon);
	/* MDB_RESERVE: write the value in place, no extra copy. */
	if ((rc = mdb_put(txn, s->dbi[DB_EVENTS], &k, &v,
	    MDB_APPEND | MDB_RESERVE)) != 0)
		return rc == MDB_KEYEXIST ? JIT_ERR_STORE_CORRUPT : lmdb_mdb_err(rc);
	memcpy(v.mv_data, ev->hash, 32);
	memcpy((unsigned char *)v.mv_data + 32, jbuf_ptr(canon),
	    jbuf_len(canon));
	lmdb_put_be64(head, ev->seq);
	memcpy(head + 8, ev->hash, 32);
	k.mv_data = (void *)(uintptr_t)"head";
	k.mv_size = 4;
	v.mv_data = head;
	v.mv_size = 40;
	if ((rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0)) != 0)
		return lmdb_mdb_err(rc);
	return lmdb_live_event(s, txn, ev);
}

int
lmdb_append_txn(struct store_be *s, MDB_txn *txn, struct jstore_event *evs,
    size_t n)
{
	struct jbuf *canon = NULL;
	EVP_MD_CTX *md = NULL;
	size_t i;
	int r = 0;

	if ((canon = jbuf_new()) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n && r == 0; i++)
		r = append_one(s, txn, &evs[i], canon, md);
 out:
	EVP_MD_CTX_free(md);
	jbuf_free(canon);
	return r;
}

/*
 * A certificate for a locked user, or one past the user's cap on live
 * certificates, is refused in the transaction that would record it, so a
 * lock takes effect at once, even on an issuance already under way, and
 * parallel issuances cannot overshoot the cap.  Nothing but the pruning
 * of expired live keys is written before the answer.
 */
int
lmdb_issue_allowed(struct store_be *s, MDB_txn *txn, const struct jstore_event *evs,
    size_t n)
{
	unsigned cap = atomic_load(&s->live_cap);
	uint64_t live;
	size_t i, j, batch;
	uint64_t now;
	int r;

	for (i = 0; i < n; i++) {
		if (strcmp(evs[i].event, "issue") != 0)
			continue;
		now = evs[i].time != 0 ? evs[i].time : jit_now();
		if ((r = lmdb_lock_held(s, txn, evs[i].user, now)) != 0)
			return r;
		if (cap == 0 || evs[i].serial == 0 || s->no_live_index)
			continue;
		for (j = 0, batch = 0; j < n; j++)
			batch += strcmp(evs[j].event, "issue") == 0 &&
			    evs[j].serial != 0 &&
			    strcmp(evs[j].user, evs[i].user) == 0;
		if ((r = lmdb_live_count(s, txn, evs[i].user, now, &live)) != 0)
			return r;
		if (live + batch > cap)
			return JIT_ERR_CERT_CAP;
	}
	return 0;
}

int
lmdb_append(struct store_be *s, struct jstore_event *evs, size_t n)
{
	return store_append_run(lmdb_rtx_run, s, evs, n);
}

int
lmdb_verify(struct store_be *s, uint64_t *countp, uint64_t *bad_seqp,
    unsigned char headp[32])
{
	unsigned char prev[32] = { 0 }, h[32];
	uint64_t expect = 1, head_seq;
	unsigned char head_hash[32];
	EVP_MD_CTX *md = NULL;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	unsigned int hl;
	int rc, r = JIT_ERR_INTERNAL;

	if (s == NULL || countp == NULL || bad_seqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*countp = *bad_seqp = 0;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
		/*
		 * The key, the seq inside the hashed bytes and the running
		 * count must agree: a dropped, inserted or swapped event
		 * breaks one of them, an edited one breaks the hash.
		 */
		if (k.mv_size != 8 || lmdb_get_be64(k.mv_data) != expect ||
		    v.mv_size < 32 + 8 ||
		    lmdb_get_be64((unsigned char *)v.mv_data + 32) != expect) {
			*bad_seqp = expect;
			r = JIT_ERR_STORE_TAMPERED;
			goto out;
		}
		if (EVP_DigestInit_ex(md, s->sha256, NULL) != 1 ||
		    EVP_DigestUpdate(md, prev, 32) != 1 ||
		    EVP_DigestUpdate(md, (unsigned char *)v.mv_data + 32,
		    v.mv_size - 32) != 1 ||
		    EVP_DigestFinal_ex(md, h, &hl) != 1) {
			r = JIT_ERR_LIBCRYPTO;
			goto out;
		}
		if (CRYPTO_memcmp(h, v.mv_data, 32) != 0) {
			*bad_seqp = expect;
			r = JIT_ERR_STORE_TAMPERED;
			goto out;
		}
		memcpy(prev, h, 32);
	}
	if (rc != MDB_NOTFOUND) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if ((r = lmdb_get_head(s, txn, &head_seq, head_hash)) != 0)
		goto out;
	/* Events cut off the end leave the head pointing past them. */
	if (head_seq != expect - 1 || memcmp(head_hash, prev, 32) != 0) {
		*bad_seqp = head_seq > expect - 1 ? expect : head_seq + 1;
		r = JIT_ERR_STORE_TAMPERED;
		goto out;
	}
	*countp = expect - 1;
	if (headp != NULL)
		memcpy(headp, prev, 32);
	r = 0;
 out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	EVP_MD_CTX_free(md);
	return r;
}

int
lmdb_events_after(struct store_be *s, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp)
{
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	unsigned char kb[8];
	MDB_val k, v;
	size_t n = 0;
	int rc, r = 0;

	if (s == NULL || cb == NULL || lastp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*lastp = after;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	lmdb_put_be64(kb, after + 1);
	k.mv_data = kb;
	k.mv_size = 8;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	    rc == 0 && n < max; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		if (v.mv_size < 32 + 8 || (r = store_event_decode(
		    (unsigned char *)v.mv_data + 32, v.mv_size - 32, &ev,
		    scratch)) != 0) {
			r = JIT_ERR_STORE_CORRUPT;
			goto out;
		}
		memcpy(ev.hash, v.mv_data, 32);
		if ((r = cb(&ev, arg)) != 0)
			goto out;	/* this one is not done */
		*lastp = ev.seq;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		r = lmdb_mdb_err(rc);
 out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	jbuf_free(scratch);
	return r;
}

int
lmdb_head(struct store_be *s, uint64_t *seqp)
{
	unsigned char hh[32];
	MDB_txn *txn = NULL;
	int rc, r;

	if (s == NULL || seqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_mdb_err(rc);
	r = lmdb_get_head(s, txn, seqp, hh);
	mdb_txn_abort(txn);
	return r;
}

/* The head itself: every append moves it, in this process or another. */
uint64_t
lmdb_changes(struct store_be *s)
{
	uint64_t seq = 0;

	return lmdb_head(s, &seq) == 0 ? seq : 0;
}
