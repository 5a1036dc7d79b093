/* caps.c: session caps per address and in all.  See caps.h. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "jstore.h"

struct admit {
	pthread_mutex_t lock;
	pthread_cond_t drained;
	struct jstore *st;
	unsigned nsessions;
	unsigned nunauth;		/* of them not authenticated yet */
	struct {
		char addr[ADMIT_KEY_MAX];	/* admit_addr_key() */
		unsigned n, unauth;
	} slots[ADMIT_MAX_SESSIONS];
};

struct admit *
admit_new(struct jstore *st)
{
	struct admit *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->drained, NULL);
	c->st = st;
	return c;
}

void
admit_free(struct admit *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->drained);
	free(c);
}

void
admit_addr_key(const char *addr, char key[ADMIT_KEY_MAX])
{
	struct in6_addr a6;
	struct in_addr a4;
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, addr, &a6) != 1) {
		snprintf(key, ADMIT_KEY_MAX, "%s", addr);	/* IPv4 */
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], 4);
		if (inet_ntop(AF_INET, &a4, key, ADMIT_KEY_MAX) == NULL)
			snprintf(key, ADMIT_KEY_MAX, "%s", addr);
		return;
	}
	/* One host may hold a /64 (SLAAC, privacy addresses): count it once. */
	memset(&a6.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) == NULL)
		snprintf(text, sizeof(text), "%s", addr);
	snprintf(key, ADMIT_KEY_MAX, "%s/64", text);
}

/* The slot of addr's key, or -1 (called locked). */
static int
slot_of(struct admit *c, const char *key)
{
	int i;

	for (i = 0; i < ADMIT_MAX_SESSIONS; i++)
		if (c->slots[i].n > 0 && strcmp(c->slots[i].addr, key) == 0)
			return i;
	return -1;
}

int
admit_conn(struct admit *c, const char *addr)
{
	char key[ADMIT_KEY_MAX];
	int i, ok = 0;

	admit_addr_key(addr, key);
	pthread_mutex_lock(&c->lock);
	if (c->nsessions >= ADMIT_MAX_SESSIONS || c->nunauth >= ADMIT_MAX_UNAUTH)
		goto out;
	if ((i = slot_of(c, key)) == -1) {
		for (i = 0; i < ADMIT_MAX_SESSIONS && c->slots[i].n > 0; i++)
			;
		if (i == ADMIT_MAX_SESSIONS)
			goto out;
		snprintf(c->slots[i].addr, sizeof(c->slots[i].addr), "%s", key);
		c->slots[i].unauth = 0;
	}
	if (c->slots[i].n >= ADMIT_MAX_PER_ADDRESS ||
	    c->slots[i].unauth >= ADMIT_MAX_UNAUTH_PER_ADDRESS)
		goto out;
	c->slots[i].n++;
	c->slots[i].unauth++;
	c->nunauth++;
	c->nsessions++;
	if (c->st != NULL)
		jstore_set_clients(c->st, c->nsessions);
	ok = 1;
 out:
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void
admit_authed(struct admit *c, const char *addr)
{
	char key[ADMIT_KEY_MAX];
	int i;

	admit_addr_key(addr, key);
	pthread_mutex_lock(&c->lock);
	c->nunauth--;
	if ((i = slot_of(c, key)) != -1)
		c->slots[i].unauth--;
	pthread_mutex_unlock(&c->lock);
}

void
admit_release(struct admit *c, const char *addr, int authed)
{
	char key[ADMIT_KEY_MAX];
	int i;

	admit_addr_key(addr, key);
	pthread_mutex_lock(&c->lock);
	c->nsessions--;
	if (!authed)
		c->nunauth--;
	if ((i = slot_of(c, key)) != -1) {
		c->slots[i].n--;
		if (!authed)
			c->slots[i].unauth--;
	}
	if (c->st != NULL)
		jstore_set_clients(c->st, c->nsessions);
	pthread_cond_broadcast(&c->drained);
	pthread_mutex_unlock(&c->lock);
}

unsigned
admit_sessions(struct admit *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->nsessions;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
admit_drain(struct admit *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->nsessions > 0)
		pthread_cond_wait(&c->drained, &c->lock);
	pthread_mutex_unlock(&c->lock);
}
