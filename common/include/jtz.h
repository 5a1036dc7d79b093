/*
 * jtz.h: a time zone's offset from UTC at a given time, read from the
 * system's zoneinfo files (TZif, RFC 8536) without touching the process's
 * TZ: a report in one thread of the CA service must not change the clock
 * of the others.
 */
#ifndef JIT_JTZ_H
#define JIT_JTZ_H

#include <stdint.h>

struct jit_tz;

#define JIT_TZ_NAME_MAX	64

/*
 * Loads zone name ("UTC", "Europe/Berlin", "America/New_York") from
 * /usr/share/zoneinfo.  A name that is not like an IANA zone name (empty,
 * absolute, "..", other characters) is JIT_ERR_INVALID_ARGUMENT; a zone
 * with no file JIT_ERR_NOT_FOUND; a file that is not TZif
 * JIT_ERR_INVALID_FORMAT.
 */
int jit_tz_load(const char *name, struct jit_tz **tzp);

/*
 * Seconds east of UTC at t.  Past the file's last transition (2037 in
 * Debian's files) the last offset holds.
 */
long jit_tz_offset(const struct jit_tz *tz, uint64_t t);

const char *jit_tz_name(const struct jit_tz *tz);

void jit_tz_free(struct jit_tz *tz);

#endif /* JIT_JTZ_H */
