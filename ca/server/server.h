/*
 * server.h: what the SSH server holds beside the commands' svc: the
 * authentication tables, the admission limits and the stop flag.  One
 * per `jit-ssh-ca serve`, made by serve.c; every session points at it.
 */
#ifndef JIT_CA_SERVER_H
#define JIT_CA_SERVER_H

#include <stdatomic.h>

#include "svc.h"

struct admit;
struct auth_tables;

struct server {
	struct svc svc;			/* policy, keys, store (remote/svc.h) */
	struct auth_tables *auth;	/* auth.c: grace, auth-fail rates */
	struct admit *admit;		/* admit.c: sessions per address */
	atomic_int stopping;		/* SIGTERM: sessions wind down */
	struct ca_deadlines dl;		/* config.yaml's deadlines: */
};

struct jit_args;

/* jit-ssh-ca serve: the listener's loop until SIGTERM (serve.c). */
int cmd_serve(void *ctx, const struct jit_args *a);

#endif /* JIT_CA_SERVER_H */
