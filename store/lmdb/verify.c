/*
 * verify.c: audit verify: every piece of state beside the log, re-derived from it.
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

struct vstate {
	struct store_be *s;
	MDB_txn *txn;
	void (*cb)(const char *, void *);
	void *arg;
	size_t nbad;
	uint64_t expect[DB_COUNT];	/* index entries the log gives */
	size_t nopen;			/* open request records */
	MDB_cursor *cur[DB_COUNT];
};

static void
vbad(struct vstate *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
vbad(struct vstate *v, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (v->nbad++ >= 50)
		return;		/* enough to act on */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->cb(line, v->arg);
}

static const char *
db_label(int db)
{
	return lmdb_db_names[db];
}

/* One index entry the log says must exist: it must. */
static int
vindex(void *arg, int db, const void *key, size_t klen,
    const unsigned char seqbe[8])
{
	struct vstate *v = arg;
	MDB_val k, d;
	int rc;

	if (klen == 0)
		return 0;
	v->expect[db]++;
	if (v->cur[db] == NULL &&
	    (rc = mdb_cursor_open(v->txn, v->s->dbi[db], &v->cur[db])) != 0)
		return lmdb_mdb_err(rc);
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	d.mv_data = (void *)(uintptr_t)seqbe;
	d.mv_size = 8;
	if ((rc = mdb_cursor_get(v->cur[db], &k, &d, MDB_GET_BOTH)) ==
	    MDB_NOTFOUND)
		vbad(v, "index %s: the entry for event %llu is missing",
		    db_label(db), (unsigned long long)lmdb_get_be64(seqbe));
	else if (rc != 0)
		return lmdb_mdb_err(rc);
	return 0;
}

static int
vindex_event(struct vstate *v, const struct jstore_event *ev)
{
	return lmdb_index_entries(ev, vindex, v);
}

static int
vrequests(struct vstate *v, struct derive *d)
{
	const struct store_derived_request *dr;
	struct jstore_request *r;
	char why[512];
	MDB_cursor *cur;
	MDB_val k, val;
	size_t nrec = 0;
	int rc, e = 0;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_REQUESTS], &cur)) != 0)
		return lmdb_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		nrec++;
		if (store_request_decode(val.mv_data, val.mv_size, &r) != 0) {
			vbad(v, "request %.*s: the record does not decode",
			    (int)k.mv_size, (const char *)k.mv_data);
			continue;
		}
		dr = store_derive_request(d, r->id);
		if (store_request_disagrees(r, dr, why, sizeof(why)))
			vbad(v, "%s", why);
		if (lmdb_req_is_open(r))
			v->nopen++;
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (nrec != store_derive_count(d, STORE_DERIVED_REQUESTS))
		vbad(v, "requests: %zu records, the log has %zu requests", nrec,
		    store_derive_count(d, STORE_DERIVED_REQUESTS));
	return e;
}

static int
vrevoked(struct vstate *v, struct derive *d)
{
	MDB_cursor *cur;
	MDB_val k, val;
	size_t n = 0;
	int rc;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_REVOKED], &cur)) != 0)
		return lmdb_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		n++;
		if (k.mv_size != 8 || !store_derive_revoked(d,
		    lmdb_get_be64(k.mv_data)))
			vbad(v, "revoked: serial %llu has no revoke event",
			    k.mv_size == 8 ?
			    (unsigned long long)lmdb_get_be64(k.mv_data) : 0ULL);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (n != store_derive_count(d, STORE_DERIVED_REVOKED))
		vbad(v, "revoked: %zu serials in the table, %zu revoke events "
		    "in the log (a revocation was removed)", n,
		    store_derive_count(d, STORE_DERIVED_REVOKED));
	return 0;
}

static int
vtotp(struct vstate *v, struct derive *d)
{
	const struct store_derived_enroll *de;
	struct jstore_totp t;
	MDB_cursor *cur;
	MDB_val k, val;
	char user[KEY_MAX + 1], dg[64], why[256];
	size_t n = 0;
	int rc;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_TOTP], &cur)) != 0)
		return lmdb_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		n++;
		snprintf(user, sizeof(user), "%.*s", (int)k.mv_size,
		    (const char *)k.mv_data);
		if (lmdb_totp_read(v->s, v->txn, user, &t) != 0) {
			vbad(v, "totp %s: the record does not decode", user);
			continue;
		}
		de = store_derive_enroll(d, user);
		if (de == NULL)
			vbad(v, "totp %s: no enroll event in the log", user);
		else if (t.enroll_seq != 0 && t.enroll_seq != de->seq)
			vbad(v, "totp %s: the record is from enroll event %llu, "
			    "the latest is %llu (an old secret restored)", user,
			    (unsigned long long)t.enroll_seq,
			    (unsigned long long)de->seq);
		else if (de->digest[0] != '\0' && (store_secret_digest(t.secret,
		    t.secret_len, dg) != 0 || strcmp(dg, de->digest) != 0))
			vbad(v, "totp %s: the secret is not the one enroll event "
			    "%llu recorded", user, (unsigned long long)de->seq);
		else if (store_totp_disagrees(user, &t, de, why, sizeof(why)))
			vbad(v, "%s", why);
		OPENSSL_cleanse(&t, sizeof(t));
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (n != store_derive_count(d, STORE_DERIVED_ENROLLS))
		vbad(v, "totp: %zu records, %zu users enrolled in the log (a "
		    "record was removed: that user would skip the code)", n,
		    store_derive_count(d, STORE_DERIVED_ENROLLS));
	return 0;
}

/*
 * The open-request index says exactly what the records say: two entries
 * for each open request, with its user, expiry and state.
 */
static int
vopen(struct vstate *v)
{
	struct jstore_request *r;
	MDB_cursor *cur;
	MDB_val k, val;
	char id[KEY_MAX + 1];
	const char *ks;
	size_t n = 0, ul, il;
	int rc;

	if (v->s->no_open_index) {
		if (v->nopen > 0)
			vbad(v, "open: no index of open requests, %zu open "
			    "(open the store read-write once to build it)",
			    v->nopen);
		return 0;
	}
	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_OPEN], &cur)) != 0)
		return lmdb_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		n++;
		ks = k.mv_data;
		ul = 0;
		if (k.mv_size > 9 && ks[0] == 'e')
			il = k.mv_size - 9;
		else if (k.mv_size > 2 && ks[0] == 'u' &&
		    (ul = strnlen(ks + 1, k.mv_size - 1)) < k.mv_size - 2)
			il = k.mv_size - 2 - ul;
		else
			il = 0;
		if (il == 0 || il > KEY_MAX || val.mv_size != 1) {
			vbad(v, "open: an entry that does not read");
			continue;
		}
		memcpy(id, ks + k.mv_size - il, il);
		id[il] = '\0';
		if (lmdb_req_read(v->s, v->txn, id, &r) != 0) {
			vbad(v, "open: request %s has no record", id);
			continue;
		}
		if (!lmdb_req_is_open(r) || *(unsigned char *)val.mv_data !=
		    (unsigned char)r->state)
			vbad(v, "open: request %s is %s, the index says open",
			    id, jstore_request_state_name(r->state));
		else if (ks[0] == 'e' ? lmdb_get_be64((const unsigned char *)ks +
		    1) != r->expires : strlen(r->user) != ul ||
		    memcmp(ks + 1, r->user, ul) != 0)
			vbad(v, "open: the entry for request %s does not match "
			    "its record", id);
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (n != 2 * v->nopen)
		vbad(v, "open: %zu index entries for %zu open requests (each "
		    "has 2)", n, v->nopen);
	return 0;
}

/* Each user's live counter is the number of that user's keys in DB_LIVE. */
static int
vlive_counters(struct vstate *v)
{
	MDB_cursor *cur = NULL, *lc = NULL;
	MDB_val k, val, lk, lv;
	char user[KEY_MAX + 1];
	unsigned char kb[KEY_MAX + 1];
	uint64_t want, have;
	size_t ul, nkeys = 0, counted = 0;
	int rc, rc2;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_META], &cur)) != 0 ||
	    (rc = mdb_cursor_open(v->txn, v->s->dbi[DB_LIVE], &lc)) != 0)
		goto out;
	k.mv_data = (void *)(uintptr_t)"live:";
	k.mv_size = 5;
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0 &&
	    k.mv_size > 5 && memcmp(k.mv_data, "live:", 5) == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		ul = k.mv_size - 5;
		if (ul > KEY_MAX || val.mv_size != 8) {
			vbad(v, "live: a counter that does not read");
			continue;
		}
		snprintf(user, sizeof(user), "%.*s", (int)ul,
		    (const char *)k.mv_data + 5);
		want = lmdb_get_be64(val.mv_data);
		memcpy(kb, user, ul);
		kb[ul] = '\0';
		lk.mv_data = kb;
		lk.mv_size = ul + 1;
		for (have = 0, rc2 = mdb_cursor_get(lc, &lk, &lv, MDB_SET_RANGE);
		    rc2 == 0 && lk.mv_size == ul + 17 &&
		    memcmp(lk.mv_data, kb, ul + 1) == 0;
		    rc2 = mdb_cursor_get(lc, &lk, &lv, MDB_NEXT))
			have++;
		counted += have;
		if (have != want)
			vbad(v, "live: %s's counter says %llu, the index holds %llu",
			    user, (unsigned long long)want,
			    (unsigned long long)have);
	}
	if (rc == MDB_NOTFOUND || rc == 0) {
		MDB_stat st;

		if ((rc = mdb_stat(v->txn, v->s->dbi[DB_LIVE], &st)) == 0) {
			nkeys = st.ms_entries;
			if (nkeys != counted)
				vbad(v, "live: %zu index entries, the counters "
				    "account for %zu", nkeys, counted);
		}
	}
 out:
	if (lc != NULL)
		mdb_cursor_close(lc);
	if (cur != NULL)
		mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : lmdb_mdb_err(rc);
}

/*
 * The live index: each key is a certificate the log issued to that user
 * with that expiry and did not revoke (expired keys may linger until the
 * next pruning); each certificate live now has its key.
 */
static int
vlive(struct vstate *v, struct derive *d)
{
	const struct store_derived_live *dl;
	MDB_cursor *cur;
	MDB_val k, val;
	const char *ks;
	uint64_t vb, serial;
	size_t n = 0, ul;
	int rc;

	if (v->s->no_live_index) {
		if (store_derive_count(d, STORE_DERIVED_LIVE) > 0)
			vbad(v, "live: no index of live certificates (open the "
			    "store read-write once to build it)");
		return 0;
	}
	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_LIVE], &cur)) != 0)
		return lmdb_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		ks = k.mv_data;
		ul = strnlen(ks, k.mv_size);
		if (k.mv_size != ul + 17) {
			vbad(v, "live: an entry that does not read");
			continue;
		}
		vb = lmdb_get_be64((const unsigned char *)ks + ul + 1);
		serial = lmdb_get_be64((const unsigned char *)ks + ul + 9);
		if (vb <= store_derive_horizon(d))
			continue;	/* expired: pruned later, or not */
		n++;
		dl = store_derive_live(d, serial);
		if (dl == NULL || dl->valid_before != vb ||
		    strlen(dl->user) != ul || memcmp(dl->user, ks, ul) != 0)
			vbad(v, "live: serial %llu is not a live certificate of "
			    "%.*s in the log", (unsigned long long)serial,
			    (int)ul, ks);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (n != store_derive_count(d, STORE_DERIVED_LIVE))
		vbad(v, "live: %zu live certificates indexed, the log has %zu "
		    "(an entry was removed: the cap would undercount)", n,
		    store_derive_count(d, STORE_DERIVED_LIVE));
	return vlive_counters(v);
}

/* Each lock record is the log's last lock of that user, and none else. */
static int
vlocks(struct vstate *v, struct derive *d)
{
	const struct store_derived_lock *dl;
	MDB_cursor *cur;
	MDB_val k, val;
	char user[KEY_MAX + 1];
	size_t n = 0;
	int rc;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_META], &cur)) != 0)
		return lmdb_mdb_err(rc);
	k.mv_data = (void *)(uintptr_t)"lock:";
	k.mv_size = 5;
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); rc == 0 &&
	    k.mv_size > 5 && memcmp(k.mv_data, "lock:", 5) == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		n++;
		snprintf(user, sizeof(user), "%.*s", (int)(k.mv_size - 5),
		    (const char *)k.mv_data + 5);
		dl = store_derive_lock(d, user);
		if (dl == NULL)
			vbad(v, "lock %s: no lock event in the log, or an unlock "
			    "after it", user);
		else if (val.mv_size < 8 || lmdb_lock_until(&val) != dl->until ||
		    val.mv_size - 8 != strlen(dl->reason) ||
		    memcmp((const char *)val.mv_data + 8, dl->reason,
		    val.mv_size - 8) != 0)
			vbad(v, "lock %s: the record is not the log's last lock "
			    "event", user);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_mdb_err(rc);
	if (n != store_derive_count(d, STORE_DERIVED_LOCKS))
		vbad(v, "locks: %zu records, the log has %zu users locked (a "
		    "lock was removed: that user could get certificates)", n,
		    store_derive_count(d, STORE_DERIVED_LOCKS));
	return 0;
}

int
lmdb_verify_state(struct store_be *s,
    void (*cb)(const char *what, void *arg), void *arg, size_t *nbadp)
{
	static const int idx[] = { DB_TIME, DB_USER, DB_ROLE, DB_SERIAL, DB_FP,
	    DB_REQ };
	struct vstate v;
	struct derive *d = NULL;
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, val;
	MDB_stat st;
	uint64_t indexed, hwm, head, now;
	unsigned char hh[32];
	size_t i;
	int rc, r;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&v, 0, sizeof(v));
	v.s = s;
	v.cb = cb;
	v.arg = arg;
	if ((d = store_derive_new(now = jit_now())) == NULL ||
	    (scratch = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &v.txn)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if ((r = lmdb_get_head(s, v.txn, &head, hh)) != 0 ||
	    (r = lmdb_get_meta_u64(s, v.txn, "indexed", &indexed)) != 0 ||
	    (r = lmdb_get_meta_u64(s, v.txn, "serial_hwm", &hwm)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(v.txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		if (val.mv_size < 32 + 8 || (r = store_event_decode(
		    (unsigned char *)val.mv_data + 32, val.mv_size - 32, &ev,
		    scratch)) != 0) {
			r = JIT_ERR_STORE_TAMPERED;	/* the chain check says where */
			goto out;
		}
		if ((r = store_derive_event(d, &ev)) != 0 ||
		    (ev.seq <= indexed && (r = vindex_event(&v, &ev)) != 0))
			goto out;
	}
	if (rc != MDB_NOTFOUND) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		if ((rc = mdb_stat(v.txn, s->dbi[idx[i]], &st)) != 0) {
			r = lmdb_mdb_err(rc);
			goto out;
		}
		if (st.ms_entries != v.expect[idx[i]])
			vbad(&v, "index %s: %zu entries, the log gives %llu",
			    db_label(idx[i]), st.ms_entries,
			    (unsigned long long)v.expect[idx[i]]);
	}
	if (hwm < store_derive_max_serial(d))
		vbad(&v, "serial_hwm is %llu, below serial %llu in the log (it "
		    "was rewound: serials would repeat)", (unsigned long long)hwm,
		    (unsigned long long)store_derive_max_serial(d));
	if ((r = vrequests(&v, d)) != 0 || (r = vrevoked(&v, d)) != 0 ||
	    (r = vtotp(&v, d)) != 0 || (r = vlocks(&v, d)) != 0 ||
	    (r = vopen(&v)) != 0 || (r = vlive(&v, d)) != 0)
		goto out;
	r = v.nbad == 0 ? 0 : JIT_ERR_STORE_TAMPERED;
 out:
	if (nbadp != NULL)
		*nbadp = v.nbad;
	for (i = 0; i < DB_COUNT; i++)
		if (v.cur[i] != NULL)
			mdb_cursor_close(v.cur[i]);
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (v.txn != NULL)
		mdb_txn_abort(v.txn);
	jbuf_free(scratch);
	store_derive_free(d);
	return r;
}
