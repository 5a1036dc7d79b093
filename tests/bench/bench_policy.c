/*
 * bench_policy: loading a 1,000-user, 200-role policy, and evaluating
 * requests against it.  Medians of repeated runs; the baseline for loading
 * is the YAML parse alone (no validation, no key parsing), in the same run.
 *
 *   bench_policy [LOADS] [EVALS]        (defaults: 21 loads, 200000 evals)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jbuf.h"
#include "benchutil.h"
#include "jit-err.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jyaml.h"

#define NUSERS	1000
#define NROLES	200
#define NGROUPS	50

static void
put(struct jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct jbuf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || jbuf_put(b, line, (size_t)n))
		abort();
}

/* Users u0..u999 in 3 of 50 groups each; roles r0..r199 of 2 groups each. */
static struct jbuf *
make_policy(void)
{
	struct jbuf *b = jbuf_new();
	struct jkey *k;
	char *line;
	int i;

	put(b, "defaults: { ttl: 5m, max_ttl: 1h }\nusers:\n");
	for (i = 0; i < NUSERS; i++) {
		if (jkey_generate(JKEY_ED25519, 0, &k) != 0 ||
		    jkey_format_line(k, NULL, &line) != 0)
			abort();
		put(b, "  u%d: { keys: [\"%s u%d@laptop\"], groups: [g%d, g%d, "
		    "g%d] }\n", i, line, i, i % NGROUPS, (i + 1) % NGROUPS,
		    (i + 2) % NGROUPS);
		free(line);
		jkey_free(k);
	}
	put(b, "roles:\n");
	for (i = 0; i < NROLES; i++) {
		put(b, "  r%d:\n    groups: [g%d, g%d]\n    principals: "
		    "[\"{user}\", svc%d]\n    ttl: 10m\n    max_ttl: 1h\n"
		    "    extensions: [permit-pty, permit-port-forwarding]\n",
		    i, i % NGROUPS, (i + 17) % NGROUPS, i);
		if (i % 10 == 0)
			put(b, "    approval: { groups: [g%d], quorum: 1 }\n",
			    (i + 5) % NGROUPS);
		if (i % 7 == 0)
			put(b, "    from: [10.0.0.0/8]\n    source_address: "
			    "requester\n");
	}
	put(b, "auditors: [g1]\n");
	return b;
}

int
main(int argc, char **argv)
{
	int loads = argc > 1 ? atoi(argv[1]) : 21, i;
	long evals = argc > 2 ? atol(argv[2]) : 200000, e;
	struct jbuf *yaml = make_policy();
	struct jpolicy *p = NULL;
	struct jyaml_node *root;
	struct jpolicy_decision *d;
	double tl[256], tp[256], t, allow = 0, deny = 0, appr = 0;
	char *err = NULL, user[16], role[16];
	long na = 0, nd = 0, nq = 0;
	int r;

	if (loads < 1 || loads > 256 || evals < 1) {
		fprintf(stderr, "usage: bench_policy [LOADS<=256] [EVALS]\n");
		return 2;
	}
	for (i = 0; i < loads; i++) {
		t = bench_wall();
		if (jyaml_parse("bench", jbuf_ptr(yaml), jbuf_len(yaml), &root,
		    &err) != 0)
			abort();
		tp[i] = bench_wall() - t;
		jyaml_free(root);
		t = bench_wall();
		if ((r = jpolicy_load("bench", jbuf_ptr(yaml), jbuf_len(yaml), &p,
		    &err)) != 0) {
			fprintf(stderr, "load: %s\n", err != NULL ? err :
			    jit_strerror(r));
			return 1;
		}
		tl[i] = bench_wall() - t;
		if (i + 1 < loads)
			jpolicy_free(p);
	}
	printf("policy: %d users, %d roles, %zu bytes of YAML\n", NUSERS,
	    NROLES, jbuf_len(yaml));
	printf("load (parse + validate + 1,000 keys): median %.2f ms over %d "
	    "loads (goal < 50 ms)\n", bench_median(tl, loads) * 1e3, loads);
	printf("  baseline, YAML parse alone:        median %.2f ms (%.1fx)\n",
	    bench_median(tp, loads) * 1e3, bench_median(tl, loads) / bench_median(tp, loads));

	/* Evaluate a mix; time each kind separately. */
	for (e = 0; e < evals; e++) {
		struct jpolicy_request req = {
			.user = user, .role = role, .ttl = 1800,
			.mfa_done = 1, .reason = "bench",
			.address = "10.1.2.3", .key_type = JKEY_ED25519,
			.now = 1700049600,
		};

		snprintf(user, sizeof(user), "u%ld", (e * 7919) % NUSERS);
		snprintf(role, sizeof(role), "r%ld", (e * 104729) % NROLES);
		t = bench_wall();
		if (jpolicy_evaluate(p, &req, &d) != 0)
			abort();
		t = bench_wall() - t;
		switch (jpolicy_decision_verdict(d)) {
		case JPOLICY_ALLOW:
			allow += t;
			na++;
			break;
		case JPOLICY_DENY:
			deny += t;
			nd++;
			break;
		default:
			appr += t;
			nq++;
			break;
		}
		jpolicy_decision_free(d);
	}
	printf("evaluate (mean over %ld requests, goal < 5 us):\n", evals);
	printf("  allowed:        %6.2f us  (%ld)\n", na ? allow / (double)na * 1e6 : 0, na);
	printf("  needs approval: %6.2f us  (%ld)\n", nq ? appr / (double)nq * 1e6 : 0, nq);
	printf("  denied:         %6.2f us  (%ld)\n", nd ? deny / (double)nd * 1e6 : 0, nd);
	jpolicy_free(p);
	jbuf_free(yaml);
	free(err);
	return 0;
}
