/*
 * serve_request.h - `ottorec serve`'s request bodies: one or several OTTO
 * JSONL session lines (lib/io's JSONL rules and messages, or_ingest.h)
 * into the columns of an in-memory event store (or_store_from_columns),
 * within configurable limits; and the answer lines.  Owns the limits'
 * rules and the wording of the answers; kept apart from the HTTP code so
 * that it is fuzzed on its own (tests/fuzz/fuzz_serve_request.c).
 */
#ifndef OR_SERVE_REQUEST_H
#define OR_SERVE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_ingest.h"
#include "or_store.h"

typedef struct serve_limits {
	size_t max_body;     /* bytes of a request body (checked by the HTTP side) */
	size_t max_sessions; /* session lines per request */
	size_t max_events;   /* events per session */
} serve_limits;

void serve_limits_default(serve_limits *l); /* 1 MiB, 1000, 10000 */

/* One request's sessions, reusable (zero it first; serve_batch_release). */
typedef struct serve_batch {
	or_evbuf ev;          /* every session's events, one after another */
	int64_t *sid;
	uint64_t *off;        /* ns + 1 */
	size_t ns, cap_s;
	uint32_t *items;      /* the distinct aids, increasing */
	size_t n_items, cap_items;
} serve_batch;

void serve_batch_release(serve_batch *b);

/*
 * Parse body[0, len) into b (replacing what it held): each non-blank line
 * one session; blank lines skipped; at least one session.  Errors are
 * OR_EFORMAT with a message naming the line and column ("request:2:17:
 * ..."): malformed JSON, unknown type, a session without events, events
 * out of time order, more than max_sessions lines or max_events events in
 * a session (naming the limit and its option); OR_ENOMEM.  Nothing is
 * allocated per event beyond b's arrays.
 */
int serve_batch_parse(serve_batch *b, const char *body, size_t len, const serve_limits *lim,
		      or_err *err);

/* The batch as a store over its columns (free with or_store_free before
   the batch changes). */
int serve_batch_store(serve_batch *b, or_store **out, or_err *err);

/*
 * The answer of session i: {"session":ID,"clicks":[..],"carts":[..],
 * "orders":[..]} and a newline, from rows[t] + i * k (-1 entries left
 * out), written at buf + *len growing buf (*cap) as needed.  -1 when out
 * of memory, else 0.
 */
int serve_answer_line(char **buf, size_t *len, size_t *cap, int64_t session,
		      int64_t *const rows[3], size_t i, size_t k);

/* {"error":"<msg, JSON-escaped>"} and a newline into a malloc'd string
   (NULL when out of memory). */
char *serve_error_json(const char *msg);

#endif
