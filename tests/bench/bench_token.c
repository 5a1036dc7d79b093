/*
 * bench_token: certificates signed per second with the CA key on a
 * PKCS#11 token (through jp11, as the CA signs) against the same key type
 * held in the process (the baseline), with 1 and with 32 signing threads.
 * Rounds alternate between the two so both see the same noise; medians of
 * the wall-clock rates and the median of the per-round ratios are printed.
 *
 *   bench_token MODULE TOKEN-URI PIN-FILE [ROUNDS] [SECONDS_PER_ROUND]
 *
 * TOKEN-URI names a token ("pkcs11:token=bench"); a key per type is
 * generated there (object=bench-TYPE-PID).  $BENCH_KEYS limits the types
 * ("ed25519,ecdsa-p256,rsa-3072").  run_token_bench.sh makes a throwaway
 * SoftHSM2 token and calls this.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"
#include "jp11.h"

struct run {
	const struct jkey *ca, *subject;
	double until;
	atomic_ulong done;
	atomic_int failed;
};

static void *
signer(void *arg)
{
	struct run *r = arg;
	unsigned long n = 0;
	char *line;

	while (bench_wall() < r->until) {
		struct jcert *c = jcert_new();

		line = NULL;
		if (c == NULL || jcert_set_key(c, r->subject) != 0 ||
		    jcert_set_serial(c, ++n) != 0 ||
		    jcert_set_key_id(c, "jit:alice:dev:1") != 0 ||
		    jcert_add_principal(c, "alice") != 0 ||
		    jcert_set_validity(c, 1700000000, 1700000600) != 0 ||
		    jcert_add_extension(c, "permit-pty") != 0 ||
		    jcert_sign(c, r->ca) != 0 ||
		    jcert_format_line(c, "bench", &line) != 0)
			atomic_store(&r->failed, 1);
		else
			atomic_fetch_add(&r->done, 1);
		free(line);
		jcert_free(c);
	}
	return NULL;
}

/* Certificates per second with nthreads signing for secs. */
static double
rate(const struct jkey *ca, const struct jkey *subject, int nthreads,
    double secs)
{
	pthread_t th[32];
	struct run r;
	double t0;
	int i;

	memset(&r, 0, sizeof(r));
	r.ca = ca;
	r.subject = subject;
	t0 = bench_wall();
	r.until = t0 + secs;
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, signer, &r);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&r.failed)) {
		fprintf(stderr, "bench_token: a signature failed\n");
		exit(1);
	}
	return (double)atomic_load(&r.done) / (bench_wall() - t0);
}

int
main(int argc, char **argv)
{
	static const struct { enum jkey_type t; const char *name; } types[] = {
		{ JKEY_ED25519, "ed25519" }, { JKEY_ECDSA_P256, "ecdsa-p256" },
		{ JKEY_RSA, "rsa-3072" },
	};
	static const int threads[] = { 1, 32 };
	int rounds = argc > 4 ? atoi(argv[4]) : 5;
	double secs = argc > 5 ? atof(argv[5]) : 1.0;
	double tok[64], mem[64], ratio[64];
	struct jkey *subject = NULL, *local = NULL;
	struct jp11 *t = NULL;
	char uri[1024], *err = NULL;
	size_t ti, k;
	int i, r;

	if (argc < 4 || rounds < 1 || rounds > 64 || secs <= 0) {
		fprintf(stderr, "usage: bench_token MODULE TOKEN-URI PIN-FILE "
		    "[ROUNDS] [SECONDS]\n");
		return 2;
	}
	if (jkey_generate(JKEY_ED25519, 0, &subject) != 0)
		return 1;
	printf("certificates/s, wall clock, medians of %d alternating rounds "
	    "of %.1f s; module %s\n", rounds, secs, argv[1]);
	printf("%-11s %7s %12s %12s %14s\n", "key", "threads", "in process",
	    "on token", "token/process");
	for (ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
		/* $BENCH_KEYS: only these (e.g. "ed25519,rsa-3072"). */
		if (getenv("BENCH_KEYS") != NULL &&
		    strstr(getenv("BENCH_KEYS"), types[ti].name) == NULL)
			continue;
		snprintf(uri, sizeof(uri), "%s;object=bench-%s-%d?pin-source=%s",
		    argv[2], types[ti].name, (int)getpid(), argv[3]);
		if ((r = jp11_generate(argv[1], uri, types[ti].t, 0, &t,
		    &err)) != 0) {
			printf("%-11s  (the token cannot: %s)\n", types[ti].name,
			    err != NULL ? err : jit_strerror(r));
			free(err);
			err = NULL;
			continue;
		}
		if (jkey_generate(types[ti].t, 0, &local) != 0)
			return 1;
		for (k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
			for (i = 0; i < rounds; i++) {
				mem[i] = rate(local, subject, threads[k], secs);
				tok[i] = rate(jp11_key(t), subject, threads[k],
				    secs);
				ratio[i] = tok[i] / mem[i];
			}
			printf("%-11s %7d %12.0f %12.0f %13.1f%%\n",
			    types[ti].name, threads[k], bench_median(mem, rounds),
			    bench_median(tok, rounds),
			    100 * bench_median(ratio, rounds));
			fflush(stdout);
		}
		jp11_close(t);
		t = NULL;
		jkey_free(local);
		local = NULL;
	}
	jkey_free(subject);
	return 0;
}
