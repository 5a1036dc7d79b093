/* cmdspec.c: the CA's remote commands and their options.  See jit-cmdspec.h. */
#include <stdio.h>
#include <string.h>

#include "jit-cmdspec.h"

static const struct jit_optspec login_opts[] = {
	{ "--role", 1 }, { "--ttl", 1 }, { "--reason", 1 }, { "--json", 0 },
	{ NULL, 0 },
};
static const struct jit_optspec json_opts[] = { { "--json", 0 }, { NULL, 0 } };
static const struct jit_optspec comment_opts[] = {
	{ "--comment", 1 }, { NULL, 0 },
};
static const struct jit_optspec audit_opts[] = {
	{ "--user", 1 }, { "--role", 1 }, { "--event", 1 }, { "--serial", 1 },
	{ "--request", 1 }, { "--since", 1 }, { "--until", 1 },
	{ "--limit", 1 }, { "--json", 0 }, { "--csv", 0 }, { NULL, 0 },
};
static const struct jit_optspec no_opts[] = { { NULL, 0 } };

static const struct jit_cmdspec specs[] = {
	{ "login", "login [--role R] [--ttl D] [--reason TEXT] [--json] "
	    "< KEY.pub", "a certificate for the public key on stdin",
	    login_opts, 0, 0, { NULL, NULL }, 0, 1 },
	{ "roles", "roles [--json]", "the roles you may request and what "
	    "each takes", json_opts, 0, 0, { NULL, NULL }, 0, 0 },
	{ "whoami", "whoami [--json]", "who the CA thinks you are",
	    json_opts, 0, 0, { NULL, NULL }, 0, 0 },
	{ "status", "status [--json]", "your live certificates and your "
	    "open requests, as the CA has them", json_opts, 0, 0,
	    { NULL, NULL }, 0, 0 },
	{ "requests", "requests [--json]", "requests you may decide, and "
	    "your own", json_opts, 0, 0, { NULL, NULL }, 0, 0 },
	{ "approve", "approve ID [--comment TEXT]", "approve a request",
	    comment_opts, 1, 1, { NULL, NULL }, 0, 0 },
	{ "deny", "deny ID [--comment TEXT]", "deny a request (or withdraw "
	    "your own)", comment_opts, 1, 1, { NULL, NULL }, 0, 0 },
	{ "audit", "audit [--user U] [--role R] [--event E] [--serial N] "
	    "[--request ID] [--since T] [--until T] [--limit N] "
	    "[--json|--csv]", "the audit log (auditors)", audit_opts, 0, 0,
	    { "--json", "--csv" }, 0, 0 },
	{ "krl", "krl", "the current KRL (binary, for sshd's RevokedKeys)",
	    no_opts, 0, 0, { NULL, NULL }, 1, 0 },
	{ "ca-keys", "ca-keys [--json]", "the CA's public keys (user CA, host "
	    "CA)", json_opts, 0, 0, { NULL, NULL }, 1, 0 },
};

const struct jit_cmdspec *
jit_cmdspec_at(size_t i)
{
	return i < sizeof(specs) / sizeof(specs[0]) ? &specs[i] : NULL;
}

const struct jit_cmdspec *
jit_cmdspec_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

int
jit_cmd_no_code(const char *name)
{
	const struct jit_cmdspec *c = jit_cmdspec_find(name);

	return (c != NULL && c->no_code) || (name != NULL &&
	    strcmp(name, "help") == 0);
}

static const struct jit_optspec *
find_opt(const struct jit_cmdspec *c, const char *name)
{
	const struct jit_optspec *o;

	for (o = c->opts; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

int
jit_args_want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
jit_cmdspec_check(const struct jit_cmdspec *c, int argc, char **argv,
    char *err, size_t len)
{
	const struct jit_optspec *o;
	unsigned words = 0;
	int i, seen[2] = { 0, 0 }, k;

	if (jit_args_want_help(argc, argv))
		return 1;
	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			words++;
			continue;
		}
		if ((o = find_opt(c, argv[i])) == NULL) {
			snprintf(err, len, "%s: unknown option '%s' (usage: %s)",
			    c->name, argv[i], c->usage);
			return -1;
		}
		for (k = 0; k < 2; k++)
			if (c->exclusive[k] != NULL &&
			    strcmp(c->exclusive[k], argv[i]) == 0)
				seen[k] = 1;
		if (o->has_value && ++i >= argc) {
			snprintf(err, len, "%s: %s needs a value (usage: %s)",
			    c->name, o->name, c->usage);
			return -1;
		}
	}
	if (seen[0] && seen[1]) {
		snprintf(err, len, "%s: %s and %s do not go together", c->name,
		    c->exclusive[0], c->exclusive[1]);
		return -1;
	}
	if (words < c->min_args || words > c->max_args) {
		snprintf(err, len, "%s: %s (usage: %s)", c->name,
		    words < c->min_args ? "an argument is missing" :
		    "too many arguments", c->usage);
		return -1;
	}
	return 0;
}

const char *
jit_cmdspec_value(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}
