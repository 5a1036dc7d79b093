/*
 * auth.h: who may connect: publickey against the policy's user keys,
 * then, for enrolled users, a verification code (RFC 6238) counted and
 * locked out in the store, or the grace of a recent code (mfa_grace).
 * Decisions only: session.c speaks SSH and calls these.
 */
#ifndef JIT_CA_AUTH_H
#define JIT_CA_AUTH_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

struct jkey;
struct svc;
struct auth_tables;
struct jpolicy;
struct auth_sso;

#define AUTH_MAX_FAILURES	6	/* per connection, as sshd's MaxAuthTries */
#define AUTH_MAX_TOTP_FAILURES	5	/* then lockout with growing back-off */
#define AUTH_MAX_CODES		3	/* refused codes on one connection */

enum auth_result { AUTH_DENIED = 0, AUTH_OK, AUTH_PARTIAL };

/* One connection's authentication. */
struct auth {
	struct svc *svc;
	struct auth_tables *tables;	/* the server's (server.h) */
	char addr[INET6_ADDRSTRLEN];
	char user[65];			/* a policy user, or "host:NAME" */
	char host[256];			/* an enrolled host: its name */
	struct jkey *identity;		/* the key the user authenticated with */
	int pk_ok;			/* the key is right: a code is owed */
	int authed, mfa_done;
	int codeless;			/* an empty answer to the code prompt:
					   only commands that need no code */
	int code_failures, auth_failures, auth_fail_logged;
	int kick;			/* too many attempts: disconnect */
	uint64_t mfa_time;		/* when the code was verified */
	char notice[192];		/* for the client, as a banner, once */
	/* Sign-in with the identity provider (auth-sso.c). */
	struct auth_sso *sso;		/* a device flow under way, or done */
	const atomic_int *stopping;	/* the server's SIGTERM flag */
	uint64_t sso_until;		/* the device code's end: the auth
					   deadline waits for it */
	struct jpolicy *view;		/* a signed-in SSO user's policy */
	char source_note[600];		/* "ADDR sso ISSUER SUBJECT" */
	char sso_sources[1400];		/* where the groups came from */
};


/*
 * Sign-in with the identity provider, at the SSH door (keyboard-
 * interactive).  auth_sso_user() is 1 when user (the SSH user name; "sso":
 * whoever signs in) signs in there.  auth_sso_start() asks the provider
 * for a device code and fills the prompt's instruction (the verification
 * URI and the user code); auth_sso_finish() polls until the user has
 * signed in, the code expires or the provider refuses, then maps the
 * token's claims to a user and groups: AUTH_OK (a->user, a->view, MFA
 * from amr) or AUTH_DENIED with why.  Every refusal is an auth-fail event;
 * a sign-in is an "sso" event.
 */
int auth_sso_user(struct auth *a, const char *user);
enum auth_result auth_sso_start(struct auth *a, const char *user,
    char *instruction, size_t len, char *why, size_t whylen);
enum auth_result auth_sso_finish(struct auth *a, char *why, size_t len);
void auth_sso_clear(struct auth *a);

/* Server-wide: recent codes (mfa_grace) and auth-fail rates per address. */
struct auth_tables *auth_tables_new(void);
void auth_tables_free(struct auth_tables *t);
/* A new policy may have removed a user, a key or the grace itself. */
void auth_forget_grace(struct auth_tables *t);

/*
 * publickey for user with key k (which this call takes over).  signed_ is
 * 0 for "would this key do?" and 1 when the signature was verified.
 * AUTH_OK: authenticated (or the key would do); AUTH_PARTIAL: a code is
 * owed next (keyboard-interactive); AUTH_DENIED.
 */
enum auth_result auth_publickey(struct auth *a, const char *user,
    struct jkey *k, int signed_);

/*
 * A verification code.  AUTH_OK (MFA done) or AUTH_DENIED; why (len bytes)
 * then says why for the client, or is empty.  An empty answer is no guess:
 * AUTH_OK with a->codeless set (only commands that need no code run).
 */
enum auth_result auth_code(struct auth *a, const char *code, char *why,
    size_t len);

/*
 * 1 when the key with fingerprint fp is the one enrolled for host name
 * (its newest host-enroll event, no host-remove after it), 0 when not, or
 * an error.  `jit-ssh-ca host enroll` records them.
 */
int auth_host_enrolled(struct svc *s, const char *name, const char *fp);

/* A refused attempt of any method: after AUTH_MAX_FAILURES, a->kick. */
void auth_refused(struct auth *a);

/* Frees what a holds. */
void auth_clear(struct auth *a);

#endif /* JIT_CA_AUTH_H */
