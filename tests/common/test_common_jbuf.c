/* Unit tests for the wire buffer: every getter on short, bad and big input. */
#include <stdint.h>

#include "testutil.h"

static struct jbuf *
from_bytes(const void *p, size_t len)
{
	struct jbuf *b = jbuf_from(p, len);

	cr_assert_not_null(b);
	return b;
}

Test(jbuf, put_get_round_trip)
{
	struct jbuf *b = jbuf_new();
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	char *s;
	unsigned char *bin;
	const unsigned char *mp;
	size_t len;
	static const unsigned char mag[] = { 0x80, 0x01 };

	cr_assert_eq(jbuf_put_u8(b, 0xab), 0);
	cr_assert_eq(jbuf_put_u32(b, 0xdeadbeef), 0);
	cr_assert_eq(jbuf_put_u64(b, 0x0102030405060708ULL), 0);
	cr_assert_eq(jbuf_put_cstring(b, "hello"), 0);
	cr_assert_eq(jbuf_put_string(b, "\0\1\2", 3), 0);
	cr_assert_eq(jbuf_put_mpint(b, mag, sizeof(mag)), 0);
	/* 1 + 4 + 8 + (4+5) + (4+3) + (4+1+2) */
	cr_assert_eq(jbuf_len(b), 36);
	cr_assert_eq(jbuf_get_u8(b, &u8), 0);
	cr_assert_eq(u8, 0xab);
	cr_assert_eq(jbuf_get_u32(b, &u32), 0);
	cr_assert_eq(u32, 0xdeadbeef);
	cr_assert_eq(jbuf_get_u64(b, &u64), 0);
	cr_assert_eq(u64, 0x0102030405060708ULL);
	cr_assert_eq(jbuf_get_cstring(b, &s, &len), 0);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(len, 5);
	free(s);
	cr_assert_eq(jbuf_get_string(b, &bin, &len), 0);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(bin, "\0\1\2", 3), 0);
	free(bin);
	cr_assert_eq(jbuf_get_mpint_direct(b, &mp, &len), 0);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(mp, mag, 2), 0);
	cr_assert_eq(jbuf_expect_end(b), 0);
	jbuf_free(b);
}

Test(jbuf, wire_encoding_is_big_endian)
{
	struct jbuf *b = jbuf_new();
	static const unsigned char want[] = { 0, 0, 0, 3, 'a', 'b', 'c',
	    0x12, 0x34, 0x56, 0x78 };

	cr_assert_eq(jbuf_put_cstring(b, "abc"), 0);
	cr_assert_eq(jbuf_put_u32(b, 0x12345678), 0);
	cr_assert_eq(jbuf_len(b), sizeof(want));
	cr_assert_eq(memcmp(jbuf_ptr(b), want, sizeof(want)), 0);
	jbuf_free(b);
}

/* Every getter on input one byte too short fails and consumes nothing. */
Test(jbuf, getters_on_short_input_fail_and_consume_nothing)
{
	static const unsigned char data[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd' };
	struct jbuf *b, *sub;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	unsigned char *bin;
	const unsigned char *p;
	char *s;
	size_t len;

	b = from_bytes(data, 0);
	cr_assert_eq(jbuf_get_u8(b, &u8), JIT_ERR_MESSAGE_INCOMPLETE);
	jbuf_free(b);
	b = from_bytes(data, 3);
	cr_assert_eq(jbuf_get_u32(b, &u32), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_eq(jbuf_len(b), 3);
	jbuf_free(b);
	b = from_bytes(data, 7);
	cr_assert_eq(jbuf_get_u64(b, &u64), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_eq(jbuf_len(b), 7);
	/* string says 5 bytes, only 4 follow */
	cr_assert_eq(jbuf_get_string(b, &bin, &len), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_null(bin);
	cr_assert_eq(jbuf_get_string_direct(b, &p, &len),
	    JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_eq(jbuf_get_cstring(b, &s, &len), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_null(s);
	cr_assert_eq(jbuf_froms(b, &sub), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_null(sub);
	cr_assert_eq(jbuf_get_mpint_direct(b, &p, &len),
	    JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_eq(jbuf_get(b, NULL, 8), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_eq(jbuf_len(b), 7, "a failed get must not consume");
	jbuf_free(b);
	/* Not even a length prefix. */
	b = from_bytes(data, 2);
	cr_assert_eq(jbuf_get_cstring(b, &s, &len), JIT_ERR_MESSAGE_INCOMPLETE);
	cr_assert_eq(jbuf_len(b), 2);
	jbuf_free(b);
}

Test(jbuf, cstring_refuses_embedded_nul)
{
	static const unsigned char data[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	struct jbuf *b = from_bytes(data, sizeof(data));
	unsigned char *bin;
	char *s;
	size_t len;

	cr_assert_eq(jbuf_get_cstring(b, &s, &len), JIT_ERR_EMBEDDED_NUL);
	cr_assert_null(s);
	cr_assert_eq(jbuf_len(b), sizeof(data));
	/* As binary it is fine. */
	cr_assert_eq(jbuf_get_string(b, &bin, &len), 0);
	cr_assert_eq(len, 3);
	free(bin);
	jbuf_free(b);
}

Test(jbuf, trailing_data_is_detected)
{
	static const unsigned char data[] = { 0, 0, 0, 1, 'a', 'x' };
	struct jbuf *b = from_bytes(data, sizeof(data));

	cr_assert_eq(jbuf_get_string_direct(b, NULL, NULL), 0);
	cr_assert_eq(jbuf_expect_end(b), JIT_ERR_TRAILING_DATA);
	cr_assert_eq(jbuf_get_u8(b, NULL), 0);
	cr_assert_eq(jbuf_expect_end(b), 0);
	jbuf_free(b);
}

Test(jbuf, max_size_is_enforced)
{
	struct jbuf *b = jbuf_new();
	unsigned char big[64] = { 0 };

	cr_assert_eq(jbuf_set_max_size(b, 16), 0);
	cr_assert_eq(jbuf_put(b, big, 16), 0);
	cr_assert_eq(jbuf_put_u8(b, 1), JIT_ERR_NO_BUFFER_SPACE);
	cr_assert_eq(jbuf_len(b), 16, "a refused put changes nothing");
	cr_assert_eq(jbuf_put_string(b, big, 0), JIT_ERR_NO_BUFFER_SPACE);
	cr_assert_eq(jbuf_set_max_size(b, 8), JIT_ERR_NO_BUFFER_SPACE);
	cr_assert_eq(jbuf_set_max_size(b, JBUF_SIZE_MAX + 1),
	    JIT_ERR_INVALID_ARGUMENT);
	/* Consumed bytes free room. */
	cr_assert_eq(jbuf_consume(b, 4), 0);
	cr_assert_eq(jbuf_put_u32(b, 7), 0);
	cr_assert_eq(jbuf_len(b), 16);
	jbuf_free(b);
}

Test(jbuf, string_length_over_limit_is_refused)
{
	/* A length prefix of 0xffffffff must not be trusted. */
	static const unsigned char data[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	struct jbuf *b = from_bytes(data, sizeof(data));
	const unsigned char *p;
	size_t len;

	cr_assert_eq(jbuf_get_string_direct(b, &p, &len),
	    JIT_ERR_STRING_TOO_LARGE);
	cr_assert_eq(jbuf_len(b), sizeof(data));
	jbuf_free(b);
}

Test(jbuf, readonly_view_refuses_writes)
{
	static const unsigned char data[] = { 1, 2, 3 };
	struct jbuf *b = from_bytes(data, sizeof(data));

	cr_assert_eq(jbuf_put_u8(b, 4), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jbuf_len(b), 3);
	jbuf_free(b);
}

Test(jbuf, froms_gives_a_bounded_view)
{
	static const unsigned char data[] = { 0, 0, 0, 2, 0xaa, 0xbb, 0xcc };
	struct jbuf *b = from_bytes(data, sizeof(data)), *sub;
	uint8_t v;

	cr_assert_eq(jbuf_froms(b, &sub), 0);
	cr_assert_eq(jbuf_len(sub), 2);
	cr_assert_eq(jbuf_get_u8(sub, &v), 0);
	cr_assert_eq(v, 0xaa);
	cr_assert_eq(jbuf_get_u8(sub, &v), 0);
	cr_assert_eq(jbuf_get_u8(sub, &v), JIT_ERR_MESSAGE_INCOMPLETE,
	    "the view must not read past its string into the parent");
	cr_assert_eq(jbuf_len(b), 1);
	jbuf_free(sub);
	jbuf_free(b);
}

Test(jbuf, mpint_encoding_rules)
{
	struct jbuf *b = jbuf_new();
	static const unsigned char high[] = { 0x00, 0x00, 0x80 };
	static const unsigned char want[] = { 0, 0, 0, 2, 0x00, 0x80 };
	static const unsigned char neg[] = { 0, 0, 0, 1, 0x80 };
	static const unsigned char lead[] = { 0, 0, 0, 2, 0x00, 0x01 };
	static const unsigned char zero_ok[] = { 0, 0, 0, 0 };
	unsigned char huge[4 + JBUF_MPINT_MAX_BYTES + 1];
	const unsigned char *p;
	size_t len;
	struct jbuf *r;

	/* Leading zeros stripped, sign byte added for a set top bit. */
	cr_assert_eq(jbuf_put_mpint(b, high, sizeof(high)), 0);
	cr_assert_eq(jbuf_len(b), sizeof(want));
	cr_assert_eq(memcmp(jbuf_ptr(b), want, sizeof(want)), 0);
	jbuf_free(b);

	r = from_bytes(neg, sizeof(neg));
	cr_assert_eq(jbuf_get_mpint_direct(r, &p, &len),
	    JIT_ERR_BIGNUM_IS_NEGATIVE);
	jbuf_free(r);
	r = from_bytes(lead, sizeof(lead));
	cr_assert_eq(jbuf_get_mpint_direct(r, &p, &len), JIT_ERR_INVALID_FORMAT);
	jbuf_free(r);
	r = from_bytes(zero_ok, sizeof(zero_ok));
	cr_assert_eq(jbuf_get_mpint_direct(r, &p, &len), 0);
	cr_assert_eq(len, 0);
	jbuf_free(r);

	memset(huge, 0x11, sizeof(huge));
	huge[0] = 0;
	huge[1] = 0;
	huge[2] = (unsigned char)((JBUF_MPINT_MAX_BYTES + 1) >> 8);
	huge[3] = (unsigned char)(JBUF_MPINT_MAX_BYTES + 1);
	r = from_bytes(huge, sizeof(huge));
	cr_assert_eq(jbuf_get_mpint_direct(r, &p, &len),
	    JIT_ERR_BIGNUM_TOO_LARGE);
	jbuf_free(r);
}

Test(jbuf, base64_round_trip_and_strictness)
{
	struct jbuf *b = jbuf_new(), *v;
	char *s;
	size_t i;
	unsigned char data[32];

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37);
	for (i = 0; i <= sizeof(data); i++) {
		v = from_bytes(data, i);
		cr_assert_eq(jbuf_dtob64(v, &s), 0);
		jbuf_reset(b);
		cr_assert_eq(jbuf_b64tod(b, s, strlen(s), 0), 0);
		cr_assert_eq(jbuf_len(b), i);
		cr_assert_eq(memcmp(jbuf_ptr(b), data, i), 0);
		free(s);
		jbuf_free(v);
	}
	jbuf_reset(b);
	cr_assert_eq(jbuf_b64tod(b, "QUJD", 4, 0), 0);
	cr_assert_eq(memcmp(jbuf_ptr(b), "ABC", 3), 0);
	jbuf_reset(b);
	cr_assert_eq(jbuf_b64tod(b, "QUI=", 4, 0), 0);
	cr_assert_eq(jbuf_len(b), 2);
	jbuf_reset(b);
	cr_assert_eq(jbuf_b64tod(b, "QU=I", 4, 0), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jbuf_b64tod(b, "QUJ", 3, 0), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jbuf_b64tod(b, "QU J", 4, 0), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jbuf_b64tod(b, "QU\nJD", 5, 0), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jbuf_b64tod(b, "QU\nJD", 5, 1), 0);
	cr_assert_eq(jbuf_b64tod(b, "Q!JD", 4, 0), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jbuf_b64tod(b, "Q===", 4, 0), JIT_ERR_INVALID_FORMAT);
	jbuf_free(b);
}

Test(jbuf, free_and_reset_tolerate_null)
{
	jbuf_free(NULL);
	jbuf_reset(NULL);
	cr_assert_eq(jbuf_len(NULL), 0);
}
