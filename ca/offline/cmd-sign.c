/*
 * cmd-sign.c: `jit-ssh-ca sign`, offline issuance through the same policy
 * and store path the server uses, without MFA.  Roles that need MFA or
 * approval are refused unless the operator says --force-offline, which the
 * audit log records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cadir.h"
#include "cakeys.h"
#include "calog.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "commands.h"
#include "issue.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"

int
cmd_sign(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *user = jit_arg(a, "user");
	const char *role = jit_arg(a, "role"), *reason = jit_arg(a, "reason");
	const char *pubpath = a->pos[0];
	struct jpolicy *p = NULL;
	struct jpolicy_decision *d = NULL;
	struct jkey *key = NULL;
	struct ca_signer ca = { NULL, NULL, NULL, NULL };
	struct jstore *st = NULL;
	struct jcert *c = NULL;
	char *line = NULL;
	uint64_t ttl = 0;
	const char *ttl_s = jit_arg(a, "ttl");
	const char *outpath = jit_arg(a, "output");
	int force = jit_flag(a, "force-offline"), rc = CA_EXIT_FAIL, r;

	(void)ctx;
	if (ttl_s != NULL && jpolicy_parse_duration(ttl_s, &ttl) != 0) {
		ca_error("--ttl: '%s' is not a duration (90s, 5m, 1h)", ttl_s);
		return CA_EXIT_USAGE;
	}
	if (user == NULL || role == NULL || a->npos != 1) {
		ca_error("sign needs --user U --role R and one public key file");
		return CA_EXIT_USAGE;
	}
	dir = ca_dir(dir);
	if (ca_output_check(outpath) != 0)
		return CA_EXIT_FAIL;	/* before anything is issued */
	if ((r = ca_load_pubkey(pubpath, &key)) != 0)
		goto out;
	if (ca_refuse_own_key(dir, key, pubpath, 0) != 0)
		goto out;
	if (ca_load_policy(dir, NULL, &p) != 0)
		goto out;
	{
		struct jpolicy_request req = {
			.user = user, .role = role, .ttl = ttl,
			/* No code can be checked offline: only a forced
			 * issuance counts as if MFA were done, and says so. */
			.mfa_done = force, .reason = reason, .address = NULL,
			.key_type = jkey_type(key), .now = jit_now(),
		};

		if ((r = jpolicy_evaluate(p, &req, &d)) != 0) {
			ca_error("evaluating the policy: %s", jit_strerror(r));
			goto out;
		}
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		ca_error("denied: %s%s", jpolicy_decision_reason(d),
		    (jpolicy_decision_denials(d) & JPOLICY_DENY_MFA) ?
		    " (offline: --force-offline, which is audited)" : "");
		goto out;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL && !force) {
		ca_error("role %s needs approval: request it through the CA "
		    "service, or pass --force-offline (audited)", role);
		goto out;
	}
	if ((r = ca_open_store(dir, JSTORE_ONESHOT, &st)) != 0)
		goto out;
	jstore_set_live_cap(st, jpolicy_max_live_certs(p));
	if ((r = ca_signer_open(dir, CA_KEY_USER, CA_GEN_ACTIVE, &ca)) != 0)
		goto out;
	if ((r = ca_issue(ca.key, st, user, role, key, d, force ?
	    "offline:forced" : "offline", reason, NULL, NULL, &c)) != 0) {
		ca_error("issuing: %s (no certificate)", jit_strerror(r));
		goto out;
	}
	if ((r = jcert_format_line(c, jcert_key_id(c), &line)) != 0) {
		ca_error("formatting: %s", jit_strerror(r));
		goto out;
	}
	if (ca_output_cert(outpath, line) != 0)
		goto out;
	rc = CA_EXIT_OK;
 out:
	free(line);
	ca_signer_close(&ca);
	jcert_free(c);
	jstore_close(st);
	jpolicy_decision_free(d);
	jpolicy_free(p);
	jkey_free(key);
	return rc;
}
