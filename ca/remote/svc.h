/*
 * svc.h: what the remote commands run against, shared by the service's
 * threads: the CA directory's keys, the store, and the policy (a
 * reference that a reload swaps without waiting for anybody).  The server
 * (server/serve.c) opens it; the sessions, their authentication, the
 * commands and the sweeper read it.
 */
#ifndef JIT_CA_SVC_H
#define JIT_CA_SVC_H

#include <pthread.h>
#include <stdatomic.h>

#include "cadir.h"
#include "cakeys.h"
#include "totp-seal.h"

struct jkey;
struct jpolicy;
struct jstore;

/*
 * The CA keys in force: the user CA's signer and every published key (a
 * rotation publishes two); a reload (SIGHUP) swaps them like the policy.
 */
struct svc_keys {
	atomic_int refs;
	struct ca_signer user;		/* signs user certificates */
	struct ca_pubs pubs[CA_KEY_KINDS];	/* published: user, host */
	struct jkey *own[CA_OWN_KEYS];	/* never certified */
	char *text;	/* `ca-keys`: a line per published key */
};

struct svc {
	const char *dir;
	struct jstore *store;
	unsigned char totp_key[CA_TOTP_KEY_LEN];	/* opens TOTP secrets */
	/* The policy and the keys: only through svc_*_get/put/swap. */
	pthread_mutex_t policy_lock;
	struct jpolicy *policy;
	struct svc_keys *keys;
	struct ca_oidc *oidc;	/* the policy's sso client, once used */
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

/*
 * Loads the CA keys of dir (printing why not): the user CA's key opens
 * (a token: logged in, the key found) or this fails.
 */
int svc_keys_load(const char *dir, struct svc_keys **kp);
/* The keys in force: a reference, valid until svc_keys_put(). */
struct svc_keys *svc_keys_get(struct svc *s);
void svc_keys_put(struct svc_keys *k);
/* Installs k (taking its reference); the old ones go with their last user. */
void svc_keys_swap(struct svc *s, struct svc_keys *k);

/* Records a simple event (auth-fail, mfa-fail, policy-reload); failures
 * are logged, never fatal. */
struct ca_oidc;
/*
 * The identity provider's client for policy p's sso section (made when
 * none is, or the section changed; its discovery and keys cached across
 * sessions), a reference for ca_oidc_free(); NULL with err saying why.
 */
struct ca_oidc *svc_oidc_get(struct svc *s, const struct jpolicy *p,
    char *err, size_t errlen);

void svc_event(struct svc *s, const char *kind, const char *user,
    const char *source, const char *reason, const char *fp);

#endif /* JIT_CA_SVC_H */
