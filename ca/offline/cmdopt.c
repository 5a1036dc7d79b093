/* cmdopt.c: one option parser for the subcommands (see cmdopt.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "calog.h"
#include "cmdopt.h"

#define LONG_BASE	256	/* getopt_long's value for opts[i]: 256 + i */

int
ca_opts(int argc, char **argv, const struct ca_opt *opts, const char *usage,
    int *argip)
{
	struct option lo[CA_OPTS_MAX + 2];
	char shorts[CA_OPTS_MAX * 2 + 2], *sp = shorts;
	int seen[CA_OPTS_MAX] = { 0 };
	size_t n, nl = 0, i;
	int ch;

	for (n = 0; opts[n].name != NULL; n++) {
		if (n == CA_OPTS_MAX)
			return CA_EXIT_USAGE;	/* a table too long: a bug */
		if (opts[n].name[0] != '\0') {
			lo[nl].name = opts[n].name;
			lo[nl].has_arg = opts[n].value != NULL ?
			    required_argument : no_argument;
			lo[nl].flag = NULL;
			lo[nl++].val = LONG_BASE + (int)n;
		}
		if (opts[n].letter != 0) {
			*sp++ = (char)opts[n].letter;
			if (opts[n].value != NULL)
				*sp++ = ':';
		}
	}
	lo[nl] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[nl + 1] = (struct option){ NULL, 0, NULL, 0 };
	*sp++ = 'h';
	*sp = '\0';
	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: %s\n", usage);
			return CA_EXIT_OK;
		}
		if (ch >= LONG_BASE)
			i = (size_t)(ch - LONG_BASE);
		else
			for (i = 0; i < n && opts[i].letter != ch; i++)
				;
		if (i >= n)
			return CA_EXIT_USAGE;	/* getopt said why */
		if (opts[i].value == NULL) {
			*opts[i].flag = 1;
			continue;
		}
		if (seen[i]++) {
			if (opts[i].name[0] != '\0')
				ca_error("--%s given twice", opts[i].name);
			else
				ca_error("-%c given twice", opts[i].letter);
			return CA_EXIT_USAGE;
		}
		*opts[i].value = optarg;
	}
	*argip = optind;
	return CA_OPTS_GO;
}
