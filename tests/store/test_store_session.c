/*
 * Store: session recordings, on LMDB and (test_store_pg) on PostgreSQL:
 * start for an issued serial only, chunks appended where the stored copy
 * ends (a replay, a gap, another host and an ended recording refused, and
 * nothing written by a refusal), the end's hash and size in the chain,
 * read back in order, and verify_state re-hashing each recording.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "jit-err.h"
#include "jstore.h"
#include "store_fixture.h"

TestSuite(store_session, .init = store_setup, .fini = store_teardown);

#define SID	"s-00112233aabbccdd"

static int
gather(const unsigned char *p, size_t len, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf);

	cr_assert_lt(have + len, 4096);
	memcpy(buf + have, p, len);
	buf[have + len] = '\0';
	return 0;
}

static struct jstore_event
start_event(uint64_t serial)
{
	struct jstore_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.serial = serial;
	ev.request_id = SID;
	ev.principals = "deploy@web1";
	ev.source = "10.0.0.5";
	ev.reason = "shell";
	ev.valid_after = 1700000100;
	return ev;
}

static int
find_end(const struct jstore_event *ev, void *arg)
{
	if (strcmp(ev->event, "session-end") == 0)
		snprintf(arg, 256, "%s|%s|%s", ev->fingerprint, ev->reason,
		    ev->user);
	return 0;
}

Test(store_session, a_recording_from_start_to_end)
{
	struct jstore *s = open_store(0);
	struct jstore_event iss, ev = start_event(99);
	struct jstore_session rec;
	struct jstore_filter f;
	char back[4096] = "", end[256] = "", fp[51];
	uint64_t size = 0, serial;
	size_t nbad = 0;

	cr_assert_eq(jstore_next_serial(s, &serial), 0);
	iss = issue_event("alice", "dev", serial, 1700000000);
	cr_assert_eq(jstore_append(s, &iss, 1), 0);
	/* A serial never issued: refused, nothing kept. */
	cr_assert_eq(jstore_session_start(s, "web1", &ev, "hdr\n", 4),
	    JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_session_get(s, SID, &rec), JIT_ERR_NOT_FOUND);
	ev = start_event(serial);
	cr_assert_eq(jstore_session_start(s, "web1", &ev, "hdr\n", 4), 0);
	ev = start_event(serial);
	cr_assert_eq(jstore_session_start(s, "web1", &ev, "hdr\n", 4),
	    JIT_ERR_EXISTS, "a second start of the id");
	cr_assert_eq(jstore_session_append(s, SID, "web1", 4, "abc", 3,
	    1 << 20, &size), 0);
	cr_assert_eq(size, 7);
	/* A replay, a gap, another host, past the cap: refused, size told. */
	cr_assert_eq(jstore_session_append(s, SID, "web1", 4, "abc", 3,
	    1 << 20, &size), JIT_ERR_EXISTS);
	cr_assert_eq(size, 7);
	cr_assert_eq(jstore_session_append(s, SID, "web1", 9, "x", 1, 1 << 20,
	    &size), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jstore_session_append(s, SID, "web2", 7, "x", 1, 1 << 20,
	    &size), JIT_ERR_DENIED);
	cr_assert_eq(jstore_session_append(s, SID, "web1", 7, "xyz", 3, 9,
	    &size), JIT_ERR_FILE_TOO_LARGE);
	cr_assert_eq(jstore_session_append(s, SID, "web1", 7, "def\n", 4,
	    1 << 20, &size), 0);
	cr_assert_eq(jstore_session_read(s, SID, gather, back), 0);
	cr_assert_str_eq(back, "hdr\nabcdef\n");
	memset(&ev, 0, sizeof(ev));
	ev.reason = "exit, exit status 0";
	ev.valid_before = 1700000200;
	cr_assert_eq(jstore_session_end(s, SID, "web2", &ev), JIT_ERR_DENIED);
	cr_assert_eq(jstore_session_end(s, SID, "web1", &ev), 0);
	cr_assert_eq(jstore_session_append(s, SID, "web1", 11, "z", 1,
	    1 << 20, &size), JIT_ERR_REQUEST_DECIDED, "ended: never changes");
	cr_assert_eq(jstore_session_get(s, SID, &rec), 0);
	cr_assert(rec.ended && rec.size == 11 && rec.serial == serial);
	cr_assert_str_eq(rec.host, "web1");
	cr_assert_eq(jstore_session_hash(s, SID, fp, &size), 0);
	memset(&f, 0, sizeof(f));
	f.request_id = SID;
	cr_assert_eq(jstore_query(s, &f, find_end, end), 0);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s|11 bytes; exit, exit status "
		    "0|alice", fp);
		cr_assert_str_eq(end, want, "the end event: hash, size, user");
	}
	cr_assert_eq(jstore_verify_state(s, verify_quiet, NULL, &nbad), 0);
	cr_assert_eq(nbad, 0);
	jstore_close(s);
}
