/* timefmt.h: times given on the command line. */
#ifndef JIT_CA_TIMEFMT_H
#define JIT_CA_TIMEFMT_H

#include <stdint.h>

/* RFC 3339 (Z or +hh:mm), a date, or a duration ago ("90m", "7d"). */
int ca_parse_time(const char *s, uint64_t now, uint64_t *out);
/* The same, but a duration counts from now into the future (lock --until). */
int ca_parse_until(const char *s, uint64_t now, uint64_t *out);

#endif /* JIT_CA_TIMEFMT_H */
