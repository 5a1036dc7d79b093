/* store_fixture.h: what the store tests share (tests/store/store_fixture.c). */
#ifndef JIT_STORE_FIXTURE_H
#define JIT_STORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "jstore.h"

/*
 * A fresh store per test: TMP/store, or with $JIT_TEST_PG a fresh database
 * (store_dir is then its conninfo).  lmdb_only() skips a test that looks
 * at LMDB files.
 */
extern char store_dir[512];
void store_setup(void);
void store_teardown(void);
void lmdb_only(void);

struct jstore *open_store(int flags);
/* An issue event of user for role with serial at time t (valid 600 s). */
struct jstore_event issue_event(const char *user, const char *role,
    uint64_t serial, uint64_t t);
/* An approval request of user that waits until expires (quorum 2). */
struct jstore_request new_request(const char *user, uint64_t expires);
/* The fingerprint of the i-th other key (requests for one key join). */
char *other_key(int i);

/* Events gathered by collect() (at most 64). */
struct collected {
	uint64_t seq[64], serial[64];
	char user[64][32], event[64][16];
	size_t n;
};
int collect(const struct jstore_event *ev, void *arg);
/* Counts issue events / every event / requests into an int. */
int count_issue(const struct jstore_event *ev, void *arg);
int count_kind(const struct jstore_event *ev, void *arg);
int count_req(const struct jstore_request *r, void *arg);
/* Counts events of any kind into a size_t. */
int count_cb(const struct jstore_event *ev, void *arg);
/* audit verify's findings, into the test log. */
void verify_quiet(const char *what, void *arg);

#endif /* JIT_STORE_FIXTURE_H */
