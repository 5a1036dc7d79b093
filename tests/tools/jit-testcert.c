/*
 * jit-testcert: a test-only front end to the certificate core, so the
 * integration tests can issue exactly the certificates they need (expired,
 * not yet valid, wrong principal, other CA) and print what we parsed in the
 * layout of `ssh-keygen -L` for a line-by-line comparison.
 *
 *   jit-testcert sign --ca CAKEY --key KEY.pub [--serial N] [--id ID]
 *       [--principals a,b] [--after T] [--before T] [--critical NAME=VALUE]...
 *       [--ext NAME]... [--host]      T: epoch seconds, or +N / -N from now
 *   jit-testcert show CERT.pub
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"

static void
fail(const char *what, int r)
{
	fprintf(stderr, "jit-testcert: %s: %s\n", what, jit_strerror(r));
	exit(1);
}

static uint64_t
parse_time(const char *s)
{
	long long v = strtoll(s, NULL, 10);

	if (*s == '+' || *s == '-')
		return (uint64_t)((long long)time(NULL) + v);
	return (uint64_t)v;
}

static int
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "serial", required_argument, NULL, 's' },
		{ "id", required_argument, NULL, 'i' },
		{ "principals", required_argument, NULL, 'n' },
		{ "after", required_argument, NULL, 'a' },
		{ "before", required_argument, NULL, 'b' },
		{ "critical", required_argument, NULL, 'O' },
		{ "ext", required_argument, NULL, 'e' },
		{ "host", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct jkey *ca = NULL, *key = NULL;
	struct jcert *c = jcert_new();
	char *line, *tok, *save, *eq, *dup;
	uint64_t after = parse_time("-60"), before = parse_time("+300");
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if ((r = jkey_load_private(optarg, &ca, NULL)) != 0)
				fail(optarg, r);
			break;
		case 'k':
			if ((r = jkey_load_public(optarg, &key, NULL)) != 0)
				fail(optarg, r);
			if ((r = jcert_set_key(c, key)) != 0)
				fail("key", r);
			break;
		case 's':
			if ((r = jcert_set_serial(c,
			    strtoull(optarg, NULL, 10))) != 0)
				fail("serial", r);
			break;
		case 'i':
			if ((r = jcert_set_key_id(c, optarg)) != 0)
				fail("id", r);
			break;
		case 'n':
			dup = strdup(optarg);
			for (tok = strtok_r(dup, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				if ((r = jcert_add_principal(c, tok)) != 0)
					fail(tok, r);
			free(dup);
			break;
		case 'a':
			after = parse_time(optarg);
			break;
		case 'b':
			before = parse_time(optarg);
			break;
		case 'O':
			dup = strdup(optarg);
			if ((eq = strchr(dup, '=')) == NULL)
				fail("--critical needs NAME=VALUE",
				    JIT_ERR_INVALID_ARGUMENT);
			*eq = '\0';
			if ((r = jcert_add_critical(c, dup, eq + 1)) != 0)
				fail(dup, r);
			free(dup);
			break;
		case 'e':
			if ((r = jcert_add_extension(c, optarg)) != 0)
				fail(optarg, r);
			break;
		case 'H':
			if ((r = jcert_set_type(c, JCERT_TYPE_HOST)) != 0)
				fail("host", r);
			break;
		default:
			return 2;
		}
	}
	if (ca == NULL || key == NULL) {
		fprintf(stderr, "jit-testcert: sign needs --ca and --key\n");
		return 2;
	}
	if ((r = jcert_set_validity(c, after, before)) != 0)
		fail("validity", r);
	if ((r = jcert_sign(c, ca)) != 0)
		fail("sign", r);
	if ((r = jcert_format_line(c, NULL, &line)) != 0)
		fail("format", r);
	printf("%s\n", line);
	free(line);
	jcert_free(c);
	jkey_free(ca);
	jkey_free(key);
	return 0;
}

static const char *
upper(const char *s)
{
	static char buf[4][32];
	static int n;
	char *p = buf[n++ % 4];
	size_t i;

	for (i = 0; s[i] != '\0' && i < 31; i++)
		p[i] = (char)toupper((unsigned char)s[i]);
	p[i] = '\0';
	return p;
}

static void
fmt_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* Mirrors the layout of `ssh-keygen -L` (without its first line). */
static int
cmd_show(const char *path)
{
	struct jbuf *b = NULL;
	struct jcert *c = NULL;
	char *text, *fp = NULL, *cafp = NULL, from[64], to[64];
	const char *name, *value;
	size_t i;
	int r;

	if ((r = jit_file_read(path, 65536, 0, &b)) != 0)
		fail(path, r);
	text = strndup((const char *)jbuf_ptr(b), jbuf_len(b));
	if ((r = jcert_parse_line(text, &c)) != 0)
		fail(path, r);
	if ((r = jcert_verify(c, NULL)) != 0)
		fail("verify", r);
	if ((r = jkey_fingerprint(jcert_key(c), &fp)) != 0 ||
	    (r = jkey_fingerprint(jcert_signature_key(c), &cafp)) != 0)
		fail("fingerprint", r);
	printf("        Type: %s %s certificate\n", jcert_type_name(c),
	    jcert_type(c) == JCERT_TYPE_USER ? "user" : "host");
	printf("        Public key: %s-CERT %s\n",
	    upper(jkey_family(jkey_type(jcert_key(c)))), fp);
	printf("        Signing CA: %s %s (using %s)\n",
	    upper(jkey_family(jkey_type(jcert_signature_key(c)))), cafp,
	    jcert_signature_alg(c));
	printf("        Key ID: \"%s\"\n", jcert_key_id(c));
	printf("        Serial: %" PRIu64 "\n", jcert_serial(c));
	fmt_time(jcert_valid_after(c), from, sizeof(from));
	fmt_time(jcert_valid_before(c), to, sizeof(to));
	if (jcert_valid_after(c) == 0 && jcert_valid_before(c) == UINT64_MAX)
		printf("        Valid: forever\n");
	else if (jcert_valid_after(c) == 0)
		printf("        Valid: before %s\n", to);
	else if (jcert_valid_before(c) == UINT64_MAX)
		printf("        Valid: after %s\n", from);
	else
		printf("        Valid: from %s to %s\n", from, to);
	printf("        Principals: \n");
	for (i = 0; i < jcert_nprincipals(c); i++)
		printf("                %s\n", jcert_principal(c, i));
	if (jcert_ncritical(c) == 0)
		printf("        Critical Options: (none)\n");
	else
		printf("        Critical Options: \n");
	for (i = 0; i < jcert_ncritical(c); i++) {
		name = jcert_critical(c, i, &value);
		printf("                %s %s\n", name, value != NULL ? value : "");
	}
	if (jcert_nextensions(c) == 0)
		printf("        Extensions: (none)\n");
	else
		printf("        Extensions: \n");
	for (i = 0; i < jcert_nextensions(c); i++)
		printf("                %s\n", jcert_extension(c, i));
	free(fp);
	free(cafp);
	free(text);
	jcert_free(c);
	jbuf_free(b);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return cmd_show(argv[2]);
	fprintf(stderr, "usage: jit-testcert sign ... | show CERT\n");
	return 2;
}
