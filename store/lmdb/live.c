/*
 * live.c: the index of each user's live certificates and the per-user cap.
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

/*
 * The live-certificate index (DB_LIVE): one key per issued certificate
 * that is not revoked, user NUL be64(valid_before) be64(serial), so a
 * user's certificates sort by expiry.  Kept by append_one() from the
 * "issue" and "revoke" events themselves; expired keys are pruned when
 * the user is next issued one.  It serves the per-user cap on live
 * certificates (jstore_set_live_cap) without walking the user's history.
 */
#define LIVE_KEY_MAX	(KEY_MAX + 1 + 16)

static size_t
live_key(const char *user, uint64_t valid_before, uint64_t serial,
    unsigned char *buf)
{
	size_t ul = strlen(user);

	memcpy(buf, user, ul);
	buf[ul] = '\0';
	lmdb_put_be64(buf + ul + 1, valid_before);
	lmdb_put_be64(buf + ul + 9, serial);
	return ul + 17;
}

/*
 * Each user's number of keys in DB_LIVE, kept beside them in the meta
 * database ("live:USER", be64), so the cap is checked without counting.
 */
static int
live_counter(struct store_be *s, MDB_txn *txn, const char *user, int64_t delta,
    uint64_t *np)
{
	char kb[KEY_MAX + 16];
	unsigned char nb[8];
	MDB_val k, v;
	uint64_t n = 0;
	int rc, r;

	if ((r = lmdb_meta_user_key("live", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0 &&
	    v.mv_size == 8)
		n = lmdb_get_be64(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (delta < 0 && n < (uint64_t)-delta)
		return JIT_ERR_STORE_CORRUPT;
	n = delta < 0 ? n - (uint64_t)-delta : n + (uint64_t)delta;
	if (np != NULL)
		*np = n;
	if (delta == 0)
		return 0;
	lmdb_put_be64(nb, n);
	v.mv_data = nb;
	v.mv_size = 8;
	return lmdb_mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

int
lmdb_live_event(struct store_be *s, MDB_txn *txn, const struct jstore_event *ev)
{
	unsigned char kb[LIVE_KEY_MAX];
	MDB_val k, v;
	int issue = strcmp(ev->event, "issue") == 0, rc;

	if ((!issue && strcmp(ev->event, "revoke") != 0) || ev->serial == 0 ||
	    ev->user == NULL || ev->user[0] == '\0' ||
	    strlen(ev->user) > KEY_MAX || s->no_live_index)
		return 0;
	k.mv_data = kb;
	k.mv_size = live_key(ev->user, ev->valid_before, ev->serial, kb);
	v.mv_data = (void *)(uintptr_t)"";
	v.mv_size = 0;
	rc = issue ? mdb_put(txn, s->dbi[DB_LIVE], &k, &v, MDB_NOOVERWRITE) :
	    mdb_del(txn, s->dbi[DB_LIVE], &k, NULL);
	if (rc == MDB_KEYEXIST || rc == MDB_NOTFOUND)
		return 0;	/* already there, or already gone */
	if (rc != 0)
		return lmdb_mdb_err(rc);
	return live_counter(s, txn, ev->user, issue ? 1 : -1, NULL);
}

/*
 * Removes user's expired keys from the front (they sort by expiry: always
 * right to do, and each key is removed once), then *np is the number of
 * certificates still live, from the counter.
 */
int
lmdb_live_count(struct store_be *s, MDB_txn *txn, const char *user, uint64_t now,
    uint64_t *np)
{
	unsigned char kb[LIVE_KEY_MAX];
	size_t ul = strlen(user);
	MDB_cursor *cur;
	MDB_val k, v;
	int64_t gone = 0;
	int rc;

	*np = 0;
	if (ul > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	memcpy(kb, user, ul);
	kb[ul] = '\0';
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_LIVE], &cur)) != 0)
		return lmdb_mdb_err(rc);
	k.mv_data = kb;
	k.mv_size = ul + 1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    k.mv_size == ul + 17 && memcmp(k.mv_data, kb, ul + 1) == 0 &&
	    lmdb_get_be64((const unsigned char *)k.mv_data + ul + 1) <= now;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		gone++;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	return live_counter(s, txn, user, -gone, np);
}

/* A store made before DB_LIVE: index what the log says is live. */
int
lmdb_live_index_build(struct store_be *s, MDB_txn *txn)
{
	struct jstore_event ev;
	struct jbuf *scratch;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t now = jit_now();
	int rc, e = 0;

	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		jbuf_free(scratch);
		return lmdb_mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (v.mv_size < 32 || (e = store_event_decode(
		    (unsigned char *)v.mv_data + 32, v.mv_size - 32, &ev,
		    scratch)) != 0)
			break;
		/* In log order: a revoke after its issue removes it. */
		if (ev.valid_before > now || strcmp(ev.event, "revoke") == 0)
			e = lmdb_live_event(s, txn, &ev);
	}
	mdb_cursor_close(cur);
	jbuf_free(scratch);
	if (e != 0)
		return e;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : lmdb_mdb_err(rc);
}

void
lmdb_set_live_cap(struct store_be *s, unsigned cap)
{
	if (s != NULL)
		atomic_store(&s->live_cap, cap);
}
