/*
 * cmdopt.h: the options of a jit-ssh-ca subcommand, as one table: a long
 * name, an optional short letter, and where it goes (a string, or a flag).
 * One parser for every subcommand (getopt_long underneath); --help prints
 * the usage line.  Values are checked by the command after parsing.
 */
#ifndef JIT_CA_CMDOPT_H
#define JIT_CA_CMDOPT_H

#define CA_OPTS_GO	(-1)	/* parsed: go on */
#define CA_OPTS_MAX	16

struct ca_opt {
	const char *name;	/* long name, without "--" ("": none) */
	int letter;		/* a short option too, or 0 */
	const char **value;	/* takes a value, stored here; or */
	int *flag;		/* takes none: set to 1 */
};

/*
 * Parses argv by opts (ended by a zeroed entry): CA_OPTS_GO with *argip
 * the index of the first argument that is not an option; or the exit
 * status to return: CA_EXIT_OK after --help, CA_EXIT_USAGE for an
 * unknown option, a missing value or an option given twice (said why).
 */
int ca_opts(int argc, char **argv, const struct ca_opt *opts,
    const char *usage, int *argip);

#endif /* JIT_CA_CMDOPT_H */
