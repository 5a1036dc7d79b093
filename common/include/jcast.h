/*
 * jcast.h: playing an asciicast v2 recording (asciinema's format) in the
 * terminal: the output events, at their pace divided by speed, pauses
 * longer than 2 seconds shortened to 2 (as `asciinema play -i 2`).
 */
#ifndef JIT_JCAST_H
#define JIT_JCAST_H

#include <stdio.h>

/* 0, or JIT_ERR_INVALID_FORMAT for a line that is not asciicast v2. */
int jcast_play(FILE *in, FILE *out, double speed);

#endif /* JIT_JCAST_H */
