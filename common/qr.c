/*
 * qr.c: a QR code on a terminal (jqr.h).
 */
#include <stdio.h>

#include <qrencode.h>

#include "jqr.h"

void
jit_qr_print(FILE *f, const char *text)
{
	QRcode *qr;
	int x, y, w, q = 2;

	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return;
	w = qr->width;
	for (y = -q; y < w + q; y += 2) {
		for (x = -q; x < w + q; x++) {
			int top = y >= 0 && y < w && x >= 0 && x < w &&
			    (qr->data[y * w + x] & 1);
			int bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
			    (qr->data[(y + 1) * w + x] & 1);

			/* Light background: print light where modules are light. */
			fputs(top && bot ? " " : top ? "\u2584" : bot ? "\u2580" :
			    "\u2588", f);
		}
		fputc('\n', f);
	}
	QRcode_free(qr);
}
