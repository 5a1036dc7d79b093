/*
 * jit-testfill: appends N synthetic "issue" events to a CA's store, for
 * tests that need a big audit log quickly.   jit-testfill STOREDIR N [USER]
 * With USER they are USER's, with real serials and valid for an hour (live
 * certificates to revoke); without, they are padding (no serial).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit-err.h"
#include "jstore.h"

int
main(int argc, char **argv)
{
	struct jstore_event evs[500];
	struct jstore *s = NULL;
	char ids[500][48];
	unsigned long n, i, j;
	int r;

	const char *user = argc == 4 ? argv[3] : NULL;
	uint64_t now = (uint64_t)time(NULL);

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: jit-testfill STOREDIR N [USER]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	if ((r = jstore_open(argv[1], 0, 0, &s)) != 0) {
		fprintf(stderr, "jit-testfill: %s\n", jit_strerror(r));
		return 1;
	}
	for (i = 0; i < n; i += j) {
		for (j = 0; j < 500 && i + j < n; j++) {
			memset(&evs[j], 0, sizeof(evs[j]));
			evs[j].event = "issue";
			evs[j].user = user != NULL ? user : "filler";
			evs[j].role = "fill";
			if (user != NULL) {
				if ((r = jstore_next_serial(s, &evs[j].serial)) != 0) {
					fprintf(stderr, "jit-testfill: %s\n",
					    jit_strerror(r));
					return 1;
				}
				evs[j].valid_after = now - 30;
				evs[j].valid_before = now + 3600;
			}
			snprintf(ids[j], sizeof(ids[j]), "jit:%s:fill:%llu",
			    evs[j].user, user != NULL ?
			    (unsigned long long)evs[j].serial :
			    (unsigned long long)(i + j));
			evs[j].key_id = ids[j];
			evs[j].principals = "filler,with,some,more,principals";
			evs[j].reason = "padding the audit log so that its JSON is long";
			evs[j].source = "test";
		}
		if ((r = jstore_append(s, evs, j)) != 0) {
			fprintf(stderr, "jit-testfill: %s\n", jit_strerror(r));
			return 1;
		}
	}
	jstore_close(s);
	return 0;
}
