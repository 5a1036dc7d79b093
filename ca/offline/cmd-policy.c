/*
 * cmd-policy.c: `jit-ssh-ca policy check` and `jit-ssh-ca policy explain`.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cadir.h"
#include "jbuf.h"
#include "calog.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jpolicy.h"

/* The notifier runs on the CA host: warn when it cannot run there. */
static void
warn_notify(const struct jpolicy *p)
{
	char *const *argv = jpolicy_notify_argv(p);
	struct stat st;

	if (argv == NULL || argv[0] == NULL)
		return;
	if (stat(argv[0], &st) == -1)
		fprintf(stderr, "warning: notify.command %s: not found (no event "
		    "will be told)\n", argv[0]);
	else if (!S_ISREG(st.st_mode) || access(argv[0], X_OK) != 0)
		fprintf(stderr, "warning: notify.command %s: not executable "
		    "(chmod +x it)\n", argv[0]);
}

int
cmd_policy_check(void *ctx, const struct jit_args *a)
{
	struct jpolicy *p = NULL;
	const char *dir = jit_arg(a, "dir"), *file = a->pos[0];
	struct stat st;

	(void)ctx;
	if (file != NULL && dir != NULL) {
		ca_error("policy check takes --dir DIR or one FILE");
		return CA_EXIT_USAGE;
	}
	if (file != NULL && stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		ca_error("%s is a directory: give the policy file, or the CA "
		    "directory with --dir %s", file, file);
		return CA_EXIT_USAGE;
	}
	if (ca_load_policy(ca_dir(dir), file, &p) != 0)
		return CA_EXIT_FAIL;
	warn_notify(p);
	printf("%s: ok (%zu roles)\n", file != NULL ? file : CA_POLICY,
	    jpolicy_nroles(p));
	jpolicy_free(p);
	return CA_EXIT_OK;
}

static void
explain_role(const struct jpolicy *p, const char *user, const char *role,
    const char *from, uint64_t now)
{
	struct jpolicy_request req = {
		.user = user, .role = role, .ttl = 0, .mfa_done = 1,
		.reason = "explain", .address = from,
		.key_type = JKEY_ED25519, .now = now,
	};
	struct jpolicy_decision *d = NULL;
	struct jpolicy_role_info info;
	char ttl[32], max[32];
	size_t i;
	int r;

	if ((r = jpolicy_evaluate(p, &req, &d)) != 0) {
		printf("%s: error: %s\n", role, jit_strerror(r));
		return;
	}
	if (jpolicy_decision_verdict(d) == JPOLICY_DENY) {
		if (jpolicy_decision_nreasons(d) == 1)
			printf("%s: no: %s\n", role, jpolicy_decision_reason(d));
		else {
			printf("%s: no, for %zu reasons:\n", role,
			    jpolicy_decision_nreasons(d));
			for (i = 0; i < jpolicy_decision_nreasons(d); i++)
				printf("    - %s\n",
				    jpolicy_decision_reason_at(d, i));
		}
		jpolicy_decision_free(d);
		return;
	}
	(void)jpolicy_role_info(p, role, &info);
	jpolicy_format_duration(info.ttl, ttl, sizeof(ttl));
	jpolicy_format_duration(info.max_ttl, max, sizeof(max));
	if (jpolicy_decision_verdict(d) == JPOLICY_NEEDS_APPROVAL) {
		printf("%s: yes, once approved by %u of", role,
		    jpolicy_decision_quorum(d));
		for (i = 0; i < jpolicy_decision_napprover_groups(d); i++)
			printf("%s %s", i ? "," : "",
			    jpolicy_decision_approver_group(d, i));
		printf(" (not %s)\n", user);
		if (info.auto_approval)
			printf("    approval.auto does not approve it now: %s\n",
			    jpolicy_decision_auto_refusal(d) != NULL ?
			    jpolicy_decision_auto_refusal(d) : "?");
	} else if (jpolicy_decision_auto_approved(d))
		printf("%s: yes, approved by the policy itself (approval.auto "
		    "holds now; audited as policy:auto)\n", role);
	else if (jpolicy_decision_break_glass(d))
		printf("%s: yes, as break-glass (audited, approvers notified)\n",
		    role);
	else
		printf("%s: yes\n", role);
	printf("    principals:");
	for (i = 0; i < jpolicy_decision_nprincipals(d); i++)
		printf(" %s", jpolicy_decision_principal(d, i));
	printf("\n    ttl: %s by default, at most %s\n", ttl, max);
	printf("    needs: %s%s%s\n",
	    info.mfa_required ? "a verification code (MFA)" : "no MFA",
	    info.reason_required ? ", a reason (--reason)" : "",
	    info.nwindows > 0 ? ", a request inside its time windows" : "");
	if (jpolicy_decision_source_address(d) != NULL)
		printf("    certificate valid only from: %s\n",
		    jpolicy_decision_source_address(d));
	if (jpolicy_decision_force_command(d) != NULL)
		printf("    forced command: %s\n",
		    jpolicy_decision_force_command(d));
	if (jpolicy_decision_nextensions(d) > 0) {
		printf("    extensions:");
		for (i = 0; i < jpolicy_decision_nextensions(d); i++)
			printf(" %s", jpolicy_decision_extension(d, i));
		printf("\n");
	}
	jpolicy_decision_free(d);
}

/*
 * --claims: what sso: makes of a token's claims, and the policy that user
 * is then judged by (p's reference is taken over; NULL: said why).
 */
static struct jpolicy *
with_claims(struct jpolicy *p, const char *user, const char *path)
{
	struct jpolicy_sso_id id;
	struct jpolicy *view = NULL;
	struct jbuf *b = NULL;
	json_t *claims = NULL;
	char err[512];
	int r;

	if ((r = jit_file_read(path, 65536, 0, &b)) != 0 ||
	    (claims = json_loadb((const char *)jbuf_ptr(b), jbuf_len(b),
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(claims)) {
		ca_error("%s: %s", path, r != 0 ? jit_strerror(r) :
		    "not a JSON object of claims");
		goto out;
	}
	if (jpolicy_sso_map(p, claims, &id, err, sizeof(err)) != 0) {
		printf("the token is refused: %s\n", err);
		jpolicy_sso_id_clear(&id);
		goto out;
	}
	printf("the token maps to user %s, groups %s; MFA %s\n", id.user,
	    id.sources[0] ? id.sources : "none", id.mfa ? "done (amr)" :
	    "not done (no sso.mfa_amr value in amr)");
	if (strcmp(id.user, user) != 0)
		printf("(it names %s, not %s: a sign-in as %s would be "
		    "refused)\n", id.user, user, user);
	else
		view = jpolicy_with_sso_user(p, &id);
	jpolicy_sso_id_clear(&id);
 out:
	json_decref(claims);
	jbuf_free(b);
	jpolicy_free(p);
	return view;
}

int
cmd_policy_explain(void *ctx, const struct jit_args *a)
{
	struct jpolicy *p = NULL;
	const char *dir = jit_arg(a, "dir"), *user = jit_arg(a, "user");
	const char *role = jit_arg(a, "role"), *from = jit_arg(a, "from");
	uint64_t now = jit_now();
	size_t i, ng;
	(void)ctx;
	if (from == NULL)
		from = "127.0.0.1";
	if (user == NULL) {
		ca_error("policy explain needs --user U (and no other arguments)");
		return CA_EXIT_USAGE;
	}
	{
		unsigned char in[16];

		if (inet_pton(AF_INET, from, in) != 1 &&
		    inet_pton(AF_INET6, from, in) != 1) {
			ca_error("policy explain: --from '%s' is not an IPv4 or "
			    "IPv6 address", from);
			return CA_EXIT_USAGE;
		}
	}
	if (ca_load_policy(ca_dir(dir), NULL, &p) != 0)
		return CA_EXIT_FAIL;
	if (jit_arg(a, "claims") != NULL && (p = with_claims(p, user,
	    jit_arg(a, "claims"))) == NULL)
		return CA_EXIT_FAIL;
	if (!jpolicy_user_exists(p, user)) {
		printf("%s is not a user in the policy: no role can be issued\n",
		    user);
		jpolicy_free(p);
		return CA_EXIT_FAIL;
	}
	if (role != NULL && !jpolicy_role_exists(p, role)) {
		ca_error("there is no role '%s'", role);
		jpolicy_free(p);
		return CA_EXIT_FAIL;
	}
	ng = jpolicy_user_ngroups(p, user);
	printf("%s (groups:", user);
	for (i = 0; i < ng; i++)
		printf(" %s", jpolicy_user_group(p, user, i));
	printf("%s), for a request now from %s with MFA done and a reason:\n",
	    ng == 0 ? " none" : "", from);
	if (role != NULL)
		explain_role(p, user, role, from, now);
	else
		for (i = 0; i < jpolicy_nroles(p); i++)
			explain_role(p, user, jpolicy_role_name(p, i), from, now);
	jpolicy_free(p);
	return CA_EXIT_OK;
}
