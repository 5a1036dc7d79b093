/*
 * env.c: the environment: opening (and indexes older stores lack), closing, the meta helpers every part uses.
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
#include "gcommit.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store-backend.h"
#include "store-impl.h"

const struct jstore_ops store_lmdb_ops = {
	.name = "lmdb",
	.open = lmdb_open,
	.close = lmdb_close,
	.set_clients = lmdb_set_clients,
	.set_live_cap = lmdb_set_live_cap,
	.next_serial = lmdb_next_serial,
	.append = lmdb_append,
	.query = lmdb_query,
	.events_after = lmdb_events_after,
	.head = lmdb_head,
	.changes = lmdb_changes,
	.verify_state = lmdb_verify_state,
	.verify = lmdb_verify,
	.revoke = lmdb_revoke,
	.revoke_many = lmdb_revoke_many,
	.lock = lmdb_lock,
	.unlock = lmdb_unlock,
	.locked = lmdb_locked,
	.user_serials = lmdb_user_serials,
	.cert_info = lmdb_cert_info,
	.revoked = lmdb_revoked,
	.totp_enroll = lmdb_totp_enroll,
	.totp_get = lmdb_totp_get,
	.totp_check = lmdb_totp_check,
	.request_create = lmdb_request_create,
	.request_get = lmdb_request_get,
	.request_approve = lmdb_request_approve,
	.request_deny = lmdb_request_deny,
	.request_cancel = lmdb_request_cancel,
	.request_mark = lmdb_request_mark,
	.request_issue = lmdb_request_issue,
	.request_expire = lmdb_request_expire,
	.request_list = lmdb_request_list,
	.request_list_open = lmdb_request_list_open,
	.session_start = lmdb_session_start,
	.session_append = lmdb_session_append,
	.session_end = lmdb_session_end,
	.session_get = lmdb_session_get,
	.session_read = lmdb_session_read,
	.import_from = NULL,
};

const char *const lmdb_db_names[DB_COUNT] = { "meta", "events", "i_time",
    "i_user", "i_role", "i_serial", "i_fp", "i_req", "revoked", "totp",
    "requests", "open", "live", "sessions", "chunks" };

int
lmdb_mdb_err(int rc)
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

void
lmdb_put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint64_t
lmdb_get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
init_or_check(struct store_be *s)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	MDB_dbi main_dbi;
	MDB_stat st;
	unsigned int flags;
	int rc, r, i, fresh = 0;

	if ((rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0,
	    &txn)) != 0)
		return lmdb_mdb_err(rc);
	/* An environment with no meta database must be empty to be ours. */
	if ((rc = mdb_dbi_open(txn, lmdb_db_names[DB_META], 0,
	    &s->dbi[DB_META])) == MDB_NOTFOUND) {
		if ((rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
		    (rc = mdb_stat(txn, main_dbi, &st)) != 0) {
			r = lmdb_mdb_err(rc);
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
		r = lmdb_mdb_err(rc);
		goto out;
	}
	for (i = 0; i < DB_COUNT; i++) {
		flags = fresh ? MDB_CREATE : 0;
		if (i == DB_TIME || i == DB_USER || i == DB_ROLE ||
		    i == DB_SERIAL || i == DB_FP || i == DB_REQ)
			flags |= MDB_DUPSORT | MDB_DUPFIXED;
		/* Stores made before these indexes get them here. */
		/* Stores made before recordings get their tables here. */
		if ((i == DB_SESSIONS || i == DB_CHUNKS) && !fresh &&
		    (rc = mdb_dbi_open(txn, lmdb_db_names[i], 0,
		    &s->dbi[i])) == MDB_NOTFOUND) {
			if (s->rdonly) {
				s->no_sessions = 1;
				continue;
			}
			if ((rc = mdb_dbi_open(txn, lmdb_db_names[i], MDB_CREATE,
			    &s->dbi[i])) != 0) {
				r = lmdb_mdb_err(rc);
				goto out;
			}
			continue;
		}
		if ((i == DB_SESSIONS || i == DB_CHUNKS) && !fresh && rc != 0) {
			r = lmdb_mdb_err(rc);
			goto out;
		}
		if ((i == DB_SESSIONS || i == DB_CHUNKS) && !fresh)
			continue;
		if ((i == DB_OPEN || i == DB_LIVE) && !fresh &&
		    (rc = mdb_dbi_open(txn, lmdb_db_names[i], 0,
		    &s->dbi[i])) == MDB_NOTFOUND) {
			if (s->rdonly) {
				*(i == DB_OPEN ? &s->no_open_index :
				    &s->no_live_index) = 1;
				continue;
			}
			if ((rc = mdb_dbi_open(txn, lmdb_db_names[i], MDB_CREATE,
			    &s->dbi[i])) != 0 || (r = i == DB_OPEN ?
			    lmdb_open_index_build(s, txn) : lmdb_live_index_build(s,
			    txn)) != 0) {
				r = rc != 0 ? lmdb_mdb_err(rc) : r;
				goto out;
			}
			continue;
		}
		if ((rc = mdb_dbi_open(txn, lmdb_db_names[i], flags,
		    &s->dbi[i])) != 0) {
			r = rc == MDB_NOTFOUND ? JIT_ERR_STORE_CORRUPT :
			    rc == MDB_INCOMPATIBLE ? JIT_ERR_STORE_FOREIGN :
			    lmdb_mdb_err(rc);
			goto out;
		}
	}
	k.mv_data = (void *)(uintptr_t)"magic";
	k.mv_size = 5;
	if (fresh) {
		v.mv_data = (void *)(uintptr_t)STORE_MAGIC;
		v.mv_size = strlen(STORE_MAGIC);
		if ((rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0)) != 0) {
			r = lmdb_mdb_err(rc);
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
			r = lmdb_mdb_err(rc);
			goto out;
		}
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	r = lmdb_mdb_err(rc);
 out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return r;
}

int
lmdb_open(const char *dir, int flags, uint64_t map_size, struct store_be **sp)
{
	struct store_be *s = NULL;
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
	atomic_init(&s->live_cap, 0);
	lmdb_commit_init(s);
	pthread_mutex_init(&s->slock, NULL);
	if ((s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		r = JIT_ERR_LIBCRYPTO;
		goto out;
	}
	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, DB_COUNT + 2)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 512)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, map_size != 0 ? map_size :
	    JSTORE_MAPSIZE_DEFAULT)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	/*
	 * Default durability: no MDB_NOSYNC, MDB_MAPASYNC or MDB_WRITEMAP.
	 * MDB_NOTLS: read transactions are not tied to threads.
	 */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS |
	    (s->rdonly ? MDB_RDONLY : 0), 0600)) != 0) {
		r = lmdb_mdb_err(rc);
		goto out;
	}
	if ((r = init_or_check(s)) != 0)
		goto out;
	*sp = s;
	s = NULL;
	r = 0;
 out:
	lmdb_close(s);
	return r;
}

void
lmdb_close(struct store_be *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	EVP_MD_free(s->sha256);
	gcommit_destroy(&s->gc);
	pthread_mutex_destroy(&s->slock);
	free(s);
}

int
lmdb_get_meta_u64(struct store_be *s, MDB_txn *txn, const char *name, uint64_t *out)
{
	MDB_val k, v;
	int rc;

	*out = 0;
	k.mv_data = (void *)(uintptr_t)name;
	k.mv_size = strlen(name);
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lmdb_mdb_err(rc);
	if (v.mv_size != 8)
		return JIT_ERR_STORE_CORRUPT;
	*out = lmdb_get_be64(v.mv_data);
	return 0;
}

int
lmdb_put_meta_u64(struct store_be *s, MDB_txn *txn, const char *name, uint64_t val)
{
	unsigned char buf[8];
	MDB_val k, v;

	lmdb_put_be64(buf, val);
	k.mv_data = (void *)(uintptr_t)name;
	k.mv_size = strlen(name);
	v.mv_data = buf;
	v.mv_size = 8;
	return lmdb_mdb_err(mdb_put(txn, s->dbi[DB_META], &k, &v, 0));
}

/* A per-user key in the meta database: "PREFIX:USER" in buf. */
int
lmdb_meta_user_key(const char *prefix, const char *user, char *buf, size_t size,
    MDB_val *k)
{
	int n = snprintf(buf, size, "%s:%s", prefix, user);

	if (n < 0 || (size_t)n >= size)
		return JIT_ERR_INVALID_ARGUMENT;
	k->mv_data = buf;
	k->mv_size = (size_t)n;
	return 0;
}
