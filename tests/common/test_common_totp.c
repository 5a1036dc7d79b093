/* TOTP/HOTP against the RFC vectors, skew, replay-free matching, base32. */
#include "jtotp.h"
#include "testutil.h"

static const unsigned char rfc_secret[] = "12345678901234567890";

/* RFC 4226 Appendix D. */
Test(totp, rfc4226_hotp_vectors)
{
	static const uint32_t want[10] = { 755224, 287082, 359152, 969429,
	    338314, 254676, 287922, 162583, 399871, 520489 };
	uint32_t v;
	uint64_t c;

	for (c = 0; c < 10; c++) {
		cr_assert_eq(jtotp_hotp(rfc_secret, 20, c, 6, &v), 0);
		cr_assert_eq(v, want[c], "counter %llu", (unsigned long long)c);
	}
}

/* RFC 6238 Appendix B, SHA-1 rows, 8 digits. */
Test(totp, rfc6238_totp_vectors)
{
	static const struct { uint64_t t; uint32_t code; } vec[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 },
		{ 1111111111, 14050471 }, { 1234567890, 89005924 },
		{ 2000000000, 69279037 }, { 20000000000ULL, 65353130 },
	};
	uint32_t v;
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		cr_assert_eq(jtotp_hotp(rfc_secret, 20, vec[i].t / 30, 8, &v), 0);
		cr_assert_eq(v, vec[i].code, "T=%llu", (unsigned long long)vec[i].t);
	}
}

Test(totp, verify_accepts_one_step_of_skew_only)
{
	uint64_t step;
	uint32_t v;
	char code[7];
	const uint64_t t = 1234567890;	/* step 41152263 */

	cr_assert_eq(jtotp_hotp(rfc_secret, 20, t / 30, 6, &v), 0);
	snprintf(code, sizeof(code), "%06u", v);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, code, t, &step), 0);
	cr_assert_eq(step, t / 30);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, code, t + 30, &step), 0);
	cr_assert_eq(step, t / 30, "the step that matched, not now's");
	cr_assert_eq(jtotp_verify(rfc_secret, 20, code, t - 30, &step), 0);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, code, t + 60, &step),
	    JIT_ERR_SIGNATURE_INVALID);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, code, t - 60, &step),
	    JIT_ERR_SIGNATURE_INVALID);
	code[5] = code[5] == '9' ? '0' : (char)(code[5] + 1);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, code, t, &step),
	    JIT_ERR_SIGNATURE_INVALID);
}

Test(totp, verify_refuses_malformed_codes)
{
	uint64_t step;

	cr_assert_eq(jtotp_verify(rfc_secret, 20, "12345", 59, &step),
	    JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, "1234567", 59, &step),
	    JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, "12a456", 59, &step),
	    JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, "", 59, &step),
	    JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jtotp_verify(rfc_secret, 20, NULL, 59, &step),
	    JIT_ERR_INVALID_FORMAT);
}

Test(totp, base32_rfc4648_vectors)
{
	static const struct { const char *in, *out; } vec[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		cr_assert_eq(jtotp_base32((const unsigned char *)vec[i].in,
		    strlen(vec[i].in), &s), 0);
		cr_assert_str_eq(s, vec[i].out);
		free(s);
	}
	cr_assert_eq(jtotp_base32(rfc_secret, 20, &s), 0);
	cr_assert_str_eq(s, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	free(s);
}
