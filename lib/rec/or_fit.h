/*
 * or_fit.h - fitting the gbt ranker (or_ranker.h) on a candidates
 * directory (or_cand_dir.h) with XGBoost (Debian's libxgboost 1.7), one
 * booster per target type, and the validation metric of a ranker.
 *
 * Per type t (0 clicks, 1 carts, 2 orders):
 *   - the groups (sessions) with at least one row labelled t ("positive");
 *   - at most max_groups of them (a seeded uniform sample; 0 = all);
 *   - round(valid_share x that many) held out (seeded; at least one group
 *     is always fitted on), the rest fitted on;
 *   - of each fitted group: every positive row and at most `negatives`
 *     negative rows (a seeded uniform sample per group), in row order;
 *   - XGBoost with the objective (rank:pairwise, rank:ndcg: the groups are
 *     XGBoost's query groups; binary:logistic), tree_method hist, the given
 *     rounds, depth, eta, min_child_weight, subsample, colsample_bytree,
 *     nthread and seed, verbosity 0.
 * Every sample is drawn from (seed, type, group), so the model depends on
 * the data, the options and nthread only (XGBoost's histograms are summed
 * per thread: another nthread gives another, equally good, model).
 *
 * A type without any positive falls back, with a warning, to the booster
 * of another type: carts -> orders -> clicks, orders -> carts -> clicks,
 * clicks -> carts -> orders, the first one fitted.  No positive of any
 * type is an error.
 *
 * Validation metric of a ranker on groups G for type t: the mean over
 * g in G of (positives among the 20 best-scored rows of ALL of g's rows) /
 * min(20, positives of g); rows ranked by score descending, ties by the
 * smaller aid, then the earlier row.  The baseline ranks by the first
 * feature descending (NaN last): a sanity line for the fit.
 */
#ifndef OR_FIT_H
#define OR_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "or_cand_dir.h"
#include "or_err.h"
#include "or_log.h"
#include "or_ranker.h"

#define OR_FIT_TOP 20
/* By default XGBoost gets at most one thread per this many rows of the
   directory (and at most cfg->threads); the model records the count. */
#define OR_FIT_ROWS_PER_THREAD 100000

typedef struct or_fit_config {
	size_t negatives;        /* negatives kept per fitted group (20), >= 0 */
	uint64_t seed;           /* samples and XGBoost's seed (42), <= INT32_MAX */
	size_t max_groups;       /* groups per type, 0 = no cap (0) */
	double valid_share;      /* groups held out, 0..0.9 (0.1) */
	const char *objective;   /* rank:pairwise (default), rank:ndcg, binary:logistic */
	int rounds;              /* boosting rounds (20), >= 1 */
	int depth;               /* max_depth (6), 1..32 */
	double eta;              /* learning rate (0.4), > 0 */
	double min_child_weight; /* (1), >= 0 */
	double subsample;        /* rows per tree (1), (0, 1] */
	double colsample;        /* colsample_bytree (1), (0, 1] */
	int threads;             /* XGBoost's nthread; 0 = every core */
	size_t rows_per_thread;  /* at most one thread per this many rows
				    (OR_FIT_ROWS_PER_THREAD; 0 = no cap) */
} or_fit_config;

void or_fit_config_default(or_fit_config *cfg);

typedef struct or_fit_type {
	int fitted;                   /* 1: its own booster; 0: a fallback */
	unsigned uses;                /* the type whose booster it uses */
	size_t groups_with_positives; /* in the directory */
	size_t groups, rows, positives; /* fitted on (after the samples) */
	size_t valid_groups;          /* held out */
	double valid_metric;          /* of the fitted model on the held-out
					 groups; NaN when none */
	double baseline_metric;       /* the stage-1 order's (else the first feature's), same groups */
	double seconds;               /* fitting time (not in the model file) */
	double *gain;                 /* n_features: XGBoost's average gain of
					 the splits on each feature, 0 unused */
} or_fit_type;

typedef struct or_fit_result {
	size_t n_features;
	int nthread;                  /* XGBoost's threads used */
	int xgb_version[3];
	or_fit_type type[3];
} or_fit_result;

void or_fit_result_release(or_fit_result *res);

/*
 * Fit on d and write the model file to model_path (atomically; or_ranker.h)
 * and fill res (release it after, also on failure).  trained (may be NULL)
 * receives the ranker over the boosters just fitted (the model file's,
 * before they were saved).  dir names d in messages.  Progress stage
 * "fit <type>" in rounds; cancellation OR_ECANCELLED.
 */
int or_fit_run(const or_cand_dir *d, const char *dir, const or_fit_config *cfg,
	       const char *model_path, or_fit_result *res, or_ranker **trained,
	       const or_log *log, or_err *err);

/* The baseline's column: stage1_rank ascending (*sign -1) when d has it,
   else the first feature descending (*sign 1). */
size_t or_fit_baseline_column(const or_cand_dir *d, double *sign);
/* The metric above of ranker r (NULL: the baseline, by that column) for
   type t on the groups groups[0..n) of d (each with a positive of type t);
   NaN when n is 0.  Rows are scored in batches of about a million. */
int or_fit_metric(or_ranker *r, const or_cand_dir *d, unsigned t, const size_t *groups,
		  size_t n, double *metric, or_err *err);

/* The groups of d with a positive of type t: a malloc'd list (*n of them,
   ascending; free() it). */
int or_fit_positive_groups(const or_cand_dir *d, unsigned t, size_t **groups, size_t *n,
			   or_err *err);

/*
 * The model file's meta JSON (or_ranker.h) of a fit, malloc'd, one line;
 * with_seconds adds each type's fitting time (for the CLI's --json, never
 * the file).  NULL when out of memory.
 */
char *or_fit_json(const or_cand_dir *d, const or_fit_config *cfg, const or_fit_result *res,
		  int with_seconds);

#endif
