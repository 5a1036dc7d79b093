/*
 * jsonl.h: the CA's JSON Lines as jit-ssh reads them (jsonl.c): pure
 * parsing, no I/O, so that it can be fuzzed (tests/fuzz/fuzz_jsonl.c).
 * What comes back points into a jansson object the caller releases with
 * js_json_free().  Fields the CA did not send, or sent with another type,
 * read as "" (strings) or 0 (numbers): never NULL.
 */
#ifndef JIT_JSONL_H
#define JIT_JSONL_H

#include <stddef.h>
#include <stdint.h>

/* A `login --json` line: the certificate, or the request to wait for. */
struct js_login_line {
	const char *certificate;	/* "" when none */
	const char *status;		/* "pending", "issued" or "" */
	const char *request_id, *role;
	int64_t resume_within;		/* seconds (pending) */
	void *json;			/* the object behind the strings */
};

/* 0, or -1 when text (len bytes, no newline) is not a JSON object. */
int js_login_line(const char *text, size_t len, struct js_login_line *l);

/* A `requests --json` line, as the review shows it. */
struct js_request_view {
	const char *request_id, *user, *role, *reason, *source;
	const char *fingerprint, *expires;
	const char *principals[16];	/* the first 16 */
	size_t nprincipals;
	int64_t ttl, quorum;
	size_t napprovers;
	int yours;			/* the reader's own request */
	void *json;
};

/*
 * 0 for a request the reader may decide, 1 for a line to skip (the
 * reader's own, or no request id), -1 when it is not a JSON object.
 */
int js_request_view(const char *text, size_t len, struct js_request_view *v);

/*
 * The host CA keys of a `ca-keys --json` answer (host_cas, else host_ca):
 * up to max lines, copied (caller frees each).  0 with *np >= 1, or -1.
 */
int js_ca_keys_host(const char *text, size_t len, char **lines, size_t max,
    size_t *np);

/* Releases what a parse above kept (NULL-safe). */
void js_json_free(void *json);

#endif /* JIT_JSONL_H */
