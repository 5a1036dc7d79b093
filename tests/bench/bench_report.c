/*
 * bench_report: the access review over a big log.
 *
 *   bench_report fill WHERE N
 *	appends about N events (a year of them) to the store at WHERE (an
 *	LMDB directory or a PostgreSQL conninfo): logins of 1,000 users to
 *	20 roles, each issued directly (60%) or after a request approved (20%,
 *	some within seconds), most used in a recorded session, break-glass
 *	uses (5%), denied requests (5%) and failed logins (10%).
 *   bench_report run WHERE POLICY ROUNDS
 *	times, ROUNDS times each and alternating, a bare walk of the year
 *	(jstore_query counting events: the store's own read cost, the
 *	baseline) and the report's model (ca_report_build); prints each
 *	round, the medians, their ratio, the findings and the process's peak
 *	RSS.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "benchutil.h"
#include "jit-err.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"

#define USERS	1000
#define ROLES	20
#define T0	1767225600ULL	/* 2026-01-01 */
#define YEAR	(365ULL * 86400)
#define BATCH	1000

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench_report: %s: %s\n", what, jit_strerror(r));
	exit(1);
}

/* The events of one batch, with the strings they point at. */
struct batch {
	struct jstore_event ev[BATCH + 8];
	char str[BATCH + 8][4][48];
	size_t n;
};

static struct jstore_event *
add(struct batch *b, const char *kind, uint64_t t, unsigned u, unsigned role)
{
	struct jstore_event *ev = &b->ev[b->n];
	char (*s)[48] = b->str[b->n];

	b->n++;
	memset(ev, 0, sizeof(*ev));
	snprintf(s[0], 48, "user%03u", u);
	snprintf(s[1], 48, "role%02u", role);
	ev->event = kind;
	ev->time = t;
	ev->user = s[0];
	ev->role = s[1];
	ev->source = "10.20.30.40";
	return ev;
}

static void
flush(struct jstore *st, struct batch *b)
{
	int r;

	if (b->n > 0 && (r = jstore_append(st, b->ev, b->n)) != 0)
		die("append", r);
	b->n = 0;
}

static void
fill(const char *where, uint64_t n)
{
	static struct batch b;
	struct jstore *st;
	struct jstore_event *ev;
	uint64_t done = 0, i, t, serial = 0, units = n / 3;
	double t0 = bench_wall();
	unsigned u, role, kind;
	const char *rid;
	int r;

	if ((r = jstore_open(where, 0, 0, &st)) != 0)
		die("open", r);
	add(&b, "host-enroll", T0 - 86400, 0, 0)->principals = "web1";
	for (i = 0; done < n; i++) {
		t = T0 + i * YEAR / units;
		u = (unsigned)(i * 7919 % USERS);
		role = (unsigned)(i % ROLES);
		kind = (unsigned)(i * 2654435761u % 100);
		if (b.n + 6 > BATCH) {
			done += b.n;
			flush(st, &b);
		}
		if (kind < 10) {	/* a failed login */
			ev = add(&b, "auth-fail", t, u, 0);
			ev->role = NULL;
			ev->reason = "unknown user or key";
			continue;
		}
		if (kind < 15) {	/* a request, denied */
			snprintf(b.str[b.n][2], 48, "r-%016llx",
			    (unsigned long long)i);
			add(&b, "request", t, u, role)->request_id = b.str[b.n - 1][2];
			ev = add(&b, "deny", t + 300, u, role);
			ev->request_id = b.str[b.n - 2][2];
			ev->approvers = "user999";
			continue;
		}
		serial++;
		rid = NULL;
		if (kind < 35) {	/* a request approved */
			snprintf(b.str[b.n][2], 48, "r-%016llx",
			    (unsigned long long)i);
			rid = b.str[b.n][2];
			add(&b, "request", t, u, role)->request_id = rid;
			ev = add(&b, "approve", t + (kind % 3 == 0 ? 5 : 240), u, role);
			ev->request_id = rid;
			ev->approvers = "user998";
			t += 250;
		}
		ev = add(&b, "issue", t, u, role);
		ev->request_id = rid;
		ev->serial = serial;
		ev->valid_after = t;
		ev->valid_before = t + 600;
		if (kind < 40) {	/* break-glass */
			ev = add(&b, "break-glass", t, u, role);
			ev->serial = serial;
			ev->reason = "incident";
		}
		if (kind % 4 != 0) {	/* used, on a recorded host */
			snprintf(b.str[b.n][2], 48, "s-%016llx",
			    (unsigned long long)i);
			ev = add(&b, "session-start", t + 20, u, role);
			ev->serial = serial;
			ev->request_id = b.str[b.n - 1][2];
			ev->principals = "deploy@web1";
			ev->valid_after = t + 20;
			ev = add(&b, "session-end", t + 300, u, role);
			ev->serial = serial;
			ev->request_id = b.str[b.n - 2][2];
			ev->principals = "deploy@web1";
			ev->valid_before = t + 300;
			ev->reason = "4096 bytes; exit, exit status 0";
		}
	}
	done += b.n;
	flush(st, &b);
	printf("filled %llu events in %.1f s\n", (unsigned long long)done,
	    bench_wall() - t0);
	jstore_close(st);
}

static int
count(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(*(uint64_t *)arg)++;
	return 0;
}

/*
 * The peak of the process's anonymous memory (heap, stacks: not the LMDB
 * file's pages, which the kernel maps and may drop), sampled every 2 ms.
 */
static atomic_int sampling;
static long anon_peak_kib;

static long
anon_kib(void)
{
	char line[128];
	long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib;
}

static void *
sampler(void *arg)
{
	struct timespec ts = { 0, 2000000 };
	long k;

	(void)arg;
	while (atomic_load(&sampling)) {
		if ((k = anon_kib()) > anon_peak_kib)
			anon_peak_kib = k;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
run(const char *where, const char *policy, int rounds)
{
	struct ca_report_opts o = { T0 - 86400, T0 + 2 * YEAR,
	    CA_REPORT_JSON, NULL, "bench" };
	struct jstore_filter f;
	struct jpolicy *p;
	struct jstore *st;
	struct rusage ru;
	double walk[32], rep[32], t;
	uint64_t n = 0;
	json_t *m = NULL;
	char *err = NULL;
	pthread_t th;
	long base;
	int i, r;

	if (rounds < 1 || rounds > 32)
		rounds = 3;
	if ((r = jpolicy_load_file(policy, &p, &err)) != 0) {
		fprintf(stderr, "bench_report: %s\n", err ? err : policy);
		exit(1);
	}
	if ((r = jstore_open(where, JSTORE_RDONLY, 0, &st)) != 0)
		die("open", r);
	base = anon_kib();
	atomic_store(&sampling, 1);
	pthread_create(&th, NULL, sampler, NULL);
	memset(&f, 0, sizeof(f));
	f.since = o.since;
	f.until = o.until;
	for (i = 0; i < rounds; i++) {
		n = 0;
		t = bench_wall();
		if ((r = jstore_query(st, &f, count, &n)) != 0)
			die("walk", r);
		walk[i] = bench_wall() - t;
		t = bench_wall();
		if ((r = ca_report_build(st, p, &o, &m)) != 0)
			die("report", r);
		rep[i] = bench_wall() - t;
		printf("round %d: walk %.2f s, report %.2f s (%llu events)\n",
		    i + 1, walk[i], rep[i], (unsigned long long)n);
		if (i + 1 < rounds) {
			json_decref(m);
			m = NULL;
		}
	}
	atomic_store(&sampling, 0);
	pthread_join(th, NULL);
	qsort(walk, (size_t)rounds, sizeof(double), cmp_d);
	qsort(rep, (size_t)rounds, sizeof(double), cmp_d);
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: %llu events: report median %.2f s, bare walk %.2f s "
	    "(report/walk %.2f); %zu findings; anonymous memory peak %.1f MiB "
	    "(%.1f MiB over the store's open), peak RSS with mapped store "
	    "pages %ld MiB\n", jstore_backend(st), (unsigned long long)n,
	    rep[rounds / 2], walk[rounds / 2], rep[rounds / 2] /
	    walk[rounds / 2], json_array_size(json_object_get(m, "findings")),
	    (double)anon_peak_kib / 1024, (double)(anon_peak_kib - base) / 1024,
	    ru.ru_maxrss / 1024);
	json_decref(m);
	jstore_close(st);
	jpolicy_free(p);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		fill(argv[2], strtoull(argv[3], NULL, 10));
	else if (argc == 5 && strcmp(argv[1], "run") == 0)
		run(argv[2], argv[3], atoi(argv[4]));
	else {
		fprintf(stderr, "usage: bench_report fill WHERE N | run WHERE "
		    "POLICY ROUNDS\n");
		return 2;
	}
	return 0;
}
