/* Audit output never drops or leaks a byte: JSON, CSV (ca/cmd-audit.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "textout.h"
#include "jstore.h"

static char *
csv(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_not_null(f);
	ca_csv_field(f, s, 1);
	fclose(f);
	return out;
}

Test(ca_text, json_keeps_a_field_that_is_not_utf8)
{
	struct jstore_event ev;
	json_t *o;

	memset(&ev, 0, sizeof(ev));
	ev.seq = 1;
	ev.time = 1700000000;
	ev.event = "break-glass";
	ev.user = "bob";
	ev.reason = "db down \xff\xfe fix \xc2\x9b" "2J";
	ev.approvers = "carol,\xc3\x28";
	o = ca_event_json(&ev);
	cr_assert_not_null(o);
	cr_assert_str_eq(json_string_value(json_object_get(o, "reason")),
	    "db down \\xff\\xfe fix \\xc2\\x9b2J", "the reason is kept, escaped");
	cr_assert_str_eq(json_string_value(json_array_get(
	    json_object_get(o, "approvers"), 1)), "\\xc3(");
	json_decref(o);
}

Test(ca_text, csv_defuses_formulas_and_escapes)
{
	char *s;

	s = csv("=HYPERLINK(\"x\")");
	cr_assert_str_eq(s, "\"'=HYPERLINK(\"\"x\"\")\"\n");
	free(s);
	s = csv("\t=1+1");
	cr_assert_eq(strncmp(s, "\"'", 2), 0, "a leading tab is defused: %s", s);
	free(s);
	s = csv("\r=1+1");
	cr_assert_eq(strncmp(s, "\"'", 2), 0, "a leading CR is defused: %s", s);
	free(s);
	s = csv("ok \x1b[31m red");
	cr_assert_str_eq(s, "\"ok \\x1b[31m red\"\n");
	free(s);
}
