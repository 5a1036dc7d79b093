/*
 * jtext.h: text that reaches terminals, logs, JSON and spreadsheets.
 *
 * Text we accept from a client (a reason, a comment, a user name) must be
 * valid UTF-8 without control characters, so that nothing we print can move
 * a cursor, forge a log line or vanish from a JSON document.  Text we did
 * not accept ourselves (a log line's arguments, an old store record) is
 * escaped instead, so that no byte is ever dropped.
 */
#ifndef JTEXT_H
#define JTEXT_H

#include <stddef.h>

/*
 * 1 when the len bytes at s are well-formed UTF-8 (no overlong forms,
 * surrogates or code points past U+10FFFF) with no C0 control (a tab only
 * when allow_tab), no DEL and no C1 control (U+0080-U+009F); else 0.
 */
int jtext_valid(const char *s, size_t len, int allow_tab);

/*
 * Copies the len bytes at s to dst (dstlen bytes, always NUL-terminated
 * when dstlen > 0), with every byte that is not part of printable UTF-8
 * written as \xNN and a backslash as \\.  Returns the length the whole
 * escaped text needs (excluding the NUL), like snprintf: the output was
 * cut when that is >= dstlen, and then never in the middle of an escape or
 * a character.
 */
size_t jtext_escape(char *dst, size_t dstlen, const char *s, size_t len);

/* The same into a new string (NULL when out of memory). */
char *jtext_escape_dup(const char *s, size_t len);

#endif /* JTEXT_H */
