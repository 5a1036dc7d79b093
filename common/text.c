/*
 * Text checks and escaping for terminals, logs and JSON (see jtext.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jtext.h"

/*
 * Length of the well-formed, printable UTF-8 character at s (at most n
 * bytes available), or 0 when the bytes there are not one.
 */
static size_t
char_len(const unsigned char *s, size_t n, int allow_tab)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		if (s[0] == '\t')
			return allow_tab ? 1 : 0;
		return s[0] < 0x20 || s[0] == 0x7f ? 0 : 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;	/* a continuation byte, 0xc0/0xc1 or 0xf5.. */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, past Unicode, or a surrogate */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;	/* C1 controls: CSI and friends */
	return len;
}

int
jtext_valid(const char *s, size_t len, int allow_tab)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n;

	for (i = 0; i < len; i += n)
		if ((n = char_len(p + i, len - i, allow_tab)) == 0)
			return 0;
	return 1;
}

size_t
jtext_escape(char *dst, size_t dstlen, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, out = 0;
	int full = dstlen == 0;

	for (i = 0; i < len; i += n) {
		char esc[4];
		const char *piece;
		size_t plen;

		if (p[i] == '\\') {
			n = 1;
			piece = "\\\\";
			plen = 2;
		} else if ((n = char_len(p + i, len - i, 0)) != 0) {
			piece = s + i;
			plen = n;
		} else {
			n = 1;
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[p[i] >> 4];
			esc[3] = hex[p[i] & 15];
			piece = esc;
			plen = 4;
		}
		if (!full && out + plen < dstlen)
			memcpy(dst + out, piece, plen);
		else if (!full) {
			dst[out] = '\0';
			full = 1;
		}
		out += plen;
	}
	if (!full)
		dst[out] = '\0';
	return out;
}

char *
jtext_escape_dup(const char *s, size_t len)
{
	size_t need = jtext_escape(NULL, 0, s, len);
	char *d;

	if ((d = malloc(need + 1)) != NULL)
		(void)jtext_escape(d, need + 1, s, len);
	return d;
}
