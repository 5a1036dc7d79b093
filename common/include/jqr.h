/*
 * jqr.h: a QR code on a terminal (libqrencode): two modules per character
 * cell, dark on light, with a quiet zone, so phones read it from a dark or
 * a light terminal.
 */
#ifndef JIT_JQR_H
#define JIT_JQR_H

#include <stdio.h>

void jit_qr_print(FILE *f, const char *text);

#endif /* JIT_JQR_H */
