/*
 * libFuzzer target: the store's record decoders (store/event.c,
 * store/request.c): a log event, an approval request, a TOTP record, as
 * read back from disk (mdb_load lets anyone write any bytes there).  The
 * first byte picks the decoder.  A decoded event must re-encode to the
 * same bytes (the hash chain covers them); a decoded request or TOTP
 * record must re-encode and decode again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "store-impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jbuf *scratch, *out;
	struct jstore_event ev;
	struct jstore_request *r = NULL, *r2 = NULL;
	struct jstore_totp t, t2;

	if (len < 1 || (scratch = jbuf_new()) == NULL)
		return 0;
	if ((out = jbuf_new()) == NULL) {
		jbuf_free(scratch);
		return 0;
	}
	switch (data[0] % 3) {
	case 0:
		if (store_event_decode(data + 1, len - 1, &ev, scratch) == 0) {
			if (store_event_encode(&ev, out) != 0 ||
			    jbuf_len(out) != len - 1 ||
			    memcmp(jbuf_ptr(out), data + 1, len - 1) != 0)
				abort();	/* not canonical */
		}
		break;
	case 1:
		if (store_request_decode(data + 1, len - 1, &r) == 0) {
			if (store_request_encode(r, out) != 0 ||
			    store_request_decode(jbuf_ptr(out), jbuf_len(out),
			    &r2) != 0 || strcmp(r->id, r2->id) != 0 ||
			    r->state != r2->state || r->flags != r2->flags)
				abort();
		}
		break;
	default:
		if (store_totp_decode(data + 1, len - 1, &t) == 0) {
			if (store_totp_encode(&t, out) != 0 ||
			    store_totp_decode(jbuf_ptr(out), jbuf_len(out),
			    &t2) != 0 || t2.secret_len != t.secret_len ||
			    t2.enroll_seq != t.enroll_seq)
				abort();
		}
		break;
	}
	jstore_request_free(r);
	jstore_request_free(r2);
	jbuf_free(out);
	jbuf_free(scratch);
	return 0;
}
