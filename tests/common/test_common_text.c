/* Text checks and escaping: what may reach a terminal, a log or JSON. */
#include <string.h>

#include <criterion/criterion.h>

#include "jtext.h"

#define VALID(s) jtext_valid(s, sizeof(s) - 1, 0)

Test(common_text, valid_utf8_passes)
{
	cr_assert(VALID(""));
	cr_assert(VALID("incident 42: db down"));
	cr_assert(VALID("Störung behoben \xe2\x9c\x93 \xf0\x9f\x94\xa5"));
	cr_assert(VALID("\xc2\xa0"), "U+00A0 is printable");
	cr_assert(jtext_valid("a\tb", 3, 1), "a tab only when allowed");
	cr_assert_not(jtext_valid("a\tb", 3, 0));
}

Test(common_text, controls_and_bad_utf8_are_refused)
{
	cr_assert_not(VALID("a\nb"), "newline");
	cr_assert_not(VALID("a\rb"));
	cr_assert_not(VALID("\x1b[2J"), "ESC");
	cr_assert_not(VALID("a\x7f"), "DEL");
	cr_assert_not(VALID("\xc2\x9b" "31m"), "C1 CSI");
	cr_assert_not(VALID("\xc2\x80"), "U+0080");
	cr_assert_not(VALID("\xc2\x9f"), "U+009F");
	cr_assert_not(VALID("\xff"), "not UTF-8");
	cr_assert_not(VALID("\x80"), "lone continuation");
	cr_assert_not(VALID("\xc3"), "truncated");
	cr_assert_not(VALID("\xc0\xaf"), "overlong '/'");
	cr_assert_not(VALID("\xe0\x80\xaf"), "overlong, 3 bytes");
	cr_assert_not(VALID("\xed\xa0\x80"), "surrogate");
	cr_assert_not(VALID("\xf4\x90\x80\x80"), "past U+10FFFF");
	cr_assert_not(jtext_valid("a\0b", 3, 1), "NUL");
}

Test(common_text, escaping_keeps_every_byte_visible)
{
	char out[64];
	size_t n;

	n = jtext_escape(out, sizeof(out), "bob\nFAKE line\\", 14);
	cr_assert_str_eq(out, "bob\\x0aFAKE line\\\\");
	cr_assert_eq(n, strlen(out));
	jtext_escape(out, sizeof(out), "\xc2\x9b\xff ok \xc3\xa9", 9);
	cr_assert_str_eq(out, "\\xc2\\x9b\\xff ok \xc3\xa9");
	/* Cut like snprintf, never inside an escape. */
	n = jtext_escape(out, 6, "ab\ncd", 5);
	cr_assert_eq(n, 8);
	cr_assert_str_eq(out, "ab");
	cr_assert_eq(jtext_escape(NULL, 0, "\x01", 1), 4);
	{
		char *d = jtext_escape_dup("x\x7fy", 3);

		cr_assert_str_eq(d, "x\\x7fy");
		free(d);
	}
}
