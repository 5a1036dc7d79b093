/*
 * state.c: the running service's shared state (see state.h): loading it
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
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"
#include "state.h"
#include "totp-seal.h"

int
svc_open(struct svc *s, const char *dir)
{
	char *path = ca_path(dir, CA_USER_KEY), *pub = NULL, *hpub = NULL;
	struct jbuf *a = NULL, *b = NULL;
	int r;

	s->dir = dir;
	pthread_mutex_init(&s->policy_lock, NULL);
	atomic_init(&s->stopping, 0);
	if ((r = jkey_load_private(path, &s->user_ca, NULL)) != 0) {
		ca_error("%s: %s", path, jit_strerror(r));
		goto out;
	}
	if ((r = ca_totp_key_load(dir, 1, s->totp_key)) != 0)
		goto out;
	if ((r = ca_own_keys_load(dir, s->own_keys)) != 0)
		goto out;
	pub = ca_path(dir, CA_USER_KEY ".pub");
	hpub = ca_path(dir, CA_HOST_KEY ".pub");
	if ((r = jit_file_read(pub, 16384, 0, &a)) != 0 ||
	    (r = jit_file_read(hpub, 16384, 0, &b)) != 0) {
		ca_error("reading the CA public keys: %s", jit_strerror(r));
		goto out;
	}
	if (asprintf(&s->ca_keys_text, "%.*s%.*s", (int)jbuf_len(a),
	    (const char *)jbuf_ptr(a), (int)jbuf_len(b),
	    (const char *)jbuf_ptr(b)) == -1) {
		s->ca_keys_text = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = ca_load_policy(dir, NULL, &s->policy)) != 0)
		goto out;
	if ((r = ca_open_store(dir, 0, &s->store)) == 0)
		jstore_set_live_cap(s->store, jpolicy_max_live_certs(s->policy));
 out:
	jbuf_free(a);
	jbuf_free(b);
	free(path);
	free(pub);
	free(hpub);
	return r;
}

void
svc_close(struct svc *s)
{
	free(s->ca_keys_text);
	s->ca_keys_text = NULL;
	jit_wipe(s->totp_key, sizeof(s->totp_key));
	jkey_free(s->user_ca);
	s->user_ca = NULL;
	ca_own_keys_free(s->own_keys);
	jstore_close(s->store);
	s->store = NULL;
	jpolicy_free(s->policy);
	s->policy = NULL;
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

void
svc_event(struct svc *s, const char *kind, const char *user,
    const char *source, const char *reason)
{
	struct jstore_event ev;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.event = kind;
	ev.user = user;
	ev.source = source;
	ev.reason = reason;
	if ((r = jstore_append(s->store, &ev, 1)) != 0)
		ca_log("recording %s for %s: %s", kind, user, jit_strerror(r));
}
