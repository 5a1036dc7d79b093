/*
 * bench_sign: certificates signed per second in-process, for each CA key
 * type, next to `openssl speed` for the same algorithm on the same machine.
 * Rounds alternate between the two so both see the same noise; medians and
 * the ratio are printed.
 *
 *   bench_sign [ROUNDS] [SECONDS_PER_ROUND]      (defaults: 5 rounds, 1 s)
 *
 * One certificate = build (key, serial, key id, principals, validity,
 * options, extensions), sign (fresh nonce) and encode as a text line: all
 * the CA does for an issuance besides policy and storage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
issue_one(const struct jkey *ca, const struct jkey *subject, unsigned long n)
{
	struct jcert *c = jcert_new();
	char id[64], *line = NULL;
	int r;

	snprintf(id, sizeof(id), "jit:alice:dev:%lu", n);
	if (c == NULL || jcert_set_key(c, subject) != 0 ||
	    jcert_set_serial(c, n) != 0 || jcert_set_key_id(c, id) != 0 ||
	    jcert_add_principal(c, "alice") != 0 ||
	    jcert_add_principal(c, "deploy") != 0 ||
	    jcert_set_validity(c, 1700000000, 1700000600) != 0 ||
	    jcert_add_extension(c, "permit-pty") != 0 ||
	    jcert_add_extension(c, "permit-port-forwarding") != 0 ||
	    (r = jcert_sign(c, ca)) != 0 ||
	    (r = jcert_format_line(c, id, &line)) != 0) {
		fprintf(stderr, "bench_sign: issuing failed\n");
		exit(1);
	}
	free(line);
	jcert_free(c);
}

static double
ours(const struct jkey *ca, const struct jkey *subject, double secs)
{
	unsigned long n = 0;
	double t0 = now(), t;

	do {
		issue_one(ca, subject, n++);
		t = now();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

/* sign/s from `openssl speed`: the next-to-last field of its last line. */
static double
openssl_speed(const char *alg, double secs)
{
	char cmd[256], line[512], last[512] = "", *f[16], *save, *tok;
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "openssl speed -seconds %d %s 2>/dev/null",
	    (int)(secs + 0.5) < 1 ? 1 : (int)(secs + 0.5), alg);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), p) != NULL)
		if (strchr(line, '/') == NULL && line[0] != '\n')
			memcpy(last, line, sizeof(last));
	pclose(p);
	for (tok = strtok_r(last, " \t\n", &save); tok != NULL && n < 16;
	    tok = strtok_r(NULL, " \t\n", &save))
		f[n++] = tok;
	return n >= 2 ? strtod(f[n - 2], NULL) : 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name, *openssl;
		enum jkey_type type;
	} algs[] = {
		{ "ed25519", "ed25519", JKEY_ED25519 },
		{ "ecdsa-p256", "ecdsap256", JKEY_ECDSA_P256 },
		{ "ecdsa-p384", "ecdsap384", JKEY_ECDSA_P384 },
		{ "ecdsa-p521", "ecdsap521", JKEY_ECDSA_P521 },
		{ "rsa-3072", "rsa3072", JKEY_RSA },
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 5, i;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	double a[64], b[64], ma, mb;
	struct jkey *ca, *subject;
	size_t k;

	if (rounds < 1 || rounds > 64 || secs <= 0) {
		fprintf(stderr, "usage: bench_sign [ROUNDS<=64] [SECONDS]\n");
		return 2;
	}
	if (jkey_generate(JKEY_ED25519, 0, &subject) != 0)
		return 1;
	printf("%-11s %14s %18s %7s   (medians of %d rounds of %.1fs)\n",
	    "CA key", "jit certs/s", "openssl sign/s", "ratio", rounds, secs);
	for (k = 0; k < sizeof(algs) / sizeof(algs[0]); k++) {
		if (jkey_generate(algs[k].type, 0, &ca) != 0)
			return 1;
		for (i = 0; i < rounds; i++) {
			a[i] = ours(ca, subject, secs);
			b[i] = openssl_speed(algs[k].openssl, secs);
		}
		ma = median(a, rounds);
		mb = median(b, rounds);
		printf("%-11s %14.0f %18.0f %6.1f%%\n", algs[k].name, ma, mb,
		    mb > 0 ? 100.0 * ma / mb : 0.0);
		fflush(stdout);
		jkey_free(ca);
	}
	jkey_free(subject);
	return 0;
}
