/*
 * jit-testfill: appends N synthetic "issue" events to a CA's store, for
 * tests that need a big audit log quickly.   jit-testfill STOREDIR N [USER]
 * With USER they are USER's, with real serials and valid for an hour (live
 * certificates to revoke); without, they are padding (no serial).
 *
 *   jit-testfill STOREDIR requests N USER ROLE [deny]
 * records N pending requests of USER for ROLE (each with ~4 KB of
 * principals and a 1 KB reason: long rows for `requests`); with "deny",
 * each is denied right after (history that is no longer open).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit-err.h"
#include "jstore.h"

static int
fill_requests(struct jstore *s, unsigned long n, const char *user,
    const char *role, int deny)
{
	struct jstore_request rq;
	char id[JSTORE_REQUEST_ID_LEN + 1], principals[4001], reason[1001];
	uint64_t now = (uint64_t)time(NULL);
	unsigned long i;
	size_t j;
	int r;

	for (j = 0; j + 8 < sizeof(principals); j += 8)
		memcpy(principals + j, j ? ",pr-long" : "pr-first", 8);
	principals[j] = '\0';
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	memset(&rq, 0, sizeof(rq));
	rq.user = (char *)(uintptr_t)user;
	rq.role = (char *)(uintptr_t)role;
	rq.principals = principals;
	rq.pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFIXuDu9YI3bAFbJM6LCJUkYJ6B7PqvUUs2nm1JUwQ1z";
	rq.fingerprint = "";
	rq.reason = reason;
	rq.source = "127.0.0.1";
	rq.approver_groups = "leads";
	rq.ttl = 600;
	rq.quorum = 1;
	rq.expires = now + 3600;
	for (i = 0; i < n; i++) {
		if ((r = jstore_request_create(s, &rq, now, (unsigned)n + 1,
		    id)) != 0 || (deny && (r = jstore_request_deny(s, id, user,
		    "filler", now)) != 0)) {
			fprintf(stderr, "jit-testfill: %s\n", jit_strerror(r));
			return 1;
		}
	}
	return 0;
}

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

	if (argc >= 6 && strcmp(argv[2], "requests") == 0) {
		if ((r = jstore_open(argv[1], 0, 0, &s)) != 0) {
			fprintf(stderr, "jit-testfill: %s\n", jit_strerror(r));
			return 1;
		}
		r = fill_requests(s, strtoul(argv[3], NULL, 10), argv[4], argv[5],
		    argc == 7 && strcmp(argv[6], "deny") == 0);
		jstore_close(s);
		return r;
	}
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: jit-testfill STOREDIR N [USER]\n"
		    "       jit-testfill STOREDIR requests N USER ROLE [deny]\n");
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
