/*
 * Writes seed inputs for fuzz_store_records into DIR: one event, one
 * request and one TOTP record as the store encodes them, each after the
 * byte that picks its decoder.   seed_store_records DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jbuf.h"
#include "store-impl.h"

static void
save(const char *dir, const char *name, unsigned char pick, struct jbuf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fputc(pick, f);
	fwrite(jbuf_ptr(b), 1, jbuf_len(b), f);
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct jstore_event ev;
	struct jstore_request rq;
	struct jstore_totp t;
	struct jbuf *b;

	if (argc != 2 || (b = jbuf_new()) == NULL)
		return 2;
	memset(&ev, 0, sizeof(ev));
	ev.seq = 7;
	ev.time = 1700000000;
	ev.event = "issue";
	ev.user = "alice";
	ev.role = "prod";
	ev.serial = 42;
	ev.key_id = "jit:alice:prod:42";
	ev.principals = "root,alice";
	ev.valid_after = 1699999970;
	ev.valid_before = 1700000300;
	ev.fingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
	ev.source = "10.0.0.1";
	ev.reason = "incident 42";
	ev.request_id = "r-0123456789abcdef";
	ev.approvers = "carol,dave";
	if (store_event_encode(&ev, b) == 0)
		save(argv[1], "event", 0, b);
	memset(&rq, 0, sizeof(rq));
	rq.id = "r-0123456789abcdef";
	rq.user = "alice";
	rq.role = "prod";
	rq.principals = "root";
	rq.pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
	rq.fingerprint = (char *)(uintptr_t)ev.fingerprint;
	rq.reason = "incident 42";
	rq.source = "10.0.0.1";
	rq.approver_groups = "leads";
	rq.approvers = "carol";
	rq.ttl = 300;
	rq.created = 1700000000;
	rq.expires = 1700000900;
	rq.quorum = 2;
	rq.pickup_ttl = 900;
	rq.state = JSTORE_REQ_PENDING;
	rq.flags = JSTORE_REQ_REMINDED | JSTORE_REQ_ESCALATED;
	jbuf_reset(b);
	if (store_request_encode(&rq, b) == 0)
		save(argv[1], "request", 1, b);
	memset(&t, 0, sizeof(t));
	memcpy(t.secret, "0123456789abcdef0123456789abcdef01234567", 40);
	t.secret_len = 40;
	t.last_step = 56666666;
	t.failures = 2;
	t.enroll_seq = 5;
	jbuf_reset(b);
	if (store_totp_encode(&t, b) == 0)
		save(argv[1], "totp", 2, b);
	jbuf_free(b);
	return 0;
}
