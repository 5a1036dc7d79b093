/*
 * cmd-rotate.c: `jit-ssh-ca rotate`, replacing a CA key with overlapping
 * trust.  Three steps, each recorded in the log as a "ca-rotate" event:
 *
 *   rotate --ca user|host [--key-type T | --ca-key pkcs11:URI]
 *	adds the next key (DIR/user_ca.next, or a token key whose URI goes
 *	to user_ca.next.uri); from now on ca-keys, host-config and the KRL
 *	publish both, so hosts and clients can trust it before it signs.
 *   rotate --ca user|host --activate
 *	the next key signs; the old one stays published (user_ca.old.pub).
 *   rotate --ca user|host --retire
 *	drops the old key, once no certificate it signed can still be valid:
 *	the activation time comes from the log, not from a file.
 *
 * A running service takes each step on SIGHUP (reload).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cadir.h"
#include "cakeys.h"
#include "calog.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jp11.h"
#include "jpolicy.h"
#include "jstore.h"

#define ROTATE_EVENT	"ca-rotate"

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Records one step; the audit is the proof it happened. */
static int
record(const char *dir, int kind, const char *step, const struct jkey *k,
    const char *where)
{
	struct jstore *st = NULL;
	struct jstore_event ev;
	char *fp = NULL, *reason = NULL;
	int r;

	if ((r = jkey_fingerprint(k, &fp)) != 0 ||
	    asprintf(&reason, "%s %s CA key %s", step, ca_key_kind_name(kind),
	    where) == -1) {
		reason = NULL;
		ca_error("out of memory");
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = ca_open_store(dir, JSTORE_ONESHOT, &st)) != 0)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.event = ROTATE_EVENT;
	ev.role = ca_key_kind_name(kind);
	ev.fingerprint = fp;
	ev.source = "offline";
	ev.reason = reason;
	if ((r = jstore_append(st, &ev, 1)) != 0)
		ca_error("recording the rotation step: %s", jit_strerror(r));
 out:
	jstore_close(st);
	free(fp);
	free(reason);
	return r;
}

/* The next key: a new file, or a token key (found, else generated). */
static int
add_next(const char *dir, int kind, enum jkey_type type, const char *uri)
{
	char *priv = ca_key_path(dir, kind, CA_GEN_NEXT, NULL);
	char *pub = ca_key_path(dir, kind, CA_GEN_NEXT, ".pub");
	char *upath = ca_key_path(dir, kind, CA_GEN_NEXT, ".uri");
	char *old = ca_key_path(dir, kind, CA_GEN_OLD, ".pub");
	char *line = NULL;
	struct ca_pubs cur = { { NULL, NULL, NULL } };
	struct ca_config c;
	struct jkey *gen = NULL;
	struct jp11 *tok = NULL;
	const struct jkey *k;
	int r = JIT_ERR_EXISTS;

	memset(&c, 0, sizeof(c));
	if (exists(pub)) {
		ca_error("%s: a next %s CA key is already waiting: `rotate --ca "
		    "%s --activate` it first", pub, ca_key_kind_name(kind),
		    ca_key_kind_name(kind));
		goto out;
	}
	if (exists(old)) {
		ca_error("%s: the previous %s CA key is still retiring: `rotate "
		    "--ca %s --retire` it first", old, ca_key_kind_name(kind),
		    ca_key_kind_name(kind));
		goto out;
	}
	if ((r = ca_pubs_load(dir, kind, &cur)) != 0)
		goto out;
	if (type == JKEY_UNSPEC)	/* the type of the key in use */
		type = jkey_type(cur.k[CA_GEN_ACTIVE]);
	if (uri != NULL) {
		if ((r = ca_config_get(dir, &c)) != 0)
			goto out;
		if ((r = ca_token_key(c.pkcs11_module, uri, type, &tok)) != 0)
			goto out;
		k = jp11_key(tok);
	} else {
		if ((r = jkey_generate(type, 0, &gen)) != 0) {
			ca_error("generating a key: %s", jit_strerror(r));
			goto out;
		}
		k = gen;
	}
	if (jkey_equal_public(k, cur.k[CA_GEN_ACTIVE])) {
		ca_error("that is the key in use: the next key must be another");
		r = JIT_ERR_EXISTS;
		goto out;
	}
	if (uri != NULL) {
		if (asprintf(&line, "%s\n", uri) == -1) {
			line = NULL;
			r = JIT_ERR_ALLOC;
			goto out;
		}
		if ((r = jit_file_write(upath, line, strlen(line), 0644, 1)) != 0) {
			ca_error("%s: %s", upath, jit_strerror(r));
			goto out;
		}
	} else if ((r = jkey_save_private(gen, ca_key_comment(kind,
	    CA_GEN_ACTIVE), priv)) != 0) {
		ca_error("%s: %s", priv, jit_strerror(r));
		goto out;
	}
	/* Not on record, not there: a failure takes the files back. */
	if ((r = ca_write_pub(pub, k, ca_key_comment(kind, CA_GEN_ACTIVE), 1)) != 0 ||
	    (r = record(dir, kind, "add next", k, uri != NULL ? uri :
	    "(file)")) != 0) {
		(void)unlink(pub);
		(void)unlink(uri != NULL ? upath : priv);
		goto out;
	}
	printf("the next %s CA key is %s\n", ca_key_kind_name(kind), pub);
	printf("now: publish it (`jit-ssh-ca host-config` on every host, "
	    "SIGHUP to the running CA), then `rotate --ca %s --activate`\n",
	    ca_key_kind_name(kind));
 out:
	ca_pubs_free(&cur);
	ca_config_free(&c);
	jkey_free(gen);
	jp11_close(tok);
	free(priv);
	free(pub);
	free(upath);
	free(old);
	free(line);
	return r;
}

struct act_ctx {
	const char *kind;
	const char *step;	/* "activate ", "add next " */
	uint64_t activated;	/* the newest such step of this CA */
	char fp[128];		/* the key it recorded */
	uint64_t last_valid;	/* latest expiry of a certificate before it */
};

/* The newest ca-rotate step a->step of CA a->kind (a->activated, a->fp). */
static int
find_step(const struct jstore_event *ev, void *arg)
{
	struct act_ctx *a = arg;

	if (ev->role != NULL && strcmp(ev->role, a->kind) == 0 &&
	    ev->reason != NULL && strncmp(ev->reason, a->step,
	    strlen(a->step)) == 0) {
		a->activated = ev->time;
		snprintf(a->fp, sizeof(a->fp), "%s", ev->fingerprint != NULL ?
		    ev->fingerprint : "");
	}
	return 0;
}

/*
 * 0 when the next key is the one `rotate` added: the log's newest "add
 * next" of this CA names it.  A key swapped in after that is refused.
 */
static int
next_is_added(const char *dir, int kind, const struct jkey *next)
{
	struct act_ctx a;
	struct jstore_filter f;
	struct jstore *st = NULL;
	char *fp = NULL;
	int r;

	memset(&a, 0, sizeof(a));
	a.kind = ca_key_kind_name(kind);
	a.step = "add next ";
	memset(&f, 0, sizeof(f));
	f.event = ROTATE_EVENT;
	if ((r = jkey_fingerprint(next, &fp)) != 0 ||
	    (r = ca_open_store(dir, JSTORE_RDONLY, &st)) != 0)
		goto out;
	if ((r = jstore_query(st, &f, find_step, &a)) != 0) {
		ca_error("reading the log: %s", jit_strerror(r));
		goto out;
	}
	if (a.activated == 0) {
		ca_error("the log has no next %s CA key added: refusing to "
		    "activate one (add it with `rotate --ca %s`)", a.kind, a.kind);
		r = JIT_ERR_NOT_FOUND;
	} else if (strcmp(a.fp, fp) != 0) {
		ca_error("the next %s CA key is %s, but the one `rotate` added "
		    "was %s: refusing to activate a key swapped in since "
		    "(audit --event ca-rotate)", a.kind, fp, a.fp);
		r = JIT_ERR_KEY_TYPE_MISMATCH;
	}
 out:
	jstore_close(st);
	free(fp);
	return r;
}

/* The next key signs; the old one stays published until --retire. */
static int
activate(const char *dir, int kind)
{
	char *apub = ca_key_path(dir, kind, CA_GEN_ACTIVE, ".pub");
	char *apriv = ca_key_path(dir, kind, CA_GEN_ACTIVE, NULL);
	char *npub = ca_key_path(dir, kind, CA_GEN_NEXT, ".pub");
	char *npriv = ca_key_path(dir, kind, CA_GEN_NEXT, NULL);
	char *nuri = ca_key_path(dir, kind, CA_GEN_NEXT, ".uri");
	char *opub = ca_key_path(dir, kind, CA_GEN_OLD, ".pub");
	struct ca_signer next = { NULL, NULL, NULL, NULL };
	struct ca_pubs cur = { { NULL, NULL, NULL } };
	int r = JIT_ERR_NOT_FOUND, token;

	if (!exists(npub)) {
		ca_error("no next %s CA key: add one with `rotate --ca %s` first",
		    ca_key_kind_name(kind), ca_key_kind_name(kind));
		goto out;
	}
	/* It must sign before it takes over (a token: PIN, key, same key). */
	if ((r = ca_signer_open(dir, kind, CA_GEN_NEXT, &next)) != 0 ||
	    (r = next_is_added(dir, kind, next.key)) != 0 ||
	    (r = ca_pubs_load(dir, kind, &cur)) != 0)
		goto out;
	token = next.token != NULL;
	/* What can be refused is refused before anything is recorded. */
	if ((r = ca_config_set_key(dir, kind, token ? next.where : "file",
	    1)) != 0)
		goto out;
	/*
	 * On record first: a change of trust is never unaudited.  Should the
	 * files fail after it, the log has an activation user_ca.pub does not
	 * match, which --retire refuses until --activate is run again.
	 */
	if ((r = record(dir, kind, "activate", next.key, token ? next.where :
	    apriv)) != 0)
		goto out;
	if ((r = ca_write_pub(opub, cur.k[CA_GEN_ACTIVE], ca_key_comment(kind,
	    CA_GEN_ACTIVE), 1)) != 0)
		goto incomplete;
	/* Where the private half is: config.yaml says file or the URI. */
	if ((r = ca_config_set_key(dir, kind, token ? next.where : "file",
	    0)) != 0) {
		(void)unlink(opub);	/* nothing moved */
		goto incomplete;
	}
	if (token) {
		if (unlink(apriv) == -1 && errno != ENOENT)
			ca_error("%s: %s (remove it: the old key no longer "
			    "signs)", apriv, strerror(errno));
		(void)unlink(nuri);
	} else if (rename(npriv, apriv) == -1) {
		ca_error("%s -> %s: %s", npriv, apriv, strerror(errno));
		r = JIT_ERR_SYSTEM;
		goto incomplete;
	}
	if (rename(npub, apub) == -1) {
		ca_error("%s -> %s: %s", npub, apub, strerror(errno));
		r = JIT_ERR_SYSTEM;
		goto incomplete;
	}
	printf("the %s CA now signs with %s; the old key stays published as "
	    "%s\n", ca_key_kind_name(kind), token ? next.where : apriv, opub);
	printf("now: SIGHUP every running CA; `rotate --ca %s --retire` once "
	    "the old key's certificates have expired\n",
	    ca_key_kind_name(kind));
	goto out;
 incomplete:
	ca_error("the log records this activation, but it did not complete: "
	    "fix the cause and run `rotate --ca %s --activate` again",
	    ca_key_kind_name(kind));
 out:
	ca_signer_close(&next);
	ca_pubs_free(&cur);
	free(apub);
	free(apriv);
	free(npub);
	free(npriv);
	free(nuri);
	free(opub);
	return r;
}

static int
latest_expiry(const struct jstore_event *ev, void *arg)
{
	struct act_ctx *a = arg;

	if (ev->time <= a->activated && ev->valid_before > a->last_valid)
		a->last_valid = ev->valid_before;
	return 0;
}

/* The longest user certificate the policy allows. */
static uint64_t
longest_ttl(const char *dir)
{
	struct jpolicy *p = NULL;
	struct jpolicy_role_info ri;
	uint64_t m = 0;
	size_t i;

	if (ca_load_policy(dir, NULL, &p) != 0)
		return UINT64_MAX;
	for (i = 0; i < jpolicy_nroles(p); i++)
		if (jpolicy_role_info(p, jpolicy_role_name(p, i), &ri) == 0 &&
		    ri.max_ttl > m)
			m = ri.max_ttl;
	jpolicy_free(p);
	return m;
}

/* 0 when kind's active public key has the fingerprint fp, else says so. */
static int
active_matches(const char *dir, int kind, const char *fp)
{
	char *path = ca_key_path(dir, kind, CA_GEN_ACTIVE, ".pub"), *have = NULL;
	struct jkey *k = NULL;
	int r;

	if ((r = jkey_load_public(path, &k, NULL)) != 0 ||
	    (r = jkey_fingerprint(k, &have)) != 0)
		ca_error("%s: %s", path, jit_strerror(r));
	else if (strcmp(have, fp) != 0) {
		ca_error("the log's last activation of the %s CA was of %s, but "
		    "%s is %s: refusing to retire (audit --event ca-rotate)",
		    ca_key_kind_name(kind), fp, path, have);
		r = JIT_ERR_KEY_TYPE_MISMATCH;
	}
	jkey_free(k);
	free(have);
	free(path);
	return r;
}

/* Drops the old key once nothing it signed can still be valid. */
static int
retire(const char *dir, int kind)
{
	char *opub = ca_key_path(dir, kind, CA_GEN_OLD, ".pub");
	struct jstore_filter f;
	struct act_ctx a;
	struct jstore *st = NULL;
	struct jkey *old = NULL;
	uint64_t now = jit_now(), until, ttl;
	char when[64];
	int r = JIT_ERR_NOT_FOUND;

	memset(&a, 0, sizeof(a));
	a.kind = ca_key_kind_name(kind);
	a.step = "activate ";
	if (!exists(opub)) {
		ca_error("no retiring %s CA key (%s): nothing to retire",
		    a.kind, opub);
		goto out;
	}
	if ((r = jkey_load_public(opub, &old, NULL)) != 0) {
		ca_error("%s: %s", opub, jit_strerror(r));
		goto out;
	}
	if ((r = ca_open_store(dir, JSTORE_RDONLY, &st)) != 0)
		goto out;
	memset(&f, 0, sizeof(f));
	f.event = ROTATE_EVENT;
	if ((r = jstore_query(st, &f, find_step, &a)) != 0)
		goto qfail;
	if (a.activated == 0) {
		ca_error("the log has no activation of a new %s CA key: "
		    "refusing to retire %s", a.kind, opub);
		r = JIT_ERR_NOT_FOUND;
		goto out;
	}
	/* The files must say what the log says: the key that signs now is
	 * the one the last activation recorded. */
	if ((r = active_matches(dir, kind, a.fp)) != 0)
		goto out;
	/* Certificates signed before the activation, whatever their ttl. */
	f.event = kind == CA_KEY_HOST ? "issue-host" : "issue";
	f.until = a.activated;
	if ((r = jstore_query(st, &f, latest_expiry, &a)) != 0)
		goto qfail;
	/* A service signs with the old key until its SIGHUP: the longest
	 * certificate the policy allows, from the activation. */
	ttl = kind == CA_KEY_USER ? longest_ttl(dir) : 0;
	if (ttl == UINT64_MAX) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	until = a.activated + ttl > a.last_valid ? a.activated + ttl :
	    a.last_valid;
	if (now < until) {
		{
			time_t t = (time_t)until;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		ca_error("refused: certificates signed by the old %s CA key may "
		    "be valid until %s (%llu s from now); retire it after that",
		    a.kind, when, (unsigned long long)(until - now));
		r = JIT_ERR_EXISTS;
		goto out;
	}
	jstore_close(st);
	st = NULL;
	if (unlink(opub) == -1) {
		ca_error("%s: %s", opub, strerror(errno));
		r = JIT_ERR_SYSTEM;
		goto out;
	}
	if ((r = record(dir, kind, "retire", old, "(old key)")) != 0) {
		/* Not on record: the old key stays published. */
		(void)ca_write_pub(opub, old, ca_key_comment(kind,
		    CA_GEN_ACTIVE), 0);
		goto out;
	}
	printf("retired the old %s CA key; now: SIGHUP the running CA and "
	    "install `jit-ssh-ca host-config`'s new %s on every %s\n", a.kind,
	    kind == CA_KEY_USER ? "jit-ssh-user-ca.pub" : "@cert-authority "
	    "lines", kind == CA_KEY_USER ? "host" : "client");
	goto out;
 qfail:
	ca_error("reading the log: %s", jit_strerror(r));
 out:
	jstore_close(st);
	jkey_free(old);
	free(opub);
	return r;
}

int
cmd_rotate(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *ca = jit_arg(a, "ca");
	const char *type = jit_arg(a, "key-type"), *uri = jit_arg(a, "ca-key");
	enum jkey_type t = JKEY_UNSPEC;
	int act = jit_flag(a, "activate"), ret = jit_flag(a, "retire"), kind, r;

	(void)ctx;
	if (ca == NULL || (strcmp(ca, "user") != 0 && strcmp(ca, "host") != 0)) {
		ca_error("rotate: --ca user or --ca host");
		return CA_EXIT_USAGE;
	}
	kind = strcmp(ca, "host") == 0 ? CA_KEY_HOST : CA_KEY_USER;
	if (act + ret + (type != NULL || uri != NULL) > 1) {
		ca_error("rotate: one step at a time: add (--key-type/--ca-key), "
		    "--activate or --retire");
		return CA_EXIT_USAGE;
	}
	if (type != NULL && ca_parse_key_type(type, &t) != 0) {
		ca_error("unknown --key-type '%s' (ed25519, ecdsa or rsa)", type);
		return CA_EXIT_USAGE;
	}
	if (uri != NULL && !jp11_is_uri(uri)) {
		ca_error("--ca-key: want a pkcs11: URI (without it, a key file "
		    "in the CA directory)");
		return CA_EXIT_USAGE;
	}
	dir = ca_dir(dir);
	if (ca_dir_check_owner(dir) != 0)	/* before any file is written */
		return CA_EXIT_FAIL;
	r = act ? activate(dir, kind) : ret ? retire(dir, kind) :
	    add_next(dir, kind, t, uri);
	return r == 0 ? CA_EXIT_OK : CA_EXIT_FAIL;
}
