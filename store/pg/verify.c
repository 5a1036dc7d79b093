/*
 * verify.c: the state tables of a PostgreSQL store re-derived from the
 * log (derive.c, as for LMDB) and compared row by row: requests,
 * revocations, locks, TOTP records and the serial sequence.  The indexes
 * are the database's own, so there are none of ours to check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"

struct pv {
	void (*cb)(const char *what, void *arg);
	void *arg;
	size_t nbad;
};

static void __attribute__((format(printf, 2, 3)))
vbad(struct pv *v, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->nbad++;
	v->cb(line, v->arg);
}

static int
feed(const struct jstore_event *ev, void *arg)
{
	return store_derive_event(arg, ev);
}

static int
vrequests(struct pv *v, struct derive *d, const PGresult *res)
{
	const struct store_derived_request *dr;
	struct jstore_request *r;
	char why[512];
	int i, e;

	for (i = 0; i < PQntuples(res); i++) {
		if ((e = pg_request_row(res, i, &r)) != 0)
			return e;
		dr = store_derive_request(d, r->id);
		if (store_request_disagrees(r, dr, why, sizeof(why)))
			vbad(v, "%s", why);
		jstore_request_free(r);
	}
	if ((size_t)PQntuples(res) != store_derive_count(d,
	    STORE_DERIVED_REQUESTS))
		vbad(v, "requests: %d records, the log has %zu requests",
		    PQntuples(res), store_derive_count(d, STORE_DERIVED_REQUESTS));
	return 0;
}

#define NREADS	7

/* The live index: what the log says is live, each user's counter right. */
static void
vlive(struct pv *v, struct derive *d, const PGresult *rows,
    const PGresult *counts)
{
	const struct store_derived_live *dl;
	size_t n = 0;
	int k;

	for (k = 0; k < PQntuples(rows); k++) {
		if (pg_u64(rows, k, 2) <= store_derive_horizon(d))
			continue;	/* expired: pruned later, or not */
		n++;
		dl = store_derive_live(d, pg_u64(rows, k, 0));
		if (dl == NULL || strcmp(dl->user, pg_str(rows, k, 1)) != 0)
			vbad(v, "live: serial %llu is not a live certificate of %s "
			    "in the log", (unsigned long long)pg_u64(rows, k, 0),
			    pg_str(rows, k, 1));
	}
	if (n != store_derive_count(d, STORE_DERIVED_LIVE))
		vbad(v, "live: %zu live certificates indexed, the log has %zu (an "
		    "entry was removed: the cap would let more through)",
		    n, store_derive_count(d, STORE_DERIVED_LIVE));
	for (k = 0; k < PQntuples(counts); k++)
		if (pg_u64(counts, k, 1) != pg_u64(counts, k, 2))
			vbad(v, "live: %s's counter says %llu, the index holds %llu",
			    pg_str(counts, k, 0),
			    (unsigned long long)pg_u64(counts, k, 1),
			    (unsigned long long)pg_u64(counts, k, 2));
}

/* One code record: the sealed secret enroll recorded, the counters. */
static void
vtotp_row(struct pv *v, const PGresult *res, int k,
    const struct store_derived_enroll *de)
{
	struct jstore_totp t;
	char dg[64], why[256];
	const char *user = pg_str(res, k, 0);

	memset(&t, 0, sizeof(t));
	if (pg_bytes(res, k, 2, t.secret, sizeof(t.secret), &t.secret_len) != 0)
		vbad(v, "totp %s: the secret does not read", user);
	else if (de->digest[0] != '\0' && (store_secret_digest(t.secret,
	    t.secret_len, dg) != 0 || strcmp(dg, de->digest) != 0))
		vbad(v, "totp %s: the secret is not the one enroll event %llu "
		    "recorded", user, (unsigned long long)de->seq);
	else {
		t.failures = (uint32_t)pg_u64(res, k, 3);
		t.locked_until = pg_u64(res, k, 4);
		t.last_step = pg_u64(res, k, 5);
		if (store_totp_disagrees(user, &t, de, why, sizeof(why)))
			vbad(v, "%s", why);
	}
	jit_wipe(&t, sizeof(t));
}

int
pg_verify_state(struct store_be *b, void (*cb)(const char *what, void *arg),
    void *arg, size_t *nbadp)
{
	static const char *const reads[] = {
		"SELECT " REQ_COLS_PUBLIC " FROM jit_requests",
		"SELECT serial FROM jit_revoked",
		"SELECT \"user\", until, reason FROM jit_locks",
		"SELECT \"user\", enroll_seq, encode(secret, 'hex'), failures, "
		    "locked_until, last_step FROM jit_totp",
		"SELECT CASE WHEN is_called THEN last_value + 255 ELSE 0 END "
		    "FROM jit_serial",
		"SELECT serial, \"user\", valid_before FROM jit_live",
		"SELECT c.\"user\", c.n, (SELECT count(*) FROM jit_live l WHERE "
		    "l.\"user\" = c.\"user\") FROM jit_live_count c",
	};
	PGresult *res[NREADS] = { NULL };
	struct pv v = { cb, arg, 0 };
	struct derive *d;
	const struct store_derived_lock *dl;
	const struct store_derived_enroll *de;
	uint64_t last = 0;
	PGconn *c;
	size_t i;
	int k, r;

	if (b == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((d = store_derive_new(jit_now())) == NULL)
		return JIT_ERR_ALLOC;
	/* The log and the tables from one snapshot. */
	if ((r = pg_reader(b, &c)) != 0) {
		store_derive_free(d);
		return r;
	}
	if ((r = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    NULL, NULL)) != 0)
		goto out;
	do {
		PGresult *ev;
		struct jstore_event e;
		struct pgp p = { .n = 0 };

		pg_param_u64(&p, last);
		if ((r = pg_exec(c, "SELECT " PG_EVENT_SELECT " FROM jit_events "
		    "WHERE seq > $1 ORDER BY seq LIMIT 5000", &p, &ev)) != 0)
			goto out;
		for (k = 0; k < PQntuples(ev) && r == 0; k++) {
			pg_event_row(ev, k, &e);
			r = feed(&e, d);
			last = e.seq;
		}
		i = (size_t)PQntuples(ev);
		PQclear(ev);
		if (r != 0)
			goto out;
	} while (i > 0);
	for (i = 0; i < NREADS; i++)
		if ((r = pg_exec(c, reads[i], NULL, &res[i])) != 0)
			goto out;
	if ((r = vrequests(&v, d, res[0])) != 0)
		goto out;
	for (k = 0; k < PQntuples(res[1]); k++)
		if (!store_derive_revoked(d, pg_u64(res[1], k, 0)))
			vbad(&v, "revoked: serial %llu has no revoke event",
			    (unsigned long long)pg_u64(res[1], k, 0));
	if ((size_t)PQntuples(res[1]) != store_derive_count(d,
	    STORE_DERIVED_REVOKED))
		vbad(&v, "revoked: %d serials in the table, %zu revoke events "
		    "in the log", PQntuples(res[1]),
		    store_derive_count(d, STORE_DERIVED_REVOKED));
	for (k = 0; k < PQntuples(res[2]); k++) {
		dl = store_derive_lock(d, pg_str(res[2], k, 0));
		if (dl == NULL)
			vbad(&v, "lock %s: no lock event in the log, or an "
			    "unlock after it", pg_str(res[2], k, 0));
		else if (dl->until != pg_u64(res[2], k, 1) ||
		    strcmp(dl->reason, pg_str(res[2], k, 2)) != 0)
			vbad(&v, "lock %s: the record is not the log's last "
			    "lock event", pg_str(res[2], k, 0));
	}
	if ((size_t)PQntuples(res[2]) != store_derive_count(d,
	    STORE_DERIVED_LOCKS))
		vbad(&v, "locks: %d records, the log has %zu users locked (a "
		    "lock was removed: that user could get certificates)",
		    PQntuples(res[2]), store_derive_count(d, STORE_DERIVED_LOCKS));
	for (k = 0; k < PQntuples(res[3]); k++) {
		de = store_derive_enroll(d, pg_str(res[3], k, 0));
		if (de == NULL)
			vbad(&v, "totp %s: no enroll event in the log",
			    pg_str(res[3], k, 0));
		else if (de->seq != pg_u64(res[3], k, 1))
			vbad(&v, "totp %s: the record is from enroll event %llu, "
			    "the latest is %llu", pg_str(res[3], k, 0),
			    (unsigned long long)pg_u64(res[3], k, 1),
			    (unsigned long long)de->seq);
		else
			vtotp_row(&v, res[3], k, de);
	}
	if ((size_t)PQntuples(res[3]) != store_derive_count(d,
	    STORE_DERIVED_ENROLLS))
		vbad(&v, "totp: %d records, %zu users enrolled in the log",
		    PQntuples(res[3]), store_derive_count(d,
		    STORE_DERIVED_ENROLLS));
	if (pg_u64(res[4], 0, 0) < store_derive_max_serial(d))
		vbad(&v, "the serial sequence's last block ends at %llu, below "
		    "serial %llu in "
		    "the log (it was rewound: serials would repeat)",
		    (unsigned long long)pg_u64(res[4], 0, 0),
		    (unsigned long long)store_derive_max_serial(d));
	vlive(&v, d, res[5], res[6]);
	r = v.nbad == 0 ? 0 : JIT_ERR_STORE_TAMPERED;
 out:
	for (i = 0; i < NREADS; i++)
		PQclear(res[i]);
	(void)pg_exec(c, "ROLLBACK", NULL, NULL);
	pg_reader_done(b, c);
	store_derive_free(d);
	if (nbadp != NULL)
		*nbadp = v.nbad;
	return r;
}
