/* timefmt.c: RFC 3339 times and relative durations for the CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jpolicy.h"
#include "timefmt.h"

int
ca_parse_time(const char *s, uint64_t now, uint64_t *out)
{
	struct tm tm;
	const char *p;
	uint64_t d;
	time_t t;
	int sign, hh, mm, n = 0;

	*out = 0;
	/* Relative: "90m", "24h", "7d" ago. */
	if (jpolicy_parse_duration(s, &d) == 0) {
		*out = d > now ? 0 : now - d;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL &&
	    (p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if (*p == 'Z' && p[1] == '\0') {
		*out = (uint64_t)t;
		return 0;
	}
	if (*p == '\0' && strlen(s) == 10) {	/* a date: its midnight UTC */
		*out = (uint64_t)t;
		return 0;
	}
	if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) == 2 && p[1 + n] == '\0' &&
	    hh < 24 && mm < 60) {
		sign = *p == '+' ? 1 : -1;
		t -= sign * (hh * 3600 + mm * 60);
		*out = (uint64_t)t;
		return 0;
	}
	return -1;
}

int
ca_parse_until(const char *s, uint64_t now, uint64_t *out)
{
	uint64_t d;

	/* Relative: "2h", "1d" from now; else an absolute time. */
	if (jpolicy_parse_duration(s, &d) == 0) {
		*out = now + d;
		return 0;
	}
	return ca_parse_time(s, now, out);
}
