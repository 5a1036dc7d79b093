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
store_totp_read(struct store_be *s, MDB_txn *txn, const char *user,
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
		return store_mdb_err(rc);
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
		r = store_mdb_err(mdb_put(txn, s->dbi[DB_TOTP], &k, &v, 0));
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

/* "SHA256:" and the unpadded base64 of the SHA-256 of the stored secret. */
int
store_secret_digest(const unsigned char *sealed, size_t len, char out[64])
{
	unsigned char md[32];
	struct jbuf *b;
	char *b64 = NULL, *eq;
	int r;

	if (EVP_Digest(sealed, len, md, NULL, EVP_sha256(), NULL) != 1)
		return JIT_ERR_LIBCRYPTO;
	if ((b = jbuf_from(md, sizeof(md))) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_dtob64(b, &b64)) == 0) {
		if ((eq = strchr(b64, '=')) != NULL)
			*eq = '\0';
		snprintf(out, 64, "SHA256:%s", b64);
	}
	free(b64);
	jbuf_free(b);
	return r;
}

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

	if ((r = store_meta_user_key("enroll", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0 &&
	    v.mv_size == 8)
		latest = store_get_be64(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return rc == 0 ? JIT_ERR_STORE_CORRUPT : store_mdb_err(rc);
	if (t->enroll_seq == 0 && latest == 0)
		return 0;	/* enrolled by an older release: unbound */
	if (t->enroll_seq != latest)
		return JIT_ERR_STORE_TAMPERED;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = store_get_event(s, txn, latest, &ev, scratch)) == 0 &&
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
	memset(&ev, 0, sizeof(ev));
	ev.time = a->now;
	ev.event = "enroll";
	ev.user = a->user;
	ev.source = "operator";
	ev.fingerprint = dg;	/* of the secret as stored */
	if ((r = store_append_txn(s, txn, &ev, 1)) != 0)
		return r;
	memset(&t, 0, sizeof(t));
	memcpy(t.secret, a->secret, a->len);
	t.secret_len = a->len;
	t.enroll_seq = ev.seq;
	r = totp_write(s, txn, a->user, &t);
	OPENSSL_cleanse(&t, sizeof(t));
	if (r != 0)
		return r;
	if ((r = store_meta_user_key("enroll", a->user, kb, sizeof(kb), &k)) != 0)
		return r;
	store_put_be64(seqbe, ev.seq);
	v.mv_data = seqbe;
	v.mv_size = 8;
	return store_mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

int
lmdb_totp_enroll(struct store_be *s, const char *user,
    const unsigned char *secret, size_t len, uint64_t now)
{
	struct totp_arg a = { user, secret, len, now };

	if (s == NULL || user == NULL || *user == '\0' || secret == NULL ||
	    len == 0 || len > 64 || strlen(user) > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	return store_run_write(s, enroll_fn, &a);
}

int
lmdb_totp_get(struct store_be *s, const char *user, struct jstore_totp *t)
{
	MDB_txn *txn = NULL;
	int rc, r;

	if (s == NULL || user == NULL || t == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return store_mdb_err(rc);
	if ((r = store_totp_read(s, txn, user, t)) == 0)
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
	struct jstore_totp_check *c = a->c;
	struct jstore_totp t;
	struct jstore_event ev[2];
	char why[96];
	uint64_t step = 0;
	size_t nev = 1;
	int r;

	c->locked_now = 0;
	if ((r = store_totp_read(s, txn, a->user, &t)) != 0 ||
	    (r = totp_bound(s, txn, a->user, &t)) != 0)
		goto out;
	c->failures = t.failures;
	c->locked_until = t.locked_until > c->now ? t.locked_until : 0;
	if (c->locked_until != 0) {
		a->outcome = JIT_ERR_TOTP_LOCKED;
		r = JIT_ERR_TOTP_LOCKED;	/* nothing to write */
		goto out;
	}
	if (c->verify(t.secret, t.secret_len, c->arg, &step) != 0)
		a->outcome = JIT_ERR_TOTP_WRONG;
	else if (step <= t.last_step)	/* each step once, never older */
		a->outcome = JIT_ERR_TOTP_REPLAY;
	else
		a->outcome = 0;
	if (a->outcome == 0) {
		t.last_step = step;
		t.failures = 0;
		t.locked_until = 0;
		c->failures = 0;
		r = totp_write(s, txn, a->user, &t);
		goto out;
	}
	if (t.failures < UINT32_MAX)
		t.failures++;
	c->failures = t.failures;
	memset(ev, 0, sizeof(ev));
	ev[0].time = c->now;
	ev[0].event = "mfa-fail";
	ev[0].user = a->user;
	ev[0].source = c->source;
	ev[0].reason = a->outcome == JIT_ERR_TOTP_REPLAY ?
	    "code already used" : "wrong code";
	if (c->max_failures != 0 && t.failures >= c->max_failures) {
		uint32_t over = t.failures - c->max_failures;

		t.locked_until = c->now + (60ULL << (over > 6 ? 6 : over));
		c->locked_until = t.locked_until;
		c->locked_now = 1;
		snprintf(why, sizeof(why), "%u wrong codes in a row: locked for "
		    "%llu s", t.failures,
		    (unsigned long long)(t.locked_until - c->now));
		ev[1] = ev[0];
		ev[1].event = "lockout";
		ev[1].reason = why;
		nev = 2;
	}
	if ((r = totp_write(s, txn, a->user, &t)) == 0)
		r = store_append_txn(s, txn, ev, nev);
 out:
	OPENSSL_cleanse(&t, sizeof(t));
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
	if ((r = store_run_write(s, check_fn, &a)) != 0)
		return r;
	return a.outcome;
}
