/*
 * state.c: the state beside the log in PostgreSQL: revocations, locks and
 * TOTP records, each changed with its event in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jit-err.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"

/* Runs sql and reads the first row's event; JIT_ERR_NOT_FOUND when none. */
int
pg_one_event(PGconn *c, const char *sql, const struct pgp *p, PGresult **resp,
    struct jstore_event *ev)
{
	int r;

	if ((r = pg_exec(c, sql, p, resp)) != 0)
		return r;
	if (PQntuples(*resp) == 0) {
		PQclear(*resp);
		*resp = NULL;
		return JIT_ERR_NOT_FOUND;
	}
	pg_event_row(*resp, 0, ev);
	return 0;
}

#define ISSUE_OF "SELECT " PG_EVENT_SELECT " FROM jit_events WHERE " \
	"serial = $1 AND event = 'issue' ORDER BY seq LIMIT 1"

struct revoke_arg {
	const uint64_t *serials;
	size_t n, done;
	uint64_t now;
	const char *by, *reason;
};

static int
revoke_fn(struct pgtx *t, void *arg)
{
	struct revoke_arg *a = arg;
	struct jstore_event issue, ev;
	PGresult *res = NULL, *ins;
	struct pgp p;
	size_t i;
	int r = 0, added;

	a->done = 0;
	for (i = 0; i < a->n && r == 0; i++) {
		p.n = 0;
		pg_param_u64(&p, a->serials[i]);
		if ((r = pg_one_event(t->c, ISSUE_OF, &p, &res, &issue)) != 0)
			break;
		p.n = 0;
		pg_param_u64(&p, a->serials[i]);
		pg_param_str(&p, issue.key_id);
		pg_param_u64(&p, issue.valid_before);
		if ((r = pg_exec(t->c, "INSERT INTO jit_revoked VALUES ($1, $2, "
		    "$3) ON CONFLICT DO NOTHING", &p, &ins)) != 0)
			break;
		added = atoi(PQcmdTuples(ins)) == 1;
		PQclear(ins);
		if (!added) {
			if (a->n == 1)
				r = JIT_ERR_EXISTS;
		} else {
			store_revoke_event(&ev, &issue, a->by, a->reason, a->now);
			if ((r = pg_append_tx(t, &ev, 1)) == 0)
				a->done++;
		}
		PQclear(res);
		res = NULL;
	}
	PQclear(res);
	return r;
}

int
pg_revoke(struct store_be *b, uint64_t serial, const char *by,
    const char *reason, uint64_t now)
{
	struct revoke_arg a = { &serial, 1, 0, now, by, reason };

	if (b == NULL || serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((by != NULL && strlen(by) > JSTORE_FIELD_MAX) ||
	    (reason != NULL && strlen(reason) > JSTORE_FIELD_MAX))
		return JIT_ERR_STRING_TOO_LARGE;
	return pg_run_write(b, revoke_fn, &a);
}

int
pg_revoke_many(struct store_be *b, const uint64_t *serials, size_t n,
    const char *by, const char *reason, uint64_t now, size_t *donep)
{
	struct revoke_arg a = { serials, n, 0, now, by, reason };
	int r;

	if (b == NULL || serials == NULL || by == NULL || donep == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*donep = 0;
	/* One serial already revoked: nothing new, not an error here. */
	if ((r = pg_run_write(b, revoke_fn, &a)) == JIT_ERR_EXISTS && n == 1)
		r = 0;
	if (r == 0)
		*donep = a.done;
	return r;
}

int
pg_cert_info(struct store_be *b, uint64_t serial, char *key_id,
    size_t key_id_len, uint64_t *valid_before, char *role, size_t role_len)
{
	struct jstore_event ev;
	PGresult *res = NULL;
	struct pgp p = { .n = 0 };
	PGconn *c;
	int r;

	if (b == NULL || serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	pg_param_u64(&p, serial);
	if ((r = pg_one_event(c, ISSUE_OF, &p, &res, &ev)) == 0) {
		if (key_id != NULL && key_id_len > 0)
			snprintf(key_id, key_id_len, "%s", ev.key_id);
		if (role != NULL && role_len > 0)
			snprintf(role, role_len, "%s", ev.role);
		if (valid_before != NULL)
			*valid_before = ev.valid_before;
	}
	PQclear(res);
	pg_reader_done(b, c);
	return r;
}

int
pg_user_serials(struct store_be *b, const char *user, uint64_t now,
    uint64_t **serialsp, size_t *np)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	PGconn *c;
	int i, r;

	if (b == NULL || user == NULL || np == NULL || serialsp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*np = 0;
	*serialsp = NULL;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	pg_param_str(&p, user);
	pg_param_u64(&p, now);
	r = pg_exec(c, "SELECT serial FROM jit_events WHERE \"user\" = $1 AND "
	    "event = 'issue' AND valid_before > $2 ORDER BY seq", &p, &res);
	pg_reader_done(b, c);
	if (r != 0)
		return r;
	if (PQntuples(res) > 0 && (*serialsp = calloc((size_t)PQntuples(res),
	    sizeof(**serialsp))) == NULL)
		r = JIT_ERR_ALLOC;
	for (i = 0; r == 0 && i < PQntuples(res); i++)
		(*serialsp)[(*np)++] = pg_u64(res, i, 0);
	PQclear(res);
	return r;
}

int
pg_revoked(struct store_be *b, uint64_t now,
    int (*cb)(uint64_t serial, const char *key_id, void *arg), void *arg,
    uint64_t *versionp)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	PGconn *c;
	int i, r;

	if (b == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	pg_param_u64(&p, now);
	/* The version and the list from one snapshot. */
	r = pg_exec(c, "SELECT serial, key_id, (SELECT seq FROM jit_head) "
	    "FROM jit_revoked WHERE valid_before > $1 UNION ALL "
	    "SELECT NULL, NULL, (SELECT seq FROM jit_head) ORDER BY 1", &p,
	    &res);
	pg_reader_done(b, c);
	if (r != 0)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 0)) {
			if (versionp != NULL)
				*versionp = pg_u64(res, i, 2);
			continue;
		}
		if ((r = cb(pg_u64(res, i, 0), pg_str(res, i, 1), arg)) != 0)
			break;
	}
	PQclear(res);
	return r;
}

struct lock_arg {
	const char *user, *by, *reason;
	uint64_t until, now;
	int lock;
};

static int
lock_fn(struct pgtx *t, void *arg)
{
	struct lock_arg *a = arg;
	struct jstore_event ev;
	struct pgp p = { .n = 0 };
	PGresult *res;
	int r, had;

	pg_param_str(&p, a->user);
	if (!a->lock) {
		if ((r = pg_exec(t->c, "DELETE FROM jit_locks WHERE \"user\" = $1",
		    &p, &res)) != 0)
			return r;
		had = atoi(PQcmdTuples(res)) > 0;
		PQclear(res);
		if (!had)
			return JIT_ERR_NOT_FOUND;	/* nothing written */
	} else {
		pg_param_u64(&p, a->until);
		pg_param_str(&p, a->reason);
		if ((r = pg_exec(t->c, "INSERT INTO jit_locks VALUES ($1, $2, $3) "
		    "ON CONFLICT (\"user\") DO UPDATE SET until = $2, reason = $3",
		    &p, NULL)) != 0)
			return r;
	}
	store_lock_event(&ev, a->lock, a->user, a->until, a->by, a->reason,
	    a->now);
	return pg_append_tx(t, &ev, 1);
}

int
pg_lock(struct store_be *b, const char *user, uint64_t until, const char *by,
    const char *reason, uint64_t now)
{
	struct lock_arg a = { user, by, reason, until, now, 1 };
	int r;

	if (b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = store_lock_check(1, user, until, by, reason, now)) != 0)
		return r;
	return pg_run_write(b, lock_fn, &a);
}

int
pg_unlock(struct store_be *b, const char *user, const char *by,
    const char *reason, uint64_t now)
{
	struct lock_arg a = { user, by, reason, 0, now, 0 };
	int r;

	if (b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = store_lock_check(0, user, 0, by, reason, now)) != 0)
		return r;
	return pg_run_write(b, lock_fn, &a);
}

int
pg_locked(struct store_be *b, const char *user, uint64_t now,
    uint64_t *untilp, char **reasonp)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	PGconn *c;
	uint64_t until;
	int r, held = 0;

	if (b == NULL || user == NULL || untilp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*untilp = 0;
	if (reasonp != NULL)
		*reasonp = NULL;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	pg_param_str(&p, user);
	r = pg_exec(c, "SELECT until, reason FROM jit_locks WHERE \"user\" = $1",
	    &p, &res);
	pg_reader_done(b, c);
	if (r != 0)
		return r;
	if (PQntuples(res) == 1) {
		until = pg_u64(res, 0, 0);
		held = until == 0 || until > now;
		if (held && reasonp != NULL &&
		    (*reasonp = strdup(pg_str(res, 0, 1))) == NULL)
			r = JIT_ERR_ALLOC;
		*untilp = held ? until : 0;
	}
	PQclear(res);
	return r != 0 ? r : held;
}

/* user's TOTP record, checked against the latest enroll event. */
static int
totp_read(PGconn *c, const char *user, int for_update, struct jstore_totp *t)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	char dg[64];
	int r;

	memset(t, 0, sizeof(*t));
	pg_param_str(&p, user);
	if ((r = pg_exec(c, for_update ?
	    "SELECT encode(t.secret, 'hex'), t.last_step, t.failures, t.locked_until, "
	    "t.enroll_seq, (SELECT max(seq) FROM jit_events WHERE event = "
	    "'enroll' AND \"user\" = $1), (SELECT fingerprint FROM jit_events "
	    "WHERE seq = t.enroll_seq AND event = 'enroll' AND \"user\" = $1) "
	    "FROM jit_totp t WHERE \"user\" = $1 FOR UPDATE OF t" :
	    "SELECT encode(t.secret, 'hex'), t.last_step, t.failures, t.locked_until, "
	    "t.enroll_seq, (SELECT max(seq) FROM jit_events WHERE event = "
	    "'enroll' AND \"user\" = $1), (SELECT fingerprint FROM jit_events "
	    "WHERE seq = t.enroll_seq AND event = 'enroll' AND \"user\" = $1) "
	    "FROM jit_totp t WHERE \"user\" = $1", &p, &res)) != 0)
		return r;
	if (PQntuples(res) != 1)
		r = JIT_ERR_NOT_FOUND;
	else if (pg_bytes(res, 0, 0, t->secret, sizeof(t->secret),
	    &t->secret_len) != 0)
		r = JIT_ERR_STORE_CORRUPT;
	else {
		t->last_step = pg_u64(res, 0, 1);
		t->failures = (uint32_t)pg_u64(res, 0, 2);
		t->locked_until = pg_u64(res, 0, 3);
		t->enroll_seq = pg_u64(res, 0, 4);
		/* Only the latest enrollment's record, with its secret. */
		if (t->enroll_seq != pg_u64(res, 0, 5) ||
		    store_secret_digest(t->secret, t->secret_len, dg) != 0 ||
		    strcmp(dg, pg_str(res, 0, 6)) != 0)
			r = JIT_ERR_STORE_TAMPERED;
	}
	/* The result held the secret: wipe it before it is freed. */
	if (PQntuples(res) == 1)
		OPENSSL_cleanse(PQgetvalue(res, 0, 0),
		    strlen(PQgetvalue(res, 0, 0)));
	PQclear(res);
	if (r != 0)
		OPENSSL_cleanse(t, sizeof(*t));
	return r;
}

int
pg_totp_write(PGconn *c, const char *user, const struct jstore_totp *t)
{
	struct pgp p = { .n = 0 };

	pg_param_str(&p, user);
	pg_param_bin(&p, t->secret, t->secret_len);
	pg_param_u64(&p, t->last_step);
	pg_param_u64(&p, t->failures);
	pg_param_u64(&p, t->locked_until);
	pg_param_u64(&p, t->enroll_seq);
	return pg_exec(c, "INSERT INTO jit_totp VALUES ($1, $2, $3, $4, $5, $6) "
	    "ON CONFLICT (\"user\") DO UPDATE SET secret = $2, last_step = $3, "
	    "failures = $4, locked_until = $5, enroll_seq = $6", &p, NULL);
}

struct totp_arg {
	const char *user;
	const unsigned char *secret;
	size_t len;
	uint64_t now;
	struct jstore_totp_check *c;
	int outcome;
};

static int
enroll_fn(struct pgtx *t, void *arg)
{
	struct totp_arg *a = arg;
	struct jstore_totp rec;
	struct jstore_event ev;
	char dg[64];
	int r;

	if ((r = store_secret_digest(a->secret, a->len, dg)) != 0)
		return r;
	store_enroll_event(&ev, a->user, dg, a->now);
	if ((r = pg_append_tx(t, &ev, 1)) != 0)
		return r;
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.secret, a->secret, a->len);
	rec.secret_len = a->len;
	rec.enroll_seq = ev.seq;
	r = pg_totp_write(t->c, a->user, &rec);
	OPENSSL_cleanse(&rec, sizeof(rec));
	return r;
}

int
pg_totp_enroll(struct store_be *b, const char *user,
    const unsigned char *secret, size_t len, uint64_t now)
{
	struct totp_arg a = { user, secret, len, now, NULL, 0 };

	if (b == NULL || user == NULL || *user == '\0' || secret == NULL ||
	    len == 0 || len > 64 || strlen(user) > PG_NAME_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	return pg_run_write(b, enroll_fn, &a);
}

int
pg_totp_get(struct store_be *b, const char *user, struct jstore_totp *t)
{
	PGconn *c;
	int r;

	if (b == NULL || user == NULL || t == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	r = totp_read(c, user, 0, t);
	pg_reader_done(b, c);
	return r;
}

/*
 * The record is read FOR UPDATE: a check on another instance waits for
 * this one to commit, so each code counts once and failures add up.
 */
static int
check_fn(struct pgtx *t, void *arg)
{
	struct totp_arg *a = arg;
	struct store_totp_outcome o;
	struct jstore_totp rec;
	int r;

	if ((r = totp_read(t->c, a->user, 1, &rec)) != 0 ||
	    (r = store_totp_decide(&rec, a->c, a->user, &o)) != 0)
		goto out;
	a->outcome = o.result;
	if ((r = pg_totp_write(t->c, a->user, &rec)) == 0 && o.nev != 0)
		r = pg_append_tx(t, o.ev, o.nev);
 out:
	OPENSSL_cleanse(&rec, sizeof(rec));
	if (r == JIT_ERR_TOTP_LOCKED)
		a->outcome = r;
	return r;
}

int
pg_totp_check(struct store_be *b, const char *user,
    struct jstore_totp_check *c)
{
	struct totp_arg a = { user, NULL, 0, 0, c, 0 };
	int r;

	if (b == NULL || user == NULL || c == NULL || c->verify == NULL ||
	    *user == '\0' || strlen(user) > PG_NAME_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = pg_run_write(b, check_fn, &a)) != 0)
		return r;
	return a.outcome;
}
