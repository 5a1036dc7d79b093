/*
 * cmd-revoke.c: `jit-ssh-ca revoke` and `jit-ssh-ca krl`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cakrl.h"
#include "cadir.h"
#include "cakeys.h"
#include "calog.h"
#include "cmdopt.h"
#include "commands.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jstore.h"

#define REVOKE_BATCH	512	/* serials per commit */

/* "jit:<user>:<role>:<serial>" -> serial, or 0. */
static uint64_t
key_id_serial(const char *id)
{
	const char *colon = strrchr(id, ':');
	char *end;
	uint64_t v;

	if (strncmp(id, "jit:", 4) != 0 || colon == NULL || colon[1] < '1' ||
	    colon[1] > '9')
		return 0;
	v = strtoull(colon + 1, &end, 10);
	return *end == '\0' ? v : 0;
}

/* Where a revocation takes effect: sshd reads its KRL file. */
static void
krl_note(void)
{
	fprintf(stderr, "note: hosts refuse it after their next KRL refresh "
	    "(jit-ssh-krl-refresh, every 5 minutes); sessions already open "
	    "go on until they end\n");
}

static int
revoke_one(struct jstore *st, uint64_t serial, const char *reason,
    uint64_t now, int quiet_exists)
{
	char key_id[512];
	int r;

	if ((r = jstore_cert_info(st, serial, key_id, sizeof(key_id), NULL,
	    NULL, 0)) != 0) {
		ca_error("serial %llu: %s", (unsigned long long)serial,
		    r == JIT_ERR_NOT_FOUND ? "no certificate was issued with "
		    "this serial" : jit_strerror(r));
		return r;
	}
	if ((r = jstore_revoke(st, serial, "operator", reason, now)) != 0) {
		if (r == JIT_ERR_EXISTS && quiet_exists)
			return 0;
		ca_error("serial %llu: %s", (unsigned long long)serial,
		    r == JIT_ERR_EXISTS ? "already revoked" : jit_strerror(r));
		return r;
	}
	printf("revoked serial %llu (%s)\n", (unsigned long long)serial, key_id);
	if (!quiet_exists)
		krl_note();
	return 0;
}

/*
 * revoke --user without --lock or --no-lock: on a terminal, asks whether
 * to lock the user too (1 yes, 0 no); elsewhere -1 (not asked: a note
 * after the revocation says how).
 */
static int
offer_lock(const char *user)
{
	char answer[16];

	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return -1;
	fprintf(stderr, "Also lock %s, so that no new certificate is issued "
	    "until `jit-ssh-ca unlock`? [y/N] ", user);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

int
cmd_revoke(int argc, char **argv)
{
	const char *dir = NULL, *key_id = NULL, *user = NULL, *reason = NULL;
	const char *serial_s = NULL;
	int lock = -1;	/* --lock 1, --no-lock 0, neither: ask */
	int lock_f = 0, nolock_f = 0;
	const struct ca_opt opts[] = {
		{ "dir", 'd', &dir, NULL },
		{ "serial", 's', &serial_s, NULL },
		{ "key-id", 'k', &key_id, NULL },
		{ "user", 'u', &user, NULL },
		{ "reason", 'R', &reason, NULL },
		{ "lock", 'L', NULL, &lock_f },
		{ "no-lock", 'N', NULL, &nolock_f },
		{ NULL, 0, NULL, NULL },
	};
	struct jstore *st = NULL;
	uint64_t serial = 0, now = (uint64_t)time(NULL), *serials = NULL;
	char found[512], *end;
	size_t n = 0, i, batch = 0, done = 0, total = 0;
	int argi, nsel, rc = CA_EXIT_FAIL, r;

	if ((r = ca_opts(argc, argv, opts, "jit-ssh-ca revoke [--dir DIR] "
	    "(--serial N | --key-id ID | --user U) [--reason TEXT] "
	    "[--lock | --no-lock]", &argi)) != CA_OPTS_GO)
		return r;
	if (serial_s != NULL) {
		serial = strtoull(serial_s, &end, 10);
		if (*serial_s < '1' || *serial_s > '9' || *end != '\0') {
			ca_error("--serial: '%s' is not a serial", serial_s);
			return CA_EXIT_USAGE;
		}
	}
	nsel = (serial_s != NULL) + (key_id != NULL) + (user != NULL);
	if (lock_f && nolock_f) {
		ca_error("revoke: --lock or --no-lock, not both");
		return CA_EXIT_USAGE;
	}
	if (lock_f || nolock_f)
		lock = lock_f;
	if (nsel != 1 || argi != argc) {
		ca_error("revoke needs exactly one of --serial N, --key-id ID, "
		    "--user U");
		return CA_EXIT_USAGE;
	}
	if (lock != -1 && user == NULL) {
		ca_error("revoke: --lock and --no-lock go with --user U");
		return CA_EXIT_USAGE;
	}
	if (user != NULL && lock == -1)
		lock = offer_lock(user);
	if (ca_open_store(ca_dir(dir), 0, &st) != 0)
		return CA_EXIT_FAIL;
	if (key_id != NULL) {
		/* Our key ids end with the serial; the store must agree. */
		if ((serial = key_id_serial(key_id)) == 0 ||
		    jstore_cert_info(st, serial, found, sizeof(found), NULL,
		    NULL, 0) != 0 || strcmp(found, key_id) != 0) {
			ca_error("no certificate was issued with key id '%s'",
			    key_id);
			goto out;
		}
	}
	if (serial != 0) {
		if (revoke_one(st, serial, reason, now, 0) == 0)
			rc = CA_EXIT_OK;
		goto out;
	}
	if (lock == 1) {
		/* First: no new certificate while the old ones are revoked. */
		if ((r = jstore_lock(st, user, 0, "operator", reason != NULL ?
		    reason : "revoked", now)) != 0) {
			ca_error("locking %s: %s", user, jit_strerror(r));
			goto out;
		}
		printf("locked %s until unlocked\n", user);
	}
	if ((r = jstore_user_serials(st, user, now, &serials, &n)) != 0) {
		ca_error("finding %s's certificates: %s", user, jit_strerror(r));
		goto out;
	}
	/*
	 * However many there are: in batches of REVOKE_BATCH, one commit
	 * each (a batch either lands whole or not at all).
	 */
	rc = CA_EXIT_OK;
	for (i = 0; i < n; i += batch) {
		batch = n - i < REVOKE_BATCH ? n - i : REVOKE_BATCH;
		if ((r = jstore_revoke_many(st, serials + i, batch, "operator",
		    reason, now, &done)) != 0) {
			ca_error("revoking %s's certificates: %s (%zu of %zu "
			    "revoked before)", user, jit_strerror(r), total, n);
			rc = CA_EXIT_FAIL;
			goto out;
		}
		total += done;
	}
	if (n == 0)
		printf("%s holds no unexpired certificates\n", user);
	else
		printf("revoked %zu certificate%s of %s (%zu already were)\n",
		    total, total == 1 ? "" : "s", user, n - total);
	if (total > 0)
		krl_note();
	if (lock == -1)
		fprintf(stderr, "note: %s can still get new certificates; "
		    "`jit-ssh-ca lock --user %s --reason ...` (or revoke "
		    "--lock) stops that\n", user, user);
 out:
	free(serials);
	jstore_close(st);
	return rc;
}

int
cmd_krl(int argc, char **argv)
{
	const char *dir = NULL, *outpath = NULL;
	const struct ca_opt opts[] = {
		{ "dir", 'd', &dir, NULL },
		{ "output", 'o', &outpath, NULL },
		{ NULL, 0, NULL, NULL },
	};
	struct jstore *st = NULL;
	struct jbuf *b = NULL;
	struct ca_pubs pubs = { { NULL, NULL, NULL } };
	const struct jkey *cas[CA_GENS];
	size_t ncas;
	int argi, rc = CA_EXIT_FAIL, r;

	if ((r = ca_opts(argc, argv, opts, "jit-ssh-ca krl [--dir DIR] "
	    "[--output FILE]", &argi)) != CA_OPTS_GO)
		return r;
	if (argi != argc) {
		ca_error("krl: unexpected argument '%s'", argv[argi]);
		return CA_EXIT_USAGE;
	}
	dir = ca_dir(dir);
	if ((b = jbuf_new()) == NULL)
		return CA_EXIT_FAIL;
	/* Every published user CA key: a rotation has two. */
	if (ca_pubs_load(dir, CA_KEY_USER, &pubs) != 0)
		goto out;
	ncas = ca_pubs_list(&pubs, cas);
	if (ca_open_store(dir, JSTORE_RDONLY, &st) != 0 ||
	    ca_krl_build(cas, ncas, st, b) != 0)
		goto out;
	if (outpath != NULL) {
		/* Replaced atomically: sshd never reads half a KRL. */
		if ((r = jit_file_write(outpath, jbuf_ptr(b), jbuf_len(b), 0644,
		    1)) != 0) {
			ca_error("writing %s: %s", outpath, jit_strerror(r));
			goto out;
		}
	} else if (fwrite(jbuf_ptr(b), 1, jbuf_len(b), stdout) != jbuf_len(b) ||
	    fflush(stdout) != 0) {
		ca_error("writing the KRL: short write");
		goto out;
	}
	rc = CA_EXIT_OK;
 out:
	jstore_close(st);
	jbuf_free(b);
	ca_pubs_free(&pubs);
	return rc;
}
