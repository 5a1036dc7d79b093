/*
 * totp.c: TOTP state: sealed secrets bound to their enroll event, the replay cache, failures and lockout.
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

int
lmdb_totp_read(struct store_be *s, MDB_txn *txn, const char *user,
    struct jstore_totp *t)
{
	MDB_val k, v;
	int rc;

	memset(t, 0, sizeof(*t));
	k.mv_data = (void *)(uintptr_t)user;
	k.mv_size = strlen(user);
	if (k.mv_size == 0 || k.mv_size > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_get(txn, s->dbi[DB_TOTP], &k, &v)) != 0)
		return lmdb_mdb_err(rc);
	return store_totp_decode(v.mv_data, v.mv_size, t);
}

static int
totp_write(struct store_be *s, MDB_txn *txn, const char *user,
    const struct jstore_totp *t)
{
	struct jbuf *b;
	MDB_val k, v;
	int r;

	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = store_totp_encode(t, b)) == 0) {
		k.mv_data = (void *)(uintptr_t)user;
		k.mv_size = strlen(user);
		v.mv_data = (void *)(uintptr_t)jbuf_ptr(b);
		v.mv_size = jbuf_len(b);
		r = lmdb_mdb_err(mdb_put(txn, s->dbi[DB_TOTP], &k, &v, 0));
	}
	jbuf_free(b);	/* wipes the secret */
	return r;
}

struct totp_arg {
	const char *user;
	const unsigned char *secret;
	size_t len;
	uint64_t now;
};

/*
 * A TOTP record is good only as the user's latest enrollment: the record
 * names its enroll event, whose seq the store also keeps apart, and whose
 * fingerprint is the digest of this very secret.
 */
static int
totp_bound(struct store_be *s, MDB_txn *txn, const char *user,
    const struct jstore_totp *t)
{
	struct jstore_event ev;
	struct jbuf *scratch;
	char kb[KEY_MAX + 16], dg[64];
	MDB_val k, v;
	uint64_t latest = 0;
	int rc, r;

	if ((r = lmdb_meta_user_key("enroll", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0 &&
	    v.mv_size == 8)
		latest = lmdb_get_be64(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return rc == 0 ? JIT_ERR_STORE_CORRUPT : lmdb_mdb_err(rc);
	if (t->enroll_seq == 0 && latest == 0)
		return 0;	/* enrolled by an older release: unbound */
	if (t->enroll_seq != latest)
		return JIT_ERR_STORE_TAMPERED;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = lmdb_get_event(s, txn, latest, &ev, scratch)) == 0 &&
	    (r = store_secret_digest(t->secret, t->secret_len, dg)) == 0 &&
	    (strcmp(ev.event, "enroll") != 0 || strcmp(ev.user, user) != 0 ||
	    strcmp(ev.fingerprint, dg) != 0))
		r = JIT_ERR_STORE_TAMPERED;
	jbuf_free(scratch);
	return r == JIT_ERR_STORE_CORRUPT ? JIT_ERR_STORE_TAMPERED : r;
}

static int
enroll_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct totp_arg *a = arg;
	struct jstore_totp t;
	struct jstore_event ev;
	char dg[64], kb[KEY_MAX + 16];
	unsigned char seqbe[8];
	MDB_val k, v;
	int r;

	if ((r = store_secret_digest(a->secret, a->len, dg)) != 0)
		return r;
	store_enroll_event(&ev, a->user, dg, a->now);
	if ((r = lmdb_append_txn(s, txn, &ev, 1)) != 0)
		return r;
	memset(&t, 0, sizeof(t));
	memcpy(t.secret, a->secret, a->len);
	t.secret_len = a->len;
	t.enroll_seq = ev.seq;
	r = totp_write(s, txn, a->user, &t);
	OPENSSL_cleanse(&t, sizeof(t));
	if (r != 0)
		return r;
	if ((r = lmdb_meta_user_key("enroll", a->user, kb, sizeof(kb), &k)) != 0)
		return r;
	lmdb_put_be64(seqbe, ev.seq);
	v.mv_data = seqbe;
	v.mv_size = 8;
	return lmdb_mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

int
lmdb_totp_enroll(struct store_be *s, const char *user,
    const unsigned char *secret, size_t len, uint64_t now)
{
	struct totp_arg a = { user, secret, len, now };

	if (s == NULL || user == NULL || *user == '\0' || secret == NULL ||
	    len == 0 || len > 64 || strlen(user) > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	return lmdb_run_write(s, enroll_fn, &a);
}

int
lmdb_totp_get(struct store_be *s, const char *user, struct jstore_totp *t)
{
	MDB_txn *txn = NULL;
	int rc, r;

	if (s == NULL || user == NULL || t == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_mdb_err(rc);
	if ((r = lmdb_totp_read(s, txn, user, t)) == 0)
		r = totp_bound(s, txn, user, t);
	mdb_txn_abort(txn);
	if (r != 0)
		OPENSSL_cleanse(t, sizeof(*t));
	return r;
}

struct check_arg {
	const char *user;
	struct jstore_totp_check *c;
	int outcome;
};

static int
check_fn(struct store_be *s, MDB_txn *txn, void *arg)
{
	struct check_arg *a = arg;
	struct store_totp_outcome o;
	struct jstore_totp t;
	int r;

	if ((r = lmdb_totp_read(s, txn, a->user, &t)) != 0 ||
	    (r = totp_bound(s, txn, a->user, &t)) != 0 ||
	    (r = store_totp_decide(&t, a->c, a->user, &o)) != 0)
		goto out;
	a->outcome = o.result;
	if ((r = totp_write(s, txn, a->user, &t)) == 0 && o.nev != 0)
		r = lmdb_append_txn(s, txn, o.ev, o.nev);
 out:
	OPENSSL_cleanse(&t, sizeof(t));
	if (r == JIT_ERR_TOTP_LOCKED)
		a->outcome = r;
	return r;
}

int
lmdb_totp_check(struct store_be *s, const char *user,
    struct jstore_totp_check *c)
{
	struct check_arg a = { user, c, 0 };
	int r;

	if (s == NULL || user == NULL || c == NULL || c->verify == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = lmdb_run_write(s, check_fn, &a)) != 0)
		return r;
	return a.outcome;
}
