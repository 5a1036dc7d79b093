/*
 * listen.c: jstore_changes() for PostgreSQL.  Every commit that moves the
 * chain's head sends NOTIFY jit_log (pg_write_head); a thread of each
 * process that asks holds a connection that LISTENs and counts what it
 * hears, so a session waiting for an approval made on another instance
 * reads its request again only when something happened.  While that
 * connection is down the count is 0 ("cannot tell": read anyway) and the
 * thread reconnects every second.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-err.h"
#include "jstore.h"
#include "pg-store.h"

static int
stopping(struct store_be *b)
{
	int s;

	pthread_mutex_lock(&b->llock);
	s = b->stop;
	pthread_mutex_unlock(&b->llock);
	return s;
}

static void *
listen_main(void *arg)
{
	struct store_be *b = arg;
	struct pollfd pfd;
	PGnotify *n;
	PGconn *c = NULL;
	PGresult *res;

	while (!stopping(b)) {
		if (c == NULL || PQstatus(c) != CONNECTION_OK) {
			atomic_store(&b->heard, 0);
			if (c != NULL)
				PQfinish(c);
			c = PQconnectdb(b->conninfo);
			res = c != NULL && PQstatus(c) == CONNECTION_OK ?
			    PQexec(c, "LISTEN jit_log") : NULL;
			if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
				PQclear(res);
				sleep(1);
				continue;
			}
			PQclear(res);
			/* Whatever happened while deaf counts as a change. */
			atomic_fetch_add(&b->changes, 1);
			atomic_store(&b->heard, 1);
		}
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) < 0 && errno != EINTR)
			break;
		if (!PQconsumeInput(c))
			continue;	/* reconnects above */
		while ((n = PQnotifies(c)) != NULL) {
			atomic_fetch_add(&b->changes, 1);
			PQfreemem(n);
		}
	}
	atomic_store(&b->heard, 0);
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

uint64_t
pg_changes(struct store_be *b)
{
	pthread_mutex_lock(&b->llock);
	if (!b->listening && !b->stop &&
	    pthread_create(&b->listener, NULL, listen_main, b) == 0)
		b->listening = 1;
	pthread_mutex_unlock(&b->llock);
	/* +1: never 0 while heard (0 means "cannot tell"). */
	return atomic_load(&b->heard) ? atomic_load(&b->changes) + 1 : 0;
}

void
pg_listen_stop(struct store_be *b)
{
	int join;

	pthread_mutex_lock(&b->llock);
	b->stop = 1;
	join = b->listening;
	pthread_mutex_unlock(&b->llock);
	if (join)
		pthread_join(b->listener, NULL);
}
