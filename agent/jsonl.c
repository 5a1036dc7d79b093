/* jsonl.c: the CA's JSON Lines as jit-ssh reads them.  See jsonl.h. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonl.h"

/* A string member of o, or "" when it is missing or not a string. */
static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int64_t
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* text as one JSON object, or NULL. */
static json_t *
object(const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);

	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

void
js_json_free(void *json)
{
	json_decref(json);
}

int
js_login_line(const char *text, size_t len, struct js_login_line *l)
{
	json_t *o;

	memset(l, 0, sizeof(*l));
	if ((o = object(text, len)) == NULL)
		return -1;
	l->json = o;
	l->certificate = str(o, "certificate");
	l->status = str(o, "status");
	l->request_id = str(o, "request_id");
	l->role = str(o, "role");
	l->resume_within = num(o, "resume_within");
	return 0;
}

int
js_request_view(const char *text, size_t len, struct js_request_view *v)
{
	json_t *o, *p;
	size_t i;

	memset(v, 0, sizeof(*v));
	if ((o = object(text, len)) == NULL)
		return -1;
	v->json = o;
	v->request_id = str(o, "request_id");
	v->user = str(o, "user");
	v->role = str(o, "role");
	v->reason = str(o, "reason");
	v->source = str(o, "source");
	v->fingerprint = str(o, "fingerprint");
	v->expires = str(o, "expires");
	v->ttl = num(o, "ttl");
	v->quorum = num(o, "quorum");
	v->yours = json_is_true(json_object_get(o, "yours"));
	v->napprovers = json_array_size(json_object_get(o, "approvers"));
	p = json_object_get(o, "principals");
	for (i = 0; i < json_array_size(p) && v->nprincipals <
	    sizeof(v->principals) / sizeof(v->principals[0]); i++)
		if (json_is_string(json_array_get(p, i)))
			v->principals[v->nprincipals++] =
			    json_string_value(json_array_get(p, i));
	return v->yours || *v->request_id == '\0' ? 1 : 0;
}

int
js_ca_keys_host(const char *text, size_t len, char **lines, size_t max,
    size_t *np)
{
	json_t *o, *a, *h;
	size_t i;
	int rc = -1;

	*np = 0;
	if ((o = object(text, len)) == NULL)
		return -1;
	a = json_object_get(o, "host_cas");
	if (json_is_array(a) && json_array_size(a) > 0 &&
	    json_array_size(a) <= max) {
		json_array_foreach(a, i, h)
			if (json_is_string(h) && (lines[*np] =
			    strdup(json_string_value(h))) != NULL)
				(*np)++;
		rc = *np == json_array_size(a) ? 0 : -1;
	} else if (max > 0 && json_is_string(h = json_object_get(o,
	    "host_ca")) && (lines[0] = strdup(json_string_value(h))) != NULL) {
		*np = 1;
		rc = 0;
	}
	if (rc != 0) {
		while (*np > 0)
			free(lines[--*np]);
	}
	json_decref(o);
	return rc;
}
