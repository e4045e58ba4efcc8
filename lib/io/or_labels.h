/*
 * or_labels.h - ground truth of a local test set in the OTTO organiser's
 * sense (github.com/otto-de/recsys-dataset, src/labels.py), and the
 * organiser's labels JSONL, written and read (and labels Parquet read):
 *   {"session":42,"labels":{"clicks":7,"carts":[1,2],"orders":[2]}}
 * a key being left out when it has no label.  This module owns the label
 * rows in memory, the ground-truth rule and both directions of the format.
 *
 * The ground-truth rule (labels.py, ground_truth): for a session cut after
 * its first `cut` events, the labels are
 *   clicks  the aid of the FIRST click after the cut, but only when that aid
 *           is truthy in Python: labels.py tests `if prev_labels[label]:`,
 *           so when the next click is on aid 0 the session gets NO click
 *           label at all (not the click after it).  Reproduced on purpose;
 *           it touches the very few sessions whose next click is aid 0.
 *   carts   the set of aids carted after the cut (left out when empty);
 *   orders  the set of aids ordered after the cut (left out when empty).
 * Sets are kept as lists without repeats, in first-seen order after the
 * cut (Python writes them in its set iteration order; as sets they are the
 * same).
 */
#ifndef OR_LABELS_H
#define OR_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

typedef struct or_label {
	int64_t session;
	int64_t click;      /* -1 when no click label; a file may hold 0, which
			       the metric, like evaluate.py, treats as none */
	size_t carts_at;    /* index into or_labels.aids */
	uint32_t n_carts;
	size_t orders_at;
	uint32_t n_orders;
} or_label;

typedef struct or_labels {
	or_label *rows;
	size_t n, cap;
	uint32_t *aids;      /* the carts and orders lists, back to back */
	size_t n_aids, cap_aids;
} or_labels;

void or_labels_init(or_labels *l);
void or_labels_release(or_labels *l);

/* Append the labels of s cut after its first `cut` events (1 <= cut < s->n)
   by the rule above (aid-0 click quirk included). */
int or_labels_add_cut(or_labels *l, const or_session *s, size_t cut, or_err *err);

/* Append a copy of row r of src (its carts and orders lists too) to dst. */
int or_labels_copy_row(or_labels *dst, const or_labels *src, size_t r, or_err *err);

/* Write every row in order as labels JSONL, atomically ("-" = stdout).
   Compact JSON: {"session":S,"labels":{"clicks":A,"carts":[..],"orders":[..]}},
   keys in that order, a key left out when it has no label. */
int or_labels_write_jsonl(const or_labels *l, const char *path, or_err *err);

/*
 * Read a labels file and append its rows to l: labels Parquet (told by its
 * magic; read by or_parquet_labels_read, rules in or_parquet.h), else
 * labels JSONL (plain or gzip; "-" = stdin).  JSONL accepted, one object
 * per line: keys in any order, any JSON whitespace, unknown keys (at
 * either level) skipped whatever their (valid JSON) value;
 *   "session"  an integer (required, unique across the rows of l);
 *   "labels"   an object (required) with, each optional:
 *     "clicks" an integer >= 0, or null (= no click label);
 *     "carts", "orders"  arrays of integers 0..4294967295, any length;
 *              read as sets: a repeated aid is kept once (first place).
 * Blank lines are skipped.  A repeated key within one object, a
 * non-integer number, a negative aid, a truncated line or trailing text is
 * an error naming path:line:column and what was expected.  On error l may
 * hold the rows read so far.  max_line bounds one line (0 = 64 MiB).
 */
int or_labels_read(or_labels *l, const char *path, size_t max_line,
		   const or_log *log, or_err *err);

/*
 * For the readers of label files (or_labels.c: JSONL, or_parquet_labels.c:
 * Parquet): room for one more row / `more` aids, and removing repeats from
 * an aid list in place keeping first places (returns the new count, or
 * (size_t)-1 when out of memory).
 */
int or_labels_reserve_rows(or_labels *l, or_err *err);
int or_labels_reserve_aids(or_labels *l, size_t more, or_err *err);
size_t or_labels_dedup(uint32_t *a, size_t n);

#endif
