/* ca_fixture.c: a CA for the remote-command tests.  See ca_fixture.h. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca_fixture.h"
#include "commands.h"
#include "jbuf.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jkey.h"
#include "jpolicy.h"
#include "pg_admin.h"

char ca_fixture_dir[64];
struct svc ca_svc;
char *ca_keyline[CA_FIXTURE_KEYS];
uint64_t ca_clock;
static char pg_db[64];

static uint64_t
fixture_clock(void)
{
	return ca_clock;
}

static int
capture(void *arg, int to_stderr, const char *data, size_t len)
{
	struct out *o = arg;

	(void)to_stderr;
	if (o->len + len >= sizeof(o->text))
		return -1;
	memcpy(o->text + o->len, data, len);
	o->len += len;
	o->text[o->len] = '\0';
	return 0;
}

void
ca_fixture_ctx(struct rpc *r, struct out *o, struct jbuf *in,
    const char *user)
{
	memset(r, 0, sizeof(*r));
	memset(o, 0, sizeof(*o));
	r->svc = &ca_svc;
	r->io.write = capture;
	r->io.arg = o;
	r->user = user;
	r->addr = "127.0.0.1";
	r->mfa_done = 1;
	r->mfa_time = ca_clock;
	r->in = in;
}

/* jit-ssh-ca init --dir ca_fixture_dir [--store URL], through the table's parser. */
static void
init_ca(void)
{
	static const struct jit_opt opts[] = {
		{ "dir", 0, "DIR", NULL, NULL },
		{ "key-type", 0, "T", NULL, NULL },
		{ "store", 0, "S", NULL, NULL },
		{ "ca-key", 0, "U", NULL, NULL },
		{ "host-ca-key", 0, "U", NULL, NULL },
		{ "pkcs11-module", 0, "SO", NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	static const struct jit_verb init = { .name = "init", .usage = "init",
	    .opts = opts, };
	static unsigned n;
	char url[512], sql[128], err[256];
	char *argv[] = { "init", "--dir", ca_fixture_dir, "--store", url, NULL };
	struct jit_args a;
	int argc = 3, saved, r;

	if (getenv("JIT_TEST_PG") != NULL) {
		snprintf(pg_db, sizeof(pg_db), "jc_%ld_%u", (long)getpid(), n++);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_db);
		pg_admin(sql);
		snprintf(url, sizeof(url), "%s dbname=%s",
		    getenv("JIT_TEST_PG"), pg_db);
		argc = 5;
	}
	cr_assert_eq(jit_verb_parse(&init, argc, argv, &a, err, sizeof(err)),
	    0, "%s", err);
	/* What init prints goes to stderr: stdout is the TAP report. */
	fflush(stdout);
	cr_assert_neq(saved = dup(STDOUT_FILENO), -1);
	cr_assert_neq(dup2(STDERR_FILENO, STDOUT_FILENO), -1);
	r = cmd_init(NULL, &a);
	fflush(stdout);
	cr_assert_neq(dup2(saved, STDOUT_FILENO), -1);
	close(saved);
	cr_assert_eq(r, 0);
}

static void
write_policy(const char *fmt)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy.yaml", ca_fixture_dir);
	cr_assert_not_null(f = fopen(path, "w"));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(f, fmt, ca_keyline[0], ca_keyline[1], ca_keyline[2]);
#pragma GCC diagnostic pop
	cr_assert_eq(fclose(f), 0);
}

void
ca_fixture_setup(const char *policy_fmt)
{
	struct jkey *k;
	int i;

	ca_clock = (uint64_t)time(NULL);
	jit_clock_set(fixture_clock);
	snprintf(ca_fixture_dir, sizeof(ca_fixture_dir), "/tmp/jit-ca-fixture-XXXXXX");
	cr_assert_not_null(mkdtemp(ca_fixture_dir));
	cr_assert_eq(rmdir(ca_fixture_dir), 0);	/* init makes it */
	init_ca();
	for (i = 0; i < CA_FIXTURE_KEYS; i++) {
		cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &k), 0);
		cr_assert_eq(jkey_format_line(k, NULL, &ca_keyline[i]), 0);
		jkey_free(k);
	}
	write_policy(policy_fmt);
	cr_assert_eq(svc_open(&ca_svc, ca_fixture_dir), 0);
}

void
ca_fixture_reload(const char *policy_fmt)
{
	struct jpolicy *p = NULL;
	char path[128], *err = NULL;

	write_policy(policy_fmt);
	snprintf(path, sizeof(path), "%s/policy.yaml", ca_fixture_dir);
	cr_assert_eq(jpolicy_load_file(path, &p, &err), 0, "%s", err);
	svc_policy_swap(&ca_svc, p);
}

void
ca_fixture_teardown(void)
{
	char cmd[128];
	int i;

	svc_close(&ca_svc);
	for (i = 0; i < CA_FIXTURE_KEYS; i++) {
		free(ca_keyline[i]);
		ca_keyline[i] = NULL;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ca_fixture_dir);
	cr_assert_eq(system(cmd), 0);
	if (getenv("JIT_TEST_PG") != NULL) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE %s WITH (FORCE)",
		    pg_db);
		pg_admin(cmd);
	}
	jit_clock_set(NULL);
}
