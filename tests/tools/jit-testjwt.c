/*
 * jit-testjwt: judges ca_jwt_verify on tokens another implementation
 * signed (tests/oidc/mint.mjs, Node's crypto): reads {issuer, client_id,
 * now, skew, jwks, cases} on stdin, verifies each case, and prints one
 * line per case: "ok NAME" when the verdict is the one wanted ("ok", or
 * an error containing the wanted words), else "FAIL NAME: ...".  Exits 0
 * only when every case is as wanted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jit-err.h"
#include "jwt.h"

int
main(void)
{
	json_t *in = json_loadf(stdin, 0, NULL), *c, *claims;
	struct ca_jwt_expect e;
	struct ca_jwks *keys = NULL;
	char err[256], *jwks;
	size_t i, bad = 0;
	int r;

	if (in == NULL || (jwks = json_dumps(json_object_get(in, "jwks"), 0)) ==
	    NULL) {
		fprintf(stderr, "jit-testjwt: no input\n");
		return 2;
	}
	if (ca_jwks_parse(jwks, strlen(jwks), &keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "jit-testjwt: %s\n", err);
		return 1;
	}
	free(jwks);
	e.issuer = json_string_value(json_object_get(in, "issuer"));
	e.client_id = json_string_value(json_object_get(in, "client_id"));
	e.now = (uint64_t)json_integer_value(json_object_get(in, "now"));
	e.skew = (uint64_t)json_integer_value(json_object_get(in, "skew"));
	json_array_foreach(json_object_get(in, "cases"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *want = json_string_value(json_object_get(c, "want"));

		err[0] = '\0';
		claims = NULL;
		r = ca_jwt_verify(json_string_value(json_object_get(c, "token")),
		    keys, &e, &claims, err, sizeof(err));
		if (strcmp(want, "ok") == 0 ? r == 0 && strcmp(json_string_value(
		    json_object_get(claims, "sub")), "sub-alice") == 0 :
		    r != 0 && strstr(err, want) != NULL)
			printf("ok %s\n", name);
		else {
			printf("FAIL %s: wanted %s, got %d %s\n", name, want, r,
			    err);
			bad++;
		}
		json_decref(claims);
	}
	ca_jwks_free(keys);
	json_decref(in);
	return bad == 0 ? 0 : 1;
}
