/*
 * cmdline.c: the CA service's command line, as a client sends it in an SSH
 * exec request, split into words without a shell.  Kept apart (and free of
 * libssh) so that it can be fuzzed.
 */
#include <string.h>

#include "cmdline.h"
#include "jit-err.h"
#include "jtext.h"

int
ca_split_args(char *buf, char **argv, int max, int *argcp)
{
	char *r = buf, *w = buf, quote = 0;
	int argc = 0, inword = 0;

	*argcp = 0;
	if (!jtext_valid(buf, strlen(buf), 1))
		return JIT_ERR_BAD_TEXT;
	for (;; r++) {
		char c = *r;

		if (c == '\0' || (!quote && (c == ' ' || c == '\t'))) {
			if (inword) {
				*w++ = '\0';
				inword = 0;
			}
			if (c == '\0')
				break;
			continue;
		}
		if ((unsigned char)c < 0x20)
			return JIT_ERR_INVALID_FORMAT;	/* a tab inside quotes */
		if (!inword) {
			if (argc == max)
				return JIT_ERR_INVALID_FORMAT;
			argv[argc++] = w;
			inword = 1;
		}
		if (quote) {
			if (c == quote)
				quote = 0;
			else if (c == '\\' && quote == '"' && r[1] != '\0')
				*w++ = *++r;
			else
				*w++ = c;
		} else if (c == '\'' || c == '"')
			quote = c;
		else if (c == '\\' && r[1] != '\0')
			*w++ = *++r;
		else
			*w++ = c;
	}
	if (quote)
		return JIT_ERR_INVALID_FORMAT;
	*argcp = argc;
	return 0;
}

