/*
 * auth-sso.c: sign-in with the identity provider at the SSH door (see
 * auth.h).  The CA runs the device authorization grant itself: the device
 * code never leaves it; the client sees the verification URI and the user
 * code as the keyboard-interactive prompt, and answers (Enter) once signed
 * in, or at once (jit-ssh): the CA then polls the token endpoint as the
 * provider says, until the user has signed in or the code expires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "calog.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jtext.h"
#include "oidc.h"
#include "svc.h"

struct auth_sso {
	struct ca_oidc *oidc;
	struct ca_oidc_device dev;
	char asked[65];		/* the SSH user name given */
};

/* The name "sso": whoever signs in at the provider. */
#define SSO_ANY_USER	"sso"

int
auth_sso_user(struct auth *a, const char *user)
{
	struct jpolicy *p;
	int yes;

	if (user == NULL || strlen(user) >= sizeof(a->user) ||
	    strncmp(user, "host:", 5) == 0)
		return 0;
	p = svc_policy_get(a->svc);
	yes = jpolicy_user_sso(p, user);
	svc_policy_put(a->svc, p);
	return yes;
}

void
auth_sso_clear(struct auth *a)
{
	if (a->sso == NULL)
		return;
	ca_oidc_free(a->sso->oidc);
	explicit_bzero(a->sso->dev.device_code, sizeof(a->sso->dev.device_code));
	free(a->sso);
	a->sso = NULL;
}

static enum auth_result
refuse(struct auth *a, const char *user, const char *why, char *out,
    size_t len)
{
	char reason[600];

	snprintf(reason, sizeof(reason), "sso: %s", why);
	ca_log("auth-fail sso user=%s from %s: %s", user, a->addr, why);
	svc_event(a->svc, "auth-fail", user, a->addr, reason, NULL);
	snprintf(out, len, "jit-ssh: sign-in refused: %s\n", why);
	auth_sso_clear(a);
	a->sso_until = 0;
	auth_refused(a);
	return AUTH_DENIED;
}

enum auth_result
auth_sso_start(struct auth *a, const char *user, char *instruction,
    size_t len, char *why, size_t whylen)
{
	char err[512];
	struct jpolicy *p;
	struct auth_sso *s;

	auth_sso_clear(a);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return AUTH_DENIED;
	a->sso = s;
	snprintf(s->asked, sizeof(s->asked), "%s", user);
	p = svc_policy_get(a->svc);
	s->oidc = svc_oidc_get(a->svc, p, err, sizeof(err));
	svc_policy_put(a->svc, p);
	if (s->oidc == NULL || ca_oidc_device_start(s->oidc, jit_now(), &s->dev,
	    err, sizeof(err)) != 0)
		return refuse(a, user, err, why, whylen);
	a->sso_until = s->dev.expires;
	snprintf(instruction, len, "Sign in at %s with the code %s%s%s\n"
	    "(the code expires in %llu min)", s->dev.uri, s->dev.user_code,
	    s->dev.uri_complete[0] ? "\nor open " : "", s->dev.uri_complete,
	    (unsigned long long)((s->dev.expires - jit_now() + 59) / 60));
	return AUTH_OK;
}

enum auth_result
auth_sso_finish(struct auth *a, char *why, size_t whylen)
{
	struct auth_sso *s = a->sso;
	struct jpolicy_sso_id id;
	struct jpolicy *p;
	json_t *claims = NULL;
	char err[512], reason[2048], user[65];
	uint64_t i;
	int r;

	if (s == NULL)
		return refuse(a, "", "no sign-in under way", why, whylen);
	snprintf(user, sizeof(user), "%s", s->asked);
	/* Poll as the provider says until signed in, refused or expired. */
	for (;;) {
		r = ca_oidc_device_poll(s->oidc, &s->dev, jit_now(), &claims, err,
		    sizeof(err));
		if (r != 0)
			return refuse(a, user, err, why, whylen);
		if (claims != NULL)
			break;
		/* The provider's interval, a second at a time: SIGTERM ends it. */
		for (i = 0; i < s->dev.interval; i++) {
			if (a->stopping != NULL && atomic_load(a->stopping))
				return refuse(a, user, "the CA is stopping: sign in "
				    "again (at another CA)", why, whylen);
			sleep(1);
		}
	}
	p = svc_policy_get(a->svc);
	r = jpolicy_sso_map(p, claims, &id, err, sizeof(err));
	json_decref(claims);
	if (r == 0 && strcmp(user, SSO_ANY_USER) != 0 &&
	    strcmp(user, id.user) != 0) {
		snprintf(err, sizeof(err), "you signed in as %s at the identity "
		    "provider, not as %s", id.user, user);
		r = JIT_ERR_DENIED;
	}
	if (r == 0 && (a->view = jpolicy_with_sso_user(p, &id)) == NULL)
		r = JIT_ERR_ALLOC;
	svc_policy_put(a->svc, p);
	if (r != 0) {
		jpolicy_sso_id_clear(&id);
		return refuse(a, user, r == JIT_ERR_ALLOC ? "out of memory" : err,
		    why, whylen);
	}
	snprintf(a->user, sizeof(a->user), "%s", id.user);
	a->authed = 1;
	a->mfa_done = id.mfa;
	a->mfa_time = id.mfa ? jit_now() : 0;
	a->sso_until = 0;
	snprintf(a->source_note, sizeof(a->source_note), "%s sso %s %s",
	    a->addr, id.iss, id.sub);
	snprintf(a->sso_sources, sizeof(a->sso_sources), "%.1000s (signed in at "
	    "%.300s)", id.sources[0] ? id.sources : "no groups", id.iss);
	snprintf(reason, sizeof(reason), "issuer %s subject %s groups %s%s",
	    id.iss, id.sub, id.sources[0] ? id.sources : "(none)",
	    id.mfa ? "; amr counts as MFA" : "");
	svc_event(a->svc, "sso", id.user, a->addr, reason, NULL);
	ca_log("sso user=%s from %s: %s", id.user, a->addr, reason);
	jpolicy_sso_id_clear(&id);
	auth_sso_clear(a);
	return AUTH_OK;
}
