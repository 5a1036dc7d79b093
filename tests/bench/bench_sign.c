/*
 * bench_sign: certificates signed per second in-process, for each CA key
 * type, next to `openssl speed` for the same algorithm on the same machine.
 * Rounds alternate between the two so both see the same noise; medians and
 * the ratio are printed.
 *
 *   bench_sign [ROUNDS] [SECONDS_PER_ROUND]      (defaults: 9 rounds, 1 s)
 *
 * One certificate = build (key, serial, key id, principals, validity,
 * options, extensions), sign (fresh nonce) and encode as a text line: all
 * the CA does for an issuance besides policy and storage.
 *
 * Like `openssl speed` (without -elapsed), rates are per second of user CPU
 * time, so time the shared machine steals from us does not count.
 *
 * The machine's speed drifts by tens of percent within seconds, and
 * `openssl speed` cannot run slices shorter than a second.  So a second
 * baseline runs in-process the very loop `openssl speed` runs (one reused
 * EVP_MD_CTX, EVP_DigestSign over 20 bytes), alternating with ours in 20 ms
 * slices: that ratio is the precise one; the `openssl speed` column is the
 * named figure, with its noise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/evp.h>

#include "benchutil.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"

/* User CPU seconds of this process, as `openssl speed` counts them. */
static double
now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
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

/* The loop `openssl speed` times, on a key of the same type. */
static unsigned long
raw_loop(EVP_MD_CTX *ctx, double secs)
{
	unsigned char msg[20] = { 0 }, sig[1024];
	unsigned long n = 0;
	size_t len;
	double t0 = now();

	do {
		len = sizeof(sig);
		if (EVP_DigestSign(ctx, sig, &len, msg, sizeof(msg)) != 1) {
			fprintf(stderr, "bench_sign: EVP_DigestSign failed\n");
			exit(1);
		}
		n++;
	} while (now() - t0 < secs);
	return n;
}

/* Ours and the raw loop in alternating slices; returns ours / raw. */
static double
interleaved(const struct jkey *ca, const struct jkey *subject,
    EVP_MD_CTX *raw, double secs, double *ours_rate, double *raw_rate)
{
	double slice = 0.02, ta = 0, tb = 0, t;
	unsigned long na = 0, nb = 0, n;
	int i, slices = (int)(secs / slice / 2);

	for (i = 0; i < slices; i++) {
		t = now();
		n = 0;
		do {
			issue_one(ca, subject, n++);
		} while (now() - t < slice);
		na += n;
		ta += now() - t;
		t = now();
		nb += raw_loop(raw, slice);
		tb += now() - t;
	}
	*ours_rate = (double)na / ta;
	*raw_rate = (double)nb / tb;
	return *ours_rate / *raw_rate;
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
		const char *evp_alg, *evp_arg;
		const char *md;
	} algs[] = {
		{ "ed25519", "ed25519", JKEY_ED25519, "ED25519", NULL, NULL },
		{ "ecdsa-p256", "ecdsap256", JKEY_ECDSA_P256, "EC", "P-256",
		    "SHA256" },
		{ "ecdsa-p384", "ecdsap384", JKEY_ECDSA_P384, "EC", "P-384",
		    "SHA384" },
		{ "ecdsa-p521", "ecdsap521", JKEY_ECDSA_P521, "EC", "P-521",
		    "SHA512" },
		{ "rsa-3072", "rsa3072", JKEY_RSA, "RSA", NULL, "SHA512" },
	};
	EVP_PKEY *pk;
	EVP_MD_CTX *raw;
	double ir, ro, rr;
	int rounds = argc > 1 ? atoi(argv[1]) : 9, i;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	double a[64], b[64], q[64], ma, mb;
	struct jkey *ca, *subject;
	size_t k;

	if (rounds < 1 || rounds > 64 || secs <= 0) {
		fprintf(stderr, "usage: bench_sign [ROUNDS<=64] [SECONDS]\n");
		return 2;
	}
	if (jkey_generate(JKEY_ED25519, 0, &subject) != 0)
		return 1;
	printf("per CPU-second; `openssl speed`: medians of %d alternating "
	    "rounds of %.0fs;\nin-process: the same loop as `openssl speed`, "
	    "alternating with ours in 20 ms slices for %.0fs\n\n",
	    rounds, secs, secs * rounds);
	printf("%-11s %12s %15s %7s   %12s %12s %7s\n", "CA key",
	    "jit certs/s", "openssl speed", "ratio", "jit certs/s",
	    "EVP sign/s", "ratio");
	for (k = 0; k < sizeof(algs) / sizeof(algs[0]); k++) {
		if (jkey_generate(algs[k].type, 0, &ca) != 0)
			return 1;
		/*
		 * Each round runs both back to back; the ratio quoted is the
		 * median of the per-round ratios, which a burst of noise on
		 * the shared machine moves least.
		 */
		for (i = 0; i < rounds; i++) {
			a[i] = ours(ca, subject, secs);
			b[i] = openssl_speed(algs[k].openssl, secs);
			q[i] = b[i] > 0 ? a[i] / b[i] : 0;
		}
		ma = bench_median(a, rounds);
		mb = bench_median(b, rounds);
		if (algs[k].evp_arg != NULL)
			pk = EVP_PKEY_Q_keygen(NULL, NULL, algs[k].evp_alg,
			    algs[k].evp_arg);
		else if (algs[k].type == JKEY_RSA)
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		else
			pk = EVP_PKEY_Q_keygen(NULL, NULL, algs[k].evp_alg);
		raw = EVP_MD_CTX_new();
		if (pk == NULL || raw == NULL || EVP_DigestSignInit_ex(raw, NULL,
		    algs[k].md, NULL, NULL, pk, NULL) != 1) {
			fprintf(stderr, "bench_sign: EVP setup failed\n");
			return 1;
		}
		ir = interleaved(ca, subject, raw, secs * rounds, &ro, &rr);
		printf("%-11s %12.0f %15.0f %6.1f%%   %12.0f %12.0f %6.1f%%\n",
		    algs[k].name, ma, mb, 100.0 * bench_median(q, rounds), ro, rr,
		    100.0 * ir);
		fflush(stdout);
		EVP_MD_CTX_free(raw);
		EVP_PKEY_free(pk);
		jkey_free(ca);
	}
	jkey_free(subject);
	return 0;
}
