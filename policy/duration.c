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
	return jit_parse_duration(s, secsp);
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
