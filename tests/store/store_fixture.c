/* store_fixture.c: what the store tests share. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "jit-err.h"
#include "pg_admin.h"
#include "jstore.h"
#include "store_fixture.h"

char store_dir[512];
static char pg_db[64];

/*
 * store_dir is TMP/store inside a fresh temporary directory, or with
 * $JIT_TEST_PG (a conninfo) a fresh database of that cluster.
 */
void
store_setup(void)
{
	static unsigned n;
	char sql[128];

	if (getenv("JIT_TEST_PG") != NULL) {
		snprintf(pg_db, sizeof(pg_db), "jt_%ld_%u", (long)getpid(), n++);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_db);
		pg_admin(sql);
		snprintf(store_dir, sizeof(store_dir), "%s dbname=%s",
		    getenv("JIT_TEST_PG"), pg_db);
		return;
	}
	strcpy(store_dir, "/tmp/jit-store-XXXXXX");
	cr_assert_not_null(mkdtemp(store_dir));
	strcat(store_dir, "/store");
}

void
store_teardown(void)
{
	char cmd[600];

	if (getenv("JIT_TEST_PG") != NULL) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE %s WITH (FORCE)", pg_db);
		pg_admin(cmd);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %.*s", (int)(strlen(store_dir) - 6),
	    store_dir);
	cr_assert_eq(system(cmd), 0);
}

void
lmdb_only(void)
{
	if (getenv("JIT_TEST_PG") != NULL)
		cr_skip_test("LMDB only");
}


struct jstore *
open_store(int flags)
{
	struct jstore *s = NULL;
	int r = jstore_open(store_dir, flags, 0, &s);

	cr_assert_eq(r, 0, "open: %s", jit_strerror(r));
	return s;
}

struct jstore_event
issue_event(const char *user, const char *role, uint64_t serial, uint64_t t)
{
	static char ids[64][64];
	static int n;
	struct jstore_event ev;
	char *id = ids[n++ % 64];

	snprintf(id, 64, "jit:%s:%s:%llu", user, role, (unsigned long long)serial);
	memset(&ev, 0, sizeof(ev));
	ev.time = t;
	ev.event = "issue";
	ev.user = user;
	ev.role = role;
	ev.serial = serial;
	ev.key_id = id;
	ev.principals = "root,deploy";
	ev.valid_after = t - 30;
	ev.valid_before = t + 600;
	ev.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
	ev.source = "10.0.0.1";
	ev.reason = "incident 7";
	return ev;
}

struct jstore_request
new_request(const char *user, uint64_t expires)
{
	struct jstore_request r;

	memset(&r, 0, sizeof(r));
	r.user = (char *)(uintptr_t)user;
	r.role = "prod-root";
	r.principals = "root";
	r.pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbMhFiYiyK4jkOMvf4kA8W9m6wdWQR6NmZDIj86Hkmc";
	r.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
	r.reason = "incident 42";
	r.source = "10.0.0.7";
	r.approver_groups = "sre-leads";
	r.ttl = 900;
	r.quorum = 2;
	r.expires = expires;
	return r;
}

char *
other_key(int i)
{
	static char fps[64][64];
	char *fp = fps[i % 64];

	snprintf(fp, 64, "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5emb%05d",
	    i % 100000);
	return fp;
}

int
collect(const struct jstore_event *ev, void *arg)
{
	struct collected *c = arg;

	cr_assert_lt(c->n, 64);
	c->seq[c->n] = ev->seq;
	c->serial[c->n] = ev->serial;
	snprintf(c->user[c->n], 32, "%s", ev->user);
	snprintf(c->event[c->n], 16, "%s", ev->event);
	c->n++;
	return 0;
}

int
count_issue(const struct jstore_event *ev, void *arg)
{
	if (strcmp(ev->event, "issue") == 0)
		(*(int *)arg)++;
	return 0;
}

int
count_kind(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

int
count_req(const struct jstore_request *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

void
verify_quiet(const char *what, void *arg)
{
	(void)arg;
	cr_log_error("verify: %s", what);
}

int
count_cb(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(*(size_t *)arg)++;
	return 0;
}
