/*
 * revoked.c: the KRL (PROTOCOL.krl) of every revoked, unexpired user
 * certificate, as `jit-ssh-ca krl` writes it and the service's `krl`
 * serves it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calog.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkrl.h"
#include "jstore.h"
#include "cakrl.h"

struct krl_ctx {
	uint64_t *serials;
	char **ids;
	size_t n, cap;
};

static int
collect(uint64_t serial, const char *key_id, void *arg)
{
	struct krl_ctx *k = arg;
	uint64_t *ns;
	char **ni;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		if ((ns = realloc(k->serials, k->cap * sizeof(*ns))) == NULL)
			return JIT_ERR_ALLOC;
		k->serials = ns;
		if ((ni = realloc(k->ids, k->cap * sizeof(*ni))) == NULL)
			return JIT_ERR_ALLOC;
		k->ids = ni;
	}
	if ((k->ids[k->n] = strdup(key_id)) == NULL)
		return JIT_ERR_ALLOC;
	k->serials[k->n++] = serial;
	return 0;
}

int
ca_krl_build(const struct jkey *const *cas, size_t ncas, struct jstore *st,
    struct jbuf *out)
{
	struct krl_ctx k = { NULL, NULL, 0, 0 };
	uint64_t version = 0, now = jit_now();
	size_t i;
	int r;

	if ((r = jstore_revoked(st, now, collect, &k, &version)) != 0) {
		ca_error("reading revocations: %s", jit_strerror(r));
		goto out;
	}
	if ((r = jkrl_encode(cas, ncas, k.serials, k.n, k.ids, k.n, version, now,
	    "jit-ssh", out)) != 0)
		ca_error("encoding the KRL: %s", jit_strerror(r));
 out:
	for (i = 0; i < k.n; i++)
		free(k.ids[i]);
	free(k.ids);
	free(k.serials);
	return r;
}
