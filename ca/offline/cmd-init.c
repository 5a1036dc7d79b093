/*
 * cmd-init.c: `jit-ssh-ca init` creates a CA directory: the user CA key, the
 * host CA key, the listener's own host key, a config and a starter policy.
 * It never overwrites an existing CA and leaves nothing behind on failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "cadir.h"
#include "cakeys.h"
#include "calog.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jp11.h"
#include "jstore.h"
#include "totp-seal.h"

/*
 * config.yaml; store, when shared, as a double-quoted YAML string; the CA
 * keys (file or pkcs11: URIs) and the token's module.
 */
static int
config_yaml(const char *store, const char *const keys[CA_KEY_KINDS],
    const char *module, char **textp)
{
	char q[2048], *k[CA_KEY_KINDS] = { NULL, NULL }, *m = NULL;
	size_t o = 0;
	const char *p;
	int r = -1;

	for (p = store; p != NULL && *p != '\0'; p++) {
		if (o + 3 >= sizeof(q) || (unsigned char)*p < 0x20)
			return -1;
		if (*p == '"' || *p == '\\')
			q[o++] = '\\';
		q[o++] = *p;
	}
	q[o] = '\0';
	if ((k[0] = ca_yaml_quote(keys[0])) == NULL ||
	    (k[1] = ca_yaml_quote(keys[1])) == NULL ||
	    (module != NULL && (m = ca_yaml_quote(module)) == NULL))
		goto out;
	if (asprintf(textp, "# jit-ssh-ca configuration (docs/OPERATIONS.md)\n"
	    "listen: 127.0.0.1:2222\n%s%s%s"
	    "# where the CA keys' private halves are: file (DIR/user_ca,\n"
	    "# DIR/host_ca) or a pkcs11: URI (docs/OPERATIONS.md: CA keys on "
	    "a token)\n"
	    "ca_key:\n  user: %s\n  host: %s\n%s%s%s", store != NULL ?
	    "# the store CA instances share (docs/OPERATIONS.md: Running more "
	    "than one CA)\nstore: \"" : "", q, store != NULL ? "\"\n" : "",
	    k[0], k[1],
	    m != NULL ? "pkcs11_module: " : "", m != NULL ? m : "",
	    m != NULL ? "\n" : "") == -1) {
		*textp = NULL;
		goto out;
	}
	r = 0;
 out:
	free(k[0]);
	free(k[1]);
	free(m);
	return r;
}

static const char policy_text[] =
    "# jit-ssh role policy: who may get which certificate, for how long.\n"
    "# `jit-ssh-ca policy check` validates this file; jit-ssh-policy(5)\n"
    "# documents every key.  Add users (with their SSH public keys) and\n"
    "# roles, e.g.:\n"
    "#\n"
    "# users:\n"
    "#   alice: { keys: [\"ssh-ed25519 AAAA... alice@laptop\"], groups: [dev] }\n"
    "# roles:\n"
    "#   dev:\n"
    "#     groups: [dev]\n"
    "#     principals: [\"{user}\"]\n"
    "#     ttl: 10m\n"
    "#     max_ttl: 1h\n"
    "#     mfa: required\n"
    "#     extensions: [permit-pty]\n"
    "defaults: { ttl: 5m, max_ttl: 30m, clock_skew: 30s, mfa_grace: 0s, "
    "key_types: [ed25519, ecdsa, rsa] }\n"
    "users: {}\n"
    "roles: {}\n"
    "auditors: []\n";

struct created {
	char *paths[16];
	size_t n;
	char *dir;	/* removed too when we made it */
};

static void
created_add(struct created *cr, char *path)
{
	if (cr->n < sizeof(cr->paths) / sizeof(cr->paths[0]))
		cr->paths[cr->n++] = path;
	else
		free(path);
}

static void
created_undo(struct created *cr, int undo)
{
	size_t i = cr->n;

	while (i-- > 0) {
		if (undo)
			(void)(cr->paths[i][strlen(cr->paths[i]) - 1] == '/' ?
			    rmdir(cr->paths[i]) : unlink(cr->paths[i]));
		free(cr->paths[i]);
	}
	if (undo && cr->dir != NULL)
		(void)rmdir(cr->dir);
	free(cr->dir);
	cr->n = 0;
	cr->dir = NULL;
}

static int
make_key(struct created *cr, const char *dir, const char *name,
    enum jkey_type type, const char *comment)
{
	struct jkey *k = NULL;
	char *path = ca_path(dir, name);
	int r;

	if ((r = jkey_generate(type, 0, &k)) != 0) {
		ca_error("generating %s: %s", name, jit_strerror(r));
		goto out;
	}
	if ((r = jkey_save_private(k, comment, path)) != 0) {
		ca_error("writing %s: %s", path, jit_strerror(r));
		goto out;
	}
	created_add(cr, path);
	if (asprintf(&path, "%s/%s.pub", dir, name) == -1) {
		path = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	created_add(cr, path);
	path = NULL;
 out:
	free(path);
	jkey_free(k);
	return r;
}

/* A CA key on a token: the one the URI names, else a new one there. */
static int
make_token_key(struct created *cr, const char *dir, const char *name,
    const char *uri, const char *module, enum jkey_type type,
    const char *comment)
{
	struct jp11 *t = NULL;
	char *path = NULL;
	int r;

	if ((r = ca_token_key(module, uri, type, &t)) != 0)
		return r;
	if (asprintf(&path, "%s/%s.pub", dir, name) == -1) {
		ca_error("out of memory");
		r = JIT_ERR_ALLOC;
	} else if ((r = ca_write_pub(path, jp11_key(t), comment, 0)) == 0) {
		created_add(cr, path);
		path = NULL;
	}
	jp11_close(t);
	free(path);
	return r;
}

static int
make_file(struct created *cr, const char *dir, const char *name,
    const char *text, mode_t mode)
{
	char *path = ca_path(dir, name);
	int r;

	if ((r = jit_file_write(path, text, strlen(text), mode, 0)) != 0) {
		ca_error("writing %s: %s", path, jit_strerror(r));
		free(path);
		return r;
	}
	created_add(cr, path);
	return 0;
}

/* Refuses a directory that already holds any part of a CA. */
static int
dir_prepare(struct created *cr, const char *dir)
{
	static const char *const parts[] = { CA_USER_KEY, CA_HOST_KEY,
	    CA_LISTEN_KEY, CA_CONFIG, CA_POLICY, CA_STORE, CA_TOTP_KEY };
	struct stat st;
	size_t i;
	char *p;

	if (mkdir(dir, 0700) == 0) {
		if ((cr->dir = strdup(dir)) == NULL)
			return -1;
		return 0;
	}
	if (errno == EACCES) {
		ca_error("creating %s: %s: create it for the CA's user first "
		    "(install -d -m 0700 -o USER -g USER %s), then run init as "
		    "USER", dir, strerror(errno), dir);
		return -1;
	}
	if (errno != EEXIST) {
		ca_error("creating %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		ca_error("%s exists and is not a directory", dir);
		return -1;
	}
	if (ca_dir_check_owner(dir) != 0)
		return -1;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		p = ca_path(dir, parts[i]);
		if (lstat(p, &st) == 0) {
			ca_error("%s already exists: refusing to overwrite an "
			    "existing CA", p);
			free(p);
			return -1;
		}
		free(p);
	}
	if (chmod(dir, 0700) == -1) {
		ca_error("chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* What engineers need: the listener's fingerprint, in a setup line. */
static void
print_setup_line(const char *dir)
{
	char *path = ca_path(dir, CA_LISTEN_KEY ".pub"), *fp = NULL;
	struct jkey *k = NULL;

	if (jkey_load_public(path, &k, NULL) == 0 &&
	    jkey_fingerprint(k, &fp) == 0)
		printf("  the listener's host key: %s\n"
		    "  engineers run: jit-ssh setup --ca THIS-HOST:2222 "
		    "--fingerprint %s --user NAME\n", fp, fp);
	free(fp);
	jkey_free(k);
	free(path);
}

/* init's options, checked: 0, or CA_EXIT_USAGE (said why). */
struct init_opts {
	enum jkey_type type;
	const char *dir, *store, *module;
	const char *keys[CA_KEY_KINDS];		/* "file" or a pkcs11: URI */
	const char *ukey, *hkey;		/* --ca-key, --host-ca-key */
	int shared;				/* a store of several CAs */
	char *config;				/* config.yaml's text */
};

static int
init_opts(const struct jit_args *a, struct init_opts *o)
{
	const char *type_s = jit_arg(a, "key-type"), *why;
	int k;

	o->type = JKEY_ED25519;
	o->dir = ca_dir(jit_arg(a, "dir"));
	o->store = jit_arg(a, "store");
	o->module = jit_arg(a, "pkcs11-module");
	o->ukey = jit_arg(a, "ca-key");
	o->hkey = jit_arg(a, "host-ca-key");
	o->keys[CA_KEY_USER] = o->ukey != NULL ? o->ukey : "file";
	o->keys[CA_KEY_HOST] = o->hkey != NULL ? o->hkey : "file";
	for (k = 0; k < CA_KEY_KINDS; k++)
		if (strcmp(o->keys[k], "file") != 0 &&
		    (why = jp11_uri_problem(o->keys[k])) != NULL) {
			ca_error("--%sca-key: %s", k == CA_KEY_HOST ? "host-" : "",
			    why);
			return CA_EXIT_USAGE;
		}
	if (type_s != NULL && ca_parse_key_type(type_s, &o->type) != 0) {
		ca_error("unknown --key-type '%s' (ed25519, ecdsa or rsa)",
		    type_s);
		return CA_EXIT_USAGE;
	}
	if (o->store != NULL && !ca_store_where_ok(o->store, &why)) {
		ca_error("--store: %s", why);
		return CA_EXIT_USAGE;
	}
	o->shared = o->store != NULL && strcmp(o->store, "lmdb") != 0;
	if (config_yaml(o->shared ? o->store : NULL, o->keys, o->module,
	    &o->config) != 0) {
		ca_error("--store: not a location a config can hold");
		return CA_EXIT_USAGE;
	}
	return 0;
}

/* The CA's three keys, its config and policy, its TOTP key. */
static int
init_files(struct created *cr, const struct init_opts *o)
{
	unsigned char totp_key[CA_TOTP_KEY_LEN];

	if ((o->ukey != NULL ? make_token_key(cr, o->dir, CA_USER_KEY, o->ukey,
	    o->module, o->type, "jit-ssh user CA") : make_key(cr, o->dir,
	    CA_USER_KEY, o->type, "jit-ssh user CA")) != 0 ||
	    (o->hkey != NULL ? make_token_key(cr, o->dir, CA_HOST_KEY, o->hkey,
	    o->module, o->type, "jit-ssh host CA") : make_key(cr, o->dir,
	    CA_HOST_KEY, o->type, "jit-ssh host CA")) != 0 ||
	    make_key(cr, o->dir, CA_LISTEN_KEY, JKEY_ED25519,
	    "jit-ssh-ca listener") != 0 ||
	    make_file(cr, o->dir, CA_CONFIG, o->config, 0600) != 0 ||
	    make_file(cr, o->dir, CA_POLICY, policy_text, 0600) != 0)
		return -1;
	if (ca_totp_key_load(o->dir, 1, totp_key) != 0)
		return -1;
	jit_wipe(totp_key, sizeof(totp_key));
	created_add(cr, ca_path(o->dir, CA_TOTP_KEY));
	return 0;
}

/* The store itself, bound to this CA, so krl and audit work at once. */
static int
init_store(struct created *cr, const struct init_opts *o)
{
	struct jstore *st = NULL;
	uint64_t head = 0;
	char *store, *shown;

	if (!o->shared) {
		store = ca_path(o->dir, CA_STORE "/");
		if (mkdir(store, 0700) == -1) {
			ca_error("creating %s: %s", store, strerror(errno));
			free(store);
			return -1;
		}
		created_add(cr, store);
	}
	if (ca_open_store(o->dir, JSTORE_ONESHOT | CA_STORE_UNBOUND, &st) != 0)
		return -1;
	/* A shared store with a log serves another CA's keys. */
	if (o->shared && (jstore_head(st, &head) != 0 || head != 0)) {
		shown = jstore_where_display(o->store);
		ca_error("the store at %s already holds a CA's log: to add an "
		    "instance of that CA, copy its directory (keys, totp.key, "
		    "config.yaml, policy.yaml) instead (docs/OPERATIONS.md: Running more "
		    "than one CA)", shown != NULL ? shown : "?");
		free(shown);
		jstore_close(st);
		return -1;
	}
	/* The store is this CA's from now on. */
	if (ca_bind_record(o->dir, st) != 0) {
		jstore_close(st);
		return -1;
	}
	jstore_close(st);
	if (!o->shared) {
		created_add(cr, ca_path(o->dir, CA_STORE "/lock.mdb"));
		created_add(cr, ca_path(o->dir, CA_STORE "/data.mdb"));
	}
	return 0;
}

int
cmd_init(void *ctx, const struct jit_args *a)
{
	struct created cr = { .n = 0 };
	struct init_opts o;
	int r, ok = 0;

	(void)ctx;
	memset(&o, 0, sizeof(o));
	if ((r = init_opts(a, &o)) != 0)
		return r;
	umask(077);
	if (dir_prepare(&cr, o.dir) != 0 || init_files(&cr, &o) != 0 ||
	    init_store(&cr, &o) != 0)
		goto out;
	ok = 1;
	printf("initialised jit-ssh CA in %s\n"
	    "  user CA public key: %s/%s.pub (hosts: TrustedUserCAKeys)\n"
	    "  host CA public key: %s/%s.pub\n"
	    "  edit %s/%s, then run: jit-ssh-ca serve --dir %s\n",
	    o.dir, o.dir, CA_USER_KEY, o.dir, CA_HOST_KEY, o.dir, CA_POLICY,
	    o.dir);
	print_setup_line(o.dir);
 out:
	free(o.config);
	created_undo(&cr, !ok);
	return ok ? CA_EXIT_OK : CA_EXIT_FAIL;
}
