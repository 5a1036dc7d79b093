/*
 * cmd-lock.c: `jit-ssh-ca lock --user U [--until T] --reason TEXT` stops
 * new certificates for U at once (a waiting approval included), audited;
 * `jit-ssh-ca unlock --user U [--reason TEXT]` ends it.  Certificates
 * already issued stay valid: revoke them (revoke --user U --lock does both).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cadir.h"
#include "calog.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "timefmt.h"

static int
lock_main(const struct jit_args *a, int lock)
{
	const char *dir = jit_arg(a, "dir"), *user = jit_arg(a, "user");
	const char *until_s = jit_arg(a, "until"), *reason = jit_arg(a, "reason");
	struct jstore *st = NULL;
	uint64_t now = jit_now(), until = 0, old_until = 0;
	char when[32], *old_reason = NULL;
	int r;

	if (user == NULL || (lock && reason == NULL) ||
	    (!lock && until_s != NULL)) {
		ca_error(lock ? "lock needs --user U and --reason TEXT" :
		    "unlock needs --user U");
		return CA_EXIT_USAGE;
	}
	/* --until: a time (RFC 3339) or a duration from now (2h, 1d). */
	if (until_s != NULL && ca_parse_until(until_s, now, &until) != 0) {
		ca_error("--until: '%s' is neither a time (2026-12-24T09:00:00Z) "
		    "nor a duration from now (2h, 1d)", until_s);
		return CA_EXIT_USAGE;
	}
	if (until_s != NULL && until <= now) {
		ca_error("--until: '%s' is not in the future", until_s);
		return CA_EXIT_USAGE;
	}
	if (ca_open_store(ca_dir(dir), 0, &st) != 0)
		return CA_EXIT_FAIL;
	/* A new lock replaces the one in force: say when that shortens it. */
	if (lock && until != 0 && jstore_locked(st, user, now, &old_until,
	    &old_reason) == 1 && (old_until == 0 || old_until > until)) {
		if (old_until != 0)
			jit_format_time(old_until, when, sizeof(when));
		fprintf(stderr, "note: this shortens %s's lock, which held %s%s\n",
		    user, old_until != 0 ? "until " : "until unlocked",
		    old_until != 0 ? when : "");
	}
	free(old_reason);
	r = lock ? jstore_lock(st, user, until, "operator", reason, now) :
	    jstore_unlock(st, user, "operator", reason, now);
	jstore_close(st);
	if (!lock && r == JIT_ERR_NOT_FOUND) {
		ca_error("%s is not locked", user);
		return CA_EXIT_FAIL;
	}
	if (r != 0) {
		ca_error("%s %s: %s", lock ? "locking" : "unlocking", user,
		    jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	if (lock && until != 0) {
		jit_format_time(until, when, sizeof(when));
		printf("locked %s until %s\n", user, when);
	} else
		printf(lock ? "locked %s until unlocked\n" : "unlocked %s\n",
		    user);
	return CA_EXIT_OK;
}

int
cmd_lock(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	return lock_main(a, 1);
}

int
cmd_unlock(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	return lock_main(a, 0);
}
