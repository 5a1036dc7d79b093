/*
 * rpc-out.c: what every command of the service writes with: printf-style
 * output to the command's stdout and stderr, JSON Lines, and the --name
 * VALUE options of the commands (see rpc-impl.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "rpc-impl.h"
#include "svc.h"

static void
vwrite(struct rpc *cx, int to_stderr, const char *fmt, va_list ap)
{
	char *s = NULL;
	int n;

	if ((n = vasprintf(&s, fmt, ap)) < 0)
		return;
	(void)cx->io.write(cx->io.arg, to_stderr, s, (size_t)n);
	free(s);
}

void
rpc_out(struct rpc *cx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite(cx, 0, fmt, ap);
	va_end(ap);
}

void
rpc_err(struct rpc *cx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite(cx, 1, fmt, ap);
	va_end(ap);
}

void
rpc_json(struct rpc *cx, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s != NULL)
		rpc_out(cx, "%s\n", s);
	free(s);
	json_decref(o);
}

int
rpc_refuse_locked(struct rpc *cx, const char *cmd, const char *user,
    const char *what)
{
	char *reason = NULL, when[48] = "until unlocked";
	uint64_t until;
	int r;

	if ((r = jstore_locked(cx->svc->store, user, jit_now(),
	    &until, &reason)) == 0)
		return 0;
	if (r < 0)
		rpc_err(cx, "%s: cannot tell whether %s is locked: %s\n", cmd,
		    user, jit_strerror(r));
	else {
		if (until != 0) {
			memcpy(when, "until ", 7);
			jit_format_time(until, when + 6, sizeof(when) - 6);
		}
		rpc_err(cx, "%s: %s is locked %s: %s (%s)\n", cmd, user, when,
		    what, reason != NULL && *reason != '\0' ? reason :
		    "no reason given");
	}
	free(reason);
	return 1;
}
