/*
 * cmd-audit.c: `jit-ssh-ca audit [filters] [--json|--csv]` and
 * `jit-ssh-ca audit verify`.  JSON Lines through jansson; field names are
 * the public contract (docs/PROTOCOL.md, "Audit JSON fields").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "cadir.h"
#include "calog.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jstore.h"
#include "textout.h"

static void
print_mismatch(const char *what, void *arg)
{
	(void)arg;
	printf("state altered: %s\n", what);
}

int
cmd_audit_verify(void *ctx, const struct jit_args *a)
{
	struct jstore *st = NULL;
	const char *dir = jit_arg(a, "dir");
	unsigned char head[32];
	uint64_t n = 0, bad = 0;
	size_t nbad = 0;
	char h[65];
	int r;

	(void)ctx;
	if (ca_open_store(ca_dir(dir), JSTORE_RDONLY, &st) != 0)
		return CA_EXIT_FAIL;
	r = jstore_verify(st, &n, &bad, head);
	if (r == JIT_ERR_STORE_TAMPERED) {
		jstore_close(st);
		printf("audit log altered: first bad event is seq %llu\n",
		    (unsigned long long)bad);
		return CA_EXIT_FAIL;
	}
	if (r != 0) {
		jstore_close(st);
		ca_error("verify: %s", jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	/* The chain holds: now everything derived from it must agree. */
	r = jstore_verify_state(st, print_mismatch, NULL, &nbad);
	jstore_close(st);
	if (r == JIT_ERR_STORE_TAMPERED) {
		printf("state altered: %zu thing%s the log does not say (the "
		    "chain itself verifies)\n", nbad, nbad == 1 ? "" : "s");
		return CA_EXIT_FAIL;
	}
	if (r != 0) {
		ca_error("verify: %s", jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	ca_hex(head, 32, h);
	/* Record the head elsewhere: it proves later that nothing was rewritten. */
	printf("ok: %llu events, chain head %s\n", (unsigned long long)n, h);
	return CA_EXIT_OK;
}

int
cmd_audit(void *ctx, const struct jit_args *a)
{
	struct jstore_filter f;
	struct jstore *st = NULL;
	char err[512];
	int mode, rc;

	(void)ctx;
	if (ca_audit_args(a, &f, &mode, err, sizeof(err)) != 0) {
		ca_error("%s", err);
		return CA_EXIT_USAGE;
	}
	if (ca_open_store(ca_dir(jit_arg(a, "dir")), JSTORE_RDONLY, &st) != 0)
		return CA_EXIT_FAIL;
	rc = ca_audit_print(st, &f, mode, stdout);
	jstore_close(st);
	return rc;
}
