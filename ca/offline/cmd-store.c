/*
 * cmd-store.c: `jit-ssh-ca store migrate` (create or bring up to date the
 * schema of the store config.yaml names, or of --store URL) and
 * `jit-ssh-ca store copy` (an LMDB store into an empty PostgreSQL one,
 * chain preserved, both verified).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "calog.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jstore.h"

static void
hex32(const unsigned char h[32], char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void
say_mismatch(const char *what, void *arg)
{
	printf("  %s: state altered: %s\n", (const char *)arg, what);
}

/* Both checks of audit verify on st; 0 when intact (head in h). */
static int
verified(struct jstore *st, const char *name, uint64_t *np, char h[65])
{
	unsigned char head[32];
	uint64_t bad = 0;
	size_t nbad = 0;
	int r;

	if ((r = jstore_verify(st, np, &bad, head)) != 0) {
		ca_error("%s: %s (first bad event %llu)", name, jit_strerror(r),
		    (unsigned long long)bad);
		return r;
	}
	if ((r = jstore_verify_state(st, say_mismatch,
	    (void *)(uintptr_t)name, &nbad)) != 0) {
		ca_error("%s: %s", name, jit_strerror(r));
		return r;
	}
	hex32(head, h);
	return 0;
}

static int
store_open_where(const char *where, int flags, const char *what,
    struct jstore **sp)
{
	const char *why;
	int r;

	if (jstore_is_url(where) && !ca_store_where_ok(where, &why)) {
		ca_error("%s: %s", what, why);
		return JIT_ERR_INVALID_ARGUMENT;
	}
	if ((r = jstore_open(where, flags, 0, sp)) != 0) {
		char *shown = jstore_where_display(where);

		ca_error("%s %s: %s", what, shown != NULL ? shown : "?",
		    jit_strerror(r));
		free(shown);
	}
	return r;
}

int
cmd_store_migrate(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *url = jit_arg(a, "store");
	struct jstore *st = NULL;
	int r;

	(void)ctx;
	if (dir != NULL && url != NULL) {
		ca_error("store migrate: --dir DIR or --store URL");
		return CA_EXIT_USAGE;
	}
	/* Opening a store creates its schema, or migrates an older one. */
	r = url != NULL ? store_open_where(url, 0, "--store", &st) :
	    ca_open_store(ca_dir(dir), 0, &st);
	if (r != 0)
		return CA_EXIT_FAIL;
	printf("store (%s) is ready: schema version %d\n", jstore_backend(st),
	    JSTORE_SCHEMA_VERSION);
	jstore_close(st);
	return CA_EXIT_OK;
}

int
cmd_store_copy(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *from = jit_arg(a, "from");
	const char *to = jit_arg(a, "to");
	struct jstore *src = NULL, *dst = NULL;
	char *path = NULL, hs[65], hd[65];
	uint64_t n = 0, ns = 0, nd = 0;
	int r, rc = CA_EXIT_FAIL;

	(void)ctx;
	if (from == NULL)
		from = "lmdb";
	if (to == NULL || strcmp(from, "lmdb") != 0 ||
	    !jstore_is_url(to)) {
		ca_error("store copy: --to URL (a PostgreSQL database) is needed, "
		    "and --from is lmdb (the CA directory's store)");
		return CA_EXIT_USAGE;
	}
	if ((path = ca_path(ca_dir(dir), CA_STORE)) == NULL)
		goto out;
	if (store_open_where(path, JSTORE_RDONLY, "--from", &src) != 0 ||
	    store_open_where(to, 0, "--to", &dst) != 0)
		goto out;
	/* A damaged source is not copied: verify first. */
	if (verified(src, "the LMDB store", &ns, hs) != 0)
		goto out;
	if ((r = jstore_copy(src, dst, &n)) != 0) {
		ca_error("store copy: %s%s", jit_strerror(r), r == JIT_ERR_EXISTS ?
		    " (the destination must be an empty store)" : "");
		goto out;
	}
	if (verified(dst, to, &nd, hd) != 0)
		goto out;
	if (nd != ns || strcmp(hs, hd) != 0) {
		ca_error("store copy: the copy's chain (%llu events, head %s) is "
		    "not the source's (%llu, %s)", (unsigned long long)nd, hd,
		    (unsigned long long)ns, hs);
		goto out;
	}
	printf("copied %llu events; both stores verify; chain head %s\n"
	    "now set `store: \"%s\"` in %s/config.yaml (and copy the directory "
	    "to each instance)\n", (unsigned long long)n, hd, to, ca_dir(dir));
	rc = CA_EXIT_OK;
 out:
	jstore_close(dst);
	jstore_close(src);
	free(path);
	return rc;
}
