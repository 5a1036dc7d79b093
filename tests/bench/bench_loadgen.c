/*
 * bench_loadgen: N concurrent libssh clients, each connecting, doing
 * publickey auth, running one exec command (stdin: a public key line) and
 * reading the answer, over and over for S seconds.  Prints connections per
 * second and p50/p99 latency of whole connections.  PORT may list several
 * servers ("2222,2223"): client i talks to port i mod n.
 *
 *   bench_loadgen PORT[,PORT...] USER KEYFILE STDINFILE CLIENTS SECONDS [COMMAND]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "benchutil.h"

#define PORTS_MAX	8

struct cfg {
	int ports[PORTS_MAX], nports, seconds;
	const char *user, *command;
	char *input;
	ssh_key key;
};

struct worker {
	const struct cfg *c;
	int port;
	double *lat;
	size_t n, cap;
	unsigned long fail;
};

static int
one(const struct cfg *c, int port)
{
	ssh_session s = ssh_new();
	ssh_channel ch = NULL;
	char buf[8192];
	int nodelay = 1, rc = -1, n, got = 0;
	long timeout = 10;

	if (s == NULL)
		return -1;
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, c->user);
	ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(s) != SSH_OK ||
	    ssh_userauth_publickey(s, NULL, c->key) != SSH_AUTH_SUCCESS ||
	    (ch = ssh_channel_new(s)) == NULL ||
	    ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, c->command) != SSH_OK ||
	    ssh_channel_write(ch, c->input, (uint32_t)strlen(c->input)) < 0 ||
	    ssh_channel_send_eof(ch) != SSH_OK)
		goto out;
	while ((n = ssh_channel_read(ch, buf, sizeof(buf), 0)) > 0)
		got += n;
	if (got > 0 && ssh_channel_get_exit_status(ch) == 0)
		rc = 0;
 out:
	if (ch != NULL) {
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	ssh_disconnect(s);
	ssh_free(s);
	return rc;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	double t0 = bench_wall(), t;

	while ((t = bench_wall()) - t0 < w->c->seconds) {
		int r = one(w->c, w->port);

		if (r != 0) {
			w->fail++;
			continue;
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 1024;
			w->lat = realloc(w->lat, w->cap * sizeof(double));
		}
		w->lat[w->n++] = bench_wall() - t;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct cfg c;
	struct worker *w;
	pthread_t *t;
	double *all, t0, el;
	size_t total = 0, k;
	unsigned long fail = 0;
	int i, n;
	FILE *f;
	long len;

	if (argc < 7) {
		fprintf(stderr, "usage: bench_loadgen PORT USER KEYFILE STDINFILE "
		    "CLIENTS SECONDS [COMMAND]\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	{
		char *p = argv[1], *end;

		do {
			c.ports[c.nports++] = (int)strtol(p, &end, 10);
			p = *end == ',' ? end + 1 : end;
		} while (*end == ',' && c.nports < PORTS_MAX);
	}
	c.user = argv[2];
	c.seconds = atoi(argv[6]);
	c.command = argc > 7 ? argv[7] : "login --role bench";
	n = atoi(argv[5]);
	ssh_init();
	if (ssh_pki_import_privkey_file(argv[3], NULL, NULL, NULL, &c.key) !=
	    SSH_OK || (f = fopen(argv[4], "r")) == NULL) {
		fprintf(stderr, "bench_loadgen: cannot read the key or input\n");
		return 1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	c.input = calloc(1, (size_t)len + 1);
	if (fread(c.input, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	w = calloc((size_t)n, sizeof(*w));
	t = calloc((size_t)n, sizeof(*t));
	t0 = bench_wall();
	for (i = 0; i < n; i++) {
		w[i].c = &c;
		w[i].port = c.ports[i % c.nports];
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += w[i].n;
		fail += w[i].fail;
	}
	el = bench_wall() - t0;
	all = calloc(total + 1, sizeof(double));
	for (i = 0, k = 0; i < n; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
		k += w[i].n;
	}
	qsort(all, total, sizeof(double), bench_cmp_double);
	printf("clients %3d: %7.1f conn/s  p50 %6.2f ms  p99 %6.2f ms  (%zu ok, "
	    "%lu failed, %.1f s)\n", n, (double)total / el,
	    total ? all[total / 2] * 1e3 : 0, total ? all[total * 99 / 100] * 1e3 :
	    0, total, fail, el);
	return 0;
}
