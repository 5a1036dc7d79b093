/*
 * state.h: what the running service shares between its threads: the CA
 * directory's keys, the store, and the policy (a reference that a reload
 * swaps without waiting for anybody).  Created by service.c; read by the
 * sessions, their authentication and commands, and the sweeper.
 */
#ifndef JIT_CA_STATE_H
#define JIT_CA_STATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "cadir.h"
#include "totp-seal.h"

struct jkey;
struct jpolicy;
struct jstore;
struct auth_tables;
struct caps;

struct svc {
	const char *dir;
	struct jstore *store;
	struct jkey *user_ca;
	struct jkey *own_keys[CA_OWN_KEYS];	/* never certified */
	unsigned char totp_key[CA_TOTP_KEY_LEN];	/* opens TOTP secrets */
	char *ca_keys_text;		/* the user CA's line, the host CA's */
	struct auth_tables *auth;	/* auth.c: grace, auth-fail rates */
	struct caps *caps;		/* caps.c: sessions per address */
	atomic_int stopping;		/* SIGTERM: sessions wind down */
	/* The policy: only through svc_policy_get/put/swap. */
	pthread_mutex_t policy_lock;
	struct jpolicy *policy;
};

/* Loads keys, policy and store from dir into s (printing why not). */
int svc_open(struct svc *s, const char *dir);
/* Frees what svc_open() loaded (NULL-safe parts). */
void svc_close(struct svc *s);

/*
 * The current policy: a reference, valid until svc_policy_put(), whatever
 * a reload does meanwhile.
 */
struct jpolicy *svc_policy_get(struct svc *s);
void svc_policy_put(struct svc *s, struct jpolicy *p);
/* Installs p (taking its reference); the old one goes with its last user. */
void svc_policy_swap(struct svc *s, struct jpolicy *p);

/* Records a simple event (auth-fail, mfa-fail, policy-reload); failures
 * are logged, never fatal. */
void svc_event(struct svc *s, const char *kind, const char *user,
    const char *source, const char *reason);

#endif /* JIT_CA_STATE_H */
