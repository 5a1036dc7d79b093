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
#include <stdint.h>

struct jkey;
struct svc;
struct auth_tables;

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
};


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
