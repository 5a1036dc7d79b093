/*
 * cast.c: asciicast v2 output.  The escaping is written here rather than
 * through jansson: it must carry UTF-8 sequences split between reads and
 * replace invalid bytes, and it runs on every byte a session prints.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jbuf.h"
#include "jit-err.h"
#include "cast.h"

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
cast_open(struct cast *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->start_us = mono_us();
	return (c->buf = jbuf_new()) == NULL ? JIT_ERR_ALLOC : 0;
}

void
cast_close(struct cast *c)
{
	jbuf_free(c->buf);
	c->buf = NULL;
}

/* Length of the UTF-8 sequence starting with lead byte b (0: invalid). */
static size_t
seq_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

/* 1 when s[0..n) is one well-formed UTF-8 sequence (no overlong form,
 * surrogate or value past U+10FFFF). */
static int
seq_ok(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) ||
	    (s[0] == 0xed && s[1] > 0x9f)))
		return 0;
	if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] > 0x8f)))
		return 0;
	return 1;
}

static const char hex[] = "0123456789abcdef";

/*
 * Appends the escaped form of p[0..len) through a stack buffer; a
 * sequence cut at the end waits in st->carry for the next call.
 */
int
cast_escape(struct jbuf *b, struct cast_stream *st, const unsigned char *p,
    size_t len)
{
	unsigned char tmp[4096 + 16], seq[4];
	size_t o = 0, i = 0, n, k, have;
	int r;

	while (i < len || st->ncarry > 0) {
		if (o > sizeof(tmp) - 16) {
			if ((r = jbuf_put(b, tmp, o)) != 0)
				return r;
			o = 0;
		}
		if (st->ncarry > 0) {
			/* Complete the carried sequence from p. */
			n = seq_len(st->carry[0]);
			while (st->ncarry < n && i < len &&
			    (p[i] & 0xc0) == 0x80)
				st->carry[st->ncarry++] = p[i++];
			if (st->ncarry < n && i == len)
				break;	/* still cut: wait for more */
			have = st->ncarry;
			memcpy(seq, st->carry, have);
			st->ncarry = 0;
			if (have == n && seq_ok(seq, n)) {
				memcpy(tmp + o, seq, n);
				o += n;
			} else {
				memcpy(tmp + o, "\xef\xbf\xbd", 3);
				o += 3;
			}
			continue;
		}
		unsigned char ch = p[i];
		if (ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\') {
			tmp[o++] = ch;
			i++;
			continue;
		}
		if (ch < 0x80) {
			tmp[o++] = '\\';
			switch (ch) {
			case '"': tmp[o++] = '"'; break;
			case '\\': tmp[o++] = '\\'; break;
			case '\n': tmp[o++] = 'n'; break;
			case '\r': tmp[o++] = 'r'; break;
			case '\t': tmp[o++] = 't'; break;
			default:
				memcpy(tmp + o, "u00", 3);
				tmp[o + 3] = (unsigned char)hex[ch >> 4];
				tmp[o + 4] = (unsigned char)hex[ch & 15];
				o += 5;
			}
			i++;
			continue;
		}
		if ((n = seq_len(ch)) == 0) {
			memcpy(tmp + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (len - i < n) {
			/* Cut at the end of this read: carry it, when what
			 * there is of it continues it. */
			for (k = i + 1; k < len && (p[k] & 0xc0) == 0x80; k++)
				;
			if (k == len) {
				for (k = 0; i < len; k++)
					st->carry[k] = p[i++];
				st->ncarry = k;
				continue;
			}
		}
		if (len - i >= n && seq_ok(p + i, n)) {
			memcpy(tmp + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(tmp + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	return o > 0 ? jbuf_put(b, tmp, o) : 0;
}

int
cast_header(struct cast *c, const char *json)
{
	int r;

	if ((r = jbuf_put(c->buf, json, strlen(json))) != 0 ||
	    (r = jbuf_put_u8(c->buf, '\n')) != 0)
		return r;
	return cast_flush(c) == 0 ? 0 : JIT_ERR_SYSTEM;
}

int
cast_event(struct cast *c, char type, const void *data, size_t len)
{
	struct cast_stream scratch = { { 0 }, 0 };
	uint64_t t = mono_us() - c->start_us;
	char head[48];
	int n, r;

	if (c->fd < 0)
		return 0;	/* not recording (fail_open) */
	n = snprintf(head, sizeof(head), "[%llu.%06llu, \"%c\", \"",
	    (unsigned long long)(t / 1000000), (unsigned long long)(t % 1000000),
	    type);
	if ((r = jbuf_put(c->buf, head, (size_t)n)) != 0 ||
	    (r = cast_escape(c->buf, type == 'o' ? &c->out : type == 'i' ?
	    &c->in : &scratch, data, len)) != 0 ||
	    (r = jbuf_put(c->buf, "\"]\n", 3)) != 0)
		return r;
	if (jbuf_len(c->buf) >= CAST_FLUSH_AT)
		return cast_flush(c) == 0 ? 0 : JIT_ERR_SYSTEM;
	return 0;
}

int
cast_flush(struct cast *c)
{
	const unsigned char *p = jbuf_ptr(c->buf);
	size_t len = jbuf_len(c->buf), off = 0;
	ssize_t w;

	if (c->fd < 0) {
		jbuf_reset(c->buf);	/* not recording (fail_open) */
		return 0;
	}
	if (c->failed) {
		jbuf_reset(c->buf);
		errno = c->err;
		return -1;
	}
	while (off < len) {
		if ((w = write(c->fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			c->failed = 1;
			c->err = errno;
			jbuf_reset(c->buf);
			return -1;
		}
		off += (size_t)w;
	}
	jbuf_reset(c->buf);
	return 0;
}
