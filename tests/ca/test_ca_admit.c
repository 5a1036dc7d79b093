/* The per-address caps: which addresses count as one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"

static void
expect_key(const char *addr, const char *want)
{
	char key[ADMIT_KEY_MAX];

	admit_addr_key(addr, key);
	cr_assert_str_eq(key, want, "%s: %s, want %s", addr, key, want);
}

Test(ca_admit, ipv6_counts_per_64_and_mapped_ipv4_as_ipv4)
{
	expect_key("192.0.2.7", "192.0.2.7");
	expect_key("::ffff:192.0.2.7", "192.0.2.7");
	expect_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64");
	expect_key("2001:db8:1:2::1", "2001:db8:1:2::/64");
	expect_key("2001:db8:1:3::1", "2001:db8:1:3::/64");
	expect_key("::1", "::/64");
}

/* Addresses of one /64 share the per-address cap; another /64 does not. */
Test(ca_admit, one_64_shares_the_cap)
{
	struct admit *c = admit_new(NULL);
	char addr[64];
	unsigned i;

	cr_assert_not_null(c);
	for (i = 0; i < ADMIT_MAX_UNAUTH_PER_ADDRESS; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1);
		cr_assert_eq(admit_conn(c, addr), 1, "%u", i);
	}
	cr_assert_eq(admit_conn(c, "2001:db8:1:2:ffff::1"), 0,
	    "a new address of the same /64 is over the cap");
	cr_assert_eq(admit_conn(c, "2001:db8:1:3::1"), 1, "another /64 is not");
	/* An IPv4 client seen as itself and as an IPv4-mapped address. */
	for (i = 0; i < ADMIT_MAX_UNAUTH_PER_ADDRESS; i++)
		cr_assert_eq(admit_conn(c, i % 2 ? "::ffff:198.51.100.1" :
		    "198.51.100.1"), 1, "%u", i);
	cr_assert_eq(admit_conn(c, "::ffff:198.51.100.1"), 0);
	cr_assert_eq(admit_conn(c, "198.51.100.1"), 0);
	admit_release(c, "::ffff:198.51.100.1", 0);
	cr_assert_eq(admit_conn(c, "198.51.100.1"), 1, "released as one");
	admit_free(c);
}
