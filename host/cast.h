/*
 * cast.h: writing asciicast v2 (asciinema's format): a JSON header line,
 * then one JSON array per event, [seconds, "o" | "i" | "r", "data"].
 * Terminal output is bytes, JSON wants UTF-8: a sequence split between
 * two reads is carried to the next one, invalid bytes become U+FFFD (as
 * asciinema does).  Events are gathered in memory and written by
 * cast_flush() (the recorder calls it at least every second).
 */
#ifndef JIT_HOST_CAST_H
#define JIT_HOST_CAST_H

#include <stddef.h>
#include <stdint.h>

struct jbuf;

struct cast_stream {
	unsigned char carry[4];	/* an incomplete UTF-8 sequence */
	size_t ncarry;
};

struct cast {
	int fd;			/* -1: not recording (fail_open) */
	struct jbuf *buf;	/* events not yet written */
	uint64_t start_us;	/* monotonic */
	struct cast_stream out, in;
	int failed;		/* a write failed: errno kept in err */
	int err;
};

#define CAST_FLUSH_AT	(64 * 1024)

int cast_open(struct cast *c, int fd);
/* The header: a JSON object as text (no newline). */
int cast_header(struct cast *c, const char *json);
/* An event of type 'o', 'i' (data) or 'r' ("COLSxROWS"). */
int cast_event(struct cast *c, char type, const void *data, size_t len);
/* Writes what is gathered; 0 or -1 (errno). */
int cast_flush(struct cast *c);
void cast_close(struct cast *c);

/* JSON string contents for data (UTF-8 checked, carry kept in st). */
int cast_escape(struct jbuf *b, struct cast_stream *st,
    const unsigned char *p, size_t len);

#endif /* JIT_HOST_CAST_H */
