/*
 * jit-cmdspec.h: the commands the CA service answers over SSH (login,
 * roles, whoami, status, requests, approve, deny, audit, krl, ca-keys):
 * their options and usage, in one table that the service parses by and
 * the jit-ssh client checks against before it connects (so a typo never
 * costs a verification code).
 */
#ifndef JIT_CMDSPEC_H
#define JIT_CMDSPEC_H

#include <stddef.h>

struct jit_optspec {
	const char *name;	/* "--role" */
	int has_value;
};

struct jit_cmdspec {
	const char *name;
	const char *usage;	/* "login [--role R] ..." (after the name) */
	const char *summary;	/* one line: what it does */
	const struct jit_optspec *opts;	/* ends with a NULL name */
	unsigned min_args, max_args;	/* words that are not options */
	const char *exclusive[2];	/* two flags not to give together */
	int no_code;		/* reveals nothing: runs without a verification
				   code (the client answers the prompt empty) */
	int reads_stdin;	/* the CA waits for the end of stdin first */
};

/* The CA command called name, or NULL. */
const struct jit_cmdspec *jit_cmdspec_find(const char *name);

/* The i-th command (in the order of the table), NULL past the end. */
const struct jit_cmdspec *jit_cmdspec_at(size_t i);

/*
 * Checks argv[1..argc-1] against c: options known, values present,
 * positional words counted, exclusive flags apart.  Returns 0 when good,
 * 1 when -h or --help is among the words (the caller prints the usage),
 * -1 with a message in err (len bytes) otherwise.
 */
int jit_cmdspec_check(const struct jit_cmdspec *c, int argc, char **argv,
    char *err, size_t len);

/* 1 when a word of argv[1..argc-1] before "--" is -h or --help. */
int jit_args_want_help(int argc, char **argv);

/* The value of option name in argv, or NULL (after a good check). */
const char *jit_cmdspec_value(int argc, char **argv, const char *name);

/*
 * The banner a CA sends when it cannot reach its store: the client then
 * tries the next CA of its list.
 */
#define JIT_BANNER_STORE_DOWN	"jit-ssh: the CA cannot reach its store"

/*
 * The banner a CA sends when a right code was used already (in this 30-s
 * step): the client waits for the next code instead of asking at once.
 */
#define JIT_BANNER_CODE_USED	"jit-ssh: that code was already used"

/* 1 when the command line's command needs no verification code. */
int jit_cmd_no_code(const char *name);

#endif /* JIT_CMDSPEC_H */
