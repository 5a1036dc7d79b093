/*
 * textout.c: audit events as text for other programs: JSON (the
 * contract's field names, docs/PROTOCOL.md "Audit JSON fields") and CSV,
 * never dropping or passing raw what is not clean text.
 */
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jit-util.h"
#include "jstore.h"
#include "jtext.h"
#include "textout.h"

/*
 * A JSON string that is never dropped: jansson refuses invalid UTF-8
 * (json_string() gives NULL and the field vanishes), so text that is not
 * clean (an old record, a foreign store) is escaped instead.
 */
json_t *
ca_json_text(const char *s, size_t len)
{
	json_t *j;
	char *e;

	if (jtext_valid(s, len, 1) && (j = json_stringn(s, len)) != NULL)
		return j;
	if ((e = jtext_escape_dup(s, len)) == NULL)
		return NULL;
	j = json_string(e);
	free(e);
	return j;
}

json_t *
ca_json_list(const char *s)
{
	json_t *a = json_array();
	const char *p = s, *comma;

	if (a == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		json_array_append_new(a, ca_json_text(p, comma != NULL ?
		    (size_t)(comma - p) : strlen(p)));
		p = comma != NULL ? comma + 1 : NULL;
	}
	return a;
}

static json_t *
time_or_null(uint64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	jit_format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
str_or_null(const char *s)
{
	return s == NULL || *s == '\0' ? json_null() : ca_json_text(s, strlen(s));
}

void
ca_hex(const unsigned char *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

int
ca_event_is_decision(const struct jstore_event *ev)
{
	return strcmp(ev->event, "approve") == 0 ||
	    strcmp(ev->event, "deny") == 0;
}

/*
 * An issue event of a session signed in at the identity provider keeps
 * "ADDR sso ISSUER SUBJECT" as its source: shown as the address, and
 * auth, issuer and subject.
 */
static void
sso_fields(json_t *o, const struct jstore_event *ev)
{
	const char *src = ev->source, *sso, *sub;

	if (src == NULL || strcmp(ev->event, "issue") != 0 ||
	    (sso = strstr(src, " sso ")) == NULL ||
	    (sub = strrchr(sso + 5, ' ')) == NULL)
		return;
	json_object_set_new(o, "source", ca_json_text(src, (size_t)(sso - src)));
	json_object_set_new(o, "auth", json_string("sso"));
	json_object_set_new(o, "issuer", ca_json_text(sso + 5,
	    (size_t)(sub - sso - 5)));
	json_object_set_new(o, "subject", ca_json_text(sub + 1, strlen(sub + 1)));
}

json_t *
ca_event_json(const struct jstore_event *ev)
{
	char h[65];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	ca_hex(ev->hash, 32, h);
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
	json_object_set_new(o, "time", time_or_null(ev->time));
	json_object_set_new(o, "event", ca_json_text(ev->event, strlen(ev->event)));
	json_object_set_new(o, "user", str_or_null(ev->user));
	json_object_set_new(o, "role", str_or_null(ev->role));
	json_object_set_new(o, "serial", ev->serial != 0 ?
	    json_integer((json_int_t)ev->serial) : json_null());
	json_object_set_new(o, "key_id", str_or_null(ev->key_id));
	json_object_set_new(o, "principals", ca_json_list(ev->principals));
	json_object_set_new(o, "valid_after", time_or_null(ev->valid_after));
	json_object_set_new(o, "valid_before", time_or_null(ev->valid_before));
	json_object_set_new(o, "fingerprint", str_or_null(ev->fingerprint));
	json_object_set_new(o, "source", str_or_null(ev->source));
	/* An approver's words are a comment, the requester's a reason. */
	json_object_set_new(o, "reason", ca_event_is_decision(ev) ? json_null() :
	    str_or_null(ev->reason));
	json_object_set_new(o, "comment", ca_event_is_decision(ev) ?
	    str_or_null(ev->reason) : json_null());
	json_object_set_new(o, "request_id", str_or_null(ev->request_id));
	json_object_set_new(o, "approvers", ca_json_list(ev->approvers));
	json_object_set_new(o, "hash", json_string(h));
	sso_fields(o, ev);
	return o;
}

void
ca_table_cell(FILE *f, const char *s, int width)
{
	char buf[256];

	(void)jtext_escape(buf, sizeof(buf), s, strlen(s));
	if (width == 0)
		fputs(buf[0] != '\0' ? buf : "-", f);
	else
		fprintf(f, "%-*s ", width, buf[0] != '\0' ? buf : "-");
}

void
ca_csv_field(FILE *f, const char *s, int last)
{
	char *e = jtext_escape_dup(s, strlen(s)), *p;

	fputc('"', f);
	/* OWASP's list: = + - @, tab and carriage return start a formula. */
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r')
		fputc('\'', f);
	for (p = e != NULL ? e : "?"; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	free(e);
	fputc('"', f);
	fputc(last ? '\n' : ',', f);
}

int
ca_errf(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}
