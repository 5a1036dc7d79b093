/*
 * textout.h: events and lists as JSON and CSV.  Text that is not clean
 * UTF-8 is escaped (\xNN), never dropped.
 */
#ifndef JIT_CA_TEXTOUT_H
#define JIT_CA_TEXTOUT_H

#include <stddef.h>
#include <stdio.h>

struct jstore_event;
struct json_t;

/* A JSON string of len bytes at s. */
struct json_t *ca_json_text(const char *s, size_t len);

/*
 * One CSV field and its separator (',' or, when last, '\n'): quoted,
 * quotes doubled, text that is not clean escaped, and a leading = + - @
 * tab or CR (a spreadsheet formula) defused with a '.
 */
void ca_csv_field(FILE *f, const char *s, int last);

/*
 * One table cell: s escaped to one clean line, "-" when empty, padded to
 * width and a space (width 0: the last column, no padding).
 */
void ca_table_cell(FILE *f, const char *s, int width);

/* A comma-separated list as a JSON array of strings (as ca_json_text). */
struct json_t *ca_json_list(const char *s);

/* An audit event as a JSON object with the contract's field names. */
struct json_t *ca_event_json(const struct jstore_event *ev);
/*
 * 1 for an approve or deny event, whose reason field holds the deciding
 * approver's comment ("comment" in JSON and CSV, not "reason").
 */
int ca_event_is_decision(const struct jstore_event *ev);

/* len bytes at p as lowercase hex into out (2 * len + 1 bytes). */
void ca_hex(const unsigned char *p, size_t len, char *out);

/* Writes the message into err (errlen bytes) and returns r: the
 * "JIT_ERR_* and why" of the functions that say why. */
int ca_errf(char *err, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* JIT_CA_TEXTOUT_H */
