/*
 * where.c: a PostgreSQL store location as libpq reads it: checked for a
 * password (never in config.yaml, never in a message) and shown without
 * one.  See jstore.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "jit-err.h"
#include "jstore.h"

int
jstore_where_check(const char *where, const char **whyp)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	int r = 0;

	*whyp = NULL;
	/* libpq's message may quote the text, password and all: not shown. */
	if ((opts = PQconninfoParse(where, &err)) == NULL) {
		PQfreemem(err);
		*whyp = "libpq cannot read the store location (want "
		    "postgresql://USER@HOST/DB or host=... dbname=...)";
		return JIT_ERR_INVALID_FORMAT;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			*whyp = "the store location must not hold a password: "
			    "put it in a 0600 passfile (passfile=FILE, "
			    "$PGPASSFILE or ~/.pgpass)";
			r = JIT_ERR_INVALID_FORMAT;
		}
	PQconninfoFree(opts);
	return r;
}

char *
jstore_where_display(const char *where)
{
	static const char *const keep[] = { "host", "hostaddr", "port",
	    "dbname", "user", "target_session_attrs", NULL };
	PQconninfoOption *opts, *o;
	char *out = NULL, *err = NULL, *t;
	size_t i;

	if (!jstore_is_url(where))
		return strdup(where);
	if ((opts = PQconninfoParse(where, &err)) == NULL) {
		PQfreemem(err);
		return strdup("(a store location libpq cannot read)");
	}
	for (o = opts; o->keyword != NULL; o++) {
		for (i = 0; keep[i] != NULL && strcmp(keep[i], o->keyword) != 0;
		    i++)
			;
		if (keep[i] == NULL || o->val == NULL || *o->val == '\0')
			continue;
		if (asprintf(&t, "%s%s%s='%s'", out != NULL ? out : "",
		    out != NULL ? " " : "", o->keyword, o->val) == -1) {
			free(out);
			out = NULL;
			break;
		}
		free(out);
		out = t;
	}
	PQconninfoFree(opts);
	return out != NULL ? out : strdup("(the default PostgreSQL database)");
}
