/* krl.c: the KRL encoding.  See jkrl.h and PROTOCOL.krl. */
#include <string.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jkey.h"
#include "jkrl.h"

#define KRL_MAGIC			0x5353484b524c0a00ULL
#define KRL_FORMAT_VERSION		1
#define KRL_SECTION_CERTIFICATES	1
#define KRL_CERT_SERIAL_LIST		0x20
#define KRL_CERT_SERIAL_RANGE		0x21
#define KRL_CERT_KEY_ID			0x23

static int
put_subsection(struct jbuf *sect, uint8_t type, const struct jbuf *data)
{
	int r;

	if (jbuf_len(data) == 0)
		return 0;
	if ((r = jbuf_put_u8(sect, type)) != 0 ||
	    (r = jbuf_put_stringb(sect, data)) != 0)
		return r;
	return 0;
}

int
jkrl_encode(const struct jkey *const *cas, size_t ncas,
    const uint64_t *serials, size_t nserials,
    char *const *key_ids, size_t nkey_ids, uint64_t version, uint64_t date,
    const char *comment, struct jbuf *out)
{
	struct jbuf *krl = NULL, *sect = NULL, *list = NULL, *ranges = NULL;
	struct jbuf *ids = NULL, *cab = NULL;
	size_t i, j;
	int r = JIT_ERR_INTERNAL;

	for (i = 0; i < ncas; i++)
		if (cas == NULL || cas[i] == NULL)
			return JIT_ERR_INVALID_ARGUMENT;
	if (ncas == 0 || out == NULL || (serials == NULL && nserials != 0) ||
	    (key_ids == NULL && nkey_ids != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < nserials; i++)
		if (serials[i] == 0 || (i > 0 && serials[i] <= serials[i - 1]))
			return JIT_ERR_INVALID_ARGUMENT;
	if ((krl = jbuf_new()) == NULL || (sect = jbuf_new()) == NULL ||
	    (list = jbuf_new()) == NULL || (ranges = jbuf_new()) == NULL ||
	    (ids = jbuf_new()) == NULL || (cab = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put_u64(krl, KRL_MAGIC)) != 0 ||
	    (r = jbuf_put_u32(krl, KRL_FORMAT_VERSION)) != 0 ||
	    (r = jbuf_put_u64(krl, version)) != 0 ||
	    (r = jbuf_put_u64(krl, date)) != 0 ||
	    (r = jbuf_put_u64(krl, 0)) != 0 ||		/* flags */
	    (r = jbuf_put_string(krl, NULL, 0)) != 0 ||	/* reserved */
	    (r = jbuf_put_cstring(krl, comment != NULL ? comment : "")) != 0)
		goto out;
	for (i = 0; i < nserials; i = j) {
		for (j = i + 1; j < nserials && serials[j] == serials[j - 1] + 1;
		    j++)
			;
		if (j - i >= 3) {
			if ((r = jbuf_put_u64(ranges, serials[i])) != 0 ||
			    (r = jbuf_put_u64(ranges, serials[j - 1])) != 0)
				goto out;
		} else {
			for (; i < j; i++)
				if ((r = jbuf_put_u64(list, serials[i])) != 0)
					goto out;
		}
	}
	for (i = 0; i < nkey_ids; i++)
		if ((r = jbuf_put_cstring(ids, key_ids[i])) != 0)
			goto out;
	/* The same serials and ids under each CA key (serials are the CA's,
	 * whichever key signed). */
	for (i = 0; nserials + nkey_ids > 0 && i < ncas; i++) {
		jbuf_free(sect);
		jbuf_free(cab);
		if ((sect = jbuf_new()) == NULL || (cab = jbuf_new()) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
		if ((r = jkey_put_public(cas[i], cab)) != 0 ||
		    (r = jbuf_put_stringb(sect, cab)) != 0 ||
		    (r = jbuf_put_string(sect, NULL, 0)) != 0 ||	/* reserved */
		    (r = put_subsection(sect, KRL_CERT_SERIAL_LIST, list)) != 0 ||
		    (r = put_subsection(sect, KRL_CERT_SERIAL_RANGE, ranges)) != 0 ||
		    (r = put_subsection(sect, KRL_CERT_KEY_ID, ids)) != 0 ||
		    (r = jbuf_put_u8(krl, KRL_SECTION_CERTIFICATES)) != 0 ||
		    (r = jbuf_put_stringb(krl, sect)) != 0)
			goto out;
	}
	r = jbuf_putb(out, krl);
 out:
	jbuf_free(krl);
	jbuf_free(sect);
	jbuf_free(list);
	jbuf_free(ranges);
	jbuf_free(ids);
	jbuf_free(cab);
	return r;
}
