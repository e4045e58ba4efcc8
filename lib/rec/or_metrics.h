/*
 * or_metrics.h - the OTTO organiser's metric (src/evaluate.py), exactly:
 * Recall@20 for clicks, carts and orders, and the weighted score
 * 0.10 * clicks + 0.30 * carts + 0.60 * orders.  This module owns the
 * metric; reading submissions is or_submission's job, labels or_labels'.
 *
 * Per labelled session, with P = the first 20 aids of its row for a type:
 *   clicks  counted when the click label is truthy (present and not 0, as
 *           evaluate.py tests `if labels['clicks']`): 1 hit if it is in P;
 *   carts   counted when the carts set is not empty: |set(P) & carts| hits
 *           (an aid repeated in P counts once);
 *   orders  likewise.
 * recall(type) = hits / truth, truth being the number of sessions with a
 * click label, the sum of min(|carts|, 20), the sum of min(|orders|, 20).
 * A later row for the same session and type replaces an earlier one.
 * Rows of sessions without labels are ignored.  A labelled session without
 * any row scores 0 hits.
 * Decided where evaluate.py would fail: a session with a row for one type
 * but none for another labelled type (Python: KeyError) scores 0 hits for
 * the missing type; a type with truth 0 (Python: ZeroDivisionError) has
 * recall 0.  The arithmetic is Python's: each recall is one correctly
 * rounded division, the score ((0.0 + c*0.1) + r*0.3) + o*0.6 in doubles,
 * no fused multiply-add, so results are bit-identical to evaluate.py's.
 */
#ifndef OR_METRICS_H
#define OR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_labels.h"
#include "or_log.h"
#include "or_submission.h"

#define OR_RECALL_K 20

/* 0.10, 0.30, 0.60 for clicks, carts, orders */
extern const double or_metrics_weights[3];

/* The weighted score of three recalls (clicks, carts, orders), in
   evaluate.py's arithmetic (see above): bit-identical to Python's. */
double or_metrics_score(const double recall[3]);

typedef struct or_recall {
	double recall[3];       /* clicks, carts, orders */
	double score;           /* the weighted total */
	uint64_t hits[3];
	uint64_t truth[3];      /* the denominators */
	uint64_t sessions;      /* labelled sessions */
	uint64_t sessions_predicted; /* labelled sessions with any row */
	uint64_t missing[3];    /* sessions with a label of the type (truthy)
				   but no row of that type */
	uint64_t rows;          /* rows given to or_eval_add */
	uint64_t rows_unknown;  /* rows of sessions without labels (ignored) */
	uint64_t rows_replaced; /* rows that replaced an earlier row */
} or_recall;

/* The per-row kernels, over the first OR_RECALL_K of preds[0..n). */
int or_metrics_click_hit(int64_t click, const int64_t *preds, size_t n);
uint32_t or_metrics_set_hits(const uint32_t *truth, uint32_t n_truth,
			     const int64_t *preds, size_t n);

/* An accumulator over a label set.  labels must stay unchanged and alive
   until or_eval_free; a session id appearing twice in it is OR_EINVAL. */
typedef struct or_eval or_eval;

int or_eval_new(const or_labels *labels, or_eval **out, or_err *err);
void or_eval_free(or_eval *ev); /* NULL is fine */

/* One prediction row (type OR_CLICKS/OR_CARTS/OR_ORDERS; only the first
   OR_RECALL_K of aids matter).  Returns 1 when the session is labelled,
   0 when it is not (the row is ignored). */
int or_eval_add(or_eval *ev, int64_t session, unsigned type,
		const int64_t *aids, size_t n);

/* The recalls and score of the rows added so far. */
void or_eval_result(const or_eval *ev, or_recall *out);

/* The recalls of a subset of the sessions: group[r] (label row r) in
   0..n_groups-1, or any other value for none; out[n_groups] (each as
   or_eval_result's, over its group's sessions only). */
void or_eval_result_groups(const or_eval *ev, const uint8_t *group, size_t n_groups,
			   or_recall *out);

/* Session-length buckets of `evaluate --by-length` (events in the test
   session): 1, 2, 3-4, 5-9, 10-19, 20-49, 50+. */
#define OR_LENGTH_BUCKETS 7
extern const char *const or_length_bucket_names[OR_LENGTH_BUCKETS];
unsigned or_length_bucket(uint64_t events); /* events >= 1 */

/* The whole job: read the submission at path (see or_submission.h) and
   score it against labels.  stats may be NULL; cfg NULL = defaults. */
int or_metrics_evaluate(const or_labels *labels, const char *submission,
			const or_submission_config *cfg, or_recall *out,
			or_submission_stats *stats, const or_log *log, or_err *err);
/* The same, with the recalls by group too (or_eval_result_groups). */
int or_metrics_evaluate_groups(const or_labels *labels, const char *submission,
			       const or_submission_config *cfg, const uint8_t *group,
			       size_t n_groups, or_recall *groups_out, or_recall *out,
			       or_submission_stats *stats, const or_log *log, or_err *err);

#endif
