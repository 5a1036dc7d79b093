/*
 * test_host_cast.c: the recorder's asciicast escaping, judged by jansson's
 * JSON parser (not ours): random terminal output, valid UTF-8 or not, cut
 * into random reads, must always give a JSON string jansson accepts; valid
 * UTF-8 must come back exactly, however it was cut; and an invalid byte
 * costs only itself (the ASCII around it survives).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "cast.h"
#include "jbuf.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* One random code point as UTF-8 (no surrogates). */
static size_t
put_cp(unsigned char *p)
{
	unsigned cp;

	switch (rnd(4)) {
	case 0: cp = rnd(0x80); return (p[0] = (unsigned char)cp), 1;
	case 1: cp = 0x80 + rnd(0x780);
		p[0] = (unsigned char)(0xc0 | cp >> 6);
		p[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	case 2: do cp = 0x800 + rnd(0xf800); while (cp >= 0xd800 && cp < 0xe000);
		p[0] = (unsigned char)(0xe0 | cp >> 12);
		p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	default: cp = 0x10000 + rnd(0x100000);
		p[0] = (unsigned char)(0xf0 | cp >> 18);
		p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		p[3] = (unsigned char)(0x80 | (cp & 0x3f));
		return 4;
	}
}

/* Escapes in, cut into random reads, and parses the result with jansson. */
static json_t *
escape_cut(const unsigned char *in, size_t len)
{
	struct cast_stream st = { { 0 }, 0 };
	struct jbuf *b = jbuf_new();
	size_t off = 0, n;
	json_t *j;

	cr_assert_not_null(b);
	jbuf_put_u8(b, '"');
	while (off < len) {
		n = 1 + rnd(len - off < 9 ? (unsigned)(len - off) : 9);
		cr_assert_eq(cast_escape(b, &st, in + off, n), 0);
		off += n;
	}
	/* What is still carried at the end of the session is flushed. */
	cr_assert_eq(cast_escape(b, &st, (const unsigned char *)"", 0), 0);
	jbuf_put_u8(b, '"');
	j = json_loadb((const char *)jbuf_ptr(b), jbuf_len(b),
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	jbuf_free(b);
	return j;
}

Test(cast, valid_utf8_survives_any_cuts)
{
	unsigned char in[4096];
	size_t len, i;
	int round;
	json_t *j;

	for (round = 0; round < 2000; round++) {
		for (len = 0, i = rnd(300); i > 0; i--)
			len += put_cp(in + len);
		j = escape_cut(in, len);
		cr_assert_not_null(j, "round %d: not JSON", round);
		cr_assert_eq(json_string_length(j), len, "round %d", round);
		cr_assert(memcmp(json_string_value(j), in, len) == 0,
		    "round %d: changed", round);
		json_decref(j);
	}
}

Test(cast, any_bytes_give_json_and_keep_their_ascii)
{
	unsigned char in[2048];
	size_t len, i, na, no;
	const char *s;
	int round;
	json_t *j;

	for (round = 0; round < 2000; round++) {
		len = rnd(sizeof(in));
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)(rnd(3) == 0 ? rnd(256) :
			    rnd(4) == 0 ? 0x80 + rnd(0x80) : 0x20 + rnd(0x5f));
		j = escape_cut(in, len);
		cr_assert_not_null(j, "round %d: not JSON", round);
		/* Every ASCII byte that no lead byte swallowed comes back. */
		for (i = na = 0; i < len; i++)
			if (in[i] < 0x80 && (i == 0 || in[i - 1] < 0xc2))
				na++;
		s = json_string_value(j);
		for (i = no = 0; i < json_string_length(j); i++)
			if ((unsigned char)s[i] < 0x80)
				no++;
		cr_assert_geq(no, na, "round %d: ASCII lost", round);
		json_decref(j);
	}
}
