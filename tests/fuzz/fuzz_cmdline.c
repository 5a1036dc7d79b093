/*
 * libFuzzer target: the CA service's command-line splitter (ca/cmdline.c),
 * the first thing that reads what a client sends, and the command table's
 * parse of the words (common/verbs.c, ca/remote/verbs.c) that comes next.  Checks, beyond
 * memory safety: the words lie inside the buffer, are NUL-terminated there,
 * are clean text, splitting is idempotent on a re-joined, re-quoted line,
 * and a check that fails says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "jit-remote.h"
#include "jtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define MAX	32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *buf, *argv[MAX], *again, *argv2[MAX], *w;
	int argc = 0, argc2 = 0, i;
	size_t n;

	if (len > 4096)
		return 0;
	if ((buf = malloc(len + 1)) == NULL)
		return 0;
	memcpy(buf, data, len);
	buf[len] = '\0';
	if (ca_split_args(buf, argv, MAX, &argc) != 0) {
		free(buf);
		return 0;
	}
	if (argc < 0 || argc > MAX)
		abort();
	if (argc > 0) {
		int nw;
		const struct jit_verb *c = jit_verb_find(&jit_remote_prog, argc,
		    argv, &nw);
		struct jit_args a;
		char msg[512];
		int r;

		msg[0] = '\0';
		if (c != NULL && (r = jit_verb_parse(c, argc, argv, &a, msg,
		    sizeof(msg))) < 0 && (msg[0] == '\0' ||
		    strlen(msg) >= sizeof(msg)))
			abort();
		if (c != NULL && r == 0 && (a.npos < 0 || a.npos > argc))
			abort();
	}
	/* Re-join with every word single-quoted ('\'' for a quote). */
	if ((again = malloc(len * 4 + MAX * 3 + 1)) == NULL) {
		free(buf);
		return 0;
	}
	w = again;
	for (i = 0; i < argc; i++) {
		if (argv[i] < buf || argv[i] >= buf + len ||
		    strlen(argv[i]) > len || !jtext_valid(argv[i],
		    strlen(argv[i]), 1))
			abort();
		if (i > 0)
			*w++ = ' ';
		*w++ = '\'';
		for (n = 0; argv[i][n] != '\0'; n++) {
			if (argv[i][n] == '\'') {
				memcpy(w, "'\\''", 4);
				w += 4;
			} else
				*w++ = argv[i][n];
		}
		*w++ = '\'';
	}
	*w = '\0';
	/* A tab inside a word cannot be re-quoted: those are refused. */
	if (ca_split_args(again, argv2, MAX, &argc2) == 0) {
		if (argc2 != argc)
			abort();
		for (i = 0; i < argc; i++)
			if (strcmp(argv[i], argv2[i]) != 0)
				abort();
	}
	free(again);
	free(buf);
	return 0;
}
