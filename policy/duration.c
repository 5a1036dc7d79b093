/*
 * duration.c: durations: "90s", "5m", "1h30m", "2d" (at most 366d).
 */
#include <arpa/inet.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jyaml.h"
#include "policy-impl.h"
#include "schema.h"

int
jpolicy_parse_duration(const char *s, uint64_t *secsp)
{
	uint64_t total = 0, v, unit, last_unit = UINT64_MAX;
	const char *p = s;

	*secsp = 0;
	if (s == NULL || *s == '\0')
		return JIT_ERR_INVALID_FORMAT;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return JIT_ERR_INVALID_FORMAT;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			if (v > DURATION_MAX)
				return JIT_ERR_INVALID_FORMAT;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		switch (*p++) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			return JIT_ERR_INVALID_FORMAT;
		}
		/* Units in decreasing order, each once: "1h30m", not "30m1h". */
		if (unit >= last_unit || v > DURATION_MAX)
			return JIT_ERR_INVALID_FORMAT;
		last_unit = unit;
		total += v * unit;
		if (total > DURATION_MAX)
			return JIT_ERR_INVALID_FORMAT;
	}
	if (total == 0)
		return JIT_ERR_INVALID_FORMAT;
	*secsp = total;
	return 0;
}

void
jpolicy_format_duration(uint64_t secs, char *buf, size_t len)
{
	jit_format_duration(secs, buf, len);
}

int
schema_get_duration(struct ctx *c, const struct jyaml_node *n, const char *what,
    uint64_t *out)
{
	int r;

	if ((r = schema_want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (jpolicy_parse_duration(n->value, out) != 0)
		return schema_err(c, n, "%s: '%s' is not a duration (a positive "
		    "number with s, m, h or d, like 90s, 5m, 1h30m; at most "
		    "366d)", what, n->value);
	return 0;
}
