/*
 * The verification code, decided by the server's authentication (auth.c)
 * without an SSH connection and on the fixture's clock: codes are computed
 * for the controlled time, so nothing waits for the next 30 s step.  A
 * code counts once; the next step's code is good; five wrong codes lock
 * the user out until the back-off ends; a used code is no guess.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "ca_fixture.h"
#include "cadir.h"
#include "jkey.h"
#include "jstore.h"
#include "jtotp.h"
#include "totp-seal.h"

#define POLICY "users:\n" \
	"  alice: { keys: [\"%s\"], groups: [dev] }\n" \
	"  bob: { keys: [\"%s\"], groups: [dev] }\n" \
	"  carol: { keys: [\"%s\"], groups: [dev] }\n" \
	"roles:\n" \
	"  dev: { groups: [dev], principals: [x] }\n"

static unsigned char secret[20];
static struct auth_tables *tables;
static struct jkey *alice;

static void
setup(void)
{
	unsigned char sealed[CA_TOTP_SEALED_MAX];
	size_t n;

	ca_fixture_setup(POLICY);
	memset(secret, 0x5a, sizeof(secret));
	cr_assert_eq(ca_totp_seal(ca_svc.totp_key, "alice", secret,
	    sizeof(secret), sealed, sizeof(sealed), &n), 0);
	cr_assert_eq(jstore_totp_enroll(ca_svc.store, "alice", sealed, n,
	    ca_clock), 0);
	cr_assert_not_null(tables = auth_tables_new());
	cr_assert_eq(jkey_parse_line(ca_keyline[0], &alice, NULL), 0);
}

static void
teardown(void)
{
	jkey_free(alice);
	auth_tables_free(tables);
	ca_fixture_teardown();
}

TestSuite(ca_auth, .init = setup, .fini = teardown);

/* The code of the step the clock is in (offset steps away). */
static void
code_at(int offset, char code[7])
{
	uint32_t c;

	cr_assert_eq(jtotp_hotp(secret, sizeof(secret),
	    ca_clock / 30 + (uint64_t)(int64_t)offset, 6, &c), 0);
	snprintf(code, 7, "%06u", c);
}

/* A code that none of the three steps the CA accepts has. */
static void
wrong_code(char code[7])
{
	char c[3][7];
	unsigned v;

	code_at(-1, c[0]);
	code_at(0, c[1]);
	code_at(1, c[2]);
	for (v = 0;; v++) {
		snprintf(code, 7, "%06u", v);
		if (strcmp(code, c[0]) != 0 && strcmp(code, c[1]) != 0 &&
		    strcmp(code, c[2]) != 0)
			return;
	}
}

/* A connection of alice's with her key, then code: its result, why. */
static enum auth_result
attempt(const char *code, char *why, size_t len)
{
	struct auth a;
	struct jkey *k = NULL;
	enum auth_result r;

	memset(&a, 0, sizeof(a));
	a.svc = &ca_svc;
	a.tables = tables;
	snprintf(a.addr, sizeof(a.addr), "127.0.0.1");
	cr_assert_eq(jkey_parse_line(ca_keyline[0], &k, NULL), 0);
	cr_assert_eq(auth_publickey(&a, "alice", k, 1), AUTH_PARTIAL);
	why[0] = '\0';
	r = auth_code(&a, code, why, len);
	auth_clear(&a);
	return r;
}

Test(ca_auth, a_code_counts_once_and_the_next_step_is_good)
{
	char code[7], why[256];

	code_at(0, code);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_OK, "%s", why);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_DENIED);
	cr_assert_not_null(strstr(why, "already used"), "%s", why);
	ca_clock += 30;	/* the next step, at once */
	code_at(0, code);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_OK, "%s", why);
}

Test(ca_auth, used_codes_are_no_guesses)
{
	char code[7], why[256];
	int i;

	code_at(0, code);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_OK, "%s", why);
	for (i = 0; i < 8; i++)
		cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_DENIED);
	ca_clock += 30;
	code_at(0, code);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_OK,
	    "locked out by used codes: %s", why);
}

Test(ca_auth, five_wrong_codes_lock_out_until_the_back_off_ends)
{
	char code[7], bad[7], why[256];
	int i;

	wrong_code(bad);
	for (i = 0; i < 5; i++)
		cr_assert_eq(attempt(bad, why, sizeof(why)), AUTH_DENIED);
	code_at(0, code);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_DENIED);
	cr_assert_not_null(strstr(why, "locked"), "%s", why);
	ca_clock += 61;	/* the first lockout lasts a minute */
	code_at(0, code);
	cr_assert_eq(attempt(code, why, sizeof(why)), AUTH_OK, "%s", why);
}
