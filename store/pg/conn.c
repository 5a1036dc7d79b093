/*
 * conn.c: connections (one for the group commit's leader, a few for
 * readers), statements, errors, the group commit in SQL, the schema, and
 * opening and closing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-err.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"

const struct jstore_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.set_clients = pg_set_clients,
	.set_live_cap = pg_set_live_cap,
	.next_serial = pg_next_serial,
	.append = pg_append,
	.query = pg_query,
	.events_after = pg_events_after,
	.head = pg_head,
	.changes = pg_changes,
	.verify_state = pg_verify_state,
	.verify = pg_verify,
	.revoke = pg_revoke,
	.revoke_many = pg_revoke_many,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.locked = pg_locked,
	.user_serials = pg_user_serials,
	.cert_info = pg_cert_info,
	.revoked = pg_revoked,
	.totp_enroll = pg_totp_enroll,
	.totp_get = pg_totp_get,
	.totp_check = pg_totp_check,
	.request_create = pg_request_create,
	.request_get = pg_request_get,
	.request_approve = pg_request_approve,
	.request_deny = pg_request_deny,
	.request_cancel = pg_request_cancel,
	.request_mark = pg_request_mark,
	.request_issue = pg_request_issue,
	.request_expire = pg_request_expire,
	.request_list = pg_request_list,
	.request_list_open = pg_request_list_open,
	.session_start = pg_session_start,
	.session_append = pg_session_append,
	.session_end = pg_session_end,
	.session_get = pg_session_get,
	.session_read = pg_session_read,
	.import_from = pg_import_from,
};

void
pg_param_str(struct pgp *p, const char *s)
{
	p->v[p->n] = s != NULL ? s : "";
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

void
pg_param_u64(struct pgp *p, uint64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRIu64, v);
	pg_param_str(p, p->num[p->n]);
}

void
pg_param_bin(struct pgp *p, const void *d, size_t len)
{
	p->v[p->n] = d;
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

/*
 * SQLSTATE classes: 08 connection, 57P0x shutdown, 25006 read-only (a
 * standby after a failover), 53 resources: the database is unavailable,
 * try again.  40001/40P01 (serialization, deadlock): busy.
 */
static void conn_read_only_seen(void);

int
pg_error(PGconn *c, const PGresult *res)
{
	const char *st = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (c == NULL || PQstatus(c) != CONNECTION_OK)
		return JIT_ERR_STORE_UNAVAILABLE;
	if (st == NULL)
		return JIT_ERR_STORE_UNAVAILABLE;	/* no answer at all */
	if (strcmp(st, "25006") == 0) {
		conn_read_only_seen();
		return JIT_ERR_STORE_UNAVAILABLE;
	}
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0 ||
	    strncmp(st, "53", 2) == 0)
		return JIT_ERR_STORE_UNAVAILABLE;
	if (strcmp(st, "23505") == 0)
		return JIT_ERR_EXISTS;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		return JIT_ERR_STORE_BUSY;
	if (strcmp(st, "42P01") == 0 || strcmp(st, "42703") == 0)
		return JIT_ERR_STORE_FOREIGN;
	return JIT_ERR_STORE;
}

/*
 * Prepared statements: each distinct statement text with parameters gets a
 * name the first time it is run, and is prepared once per server session
 * (a connection that was reset has a new backend, so it prepares again):
 * the server parses and plans it once, not at every issuance.
 */
#define STMTS_MAX	96
#define PREPS_MAX	64

static struct {
	pthread_mutex_t lock;
	char *sql[STMTS_MAX];
	size_t n;
	struct {
		const PGconn *c;
		int pid;
		unsigned gen;	/* ro_gen when its session was (re)opened */
		unsigned char done[STMTS_MAX];
	} conn[PREPS_MAX];
	unsigned ro_gen;	/* read-only refusals seen (25006) */
} prep = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Statement number of sql (registered on first sight), or -1: too many. */
static int
stmt_number(const char *sql)
{
	size_t i;
	int k = -1;

	pthread_mutex_lock(&prep.lock);
	for (i = 0; i < prep.n; i++)
		if (strcmp(prep.sql[i], sql) == 0) {
			k = (int)i;
			break;
		}
	if (k < 0 && prep.n < STMTS_MAX &&
	    (prep.sql[prep.n] = strdup(sql)) != NULL)
		k = (int)prep.n++;
	pthread_mutex_unlock(&prep.lock);
	return k;
}

/* Whether statement k is prepared on c's current server session. */
static int
stmt_ready(PGconn *c, int k, int set)
{
	int pid = PQbackendPID(c), i, free_i = -1, ready = 0;

	pthread_mutex_lock(&prep.lock);
	for (i = 0; i < PREPS_MAX; i++) {
		if (prep.conn[i].c == c)
			break;
		if (prep.conn[i].c == NULL && free_i < 0)
			free_i = i;
	}
	if (i == PREPS_MAX && free_i >= 0) {
		i = free_i;
		prep.conn[i].c = c;
		prep.conn[i].pid = 0;
	}
	if (i < PREPS_MAX) {
		if (prep.conn[i].pid != pid) {	/* a new session: none */
			memset(prep.conn[i].done, 0, sizeof(prep.conn[i].done));
			prep.conn[i].pid = pid;
		}
		if (set)
			prep.conn[i].done[k] = 1;
		ready = prep.conn[i].done[k];
	}
	pthread_mutex_unlock(&prep.lock);
	return ready;
}

/*
 * A server session refused a write as read-only (25006): it was opened
 * while the database was read-only (default_transaction_read_only, or a
 * standby), and stays so; so may every other session this process opened
 * before.  Each is reset at its next use (target_session_attrs and all),
 * so the CA recovers by itself once the database is writable.
 */
static void
conn_read_only_seen(void)
{
	pthread_mutex_lock(&prep.lock);
	prep.ro_gen++;
	pthread_mutex_unlock(&prep.lock);
}

/* c's slot (made when missing), called locked; -1 when the table is full. */
static int
conn_slot(const PGconn *c)
{
	int i, free_i = -1;

	for (i = 0; i < PREPS_MAX; i++) {
		if (prep.conn[i].c == c)
			return i;
		if (prep.conn[i].c == NULL && free_i < 0)
			free_i = i;
	}
	if (free_i >= 0) {
		prep.conn[free_i].c = c;
		prep.conn[free_i].pid = 0;
		prep.conn[free_i].gen = 0;
	}
	return free_i;
}

/* Whether c's session is older than the last read-only refusal. */
static int
conn_stale(const PGconn *c)
{
	int i, stale;

	pthread_mutex_lock(&prep.lock);
	i = conn_slot(c);
	stale = i >= 0 && prep.conn[i].gen != prep.ro_gen;
	pthread_mutex_unlock(&prep.lock);
	return stale;
}

/* c's session was just (re)opened. */
static void
conn_fresh(const PGconn *c)
{
	int i;

	pthread_mutex_lock(&prep.lock);
	if ((i = conn_slot(c)) >= 0)
		prep.conn[i].gen = prep.ro_gen;
	pthread_mutex_unlock(&prep.lock);
}

/* c is closed: its slot may serve another. */
static void
stmt_forget(const PGconn *c)
{
	int i;

	pthread_mutex_lock(&prep.lock);
	for (i = 0; i < PREPS_MAX; i++)
		if (prep.conn[i].c == c)
			prep.conn[i].c = NULL;
	pthread_mutex_unlock(&prep.lock);
}

static PGresult *
exec_params(PGconn *c, const char *sql, const struct pgp *p)
{
	PGresult *res;
	char name[16];
	int k;

	if (p == NULL || p->n == 0)
		return PQexec(c, sql);
	if ((k = stmt_number(sql)) < 0)
		return PQexecParams(c, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	snprintf(name, sizeof(name), "jit%d", k);
	if (!stmt_ready(c, k, 0)) {
		res = PQprepare(c, name, sql, p->n, NULL);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
			return res;
		PQclear(res);
		(void)stmt_ready(c, k, 1);
	}
	return PQexecPrepared(c, name, p->n, p->v, p->len, p->fmt, 0);
}

/*
 * A statement that starts no work of a transaction in progress (the
 * connection was idle) and finds the connection dead, as after a server
 * restart or a failover, is tried once more on a new connection: nothing
 * of it was done.  Inside a transaction the error stands (and the
 * transaction is lost, so nothing of it is written).
 */
int
pg_exec(PGconn *c, const char *sql, const struct pgp *p, PGresult **resp)
{
	PGresult *res;
	ExecStatusType st;
	int idle = PQtransactionStatus(c) == PQTRANS_IDLE, r = 0;

	if (resp != NULL)
		*resp = NULL;
	res = exec_params(c, sql, p);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && idle &&
	    PQstatus(c) != CONNECTION_OK) {
		PQclear(res);
		PQreset(c);
		res = exec_params(c, sql, p);
		st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		r = pg_error(c, res);
	if (r == 0 && resp != NULL)
		*resp = res;
	else
		PQclear(res);
	return r;
}

uint64_t
pg_u64(const PGresult *res, int i, int col)
{
	const char *v = PQgetvalue(res, i, col);

	return v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : 0;
}

const char *
pg_str(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? "" : PQgetvalue(res, i, col);
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int
pg_bytes(const PGresult *res, int i, int col, unsigned char *out, size_t max,
    size_t *lenp)
{
	const char *v = PQgetvalue(res, i, col);
	size_t n, k;
	int hi, lo;

	/* encode(x, 'hex'), or bytea's own hex output ("\x..."). */
	if (v == NULL)
		return JIT_ERR_STORE_CORRUPT;
	if (strncmp(v, "\\x", 2) == 0)
		v += 2;
	if ((n = strlen(v)) % 2 != 0 || n / 2 > max)
		return JIT_ERR_STORE_CORRUPT;
	for (k = 0; k < n / 2; k++) {
		if ((hi = hexval(v[2 * k])) < 0 || (lo = hexval(v[2 * k + 1])) < 0)
			return JIT_ERR_STORE_CORRUPT;
		out[k] = (unsigned char)(hi << 4 | lo);
	}
	*lenp = n / 2;
	return 0;
}

/* A connection that works, or JIT_ERR_STORE_UNAVAILABLE. */
int
pg_ready(struct store_be *b, PGconn **cp)
{
	if (*cp == NULL) {
		*cp = PQconnectdb(b->conninfo);
		if (*cp == NULL)
			return JIT_ERR_ALLOC;
		conn_fresh(*cp);
	} else if (PQstatus(*cp) != CONNECTION_OK ||
	    PQtransactionStatus(*cp) != PQTRANS_IDLE || conn_stale(*cp)) {
		PQreset(*cp);	/* again, down the host list */
		conn_fresh(*cp);
	}
	if (PQstatus(*cp) != CONNECTION_OK)
		return JIT_ERR_STORE_UNAVAILABLE;
	return 0;
}

int
pg_reader(struct store_be *b, PGconn **cp)
{
	int i, r;

	pthread_mutex_lock(&b->rlock);
	for (;;) {
		for (i = 0; i < PG_READERS && b->busy[i]; i++)
			;
		if (i < PG_READERS)
			break;
		pthread_cond_wait(&b->rcond, &b->rlock);
	}
	b->busy[i] = 1;
	pthread_mutex_unlock(&b->rlock);
	/* Slot i is ours alone now. */
	if ((r = pg_ready(b, &b->readers[i])) != 0) {
		pg_reader_done(b, b->readers[i]);
		return r;
	}
	*cp = b->readers[i];
	return 0;
}

void
pg_reader_done(struct store_be *b, PGconn *c)
{
	int i;

	pthread_mutex_lock(&b->rlock);
	for (i = 0; i < PG_READERS; i++)
		if (b->busy[i] && b->readers[i] == c) {
			b->busy[i] = 0;
			break;
		}
	pthread_cond_signal(&b->rcond);
	pthread_mutex_unlock(&b->rlock);
}

/*
 * Schema version 1.  Sequence numbers are bigint; the other integers
 * (seconds, serials) are unsigned 64-bit in the store, so numeric(20).
 */
static const char *const schema_v1[] = {
	"CREATE TABLE jit_meta (name text PRIMARY KEY, value text NOT NULL)",
	"CREATE TABLE jit_head (one boolean PRIMARY KEY DEFAULT true "
	    "CHECK (one), seq bigint NOT NULL, hash bytea NOT NULL)",
	"INSERT INTO jit_head VALUES (true, 0, "
	    "'\\x0000000000000000000000000000000000000000000000000000000000000000')",
	"CREATE TABLE jit_events (seq bigint PRIMARY KEY, time numeric(20) NOT NULL, "
	    "event text NOT NULL, \"user\" text NOT NULL, role text NOT NULL, "
	    "serial numeric(20) NOT NULL, key_id text NOT NULL, "
	    "principals text NOT NULL, valid_after numeric(20) NOT NULL, "
	    "valid_before numeric(20) NOT NULL, fingerprint text NOT NULL, "
	    "source text NOT NULL, reason text NOT NULL, "
	    "request_id text NOT NULL, approvers text NOT NULL, "
	    "instance text NOT NULL, hash bytea NOT NULL)",
	"CREATE INDEX jit_events_time ON jit_events (time)",
	"CREATE INDEX jit_events_user ON jit_events (\"user\")",
	"CREATE INDEX jit_events_role ON jit_events (role)",
	"CREATE INDEX jit_events_serial ON jit_events (serial) WHERE serial <> 0",
	"CREATE INDEX jit_events_fp ON jit_events (fingerprint) "
	    "WHERE fingerprint <> ''",
	"CREATE INDEX jit_events_req ON jit_events (request_id) "
	    "WHERE request_id <> ''",
	/* A user's latest enrollment, which a TOTP record must come from. */
	"CREATE INDEX jit_events_enroll ON jit_events (\"user\", seq) "
	    "WHERE event = 'enroll'",
	"CREATE INDEX jit_events_live ON jit_events (\"user\", valid_before) "
	    "WHERE event = 'issue'",
	/* Blocks of PG_SERIAL_BLOCK serials: nextval is the first. */
	"CREATE SEQUENCE jit_serial MINVALUE 1 INCREMENT 256",
	"CREATE TABLE jit_revoked (serial numeric(20) PRIMARY KEY, "
	    "key_id text NOT NULL, valid_before numeric(20) NOT NULL)",
	/* Live certificates per user: the cap without reading the history. */
	"CREATE TABLE jit_live (serial numeric(20) PRIMARY KEY, "
	    "\"user\" text NOT NULL, valid_before numeric(20) NOT NULL)",
	"CREATE INDEX jit_live_user ON jit_live (\"user\", valid_before)",
	"CREATE TABLE jit_live_count (\"user\" text PRIMARY KEY, "
	    "n bigint NOT NULL)",
	"CREATE TABLE jit_locks (\"user\" text PRIMARY KEY, "
	    "until numeric(20) NOT NULL, reason text NOT NULL)",
	"CREATE TABLE jit_totp (\"user\" text PRIMARY KEY, secret bytea NOT NULL, "
	    "last_step numeric(20) NOT NULL, failures numeric(20) NOT NULL, "
	    "locked_until numeric(20) NOT NULL, enroll_seq bigint NOT NULL)",
	"CREATE TABLE jit_requests (id text PRIMARY KEY, "
	    "\"user\" text NOT NULL, role text NOT NULL, "
	    "principals text NOT NULL, pubkey text NOT NULL, "
	    "fingerprint text NOT NULL, reason text NOT NULL, "
	    "source text NOT NULL, approver_groups text NOT NULL, "
	    "approvers text NOT NULL, ttl numeric(20) NOT NULL, "
	    "created numeric(20) NOT NULL, serial numeric(20) NOT NULL, "
	    "expires numeric(20) NOT NULL, pickup_ttl numeric(20) NOT NULL, "
	    "quorum numeric(20) NOT NULL, state integer NOT NULL, "
	    "flags integer NOT NULL)",
	/*
	 * One event appended in one call, as pg_append_tx() does it in
	 * several: the checks of an issue event (0 ok, 1 locked, 2 over the
	 * live cap: nothing written), the row, the live index.  A refusal is
	 * an answer, not an error, so the shared transaction goes on without
	 * a savepoint around the call.
	 */
	"CREATE FUNCTION jit_append1(p_seq bigint, p_time numeric, p_event text, "
	    "p_user text, p_role text, p_serial numeric, p_key_id text, "
	    "p_principals text, p_va numeric, p_vb numeric, p_fp text, "
	    "p_source text, p_reason text, p_req text, p_appr text, "
	    "p_inst text, p_hash bytea, p_now numeric, p_cap bigint, "
	    "p_live boolean) RETURNS integer LANGUAGE plpgsql AS $$ "
	    "DECLARE live bigint; "
	    "BEGIN "
	    "IF p_event = 'issue' THEN "
	    " IF EXISTS (SELECT 1 FROM jit_locks WHERE \"user\" = p_user AND "
	    "  (until = 0 OR until > p_now)) THEN RETURN 1; END IF; "
	    " IF p_cap > 0 AND p_serial <> 0 THEN "
	    "  WITH gone AS (DELETE FROM jit_live WHERE \"user\" = p_user AND "
	    "   valid_before <= p_now RETURNING 1) UPDATE jit_live_count c SET "
	    "   n = c.n - (SELECT count(*) FROM gone) WHERE c.\"user\" = p_user "
	    "   RETURNING c.n INTO live; "
	    "  IF coalesce(live, 0) + 1 > p_cap THEN RETURN 2; END IF; "
	    " END IF; "
	    "END IF; "
	    "INSERT INTO jit_events VALUES (p_seq, p_time, p_event, p_user, "
	    " p_role, p_serial, p_key_id, p_principals, p_va, p_vb, p_fp, "
	    " p_source, p_reason, p_req, p_appr, p_inst, p_hash); "
	    "IF p_live THEN "
	    " INSERT INTO jit_live VALUES (p_serial, p_user, p_vb) "
	    "  ON CONFLICT DO NOTHING; "
	    " IF FOUND THEN INSERT INTO jit_live_count VALUES (p_user, 1) ON "
	    "  CONFLICT (\"user\") DO UPDATE SET n = jit_live_count.n + 1; "
	    " END IF; "
	    "ELSIF p_event = 'revoke' AND p_serial <> 0 THEN "
	    " WITH gone AS (DELETE FROM jit_live WHERE serial = p_serial "
	    "  RETURNING \"user\") UPDATE jit_live_count l SET n = l.n - 1 "
	    "  FROM gone WHERE l.\"user\" = gone.\"user\"; "
	    "END IF; "
	    "RETURN 0; "
	    "END $$",
	"CREATE INDEX jit_requests_open ON jit_requests (expires) "
	    "WHERE state IN (1, 2)",
	"CREATE INDEX jit_requests_user ON jit_requests (\"user\") "
	    "WHERE state IN (1, 2)",
	NULL
};

/* Creates the schema when there is none; refuses another's or a newer one. */
int
pg_schema(PGconn *c, int rdonly)
{
	PGresult *res = NULL;
	struct pgp p = { .n = 0 };
	char ver[16];
	size_t i;
	int r;

	/* One instance at a time creates or migrates (advisory lock). */
	if ((r = pg_exec(c, "BEGIN", NULL, NULL)) != 0)
		return r;
	if (!rdonly && (r = pg_exec(c, "SELECT pg_advisory_xact_lock(7305218)",
	    NULL, NULL)) != 0)
		goto fail;
	if ((r = pg_exec(c, "SELECT to_regclass('jit_meta') IS NOT NULL, "
	    "(SELECT count(*) FROM pg_tables WHERE schemaname = "
	    "current_schema())", NULL, &res)) != 0)
		goto fail;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		if (rdonly) {
			r = JIT_ERR_NOT_FOUND;
			goto fail;
		}
		if (pg_u64(res, 0, 1) != 0) {
			r = JIT_ERR_STORE_FOREIGN;	/* someone else's tables */
			goto fail;
		}
		for (i = 0; schema_v1[i] != NULL; i++)
			if ((r = pg_exec(c, schema_v1[i], NULL, NULL)) != 0)
				goto fail;
		snprintf(ver, sizeof(ver), "%d", PG_SCHEMA_VERSION);
		pg_param_str(&p, ver);
		if ((r = pg_exec(c, "INSERT INTO jit_meta VALUES "
		    "('magic', 'jit-ssh store'), ('schema', $1)", &p,
		    NULL)) != 0)
			goto fail;
	} else {
		PQclear(res);
		res = NULL;
		if ((r = pg_exec(c, "SELECT (SELECT value FROM jit_meta WHERE "
		    "name = 'magic'), (SELECT value FROM jit_meta WHERE "
		    "name = 'schema')", NULL, &res)) != 0)
			goto fail;
		if (strcmp(pg_str(res, 0, 0), "jit-ssh store") != 0) {
			r = JIT_ERR_STORE_FOREIGN;
			goto fail;
		}
		/* Newer than this build: refuse; older: migrate (none yet). */
		if (atoi(pg_str(res, 0, 1)) != PG_SCHEMA_VERSION) {
			r = JIT_ERR_STORE_FOREIGN;
			goto fail;
		}
	}
	/*
	 * Recordings' tables, added to schema 1 stores as they open (only
	 * when missing: a read-only transaction refuses even CREATE TABLE IF
	 * NOT EXISTS).
	 */
	PQclear(res);
	res = NULL;
	if (!rdonly) {
		if ((r = pg_exec(c, "SELECT to_regclass('jit_chunks') IS NOT NULL",
		    NULL, &res)) != 0)
			goto fail;
		for (i = 0; strcmp(PQgetvalue(res, 0, 0), "t") != 0 &&
		    pg_session_schema[i] != NULL; i++)
			if ((r = pg_exec(c, pg_session_schema[i], NULL, NULL)) != 0)
				goto fail;
	}
	PQclear(res);
	return pg_exec(c, "COMMIT", NULL, NULL);
 fail:
	PQclear(res);
	(void)pg_exec(c, "ROLLBACK", NULL, NULL);
	return r;
}

/* where, with key=value added unless it names key already. */
static char *
with_default(const char *where, const char *key, const char *value)
{
	int url = strncmp(where, "postgres", 8) == 0;
	char *out;

	if (strstr(where, key) != NULL)
		return strdup(where);
	if (asprintf(&out, "%s%s%s=%s", where, !url ? " " :
	    strchr(where, '?') != NULL ? "&" : "?", key, value) == -1)
		return NULL;
	return out;
}

int
pg_open(const char *where, int flags, uint64_t map_size, struct store_be **bp)
{
	struct store_be *b;
	char host[64];
	int r;

	(void)map_size;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return JIT_ERR_ALLOC;
	/*
	 * A dead host must not hold a writer for long: 5 s unless told.
	 * Text goes both ways as UTF-8 (the store keeps UTF-8 only), whatever
	 * the database's encoding.
	 */
	b->conninfo = with_default(where, "connect_timeout", "5");
	if (b->conninfo != NULL) {
		char *c = with_default(b->conninfo, "client_encoding", "UTF8");

		free(b->conninfo);
		b->conninfo = c;
	}
	if (b->conninfo == NULL) {
		free(b);
		return JIT_ERR_ALLOC;
	}
	b->rdonly = (flags & JSTORE_RDONLY) != 0;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(b->instance, sizeof(b->instance), "%s:%ld", host,
	    (long)getpid());
	atomic_init(&b->live_cap, 0);
	pthread_mutex_init(&b->rlock, NULL);
	pthread_mutex_init(&b->slock, NULL);
	pthread_mutex_init(&b->llock, NULL);
	atomic_init(&b->heard, 0);
	atomic_init(&b->changes, 0);
	b->oneshot = (flags & JSTORE_ONESHOT) != 0;
	pthread_cond_init(&b->rcond, NULL);
	pg_commit_init(b);
	/* The first connection tells whether the database is there at all. */
	if ((r = pg_ready(b, &b->wconn)) != 0 ||
	    (r = pg_schema(b->wconn, b->rdonly)) != 0) {
		pg_close(b);
		return r;
	}
	*bp = b;
	return 0;
}

void
pg_close(struct store_be *b)
{
	int i;

	if (b == NULL)
		return;
	pg_listen_stop(b);
	if (b->wconn != NULL) {
		stmt_forget(b->wconn);
		PQfinish(b->wconn);
	}
	for (i = 0; i < PG_READERS; i++)
		if (b->readers[i] != NULL) {
			stmt_forget(b->readers[i]);
			PQfinish(b->readers[i]);
		}
	gcommit_destroy(&b->gc);
	pthread_mutex_destroy(&b->rlock);
	pthread_mutex_destroy(&b->slock);
	pthread_mutex_destroy(&b->llock);
	pthread_cond_destroy(&b->rcond);
	free(b->conninfo);
	free(b);
}

void
pg_set_clients(struct store_be *b, unsigned n)
{
	gcommit_set_clients(&b->gc, n);
}

void
pg_set_live_cap(struct store_be *b, unsigned cap)
{
	atomic_store(&b->live_cap, cap);
}
