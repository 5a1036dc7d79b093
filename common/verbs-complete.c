/*
 * verbs-complete.c: shell completions made from a program's command
 * table (bash, zsh, fish).  See jit-verbs.h.
 *
 * Each script finds the command the way the programs do: the first word
 * that is not an option (skipping the values of the program's own options
 * before it), and a second word when the two name a command ("policy
 * check"); then it offers that command's options, the values an option
 * takes, or its positional words.
 */
#include <stdio.h>
#include <string.h>

#include "jit-verbs.h"

/* The shell function's name: "_jit_ssh_ca" for "jit-ssh-ca". */
static void
fn_name(const struct jit_prog *p, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "_%s", p->name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '-')
			buf[i] = '_';
}

/* s single-quoted for bash and zsh ("'" as '\''), or fish ("\'"). */
static void
quote(FILE *f, const char *s, int fish)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs(fish ? "\\'" : "'\\''", f);
		else if (*s == '\\' && fish)
			fputs("\\\\", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* The option as typed: "--name". */
static void
put_opt(FILE *f, const struct jit_opt *o)
{
	fprintf(f, "--%s", o->name);
}

/* "--a --b -o" for opts, blank-separated. */
static void
put_opt_list(FILE *f, const struct jit_opt *opts)
{
	const struct jit_opt *o;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		put_opt(f, o);
		fputc(' ', f);
		if (o->letter != 0)
			fprintf(f, "-%c ", o->letter);
	}
}

/* The words after name's first word ("check explain" for "policy"). */
static void
put_subwords(FILE *f, const struct jit_prog *p, const char *first,
    size_t n)
{
	const struct jit_verb *const *v;

	for (v = p->verbs; *v != NULL; v++)
		if (strncmp((*v)->name, first, n) == 0 &&
		    (*v)->name[n] == ' ')
			fprintf(f, "%s ", (*v)->name + n + 1);
}

/* 1 when an earlier verb has the same first word as v. */
static int
first_seen(const struct jit_prog *p, const struct jit_verb *const *v)
{
	const struct jit_verb *const *u;
	size_t n = strcspn((*v)->name, " ");

	for (u = p->verbs; u != v; u++)
		if (strcspn((*u)->name, " ") == n &&
		    strncmp((*u)->name, (*v)->name, n) == 0)
			return 1;
	return 0;
}

/* 1 when a one-word verb is called like the first n bytes of name. */
static int
has_single(const struct jit_prog *p, const char *name, size_t n)
{
	const struct jit_verb *const *v;

	for (v = p->verbs; *v != NULL; v++)
		if (strlen((*v)->name) == n && strncmp((*v)->name, name, n) == 0)
			return 1;
	return 0;
}

/* "a|b|c": the two-word names, for a case pattern (quoted). */
static int
put_pairs(FILE *f, const struct jit_prog *p)
{
	const struct jit_verb *const *v;
	int n = 0;

	for (v = p->verbs; *v != NULL; v++)
		if (strchr((*v)->name, ' ') != NULL)
			fprintf(f, "%s\"%s\"", n++ ? "|" : "", (*v)->name);
	return n;
}

/* The global options that take a value, as a case pattern. */
static int
put_global_vals(FILE *f, const struct jit_prog *p, const char *sep)
{
	const struct jit_opt *o;
	int n = 0;

	for (o = p->opts; o != NULL && o->name != NULL; o++)
		if (o->value != NULL) {
			fputs(n++ ? sep : "", f);
			put_opt(f, o);
		}
	return n;
}

/* The loop that finds the command (bash and zsh share its shape). */
static void
sh_find_cmd(FILE *f, const struct jit_prog *p, const char *arr, int first)
{
	fprintf(f, "\tfor ((i = %d; i < %s; i++)); do\n\t\tw=${%s[i]}\n"
	    "\t\tcase $w in\n", first, first == 1 ? "COMP_CWORD" : "CURRENT",
	    arr);
	fputs("\t\t", f);
	if (put_global_vals(f, p, "|") > 0)
		fputs(") [ -z \"$cmd\" ] && ((i++)); continue ;;\n\t\t", f);
	fputs("-*) continue ;;\n\t\tesac\n\t\tif [ -z \"$cmd\" ]; then\n"
	    "\t\t\tcmd=$w\n\t\telse\n\t\t\tcase \"$cmd $w\" in\n\t\t\t", f);
	if (put_pairs(f, p) == 0)
		fputs("\"\"", f);
	fputs(") cmd=\"$cmd $w\" ;;\n\t\t\tesac\n\t\tfi\n\tdone\n", f);
}

/* The case pattern of option o of cmd: "cmd:--name"|"cmd:-x". */
static void
put_pattern(FILE *f, const char *cmd, const struct jit_opt *o)
{
	fprintf(f, "\t\"%s:", cmd);
	put_opt(f, o);
	fputs("\"", f);
	if (o->letter != 0)
		fprintf(f, "|\"%s:-%c\"", cmd, o->letter);
	fputs(") ", f);
}

/* How bash and zsh complete an option's value, by what it takes. */
struct sh_values {
	const char *none, *file, *dir;
	const char *words[2];	/* before and after the words it takes */
};
static const struct sh_values bash_vals = {
	"return ;;\n",
	"COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n",
	"COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n",
	{ "COMPREPLY=($(compgen -W \"", "\" -- \"$cur\")); return ;;\n" },
};
static const struct sh_values zsh_vals = {
	"return 1 ;;\n",
	"_files; return ;;\n",
	"_files -/; return ;;\n",
	{ "compadd -- ", "; return ;;\n" },
};

/* The value of option o of cmd (after its name on the command line). */
static void
sh_value(FILE *f, const struct sh_values *sv, const char *cmd,
    const struct jit_opt *o)
{
	put_pattern(f, cmd, o);
	if (o->complete == NULL)
		fputs(sv->none, f);
	else if (strcmp(o->complete, JIT_COMPLETE_FILE) == 0)
		fputs(sv->file, f);
	else if (strcmp(o->complete, JIT_COMPLETE_DIR) == 0)
		fputs(sv->dir, f);
	else
		fprintf(f, "%s%s%s", sv->words[0], o->complete, sv->words[1]);
}

/* The case on "$cmd:$prev": every option that takes a value. */
static void
sh_values(FILE *f, const struct sh_values *sv, const struct jit_prog *p)
{
	const struct jit_verb *const *v;
	const struct jit_opt *o;

	fputs("\tcase \"$cmd:$prev\" in\n", f);
	for (o = p->opts; o != NULL && o->name != NULL; o++)
		if (o->value != NULL)
			sh_value(f, sv, "", o);
	for (v = p->verbs; *v != NULL; v++)
		for (o = (*v)->opts; o != NULL && o->name != NULL; o++)
			if (o->value != NULL)
				sh_value(f, sv, (*v)->name, o);
	fputs("\tesac\n", f);
}

/* bash and zsh: the case that sets opts, words and args per command. */
static void
sh_per_cmd(FILE *f, const struct jit_prog *p)
{
	const struct jit_verb *const *v;
	size_t n;

	fputs("\tcase $cmd in\n\t\"\") opts=\"", f);
	put_opt_list(f, p->opts);
	fputs("--help --version\"; words=\"", f);
	for (v = p->verbs; *v != NULL; v++)
		if (!first_seen(p, v))
			fprintf(f, "%.*s ", (int)strcspn((*v)->name, " "),
			    (*v)->name);
	fputs("\" ;;\n", f);
	for (v = p->verbs; *v != NULL; v++) {
		n = strcspn((*v)->name, " ");
		/* A first word that is no command itself: its second words. */
		if ((*v)->name[n] == ' ' && !first_seen(p, v) &&
		    !has_single(p, (*v)->name, n)) {
			fprintf(f, "\t\"%.*s\") words=\"", (int)n, (*v)->name);
			put_subwords(f, p, (*v)->name, n);
			fputs("\" ;;\n", f);
		}
		fprintf(f, "\t\"%s\") opts=\"", (*v)->name);
		put_opt_list(f, (*v)->opts);
		fprintf(f, "\"; args=\"%s\"", (*v)->args_complete != NULL &&
		    (*v)->max_args > 0 ? (*v)->args_complete : "");
		if ((*v)->name[n] == '\0' && jit_verb_is_group(p, (*v)->name)) {
			fputs("; words=\"", f);
			put_subwords(f, p, (*v)->name, n);
			fputs("\"", f);
		}
		fputs(" ;;\n", f);
	}
	fputs("\tesac\n", f);
}

static void
bash_script(const struct jit_prog *p, const char *fn, FILE *f)
{
	fprintf(f, "# bash completion for %s, made from its command table "
	    "(%s completion bash)\n\n%s()\n{\n", p->name, p->name, fn);
	fputs("\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	    "prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	    "\tlocal i w cmd= opts= words= args=\n", f);
	sh_find_cmd(f, p, "COMP_WORDS", 1);
	sh_values(f, &bash_vals, p);
	sh_per_cmd(f, p);
	fputs("\tif [[ $cur == -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$opts --help\" -- \"$cur\"))\n"
	    "\telif [ -n \"$words\" ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	    "\telif [ \"$args\" = @file ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	    "\telif [ \"$args\" = @dir ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n"
	    "\tfi\n}\n", f);
	fprintf(f, "complete -F %s %s\n", fn, p->name);
}

/* zsh: "name:description" entries of an array (for _describe). */
static void
zsh_describe(FILE *f, const char *name, const char *help)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s:%s", name, help != NULL ? help : "");
	fputc(' ', f);
	quote(f, buf, 0);
}

static void
zsh_opts(FILE *f, const struct jit_opt *opts)
{
	const struct jit_opt *o;
	char n[80];

	for (o = opts; o != NULL && o->name != NULL; o++) {
		snprintf(n, sizeof(n), "--%s", o->name);
		zsh_describe(f, n, o->help);
	}
}

/* zsh: what each command offers, with descriptions. */
static void
zsh_per_cmd(FILE *f, const struct jit_prog *p)
{
	const struct jit_verb *const *v, *const *u;
	size_t n;

	fputs("\tcase $cmd in\n\t\"\") odesc=(", f);
	zsh_opts(f, p->opts);
	zsh_describe(f, "--help", "show the usage");
	zsh_describe(f, "--version", "show the version");
	fputs(" ); wdesc=(", f);
	for (v = p->verbs; *v != NULL; v++) {
		char w[64];

		if (first_seen(p, v))
			continue;
		n = strcspn((*v)->name, " ");
		snprintf(w, sizeof(w), "%.*s", (int)n, (*v)->name);
		zsh_describe(f, w, (*v)->name[n] == '\0' ? (*v)->summary :
		    "(see its second words)");
	}
	fputs(" ) ;;\n", f);
	for (v = p->verbs; *v != NULL; v++) {
		n = strcspn((*v)->name, " ");
		if (!first_seen(p, v) && (*v)->name[n] == ' ' &&
		    !has_single(p, (*v)->name, n)) {
			fprintf(f, "\t\"%.*s\") wdesc=(", (int)n, (*v)->name);
			for (u = v; *u != NULL; u++)
				if (strncmp((*u)->name, (*v)->name, n + 1) == 0)
					zsh_describe(f, (*u)->name + n + 1,
					    (*u)->summary);
			fputs(" ) ;;\n", f);
		}
		fprintf(f, "\t\"%s\") args=\"%s\"; odesc=(", (*v)->name,
		    (*v)->args_complete != NULL && (*v)->max_args > 0 ?
		    (*v)->args_complete : "");
		zsh_opts(f, (*v)->opts);
		zsh_describe(f, "--help", "show the usage");
		fputs(" )", f);
		if ((*v)->name[n] == '\0' && jit_verb_is_group(p, (*v)->name)) {
			fputs("; wdesc=(", f);
			for (u = p->verbs; *u != NULL; u++)
				if (strncmp((*u)->name, (*v)->name, n) == 0 &&
				    (*u)->name[n] == ' ')
					zsh_describe(f, (*u)->name + n + 1,
					    (*u)->summary);
			fputs(" )", f);
		}
		fputs(" ;;\n", f);
	}
	fputs("\tesac\n", f);
}

static void
zsh_script(const struct jit_prog *p, const char *fn, FILE *f)
{
	fprintf(f, "#compdef %s\n# zsh completion for %s, made from its "
	    "command table (%s completion zsh)\n\n%s()\n{\n", p->name,
	    p->name, p->name, fn);
	fputs("\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
	    "\tlocal i w cmd= args=\n\tlocal -a odesc wdesc\n", f);
	sh_find_cmd(f, p, "words", 2);
	sh_values(f, &zsh_vals, p);
	zsh_per_cmd(f, p);
	fputs("\tif [[ $cur == -* ]]; then\n"
	    "\t\t_describe -t options option odesc\n"
	    "\telif (( ${#wdesc} )); then\n"
	    "\t\t_describe -t commands command wdesc\n"
	    "\telif [[ $args == @file ]]; then\n\t\t_files\n"
	    "\telif [[ $args == @dir ]]; then\n\t\t_files -/\n"
	    "\tfi\n}\n\n", f);
	fprintf(f, "%s \"$@\"\n", fn);
}

/* fish: one `complete` line for an option of the command cond names. */
static void
fish_opt(FILE *f, const char *prog, const char *fn, const char *cmd,
    const struct jit_opt *o)
{
	fprintf(f, "complete -c %s -n '%s_is \"%s\"'", prog, fn, cmd);
	fprintf(f, " -l %s", o->name);
	if (o->letter != 0)
		fprintf(f, " -s %c", o->letter);
	if (o->value != NULL) {
		if (o->complete == NULL)
			fputs(" -x", f);
		else if (strcmp(o->complete, JIT_COMPLETE_FILE) == 0)
			fputs(" -r -F", f);
		else if (strcmp(o->complete, JIT_COMPLETE_DIR) == 0)
			fputs(" -x -a '(__fish_complete_directories)'", f);
		else {
			fputs(" -x -a ", f);
			quote(f, o->complete, 1);
		}
	}
	if (o->help != NULL) {
		fputs(" -d ", f);
		quote(f, o->help, 1);
	}
	fputc('\n', f);
}

static void
fish_find_cmd(FILE *f, const struct jit_prog *p, const char *fn)
{
	const struct jit_verb *const *v;

	fprintf(f, "function %s_cmd\n\tset -l w (commandline -opc)\n"
	    "\tset -l cmd\n\tset -l i 2\n\twhile test $i -le (count $w)\n"
	    "\t\tswitch $w[$i]\n", fn);
	fputs("\t\tcase ", f);
	if (put_global_vals(f, p, " ") > 0)
		fputs("\n\t\t\ttest -z \"$cmd\"; and set i (math $i + 1)\n"
		    "\t\tcase ", f);
	fputs("'-*'\n\t\tcase '*'\n\t\t\tif test -z \"$cmd\"\n"
	    "\t\t\t\tset cmd $w[$i]\n\t\t\telse if contains -- \"$cmd "
	    "$w[$i]\"", f);
	for (v = p->verbs; *v != NULL; v++)
		if (strchr((*v)->name, ' ') != NULL)
			fprintf(f, " '%s'", (*v)->name);
	fputs(" ''\n\t\t\t\tset cmd \"$cmd $w[$i]\"\n\t\t\tend\n"
	    "\t\tend\n\t\tset i (math $i + 1)\n\tend\n\techo $cmd\nend\n",
	    f);
	fprintf(f, "function %s_is\n\tset -l c (%s_cmd)\n"
	    "\ttest \"$c\" = \"$argv[1]\"\nend\n", fn, fn);
}

static void
fish_script(const struct jit_prog *p, const char *fn, FILE *f)
{
	const struct jit_verb *const *v, *const *u;
	const struct jit_opt *o, help = { "help", 'h', NULL, "show the usage",
	    NULL }, version = { "version", 0, NULL, "show the version", NULL };
	size_t n;

	fprintf(f, "# fish completion for %s, made from its command table "
	    "(%s completion fish)\n\n", p->name, p->name);
	fish_find_cmd(f, p, fn);
	fprintf(f, "complete -c %s -f\n", p->name);
	for (o = p->opts; o != NULL && o->name != NULL; o++)
		fish_opt(f, p->name, fn, "", o);
	fish_opt(f, p->name, fn, "", &help);
	fish_opt(f, p->name, fn, "", &version);
	for (v = p->verbs; *v != NULL; v++) {
		n = strcspn((*v)->name, " ");
		if (!first_seen(p, v)) {
			fprintf(f, "complete -c %s -n '%s_is \"\"' -a '%.*s' -d ",
			    p->name, fn, (int)n, (*v)->name);
			quote(f, (*v)->name[n] == '\0' ? (*v)->summary :
			    "(see its second words)", 1);
			fputc('\n', f);
			for (u = v; *u != NULL; u++)
				if (strncmp((*u)->name, (*v)->name, n) == 0 &&
				    (*u)->name[n] == ' ') {
					fprintf(f, "complete -c %s -n '%s_is "
					    "\"%.*s\"' -a '%s' -d ", p->name, fn,
					    (int)n, (*v)->name, (*u)->name + n + 1);
					quote(f, (*u)->summary, 1);
					fputc('\n', f);
				}
		}
		for (o = (*v)->opts; o != NULL && o->name != NULL; o++)
			fish_opt(f, p->name, fn, (*v)->name, o);
		fish_opt(f, p->name, fn, (*v)->name, &help);
		if ((*v)->max_args > 0 && (*v)->args_complete != NULL &&
		    strcmp((*v)->args_complete, JIT_COMPLETE_FILE) == 0)
			fprintf(f, "complete -c %s -n '%s_is \"%s\"' -F\n",
			    p->name, fn, (*v)->name);
	}
}

int
jit_verbs_complete(const struct jit_prog *p, const char *shell, FILE *f)
{
	char fn[64];

	fn_name(p, fn, sizeof(fn));
	if (strcmp(shell, "bash") == 0)
		bash_script(p, fn, f);
	else if (strcmp(shell, "zsh") == 0)
		zsh_script(p, fn, f);
	else if (strcmp(shell, "fish") == 0)
		fish_script(p, fn, f);
	else
		return -1;
	return 0;
}
