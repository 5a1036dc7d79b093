/*
 * jit-verbs.h: command tables (systemd's verbs.h is the shape).
 *
 * Each program has one table: a command is one entry with its name, its
 * options, its positional words, its flags, the function that runs it and
 * its help text.  Dispatch, --help, the option parser, the jit-ssh
 * client's local check of the CA's commands and the shell completions
 * (bash, zsh, fish) are all made from the tables; nothing else lists a
 * command or an option.
 *
 * Options: --name VALUE, --name=VALUE, -x VALUE (when the option has a
 * letter), flags without a value; anywhere among the positional words
 * (unless JIT_VERB_OPTS_FIRST); "--" ends the options; -h or --help
 * anywhere before it asks for the usage.  A value option given twice is
 * refused, as are unknown options, a missing value, the two exclusive
 * options together, and too few or too many positional words.
 */
#ifndef JIT_VERBS_H
#define JIT_VERBS_H

#include <stddef.h>
#include <stdio.h>

#define JIT_VERB_OPTS_MAX	16	/* options of one command */
#define JIT_VERB_ARGS_MAX	32	/* words of one command line */

/* What an option's value completes to (struct jit_opt.complete). */
#define JIT_COMPLETE_FILE	"@file"
#define JIT_COMPLETE_DIR	"@dir"

struct jit_opt {
	const char *name;	/* long name without "--" (every option has
				   one); NULL ends a list */
	int letter;		/* -x too, or 0 */
	const char *value;	/* its value's name ("ROLE"); NULL: a flag */
	const char *help;	/* one line, for completions */
	const char *complete;	/* the value completes to: NULL nothing,
				   JIT_COMPLETE_FILE/_DIR, or "a b c" */
};

/* Flags of a command (struct jit_verb.flags). */
#define JIT_VERB_STDIN		0x01	/* reads stdin to its end first */
#define JIT_VERB_NO_CODE	0x02	/* runs without a verification code */
#define JIT_VERB_AUDITORS	0x04	/* for auditors only */
#define JIT_VERB_WAITS		0x08	/* may wait: has poll and withdraw */
#define JIT_VERB_CLIENT		0x10	/* a CA command jit-ssh passes on as is */
#define JIT_VERB_OPTS_FIRST	0x20	/* options only before the first word */
#define JIT_VERB_HOSTS		0x40	/* enrolled hosts may run it too */
#define JIT_VERB_HOST_ONLY	0x80	/* for enrolled hosts only */

struct jit_args;

struct jit_verb {
	const char *name;	/* "sign", or two words: "policy check" */
	const char *usage;	/* after the program's name; may be lines */
	const char *summary;	/* one line: what it does */
	const struct jit_opt *opts;	/* ends with a NULL name */
	unsigned min_args, max_args;	/* positional words */
	const char *args_complete;	/* they complete to: as jit_opt's */
	const char *exclusive[2];	/* two options (long names) apart */
	unsigned flags;
	/* Runs the command on the caller's context: an exit status. */
	int (*run)(void *ctx, const struct jit_args *a);
	/* JIT_VERB_WAITS: look again (the run's status, or -1: still waits) */
	int (*poll)(void *ctx);
	/* JIT_VERB_WAITS: the waiter gave up (an exit status) */
	int (*withdraw)(void *ctx);
};

/* A command line parsed by its verb. */
struct jit_args {
	const struct jit_verb *verb;
	const char *val[JIT_VERB_OPTS_MAX];	/* by option: its value, "" for
						   a flag given, NULL if absent */
	char *pos[JIT_VERB_ARGS_MAX];		/* the positional words */
	int npos;
	int argc;				/* the words parsed, as given */
	char **argv;				/* (argv[0]: the command) */
};

/* A program: its name, options before the command, its commands. */
struct jit_prog {
	const char *name;		/* "jit-ssh-ca" */
	const struct jit_opt *opts;	/* before the command; or NULL */
	const struct jit_verb *const *verbs;	/* NULL-terminated */
};

/*
 * The verb argv names (one word, or two for "policy check"): NULL when
 * none; *nwords tells how many words it took.
 */
const struct jit_verb *jit_verb_find(const struct jit_prog *p, int argc,
    char **argv, int *nwords);

/* 1 when name is the first word of a two-word verb ("policy"). */
int jit_verb_is_group(const struct jit_prog *p, const char *name);

/*
 * Parses argv[1..argc-1] (argv[0] is the verb's last word) by v: 0 with
 * a filled in; 1 when -h or --help came (the caller prints the usage); -1
 * with the reason in err (len bytes: "NAME: unknown option '--x' (usage:
 * USAGE)").
 */
int jit_verb_parse(const struct jit_verb *v, int argc, char **argv,
    struct jit_args *a, char *err, size_t len);

/* The value of option name (long name), or NULL; a flag's is "". */
const char *jit_arg(const struct jit_args *a, const char *name);

/* 1 when flag name was given. */
int jit_flag(const struct jit_args *a, const char *name);

/* 1 when a word of argv[1..argc-1] before "--" is -h or --help. */
int jit_args_want_help(int argc, char **argv);

/*
 * Prints p's completion script for shell ("bash", "zsh" or "fish") to f:
 * -1 for another shell.
 */
int jit_verbs_complete(const struct jit_prog *p, const char *shell, FILE *f);

#endif /* JIT_VERBS_H */
