/*
 * report.h: the access review (jit-ssh-ca report, and `report` over SSH
 * for auditors).  One walk of the period's events through the store's
 * time index builds the report as one JSON document (the model); text and
 * HTML are drawn from it, so the three say the same.  Memory depends on
 * the names, the certificates live at one time and the findings kept, not
 * on the number of events.  Each run is itself recorded: a "report" event
 * with the period and the SHA-256 of the JSON, which a second run over the
 * same (past) period reproduces.
 */
#ifndef JIT_CA_REPORT_H
#define JIT_CA_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jit_args;
struct jpolicy;
struct jstore;
struct json_t;

enum { CA_REPORT_TEXT, CA_REPORT_JSON, CA_REPORT_HTML };

struct ca_report_opts {
	uint64_t since, until;	/* the period, inclusive */
	int format;		/* CA_REPORT_* */
	const char *by;		/* who runs it (a user), or NULL offline */
	const char *source;	/* their address, or "offline" */
};

/* --since (default 30d), --until (default now), --format: 0, or -1 with err. */
int ca_report_args(const struct jit_args *a, uint64_t now,
    struct ca_report_opts *o, char *err, size_t errlen);

/*
 * Walks the period and builds the model (*modelp, a JSON object the caller
 * json_decref()s).  A JIT_ERR_* on a store error.
 */
int ca_report_build(struct jstore *st, const struct jpolicy *p,
    const struct ca_report_opts *o, struct json_t **modelp);

/*
 * Builds the report, writes it to out in o->format and records the run
 * (the "report" event).  0, or a JIT_ERR_*; *whatp names the step that
 * failed.
 */
int ca_report_run(struct jstore *st, const struct jpolicy *p,
    const struct ca_report_opts *o, FILE *out, const char **whatp);

/* A string (or "") and a number (or 0) of the model: the renderers' reads. */
const char *ca_report_str(const struct json_t *o, const char *key);
unsigned long long ca_report_num(const struct json_t *o, const char *key);
/* A summary figure's median, p90 and max as durations: 0 when it has none. */
int ca_report_durations(const struct json_t *h, char med[32], char p90[32],
    char max[32]);

/* The renderers (report-out.c, report-html.c). */
int ca_report_text(const struct json_t *m, FILE *out);
int ca_report_html(struct jstore *st, const struct json_t *m, FILE *out);

#endif /* JIT_CA_REPORT_H */
