/* Store: TOTP state, parallel code guesses counted one by one. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "jit-err.h"
#include "jstore.h"
#include "store_fixture.h"

TestSuite(store_totp, .init = store_setup, .fini = store_teardown);

/* A stand-in for the CA's code check: the "code" is the step it matches,
 * 0 never matches. */
static int
verify_step(const unsigned char *sealed, size_t len, void *arg,
    uint64_t *stepp)
{
	(void)sealed;
	(void)len;
	*stepp = *(const uint64_t *)arg;
	return *stepp == 0 ? JIT_ERR_DENIED : 0;
}

static int
check_ex(struct jstore *s, const char *user, uint64_t now, uint64_t step,
    struct jstore_totp_check *c)
{
	memset(c, 0, sizeof(*c));
	c->now = now;
	c->max_failures = 5;
	c->source = "127.0.0.1";
	c->verify = verify_step;
	c->arg = &step;	/* used only during the call */
	return jstore_totp_check(s, user, c);
}

static int
check(struct jstore *s, const char *user, uint64_t now, uint64_t step)
{
	struct jstore_totp_check c;

	return check_ex(s, user, now, step, &c);
}

static int
count_verify(const unsigned char *sealed, size_t len, void *arg,
    uint64_t *stepp)
{
	(void)sealed;
	(void)len;
	(void)stepp;
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
	return JIT_ERR_DENIED;
}

struct guesser {
	struct jstore *s;
	int checked, locked;
};

static void *
guesser_main(void *arg)
{
	struct guesser *g = arg;
	struct jstore_totp_check c;
	int i, r;

	for (i = 0; i < 10; i++) {
		memset(&c, 0, sizeof(c));
		c.now = 1700000000;
		c.max_failures = 5;
		c.source = "127.0.0.2";
		c.verify = count_verify;
		c.arg = &g->checked;
		r = jstore_totp_check(g->s, "alice", &c);
		if (r == JIT_ERR_TOTP_LOCKED)
			__atomic_fetch_add(&g->locked, 1, __ATOMIC_RELAXED);
		else
			cr_assert_eq(r, JIT_ERR_TOTP_WRONG);
	}
	return NULL;
}

/* 60 parallel guessers (the review's attack): 5 codes checked, no more. */
Test(store_totp, parallel_code_guesses_are_counted_one_by_one)
{
	struct jstore *s = open_store(0);
	struct guesser g = { s, 0, 0 };
	pthread_t th[60];
	size_t i;

	cr_assert_eq(jstore_totp_enroll(s, "alice", (const unsigned char *)
	    "12345678901234567890", 20, 1700000000), 0);
	jstore_set_clients(s, 60);
	for (i = 0; i < 60; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, guesser_main, &g), 0);
	for (i = 0; i < 60; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(g.checked, 5, "%d codes checked", g.checked);
	cr_assert_eq(g.locked, 600 - 5);
	jstore_close(s);
}

Test(store_totp, totp_state)
{
	struct jstore *s = open_store(0);
	struct jstore_totp t;
	struct jstore_totp_check c;
	static const unsigned char secret[20] = "12345678901234567890";
	uint32_t fails = 0;

	cr_assert_eq(jstore_totp_get(s, "alice", &t), JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_totp_enroll(s, "alice", secret, 20, 1700000000), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.secret_len, 20);
	cr_assert_eq(memcmp(t.secret, secret, 20), 0);
	cr_assert_eq(t.last_step, 0);
	cr_assert_eq(check(s, "alice", 1700000000, 1000), 0);
	cr_assert_eq(check(s, "alice", 1700000000, 1000), JIT_ERR_TOTP_REPLAY);
	cr_assert_eq(check(s, "alice", 1700000000, 999), JIT_ERR_TOTP_REPLAY);
	cr_assert_eq(check(s, "alice", 1700000000, 0), JIT_ERR_TOTP_WRONG);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.failures, 1, "wrong codes count, used ones do not");
	cr_assert_eq(t.last_step, 1000);
	cr_assert_eq(check(s, "alice", 1700000000, 1001), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.failures, 0, "a good code resets the failure count");
	/* The fifth failure in a row locks for 1 min, the sixth for 2, ... */
	for (fails = 0; fails < 4; fails++)
		cr_assert_eq(check(s, "alice", 1700000000, 0), JIT_ERR_TOTP_WRONG);
	cr_assert_eq(check_ex(s, "alice", 1700000000, 0, &c), JIT_ERR_TOTP_WRONG);
	cr_assert(c.locked_now);
	cr_assert_eq(c.locked_until, 1700000060);
	cr_assert_eq(check_ex(s, "alice", 1700000059, 1002, &c),
	    JIT_ERR_TOTP_LOCKED, "a right code is not even checked");
	cr_assert_eq(c.locked_until, 1700000060);
	cr_assert_eq(check_ex(s, "alice", 1700000060, 0, &c), JIT_ERR_TOTP_WRONG);
	cr_assert_eq(c.locked_until, 1700000180, "the back-off grows");
	cr_assert_eq(check(s, "alice", 1700000180, 1002), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.locked_until, 0);
	{
		struct collected ev;
		struct jstore_filter f;

		memset(&f, 0, sizeof(f));
		f.event = "lockout";
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(jstore_query(s, &f, collect, &ev), 0);
		cr_assert_eq(ev.n, 2, "each lockout is on record");
		f.event = "mfa-fail";
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(jstore_query(s, &f, collect, &ev), 0);
		cr_assert_eq(ev.n, 9, "each failure is on record");
	}
	/* Re-enrolling replaces the secret and the state, and is audited. */
	cr_assert_eq(jstore_totp_enroll(s, "alice", (const unsigned char *)
	    "abcdefghijabcdefghij", 20, 1700001000), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(memcmp(t.secret, "abcdefghij", 10), 0);
	cr_assert_eq(t.last_step, 0);
	cr_assert_eq(check(s, "bob", 1700000000, 5), JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_totp_enroll(s, "", secret, 20, 1), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jstore_totp_enroll(s, "x", secret, 65, 1), JIT_ERR_INVALID_ARGUMENT);
	{
		struct collected ev;
		struct jstore_filter f;

		memset(&f, 0, sizeof(f));
		f.event = "enroll";
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(jstore_query(s, &f, collect, &ev), 0);
		cr_assert_eq(ev.n, 2);
	}
	jstore_close(s);
}
