/*
 * DIR/config.yaml's CA key settings (ca/config.c): ca_key: and
 * pkcs11_module: read strictly, and ca_config_set_key() changing one value
 * and nothing else (rotate --activate uses it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cadir.h"
#include "jit-err.h"
#include "jp11.h"
#include "jstore.h"

static char dir[64], path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jit-config.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(ca_config, .init = setup, .fini = teardown);

static void
put(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
get(void)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Reads text; returns the error (NULL when it loads). */
static char *
read_err(const char *text, struct ca_config *c)
{
	char *err = NULL;

	put(text);
	if (ca_config_read(path, c, &err) == 0)
		return NULL;
	cr_assert_not_null(err);
	return err;
}

Test(ca_config, ca_key_defaults_to_file)
{
	struct ca_config c;

	cr_assert_null(read_err("listen: 127.0.0.1:2222\n", &c));
	cr_assert_str_eq(c.ca_key[CA_KEY_USER], "file");
	cr_assert_str_eq(c.ca_key[CA_KEY_HOST], "file");
	cr_assert_null(c.pkcs11_module);
	ca_config_free(&c);
}

Test(ca_config, ca_key_takes_a_pkcs11_uri_per_ca)
{
	struct ca_config c;

	cr_assert_null(read_err("ca_key:\n  user: 'pkcs11:token=t;object=u"
	    "?pin-source=/etc/pin'\n  host: file\npkcs11_module: /m.so\n", &c));
	cr_assert_str_eq(c.ca_key[CA_KEY_USER],
	    "pkcs11:token=t;object=u?pin-source=/etc/pin");
	cr_assert_str_eq(c.ca_key[CA_KEY_HOST], "file");
	cr_assert_str_eq(c.pkcs11_module, "/m.so");
	ca_config_free(&c);
}

Test(ca_config, bad_ca_key_settings_are_refused_with_where)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "ca_key: file\n", "ca_key must be a mapping" },
		{ "ca_key:\n  admin: file\n", "unknown CA" },
		{ "ca_key:\n  user: /etc/key\n", "want file or a pkcs11: URI" },
		{ "ca_key:\n  user: 'pkcs11:token=t?pin-value=1234'\n",
		  "must not hold the PIN" },
		{ "ca_key:\n  user: 'pkcs11:token=%zz'\n", "not a valid" },
		{ "ca_key:\n  user: file\n  user: file\n", "a value, once" },
		{ "ca_key:\n  user: [a]\n", "a value, once" },
		{ "pkcs11_module: [a, b]\n", "a value, once" },
	};
	struct ca_config c;
	size_t i;
	char *err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = read_err(bad[i].text, &c);
		cr_assert_not_null(err, "accepted: %s", bad[i].text);
		cr_expect_not_null(strstr(err, bad[i].why), "%s: got %s",
		    bad[i].text, err);
		cr_expect_not_null(strstr(err, "config.yaml:"), "no place: %s",
		    err);
		free(err);
	}
}

Test(ca_config, uri_checks)
{
	cr_assert(jp11_is_uri("pkcs11:token=a"));
	cr_assert(!jp11_is_uri("PKCS11:token=a"));
	cr_assert(!jp11_is_uri("file"));
	cr_assert_null(jp11_uri_problem("pkcs11:token=a;object=b"
	    "?pin-source=file:/x"));
	cr_assert_not_null(jp11_uri_problem("pkcs11:token=a?pin-value=1"));
	cr_assert_not_null(jp11_uri_problem("pkcs11:token=%GG"));
	cr_assert_not_null(jp11_uri_problem("token=a"));
}

Test(ca_config, a_pin_source_others_can_read_is_refused_before_any_module)
{
	struct jp11 *t = NULL;
	char pin[160], uri[256], *err = NULL;
	FILE *f;

	snprintf(pin, sizeof(pin), "%s/pin", dir);
	cr_assert_not_null(f = fopen(pin, "w"));
	fputs("1234\n", f);
	fclose(f);
	chmod(pin, 0644);
	snprintf(uri, sizeof(uri), "pkcs11:token=a;object=b?pin-source=%s", pin);
	cr_assert_eq(jp11_open("/nonexistent.so", uri, &t, &err),
	    JIT_ERR_BAD_PERMISSIONS);
	cr_assert_null(t);
	cr_assert_not_null(strstr(err, "others can read it"), "%s", err);
	free(err);
	err = NULL;
	chmod(pin, 0600);
	cr_assert_eq(jp11_open("/nonexistent.so", uri, &t, &err), JIT_ERR_TOKEN);
	cr_assert_not_null(strstr(err, "cannot load the PKCS#11 module"), "%s",
	    err);
	free(err);
}

/* The PIN file is checked and read through one descriptor: a link to a
 * private file is refused (it could be swapped between check and read). */
Test(ca_config, a_pin_source_that_is_a_link_is_refused)
{
	struct jp11 *t = NULL;
	char pin[160], link[160], uri[256], *err = NULL;
	FILE *f;

	snprintf(pin, sizeof(pin), "%s/pin", dir);
	snprintf(link, sizeof(link), "%s/pin-link", dir);
	cr_assert_not_null(f = fopen(pin, "w"));
	fputs("1234\n", f);
	fclose(f);
	chmod(pin, 0600);
	cr_assert_eq(symlink(pin, link), 0);
	snprintf(uri, sizeof(uri), "pkcs11:token=a;object=b?pin-source=%s", link);
	cr_assert_eq(jp11_open("/nonexistent.so", uri, &t, &err),
	    JIT_ERR_SYSTEM);
	cr_assert_null(t);
	cr_assert_not_null(strstr(err, "a symbolic link"), "%s", err);
	free(err);
}

Test(ca_config, set_key_replaces_one_value_and_keeps_the_rest)
{
	struct ca_config c;

	put("# my comment\nlisten: 127.0.0.1:2300\nca_key:\n  user: file\n"
	    "  host: file   # the host CA\nstore: lmdb\n");
	cr_assert_eq(ca_config_set_key(dir, CA_KEY_USER,
	    "pkcs11:token=t;object=it's", 0), 0);
	cr_assert_str_eq(get(), "# my comment\nlisten: 127.0.0.1:2300\n"
	    "ca_key:\n  user: 'pkcs11:token=t;object=it''s'\n"
	    "  host: file   # the host CA\nstore: lmdb\n");
	cr_assert_null(read_err(get(), &c));
	cr_assert_str_eq(c.ca_key[CA_KEY_USER], "pkcs11:token=t;object=it's");
	ca_config_free(&c);
	cr_assert_eq(ca_config_set_key(dir, CA_KEY_USER, "file", 0), 0);
	cr_assert_str_eq(get(), "# my comment\nlisten: 127.0.0.1:2300\n"
	    "ca_key:\n  user: file\n  host: file   # the host CA\n"
	    "store: lmdb\n");
}

Test(ca_config, set_key_adds_what_is_missing)
{
	put("listen: 127.0.0.1:2300\nca_key:\n    host: file\n");
	cr_assert_eq(ca_config_set_key(dir, CA_KEY_USER, "pkcs11:token=t", 0), 0);
	cr_assert_str_eq(get(), "listen: 127.0.0.1:2300\nca_key:\n"
	    "    user: 'pkcs11:token=t'\n    host: file\n");
	put("listen: 127.0.0.1:2300");
	cr_assert_eq(ca_config_set_key(dir, CA_KEY_HOST, "pkcs11:token=t", 0), 0);
	cr_assert_str_eq(get(), "listen: 127.0.0.1:2300\nca_key:\n"
	    "  host: 'pkcs11:token=t'\n");
}

Test(ca_config, a_dry_set_key_says_it_can_and_changes_nothing)
{
	static const char text[] = "ca_key:\n  user: file\n";

	put(text);
	cr_assert_eq(ca_config_set_key(dir, CA_KEY_USER, "pkcs11:token=t", 1), 0);
	cr_assert_str_eq(get(), text);
}

Test(ca_config, set_key_refuses_a_flow_mapping_and_changes_nothing)
{
	static const char text[] = "ca_key: { user: file, host: file }\n";

	put(text);
	cr_assert_neq(ca_config_set_key(dir, CA_KEY_USER, "pkcs11:token=t", 0), 0);
	cr_assert_str_eq(get(), text);
	cr_assert_eq(access("config.yaml.new", F_OK), -1);
}

/* A store location holds no password in any spelling libpq reads, and a
 * message shows a location without one. */
Test(ca_config, store_location_passwords_in_every_spelling)
{
	static const char *const refused[] = {
		"host=db dbname=jit password=secret",
		"host=db dbname=jit password = secret",
		"host=db password='sec ret' dbname=jit",
		"postgresql://jit:secret@db/jit",
		"postgres://jit:secret@db:5432/jit?sslmode=require",
		"postgresql://jit@db/jit?password=secret",
		"postgresql://jit@db/jit?pass%77ord=secret",
		"postgresql://jit@db/jit?sslmode=require&password=secret",
		"host=db dbname=jit password=",
		"host=db dbname=jit PASSWORD=secret",	/* libpq cannot read it */
		"host=db dbname='jit",			/* nor this */
		NULL,
	};
	static const char *const fine[] = {
		"host=db dbname=jit user=jit",
		"postgresql://jit@db/jit?passfile=/etc/jit/pgpass",
		"postgresql:///jit?host=/run/postgresql",
		"lmdb",
		NULL,
	};
	const char *why;
	char *shown;
	size_t i;

	for (i = 0; refused[i] != NULL; i++) {
		cr_assert_eq(ca_store_where_ok(refused[i], &why), 0, "%s",
		    refused[i]);
		cr_assert_not_null(why);
		cr_assert_null(strstr(why, "secret"), "%s", why);
		shown = jstore_where_display(refused[i]);
		cr_assert_not_null(shown);
		cr_assert_null(strstr(shown, "secret"), "%s -> %s", refused[i],
		    shown);
		cr_assert_null(strstr(shown, "sec ret"), "%s", shown);
		free(shown);
	}
	for (i = 0; fine[i] != NULL; i++)
		cr_assert_eq(ca_store_where_ok(fine[i], &why), 1, "%s: %s",
		    fine[i], why != NULL ? why : "");
	shown = jstore_where_display("postgresql://jit@db:5433/jitdb");
	cr_assert_str_eq(shown, "user='jit' dbname='jitdb' host='db' port='5433'");
	free(shown);
}

/* A token library that cannot start (its own configuration missing) says
 * where that configuration is looked for. */
Test(ca_config, a_token_library_without_its_configuration_says_so)
{
	static const char *const mods[] = {
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", NULL,
	};
	struct jp11 *t = NULL;
	char pin[160], uri[256], *err = NULL;
	const char *mod = NULL;
	size_t i;
	FILE *f;

	for (i = 0; mods[i] != NULL && mod == NULL; i++)
		if (access(mods[i], R_OK) == 0)
			mod = mods[i];
	if (mod == NULL)
		cr_skip_test("SoftHSM2 is not installed");
	snprintf(pin, sizeof(pin), "%s/pin", dir);
	cr_assert_not_null(f = fopen(pin, "w"));
	fputs("1234\n", f);
	fclose(f);
	chmod(pin, 0600);
	setenv("SOFTHSM2_CONF", "/nonexistent/softhsm2.conf", 1);
	snprintf(uri, sizeof(uri), "pkcs11:token=a;object=b?pin-source=%s", pin);
	cr_assert_eq(jp11_open(mod, uri, &t, &err), JIT_ERR_TOKEN);
	cr_assert_null(t);
	cr_assert_not_null(strstr(err, "its own configuration is missing"),
	    "%s", err);
	cr_assert_not_null(strstr(err, "SOFTHSM2_CONF"), "%s", err);
	free(err);
}

Test(ca_config, deadlines_default_and_read)
{
	struct ca_config c;
	char *err = NULL;

	put("listen: 127.0.0.1:1\n");
	cr_assert_eq(ca_config_read(path, &c, &err), 0, "%s", err);
	cr_assert_eq(c.deadlines.kex, 10);
	cr_assert_eq(c.deadlines.auth, 30);
	cr_assert_eq(c.deadlines.stdin_end, 10);
	cr_assert_eq(c.deadlines.idle, 120);
	cr_assert_eq(c.deadlines.sweep, 1);
	ca_config_free(&c);
	put("deadlines: { auth: 2s, idle: 3s, stdin: 1s, kex: 1m, sweep: 1s }\n");
	cr_assert_eq(ca_config_read(path, &c, &err), 0, "%s", err);
	cr_assert_eq(c.deadlines.auth, 2);
	cr_assert_eq(c.deadlines.idle, 3);
	cr_assert_eq(c.deadlines.stdin_end, 1);
	cr_assert_eq(c.deadlines.kex, 60);
	ca_config_free(&c);
}

Test(ca_config, bad_deadlines_are_refused_with_where)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "deadlines: { auth: 0s }\n", "1s to 1h" },
		{ "deadlines: { idle: 2h }\n", "1s to 1h" },
		{ "deadlines: { idle: soon }\n", "1s to 1h" },
		{ "deadlines: { nap: 1s }\n", "unknown deadline" },
		{ "deadlines: 5s\n", "a mapping" },
	};
	struct ca_config c;
	char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		put(bad[i].text);
		cr_assert_neq(ca_config_read(path, &c, &err), 0, "%s",
		    bad[i].text);
		cr_assert_not_null(err);
		cr_assert_not_null(strstr(err, bad[i].why), "%s: %s",
		    bad[i].text, err);
		cr_assert_not_null(strstr(err, "config.yaml:1:"), "%s", err);
		free(err);
	}
}
