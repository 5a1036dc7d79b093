/*
 * tz.c: zone offsets from TZif files (RFC 8536): the version 2+ body
 * (64-bit transition times) when the file has one, else version 1's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jtz.h"

#define TZ_DIR		"/usr/share/zoneinfo/"
#define TZ_FILE_MAX	(256 * 1024)
#define TZ_TIMES_MAX	4096
#define TZ_TYPES_MAX	256

struct jit_tz {
	char name[JIT_TZ_NAME_MAX + 1];
	size_t n;		/* transitions */
	int64_t *at;		/* transition times, increasing */
	long *off;		/* the offset from at[i] on */
	long first;		/* before the first transition */
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
name_ok(const char *s)
{
	const char *p;

	if (s[0] == '\0' || strlen(s) > JIT_TZ_NAME_MAX || s[0] == '/' ||
	    strstr(s, "..") != NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("/_+-", *p) != NULL))
			return 0;
	return 1;
}

/* One data block: counts in the header at h, times tsize bytes wide. */
static int
parse_block(struct jit_tz *tz, const unsigned char *h, const unsigned char *end,
    size_t tsize, const unsigned char **nextp)
{
	uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28);
	uint32_t timecnt = be32(h + 32), typecnt = be32(h + 36);
	uint32_t charcnt = be32(h + 40);
	const unsigned char *times = h + 44, *idx, *types;
	size_t need, i;

	if (timecnt > TZ_TIMES_MAX || typecnt == 0 || typecnt > TZ_TYPES_MAX ||
	    isut > typecnt || isstd > typecnt || leap > TZ_TIMES_MAX ||
	    charcnt > 65536)
		return JIT_ERR_INVALID_FORMAT;
	need = timecnt * tsize + timecnt + typecnt * 6 + charcnt +
	    leap * (tsize + 4) + isstd + isut;
	if ((size_t)(end - times) < need)
		return JIT_ERR_INVALID_FORMAT;
	idx = times + timecnt * tsize;
	types = idx + timecnt;
	*nextp = times + need;
	if (tz == NULL)
		return 0;	/* the version 1 block, skipped */
	if ((tz->at = calloc(timecnt + 1, sizeof(*tz->at))) == NULL ||
	    (tz->off = calloc(timecnt + 1, sizeof(*tz->off))) == NULL)
		return JIT_ERR_ALLOC;
	/* Before the first transition: the first type that is not DST. */
	tz->first = (int32_t)be32(types);
	for (i = 0; i < typecnt; i++)
		if (types[i * 6 + 4] == 0) {
			tz->first = (int32_t)be32(types + i * 6);
			break;
		}
	for (i = 0; i < timecnt; i++) {
		const unsigned char *t = times + i * tsize;
		int64_t v;

		if (idx[i] >= typecnt)
			return JIT_ERR_INVALID_FORMAT;
		v = tsize == 8 ? (int64_t)((uint64_t)be32(t) << 32 | be32(t + 4)) :
		    (int32_t)be32(t);
		if (i > 0 && v <= tz->at[i - 1])
			return JIT_ERR_INVALID_FORMAT;
		tz->at[i] = v;
		tz->off[i] = (int32_t)be32(types + idx[i] * 6);
		if (tz->off[i] < -26 * 3600 || tz->off[i] > 26 * 3600)
			return JIT_ERR_INVALID_FORMAT;
	}
	tz->n = timecnt;
	return 0;
}

static int
parse(struct jit_tz *tz, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *next;
	int r;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return JIT_ERR_INVALID_FORMAT;
	if (p[4] == '\0')	/* version 1: 32-bit times only */
		return parse_block(tz, p, end, 4, &next);
	if ((r = parse_block(NULL, p, end, 4, &next)) != 0)
		return r;
	if ((size_t)(end - next) < 44 || memcmp(next, "TZif", 4) != 0)
		return JIT_ERR_INVALID_FORMAT;
	return parse_block(tz, next, end, 8, &next);
}

int
jit_tz_load(const char *name, struct jit_tz **tzp)
{
	char path[sizeof(TZ_DIR) + JIT_TZ_NAME_MAX];
	struct jit_tz *tz;
	struct jbuf *b = NULL;
	int r;

	*tzp = NULL;
	if (name == NULL || !name_ok(name))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((tz = calloc(1, sizeof(*tz))) == NULL)
		return JIT_ERR_ALLOC;
	strcpy(tz->name, name);
	if (strcmp(name, "UTC") == 0) {
		*tzp = tz;
		return 0;
	}
	snprintf(path, sizeof(path), "%s%s", TZ_DIR, name);
	if ((r = jit_file_read(path, TZ_FILE_MAX, 0, &b)) == 0)
		r = parse(tz, jbuf_ptr(b), jbuf_len(b));
	jbuf_free(b);
	if (r != 0) {
		jit_tz_free(tz);
		return r == JIT_ERR_FILE_TOO_LARGE ? JIT_ERR_INVALID_FORMAT : r;
	}
	*tzp = tz;
	return 0;
}

long
jit_tz_offset(const struct jit_tz *tz, uint64_t t)
{
	size_t lo = 0, hi;
	int64_t v = (int64_t)t;

	if (tz->n == 0 || v < tz->at[0])
		return tz->first;
	/* The last transition at or before t. */
	hi = tz->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->at[mid] <= v)
			lo = mid;
		else
			hi = mid;
	}
	return tz->off[lo];
}

const char *
jit_tz_name(const struct jit_tz *tz)
{
	return tz->name;
}

void
jit_tz_free(struct jit_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->at);
	free(tz->off);
	free(tz);
}
