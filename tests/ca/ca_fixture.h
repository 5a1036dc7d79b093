/*
 * ca_fixture.h: a CA directory made with the real init, and sessions'
 * contexts for the remote commands (their output into a buffer), for the
 * tests that run the remote commands without SSH.  With $JIT_TEST_PG (a
 * conninfo) the CA's store is a fresh database of that cluster.  The
 * clock is the fixture's (jit_clock_set): tests move it.
 */
#ifndef JIT_TEST_CA_FIXTURE_H
#define JIT_TEST_CA_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "svc.h"

struct jbuf;

struct out {
	char text[65536];
	size_t len;
};

extern char ca_fixture_dir[];
extern struct svc ca_svc;
#define CA_FIXTURE_KEYS	6
/* alice's, bob's, carol's (in the policy), then three to certify */
extern char *ca_keyline[CA_FIXTURE_KEYS];
extern uint64_t ca_clock;	/* the time jit_now() says */

/*
 * A CA in a new directory whose policy is text (a printf format: three
 * %s for the public key lines of alice, bob and carol), its svc open; the
 * clock set to now.
 */
void ca_fixture_setup(const char *policy_fmt);
void ca_fixture_teardown(void);
/* The policy replaced by text (same format), as SIGHUP would. */
void ca_fixture_reload(const char *policy_fmt);

/* A session's context for user (MFA done), its output into o. */
void ca_fixture_ctx(struct rpc *r, struct out *o, struct jbuf *in,
    const char *user);

#endif /* JIT_TEST_CA_FIXTURE_H */
