/*
 * import.c: jstore_copy() into an empty PostgreSQL store (jit-ssh-ca store
 * copy), in one transaction: every event as it is, checked against the
 * chain as it goes; then the state beside the log, read through the
 * source's own interface; then the serial sequence past every serial.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jit-err.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"

struct imp {
	struct pgtx *t;
	struct jstore *src;
	uint64_t count;
	/* users with enroll / lock events, to copy their records */
	char **users;
	size_t nusers;
	int err;
};

static int
note_user(struct imp *m, const char *user)
{
	char **n;
	size_t i;

	for (i = 0; i < m->nusers; i++)
		if (strcmp(m->users[i], user) == 0)
			return 0;
	if ((n = realloc(m->users, (m->nusers + 1) * sizeof(*n))) == NULL)
		return JIT_ERR_ALLOC;
	m->users = n;
	if ((n[m->nusers] = strdup(user)) == NULL)
		return JIT_ERR_ALLOC;
	m->nusers++;
	return 0;
}

static int
copy_event(const struct jstore_event *ev, void *arg)
{
	struct imp *m = arg;
	unsigned char h[32];
	int r;

	/* The source's chain, checked link by link: a break stops the copy. */
	if (ev->seq != m->t->seq + 1 ||
	    (r = store_chain_hash(m->t->hash, ev, h)) != 0 ||
	    CRYPTO_memcmp(h, ev->hash, 32) != 0) {
		m->err = JIT_ERR_STORE_TAMPERED;
		return -1;
	}
	if ((r = pg_insert_event(m->t->c, ev, 0)) != 0) {
		m->err = r;
		return -1;
	}
	if ((strcmp(ev->event, "enroll") == 0 || strcmp(ev->event, "lock") == 0) &&
	    (r = note_user(m, ev->user)) != 0) {
		m->err = r;
		return -1;
	}
	m->t->seq = ev->seq;
	memcpy(m->t->hash, ev->hash, 32);
	m->count++;
	return 0;
}

static int
copy_request(const struct jstore_request *r, void *arg)
{
	struct imp *m = arg;

	return (m->err = pg_request_write(m->t->c, r)) != 0 ? -1 : 0;
}

static int
copy_revoked(uint64_t serial, const char *key_id, void *arg)
{
	struct imp *m = arg;
	struct pgp p = { .n = 0 };

	pg_param_u64(&p, serial);
	pg_param_str(&p, key_id);
	/* The end of its validity, from its issue event (copied above). */
	m->err = pg_exec(m->t->c, "INSERT INTO jit_revoked SELECT $1, $2, "
	    "valid_before FROM jit_events WHERE event = 'issue' AND serial = $1 "
	    "ORDER BY seq LIMIT 1", &p, NULL);
	return m->err != 0 ? -1 : 0;
}

/* Each noted user's TOTP record and lock record, as the source has them. */
static int
copy_user_state(struct imp *m)
{
	struct jstore_totp t;
	struct pgp p;
	uint64_t until;
	char *reason;
	size_t i;
	int r;

	for (i = 0; i < m->nusers; i++) {
		const char *u = m->users[i];

		if ((r = jstore_totp_get(m->src, u, &t)) == 0) {
			r = pg_totp_write(m->t->c, u, &t);
			OPENSSL_cleanse(&t, sizeof(t));
		}
		if (r != 0 && r != JIT_ERR_NOT_FOUND)
			return r;
		/* now 1: a record is "held" whatever its end; copy it all. */
		reason = NULL;
		if ((r = jstore_locked(m->src, u, 1, &until, &reason)) < 0)
			return r;
		if (r == 1) {
			p.n = 0;
			pg_param_str(&p, u);
			pg_param_u64(&p, until);
			pg_param_str(&p, reason);
			r = pg_exec(m->t->c, "INSERT INTO jit_locks VALUES ($1, $2, "
			    "$3)", &p, NULL);
		} else
			r = 0;
		free(reason);
		if (r != 0)
			return r;
	}
	return 0;
}

int
pg_import_from(struct store_be *b, struct jstore *src, uint64_t *countp)
{
	struct pgtx t = { b, NULL, 0, 0, 0, { 0 } };
	struct imp m = { &t, src, 0, NULL, 0, 0 };
	PGresult *res = NULL;
	uint64_t last, before;
	size_t i;
	int r;

	*countp = 0;
	if (b->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	/* The leader's connection, outside the group commit: nobody else
	 * writes to a store being filled. */
	if ((r = pg_reader(b, &t.c)) != 0)
		return r;
	if ((r = pg_exec(t.c, "BEGIN", NULL, NULL)) != 0)
		goto out;
	if ((r = pg_lock_head(&t)) != 0 ||
	    (r = pg_exec(t.c, "SELECT (SELECT count(*) FROM jit_events) + "
	    "(SELECT count(*) FROM jit_requests) + (SELECT count(*) FROM "
	    "jit_totp) + (SELECT count(*) FROM jit_locks) + (SELECT count(*) "
	    "FROM jit_revoked) + (SELECT count(*) FROM jit_live)", NULL,
	    &res)) != 0)
		goto fail;
	if (t.seq != 0 || pg_u64(res, 0, 0) != 0) {
		r = JIT_ERR_EXISTS;	/* only into an empty store */
		goto fail;
	}
	do {
		before = m.count;
		if ((r = jstore_events_after(src, t.seq, 1000, copy_event, &m,
		    &last)) != 0) {
			r = m.err != 0 ? m.err : r;
			goto fail;
		}
	} while (m.count != before);
	PQclear(res);
	res = NULL;
	if ((r = jstore_request_list(src, 0, copy_request, &m)) != 0 ||
	    (r = copy_user_state(&m)) != 0 ||
	    (r = jstore_revoked(src, 0, copy_revoked, &m, NULL)) != 0) {
		r = m.err != 0 ? m.err : r;
		goto fail;
	}
	{
		struct pgp p = { .n = 0 };

		pg_param_u64(&p, t.seq);
		pg_param_bin(&p, t.hash, 32);
		if ((r = pg_exec(t.c, "UPDATE jit_head SET seq = $1, hash = $2",
		    &p, NULL)) != 0 ||
		    /* The live index, from the log (as verify derives it). */
		    (r = pg_exec(t.c, "INSERT INTO jit_live SELECT serial, "
		    "\"user\", valid_before FROM jit_events e WHERE event = "
		    "'issue' AND serial <> 0 AND \"user\" <> '' AND valid_before > "
		    "extract(epoch FROM now())::numeric AND NOT EXISTS (SELECT 1 "
		    "FROM jit_events v WHERE v.event = 'revoke' AND v.serial = "
		    "e.serial) ON CONFLICT DO NOTHING", NULL, NULL)) != 0 ||
		    (r = pg_exec(t.c, "INSERT INTO jit_live_count SELECT \"user\", "
		    "count(*) FROM jit_live GROUP BY \"user\"", NULL, NULL)) != 0 ||
		    (r = pg_exec(t.c, "SELECT setval('jit_serial', greatest(1, "
		    "(SELECT max(serial) FROM jit_events))::bigint, "
		    "(SELECT max(serial) FROM jit_events) IS NOT NULL)", NULL, NULL)) != 0)
			goto fail;
	}
	if ((r = pg_exec(t.c, "COMMIT", NULL, NULL)) != 0)
		goto out;
	*countp = m.count;
	goto out;
 fail:
	(void)pg_exec(t.c, "ROLLBACK", NULL, NULL);
 out:
	PQclear(res);
	pg_reader_done(b, t.c);
	for (i = 0; i < m.nusers; i++)
		free(m.users[i]);
	free(m.users);
	return r;
}
