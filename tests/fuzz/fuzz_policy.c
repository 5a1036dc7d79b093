/* libFuzzer target: the YAML policy loader, then a few evaluations. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "jpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const users[] = { "alice", "bob", "carol" };
	static const char *const roles[] = { "dev", "prod-root", "r" };
	struct jpolicy *p = NULL;
	struct jpolicy_decision *d;
	char *err = NULL;
	size_t i, j;

	if (jpolicy_load("fuzz", data, len, &p, &err) == 0) {
		for (i = 0; i < 3; i++) {
			for (j = 0; j < 3; j++) {
				struct jpolicy_request req = {
					.user = users[i], .role = roles[j],
					.ttl = 3600, .mfa_done = (int)(i & 1),
					.reason = "x", .address = "10.0.0.1",
					.key_type = JKEY_ED25519,
					.now = 1700272800,
				};

				if (jpolicy_evaluate(p, &req, &d) == 0)
					jpolicy_decision_free(d);
			}
		}
		jpolicy_free(p);
	}
	free(err);
	return 0;
}
