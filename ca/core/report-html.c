/*
 * report-html.c: the access review as one self-contained page: no
 * script, no external resource, inline SVG charts, printable on A4.  The
 * page is also well-formed XML (void elements closed, only the five XML
 * entities), so both an HTML5 parser and an XML parser can judge it.
 * Everything shown comes from the model (report.c), plus the events the
 * findings cite, read back from the log for the evidence table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "jtext.h"
#include "report.h"

#define EVIDENCE_MAX	1000
#define BARS_MAX	92

static const char *const palette[] = { "#4e79a7", "#f28e2b", "#59a14f",
    "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#e15759",
    "#bab0ac", "#1f77b4", "#8c564b" };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* Text as HTML: the five XML entities; control bytes as U+FFFD. */
static void
esc(FILE *f, const char *s)
{
	char *clean = NULL;

	if (s == NULL)
		return;
	if (!jtext_valid(s, strlen(s), 0) &&
	    (clean = jtext_escape_dup(s, strlen(s))) != NULL)
		s = clean;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc(*s, f);
		}
	}
	free(clean);
}

/* Short names for the model's reads in this file. */
#define str	ca_report_str
#define num	ca_report_num
static const char *const css =
"@page { size: A4; margin: 14mm 12mm; }\n"
"* { box-sizing: border-box; }\n"
"body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif;"
" color: #1d2733; margin: 0 auto; max-width: 186mm; padding: 8mm 0;"
" font-size: 10pt; line-height: 1.4; -webkit-print-color-adjust: exact;"
" print-color-adjust: exact; }\n"
"header { border-bottom: 3px solid #1d3557; padding-bottom: 4mm;"
" margin-bottom: 5mm; }\n"
"h1 { font-size: 20pt; margin: 0 0 1mm; color: #1d3557; }\n"
"h2 { font-size: 13pt; margin: 7mm 0 2mm; color: #1d3557;"
" border-bottom: 1px solid #d5dbe3; padding-bottom: 1mm; }\n"
".sub { color: #5a6675; font-size: 9pt; margin: 0; }\n"
".verdict { border-radius: 4px; padding: 4mm 5mm; margin: 0 0 5mm;"
" font-size: 14pt; font-weight: bold; color: #fff; }\n"
".verdict small { display: block; font-size: 9.5pt; font-weight: normal;"
" margin-top: 1mm; }\n"
".v-high { background: #b3261e; } .v-medium { background: #c77700; }\n"
".v-low { background: #2e6b3f; } .v-none { background: #2e6b3f; }\n"
".cards { display: grid; grid-template-columns: repeat(4, 1fr);"
" gap: 2.5mm; }\n"
".card { border: 1px solid #d5dbe3; border-radius: 4px; padding: 2mm 3mm;"
" background: #f7f9fb; }\n"
".card b { display: block; font-size: 15pt; color: #1d3557; }\n"
".card span { font-size: 8.5pt; color: #5a6675; }\n"
".chart { break-inside: avoid; margin: 2mm 0 4mm; }\n"
".chart svg { width: 100%; height: auto; display: block; }\n"
".chart p { margin: 1mm 0 0; font-size: 8.5pt; color: #5a6675; }\n"
"table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }\n"
"th { text-align: left; background: #1d3557; color: #fff;"
" padding: 1.5mm 2mm; }\n"
"td { border-bottom: 1px solid #e3e8ee; padding: 1.2mm 2mm;"
" vertical-align: top; }\n"
"tr { break-inside: avoid; }\n"
"td.k { white-space: nowrap; }\n"
".sev { display: inline-block; border-radius: 3px; padding: 0 1.5mm;"
" color: #fff; font-weight: bold; font-size: 8pt; }\n"
".sev-high { background: #b3261e; } .sev-medium { background: #c77700; }\n"
".sev-low { background: #5a6675; }\n"
"a { color: #1d5fa8; text-decoration: none; }\n"
"code { font-family: 'DejaVu Sans Mono', monospace; font-size: 8pt; }\n"
".cards + p { margin-top: 2mm; }\n"
"footer { margin-top: 6mm; border-top: 1px solid #d5dbe3;"
" padding-top: 2mm; font-size: 8pt; color: #5a6675; }\n"
".none { color: #2e6b3f; font-weight: bold; }\n";

static void
card(FILE *f, const char *value, const char *label)
{
	fprintf(f, "<div class=\"card\"><b>");
	esc(f, value);
	fprintf(f, "</b><span>");
	esc(f, label);
	fprintf(f, "</span></div>\n");
}

static void
card_n(FILE *f, unsigned long long v, const char *label)
{
	char b[32];

	snprintf(b, sizeof(b), "%llu", v);
	card(f, b, label);
}

static void
card_dur(FILE *f, const json_t *h, const char *label)
{
	char a[32], b[32], c[32];

	if (!ca_report_durations(h, a, b, c)) {
		card(f, "\xe2\x80\x94", label);
		return;
	}
	fprintf(f, "<div class=\"card\"><b>");
	esc(f, a);
	fprintf(f, "</b><span>");
	esc(f, label);
	fprintf(f, " (median)<br/>p90 %s &#183; max %s</span></div>\n", b, c);
}

/* A round axis top at or above max: 4, or 5, 10, 20, 50, 100, ... */
static unsigned long long
nice_top(unsigned long long max)
{
	unsigned long long p = 10;

	if (max <= 4)
		return 4;
	if (max <= 5)
		return 5;
	for (;;) {
		if (max <= p)
			return p;
		if (max <= 2 * p)
			return 2 * p;
		if (max <= 5 * p)
			return 5 * p;
		p *= 10;
	}
}

static void
y_axis(FILE *f, int x0, int y0, int w, int h, unsigned long long top)
{
	int i, n = top == 4 ? 4 : 5;	/* whole numbers at every line */

	for (i = 0; i <= n; i++) {
		int y = y0 + h - h * i / n;

		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#e3e8ee\" stroke-width=\"1\"/>\n", x0, y, x0 + w, y);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
		    "text-anchor=\"end\" fill=\"#5a6675\">%llu</text>\n", x0 - 4,
		    y + 3, top * (unsigned long long)i / (unsigned long long)n);
	}
}

/* Issuances per day (or per group of days), stacked by role. */
static void
chart_days(FILE *f, const json_t *m)
{
	const json_t *pd = json_object_get(m, "issuances_per_day");
	const json_t *roles = json_object_get(pd, "roles");
	const json_t *days = json_object_get(pd, "days");
	size_t nd = json_array_size(days), nr = json_array_size(roles);
	size_t per = (nd + BARS_MAX - 1) / BARS_MAX, nb, b, d, r;
	unsigned long long *tot, max = 0, top;
	const int X0 = 44, Y0 = 10, W = 630, H = 170;
	double bw;

	if (per == 0)
		per = 1;
	nb = (nd + per - 1) / per;
	if ((tot = calloc(nb + 1, sizeof(*tot))) == NULL)
		return;
	for (d = 0; d < nd; d++)
		for (r = 0; r < nr; r++)
			tot[d / per] += (unsigned long long)json_integer_value(
			    json_array_get(json_object_get(json_array_get(days,
			    d), "counts"), r));
	for (b = 0; b < nb; b++)
		if (tot[b] > max)
			max = tot[b];
	top = nice_top(max);
	fprintf(f, "<div class=\"chart\" id=\"chart-days\">\n<svg "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 700 232\" "
	    "role=\"img\" aria-label=\"Certificates issued per day, by "
	    "role\">\n");
	y_axis(f, X0, Y0, W, H, top);
	bw = (double)W / (double)(nb > 0 ? nb : 1);
	for (b = 0; b < nb; b++) {
		double y = Y0 + H;

		for (r = 0; r < nr; r++) {
			unsigned long long v = 0;
			double hh;

			for (d = b * per; d < (b + 1) * per && d < nd; d++)
				v += (unsigned long long)json_integer_value(
				    json_array_get(json_object_get(
				    json_array_get(days, d), "counts"), r));
			if (v == 0)
				continue;
			hh = (double)H * (double)v / (double)top;
			y -= hh;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"><title>", X0 + (double)b * bw +
			    bw * 0.1, y, bw * 0.8, hh, palette[r % NPALETTE]);
			esc(f, str(json_array_get(days, b * per), "day"));
			fprintf(f, " ");
			esc(f, json_string_value(json_array_get(roles, r)));
			fprintf(f, ": %llu</title></rect>\n", v);
		}
	}
	/* Dates under the first, middle and last bar. */
	for (b = 0; b < nb; b += (nb > 2 ? (nb - 1) / 2 : 1)) {
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
		    "text-anchor=\"%s\" fill=\"#5a6675\">", X0 + (double)b * bw + bw / 2,
		    Y0 + H + 14, b == 0 ? "start" : b + 1 >= nb ? "end" :
		    "middle");
		esc(f, str(json_array_get(days, b * per), "day"));
		fprintf(f, "</text>\n");
		if (nb <= 1)
			break;
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#1d2733\" stroke-width=\"1\"/>\n", X0, Y0 + H, X0 + W,
	    Y0 + H);
	for (r = 0; r < nr; r++) {
		int x = X0 + (int)(r % 6) * 105, y = Y0 + H + 32 +
		    (int)(r / 6) * 16;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
		    "fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" "
		    "fill=\"#1d2733\">", x, y - 9, palette[r % NPALETTE], x + 14,
		    y);
		esc(f, json_string_value(json_array_get(roles, r)));
		fprintf(f, "</text>\n");
	}
	if (nr == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
		    "fill=\"#5a6675\">no certificates issued in the "
		    "period</text>\n", X0 + 20, Y0 + H / 2);
	fprintf(f, "</svg>\n<p>Certificates issued per %s, stacked by role "
	    "(days in %s).</p>\n</div>\n", per == 1 ? "day" : "bar of several "
	    "days", str(json_object_get(m, "period"), "timezone"));
	free(tot);
}

/* Hour of week: a 7 x 24 grid; business hours outlined. */
static void
chart_heat(FILE *f, const json_t *m)
{
	static const char *const shade[] = { "#eef2f6", "#c6dbef", "#9ecae1",
	    "#6baed6", "#3182bd", "#08519c" };
	const json_t *hm = json_object_get(m, "access_by_hour");
	const json_t *counts = json_object_get(hm, "counts");
	const json_t *biz = json_object_get(hm, "business");
	unsigned long long max = 0, v;
	const int X0 = 44, Y0 = 18, CW = 26, CH = 22;
	size_t d, h;

	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++) {
			v = (unsigned long long)json_integer_value(json_array_get(
			    json_array_get(counts, d), h));
			if (v > max)
				max = v;
		}
	fprintf(f, "<div class=\"chart\" id=\"chart-heat\">\n<svg "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 700 215\" "
	    "role=\"img\" aria-label=\"Access by hour of the week\">\n");
	for (h = 0; h < 24; h += 3)
		fprintf(f, "<text x=\"%zu\" y=\"%d\" font-size=\"10\" "
		    "fill=\"#5a6675\">%02zu:00</text>\n", X0 + h * CW, Y0 - 6, h);
	for (d = 0; d < 7; d++) {
		fprintf(f, "<text x=\"%d\" y=\"%zu\" font-size=\"10\" "
		    "text-anchor=\"end\" fill=\"#1d2733\">", X0 - 6,
		    Y0 + d * CH + 15);
		esc(f, json_string_value(json_array_get(json_object_get(hm,
		    "days"), d)));
		fprintf(f, "</text>\n");
		for (h = 0; h < 24; h++) {
			size_t lvl;

			v = (unsigned long long)json_integer_value(json_array_get(
			    json_array_get(counts, d), h));
			lvl = v == 0 || max == 0 ? 0 : 1 + (size_t)((v * 5 - 1) /
			    max);
			if (lvl > 5)
				lvl = 5;
			fprintf(f, "<rect x=\"%zu\" y=\"%zu\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\" stroke=\"#fff\" "
			    "stroke-width=\"1\"><title>", X0 + h * CW,
			    Y0 + d * CH, CW, CH, shade[lvl]);
			esc(f, json_string_value(json_array_get(json_object_get(
			    hm, "days"), d)));
			fprintf(f, " %02zu:00: %llu</title></rect>\n", h, v);
		}
	}
	/* Business hours on top, so the outline is not covered. */
	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++)
			if (json_is_true(json_array_get(json_array_get(biz, d), h)))
				fprintf(f, "<rect x=\"%zu\" y=\"%zu\" width=\"%d\" "
				    "height=\"%d\" fill=\"none\" stroke=\"#2e7d32\" "
				    "stroke-width=\"2\"/>\n", X0 + h * CW + 1,
				    Y0 + d * CH + 1, CW - 2, CH - 2);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" "
	    "fill=\"none\" stroke=\"#2e7d32\" stroke-width=\"2\"/><text "
	    "x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#1d2733\">business "
	    "hours</text>\n", X0, Y0 + 7 * CH + 12, X0 + 18, Y0 + 7 * CH + 21);
	for (d = 0; d < 6; d++)
		fprintf(f, "<rect x=\"%zu\" y=\"%d\" width=\"18\" height=\"10\" "
		    "fill=\"%s\"/>\n", X0 + 130 + d * 20, Y0 + 7 * CH + 12,
		    shade[d]);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#1d2733\">"
	    "0 .. %llu certificates</text>\n", X0 + 130 + 6 * 20 + 6,
	    Y0 + 7 * CH + 21, max);
	fprintf(f, "</svg>\n<p>When certificates were issued: hour of the "
	    "week in ");
	esc(f, str(json_object_get(m, "period"), "timezone"));
	fprintf(f, ", darker is more.</p>\n</div>\n");
}

/* Approval latency: how long requests waited for their approval. */
static void
chart_latency(FILE *f, const json_t *m)
{
	const json_t *hs = json_object_get(m, "approval_latency_histogram"), *b;
	const int X0 = 44, Y0 = 10, W = 630, H = 160;
	unsigned long long max = 0, top;
	size_t n = json_array_size(hs), i;
	double bw = (double)W / (double)(n > 0 ? n : 1);

	json_array_foreach(hs, i, b)
		if (num(b, "count") > max)
			max = num(b, "count");
	top = nice_top(max);
	fprintf(f, "<div class=\"chart\" id=\"chart-latency\">\n<svg "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 700 215\" "
	    "role=\"img\" aria-label=\"Approval latency\">\n");
	y_axis(f, X0, Y0, W, H, top);
	json_array_foreach(hs, i, b) {
		unsigned long long v = num(b, "count");
		double hh = (double)H * (double)v / (double)top;
		const char *fill = json_is_true(json_object_get(b,
		    "under_min_review")) ? "#e15759" : "#4e79a7";

		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"%s\"><title>", X0 + (double)i * bw + bw * 0.12,
		    Y0 + H - hh, bw * 0.76, hh, fill);
		esc(f, str(b, "label"));
		fprintf(f, ": %llu</title></rect>\n", v);
		if (v > 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
			    "text-anchor=\"middle\" fill=\"#1d2733\">%llu</text>\n",
			    X0 + (double)i * bw + bw / 2, Y0 + H - hh - 3, v);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
		    "text-anchor=\"middle\" fill=\"#5a6675\">", X0 + (double)i * bw +
		    bw / 2, Y0 + H + 14);
		esc(f, str(b, "label"));
		fprintf(f, "</text>\n");
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#1d2733\" stroke-width=\"1\"/>\n", X0, Y0 + H, X0 + W,
	    Y0 + H);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
	    "fill=\"#e15759\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" "
	    "fill=\"#1d2733\">quicker than review.min_review (%llus)</text>\n",
	    X0, Y0 + H + 26, X0 + 14, Y0 + H + 35,
	    num(json_object_get(m, "review"), "min_review"));
	if (max == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
		    "fill=\"#5a6675\">no approved requests in the "
		    "period</text>\n", X0 + 20, Y0 + H / 2);
	fprintf(f, "</svg>\n<p>Time from a request to its approval.</p>\n"
	    "</div>\n");
}

static void
name_cell(FILE *f, const json_t *a)
{
	size_t i;
	json_t *v;

	fprintf(f, "<td>");
	json_array_foreach(a, i, v) {
		if (i > 0)
			fprintf(f, ", ");
		esc(f, json_string_value(v));
	}
	fprintf(f, "</td>");
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
evidence_row(const struct jstore_event *ev, void *arg)
{
	FILE *f = arg;
	char t[32], serial[24];
	const char *cells[9];
	size_t i;

	jit_format_time(ev->time, t, sizeof(t));
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)ev->serial);
	cells[0] = t;
	cells[1] = ev->event;
	cells[2] = ev->user;
	cells[3] = ev->role;
	cells[4] = ev->serial != 0 ? serial : "";
	cells[5] = ev->request_id;
	cells[6] = ev->approvers;
	cells[7] = ev->source;
	cells[8] = ev->reason;
	fprintf(f, "<tr id=\"e-%llu\"><td>%llu</td>",
	    (unsigned long long)ev->seq, (unsigned long long)ev->seq);
	for (i = 0; i < 9; i++) {
		fprintf(f, "<td>");
		esc(f, cells[i]);
		fprintf(f, "</td>");
	}
	fprintf(f, "</tr>\n");
	return 0;
}

/* The cited events, read back from the log: what each link points at. */
static int
evidence(FILE *f, struct jstore *st, const json_t *fl)
{
	uint64_t *seqs, last;
	size_t n = 0, i, j, k;
	json_t *x, *s;
	int r = 0;

	if ((seqs = calloc(EVIDENCE_MAX, sizeof(*seqs))) == NULL)
		return JIT_ERR_ALLOC;
	json_array_foreach(fl, i, x)
		json_array_foreach(json_object_get(x, "seqs"), j, s)
			if (n < EVIDENCE_MAX)
				seqs[n++] = (uint64_t)json_integer_value(s);
	qsort(seqs, n, sizeof(*seqs), cmp_u64);
	fprintf(f, "<h2 id=\"evidence\">Evidence</h2>\n<table>\n<thead><tr>"
	    "<th>Seq</th><th>Time (UTC)</th><th>Event</th><th>User</th>"
	    "<th>Role</th><th>Serial</th><th>Request</th><th>By</th>"
	    "<th>Source</th><th>Reason</th></tr></thead>\n<tbody>\n");
	for (k = 0; k < n && r == 0; k++)
		if (k == 0 || seqs[k] != seqs[k - 1])
			r = jstore_events_after(st, seqs[k] - 1, 1, evidence_row,
			    f, &last);
	fprintf(f, "</tbody>\n</table>\n");
	if (n == 0)
		fprintf(f, "<p>No finding cites an event.</p>\n");
	free(seqs);
	return r;
}

static void
html_top(FILE *f, const json_t *m)
{
	const json_t *period = json_object_get(m, "period");
	const json_t *log = json_object_get(m, "log");
	const json_t *v = json_object_get(m, "verdict");
	const char *cls;

	cls = num(v, "high") > 0 ? "v-high" : num(v, "medium") > 0 ?
	    "v-medium" : num(v, "low") > 0 ? "v-low" : "v-none";
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n<title>Access review ");
	esc(f, str(period, "since"));
	fprintf(f, " to ");
	esc(f, str(period, "until"));
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	fprintf(f, "<header>\n<h1>Access review</h1>\n<p class=\"sub\">jit-ssh "
	    "certificate authority &#183; ");
	esc(f, str(period, "since"));
	fprintf(f, " to ");
	esc(f, str(period, "until"));
	fprintf(f, " &#183; %llu events (seq %llu to %llu, last hash <code>",
	    num(log, "events"), num(log, "first_seq"), num(log, "last_seq"));
	esc(f, str(log, "last_hash"));
	fprintf(f, "</code>)</p>\n</header>\n");
	fprintf(f, "<div class=\"verdict %s\" id=\"verdict\">", cls);
	esc(f, str(v, "text"));
	fprintf(f, "<small>%llu high, %llu medium, %llu low severity findings"
	    "</small></div>\n", num(v, "high"), num(v, "medium"),
	    num(v, "low"));
}

static void
html_summary(FILE *f, const json_t *s)
{
	const char *key;
	json_t *x;
	size_t i = 0;

	fprintf(f, "<h2>Summary</h2>\n<div class=\"cards\">\n");
	card_n(f, num(s, "requests"), "requests");
	card_n(f, num(s, "approvals"), "approvals");
	card_n(f, num(s, "denials"), "denials");
	card_n(f, num(s, "expiries"), "requests expired");
	card_n(f, num(s, "issuances"), "certificates issued");
	card_n(f, num(s, "revocations"), "revocations");
	card_n(f, num(s, "break_glass"), "break-glass uses");
	card_n(f, num(s, "sessions"), "recorded sessions");
	card_dur(f, json_object_get(s, "approval_latency"), "approval latency");
	card_dur(f, json_object_get(s, "time_to_first_use"),
	    "time to first use");
	card_n(f, num(s, "auth_failures"), "authentication failures");
	card_n(f, num(s, "lockouts"), "lockouts");
	fprintf(f, "</div>\n<p class=\"sub\">Issued per role: ");
	json_object_foreach((json_t *)json_object_get(s, "issuances_per_role"),
	    key, x) {
		fprintf(f, "%s", i++ > 0 ? ", " : "");
		esc(f, key);
		fprintf(f, " %lld", (long long)json_integer_value(x));
	}
	fprintf(f, "%s</p>\n", i == 0 ? "none" : "");
}

static void
html_finding(FILE *f, const json_t *x)
{
	const json_t *who = json_object_get(x, "users"), *q;
	size_t j;

	if (json_array_size(who) == 0)
		who = json_object_get(x, "addresses");
	fprintf(f, "<tr class=\"finding\" data-kind=\"");
	esc(f, str(x, "kind"));
	fprintf(f, "\"><td class=\"k\"><span class=\"sev sev-");
	esc(f, str(x, "severity"));
	fprintf(f, "\">");
	esc(f, str(x, "severity"));
	fprintf(f, "</span></td><td class=\"k\">");
	esc(f, str(x, "kind"));
	fprintf(f, "</td>");
	name_cell(f, who);
	name_cell(f, json_object_get(x, "roles"));
	fprintf(f, "<td>");
	esc(f, str(x, "detail"));
	if (json_array_size(json_object_get(x, "requests")) > 0) {
		fprintf(f, " (requests ");
		json_array_foreach(json_object_get(x, "requests"), j, q) {
			fprintf(f, "%s", j > 0 ? ", " : "");
			esc(f, json_string_value(q));
		}
		fprintf(f, ")");
	}
	fprintf(f, "</td><td>");
	json_array_foreach(json_object_get(x, "seqs"), j, q)
		fprintf(f, "%s<a href=\"#e-%lld\">%lld</a>", j > 0 ? " " : "",
		    (long long)json_integer_value(q),
		    (long long)json_integer_value(q));
	fprintf(f, "</td></tr>\n");
}

static void
html_findings(FILE *f, const json_t *m)
{
	const json_t *fl = json_object_get(m, "findings"), *x;
	const char *key;
	size_t i;

	fprintf(f, "<h2>Findings</h2>\n");
	if (json_array_size(fl) == 0)
		fprintf(f, "<p class=\"none\">No findings.</p>\n");
	else {
		fprintf(f, "<table id=\"findings\">\n<thead><tr><th>Severity"
		    "</th><th>Kind</th><th>Who</th><th>Role</th><th>Finding</th>"
		    "<th>Evidence (seq)</th></tr></thead>\n<tbody>\n");
		json_array_foreach(fl, i, x)
			html_finding(f, x);
		fprintf(f, "</tbody>\n</table>\n");
	}
	if (json_object_size(json_object_get(m, "left_out")) > 0) {
		fprintf(f, "<p class=\"sub\">Left out by review.exclude:");
		json_object_foreach((json_t *)json_object_get(m, "left_out"), key,
		    x) {
			fprintf(f, " ");
			esc(f, key);
			fprintf(f, " %lld", (long long)json_integer_value(x));
		}
		fprintf(f, "</p>\n");
	}
}

int
ca_report_html(struct jstore *st, const json_t *m, FILE *f)
{
	const json_t *rv = json_object_get(m, "review"), *x;
	size_t i;

	html_top(f, m);
	html_summary(f, json_object_get(m, "summary"));
	html_findings(f, m);
	fprintf(f, "<h2>Certificates issued per day</h2>\n");
	chart_days(f, m);
	fprintf(f, "<h2>Access by hour of the week</h2>\n");
	chart_heat(f, m);
	fprintf(f, "<h2>Approval latency</h2>\n");
	chart_latency(f, m);
	if (evidence(f, st, json_object_get(m, "findings")) != 0)
		return JIT_ERR_STORE;
	fprintf(f, "<footer>Business hours: ");
	json_array_foreach(json_object_get(rv, "business_hours"), i, x) {
		fprintf(f, "%s", i > 0 ? ", " : "");
		esc(f, json_string_value(x));
	}
	fprintf(f, " (");
	esc(f, str(rv, "timezone"));
	fprintf(f, "); min_review %llus; standing_after %llus; krl_refresh "
	    "%llus. Every finding cites events of the hash-chained log: check "
	    "them with <code>jit-ssh-ca audit</code>, and the chain with "
	    "<code>jit-ssh-ca audit verify</code>. This run is recorded as a "
	    "<code>report</code> event with the SHA-256 of the same report "
	    "as <code>--format json</code>.</footer>\n</body>\n</html>\n",
	    num(rv, "min_review"), num(rv, "standing_after"),
	    num(rv, "krl_refresh"));
	return 0;
}
