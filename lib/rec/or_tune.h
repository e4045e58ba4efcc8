/*
 * or_tune.h - `ottorec tune`: the weights of the blend strategy (or_blend.h)
 * that maximise each target type's Recall@20 on a local split.  This module
 * owns the labelled candidate table, the exact hit count of a weight vector
 * and the search.
 *
 * Types are independent (the clicks list does not affect the carts recall,
 * and so on), so each type's weights are searched alone, maximising its hit
 * count (an integer: recall = hits / truth with a fixed truth).
 *
 * The search, for one type, from the start weights w (deterministic, no
 * randomness, the same for any thread count):
 *   best = hits(w); step = step0
 *   repeat n_steps times:
 *     repeat at most max_passes times:
 *       for each feature f in order (skipping features that are 0 for every
 *       candidate of the type's sessions):
 *         for v in (w[f] + step, w[f] - step), clamped to [lo, hi]:
 *           if v != w[f] and hits(w with w[f] = v) > best:
 *             accept it (w[f] = v, best = that) and go to the next feature
 *       stop repeating when a pass accepted nothing
 *     step = step / 2
 * Only strictly better hit counts are accepted (ties keep the earlier
 * weights), so the result never scores below its start on the table.
 *
 * hits(w) counts, over the sessions of the table, the label aids of the
 * type that are among the session's k = 20 best candidates (score desc,
 * ties by the smaller aid, exactly as or_recommend_blend ranks), with
 * evaluate.py's rules: the click label counts when > 0, carts and orders as
 * sets.  Sessions without any label aid among their candidates cannot hit
 * and are dropped from the table.
 */
#ifndef OR_TUNE_H
#define OR_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include "or_blend.h"
#include "or_labels.h"

typedef struct or_tune_config {
	double step0;        /* first step (1) */
	unsigned n_steps;    /* step halvings (5: 1 .. 1/16) */
	unsigned max_passes; /* passes per step (6) */
	double lo, hi;       /* weight range (-2, 4) */
	int threads;         /* 0 = OpenMP default */
} or_tune_config;

void or_tune_config_default(or_tune_config *cfg);

/* The candidate table of the labelled sessions of test (tags: bit t set
   when the candidate is a label aid of type t), sessions without a label
   aid among their candidates dropped, and truth[t] = the recall
   denominators of the whole label set (as or_metrics).  max_sessions > 0
   keeps only every ceil(L / max_sessions)-th of the L labelled sessions of
   test (in store order; a deterministic sample that bounds memory, about
   70 bytes a candidate) and truth then counts the sampled sessions only.
   t must be zeroed or released.  Session ids repeated in labels are
   OR_EINVAL. */
int or_tune_table(const or_store *test, const or_blend_model *m,
		  const or_blend_config *bcfg, const or_labels *labels, size_t max_sessions,
		  or_blend_table *t, uint64_t truth[3], const or_log *log, or_err *err);

/* Hits of type `type` at k = OR_RECALL_K for weights w (one type's row). */
uint64_t or_tune_hits(const or_blend_table *t, unsigned type, const double *w, int threads);

typedef struct or_tune_result {
	or_blend_weights w;          /* the tuned weights */
	uint64_t hits_start[3], hits[3], truth[3];
	uint64_t reachable[3];       /* label aids among the candidates (at most 20 a session) */
	double recall_start[3], recall[3];
	double score_start, score;   /* 0.1 / 0.3 / 0.6 weighted */
	unsigned evals[3];           /* hit counts computed per type */
} or_tune_result;

/* The search above for the three types from start.  Progress stage
   "tune" in evaluations; cancellation OR_ECANCELLED. */
int or_tune_run(const or_blend_table *t, const uint64_t truth[3],
		const or_blend_weights start, const or_tune_config *cfg,
		or_tune_result *res, const or_log *log, or_err *err);

#endif
