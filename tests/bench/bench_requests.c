/*
 * bench_requests: what a request costs as the history of decided requests
 * grows.  Times a new request + its decision, and an expiry sweep with
 * nothing due, on an empty store (the baseline) and again after HISTORY
 * decided requests.  Flat means the hot paths read only the open requests
 * (issue 12, defect 14: they used to walk every request ever made under
 * the write lock).  Use a tmpfs DIR so that durable commits (the same in
 * both rounds) do not drown what is measured.
 *
 *   bench_requests [DIR] [HISTORY] [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "jit-err.h"
#include "jstore.h"

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench_requests: %s: %s\n", what, jit_strerror(r));
	exit(1);
}

static struct jstore_request
request(void)
{
	struct jstore_request r;

	memset(&r, 0, sizeof(r));
	r.user = "bob";
	r.role = "prod";
	r.principals = "root";
	r.pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbMhFiYiyK4jkOMvf4kA8W9m6wdWQR6NmZDIj86Hkmc";
	r.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
	r.reason = "incident 42";
	r.source = "10.0.0.7";
	r.approver_groups = "leads";
	r.ttl = 900;
	r.quorum = 1;
	return r;
}

/* n requests, each decided at once: microseconds per pair in v. */
static void
churn(struct jstore *s, int n, double *v)
{
	struct jstore_request rq = request();
	char id[JSTORE_REQUEST_ID_LEN + 1];
	uint64_t now = (uint64_t)time(NULL);
	double t;
	int i, r;

	rq.expires = now + 3600;
	for (i = 0; i < n; i++) {
		t = bench_wall();
		if ((r = jstore_request_create(s, &rq, now, 5, id)) != 0)
			die("create", r);
		if ((r = jstore_request_deny(s, id, "bob", NULL, now)) != 0)
			die("deny", r);
		if (v != NULL)
			v[i] = (bench_wall() - t) * 1e6;
	}
}

static double
sweep(struct jstore *s, int n)
{
	double *v = calloc((size_t)n, sizeof(*v)), t, m;
	unsigned c;
	int i, r;

	for (i = 0; i < n; i++) {
		t = bench_wall();
		if ((r = jstore_request_expire(s, (uint64_t)time(NULL), &c)) != 0)
			die("expire", r);
		v[i] = (bench_wall() - t) * 1e6;
	}
	m = bench_median(v, n);
	free(v);
	return m;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/dev/shm/jit-bench-requests";
	int history = argc > 2 ? atoi(argv[2]) : 20000;
	int rounds = argc > 3 ? atoi(argv[3]) : 300;
	struct jstore *s = NULL;
	double *v, c0, c1, e0, e1, t;
	char cmd[512];
	int r;

	if (history < 1 || rounds < 1 || (v = calloc((size_t)rounds,
	    sizeof(*v))) == NULL)
		return 2;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	if ((r = jstore_open(dir, 0, 0, &s)) != 0)
		die("open", r);
	churn(s, rounds, v);
	c0 = bench_median(v, rounds);
	e0 = sweep(s, rounds);
	t = bench_wall();
	churn(s, history, NULL);
	printf("history: %d decided requests in %.1f s\n", history,
	    bench_wall() - t);
	churn(s, rounds, v);
	c1 = bench_median(v, rounds);
	e1 = sweep(s, rounds);
	printf("request + decision: median %.0f us (empty store) -> %.0f us "
	    "(%d in history): %.2fx\n", c0, c1, history + rounds, c1 / c0);
	printf("expiry sweep, nothing due: median %.0f us -> %.0f us: %.2fx\n",
	    e0, e1, e1 / e0);
	jstore_close(s);
	free(v);
	return system(cmd) == 0 ? 0 : 1;
}
