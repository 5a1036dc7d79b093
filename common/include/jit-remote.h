/*
 * jit-remote.h: the contract jit-ssh and the CA service share: the CA's
 * remote commands (their table is ca/remote/verbs.c, which the client
 * links without the functions, to check a command line before it
 * connects: a typo never costs a verification code), the audit filter
 * options, and the banners the client reads.  docs/PROTOCOL.md describes
 * them.
 */
#ifndef JIT_REMOTE_H
#define JIT_REMOTE_H

#include "jit-verbs.h"

/* The remote commands, NULL-terminated (ca/remote/verbs.c). */
extern const struct jit_verb *const jit_remote_verbs[];

/* The remote commands as a program (the service's `help` lists them). */
extern const struct jit_prog jit_remote_prog;

/* 1 when the command line's command needs no verification code. */
int jit_remote_no_code(const char *name);

/* The audit log's filters: `jit-ssh-ca audit` and the remote `audit`. */
#define JIT_AUDIT_FILTER_OPTS \
	{ "user", 0, "U", "events of this user", NULL }, \
	{ "role", 0, "R", "events of this role", NULL }, \
	{ "event", 0, "E", "events of this kind", "issue request approve " \
	    "deny expire revoke auth-fail mfa-fail lockout policy-reload " \
	    "break-glass enroll issue-host lock unlock remind escalate " \
	    "ca-rotate ca-init mfa session-start session-end host-enroll " \
	    "host-remove report sso" }, \
	{ "serial", 0, "N", "the certificate with this serial", NULL }, \
	{ "request", 0, "ID", "events of this request", NULL }, \
	{ "since", 0, "T", "from this time (RFC 3339, or 90m, 24h, 7d ago)", \
	    NULL }, \
	{ "until", 0, "T", "to this time (RFC 3339, or a duration ago)", NULL }, \
	{ "limit", 0, "N", "at most this many, the newest", NULL }, \
	{ "json", 0, NULL, "JSON Lines", NULL }, \
	{ "csv", 0, NULL, "CSV", NULL }

/* The filters of `sessions` (the CA's and the service's). */
#define JIT_SESSIONS_OPTS \
	{ "user", 0, "U", "sessions of this user", NULL }, \
	{ "serial", 0, "N", "sessions with this certificate", NULL }, \
	{ "host", 0, "H", "sessions on this host", NULL }, \
	{ "since", 0, "T", "started from this time (RFC 3339, or 90m, 24h, " \
	    "7d ago)", NULL }, \
	{ "until", 0, "T", "started up to this time", NULL }, \
	{ "json", 0, NULL, "JSON Lines", NULL }

#define JIT_REPORT_OPTS \
	{ "since", 0, "T", "from this time (RFC 3339, or 30d ago: the " \
	    "default)", NULL }, \
	{ "until", 0, "T", "to this time (RFC 3339, or a duration ago; " \
	    "default now)", NULL }, \
	{ "format", 0, "F", "text (the default), json or html", \
	    "text json html" }

/*
 * The banner a CA sends when it cannot reach its store: the client then
 * tries the next CA of its list.
 */
#define JIT_BANNER_STORE_DOWN	"jit-ssh: the CA cannot reach its store"


/*
 * The banner a CA sends when a right code was used already (in this 30-s
 * step): the client waits for the next code instead of asking at once.
 */
#define JIT_BANNER_CODE_USED	"jit-ssh: that code was already used"

#endif /* JIT_REMOTE_H */
