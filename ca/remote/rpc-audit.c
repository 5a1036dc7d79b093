/*
 * rpc-audit.c: audit and the access review over SSH (auditors): streamed,
 * and bounded.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"
#include "rpc-impl.h"
#include "svc.h"

struct audit_cookie {
	struct rpc *cx;
	size_t total;
	int cut, broken;
};

static ssize_t
audit_write(void *cookie, const char *buf, size_t len)
{
	struct audit_cookie *ac = cookie;

	if (ac->cut || ac->broken)
		return -1;
	if (ac->total + len > RPC_AUDIT_MAX) {
		ac->cut = 1;
		return -1;	/* stops the printing */
	}
	if (ac->cx->io.write(ac->cx->io.arg, 0, buf, len) != 0) {
		ac->broken = 1;	/* the reader has gone */
		return -1;
	}
	ac->total += len;
	return (ssize_t)len;
}

int
rpc_audit(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	struct jstore_filter f;
	struct audit_cookie ac = { cx, 0, 0, 0 };
	char errbuf[256];
	FILE *out;
	int mode = 0, r;

	/* Auditors only: rpc.c checked (JIT_VERB_AUDITORS in the table). */
	if (ca_audit_args(a, &f, &mode, errbuf, sizeof(errbuf)) != 0) {
		rpc_err(cx, "audit: %s\n", errbuf);
		return RPC_USAGE;
	}
	/*
	 * Streamed to the channel as it is printed (a slow reader only slows
	 * this session), and bounded: past RPC_AUDIT_MAX bytes it stops.
	 */
	if ((out = fopencookie(&ac, "w", (cookie_io_functions_t){
	    .write = audit_write })) == NULL)
		return RPC_ERROR;
	setvbuf(out, NULL, _IOFBF, 32768);
	r = ca_audit_print(cx->svc->store, &f, mode, out);
	if (fclose(out) != 0 && r == 0)
		r = JIT_ERR_SYSTEM;
	if (ac.cut) {
		rpc_err(cx, "audit: output stopped after %d MiB: narrow it with "
		    "--since, --until, --user or --limit\n",
		    RPC_AUDIT_MAX >> 20);
		return RPC_DENIED;
	}
	if (ac.broken)
		return RPC_ERROR;	/* the client went away */
	if (r != 0) {
		rpc_err(cx, "audit: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	return RPC_OK;
}

/*
 * The access review over SSH (auditors): the service's policy and store,
 * streamed like audit; the run is recorded with the auditor's name and
 * address.  The output of a report is bounded by its model (findings and
 * evidence are capped), not by the log.
 */
int
rpc_report(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	struct audit_cookie ac = { cx, 0, 0, 0 };
	struct ca_report_opts o;
	struct jpolicy *p;
	const char *what;
	char errbuf[256];
	FILE *out;
	int r;

	if (ca_report_args(a, jit_now(), &o, errbuf, sizeof(errbuf)) != 0) {
		rpc_err(cx, "report: %s\n", errbuf);
		return RPC_USAGE;
	}
	o.by = cx->user;
	o.source = cx->addr;
	if ((out = fopencookie(&ac, "w", (cookie_io_functions_t){
	    .write = audit_write })) == NULL)
		return RPC_ERROR;
	setvbuf(out, NULL, _IOFBF, 65536);
	p = rpc_policy(cx);
	r = ca_report_run(cx->svc->store, p, &o, out, &what);
	svc_policy_put(cx->svc, p);
	if (fclose(out) != 0 && r == 0)
		r = JIT_ERR_SYSTEM;
	if (ac.cut) {
		rpc_err(cx, "report: output stopped after %d MiB: a shorter "
		    "period\n", RPC_AUDIT_MAX >> 20);
		return RPC_DENIED;
	}
	if (ac.broken)
		return RPC_ERROR;
	if (r != 0) {
		rpc_err(cx, "report: %s: %s\n", what, jit_strerror(r));
		return RPC_ERROR;
	}
	return RPC_OK;
}
