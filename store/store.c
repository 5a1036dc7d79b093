/*
 * store.c: the LMDB side of the store.  The only file that includes
 * <lmdb.h>; MDB_* codes become JIT_ERR_* here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "store-impl.h"

#define STORE_MAGIC	"jit-ssh store 1"
#define SERIAL_BLOCK	256
#define KEY_MAX		256	/* user, role, request id, event name */
#define GATHER_NS	300000L		/* 0.3 ms for the last batch's writers */
#define GATHER_BUSY_NS	8000000L	/* 8 ms while other clients keep busy */
#define GATHER_MAX	32		/* never wait for more than this */
#define INDEX_BATCH	1024	/* events indexed together */

enum { DB_META, DB_EVENTS, DB_TIME, DB_USER, DB_ROLE, DB_SERIAL, DB_FP,
    DB_REQ, DB_REVOKED, DB_TOTP, DB_REQUESTS, DB_OPEN, DB_LIVE, DB_COUNT };

static const char *const db_names[DB_COUNT] = { "meta", "events", "i_time",
    "i_user", "i_role", "i_serial", "i_fp", "i_req", "revoked", "totp",
    "requests", "open", "live" };

struct pending {
	int (*fn)(struct jstore *, MDB_txn *, void *);
	void *arg;
	int done, result;
	struct pending *next;
	pthread_cond_t wake;	/* signalled for this writer only */
};

struct jstore {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	int rdonly;
	int no_open_index;	/* read-only, store older than DB_OPEN */
	int no_live_index;	/* read-only, store older than DB_LIVE */
	atomic_uint live_cap;	/* jstore_set_live_cap(); 0: none */
	/* group commit */
	pthread_mutex_t wlock;
	struct pending *queue, *tail;
	int leader;
	size_t queued, last_batch;	/* requests waiting; size of the last batch */
	int gathering;			/* a leader waits for the queue to fill */
	size_t gather_want;		/* ...until this many have queued */
	atomic_uint clients;		/* jstore_set_clients() */
	unsigned spare;			/* clients that keep the CPUs busy */
	pthread_cond_t qcond;
	/* serial reservation */
	pthread_mutex_t slock;
	uint64_t serial_next, serial_end, serial_block;
	EVP_MD *sha256;
};

static int
mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return JIT_ERR_NOT_FOUND;
	case MDB_KEYEXIST:
		return JIT_ERR_EXISTS;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_PAGE_FULL:
		return JIT_ERR_STORE_FULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_PANIC:
	case MDB_BAD_TXN:
		return JIT_ERR_STORE_CORRUPT;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		return JIT_ERR_STORE_FOREIGN;
	case MDB_READERS_FULL:
		return JIT_ERR_STORE_BUSY;
	case ENOMEM:
		return JIT_ERR_ALLOC;
	default:
		if (rc > 0) {
			errno = rc;
			return JIT_ERR_SYSTEM;
		}
		return JIT_ERR_STORE;
	}
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int
jstore_event_known(const char *name)
{
	static const char *const known[] = { "issue", "request", "approve",
	    "deny", "expire", "revoke", "auth-fail", "mfa-fail", "lockout",
	    "policy-reload", "break-glass", "enroll", "issue-host", "lock",
	    "unlock", "remind", "escalate", NULL };
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], name) == 0)
			return 1;
	return 0;
}

/* ---- opening ---- */

static int open_index_build(struct jstore *s, MDB_txn *txn);
static int live_index_build(struct jstore *s, MDB_txn *txn);

static int
init_or_check(struct jstore *s)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	MDB_dbi main_dbi;
	MDB_stat st;
	unsigned int flags;
	int rc, r, i, fresh = 0;

	if ((rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0,
	    &txn)) != 0)
		return mdb_err(rc);
	/* An environment with no meta database must be empty to be ours. */
	if ((rc = mdb_dbi_open(txn, db_names[DB_META], 0,
	    &s->dbi[DB_META])) == MDB_NOTFOUND) {
		if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
		    (rc = mdb_stat(txn, main_dbi, &st)) != 0) {
			r = mdb_err(rc);
			goto out;
		}
		if (st.ms_entries != 0) {
			r = JIT_ERR_STORE_FOREIGN;
			goto out;
		}
		if (s->rdonly) {
			r = JIT_ERR_NOT_FOUND;
			goto out;
		}
		fresh = 1;
	} else if (rc != 0) {
		r = mdb_err(rc);
		goto out;
	}
	for (i = 0; i < DB_COUNT; i++) {
		flags = fresh ? MDB_CREATE : 0;
		if (i == DB_TIME || i == DB_USER || i == DB_ROLE ||
		    i == DB_SERIAL || i == DB_FP || i == DB_REQ)
			flags |= MDB_DUPSORT | MDB_DUPFIXED;
		/* Stores made before these indexes get them here. */
		if ((i == DB_OPEN || i == DB_LIVE) && !fresh &&
		    (rc = mdb_dbi_open(txn, db_names[i], 0,
		    &s->dbi[i])) == MDB_NOTFOUND) {
			if (s->rdonly) {
				*(i == DB_OPEN ? &s->no_open_index :
				    &s->no_live_index) = 1;
				continue;
			}
			if ((rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE,
			    &s->dbi[i])) != 0 || (r = i == DB_OPEN ?
			    open_index_build(s, txn) : live_index_build(s,
			    txn)) != 0) {
				r = rc != 0 ? mdb_err(rc) : r;
				goto out;
			}
			continue;
		}
		if ((rc = mdb_dbi_open(txn, db_names[i], flags,
		    &s->dbi[i])) != 0) {
			r = rc == MDB_NOTFOUND ? JIT_ERR_STORE_CORRUPT :
			    rc == MDB_INCOMPATIBLE ? JIT_ERR_STORE_FOREIGN :
			    mdb_err(rc);
			goto out;
		}
	}
	k.mv_data = (void *)(uintptr_t)"magic";
	k.mv_size = 5;
	if (fresh) {
		v.mv_data = (void *)(uintptr_t)STORE_MAGIC;
		v.mv_size = strlen(STORE_MAGIC);
		if ((rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0)) != 0) {
			r = mdb_err(rc);
			goto out;
		}
	} else {
		rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
		if (rc == MDB_NOTFOUND || (rc == 0 &&
		    (v.mv_size != strlen(STORE_MAGIC) ||
		    memcmp(v.mv_data, STORE_MAGIC, v.mv_size) != 0))) {
			r = JIT_ERR_STORE_FOREIGN;
			goto out;
		}
		if (rc != 0) {
			r = mdb_err(rc);
			goto out;
		}
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	r = mdb_err(rc);
 out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return r;
}

int
jstore_open(const char *dir, int flags, uint64_t map_size, struct jstore **sp)
{
	struct jstore *s = NULL;
	struct stat st;
	int rc, r = JIT_ERR_INTERNAL;

	if (sp == NULL || dir == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*sp = NULL;
	if (stat(dir, &st) == -1) {
		if (errno != ENOENT || (flags & JSTORE_RDONLY))
			return errno == ENOENT ? JIT_ERR_NOT_FOUND : JIT_ERR_SYSTEM;
		if (mkdir(dir, 0700) == -1)
			return JIT_ERR_SYSTEM;
	} else if (!S_ISDIR(st.st_mode))
		return JIT_ERR_STORE_FOREIGN;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return JIT_ERR_ALLOC;
	s->rdonly = (flags & JSTORE_RDONLY) != 0;
	s->serial_block = (flags & JSTORE_ONESHOT) ? 1 : SERIAL_BLOCK;
	atomic_init(&s->clients, 0);
	atomic_init(&s->live_cap, 0);
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		s->spare = 4 * (unsigned)(ncpu > 0 ? ncpu : 1);
	}
	pthread_mutex_init(&s->wlock, NULL);
	pthread_mutex_init(&s->slock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	if ((s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, DB_COUNT + 2)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 512)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, map_size != 0 ? map_size :
	    JSTORE_MAPSIZE_DEFAULT)) != 0) {
		r = mdb_err(rc);
		goto out;
	}
	/*
	 * Default durability: no MDB_NOSYNC, MDB_MAPASYNC or MDB_WRITEMAP.
	 * MDB_NOTLS: read transactions are not tied to threads.
	 */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS |
	    (s->rdonly ? MDB_RDONLY : 0), 0600)) != 0) {
		r = mdb_err(rc);
		goto out;
	}
	if ((r = init_or_check(s)) != 0)
		goto out;
	*sp = s;
	s = NULL;
	r = 0;
 out:
	jstore_close(s);
	return r;
}

void
jstore_close(struct jstore *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	EVP_MD_free(s->sha256);
	pthread_mutex_destroy(&s->wlock);
	pthread_mutex_destroy(&s->slock);
	pthread_cond_destroy(&s->qcond);
	free(s);
}

/* ---- group commit ---- */

/*
 * Errors a write function reports before it writes anything: the others
 * (a full map, I/O, corruption) may strike half-way through its writes.
 */
static int
logical_error(int r)
{
	switch (r) {
	case JIT_ERR_NOT_FOUND:
	case JIT_ERR_EXISTS:
	case JIT_ERR_INVALID_ARGUMENT:
	case JIT_ERR_STRING_TOO_LARGE:
	case JIT_ERR_NO_BUFFER_SPACE:
	case JIT_ERR_TOTP_REPLAY:
	case JIT_ERR_TOTP_LOCKED:
	case JIT_ERR_BAD_TEXT:
	case JIT_ERR_USER_LOCKED:
	case JIT_ERR_CERT_CAP:
	case JIT_ERR_REQUEST_SELF:
	case JIT_ERR_REQUEST_DECIDED:
		return 1;
	default:
		return 0;
	}
}

/* One request in a transaction of its own (the slow, isolating path). */
static void
commit_one(struct jstore *s, struct pending *p)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		p->result = mdb_err(rc);
		return;
	}
	if ((p->result = p->fn(s, txn, p->arg)) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		p->result = mdb_err(rc);
}

/*
 * Applies a batch in one transaction.  Write functions check before they
 * write, so a logical refusal leaves the transaction clean for the others.
 * Any other failure may have left half a request behind: then the whole
 * transaction is dropped and each request is redone on its own, so only
 * the one that fails fails.
 */
static void
commit_batch(struct jstore *s, struct pending *batch)
{
	struct pending *p;
	MDB_txn *txn = NULL;
	int rc, any = 0;

	if (batch->next == NULL) {
		commit_one(s, batch);
		return;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		for (p = batch; p != NULL; p = p->next)
			p->result = mdb_err(rc);
		return;
	}
	for (p = batch; p != NULL; p = p->next) {
		p->result = p->fn(s, txn, p->arg);
		if (p->result == 0)
			any = 1;
		else if (!logical_error(p->result)) {
			mdb_txn_abort(txn);
			for (p = batch; p != NULL; p = p->next)
				commit_one(s, p);
			return;
		}
	}
	if (!any) {
		mdb_txn_abort(txn);
		return;
	}
	/* The durable commit: nobody is answered before it returns. */
	if ((rc = mdb_txn_commit(txn)) != 0)
		for (p = batch; p != NULL; p = p->next)
			if (p->result == 0)
				p->result = mdb_err(rc);
}

static int index_catch_up(struct jstore *s, uint64_t min_lag);

/*
 * When the last batch was shared, more writers are about: wait a moment for
 * them, or the new leader commits alone and the others wait a whole commit
 * more.  Called with wlock held; a lone writer never waits.
 *
 * Every durable commit costs page writes and two flushes, and on a virtual
 * disk these cost the machine far more than a few ms of waiting: at 32
 * concurrent logins on 2 cores, committing ~10 at a time instead of ~5 gave
 * the CA 3-9 more points of the bare server's throughput and a lower p99.
 * But a writer waiting here is a client not using the CPU: with 8 clients
 * the same wait starved the machine (58% instead of 79%).  So the long wait
 * applies only while at least `spare` (4 per CPU) other clients of the
 * owner, as told by jstore_set_clients(), still have work to do; otherwise
 * the leader waits up to 0.3 ms for the last batch's writers to return.
 */
static void
gather(struct jstore *s)
{
	struct timespec deadline;
	unsigned clients = atomic_load(&s->clients);
	long ns = GATHER_NS;

	s->gather_want = s->last_batch;
	if (clients > s->spare + 1) {
		s->gather_want = clients - s->spare;
		if (s->gather_want > GATHER_MAX)
			s->gather_want = GATHER_MAX;
		ns = GATHER_BUSY_NS;
	}
	if (s->last_batch <= 1 || s->queued >= s->gather_want)
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ns / 1000000000L;
	deadline.tv_nsec += ns % 1000000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	s->gathering = 1;
	while (s->queued < s->gather_want &&
	    pthread_cond_timedwait(&s->qcond, &s->wlock, &deadline) == 0)
		;
	s->gathering = 0;
}

void
jstore_set_clients(struct jstore *s, unsigned n)
{
	atomic_store(&s->clients, n);
}

/*
 * Runs fn inside a write transaction shared with whatever other threads
 * queued meanwhile; returns when that transaction is durable (or failed).
 * The first waiter becomes the leader and commits for everybody queued.
 * Each writer sleeps on its own condition: the leader wakes exactly the
 * writers it answered, then the head of the queue to lead the next batch
 * (a broadcast would wake everybody queued, only to sleep again).
 */
static int
run_write(struct jstore *s, int (*fn)(struct jstore *, MDB_txn *, void *),
    void *arg)
{
	struct pending p = { fn, arg, 0, 0, NULL, PTHREAD_COND_INITIALIZER };
	struct pending *batch, *q, *next;

	if (s->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&s->wlock);
	if (s->tail != NULL)
		s->tail->next = &p;
	else
		s->queue = &p;
	s->tail = &p;
	s->queued++;
	if (s->gathering && s->queued >= s->gather_want)
		pthread_cond_signal(&s->qcond);
	while (!p.done) {
		if (s->leader) {
			pthread_cond_wait(&p.wake, &s->wlock);
			continue;
		}
		s->leader = 1;
		gather(s);
		batch = s->queue;
		s->last_batch = s->queued;
		s->queue = s->tail = NULL;
		s->queued = 0;
		pthread_mutex_unlock(&s->wlock);
		commit_batch(s, batch);
		pthread_mutex_lock(&s->wlock);
		for (q = batch; q != NULL; q = next) {
			next = q->next;	/* q may vanish once done is seen */
			q->done = 1;
			if (q != &p)
				pthread_cond_signal(&q->wake);
		}
		/*
		 * Still the leader, but the batch is answered: bring the
		 * indexes up to date now and then.  A failure (a full map)
		 * only lets them lag; queries stay right.
		 */
		pthread_mutex_unlock(&s->wlock);
		(void)index_catch_up(s, INDEX_BATCH);
		pthread_mutex_lock(&s->wlock);
		s->leader = 0;
		if (s->queue != NULL)
			pthread_cond_signal(&s->queue->wake);
	}
	pthread_mutex_unlock(&s->wlock);
	pthread_cond_destroy(&p.wake);
	return p.result;
}

/* ---- serials ---- */

static int
get_meta_u64(struct jstore *s, MDB_txn *txn, const char *name, uint64_t *out)
{
	MDB_val k, v;
	int rc;

	*out = 0;
	k.mv_data = (void *)(uintptr_t)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return mdb_err(rc);
	if (v.mv_size != 8)
		return JIT_ERR_STORE_CORRUPT;
	*out = get_be64(v.mv_data);
	return 0;
}

static int
put_meta_u64(struct jstore *s, MDB_txn *txn, const char *name, uint64_t val)
{
	unsigned char buf[8];
	MDB_val k, v;

	put_be64(buf, val);
	k.mv_data = (void *)(uintptr_t)name;
	k.mv_size = strlen(name);
	v.mv_data = buf;
	v.mv_size = 8;
	return mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}


static int
reserve_serials(struct jstore *s, MDB_txn *txn, void *arg)
{
	uint64_t *range = arg, hwm;
	int r;

	if ((r = get_meta_u64(s, txn, "serial_hwm", &hwm)) != 0)
		return r;
	if (hwm > UINT64_MAX - range[2] - 1)
		return JIT_ERR_STORE_FULL;
	range[0] = hwm + 1;
	range[1] = hwm + range[2] + 1;	/* exclusive end */
	return put_meta_u64(s, txn, "serial_hwm", hwm + range[2]);
}

int
jstore_next_serial(struct jstore *s, uint64_t *serialp)
{
	uint64_t range[3];
	int r = 0;

	if (s == NULL || serialp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*serialp = 0;
	pthread_mutex_lock(&s->slock);
	if (s->serial_next == s->serial_end) {
		range[2] = s->serial_block;
		if ((r = run_write(s, reserve_serials, range)) == 0) {
			s->serial_next = range[0];
			s->serial_end = range[1];
		}
	}
	if (r == 0)
		*serialp = s->serial_next++;
	pthread_mutex_unlock(&s->slock);
	return r;
}

/* ---- events ---- */

/* Index key for a fingerprint: the 32 raw bytes of "SHA256:<b64>". */
static int
fp_key(const char *fp, unsigned char out[32], size_t *lenp)
{
	struct jbuf *b;
	char tmp[64];
	int r;

	*lenp = 0;
	if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 7 + 43)
		return JIT_ERR_INVALID_FORMAT;
	memcpy(tmp, fp + 7, 43);
	tmp[43] = '=';
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_b64tod(b, tmp, 44, 0)) == 0 && jbuf_len(b) != 32)
		r = JIT_ERR_INVALID_FORMAT;
	if (r == 0) {
		memcpy(out, jbuf_ptr(b), 32);
		*lenp = 32;
	}
	jbuf_free(b);
	return r;
}

static int
index_put(struct jstore *s, MDB_txn *txn, int db, const void *key,
    size_t klen, const unsigned char seqbe[8])
{
	MDB_val k, v;

	if (klen == 0)
		return 0;
	if (klen > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	v.mv_data = (void *)(uintptr_t)seqbe;
	v.mv_size = 8;
	return mdb_err(mdb_put(txn, s->dbi[db], &k, &v, 0));
}

struct append_arg {
	struct jstore_event *evs;
	size_t n;
};

static int
get_head(struct jstore *s, MDB_txn *txn, uint64_t *seq, unsigned char hash[32])
{
	MDB_val k, v;
	int rc;

	k.mv_data = (void *)(uintptr_t)"head";
	k.mv_size = 4;
	rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		memset(hash, 0, 32);
		return 0;
	}
	if (rc != 0)
		return mdb_err(rc);
	if (v.mv_size != 40)
		return JIT_ERR_STORE_CORRUPT;
	*seq = get_be64(v.mv_data);
	memcpy(hash, (unsigned char *)v.mv_data + 8, 32);
	return 0;
}

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
	put_be64(buf + ul + 1, valid_before);
	put_be64(buf + ul + 9, serial);
	return ul + 17;
}

static int meta_user_key(const char *prefix, const char *user, char *buf,
    size_t size, MDB_val *k);

/*
 * Each user's number of keys in DB_LIVE, kept beside them in the meta
 * database ("live:USER", be64), so the cap is checked without counting.
 */
static int
live_counter(struct jstore *s, MDB_txn *txn, const char *user, int64_t delta,
    uint64_t *np)
{
	char kb[KEY_MAX + 16];
	unsigned char nb[8];
	MDB_val k, v;
	uint64_t n = 0;
	int rc, r;

	if ((r = meta_user_key("live", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0 &&
	    v.mv_size == 8)
		n = get_be64(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_err(rc);
	if (delta < 0 && n < (uint64_t)-delta)
		return JIT_ERR_STORE_CORRUPT;
	n = delta < 0 ? n - (uint64_t)-delta : n + (uint64_t)delta;
	if (np != NULL)
		*np = n;
	if (delta == 0)
		return 0;
	put_be64(nb, n);
	v.mv_data = nb;
	v.mv_size = 8;
	return mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

static int
live_event(struct jstore *s, MDB_txn *txn, const struct jstore_event *ev)
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
		return mdb_err(rc);
	return live_counter(s, txn, ev->user, issue ? 1 : -1, NULL);
}

/*
 * Removes user's expired keys from the front (they sort by expiry: always
 * right to do, and each key is removed once), then *np is the number of
 * certificates still live, from the counter.
 */
static int
live_count(struct jstore *s, MDB_txn *txn, const char *user, uint64_t now,
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
		return mdb_err(rc);
	k.mv_data = kb;
	k.mv_size = ul + 1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    k.mv_size == ul + 17 && memcmp(k.mv_data, kb, ul + 1) == 0 &&
	    get_be64((const unsigned char *)k.mv_data + ul + 1) <= now;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		gone++;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_err(rc);
	return live_counter(s, txn, user, -gone, np);
}

/* A store made before DB_LIVE: index what the log says is live. */
static int
live_index_build(struct jstore *s, MDB_txn *txn)
{
	struct jstore_event ev;
	struct jbuf *scratch;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t now = (uint64_t)time(NULL);
	int rc, e = 0;

	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		jbuf_free(scratch);
		return mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (v.mv_size < 32 || (e = store_event_decode(
		    (unsigned char *)v.mv_data + 32, v.mv_size - 32, &ev,
		    scratch)) != 0)
			break;
		/* In log order: a revoke after its issue removes it. */
		if (ev.valid_before > now || strcmp(ev.event, "revoke") == 0)
			e = live_event(s, txn, &ev);
	}
	mdb_cursor_close(cur);
	jbuf_free(scratch);
	if (e != 0)
		return e;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : mdb_err(rc);
}

void
jstore_set_live_cap(struct jstore *s, unsigned cap)
{
	if (s != NULL)
		atomic_store(&s->live_cap, cap);
}

static int
append_one(struct jstore *s, MDB_txn *txn, struct jstore_event *ev,
    struct jbuf *canon, EVP_MD_CTX *md)
{
	unsigned char head[40], seqbe[8];
	uint64_t seq;
	MDB_val k, v;
	unsigned int hl;
	int r, rc;

	if ((r = get_head(s, txn, &seq, head + 8)) != 0)
		return r;
	ev->seq = seq + 1;
	if (ev->time == 0)
		ev->time = (uint64_t)time(NULL);
	jbuf_reset(canon);
	if ((r = store_event_encode(ev, canon)) != 0)
		return r;
	if (EVP_DigestInit_ex(md, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(md, head + 8, 32) != 1 ||
	    EVP_DigestUpdate(md, jbuf_ptr(canon), jbuf_len(canon)) != 1 ||
	    EVP_DigestFinal_ex(md, ev->hash, &hl) != 1 || hl != 32)
		return JIT_ERR_LIBCRYPTO;
	put_be64(seqbe, ev->seq);
	k.mv_data = seqbe;
	k.mv_size = 8;
	v.mv_size = 32 + jbuf_len(canon);
	/* MDB_RESERVE: write the value in place, no extra copy. */
	if ((rc = mdb_put(txn, s->dbi[DB_EVENTS], &k, &v,
	    MDB_APPEND | MDB_RESERVE)) != 0)
		return rc == MDB_KEYEXIST ? JIT_ERR_STORE_CORRUPT : mdb_err(rc);
	memcpy(v.mv_data, ev->hash, 32);
	memcpy((unsigned char *)v.mv_data + 32, jbuf_ptr(canon),
	    jbuf_len(canon));
	put_be64(head, ev->seq);
	memcpy(head + 8, ev->hash, 32);
	k.mv_data = (void *)(uintptr_t)"head";
	k.mv_size = 4;
	v.mv_data = head;
	v.mv_size = 40;
	if ((rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0)) != 0)
		return mdb_err(rc);
	return live_event(s, txn, ev);
}

/*
 * Indexes are derived from the log and brought up to date in batches of
 * INDEX_BATCH events, in a transaction of their own: a random index page is
 * then written once per batch instead of once per event, which keeps
 * durable commits small.  Queries read the index up to "indexed" and scan
 * the few newer events directly, so they never miss one.
 */
static int
index_event(struct jstore *s, MDB_txn *txn, const struct jstore_event *ev)
{
	unsigned char seqbe[8], tbe[8], sbe[8], fpk[32];
	size_t fpl = 0;
	int r;

	put_be64(seqbe, ev->seq);
	put_be64(tbe, ev->time);
	put_be64(sbe, ev->serial);
	if (ev->fingerprint[0] != '\0' &&
	    fp_key(ev->fingerprint, fpk, &fpl) != 0)
		return JIT_ERR_STORE_CORRUPT;
	if ((r = index_put(s, txn, DB_TIME, tbe, 8, seqbe)) != 0 ||
	    (r = index_put(s, txn, DB_USER, ev->user, strlen(ev->user),
	    seqbe)) != 0 ||
	    (r = index_put(s, txn, DB_ROLE, ev->role, strlen(ev->role),
	    seqbe)) != 0 ||
	    (ev->serial != 0 && (r = index_put(s, txn, DB_SERIAL, sbe, 8,
	    seqbe)) != 0) ||
	    (r = index_put(s, txn, DB_FP, fpk, fpl, seqbe)) != 0 ||
	    (r = index_put(s, txn, DB_REQ, ev->request_id,
	    strlen(ev->request_id), seqbe)) != 0)
		return r;
	return 0;
}

static int get_event(struct jstore *s, MDB_txn *txn, uint64_t seq,
    struct jstore_event *ev, struct jbuf *scratch);

/* Indexes every event after "indexed", when at least min_lag are waiting. */
static int
index_catch_up(struct jstore *s, uint64_t min_lag)
{
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	unsigned char head_hash[32];
	uint64_t head, indexed, seq;
	MDB_txn *txn = NULL;
	int rc, r;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return mdb_err(rc);
	if ((r = get_head(s, txn, &head, head_hash)) != 0 ||
	    (r = get_meta_u64(s, txn, "indexed", &indexed)) != 0)
		goto out;
	if (head < indexed) {
		r = JIT_ERR_STORE_CORRUPT;
		goto out;
	}
	if (head - indexed < min_lag || head == indexed)
		goto out;	/* r == 0: nothing to do yet */
	if ((scratch = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (seq = indexed + 1; seq <= head; seq++)
		if ((r = get_event(s, txn, seq, &ev, scratch)) != 0 ||
		    (r = index_event(s, txn, &ev)) != 0)
			goto out;
	if ((r = put_meta_u64(s, txn, "indexed", head)) != 0)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	r = mdb_err(rc);
 out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	jbuf_free(scratch);
	return r;
}

static int
store_append_txn(struct jstore *s, MDB_txn *txn, struct jstore_event *evs,
    size_t n)
{
	struct jbuf *canon = NULL;
	EVP_MD_CTX *md = NULL;
	size_t i;
	int r = 0;

	if ((canon = jbuf_new()) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n && r == 0; i++)
		r = append_one(s, txn, &evs[i], canon, md);
 out:
	EVP_MD_CTX_free(md);
	jbuf_free(canon);
	return r;
}

static int lock_held(struct jstore *s, MDB_txn *txn, const char *user,
    uint64_t now);

/*
 * A certificate for a locked user, or one past the user's cap on live
 * certificates, is refused in the transaction that would record it, so a
 * lock takes effect at once, even on an issuance already under way, and
 * parallel issuances cannot overshoot the cap.  Nothing but the pruning
 * of expired live keys is written before the answer.
 */
static int
issue_allowed(struct jstore *s, MDB_txn *txn, const struct jstore_event *evs,
    size_t n)
{
	unsigned cap = atomic_load(&s->live_cap);
	uint64_t live;
	size_t i, j, batch;
	uint64_t now;
	int r;

	for (i = 0; i < n; i++) {
		if (strcmp(evs[i].event, "issue") != 0)
			continue;
		now = evs[i].time != 0 ? evs[i].time : (uint64_t)time(NULL);
		if ((r = lock_held(s, txn, evs[i].user, now)) != 0)
			return r;
		if (cap == 0 || evs[i].serial == 0 || s->no_live_index)
			continue;
		for (j = 0, batch = 0; j < n; j++)
			batch += strcmp(evs[j].event, "issue") == 0 &&
			    evs[j].serial != 0 &&
			    strcmp(evs[j].user, evs[i].user) == 0;
		if ((r = live_count(s, txn, evs[i].user, now, &live)) != 0)
			return r;
		if (live + batch > cap)
			return JIT_ERR_CERT_CAP;
	}
	return 0;
}

static int
append_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct append_arg *a = arg;
	int r;

	if ((r = issue_allowed(s, txn, a->evs, a->n)) != 0)
		return r;
	return store_append_txn(s, txn, a->evs, a->n);
}

int
jstore_append(struct jstore *s, struct jstore_event *evs, size_t n)
{
	struct append_arg a = { evs, n };
	size_t i;
	int r;

	if (s == NULL || (evs == NULL && n != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n; i++)
		if ((r = store_event_check(&evs[i])) != 0)
			return r;
	if ((r = run_write(s, append_fn, &a)) != 0)
		for (i = 0; i < n; i++)
			evs[i].seq = 0;
	return r;
}

/* ---- reading ---- */

/* Reads event seq (a read or write txn); pointers live in scratch. */
static int
get_event(struct jstore *s, MDB_txn *txn, uint64_t seq,
    struct jstore_event *ev, struct jbuf *scratch)
{
	unsigned char seqbe[8];
	MDB_val k, v;
	int rc, r;

	put_be64(seqbe, seq);
	k.mv_data = seqbe;
	k.mv_size = 8;
	if ((rc = mdb_get(txn, s->dbi[DB_EVENTS], &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? JIT_ERR_STORE_CORRUPT : mdb_err(rc);
	if (v.mv_size < 32 + 8)
		return JIT_ERR_STORE_CORRUPT;
	if ((r = store_event_decode((unsigned char *)v.mv_data + 32,
	    v.mv_size - 32, ev, scratch)) != 0)
		return r;
	if (ev->seq != seq)
		return JIT_ERR_STORE_CORRUPT;
	memcpy(ev->hash, v.mv_data, 32);
	return 0;
}

static int
matches(const struct jstore_filter *f, const struct jstore_event *ev)
{
	if (f->user != NULL && strcmp(f->user, ev->user) != 0)
		return 0;
	if (f->role != NULL && strcmp(f->role, ev->role) != 0)
		return 0;
	if (f->event != NULL && strcmp(f->event, ev->event) != 0)
		return 0;
	if (f->fingerprint != NULL && strcmp(f->fingerprint,
	    ev->fingerprint) != 0)
		return 0;
	if (f->request_id != NULL && strcmp(f->request_id, ev->request_id) != 0)
		return 0;
	if (f->serial != 0 && f->serial != ev->serial)
		return 0;
	if (f->since != 0 && ev->time < f->since)
		return 0;
	if (f->until != 0 && ev->time > f->until)
		return 0;
	return 1;
}

/*
 * Candidate sequence numbers come from the most selective index the filter
 * names, walked forward (oldest first) or backward (newest first).
 */
struct walk {
	MDB_cursor *cur;
	int db, started, backward;
	int in_tail;		/* walking the not yet indexed events */
	uint64_t tail, indexed, head;
	MDB_val key;		/* the index key we are on (not for time) */
	unsigned char kbuf[KEY_MAX];
	uint64_t since, until;	/* time walks */
};

static int
walk_start(struct jstore *s, MDB_txn *txn, const struct jstore_filter *f,
    int backward, struct walk *w)
{
	unsigned char fpk[32];
	size_t fpl;
	const void *kp = NULL;
	size_t kl = 0;
	int rc;

	memset(w, 0, sizeof(*w));
	w->backward = backward;
	w->since = f->since;
	w->until = f->until;
	if (f->serial != 0) {
		put_be64(w->kbuf, f->serial);
		kp = w->kbuf;
		kl = 8;
		w->db = DB_SERIAL;
	} else if (f->request_id != NULL) {
		kp = f->request_id;
		kl = strlen(kp);
		w->db = DB_REQ;
	} else if (f->fingerprint != NULL) {
		if (fp_key(f->fingerprint, fpk, &fpl) != 0)
			return JIT_ERR_NOT_FOUND;
		kp = fpk;
		kl = fpl;
		w->db = DB_FP;
	} else if (f->user != NULL) {
		kp = f->user;
		kl = strlen(kp);
		w->db = DB_USER;
	} else if (f->role != NULL) {
		kp = f->role;
		kl = strlen(kp);
		w->db = DB_ROLE;
	} else if (f->since != 0 || f->until != 0)
		w->db = DB_TIME;
	else
		w->db = DB_EVENTS;
	if (kl > KEY_MAX || (kp != NULL && kl == 0))
		return JIT_ERR_NOT_FOUND;
	if (kp != NULL && kp != w->kbuf)
		memcpy(w->kbuf, kp, kl);
	w->key.mv_data = w->kbuf;
	w->key.mv_size = kl;
	if (w->db != DB_EVENTS) {
		unsigned char hh[32];
		int r;

		if ((r = get_head(s, txn, &w->head, hh)) != 0 ||
		    (r = get_meta_u64(s, txn, "indexed", &w->indexed)) != 0)
			return r;
		if (w->indexed > w->head)
			return JIT_ERR_STORE_CORRUPT;
		/* Newest first: the unindexed tail, then the index. */
		w->in_tail = backward;
		w->tail = backward ? w->head : w->indexed + 1;
	}
	if ((rc = mdb_cursor_open(txn, s->dbi[w->db], &w->cur)) != 0)
		return mdb_err(rc);
	return 0;
}

static int walk_index_next(struct walk *w, uint64_t *seqp);

/*
 * The next candidate seq, or JIT_ERR_NOT_FOUND at the end.  Candidates
 * from the tail are every recent event: the caller's filter decides.
 */
static int
walk_next(struct walk *w, uint64_t *seqp)
{
	int r;

	if (w->db == DB_EVENTS)
		return walk_index_next(w, seqp);
	if (!w->backward) {
		if (!w->in_tail) {
			if ((r = walk_index_next(w, seqp)) != JIT_ERR_NOT_FOUND)
				return r;
			w->in_tail = 1;
		}
		if (w->tail > w->head)
			return JIT_ERR_NOT_FOUND;
		*seqp = w->tail++;
		return 0;
	}
	if (w->in_tail) {
		if (w->tail > w->indexed) {
			*seqp = w->tail--;
			return 0;
		}
		w->in_tail = 0;
	}
	return walk_index_next(w, seqp);
}

static int
walk_index_next(struct walk *w, uint64_t *seqp)
{
	MDB_val k, v;
	unsigned char tb[8];
	MDB_cursor_op op;
	int rc;

	if (w->db == DB_EVENTS) {
		op = !w->started ? (w->backward ? MDB_LAST : MDB_FIRST) :
		    (w->backward ? MDB_PREV : MDB_NEXT);
		w->started = 1;
		if ((rc = mdb_cursor_get(w->cur, &k, &v, op)) != 0)
			return mdb_err(rc);
		if (k.mv_size != 8)
			return JIT_ERR_STORE_CORRUPT;
		*seqp = get_be64(k.mv_data);
		return 0;
	}
	if (w->db == DB_TIME) {
		if (!w->started) {
			w->started = 1;
			if (!w->backward) {
				put_be64(tb, w->since);
				k.mv_data = tb;
				k.mv_size = 8;
				rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_RANGE);
			} else if (w->until == 0 || w->until == UINT64_MAX) {
				rc = mdb_cursor_get(w->cur, &k, &v, MDB_LAST);
			} else {
				put_be64(tb, w->until + 1);
				k.mv_data = tb;
				k.mv_size = 8;
				rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_RANGE);
				if (rc == 0)
					rc = mdb_cursor_get(w->cur, &k, &v, MDB_PREV);
				else if (rc == MDB_NOTFOUND)
					rc = mdb_cursor_get(w->cur, &k, &v, MDB_LAST);
			}
		} else
			rc = mdb_cursor_get(w->cur, &k, &v,
			    w->backward ? MDB_PREV : MDB_NEXT);
		if (rc != 0)
			return mdb_err(rc);
		if (k.mv_size != 8 || v.mv_size != 8)
			return JIT_ERR_STORE_CORRUPT;
		if ((!w->backward && w->until != 0 &&
		    get_be64(k.mv_data) > w->until) ||
		    (w->backward && get_be64(k.mv_data) < w->since))
			return JIT_ERR_NOT_FOUND;
		*seqp = get_be64(v.mv_data);
		return 0;
	}
	if (!w->started) {
		w->started = 1;
		k = w->key;
		if ((rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_KEY)) != 0)
			return mdb_err(rc);
		if (w->backward && (rc = mdb_cursor_get(w->cur, &k, &v,
		    MDB_LAST_DUP)) != 0)
			return mdb_err(rc);
	} else if ((rc = mdb_cursor_get(w->cur, &k, &v,
	    w->backward ? MDB_PREV_DUP : MDB_NEXT_DUP)) != 0)
		return mdb_err(rc);
	if (v.mv_size != 8)
		return JIT_ERR_STORE_CORRUPT;
	*seqp = get_be64(v.mv_data);
	return 0;
}

int
jstore_query(struct jstore *s, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg)
{
	static const struct jstore_filter all;
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	struct walk w = { 0 };
	MDB_txn *txn = NULL;
	uint64_t seq, *seqs = NULL, n = 0, i;
	int rc, r = JIT_ERR_INTERNAL;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (f == NULL)
		f = &all;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (f->limit != 0 && (f->limit > 10000000 ||
	    (seqs = calloc(f->limit, sizeof(*seqs))) == NULL)) {
		r = f->limit > 10000000 ? JIT_ERR_INVALID_ARGUMENT : JIT_ERR_ALLOC;
		goto out;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		r = mdb_err(rc);
		goto out;
	}
	if ((r = walk_start(s, txn, f, f->limit != 0, &w)) != 0) {
		if (r == JIT_ERR_NOT_FOUND)
			r = 0;
		goto out;
	}
	/* With a limit: the newest matches, found backward, shown oldest first. */
	while ((r = walk_next(&w, &seq)) == 0) {
		if ((r = get_event(s, txn, seq, &ev, scratch)) != 0)
			goto out;
		if (!matches(f, &ev))
			continue;
		if (f->limit == 0) {
			if ((r = cb(&ev, arg)) != 0)
				goto out;
			continue;
		}
		seqs[n++] = seq;
		if (n == f->limit)
			break;
	}
	if (r != 0 && r != JIT_ERR_NOT_FOUND)
		goto out;
	for (i = n; i-- > 0;) {
		if ((r = get_event(s, txn, seqs[i], &ev, scratch)) != 0 ||
		    (r = cb(&ev, arg)) != 0)
			goto out;
	}
	r = 0;
 out:
	if (w.cur != NULL)
		mdb_cursor_close(w.cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(seqs);
	jbuf_free(scratch);
	return r;
}

int
jstore_verify(struct jstore *s, uint64_t *countp, uint64_t *bad_seqp,
    unsigned char headp[32])
{
	unsigned char prev[32] = { 0 }, h[32];
	uint64_t expect = 1, head_seq;
	unsigned char head_hash[32];
	EVP_MD_CTX *md = NULL;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	unsigned int hl;
	int rc, r = JIT_ERR_INTERNAL;

	if (s == NULL || countp == NULL || bad_seqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*countp = *bad_seqp = 0;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		r = mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
		/*
		 * The key, the seq inside the hashed bytes and the running
		 * count must agree: a dropped, inserted or swapped event
		 * breaks one of them, an edited one breaks the hash.
		 */
		if (k.mv_size != 8 || get_be64(k.mv_data) != expect ||
		    v.mv_size < 32 + 8 ||
		    get_be64((unsigned char *)v.mv_data + 32) != expect) {
			*bad_seqp = expect;
			r = JIT_ERR_STORE_TAMPERED;
			goto out;
		}
		if (EVP_DigestInit_ex(md, s->sha256, NULL) != 1 ||
		    EVP_DigestUpdate(md, prev, 32) != 1 ||
		    EVP_DigestUpdate(md, (unsigned char *)v.mv_data + 32,
		    v.mv_size - 32) != 1 ||
		    EVP_DigestFinal_ex(md, h, &hl) != 1) {
			r = JIT_ERR_LIBCRYPTO;
			goto out;
		}
		if (CRYPTO_memcmp(h, v.mv_data, 32) != 0) {
			*bad_seqp = expect;
			r = JIT_ERR_STORE_TAMPERED;
			goto out;
		}
		memcpy(prev, h, 32);
	}
	if (rc != MDB_NOTFOUND) {
		r = mdb_err(rc);
		goto out;
	}
	if ((r = get_head(s, txn, &head_seq, head_hash)) != 0)
		goto out;
	/* Events cut off the end leave the head pointing past them. */
	if (head_seq != expect - 1 || memcmp(head_hash, prev, 32) != 0) {
		*bad_seqp = head_seq > expect - 1 ? expect : head_seq + 1;
		r = JIT_ERR_STORE_TAMPERED;
		goto out;
	}
	*countp = expect - 1;
	if (headp != NULL)
		memcpy(headp, prev, 32);
	r = 0;
 out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	EVP_MD_CTX_free(md);
	return r;
}

int
jstore_events_after(struct jstore *s, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp)
{
	struct jstore_event ev;
	struct jbuf *scratch = NULL;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	unsigned char kb[8];
	MDB_val k, v;
	size_t n = 0;
	int rc, r = 0;

	if (s == NULL || cb == NULL || lastp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*lastp = after;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		r = mdb_err(rc);
		goto out;
	}
	put_be64(kb, after + 1);
	k.mv_data = kb;
	k.mv_size = 8;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	    rc == 0 && n < max; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		if (v.mv_size < 32 + 8 || (r = store_event_decode(
		    (unsigned char *)v.mv_data + 32, v.mv_size - 32, &ev,
		    scratch)) != 0) {
			r = JIT_ERR_STORE_CORRUPT;
			goto out;
		}
		memcpy(ev.hash, v.mv_data, 32);
		if ((r = cb(&ev, arg)) != 0)
			goto out;	/* this one is not done */
		*lastp = ev.seq;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		r = mdb_err(rc);
 out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	jbuf_free(scratch);
	return r;
}

int
jstore_head(struct jstore *s, uint64_t *seqp)
{
	unsigned char hh[32];
	MDB_txn *txn = NULL;
	int rc, r;

	if (s == NULL || seqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	r = get_head(s, txn, seqp, hh);
	mdb_txn_abort(txn);
	return r;
}

/* ---- user locks ---- */

struct lock_arg {
	const char *user, *by, *reason;
	uint64_t until, now;
	int lock;
};

/* A per-user key in the meta database: "PREFIX:USER" in buf. */
static int
meta_user_key(const char *prefix, const char *user, char *buf, size_t size,
    MDB_val *k)
{
	int n = snprintf(buf, size, "%s:%s", prefix, user);

	if (n < 0 || (size_t)n >= size)
		return JIT_ERR_INVALID_ARGUMENT;
	k->mv_data = buf;
	k->mv_size = (size_t)n;
	return 0;
}

/*
 * A lock record: be64 end (0: until unlocked), then the reason's bytes.
 * The same as the log's last lock event for the user, which audit verify
 * checks.
 */
static int
lock_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct lock_arg *a = arg;
	struct jstore_event ev;
	char kb[KEY_MAX + 16];
	struct jbuf *b = NULL;
	MDB_val k, v;
	int rc, r;

	if ((r = meta_user_key("lock", a->user, kb, sizeof(kb), &k)) != 0)
		return r;
	if (!a->lock) {
		if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) != 0)
			return mdb_err(rc);	/* not locked: nothing written */
	}
	memset(&ev, 0, sizeof(ev));
	ev.time = a->now;
	ev.event = a->lock ? "lock" : "unlock";
	ev.user = a->user;
	ev.valid_before = a->lock ? a->until : 0;	/* the lock's end */
	ev.source = a->by;
	ev.reason = a->reason;
	if ((r = store_append_txn(s, txn, &ev, 1)) != 0)
		return r;
	if (!a->lock)
		return mdb_err(mdb_del(txn, s->dbi[DB_META], &k, NULL));
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_put_u64(b, a->until)) == 0 && (r = jbuf_put(b,
	    a->reason != NULL ? a->reason : "", a->reason != NULL ?
	    strlen(a->reason) : 0)) == 0) {
		v.mv_data = (void *)(uintptr_t)jbuf_ptr(b);
		v.mv_size = jbuf_len(b);
		r = mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
	}
	jbuf_free(b);
	return r;
}

static int
lock_args(struct jstore *s, const char *event, const char *user,
    const char *by, const char *reason)
{
	struct jstore_event ev;

	if (s == NULL || user == NULL || *user == '\0' || by == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.user = user;
	ev.source = by;
	ev.reason = reason;
	return store_event_check(&ev);
}

int
jstore_lock(struct jstore *s, const char *user, uint64_t until,
    const char *by, const char *reason, uint64_t now)
{
	struct lock_arg a = { user, by, reason, until, now, 1 };
	int r;

	if ((r = lock_args(s, "lock", user, by, reason)) != 0)
		return r;
	if (until != 0 && until <= now)
		return JIT_ERR_INVALID_ARGUMENT;
	return run_write(s, lock_fn, &a);
}

int
jstore_unlock(struct jstore *s, const char *user, const char *by,
    const char *reason, uint64_t now)
{
	struct lock_arg a = { user, by, reason, 0, now, 0 };
	int r;

	if ((r = lock_args(s, "unlock", user, by, reason)) != 0)
		return r;
	return run_write(s, lock_fn, &a);
}

/* The lock record's end; a record that does not read holds forever. */
static uint64_t
lock_until(const MDB_val *v)
{
	return v->mv_size >= 8 ? get_be64(v->mv_data) : 0;
}

static int
lock_held(struct jstore *s, MDB_txn *txn, const char *user, uint64_t now)
{
	char kb[KEY_MAX + 16];
	MDB_val k, v;
	uint64_t until;
	int rc;

	if (user == NULL || meta_user_key("lock", user, kb, sizeof(kb), &k) != 0)
		return 0;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return mdb_err(rc);
	until = lock_until(&v);
	return until == 0 || until > now ? JIT_ERR_USER_LOCKED : 0;
}

int
jstore_locked(struct jstore *s, const char *user, uint64_t now,
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
	if ((r = meta_user_key("lock", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0) {
		until = lock_until(&v);
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
		return mdb_err(rc);
	*untilp = held ? until : 0;	/* 0: until unlocked */
	return held;
}

/* ---- derived state, re-derived from the log ---- */

static int req_read(struct jstore *s, MDB_txn *txn, const char *id,
    struct jstore_request **rp);
static int req_is_open(const struct jstore_request *r);
static int totp_read(struct jstore *s, MDB_txn *txn, const char *user,
    struct jstore_totp *t);
static int secret_digest(const unsigned char *sealed, size_t len,
    char out[64]);

struct vstate {
	struct jstore *s;
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
	return db_names[db];
}

/* One index entry the log says must exist: it must. */
static int
vindex(struct vstate *v, int db, const void *key, size_t klen,
    const unsigned char seqbe[8])
{
	MDB_val k, d;
	int rc;

	if (klen == 0)
		return 0;
	v->expect[db]++;
	if (v->cur[db] == NULL &&
	    (rc = mdb_cursor_open(v->txn, v->s->dbi[db], &v->cur[db])) != 0)
		return mdb_err(rc);
	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = klen;
	d.mv_data = (void *)(uintptr_t)seqbe;
	d.mv_size = 8;
	if ((rc = mdb_cursor_get(v->cur[db], &k, &d, MDB_GET_BOTH)) ==
	    MDB_NOTFOUND)
		vbad(v, "index %s: the entry for event %llu is missing",
		    db_label(db), (unsigned long long)get_be64(seqbe));
	else if (rc != 0)
		return mdb_err(rc);
	return 0;
}

static int
vindex_event(struct vstate *v, const struct jstore_event *ev)
{
	unsigned char seqbe[8], tbe[8], sbe[8], fpk[32];
	size_t fpl = 0;
	int r;

	put_be64(seqbe, ev->seq);
	put_be64(tbe, ev->time);
	put_be64(sbe, ev->serial);
	if (ev->fingerprint[0] != '\0' &&
	    fp_key(ev->fingerprint, fpk, &fpl) != 0)
		return JIT_ERR_STORE_CORRUPT;
	if ((r = vindex(v, DB_TIME, tbe, 8, seqbe)) != 0 ||
	    (r = vindex(v, DB_USER, ev->user, strlen(ev->user), seqbe)) != 0 ||
	    (r = vindex(v, DB_ROLE, ev->role, strlen(ev->role), seqbe)) != 0 ||
	    (ev->serial != 0 && (r = vindex(v, DB_SERIAL, sbe, 8, seqbe)) != 0) ||
	    (r = vindex(v, DB_FP, fpk, fpl, seqbe)) != 0 ||
	    (r = vindex(v, DB_REQ, ev->request_id, strlen(ev->request_id),
	    seqbe)) != 0)
		return r;
	return 0;
}

static int
vrequests(struct vstate *v, struct derive *d)
{
	const struct store_derived_request *dr;
	struct jstore_request *r;
	MDB_cursor *cur;
	MDB_val k, val;
	size_t nrec = 0;
	int rc, e = 0;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_REQUESTS], &cur)) != 0)
		return mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		nrec++;
		if (store_request_decode(val.mv_data, val.mv_size, &r) != 0) {
			vbad(v, "request %.*s: the record does not decode",
			    (int)k.mv_size, (const char *)k.mv_data);
			continue;
		}
		dr = store_derive_request(d, r->id);
		if (dr == NULL || !dr->seen)
			vbad(v, "request %s: no request event in the log", r->id);
		else if (dr->state != JSTORE_REQ_PENDING ?
		    r->state != dr->state :
		    (r->state != JSTORE_REQ_PENDING &&
		    r->state != JSTORE_REQ_APPROVED))
			vbad(v, "request %s: the record says %s, the log %s",
			    r->id, jstore_request_state_name(r->state),
			    jstore_request_state_name(dr->state));
		else if (strcmp(r->approvers, dr->approvers != NULL ?
		    dr->approvers : "") != 0)
			vbad(v, "request %s: the record's approvers '%s' are "
			    "not the log's '%s'", r->id, r->approvers,
			    dr->approvers != NULL ? dr->approvers : "");
		else if (r->state == JSTORE_REQ_APPROVED &&
		    jit_list_count(r->approvers) < (r->quorum ? r->quorum : 1))
			vbad(v, "request %s: approved with %zu of %u approvals",
			    r->id, jit_list_count(r->approvers), r->quorum);
		else if (r->state == JSTORE_REQ_ISSUED && r->serial != dr->serial)
			vbad(v, "request %s: the record's serial %llu is not "
			    "the log's %llu", r->id, (unsigned long long)r->serial,
			    (unsigned long long)dr->serial);
		else if (r->flags != dr->flags)
			vbad(v, "request %s: the record's reminder/escalation "
			    "flags %u are not the log's %u", r->id, r->flags,
			    dr->flags);
		if (req_is_open(r))
			v->nopen++;
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return mdb_err(rc);
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
		return mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		n++;
		if (k.mv_size != 8 || !store_derive_revoked(d,
		    get_be64(k.mv_data)))
			vbad(v, "revoked: serial %llu has no revoke event",
			    k.mv_size == 8 ?
			    (unsigned long long)get_be64(k.mv_data) : 0ULL);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return mdb_err(rc);
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
	char user[KEY_MAX + 1], dg[64];
	size_t n = 0;
	int rc;

	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[DB_TOTP], &cur)) != 0)
		return mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		n++;
		snprintf(user, sizeof(user), "%.*s", (int)k.mv_size,
		    (const char *)k.mv_data);
		if (totp_read(v->s, v->txn, user, &t) != 0) {
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
		else if (de->digest[0] != '\0' && (secret_digest(t.secret,
		    t.secret_len, dg) != 0 || strcmp(dg, de->digest) != 0))
			vbad(v, "totp %s: the secret is not the one enroll event "
			    "%llu recorded", user, (unsigned long long)de->seq);
		OPENSSL_cleanse(&t, sizeof(t));
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return mdb_err(rc);
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
		return mdb_err(rc);
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
		if (req_read(v->s, v->txn, id, &r) != 0) {
			vbad(v, "open: request %s has no record", id);
			continue;
		}
		if (!req_is_open(r) || *(unsigned char *)val.mv_data !=
		    (unsigned char)r->state)
			vbad(v, "open: request %s is %s, the index says open",
			    id, jstore_request_state_name(r->state));
		else if (ks[0] == 'e' ? get_be64((const unsigned char *)ks +
		    1) != r->expires : strlen(r->user) != ul ||
		    memcmp(ks + 1, r->user, ul) != 0)
			vbad(v, "open: the entry for request %s does not match "
			    "its record", id);
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return mdb_err(rc);
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
		want = get_be64(val.mv_data);
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
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_err(rc);
}

/*
 * The live index: each key is a certificate the log issued to that user
 * with that expiry and did not revoke (expired keys may linger until the
 * next pruning); each certificate live now has its key.
 */
static int
vlive(struct vstate *v, struct derive *d, uint64_t now)
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
		return mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		ks = k.mv_data;
		ul = strnlen(ks, k.mv_size);
		if (k.mv_size != ul + 17) {
			vbad(v, "live: an entry that does not read");
			continue;
		}
		vb = get_be64((const unsigned char *)ks + ul + 1);
		serial = get_be64((const unsigned char *)ks + ul + 9);
		if (vb <= now)
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
		return mdb_err(rc);
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
		return mdb_err(rc);
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
		else if (val.mv_size < 8 || lock_until(&val) != dl->until ||
		    val.mv_size - 8 != strlen(dl->reason) ||
		    memcmp((const char *)val.mv_data + 8, dl->reason,
		    val.mv_size - 8) != 0)
			vbad(v, "lock %s: the record is not the log's last lock "
			    "event", user);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdb_err(rc);
	if (n != store_derive_count(d, STORE_DERIVED_LOCKS))
		vbad(v, "locks: %zu records, the log has %zu users locked (a "
		    "lock was removed: that user could get certificates)", n,
		    store_derive_count(d, STORE_DERIVED_LOCKS));
	return 0;
}

int
jstore_verify_state(struct jstore *s,
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
	if ((d = store_derive_new(now = (uint64_t)time(NULL))) == NULL ||
	    (scratch = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &v.txn)) != 0) {
		r = mdb_err(rc);
		goto out;
	}
	if ((r = get_head(s, v.txn, &head, hh)) != 0 ||
	    (r = get_meta_u64(s, v.txn, "indexed", &indexed)) != 0 ||
	    (r = get_meta_u64(s, v.txn, "serial_hwm", &hwm)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(v.txn, s->dbi[DB_EVENTS], &cur)) != 0) {
		r = mdb_err(rc);
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
		r = mdb_err(rc);
		goto out;
	}
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		if ((rc = mdb_stat(v.txn, s->dbi[idx[i]], &st)) != 0) {
			r = mdb_err(rc);
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
	    (r = vopen(&v)) != 0 || (r = vlive(&v, d, now)) != 0)
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

/* ---- certificates and revocation ---- */

/* Finds the "issue" event of serial inside txn. */
static int
find_issue(struct jstore *s, MDB_txn *txn, uint64_t serial,
    struct jstore_event *ev, struct jbuf *scratch)
{
	struct jstore_filter f;
	struct walk w;
	uint64_t seq;
	int r;

	memset(&f, 0, sizeof(f));
	f.serial = serial;
	if ((r = walk_start(s, txn, &f, 0, &w)) != 0)
		return r;
	while ((r = walk_next(&w, &seq)) == 0) {
		if ((r = get_event(s, txn, seq, ev, scratch)) != 0)
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
revoke_fn(struct jstore *s, MDB_txn *txn, void *arg)
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
	if ((r = find_issue(s, txn, a->serial, &issue, scratch)) != 0)
		goto out;
	put_be64(sbe, a->serial);
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
		r = mdb_err(rc);
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.time = a->now;
	ev.event = "revoke";
	ev.user = issue.user;
	ev.role = issue.role;
	ev.serial = a->serial;
	ev.key_id = issue.key_id;
	ev.principals = issue.principals;
	ev.valid_after = issue.valid_after;
	ev.valid_before = issue.valid_before;
	ev.fingerprint = issue.fingerprint;
	ev.source = a->by;
	ev.reason = a->reason;
	r = store_append_txn(s, txn, &ev, 1);
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
revoke_many_fn(struct jstore *s, MDB_txn *txn, void *arg)
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
jstore_revoke_many(struct jstore *s, const uint64_t *serials, size_t n,
    const char *by, const char *reason, uint64_t now, size_t *donep)
{
	struct revoke_many_arg a = { serials, n, 0, now, by, reason };
	int r;

	if (s == NULL || serials == NULL || by == NULL || donep == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*donep = 0;
	if ((r = run_write(s, revoke_many_fn, &a)) == 0)
		*donep = a.done;
	return r;
}

int
jstore_revoke(struct jstore *s, uint64_t serial, const char *by,
    const char *reason, uint64_t now)
{
	struct revoke_arg a = { serial, now, by, reason };

	if (s == NULL || serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((by != NULL && strlen(by) > JSTORE_FIELD_MAX) ||
	    (reason != NULL && strlen(reason) > JSTORE_FIELD_MAX))
		return JIT_ERR_STRING_TOO_LARGE;
	return run_write(s, revoke_fn, &a);
}

int
jstore_cert_info(struct jstore *s, uint64_t serial, char *key_id,
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
		r = mdb_err(rc);
		goto out;
	}
	if ((r = find_issue(s, txn, serial, &ev, scratch)) != 0)
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
jstore_user_serials(struct jstore *s, const char *user, uint64_t now,
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
		r = mdb_err(rc);
		goto out;
	}
	if ((r = walk_start(s, txn, &f, 0, &w)) != 0)
		goto out;
	while ((r = walk_next(&w, &seq)) == 0) {
		if ((r = get_event(s, txn, seq, &ev, scratch)) != 0)
			goto out;
		if (!matches(&f, &ev) || strcmp(ev.event, "issue") != 0 ||
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
jstore_revoked(struct jstore *s, uint64_t now,
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
		r = mdb_err(rc);
		goto out;
	}
	if (versionp != NULL) {
		if ((r = get_head(s, txn, &seq, hash)) != 0)
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
		    (r = cb(get_be64(k.mv_data), key_id, arg)) != 0)
			goto out;
		free(key_id);
		key_id = NULL;
	}
	r = rc == MDB_NOTFOUND ? 0 : mdb_err(rc);
 out:
	free(key_id);
	jbuf_free(b);
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	return r;
}

/* ---- TOTP ---- */

static int
totp_read(struct jstore *s, MDB_txn *txn, const char *user,
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
		return mdb_err(rc);
	return store_totp_decode(v.mv_data, v.mv_size, t);
}

static int
totp_write(struct jstore *s, MDB_txn *txn, const char *user,
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
		r = mdb_err(mdb_put(txn, s->dbi[DB_TOTP], &k, &v, 0));
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
static int
secret_digest(const unsigned char *sealed, size_t len, char out[64])
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
totp_bound(struct jstore *s, MDB_txn *txn, const char *user,
    const struct jstore_totp *t)
{
	struct jstore_event ev;
	struct jbuf *scratch;
	char kb[KEY_MAX + 16], dg[64];
	MDB_val k, v;
	uint64_t latest = 0;
	int rc, r;

	if ((r = meta_user_key("enroll", user, kb, sizeof(kb), &k)) != 0)
		return r;
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == 0 &&
	    v.mv_size == 8)
		latest = get_be64(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return rc == 0 ? JIT_ERR_STORE_CORRUPT : mdb_err(rc);
	if (t->enroll_seq == 0 && latest == 0)
		return 0;	/* enrolled by an older release: unbound */
	if (t->enroll_seq != latest)
		return JIT_ERR_STORE_TAMPERED;
	if ((scratch = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = get_event(s, txn, latest, &ev, scratch)) == 0 &&
	    (r = secret_digest(t->secret, t->secret_len, dg)) == 0 &&
	    (strcmp(ev.event, "enroll") != 0 || strcmp(ev.user, user) != 0 ||
	    strcmp(ev.fingerprint, dg) != 0))
		r = JIT_ERR_STORE_TAMPERED;
	jbuf_free(scratch);
	return r == JIT_ERR_STORE_CORRUPT ? JIT_ERR_STORE_TAMPERED : r;
}

static int
enroll_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct totp_arg *a = arg;
	struct jstore_totp t;
	struct jstore_event ev;
	char dg[64], kb[KEY_MAX + 16];
	unsigned char seqbe[8];
	MDB_val k, v;
	int r;

	if ((r = secret_digest(a->secret, a->len, dg)) != 0)
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
	if ((r = meta_user_key("enroll", a->user, kb, sizeof(kb), &k)) != 0)
		return r;
	put_be64(seqbe, ev.seq);
	v.mv_data = seqbe;
	v.mv_size = 8;
	return mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

int
jstore_totp_enroll(struct jstore *s, const char *user,
    const unsigned char *secret, size_t len, uint64_t now)
{
	struct totp_arg a = { user, secret, len, now };

	if (s == NULL || user == NULL || *user == '\0' || secret == NULL ||
	    len == 0 || len > 64 || strlen(user) > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	return run_write(s, enroll_fn, &a);
}

int
jstore_totp_get(struct jstore *s, const char *user, struct jstore_totp *t)
{
	MDB_txn *txn = NULL;
	int rc, r;

	if (s == NULL || user == NULL || t == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	if ((r = totp_read(s, txn, user, t)) == 0)
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
check_fn(struct jstore *s, MDB_txn *txn, void *arg)
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
	if ((r = totp_read(s, txn, a->user, &t)) != 0 ||
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
jstore_totp_check(struct jstore *s, const char *user,
    struct jstore_totp_check *c)
{
	struct check_arg a = { user, c, 0 };
	int r;

	if (s == NULL || user == NULL || c == NULL || c->verify == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = run_write(s, check_fn, &a)) != 0)
		return r;
	return a.outcome;
}

/* ---- approval requests ---- */

static int
req_read(struct jstore *s, MDB_txn *txn, const char *id,
    struct jstore_request **rp)
{
	MDB_val k, v;
	int rc;

	*rp = NULL;
	k.mv_data = (void *)(uintptr_t)id;
	k.mv_size = strlen(id);
	if (k.mv_size == 0 || k.mv_size > KEY_MAX)
		return JIT_ERR_NOT_FOUND;
	if ((rc = mdb_get(txn, s->dbi[DB_REQUESTS], &k, &v)) != 0)
		return mdb_err(rc);
	return store_request_decode(v.mv_data, v.mv_size, rp);
}

/*
 * The open-request index (DB_OPEN): two keys for each pending or approved
 * request, so that nothing on a hot path walks the whole history (which
 * is never pruned: it is the record of every request):
 *   'u' user NUL id      a user's open requests (the per-user cap)
 *   'e' be64(expires) id what is due to expire, soonest first
 * The value is the state byte.  req_write() keeps it in step with the
 * records, and audit verify checks it against them.
 */
#define OPEN_KEY_MAX	(1 + KEY_MAX + 1 + KEY_MAX)

static int
req_is_open(const struct jstore_request *r)
{
	return r->state == JSTORE_REQ_PENDING ||
	    r->state == JSTORE_REQ_APPROVED;
}

static size_t
open_key_user(const char *user, const char *id, unsigned char *buf)
{
	size_t ul = strlen(user), il = id != NULL ? strlen(id) : 0;

	buf[0] = 'u';
	memcpy(buf + 1, user, ul);
	buf[1 + ul] = '\0';
	if (il > 0)
		memcpy(buf + 2 + ul, id, il);
	return 2 + ul + il;
}

static size_t
open_key_exp(uint64_t expires, const char *id, unsigned char *buf)
{
	size_t il = strlen(id);

	buf[0] = 'e';
	put_be64(buf + 1, expires);
	memcpy(buf + 9, id, il);
	return 9 + il;
}

static int
open_index(struct jstore *s, MDB_txn *txn, const struct jstore_request *r,
    int add)
{
	unsigned char kb[2][OPEN_KEY_MAX], st = (unsigned char)r->state;
	MDB_val k, v;
	size_t len[2];
	int i, rc;

	if (strlen(r->user) > KEY_MAX || strlen(r->id) > KEY_MAX)
		return JIT_ERR_STORE_CORRUPT;
	len[0] = open_key_user(r->user, r->id, kb[0]);
	len[1] = open_key_exp(r->expires, r->id, kb[1]);
	for (i = 0; i < 2; i++) {
		k.mv_data = kb[i];
		k.mv_size = len[i];
		v.mv_data = &st;
		v.mv_size = 1;
		rc = add ? mdb_put(txn, s->dbi[DB_OPEN], &k, &v, 0) :
		    mdb_del(txn, s->dbi[DB_OPEN], &k, NULL);
		if (rc != 0 && !(rc == MDB_NOTFOUND && !add))
			return mdb_err(rc);
	}
	return 0;
}

static int
req_write(struct jstore *s, MDB_txn *txn, const struct jstore_request *r,
    unsigned int flags)
{
	struct jstore_request *old = NULL;
	struct jbuf *b;
	MDB_val k, v;
	int e;

	if (!(flags & MDB_NOOVERWRITE)) {
		if ((e = req_read(s, txn, r->id, &old)) != 0 &&
		    e != JIT_ERR_NOT_FOUND)
			return e;
		e = old != NULL && req_is_open(old) ?
		    open_index(s, txn, old, 0) : 0;
		jstore_request_free(old);
		if (e != 0)
			return e;
	}
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((e = store_request_encode(r, b)) == 0) {
		k.mv_data = r->id;
		k.mv_size = strlen(r->id);
		v.mv_data = (void *)(uintptr_t)jbuf_ptr(b);
		v.mv_size = jbuf_len(b);
		e = mdb_err(mdb_put(txn, s->dbi[DB_REQUESTS], &k, &v, flags));
	}
	jbuf_free(b);
	if (e == 0 && req_is_open(r))
		e = open_index(s, txn, r, 1);
	return e;
}

/* A store made before DB_OPEN: index its open requests once. */
static int
open_index_build(struct jstore *s, MDB_txn *txn)
{
	struct jstore_request *r;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, e = 0;

	if ((rc = mdb_cursor_open(txn, s->dbi[DB_REQUESTS], &cur)) != 0)
		return mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((e = store_request_decode(v.mv_data, v.mv_size, &r)) != 0)
			break;
		if (req_is_open(r))
			e = open_index(s, txn, r, 1);
		jstore_request_free(r);
	}
	mdb_cursor_close(cur);
	if (e != 0)
		return e;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : mdb_err(rc);
}

/*
 * Calls cb with the id of each open request: user's (when not NULL), or
 * all of them soonest expiry first.  A cb that returns non-zero stops.
 */
static int
open_each(struct jstore *s, MDB_txn *txn, const char *user,
    int (*cb)(const char *id, unsigned char state, uint64_t expires,
    void *arg), void *arg)
{
	unsigned char kb[OPEN_KEY_MAX];
	char id[KEY_MAX + 1];
	MDB_cursor *cur;
	MDB_val k, v;
	size_t plen, il;
	int rc, e = 0;

	if (s->no_open_index)
		return JIT_ERR_STORE_CORRUPT;
	if (user != NULL && strlen(user) > KEY_MAX)
		return 0;
	plen = user != NULL ? open_key_user(user, NULL, kb) : 1;
	if (user == NULL)
		kb[0] = 'e';
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_OPEN], &cur)) != 0)
		return mdb_err(rc);
	k.mv_data = kb;
	k.mv_size = plen;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    e == 0 && k.mv_size > plen + (user == NULL ? 8 : 0) &&
	    memcmp(k.mv_data, kb, plen) == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		il = k.mv_size - plen - (user == NULL ? 8 : 0);
		if (il > KEY_MAX || v.mv_size != 1) {
			e = JIT_ERR_STORE_CORRUPT;
			break;
		}
		memcpy(id, (const char *)k.mv_data + k.mv_size - il, il);
		id[il] = '\0';
		e = cb(id, *(const unsigned char *)v.mv_data, user == NULL ?
		    get_be64((const unsigned char *)k.mv_data + 1) : 0, arg);
	}
	mdb_cursor_close(cur);
	if (e != 0)
		return e < 0 ? e : 0;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : mdb_err(rc);
}

/* An event about request r: kind, acting user in approvers, comment. */
static int
req_event(struct jstore *s, MDB_txn *txn, const struct jstore_request *r,
    const char *kind, const char *actor, const char *comment, uint64_t now)
{
	struct jstore_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time = now;
	ev.event = kind;
	ev.user = r->user;
	ev.role = r->role;
	ev.principals = r->principals;
	ev.fingerprint = r->fingerprint;
	ev.source = strcmp(kind, "request") == 0 ? r->source : NULL;
	ev.reason = comment;
	ev.request_id = r->id;
	ev.approvers = actor;
	return store_append_txn(s, txn, &ev, 1);
}

struct req_arg {
	const struct jstore_request *in;
	const char *id, *actor, *comment;
	uint64_t now, serial;
	unsigned max_pending, count, quorum;
	unsigned flag;			/* mark: JSTORE_REQ_REMINDED, ... */
	int approved_too;		/* cancel: also an approved request */
	struct jstore_event *evs;	/* issue: the events to append */
	size_t nevs;
	char *id_out;
	enum jstore_request_state state;
};

static int
count_one(const char *id, unsigned char state, uint64_t expires, void *arg)
{
	(void)id;
	(void)expires;
	if (state == JSTORE_REQ_PENDING)
		(*(unsigned *)arg)++;
	return 0;
}

/* The user's pending requests: from the open index, not the history. */
static int
count_pending(struct jstore *s, MDB_txn *txn, const char *user, unsigned *np)
{
	*np = 0;
	return open_each(s, txn, user, count_one, np);
}

static int
create_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request r = *a->in;
	unsigned char rnd[4];
	char id[JSTORE_REQUEST_ID_LEN + 1];
	unsigned n;
	int e;

	if ((e = count_pending(s, txn, r.user, &n)) != 0)
		return e;
	if (n >= a->max_pending)
		return JIT_ERR_NO_BUFFER_SPACE;
	/* Time first, so ids sort by creation; then 32 random bits. */
	if ((e = jit_random(rnd, sizeof(rnd))) != 0)
		return e;
	snprintf(id, sizeof(id), "r-%08llx%02x%02x%02x%02x",
	    (unsigned long long)(a->now & 0xffffffffULL), rnd[0], rnd[1],
	    rnd[2], rnd[3]);
	r.id = id;
	r.state = JSTORE_REQ_PENDING;
	r.created = a->now;
	if (r.pickup_ttl == 0)
		r.pickup_ttl = r.expires - a->now;	/* as long as the wait */
	r.approvers = NULL;
	r.serial = 0;
	if ((e = req_write(s, txn, &r, MDB_NOOVERWRITE)) != 0 ||
	    (e = req_event(s, txn, &r, "request", NULL, r.reason, a->now)) != 0)
		return e;
	memcpy(a->id_out, id, sizeof(id));
	return 0;
}

int
jstore_request_create(struct jstore *s, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out)
{
	struct req_arg a;
	const char *f[] = { req != NULL ? req->user : NULL,
	    req != NULL ? req->role : NULL };

	if (s == NULL || req == NULL || id_out == NULL || f[0] == NULL ||
	    f[1] == NULL || *f[0] == '\0' || req->quorum == 0 ||
	    req->expires <= now)
		return JIT_ERR_INVALID_ARGUMENT;
	if (!store_fingerprint_ok(req->fingerprint))
		return JIT_ERR_INVALID_ARGUMENT;
	if (strlen(f[0]) > KEY_MAX || strlen(f[1]) > KEY_MAX ||
	    (req->pubkey != NULL && strlen(req->pubkey) > JSTORE_FIELD_MAX) ||
	    (req->reason != NULL && strlen(req->reason) > JSTORE_FIELD_MAX) ||
	    (req->principals != NULL &&
	    strlen(req->principals) > JSTORE_FIELD_MAX))
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.in = req;
	a.now = now;
	a.max_pending = max_pending;
	a.id_out = id_out;
	id_out[0] = '\0';
	return run_write(s, create_fn, &a);
}

int
jstore_request_get(struct jstore *s, const char *id,
    struct jstore_request **reqp)
{
	MDB_txn *txn = NULL;
	int rc, e;

	if (s == NULL || id == NULL || reqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*reqp = NULL;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_err(rc);
	e = req_read(s, txn, id, reqp);
	mdb_txn_abort(txn);
	return e;
}

/*
 * Loads a request that is still open: pending (or, with approved_too, also
 * approved and not yet picked up).  An overdue one is expired right here
 * (state and event), and the caller told so.
 */
static int
open_request(struct jstore *s, MDB_txn *txn, struct req_arg *a,
    int approved_too, struct jstore_request **rp, int *expiredp)
{
	int e;

	*expiredp = 0;
	if ((e = req_read(s, txn, a->id, rp)) != 0)
		return e;
	if ((*rp)->state != JSTORE_REQ_PENDING &&
	    !(approved_too && (*rp)->state == JSTORE_REQ_APPROVED))
		return JIT_ERR_REQUEST_DECIDED;
	if (a->now >= (*rp)->expires) {
		(*rp)->state = JSTORE_REQ_EXPIRED;
		if ((e = req_write(s, txn, *rp, 0)) != 0 ||
		    (e = req_event(s, txn, *rp, "expire", NULL, NULL,
		    a->now)) != 0)
			return e;
		*expiredp = 1;
	}
	return 0;
}

static int
approve_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	char *list = NULL;
	int e, expired;

	if ((e = open_request(s, txn, a, 0, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->state = r->state;
		e = 0;	/* commit the expiry; the caller reports it */
		a->count = 1;
		goto out;
	}
	if (strcmp(a->actor, r->user) == 0) {
		e = JIT_ERR_REQUEST_SELF;
		goto out;
	}
	if (store_list_has(r->approvers, a->actor)) {
		e = JIT_ERR_EXISTS;
		goto out;
	}
	if (asprintf(&list, "%s%s%s", r->approvers, *r->approvers ? "," : "",
	    a->actor) == -1) {
		list = NULL;
		e = JIT_ERR_ALLOC;
		goto out;
	}
	free(r->approvers);
	r->approvers = list;
	if (a->quorum != 0)
		r->quorum = a->quorum;	/* what the policy asks for now */
	if (jit_list_count(r->approvers) >= r->quorum) {
		r->state = JSTORE_REQ_APPROVED;
		/* From now on the clock is the pickup window. */
		r->expires = r->pickup_ttl > UINT64_MAX - a->now ? UINT64_MAX :
		    a->now + r->pickup_ttl;
	}
	a->state = r->state;
	if ((e = req_write(s, txn, r, 0)) != 0 ||
	    (e = req_event(s, txn, r, "approve", a->actor, a->comment,
	    a->now)) != 0)
		goto out;
 out:
	jstore_request_free(r);
	return e;
}

static int
check_actor(const char *id, const char *actor, const char *comment)
{
	if (id == NULL || actor == NULL || *actor == '\0' ||
	    strlen(actor) > KEY_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if (comment != NULL && strlen(comment) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	return 0;
}

/* Runs a decision (approve_fn or deny_fn) by actor on request id. */
static int
decide(struct jstore *s, int (*fn)(struct jstore *, MDB_txn *, void *),
    const char *id, const char *actor, const char *comment, uint64_t now,
    unsigned quorum, int approved_too, enum jstore_request_state *statep)
{
	struct req_arg a;
	int e;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((e = check_actor(id, actor, comment)) != 0)
		return e;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.actor = actor;
	a.comment = comment;
	a.now = now;
	a.quorum = quorum;
	a.approved_too = approved_too;
	if ((e = run_write(s, fn, &a)) != 0)
		return e;
	if (statep != NULL)
		*statep = a.state;
	return a.count ? JIT_ERR_REQUEST_EXPIRED : 0;
}

int
jstore_request_approve(struct jstore *s, const char *id,
    const char *approver, const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep)
{
	return decide(s, approve_fn, id, approver, comment, now, quorum, 0,
	    statep);
}

static int
deny_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e, expired;

	if ((e = open_request(s, txn, a, a->approved_too, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->count = 1;
		goto out;
	}
	/* A requester may withdraw their own request: that is a deny too. */
	r->state = JSTORE_REQ_DENIED;
	a->state = r->state;
	if ((e = req_write(s, txn, r, 0)) != 0)
		goto out;
	e = req_event(s, txn, r, "deny", a->actor, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

int
jstore_request_deny(struct jstore *s, const char *id, const char *by,
    const char *comment, uint64_t now)
{
	return decide(s, deny_fn, id, by, comment, now, 0, 0, NULL);
}

int
jstore_request_cancel(struct jstore *s, const char *id, const char *by,
    const char *reason, uint64_t now)
{
	return decide(s, deny_fn, id, by, reason, now, 0, 1, NULL);
}

static int
mark_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e;

	if ((e = req_read(s, txn, a->id, &r)) != 0)
		goto out;
	if (r->state != JSTORE_REQ_PENDING) {
		e = JIT_ERR_REQUEST_DECIDED;
		goto out;
	}
	if (r->flags & a->flag) {
		e = JIT_ERR_EXISTS;
		goto out;
	}
	r->flags |= a->flag;
	if ((e = req_write(s, txn, r, 0)) == 0)
		e = req_event(s, txn, r, a->flag == JSTORE_REQ_REMINDED ?
		    "remind" : "escalate", NULL, a->comment, a->now);
 out:
	jstore_request_free(r);
	return e;
}

int
jstore_request_mark(struct jstore *s, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	struct req_arg a;

	if (s == NULL || id == NULL || (flag != JSTORE_REQ_REMINDED &&
	    flag != JSTORE_REQ_ESCALATED))
		return JIT_ERR_INVALID_ARGUMENT;
	if (note != NULL && strlen(note) > JSTORE_FIELD_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flag = flag;
	a.comment = note;
	a.now = now;
	return run_write(s, mark_fn, &a);
}

/*
 * The claim and the record in one transaction: whoever commits first
 * turns the request issued; everybody else then finds it decided, and
 * their certificate (signed, never shown) is dropped.
 */
static int
issue_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r = NULL;
	int e, expired;

	if ((e = open_request(s, txn, a, 1, &r, &expired)) != 0)
		goto out;
	if (expired) {
		a->count = 1;	/* commit the expiry; the caller reports it */
		goto out;
	}
	if (r->state != JSTORE_REQ_APPROVED) {
		e = JIT_ERR_REQUEST_DECIDED;
		goto out;
	}
	if ((e = issue_allowed(s, txn, a->evs, a->nevs)) != 0)
		goto out;
	r->state = JSTORE_REQ_ISSUED;
	r->serial = a->evs[0].serial;
	if ((e = req_write(s, txn, r, 0)) != 0)
		goto out;
	e = store_append_txn(s, txn, a->evs, a->nevs);
 out:
	jstore_request_free(r);
	return e;
}

int
jstore_request_issue(struct jstore *s, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	struct req_arg a;
	size_t i;
	int e;

	if (s == NULL || id == NULL || evs == NULL || n == 0 ||
	    evs[0].serial == 0)
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < n; i++)
		if ((e = store_event_check(&evs[i])) != 0)
			return e;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.now = now;
	a.evs = evs;
	a.nevs = n;
	e = run_write(s, issue_fn, &a);
	if (e == 0 && a.count)
		e = JIT_ERR_REQUEST_EXPIRED;
	if (e != 0)
		for (i = 0; i < n; i++)
			evs[i].seq = 0;
	return e;
}

#define EXPIRE_BATCH	256

struct due {
	uint64_t now;
	size_t n;
	char ids[EXPIRE_BATCH][JSTORE_REQUEST_ID_LEN + 1];
};

static int
due_one(const char *id, unsigned char state, uint64_t expires, void *arg)
{
	struct due *d = arg;

	(void)state;
	if (expires > d->now || d->n == EXPIRE_BATCH)
		return 1;	/* sorted: nothing later is due */
	snprintf(d->ids[d->n++], sizeof(d->ids[0]), "%s", id);
	return 0;
}

/*
 * Expires what is due: the open index lists requests soonest first, so
 * this reads only those (in batches, as the index changes under it).
 */
static int
expire_fn(struct jstore *s, MDB_txn *txn, void *arg)
{
	struct req_arg *a = arg;
	struct jstore_request *r;
	struct due *d;
	size_t i;
	int e = 0;

	a->count = 0;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return JIT_ERR_ALLOC;
	d->now = a->now;
	do {
		d->n = 0;
		if ((e = open_each(s, txn, NULL, due_one, d)) != 0)
			break;
		for (i = 0; i < d->n && e == 0; i++) {
			if ((e = req_read(s, txn, d->ids[i], &r)) != 0)
				break;
			if (!req_is_open(r) || r->expires > a->now)
				e = JIT_ERR_STORE_CORRUPT;	/* index lies */
			else {
				r->state = JSTORE_REQ_EXPIRED;
				if ((e = req_write(s, txn, r, 0)) == 0 &&
				    (e = req_event(s, txn, r, "expire", NULL,
				    NULL, a->now)) == 0)
					a->count++;
			}
			jstore_request_free(r);
		}
	} while (e == 0 && d->n == EXPIRE_BATCH);
	free(d);
	return e;
}

int
jstore_request_expire(struct jstore *s, uint64_t now, unsigned *countp)
{
	struct req_arg a;
	int e;

	if (s == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(&a, 0, sizeof(a));
	a.now = now;
	e = run_write(s, expire_fn, &a);
	if (countp != NULL)
		*countp = e == 0 ? a.count : 0;
	return e;
}

int
jstore_request_list(struct jstore *s, enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	struct jstore_request *r;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc, e = 0;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dbi[DB_REQUESTS], &cur)) != 0) {
		e = mdb_err(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && e == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((e = store_request_decode(v.mv_data, v.mv_size, &r)) != 0)
			break;
		if (state == 0 || r->state == state)
			e = cb(r, arg);
		jstore_request_free(r);
	}
	if (e == 0 && rc != 0 && rc != MDB_NOTFOUND)
		e = mdb_err(rc);
 out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	return e;
}

struct list_open {
	struct jstore *s;
	MDB_txn *txn;
	int (*cb)(const struct jstore_request *req, void *arg);
	void *arg;
};

static int
list_open_one(const char *id, unsigned char state, uint64_t expires,
    void *arg)
{
	struct list_open *l = arg;
	struct jstore_request *r;
	int e;

	(void)state;
	(void)expires;
	if ((e = req_read(l->s, l->txn, id, &r)) != 0)
		return e == JIT_ERR_NOT_FOUND ? JIT_ERR_STORE_CORRUPT : e;
	if (req_is_open(r) && (e = l->cb(r, l->arg)) > 0)
		e = 0;	/* a callback's own code is not the store's */
	jstore_request_free(r);
	return e;
}

int
jstore_request_list_open(struct jstore *s, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	struct list_open l = { s, NULL, cb, arg };
	int rc, e;

	if (s == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &l.txn)) != 0)
		return mdb_err(rc);
	e = open_each(s, l.txn, user, list_open_one, &l);
	mdb_txn_abort(l.txn);
	return e;
}
