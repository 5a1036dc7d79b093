/* caps.c: session caps per address and in all.  See caps.h. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "jstore.h"

struct caps {
	pthread_mutex_t lock;
	pthread_cond_t drained;
	struct jstore *st;
	unsigned nsessions;
	unsigned nunauth;		/* of them not authenticated yet */
	struct {
		char addr[INET6_ADDRSTRLEN];
		unsigned n, unauth;
	} slots[CAPS_MAX_SESSIONS];
};

struct caps *
caps_new(struct jstore *st)
{
	struct caps *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->drained, NULL);
	c->st = st;
	return c;
}

void
caps_free(struct caps *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->drained);
	free(c);
}

/* The slot of addr, or -1 (called locked). */
static int
slot_of(struct caps *c, const char *addr)
{
	int i;

	for (i = 0; i < CAPS_MAX_SESSIONS; i++)
		if (c->slots[i].n > 0 && strcmp(c->slots[i].addr, addr) == 0)
			return i;
	return -1;
}

int
caps_admit(struct caps *c, const char *addr)
{
	int i, ok = 0;

	pthread_mutex_lock(&c->lock);
	if (c->nsessions >= CAPS_MAX_SESSIONS || c->nunauth >= CAPS_MAX_UNAUTH)
		goto out;
	if ((i = slot_of(c, addr)) == -1) {
		for (i = 0; i < CAPS_MAX_SESSIONS && c->slots[i].n > 0; i++)
			;
		if (i == CAPS_MAX_SESSIONS)
			goto out;
		snprintf(c->slots[i].addr, sizeof(c->slots[i].addr), "%s", addr);
		c->slots[i].unauth = 0;
	}
	if (c->slots[i].n >= CAPS_MAX_PER_ADDRESS ||
	    c->slots[i].unauth >= CAPS_MAX_UNAUTH_PER_ADDRESS)
		goto out;
	c->slots[i].n++;
	c->slots[i].unauth++;
	c->nunauth++;
	c->nsessions++;
	jstore_set_clients(c->st, c->nsessions);
	ok = 1;
 out:
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void
caps_authed(struct caps *c, const char *addr)
{
	int i;

	pthread_mutex_lock(&c->lock);
	c->nunauth--;
	if ((i = slot_of(c, addr)) != -1)
		c->slots[i].unauth--;
	pthread_mutex_unlock(&c->lock);
}

void
caps_release(struct caps *c, const char *addr, int authed)
{
	int i;

	pthread_mutex_lock(&c->lock);
	c->nsessions--;
	if (!authed)
		c->nunauth--;
	if ((i = slot_of(c, addr)) != -1) {
		c->slots[i].n--;
		if (!authed)
			c->slots[i].unauth--;
	}
	jstore_set_clients(c->st, c->nsessions);
	pthread_cond_broadcast(&c->drained);
	pthread_mutex_unlock(&c->lock);
}

unsigned
caps_sessions(struct caps *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->nsessions;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
caps_drain(struct caps *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->nsessions > 0)
		pthread_cond_wait(&c->drained, &c->lock);
	pthread_mutex_unlock(&c->lock);
}
