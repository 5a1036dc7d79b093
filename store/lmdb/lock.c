/*
 * lock.c: user locks: no new certificate for a locked user.
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

struct lock_arg {
	const char *user, *by, *reason;
	uint64_t until, now;
	int lock;
};

/*
 * A lock record: be64 end (0: until unlocked), then the reason's bytes.
 * The same as the log's last lock event for the user, which audit verify
 * checks.
 */
static int
lock_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct lock_arg *a = arg;
	struct jstore_event ev;
	char kb[KEY_MAX + 16];
	struct jbuf *b = NULL;
	MDB_val k, v;
	int rc, r;

	if ((r = lmdb_meta_user_key("lock", a->user, kb, sizeof(kb), &k)) != 0)
		return r;
	if (!a->lock) {
		if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) != 0)
			return lmdb_mdb_err(rc);	/* not locked: nothing written */
	}
	store_lock_event(&ev, a->lock, a->user, a->until, a->by, a->reason,
	    a->now);
	if ((r = lmdb_append_txn(s, txn, &ev, 1)) != 0)
		return r;
	if (!a->lock)
		return lmdb_mdb_err(mdb_del(txn, s->dbi[DB_META], &k, NULL));
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_put_u64(b, a->until)) == 0 && (r = jbuf_put(b,
	    a->reason != NULL ? a->reason : "", a->reason != NULL ?
	    strlen(a->reason) : 0)) == 0) {
		v.mv_data = (void *)(uintptr_t)jbuf_ptr(b);
		v.mv_size = jbuf_len(b);
		r = lmdb_mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
	}
	jbuf_free(b);
	return r;
}

int
lmdb_lock(struct store_be *s, const char *user, uint64_t until,
    const char *by, const char *reason, uint64_t now)
{
	struct lock_arg a = { user, by, reason, until, now, 1 };
	int r;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = store_lock_check(1, user, until, by, reason, now)) != 0)
		return r;
	return lmdb_run_write(s, lock_fn, &a);
}

int
lmdb_unlock(struct store_be *s, const char *user, const char *by,
    const char *reason, uint64_t now)
{
	struct lock_arg a = { user, by, reason, 0, now, 0 };
	int r;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = store_lock_check(0, user, 0, by, reason, now)) != 0)
		return r;
	return lmdb_run_write(s, lock_fn, &a);
}

/* The lock record's end; a record that does not read holds forever. */
uint64_t
lmdb_lock_until(const MDB_val *v)
{
	return v->mv_size >= 8 ? lmdb_get_be64(v->mv_data) : 0;
}

int
lmdb_lock_held(struct store_be *s, MDB_txn *txn, const char *user, uint64_t now)
{
	char kb[KEY_MAX + 16];
	MDB_val k, v;
	uint64_t until;
	int rc;

	if (user == NULL || lmdb_meta_user_key("lock", user, kb, sizeof(kb), &k) != 0)
		return 0;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lmdb_mdb_err(rc);
	until = lmdb_lock_until(&v);
	return until == 0 || until > now ? JIT_ERR_USER_LOCKED : 0;
}

int
lmdb_locked(struct store_be *s, const char *user, uint64_t now,
    uint64_t *untilp, char **reasonp)
{
	char kb[KEY_MAX + 16];
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint64_t until = 0;
	int rc, r, held = 0;

	if (s == NULL || user == NULL || untilp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*untilp = 0;
	if (reasonp != NULL)
		*reasonp = NULL;
	if ((r = lmdb_meta_user_key("lock", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_mdb_err(rc);
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0) {
		until = lmdb_lock_until(&v);
		held = until == 0 || until > now;
		if (held && reasonp != NULL && (*reasonp = strndup(
		    v.mv_size > 8 ? (const char *)v.mv_data + 8 : "",
		    v.mv_size > 8 ? v.mv_size - 8 : 0)) == NULL)
			rc = ENOMEM;
	}
	mdb_txn_abort(txn);
	if (rc == ENOMEM)
		return JIT_ERR_ALLOC;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	*untilp = held ? until : 0;	/* 0: until unlocked */
	return held;
}
