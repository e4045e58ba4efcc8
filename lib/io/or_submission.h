/*
 * or_submission.h - reading a submission CSV in the OTTO organiser's sense
 * (src/evaluate.py, prepare_predictions): this module owns the format's
 * rules and hands each row to a caller's function, keeping nothing.
 *
 *   session_type,labels
 *   42_clicks,1 2 3
 *   42_carts,
 *   42_orders,5
 *
 * The rules, as evaluate.py applies them:
 * - the first line is skipped, whatever it holds (evaluate.py reads
 *   readlines()[1:]); when it looks like a prediction row the stats say so,
 *   for the caller to warn that a row was lost;
 * - each line is stripped of surrounding whitespace (so CRLF is fine), then
 *   must be SESSION_TYPE,PREDS with exactly one ',' and SESSION_TYPE exactly
 *   one '_';
 * - PREDS empty is no prediction; otherwise integers separated by single
 *   spaces (all are checked, as int() does; the caller gets all of them,
 *   or as many as it asks to keep).
 * Stricter than evaluate.py (each of these is a malformed line here, where
 * Python would silently accept or ignore it): a type other than clicks,
 * carts or orders; a session id that is not [+-]digits within int64 or an aid
 * that is not [+-]digits (Python's int() also takes surrounding tabs and
 * '_' between digits).  Aids too large for int64 are kept as -1, which
 * matches no label (an aid that large cannot be a label).  Blank lines are
 * skipped (evaluate.py would stop with a ValueError).
 */
#ifndef OR_SUBMISSION_H
#define OR_SUBMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

typedef struct or_sub_row {
	int64_t session;
	unsigned type;        /* OR_CLICKS, OR_CARTS, OR_ORDERS */
	size_t n;             /* aids on the line */
	size_t n_kept;        /* min(n, keep) entries in aids */
	const int64_t *aids;  /* valid during the call only */
	uint64_t line;        /* 1-based line number */
} or_sub_row;

/* Called once per row, in file order; a non-zero return stops the read and
   is returned (with err filled by the function). */
typedef int (*or_sub_row_fn)(void *ctx, const or_sub_row *row, or_err *err);

typedef struct or_submission_config {
	int lenient;    /* 1: skip malformed lines and count them, not fail */
	size_t keep;    /* aids handed over per row (default 20; 0 = all) */
	size_t max_line; /* longest line in bytes (default 1 MiB) */
} or_submission_config;

void or_submission_config_default(or_submission_config *cfg);

typedef struct or_submission_stats {
	uint64_t lines;          /* lines read, header included */
	uint64_t rows;           /* rows handed to the function */
	uint64_t blank;          /* blank lines skipped */
	uint64_t malformed;      /* lines skipped in lenient mode */
	int header_is_row;       /* the skipped first line parses as a row */
	uint64_t first_malformed_line;
	char first_malformed[256]; /* its message (lenient mode) */
} or_submission_stats;

/*
 * Read the submission at path (plain or gzip; "-" = stdin) and call fn for
 * each row.  A malformed line is an error "path:line:col: what" unless
 * cfg->lenient.  stats may be NULL; cfg NULL means the defaults.
 */
int or_submission_read(const char *path, const or_submission_config *cfg,
		       or_sub_row_fn fn, void *ctx, or_submission_stats *stats,
		       const or_log *log, or_err *err);

/* Parse one line (without its '\n') as a row; for tests and tools.  aids
   must have room for keep entries (keep >= 1).  OR_EFORMAT with the message
   "col N: what" when malformed. */
int or_submission_parse_line(const char *s, size_t len, int64_t *aids,
			     size_t keep, or_sub_row *row, or_err *err);

#endif
