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
#include "jit-verbs.h"
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

/* revoke's options: what to revoke, whether to lock. */
struct revoke_opts {
	const char *dir, *key_id, *user, *reason;
	uint64_t serial;
	int lock;	/* --lock 1, --no-lock 0, neither: -1 (ask) */
};

/* Reads and checks them: 0, or CA_EXIT_USAGE (said why). */
static int
revoke_opts(const struct jit_args *a, struct revoke_opts *o)
{
	const char *serial_s = jit_arg(a, "serial");
	char *end;
	int nsel;

	o->dir = jit_arg(a, "dir");
	o->key_id = jit_arg(a, "key-id");
	o->user = jit_arg(a, "user");
	o->reason = jit_arg(a, "reason");
	o->serial = 0;
	o->lock = jit_flag(a, "lock") ? 1 : jit_flag(a, "no-lock") ? 0 : -1;
	if (serial_s != NULL) {
		o->serial = strtoull(serial_s, &end, 10);
		if (*serial_s < '1' || *serial_s > '9' || *end != '\0') {
			ca_error("--serial: '%s' is not a serial", serial_s);
			return CA_EXIT_USAGE;
		}
	}
	nsel = (serial_s != NULL) + (o->key_id != NULL) + (o->user != NULL);
	if (jit_flag(a, "lock") && jit_flag(a, "no-lock")) {
		ca_error("revoke: --lock or --no-lock, not both");
		return CA_EXIT_USAGE;
	}
	if (nsel != 1) {
		ca_error("revoke needs exactly one of --serial N, --key-id ID, "
		    "--user U");
		return CA_EXIT_USAGE;
	}
	if (o->lock != -1 && o->user == NULL) {
		ca_error("revoke: --lock and --no-lock go with --user U");
		return CA_EXIT_USAGE;
	}
	return 0;
}

/* Every unexpired certificate of o->user (locked first with --lock). */
static int
revoke_user(struct jstore *st, const struct revoke_opts *o, uint64_t now)
{
	uint64_t *serials = NULL;
	size_t n = 0, i, batch = 0, done = 0, total = 0;
	int r, rc = CA_EXIT_FAIL;

	if (o->lock == 1) {
		/* First: no new certificate while the old ones are revoked. */
		if ((r = jstore_lock(st, o->user, 0, "operator", o->reason != NULL ?
		    o->reason : "revoked", now)) != 0) {
			ca_error("locking %s: %s", o->user, jit_strerror(r));
			return CA_EXIT_FAIL;
		}
		printf("locked %s until unlocked\n", o->user);
	}
	if ((r = jstore_user_serials(st, o->user, now, &serials, &n)) != 0) {
		ca_error("finding %s's certificates: %s", o->user,
		    jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	/*
	 * However many there are: in batches of REVOKE_BATCH, one commit
	 * each (a batch either lands whole or not at all).
	 */
	for (i = 0; i < n; i += batch) {
		batch = n - i < REVOKE_BATCH ? n - i : REVOKE_BATCH;
		if ((r = jstore_revoke_many(st, serials + i, batch, "operator",
		    o->reason, now, &done)) != 0) {
			ca_error("revoking %s's certificates: %s (%zu of %zu "
			    "revoked before)", o->user, jit_strerror(r), total, n);
			goto out;
		}
		total += done;
	}
	if (n == 0)
		printf("%s holds no unexpired certificates\n", o->user);
	else
		printf("revoked %zu certificate%s of %s (%zu already were)\n",
		    total, total == 1 ? "" : "s", o->user, n - total);
	if (total > 0)
		krl_note();
	if (o->lock == -1)
		fprintf(stderr, "note: %s can still get new certificates; "
		    "`jit-ssh-ca lock --user %s --reason ...` (or revoke "
		    "--lock) stops that\n", o->user, o->user);
	rc = CA_EXIT_OK;
 out:
	free(serials);
	return rc;
}

int
cmd_revoke(void *ctx, const struct jit_args *a)
{
	struct revoke_opts o;
	struct jstore *st = NULL;
	uint64_t now = jit_now();
	char found[512];
	int rc = CA_EXIT_FAIL, r;

	(void)ctx;
	if ((r = revoke_opts(a, &o)) != 0)
		return r;
	if (o.user != NULL && o.lock == -1)
		o.lock = offer_lock(o.user);
	if (ca_open_store(ca_dir(o.dir), 0, &st) != 0)
		return CA_EXIT_FAIL;
	if (o.key_id != NULL) {
		/* Our key ids end with the serial; the store must agree. */
		if ((o.serial = key_id_serial(o.key_id)) == 0 ||
		    jstore_cert_info(st, o.serial, found, sizeof(found), NULL,
		    NULL, 0) != 0 || strcmp(found, o.key_id) != 0) {
			ca_error("no certificate was issued with key id '%s'",
			    o.key_id);
			goto out;
		}
	}
	if (o.serial != 0)
		rc = revoke_one(st, o.serial, o.reason, now, 0) == 0 ?
		    CA_EXIT_OK : CA_EXIT_FAIL;
	else
		rc = revoke_user(st, &o, now);
 out:
	jstore_close(st);
	return rc;
}

int
cmd_krl(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *outpath = jit_arg(a, "output");
	struct jstore *st = NULL;
	struct jbuf *b = NULL;
	struct ca_pubs pubs = { { NULL, NULL, NULL } };
	const struct jkey *cas[CA_GENS];
	size_t ncas;
	int rc = CA_EXIT_FAIL, r;

	(void)ctx;
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
