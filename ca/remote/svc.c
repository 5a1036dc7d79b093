/*
 * svc.c: the running service's shared state (see svc.h): loading it
 * from the CA directory, the policy reference, simple events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jstore.h"
#include "oidc.h"
#include "svc.h"
#include "totp-seal.h"

static void
keys_free(struct svc_keys *k)
{
	int i;

	if (k == NULL)
		return;
	ca_signer_close(&k->user);
	ca_own_keys_free(k->own);
	for (i = 0; i < CA_KEY_KINDS; i++)
		ca_pubs_free(&k->pubs[i]);
	free(k->text);
	free(k);
}

int
svc_keys_load(const char *dir, struct svc_keys **kp)
{
	struct svc_keys *k;
	char *lines[CA_KEY_KINDS] = { NULL, NULL };
	int kind, r = 0;

	*kp = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		ca_error("out of memory");
		return JIT_ERR_ALLOC;
	}
	atomic_init(&k->refs, 1);
	if ((r = ca_signer_open(dir, CA_KEY_USER, CA_GEN_ACTIVE, &k->user)) != 0 ||
	    (r = ca_own_keys_load(dir, k->own)) != 0)
		goto out;
	for (kind = 0; kind < CA_KEY_KINDS; kind++)
		if ((r = ca_pubs_load(dir, kind, &k->pubs[kind])) != 0 ||
		    (lines[kind] = ca_pub_lines(dir, kind, "")) == NULL) {
			r = r != 0 ? r : JIT_ERR_INVALID_FORMAT;
			goto out;
		}
	if (asprintf(&k->text, "%s%s", lines[0], lines[1]) == -1) {
		k->text = NULL;
		ca_error("out of memory");
		r = JIT_ERR_ALLOC;
		goto out;
	}
	*kp = k;
	k = NULL;
 out:
	free(lines[0]);
	free(lines[1]);
	keys_free(k);
	return r;
}

struct svc_keys *
svc_keys_get(struct svc *s)
{
	struct svc_keys *k;

	pthread_mutex_lock(&s->policy_lock);
	k = s->keys;
	atomic_fetch_add(&k->refs, 1);
	pthread_mutex_unlock(&s->policy_lock);
	return k;
}

void
svc_keys_put(struct svc_keys *k)
{
	if (k != NULL && atomic_fetch_sub(&k->refs, 1) == 1)
		keys_free(k);
}

void
svc_keys_swap(struct svc *s, struct svc_keys *k)
{
	struct svc_keys *old;

	pthread_mutex_lock(&s->policy_lock);
	old = s->keys;
	s->keys = k;
	pthread_mutex_unlock(&s->policy_lock);
	svc_keys_put(old);
}

int
svc_open(struct svc *s, const char *dir)
{
	int r;

	s->dir = dir;
	pthread_mutex_init(&s->policy_lock, NULL);
	/* A token that is missing or refuses the PIN stops us here. */
	if ((r = svc_keys_load(dir, &s->keys)) != 0)
		return r;
	if ((r = ca_totp_key_load(dir, 1, s->totp_key)) != 0)
		return r;
	if ((r = ca_load_policy(dir, NULL, &s->policy)) != 0)
		return r;
	if ((r = ca_open_store(dir, 0, &s->store)) == 0)
		jstore_set_live_cap(s->store, jpolicy_max_live_certs(s->policy));
	return r;
}

void
svc_close(struct svc *s)
{
	svc_keys_put(s->keys);
	s->keys = NULL;
	jit_wipe(s->totp_key, sizeof(s->totp_key));
	jstore_close(s->store);
	s->store = NULL;
	jpolicy_free(s->policy);
	s->policy = NULL;
	ca_oidc_free(s->oidc);
	s->oidc = NULL;
	pthread_mutex_destroy(&s->policy_lock);
}

struct jpolicy *
svc_policy_get(struct svc *s)
{
	struct jpolicy *p;

	pthread_mutex_lock(&s->policy_lock);
	p = jpolicy_ref(s->policy);
	pthread_mutex_unlock(&s->policy_lock);
	return p;
}

void
svc_policy_put(struct svc *s, struct jpolicy *p)
{
	(void)s;
	jpolicy_free(p);
}

void
svc_policy_swap(struct svc *s, struct jpolicy *p)
{
	struct jpolicy *old;

	/*
	 * Swap the pointer; whoever still holds the old policy keeps it until
	 * their svc_policy_put() (the last one frees it).  A reload never
	 * waits for a session, however slow its client.
	 */
	pthread_mutex_lock(&s->policy_lock);
	old = s->policy;
	s->policy = p;
	pthread_mutex_unlock(&s->policy_lock);
	jstore_set_live_cap(s->store, jpolicy_max_live_certs(p));
	jpolicy_free(old);
}

struct ca_oidc *
svc_oidc_get(struct svc *s, const struct jpolicy *p, char *err, size_t errlen)
{
	struct jpolicy_sso_cfg sso;
	struct ca_oidc_cfg c;
	struct ca_oidc *o = NULL, *old = NULL;
	struct jbuf *secret = NULL;
	char *sec = NULL;
	size_t n;
	int r;

	if (!jpolicy_sso(p, &sso)) {
		snprintf(err, errlen, "the policy has no sso section");
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.issuer = sso.issuer;
	c.client_id = sso.client_id;
	c.ca_file = sso.ca_file;
	c.scope = sso.scope;
	c.skew = sso.skew;
	if (sso.client_secret_file != NULL) {
		/* Like a private key: 0600, or refused. */
		if ((r = jit_file_read(sso.client_secret_file, 4096,
		    JIT_FILE_PRIVATE, &secret)) != 0 ||
		    (sec = strndup((const char *)jbuf_ptr(secret),
		    jbuf_len(secret))) == NULL) {
			snprintf(err, errlen, "%s: %s", sso.client_secret_file,
			    r != 0 ? jit_strerror(r) : "out of memory");
			jbuf_free(secret);
			return NULL;
		}
		n = strcspn(sec, "\r\n");
		sec[n] = '\0';
		c.client_secret = sec;
	}
	pthread_mutex_lock(&s->policy_lock);
	if (s->oidc != NULL && ca_oidc_same(s->oidc, &c))
		o = ca_oidc_ref(s->oidc);
	else if ((r = ca_oidc_new(&c, &o)) == 0) {
		old = s->oidc;
		s->oidc = ca_oidc_ref(o);
	} else
		snprintf(err, errlen, "sso: %s", jit_strerror(r));
	pthread_mutex_unlock(&s->policy_lock);
	ca_oidc_free(old);
	if (sec != NULL) {
		explicit_bzero(sec, strlen(sec));
		free(sec);
	}
	if (secret != NULL)
		jbuf_free(secret);
	return o;
}

void
svc_event(struct svc *s, const char *kind, const char *user,
    const char *source, const char *reason, const char *fp)
{
	struct jstore_event ev;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.event = kind;
	ev.user = user;
	ev.source = source;
	ev.reason = reason;
	ev.fingerprint = fp;
	if ((r = jstore_append(s->store, &ev, 1)) != 0)
		ca_log("recording %s for %s: %s", kind, user, jit_strerror(r));
}
