/*
 * serial.c: certificate serials, reserved durably in blocks.
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

static int
reserve_serials(struct store_be *s, MDB_txn *txn, void *arg)
{
	uint64_t *range = arg, hwm;
	int r;

	if ((r = lmdb_get_meta_u64(s, txn, "serial_hwm", &hwm)) != 0)
		return r;
	if (hwm > UINT64_MAX - range[2] - 1)
		return JIT_ERR_STORE_FULL;
	range[0] = hwm + 1;
	range[1] = hwm + range[2] + 1;	/* exclusive end */
	return lmdb_put_meta_u64(s, txn, "serial_hwm", hwm + range[2]);
}

int
lmdb_next_serial(struct store_be *s, uint64_t *serialp)
{
	uint64_t range[3];
	int r = 0;

	if (s == NULL || serialp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*serialp = 0;
	pthread_mutex_lock(&s->slock);
	if (s->serial_next == s->serial_end) {
		range[2] = s->serial_block;
		if ((r = lmdb_run_write(s, reserve_serials, range)) == 0) {
			s->serial_next = range[0];
			s->serial_end = range[1];
		}
	}
	if (r == 0)
		*serialp = s->serial_next++;
	pthread_mutex_unlock(&s->slock);
	return r;
}
