/*
 * window.c: time windows: "Mon-Fri 09:00-17:00 UTC", "daily 22:00-02:00".
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

/* "Sat 01:00-05:00 UTC", "Mon-Fri 09:00-17:00", "daily 22:00-02:00 UTC". */
int
policy_parse_window(const char *s, struct pwindow *w)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	char buf[128], *tok[4], *save, *t, *dash, *item;
	unsigned h1, m1, h2, m2;
	int n = 0, a, b, d, consumed;
	size_t i;

	memset(w, 0, sizeof(*w));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (t = strtok_r(buf, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save)) {
		if (n == 3)
			return -1;
		tok[n++] = t;
	}
	if (n < 2 || (n == 3 && strcmp(tok[2], "UTC") != 0))
		return -1;
	if (strcmp(tok[0], "daily") == 0 || strcmp(tok[0], "*") == 0)
		w->days = 0x7f;
	else {
		for (item = strtok_r(tok[0], ",", &save); item != NULL;
		    item = strtok_r(NULL, ",", &save)) {
			dash = strchr(item, '-');
			if (dash != NULL)
				*dash++ = '\0';
			for (a = -1, i = 0; i < 7; i++)
				if (strcmp(item, days[i]) == 0)
					a = (int)i;
			b = a;
			if (dash != NULL)
				for (b = -1, i = 0; i < 7; i++)
					if (strcmp(dash, days[i]) == 0)
						b = (int)i;
			if (a < 0 || b < 0)
				return -1;
			for (d = a;; d = (d + 1) % 7) {
				w->days |= 1u << d;
				if (d == b)
					break;
			}
		}
		if (w->days == 0)
			return -1;
	}
	if (sscanf(tok[1], "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2,
	    &consumed) != 4 || tok[1][consumed] != '\0' ||
	    strlen(tok[1]) != 11)
		return -1;
	if (h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 || (h2 == 24 && m2 != 0))
		return -1;
	w->start = h1 * 60 + m1;
	w->end = h2 * 60 + m2;
	if (w->start == w->end)
		return -1;
	return (w->text = strdup(s)) == NULL ? -2 : 0;
}

/* A list of windows ("Mon-Fri 09:00-17:00 UTC", ...). */
int
schema_get_windows(struct ctx *c, const struct jyaml_node *v, const char *what,
    struct pwindow **wp, size_t *np)
{
	size_t i;
	int r;

	if ((r = schema_want(c, v, JYAML_SEQ, what)) != 0)
		return r;
	if (v->n == 0)
		return schema_err(c, v, "%s must not be empty", what);
	if (v->n > 64)
		return schema_err(c, v, "%s: too many windows", what);
	if ((*wp = calloc(v->n, sizeof(**wp))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < v->n; i++) {
		const struct jyaml_node *w = v->items[i];

		if ((r = schema_want(c, w, JYAML_SCALAR, "a window")) != 0)
			return r;
		r = policy_parse_window(w->value, &(*wp)[i]);
		if (r == -2)
			return JIT_ERR_ALLOC;
		if (r != 0)
			return schema_err(c, w, "window '%s' is not like "
			    "\"Mon-Fri 09:00-17:00 UTC\" (days: Sun..Sat, "
			    "ranges, lists or daily; times HH:MM, UTC)",
			    w->value);
		(*np)++;
	}
	return 0;
}

int
policy_in_window(const struct pwindow *windows, size_t n, uint64_t now,
    uint64_t *endp)
{
	uint64_t day_start, wday, start, end;
	size_t i;
	int k, found = 0;

	*endp = 0;
	day_start = now - now % 86400;
	/* 1970-01-01 was a Thursday (4). */
	wday = (now / 86400 + 4) % 7;
	for (i = 0; i < n; i++) {
		const struct pwindow *w = &windows[i];

		/* A window that opened today, or yesterday and runs past midnight. */
		for (k = 0; k <= 1; k++) {
			uint64_t d = (wday + 7 - (uint64_t)k) % 7;
			uint64_t base = day_start - (uint64_t)k * 86400;

			if (!(w->days & (1u << d)) || now < (uint64_t)k * 86400)
				continue;
			start = base + w->start * 60ULL;
			end = base + w->end * 60ULL;
			if (w->end <= w->start)
				end += 86400;
			if (now >= start && now < end) {
				found = 1;
				if (end > *endp)
					*endp = end;
			}
		}
	}
	return found;
}
