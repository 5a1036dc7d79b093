/*
 * revoke.c: issued certificates and their revocation.
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

/* Finds the "issue" event of serial inside txn. */
int
lmdb_find_issue(struct store_be *s, MDB_txn *txn, uint64_t serial,
    struct jstore_event *ev, struct jbuf *scratch)
{
	struct jstore_filter f;
	struct walk w;
	uint64_t seq;
	int r;

	memset(&f, 0, sizeof(f));
	f.serial = serial;
	if ((r = lmdb_walk_start(s, txn, &f, 0, &w)) != 0)
		return r;
	while ((r = lmdb_walk_next(&w, &seq)) == 0) {
		if ((r = lmdb_get_event(s, txn, seq, ev, scratch)) != 0)
			break;
		if (strcmp(ev->event, "issue") == 0 && ev->serial == serial)
			break;
	}
	mdb_cursor_close(w.cur);
	return r;
}

struct revoke_arg {
	uint64_t serial, now;
	const char *by, *reason;
};

static int
revoke_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct revoke_arg *a = arg;
	struct jstore_event issue, ev;
	struct jbuf *scratch = NULL, *rec = NULL;
	unsigned char sbe[8];
	MDB_val k, v;
	int rc, r;

	if ((scratch = jbuf_new()) == NULL || (rec = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = lmdb_find_issue(s, txn, a->serial, &issue, scratch)) != 0)
		goto out;
	lmdb_put_be64(sbe, a->serial);
	k.mv_data = sbe;
	k.mv_size = 8;
	if ((r = jbuf_put_u64(rec, issue.valid_before)) != 0 ||
	    (r = jbuf_put_u64(rec, a->now)) != 0 ||
	    (r = jbuf_put_cstring(rec, issue.key_id)) != 0)
		goto out;
	v.mv_data = (void *)(uintptr_t)jbuf_ptr(rec);
	v.mv_size = jbuf_len(rec);
	if ((rc = mdb_put(txn, s->dbi[DB_REVOKED], &k, &v,
	    MDB_NOOVERWRITE)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	store_revoke_event(&ev, &issue, a->by, a->reason, a->now);
	r = lmdb_append_txn(s, txn, &ev, 1);
 out:
	jbuf_free(rec);
	jbuf_free(scratch);
	return r;
}

struct revoke_many_arg {
	const uint64_t *serials;
	size_t n, done;
	uint64_t now;
	const char *by, *reason;
};

/* Every serial of the batch not revoked yet, in one transaction. */
static int
revoke_many_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct revoke_many_arg *a = arg;
	struct revoke_arg one;
	size_t i;
	int r;

	a->done = 0;
	for (i = 0; i < a->n; i++) {
		one.serial = a->serials[i];
		one.now = a->now;
		one.by = a->by;
		one.reason = a->reason;
		if ((r = revoke_fn(s, txn, &one)) == JIT_ERR_EXISTS)
			continue;	/* nothing written for it */
		if (r != 0)
			return r;	/* the whole batch is dropped */
		a->done++;
	}
	return 0;
}

int
lmdb_revoke_many(struct store_be *s, const uint64_t *serials, size_t n,
    const char *by, const char *reason, uint64_t now, size_t *donep)
{
	struct revoke_many_arg a = { serials, n, 0, now, by, reason };
	int r;

	if (s == NULL || serials == NULL || by == NULL || donep == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*donep = 0;
	if ((r = lmdb_run_write(s, revoke_many_fn, &a)) == 0)
		*donep = a.done;
	return r;
}

int
lmdb_revoke(struct store_be *s, uint64_t serial, const char *by,
    const char *reason, uint64_t now)
{
	struct revoke_arg a = { serial, now, by, reason };

	if (s == NULL || serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((by != NULL && strlen(by) > JSTORE_FIELD_MAX) ||
	    (reason != NULL && strlen(reason) > JSTORE_FIELD_MAX))
		return JIT_ERR_STRING_TOO_LARGE;
	return lmdb_run_write(s, revoke_fn, &a);
}

int
lmdb_cert_info(struct store_be *s, uint64_t serial, char *key_id,
    size_t key_id_len, uint64_t *valid_before, char *role, size_t role_len)
{
	struct jstore_event ev;
	struct jbuf *scratch;
	MDB_txn *txn = NULL;
	int rc, r;

	if (s == NULL || serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if ((r = lmdb_find_issue(s, txn, serial, &ev, scratch)) != 0)
		goto out;
	if (key_id != NULL && key_id_len > 0)
		snprintf(key_id, key_id_len, "%s", ev.key_id);
	if (role != NULL && role_len > 0)
		snprintf(role, role_len, "%s", ev.role);
	if (valid_before != NULL)
		*valid_before = ev.valid_before;
 out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	jbuf_free(scratch);
	return r;
}

int
lmdb_user_serials(struct store_be *s, const char *user, uint64_t now,
    uint64_t **serialsp, size_t *np)
{
	uint64_t *serials = NULL, *ns;
	size_t cap = 0;
	struct jstore_filter f;
	struct jstore_event ev;
	struct jbuf *scratch;
	struct walk w = { 0 };
	MDB_txn *txn = NULL;
	uint64_t seq;
	int rc, r;

	if (s == NULL || user == NULL || np == NULL || serialsp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*np = 0;
	*serialsp = NULL;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	memset(&f, 0, sizeof(f));
	f.user = user;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if ((r = lmdb_walk_start(s, txn, &f, 0, &w)) != 0)
		goto out;
	while ((r = lmdb_walk_next(&w, &seq)) == 0) {
		if ((r = lmdb_get_event(s, txn, seq, &ev, scratch)) != 0)
			goto out;
		if (!lmdb_matches(&f, &ev) || strcmp(ev.event, "issue") != 0 ||
		    ev.valid_before <= now)
			continue;
		if (*np == cap) {
			cap = cap ? cap * 2 : 256;
			if ((ns = realloc(serials, cap * sizeof(*ns))) == NULL) {
				r = JIT_ERR_ALLOC;
				goto out;
			}
			serials = ns;
		}
		serials[(*np)++] = ev.serial;
	}
	r = r == JIT_ERR_NOT_FOUND ? 0 : r;
 out:
	if (w.cur != NULL)
		mdb_cursor_close(w.cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	jbuf_free(scratch);
	if (r != 0 && r != JIT_ERR_NOT_FOUND) {
		free(serials);
		*np = 0;
		return r;
	}
	*serialsp = serials;
	return 0;
}

int
lmdb_revoked(struct store_be *s, uint64_t now,
    int (*cb)(uint64_t serial, const char *key_id, void *arg), void *arg,
    uint64_t *versionp)
{
	unsigned char hash[32];
	struct jbuf *b = NULL;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint64_t valid_before, seq;
	char *key_id = NULL;
	int rc, r;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_REVOKED], &cur)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if (versionp != NULL) {
		if ((r = lmdb_get_head(s, txn, &seq, hash)) != 0)
			goto out;
		*versionp = seq;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || (b = jbuf_from(v.mv_data,
		    v.mv_size)) == NULL) {
			r = k.mv_size != 8 ? JIT_ERR_STORE_CORRUPT : JIT_ERR_ALLOC;
			goto out;
		}
		if (jbuf_get_u64(b, &valid_before) != 0 ||
		    jbuf_get_u64(b, NULL) != 0 ||
		    jbuf_get_cstring(b, &key_id, NULL) != 0) {
			r = JIT_ERR_STORE_CORRUPT;
			goto out;
		}
		jbuf_free(b);
		b = NULL;
		if (valid_before > now &&
		    (r = cb(lmdb_get_be64(k.mv_data), key_id, arg)) != 0)
			goto out;
		free(key_id);
		key_id = NULL;
	}
	r = rc == MDB_NOTFOUND ? 0 : lmdb_mdb_err(rc);
 out:
	free(key_id);
	jbuf_free(b);
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	return r;
}
