/*
 * jit-testoidc: the CA's device flow client (ca/core/oidc.c) on its own,
 * for tests against a real OpenID Provider:
 *
 *   jit-testoidc ISSUER CLIENT_ID [SECRET|-] [TIMEOUT_MS]
 *
 * Prints "code URI USER_CODE" on one line (flushed), polls as the
 * provider says, and prints the verified ID token's claims as JSON on
 * success (exit 0), or "error: ..." (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jit-err.h"
#include "oidc.h"

int
main(int argc, char **argv)
{
	struct ca_oidc_cfg cfg;
	struct ca_oidc_device d;
	struct ca_oidc *o;
	json_t *claims = NULL;
	char err[512], *s;
	int r;

	if (argc < 3)
		return 2;
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = argv[1];
	cfg.client_id = argv[2];
	cfg.client_secret = argc > 3 && strcmp(argv[3], "-") != 0 ? argv[3] :
	    NULL;
	cfg.timeout_ms = argc > 4 ? atol(argv[4]) : 0;
	cfg.scope = "openid profile groups";
	cfg.skew = 60;
	if (ca_oidc_new(&cfg, &o) != 0) {
		printf("error: bad configuration\n");
		return 1;
	}
	if ((r = ca_oidc_device_start(o, (uint64_t)time(NULL), &d, err,
	    sizeof(err))) != 0) {
		printf("error: %s\n", err);
		ca_oidc_free(o);
		return 1;
	}
	printf("code %s %s\n", d.uri, d.user_code);
	fflush(stdout);
	for (;;) {
		sleep((unsigned)d.interval);
		r = ca_oidc_device_poll(o, &d, (uint64_t)time(NULL), &claims, err,
		    sizeof(err));
		if (r != 0 || claims != NULL)
			break;
	}
	if (r != 0)
		printf("error: %s\n", err);
	else if ((s = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS)) !=
	    NULL) {
		printf("%s\n", s);
		free(s);
	}
	json_decref(claims);
	ca_oidc_free(o);
	return r == 0 ? 0 : 1;
}
