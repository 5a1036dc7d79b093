/* verbs.c: command tables: finding a command, parsing its options. */
#include <stdio.h>
#include <string.h>

#include "jit-verbs.h"

/* Length of the first word of name (to a blank or the end). */
static size_t
first_word(const char *name)
{
	return strcspn(name, " ");
}

const struct jit_verb *
jit_verb_find(const struct jit_prog *p, int argc, char **argv, int *nwords)
{
	const struct jit_verb *const *v, *one = NULL;
	size_t n;

	*nwords = 0;
	if (argc < 1)
		return NULL;
	for (v = p->verbs; *v != NULL; v++) {
		n = first_word((*v)->name);
		if (strncmp((*v)->name, argv[0], n) != 0 || argv[0][n] != '\0')
			continue;
		if ((*v)->name[n] == '\0')
			one = *v;
		else if (argc > 1 && strcmp((*v)->name + n + 1, argv[1]) == 0) {
			*nwords = 2;
			return *v;
		}
	}
	if (one != NULL)
		*nwords = 1;
	return one;
}

int
jit_verb_is_group(const struct jit_prog *p, const char *name)
{
	const struct jit_verb *const *v;
	size_t n;

	for (v = p->verbs; *v != NULL; v++) {
		n = first_word((*v)->name);
		if ((*v)->name[n] != '\0' && strlen(name) == n &&
		    strncmp((*v)->name, name, n) == 0)
			return 1;
	}
	return 0;
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

/* The index of the option word names (--name, --name=V, -x, -xV), or -1. */
static int
find_opt(const struct jit_verb *v, const char *word, const char **inline_val)
{
	const struct jit_opt *o;
	size_t n;

	*inline_val = NULL;
	for (o = v->opts; o != NULL && o->name != NULL; o++) {
		if (word[1] == '-') {
			n = strlen(o->name);
			if (strncmp(word + 2, o->name, n) != 0 ||
			    (word[2 + n] != '\0' && word[2 + n] != '='))
				continue;
			if (word[2 + n] == '=')
				*inline_val = word + 3 + n;
		} else {
			if (o->letter == 0 || word[1] != o->letter)
				continue;
			if (word[2] != '\0')
				*inline_val = word + 2;
		}
		return (int)(o - v->opts);
	}
	return -1;
}

static int
fail(char *err, size_t len, const struct jit_verb *v, const char *what,
    const char *word)
{
	snprintf(err, len, "%s: %s '%s' (usage: %s)", v->name, what, word,
	    v->usage);
	return -1;
}

/* Takes the option word argv[*ip] (and its value): 0, or -1 said why. */
static int
take_opt(const struct jit_verb *v, int argc, char **argv, int *ip,
    struct jit_args *a, char *err, size_t len)
{
	const char *word = argv[*ip], *val;
	const struct jit_opt *o;
	int k;

	if ((k = find_opt(v, word, &val)) < 0 || k >= JIT_VERB_OPTS_MAX)
		return fail(err, len, v, "unknown option", word);
	o = &v->opts[k];
	if (o->value == NULL) {
		if (val != NULL)
			return fail(err, len, v, "takes no value:", word);
		a->val[k] = "";
		return 0;
	}
	if (val == NULL) {
		if (*ip + 1 >= argc) {
			snprintf(err, len, "%s: --%s needs a value (usage: %s)",
			    v->name, o->name, v->usage);
			return -1;
		}
		val = argv[++*ip];
	}
	if (a->val[k] != NULL) {
		snprintf(err, len, "--%s given twice", o->name);
		return -1;
	}
	a->val[k] = val;
	return 0;
}

int
jit_verb_parse(const struct jit_verb *v, int argc, char **argv,
    struct jit_args *a, char *err, size_t len)
{
	int i, opts_done = 0;

	memset(a, 0, sizeof(*a));
	a->verb = v;
	a->argc = argc;
	a->argv = argv;
	/* Help wins wherever it stands (before the words, for OPTS_FIRST). */
	if (!(v->flags & JIT_VERB_OPTS_FIRST) && jit_args_want_help(argc, argv))
		return 1;
	for (i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0) {
			opts_done = 1;
			continue;
		}
		if (!opts_done && (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0))
			return 1;
		if (opts_done || argv[i][0] != '-' || argv[i][1] == '\0') {
			if (a->npos == JIT_VERB_ARGS_MAX)
				return fail(err, len, v, "too many words at",
				    argv[i]);
			a->pos[a->npos++] = argv[i];
			if (v->flags & JIT_VERB_OPTS_FIRST)
				opts_done = 1;
			continue;
		}
		if (take_opt(v, argc, argv, &i, a, err, len) != 0)
			return -1;
	}
	if (v->exclusive[0] != NULL && jit_arg(a, v->exclusive[0]) != NULL &&
	    jit_arg(a, v->exclusive[1]) != NULL) {
		snprintf(err, len, "%s: --%s and --%s do not go together",
		    v->name, v->exclusive[0], v->exclusive[1]);
		return -1;
	}
	if ((unsigned)a->npos > v->max_args)
		return fail(err, len, v, "unexpected", a->pos[v->max_args]);
	if ((unsigned)a->npos < v->min_args) {
		snprintf(err, len, "%s: an argument is missing (usage: %s)",
		    v->name, v->usage);
		return -1;
	}
	return 0;
}

const char *
jit_arg(const struct jit_args *a, const char *name)
{
	const struct jit_opt *o;

	for (o = a->verb->opts; o != NULL && o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return a->val[o - a->verb->opts];
	return NULL;
}

int
jit_flag(const struct jit_args *a, const char *name)
{
	return jit_arg(a, name) != NULL;
}
