/*
 * or_ingest.h - reading event files into an event store builder: OTTO JSONL
 * (plain or .gz), CSV (session,aid,ts,type) and Parquet (lib/io/or_parquet.h),
 * format detected from content.
 *
 * Rules every reader enforces (documented for users in README.md):
 * - each session is one JSONL line / one contiguous block of CSV rows; a
 *   session id seen twice is an error;
 * - events of a session must be in non-decreasing time order: out-of-order
 *   input is rejected, not sorted, so that a damaged or mis-joined file is
 *   noticed rather than silently changed (sort CSV first with
 *   `sort -t, -k1,1n -k3,3n`);
 * - aid 0..2^31-1, session id >= 0, type clicks/carts/orders (CSV also
 *   0/1/2), ts in milliseconds in [0, 253402300799999] (year 9999);
 * - a line longer than max_line bytes is an error (default 1 MiB; a real OTTO
 *   session of 500 events is about 25 kB).
 * Every error names the file, the line and (where it helps) the column, and
 * what was expected.
 */
#ifndef OR_INGEST_H
#define OR_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

typedef enum or_format {
	OR_FORMAT_AUTO = 0,
	OR_FORMAT_JSONL,
	OR_FORMAT_CSV,
	OR_FORMAT_PARQUET
} or_format;

typedef enum or_ts_unit {
	OR_TS_AUTO = 0, /* JSONL: ms; CSV: seconds if the first ts < 1e11 */
	OR_TS_MS,
	OR_TS_S
} or_ts_unit;

#define OR_TS_MAX_MS 253402300799999LL

/* The auto rule of the readers whose file does not say its unit (CSV,
   Parquet without a TIMESTAMP type), from the first ts: seconds when it is
   in 0..1e11-1 (1e11 s is the year 5138, 1e11 ms is 1973), else ms. */
static inline or_ts_unit or_ts_unit_guess(int64_t first_ts)
{
	return first_ts >= 0 && first_ts < 100000000000LL ? OR_TS_S : OR_TS_MS;
}

typedef struct or_ingest_config {
	or_format format;
	or_ts_unit ts_unit;
	size_t max_line;
} or_ingest_config;

void or_ingest_config_default(or_ingest_config *cfg);

/* Append every session of the file at path ("-" = stdin) to b.  On error b
   may hold part of the file; the caller discards it. */
int or_ingest_file(or_store_builder *b, const char *path,
		   const or_ingest_config *cfg, const or_log *log, or_err *err);

/* Detect the format from the first bytes of (decompressed) content;
   OR_FORMAT_AUTO when it cannot tell. */
or_format or_ingest_detect(const char *head, size_t n);

const char *or_format_name(or_format f);

/* Events as columns, appended to (zero it first; or_evbuf_release frees). */
typedef struct or_evbuf {
	uint32_t *aid;
	int64_t *ts;
	uint8_t *type;
	size_t n, cap;
} or_evbuf;

void or_evbuf_release(or_evbuf *e);

/*
 * One OTTO JSONL session line [begin, end) in memory, by the JSONL
 * reader's rules (ts in milliseconds; unknown keys skipped; at least one
 * event): the session id into *session, its events appended to ev.
 * Errors are OR_EFORMAT "what:line:column: what was expected, found ..."
 * (OR_ENOMEM when ev cannot grow).  The events' order is not checked
 * (or_store_check_session does).  For `ottorec serve`'s request bodies.
 */
int or_ingest_jsonl_line(const char *begin, const char *end, const char *what, uint64_t line,
			 int64_t *session, or_evbuf *ev, or_err *err);

#endif
