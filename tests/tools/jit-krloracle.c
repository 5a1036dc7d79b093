/*
 * jit-krloracle: our KRL encoder judged by OpenSSH.  Makes random
 * revocation sets (single serials, runs, dense and sparse stretches, key
 * ids, up to 5,000 serials, some near 2^63 and near the top of the range),
 * encodes each with jkrl_encode and checks it serial by serial with
 * `ssh-keygen -Q`: a certificate for every revoked serial, for each
 * neighbour of a run and for random others, and certificates whose key id
 * is (or almost is) revoked.  Each KRL must also be at most 1.25 times the
 * size of the one `ssh-keygen -k -s CA` writes for the same revocations,
 * and our reader (jkrl_check) must say of every probe what is true, on
 * our KRL and on ssh-keygen -k's.
 *
 *   jit-krloracle DIR SETS [SEED] [KEEP]
 *
 * DIR: an empty scratch directory.  KEEP: a comma-separated list of set
 * indexes to leave in DIR/keep-N (krl, and revokedI-cert.pub / okI-cert.pub
 * for up to three revoked and three unrevoked certificates of DIR/user,
 * principal $LOGIN_USER) for a test that puts them behind a real sshd's
 * RevokedKeys.  Prints one line per failure
 * and a summary; exits 0 only when every set agrees.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jkrl.h"

#define MAX_SERIALS	5000
#define MAX_IDS		16

static uint64_t rng_state;
static const char *principal = "nobody";
static double worst_ratio;	/* largest ours / ssh-keygen -k */

static uint64_t
rnd(void)
{
	/* xorshift64*: reproducible from the printed seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t
rnd_below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "jit-krloracle: %s: %s\n", what,
	    r != 0 ? jit_strerror(r) : "failed");
	exit(2);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct set {
	uint64_t	serials[MAX_SERIALS];
	size_t		n;
	char		*ids[MAX_IDS];
	size_t		nids;
};

static void
add(struct set *s, uint64_t v)
{
	if (v != 0 && s->n < MAX_SERIALS)
		s->serials[s->n++] = v;
}

/* One random set: a few stretches, each of a random shape. */
static void
make_set(struct set *s)
{
	size_t nstretch = 1 + rnd_below(6), i, j, len;
	/* One set in ten is large, some of them full. */
	uint64_t base, at, want = rnd_below(10) == 0 ?
	    MAX_SERIALS - rnd_below(2) * rnd_below(MAX_SERIALS / 2) :
	    1 + rnd_below(300);
	uint64_t p;

	memset(s, 0, sizeof(*s));
	switch (rnd_below(4)) {
	case 0:
		base = 1;
		break;
	case 1:
		base = (1ULL << 63) - rnd_below(20000);
		break;
	case 2:
		base = UINT64_MAX - 40000 - rnd_below(20000);
		break;
	default:
		base = 1 + rnd_below(1ULL << 40);
		break;
	}
	at = base;
	for (i = 0; i < nstretch && s->n < want; i++) {
		len = i + 1 == nstretch ? (size_t)(want - s->n) :
		    1 + (size_t)rnd_below(want / nstretch + 1);
		at += rnd_below(rnd_below(2) ? 50 : 3000);
		switch (rnd_below(5)) {
		case 0:		/* singles far apart */
			for (j = 0; j < len; j++, at += 2 + rnd_below(400))
				add(s, at);
			break;
		case 1:		/* runs */
			for (j = 0; j < len; at += 2 + rnd_below(30)) {
				size_t run = 1 + (size_t)rnd_below(40);

				for (; run > 0 && j < len; run--, j++)
					add(s, at++);
			}
			break;
		case 2:		/* dense stretch */
		case 3:		/* sparse stretch */
			p = rnd_below(2) ? 60 + rnd_below(35) : 3 + rnd_below(20);
			for (j = 0; j < len; at++)
				if (rnd_below(100) < p) {
					add(s, at);
					j++;
				}
			break;
		default:	/* one long run */
			for (j = 0; j < len; j++)
				add(s, at++);
			break;
		}
	}
	qsort(s->serials, s->n, sizeof(s->serials[0]), cmp_u64);
	for (i = j = 0; i < s->n; i++)
		if (j == 0 || s->serials[i] != s->serials[j - 1])
			s->serials[j++] = s->serials[i];
	s->n = j;
	s->nids = rnd_below(3) == 0 ? (size_t)rnd_below(MAX_IDS) : 0;
	for (i = 0; i < s->nids; i++)
		if (asprintf(&s->ids[i], "jit:u%zu:role:%" PRIu64, i,
		    rnd_below(1000)) < 0)
			die("asprintf", JIT_ERR_ALLOC);
}

static int
is_revoked(const struct set *s, uint64_t serial)
{
	return bsearch(&serial, s->serials, s->n, sizeof(s->serials[0]),
	    cmp_u64) != NULL;
}

/* Scratch files: no fsync, thousands a set. */
static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		die(path, JIT_ERR_SYSTEM);
}

struct probe {
	uint64_t	serial;
	char		id[64];
	int		revoked;
};

static struct jcert *
write_cert(const char *path, const struct jkey *ca, const struct jkey *key,
    uint64_t serial, const char *id)
{
	struct jcert *c;
	char *line = NULL, *nl = NULL;
	int r;

	if ((c = jcert_new()) == NULL)
		die("jcert_new", JIT_ERR_ALLOC);
	if ((r = jcert_set_key(c, key)) != 0 ||
	    (r = jcert_set_serial(c, serial)) != 0 ||
	    (r = jcert_set_key_id(c, id)) != 0 ||
	    (r = jcert_add_principal(c, principal)) != 0 ||
	    (r = jcert_set_validity(c, 0, UINT64_MAX)) != 0 ||
	    (r = jcert_sign(c, ca)) != 0 ||
	    (r = jcert_format_line(c, NULL, &line)) != 0)
		die("certificate", r);
	if (asprintf(&nl, "%s\n", line) < 0)
		die("asprintf", JIT_ERR_ALLOC);
	write_text(path, nl);
	free(nl);
	free(line);
	return c;
}

/*
 * Our KRL reader (jkrl_check) on the KRL in path, probe by probe, against
 * what is true: disagreements counted.
 */
static int
read_back(const char *path, size_t idx, struct jcert **certs,
    const struct probe *pr, size_t np)
{
	struct jbuf *data = NULL;
	size_t i;
	int r, bad = 0;

	if ((r = jit_file_read(path, 16 << 20, 0, &data)) != 0)
		die(path, r);
	for (i = 0; i < np; i++) {
		r = jkrl_check(jbuf_ptr(data), jbuf_len(data), certs[i], NULL);
		if (r < 0 || r != pr[i].revoked) {
			if (bad++ < 10)
				printf("set %zu: %s: serial %" PRIu64 " id %s: "
				    "jkrl_check says %d, truth %d\n", idx,
				    path, pr[i].serial, pr[i].id, r,
				    pr[i].revoked);
		}
	}
	jbuf_free(data);
	return bad;
}

static size_t
probes_for(const struct set *s, struct probe *pr, size_t max)
{
	size_t n = 0, i;
	uint64_t v;

#define PROBE(ser, idfmt, idarg, rev) do {				\
	if (n < max && (ser) != 0) {					\
		pr[n].serial = (ser);					\
		snprintf(pr[n].id, sizeof(pr[n].id), idfmt, idarg);	\
		pr[n].revoked = (rev);					\
		n++;							\
	}								\
} while (0)
	for (i = 0; i < s->n; i++) {
		v = s->serials[i];
		PROBE(v, "x%zu", i, 1);
		if (v > 1 && !is_revoked(s, v - 1))
			PROBE(v - 1, "x%zu", i, 0);
		if (v < UINT64_MAX && !is_revoked(s, v + 1))
			PROBE(v + 1, "x%zu", i, 0);
	}
	for (i = 0; i < 20; i++) {
		v = s->n > 0 ? s->serials[0] + rnd_below(s->serials[s->n - 1] -
		    s->serials[0] + 100) : 1 + rnd();
		PROBE(v, "r%zu", i, is_revoked(s, v));
	}
	for (i = 0; i < s->nids; i++) {
		v = 1 + rnd();
		PROBE(v, "%s", s->ids[i], 1);
		PROBE(v, "%s0", s->ids[i], is_revoked(s, v));
	}
#undef PROBE
	return n;
}

static void
spec_for(const struct set *s, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i, j;

	if (f == NULL)
		die(path, JIT_ERR_SYSTEM);
	for (i = 0; i < s->n; i = j) {
		for (j = i + 1; j < s->n && s->serials[j] == s->serials[j - 1] + 1;
		    j++)
			;
		if (j - i == 1)
			fprintf(f, "serial: %" PRIu64 "\n", s->serials[i]);
		else
			fprintf(f, "serial: %" PRIu64 "-%" PRIu64 "\n",
			    s->serials[i], s->serials[j - 1]);
	}
	for (i = 0; i < s->nids; i++)
		fprintf(f, "id: %s\n", s->ids[i]);
	fclose(f);
}

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Checks one set; returns the number of disagreements. */
static int
check_set(const char *dir, size_t idx, const struct set *s,
    const struct jkey *ca, const struct jkey *key, const char *keep)
{
	static struct probe pr[3 * MAX_SERIALS + 20 + 2 * MAX_IDS];
	static struct jcert *certs[3 * MAX_SERIALS + 20 + 2 * MAX_IDS];
	const struct jkey *cas[1] = { ca };
	struct jbuf *krl = NULL;
	char path[4096], cmd[8192], line[512], *colon;
	size_t np, i, seen = 0;
	long ours, ref;
	FILE *f;
	int r, bad = 0;

	if ((krl = jbuf_new()) == NULL)
		die("jbuf_new", JIT_ERR_ALLOC);
	if ((r = jkrl_encode(cas, 1, s->serials, s->n, s->ids, s->nids, 1,
	    (uint64_t)time(NULL), NULL, krl)) != 0)
		die("jkrl_encode", r);
	snprintf(path, sizeof(path), "%s/set.krl", dir);
	if ((r = jit_file_write(path, jbuf_ptr(krl), jbuf_len(krl), 0600,
	    1)) != 0)
		die(path, r);
	jbuf_free(krl);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/c' && mkdir '%s/c'", dir, dir);
	if (system(cmd) != 0)
		die("mkdir", 0);
	np = probes_for(s, pr, sizeof(pr) / sizeof(pr[0]));
	for (i = 0; i < np; i++) {
		snprintf(path, sizeof(path), "%s/c/%zu", dir, i);
		certs[i] = write_cert(path, ca, key, pr[i].serial, pr[i].id);
	}
	snprintf(cmd, sizeof(cmd), "cd '%s/c' && ssh-keygen -Q -f ../set.krl "
	    "$(ls) > ../q.out 2>&1", dir);
	/* It exits 1 when any key is revoked; the lines say which. */
	if (system(cmd) == -1)
		die("ssh-keygen -Q", JIT_ERR_SYSTEM);
	snprintf(path, sizeof(path), "%s/q.out", dir);
	if ((f = fopen(path, "r")) == NULL)
		die(path, JIT_ERR_SYSTEM);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		unsigned long long k = strtoull(line, &end, 10);
		int rev;

		/* "FILE (COMMENT): ok" or "FILE (COMMENT): REVOKED" */
		line[strcspn(line, "\n")] = '\0';
		colon = strrchr(line, ':');
		if (end == line || *end != ' ' || colon == NULL || k >= np) {
			printf("set %zu: ssh-keygen -Q says \"%s\"\n", idx, line);
			bad++;
			continue;
		}
		rev = strcmp(colon, ": REVOKED") == 0;
		if (!rev && strcmp(colon, ": ok") != 0) {
			printf("set %zu: ssh-keygen -Q says \"%s\"\n", idx, line);
			bad++;
			continue;
		}
		seen++;
		if (rev != pr[k].revoked && bad++ < 10) {
			printf("set %zu: serial %" PRIu64 " id %s: ours %s, "
			    "ssh-keygen -Q %s\n", idx, pr[k].serial, pr[k].id,
			    pr[k].revoked ? "revoked" : "not revoked",
			    rev ? "REVOKED" : "ok");
		}
	}
	fclose(f);
	if (seen != np) {
		printf("set %zu: ssh-keygen -Q judged %zu of %zu certificates\n",
		    idx, seen, np);
		bad++;
	}
	/* Size against ssh-keygen -k for the same revocations. */
	snprintf(path, sizeof(path), "%s/spec", dir);
	spec_for(s, path);
	snprintf(cmd, sizeof(cmd), "cd '%s' && rm -f ref.krl && ssh-keygen -q "
	    "-k -f ref.krl -s ca.pub spec > /dev/null 2>&1", dir);
	if (system(cmd) != 0) {
		printf("set %zu: ssh-keygen -k failed\n", idx);
		bad++;
	} else {
		snprintf(path, sizeof(path), "%s/set.krl", dir);
		ours = file_size(path);
		snprintf(path, sizeof(path), "%s/ref.krl", dir);
		ref = file_size(path);
		if (ref > 0 && (double)ours / (double)ref > worst_ratio)
			worst_ratio = (double)ours / (double)ref;
		if (ours < 0 || ref <= 0 || ours * 4 > ref * 5) {
			printf("set %zu: KRL %ld bytes, ssh-keygen -k %ld "
			    "(over 1.25x)\n", idx, ours, ref);
			bad++;
		}
		/* Our reader on ssh-keygen's KRL and on ours. */
		snprintf(path, sizeof(path), "%s/ref.krl", dir);
		bad += read_back(path, idx, certs, pr, np);
		snprintf(path, sizeof(path), "%s/set.krl", dir);
		bad += read_back(path, idx, certs, pr, np);
	}
	for (i = 0; i < np; i++)
		jcert_free(certs[i]);
	if (keep != NULL) {
		size_t nrev = 0, nok = 0, nrev_kept = 0, nok_kept = 0;
		size_t seen_rev, seen_ok;

		snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir -p '%s' && "
		    "cp set.krl '%s/krl'", dir, keep, keep);
		if (system(cmd) != 0)
			die("keep", 0);
		/* Up to three of each kind, spread over the probes. */
		for (i = 0; i < np; i++)
			*(pr[i].revoked ? &nrev : &nok) += 1;
		for (i = 0, seen_rev = seen_ok = 0; i < np; i++) {
			int rev = pr[i].revoked;
			size_t *kept = rev ? &nrev_kept : &nok_kept;
			size_t nth = rev ? seen_rev++ : seen_ok++;

			if (*kept >= 3 || nth % ((rev ? nrev : nok) / 3 + 1) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s%zu-cert.pub", dir,
			    keep, rev ? "revoked" : "ok", (*kept)++);
			jcert_free(write_cert(path, ca, key, pr[i].serial,
			    pr[i].id));
		}
	}
	return bad;
}

/* ",LIST," so that ",N," finds N anywhere in it. */
static const char *
keep_list(const char *list)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), ",%s,", list);
	return buf;
}

int
main(int argc, char **argv)
{
	static struct set s;
	struct jkey *ca = NULL, *key = NULL;
	char path[4096], *line = NULL, *nl = NULL;
	const char *keep = NULL;
	char keepdir[64], tag[32];
	unsigned long nsets;
	size_t i, j, total = 0, maxn = 0, nhigh = 0;
	int r, bad = 0, failed = 0;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: jit-krloracle DIR SETS [SEED] [KEEP]\n");
		return 2;
	}
	nsets = strtoul(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) :
	    (uint64_t)time(NULL);
	if (rng_state == 0)
		rng_state = 1;
	if (argc > 4)
		keep = argv[4];
	if (getenv("LOGIN_USER") != NULL)
		principal = getenv("LOGIN_USER");
	printf("seed %" PRIu64 "\n", rng_state);
	/* ECDSA: ssh-keygen verifies it through OpenSSL, far faster than its
	 * own Ed25519, and it checks thousands of certificates a set. */
	if ((r = jkey_generate(JKEY_ECDSA_P256, 0, &ca)) != 0 ||
	    (r = jkey_generate(JKEY_ED25519, 0, &key)) != 0)
		die("keys", r);
	if ((r = jkey_format_line(ca, "oracle-ca", &line)) != 0 ||
	    asprintf(&nl, "%s\n", line) < 0)
		die("ca.pub", r);
	snprintf(path, sizeof(path), "%s/ca.pub", argv[1]);
	write_text(path, nl);
	free(line);
	free(nl);
	snprintf(path, sizeof(path), "%s/user", argv[1]);
	if (keep != NULL && (r = jkey_save_private(key, "oracle",
	    path)) != 0)
		die(path, r);
	for (i = 0; i < nsets; i++) {
		make_set(&s);
		total += s.n;
		if (s.n > maxn)
			maxn = s.n;
		if (s.n > 0 && s.serials[s.n - 1] > (1ULL << 62))
			nhigh++;
		snprintf(tag, sizeof(tag), ",%zu,", i);
		snprintf(keepdir, sizeof(keepdir), "keep-%zu", i);
		r = check_set(argv[1], i, &s, ca, key, keep != NULL &&
		    strstr(keep_list(keep), tag) != NULL ? keepdir : NULL);
		if (r != 0) {
			failed++;
			bad += r;
		}
		for (j = 0; j < s.nids; j++)
			free(s.ids[j]);
	}
	printf("%lu sets, %zu serials (largest set %zu, %zu sets above 2^62), "
	    "KRL size at most %.3f x ssh-keygen -k's: %d sets disagree with "
	    "ssh-keygen (%d checks)\n", nsets, total, maxn, nhigh,
	    worst_ratio, failed, bad);
	jkey_free(ca);
	jkey_free(key);
	return failed == 0 ? 0 : 1;
}
