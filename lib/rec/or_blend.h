/*
 * or_blend.h - the "blend" recommendation strategy: per test session one
 * table of candidates with a few features each, computed ONCE, then scored
 * per target type (clicks, carts, orders) by a weighted sum of the
 * features.  This module owns the candidate rule, the features, the
 * scoring and ranking, and the weights file.  The weights are found by
 * `ottorec tune` (or_tune.h); the measurements are in docs/blend.md.
 *
 * Candidates of a session with events e[0..n) (time order), U = its
 * distinct aids most recent first (u_r has recency rank r), B = the
 * distinct aids of its carts/orders most recent first:
 *   - every aid of U;
 *   - the clicks and carts_orders matrix rows of u_0..u_{h-1}
 *     (h = min(|U|, max_history));
 *   - the buy2buy rows of the first max_history aids of B;
 *   - the emb_k nearest neighbours (or_ann_search_items, the aid itself
 *     left out) of u_0..u_{e-1}, e = min(|U|, n_recent_emb), when an
 *     index is given and holds the aid (or_ann_items);
 *   - the covisit strategy's clicks and buys lists (or_recommend_covisit
 *     with the default rule and list length cfg->k, filled up from the
 *     period's popular aids);
 *   - the cfg->k most clicked, most carted and most ordered aids of the
 *     period (count descending, aid ascending).
 * The "period" is the store whose popularity counts: the test store
 * itself by default, or or_blend_model.period, or its summary
 * or_blend_model.summary (or_cand_period.h, built once: what `serve`
 * gives, so that a session's lists depend only on it and the models; the
 * same bytes as the period store itself).
 * Features of a candidate c (floats; "/max" = divided by the largest value
 * of that feature among the session's candidates when it is > 0, so every
 * feature lies in [0, 1] and weights are comparable between sessions):
 *   hist        sum over events i on c of (2^y_i - 1) * tw[type_i],
 *               y = numpy.logspace(0.1, 1, n) exponents (as the covisit
 *               rule), tw = 1, 6, 3; /max
 *   recent      1 / (1 + r) when c = u_r, else 0
 *   bought      1 when c was carted or ordered in the session, else 0
 *   ordered     1 when c was ordered in the session, else 0
 *   count       events on c; /max
 *   cv_clicks   sum over r < h of wt(u_r, c) / wt(u_r, best) / (1 + r),
 *               wt = the clicks matrix weight, best = the row's first; /max
 *   cv_buys     the same over the carts_orders matrix; /max
 *   b2b         the same over the buy2buy rows of B (rank in B); /max
 *   cv_last     wt(u_0, c) / wt(u_0, best) in the clicks matrix, else 0
 *   cv_count    the number of u_r, r < h, whose clicks or carts_orders row
 *               holds c (a row holding c in both counts twice); /max
 *   emb         sum over r < e of 1 / ((1 + r) (1 + j)) where c is the
 *               j-th neighbour (j from 0) of u_r; /max
 *   emb_last    1 / (1 + j) where c is the j-th neighbour of u_0, else 0
 *   pop_clicks  log(1 + clicks of c in the period) / log(1 + the
 *               largest such count)
 *   pop_buys    the same for carts + orders
 *   rule_clicks 1 / (1 + p) where c is at place p of the covisit clicks
 *               list, else 0
 *   rule_buys   the same for the covisit buys list
 * Score of c for type t: sum over features f in the order above of
 * w[t][f] * x[f], in doubles; the list of type t is the k candidates of
 * largest score, ties broken by the smaller aid, padded with -1.  With
 * rule_clicks = 1 for clicks and rule_buys = 1 for carts and orders (all
 * else 0) the lists are exactly the covisit strategy's.  Sums are added in
 * a fixed order per session, so results do not depend on threads.
 *
 * Weights file (text, UTF-8/ASCII): blank lines and lines starting with
 * '#' are skipped; the first other line is "ottorec-blend-weights 1"; every
 * other line is "<type> <feature> <weight>" (type clicks|carts|orders,
 * feature a name above, weight a finite decimal number: no hexadecimal,
 * inf or nan), each (type, feature) at most once, at least one of them
 * (a file of its header alone is an error: all-zero weights rank every
 * candidate alike); those not given are 0.  Errors name path:line.
 */
#ifndef OR_BLEND_H
#define OR_BLEND_H

#include <stddef.h>
#include <stdint.h>

#include "or_ann.h"
#include "or_covisit.h"
#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

#define OR_BLEND_WEIGHTS_VERSION 1
#define OR_BLEND_MAX_RECENT_EMB 16

enum or_blend_feature {
	OR_BLEND_HIST = 0,
	OR_BLEND_RECENT,
	OR_BLEND_BOUGHT,
	OR_BLEND_ORDERED,
	OR_BLEND_COUNT,
	OR_BLEND_CV_CLICKS,
	OR_BLEND_CV_BUYS,
	OR_BLEND_B2B,
	OR_BLEND_CV_LAST,
	OR_BLEND_CV_COUNT,
	OR_BLEND_EMB,
	OR_BLEND_EMB_LAST,
	OR_BLEND_POP_CLICKS,
	OR_BLEND_POP_BUYS,
	OR_BLEND_RULE_CLICKS,
	OR_BLEND_RULE_BUYS,
	OR_BLEND_N_FEATURES
};

/* "hist", "recent", ...; NULL out of range.  by_name: -1 when unknown. */
const char *or_blend_feature_name(unsigned f);
int or_blend_feature_by_name(const char *name);

/* weights[type][feature], type OR_CLICKS/OR_CARTS/OR_ORDERS */
typedef double or_blend_weights[3][OR_BLEND_N_FEATURES];

typedef struct or_blend_config {
	size_t k;              /* list length (20), 1..OR_RECOMMEND_K_MAX */
	size_t max_history;    /* distinct aids whose matrix rows are read (30) */
	size_t n_recent_emb;   /* most recent distinct aids searched (3), 0..16 */
	size_t emb_k;          /* neighbours per searched aid (20), 1..100 */
	size_t emb_nprobe;     /* index lists scanned when the model's search
				  params leave nprobe 0: min(this, the index's
				  default); 0 = the index's default.  Default 8:
				  on the full-scale synthetic split nprobe 8
				  scored what the index's 149 did, 7x faster */
	or_blend_weights w;    /* default: or_blend_default_weights */
	int threads;           /* 0 = OpenMP default */
} or_blend_config;

/* Built-in weights (tuned on a synthetic local split; see or_recommend_blend.c). */
void or_blend_default_weights(or_blend_weights w);
/* Weights that reproduce the covisit strategy (rule_* = 1). */
void or_blend_covisit_weights(or_blend_weights w);
void or_blend_config_default(or_blend_config *cfg);

struct or_cand_period;

/* The inputs: any matrix may be NULL (empty); index NULL = no embedding
   candidates (emb features 0); period NULL = the test store; summary,
   when given, is used instead of period. */
typedef struct or_blend_model {
	const or_covisit *clicks, *carts_orders, *buy2buy;
	const or_ann *index;
	or_ann_search_params search;
	const or_store *period;
	const struct or_cand_period *summary;
} or_blend_model;

/* The candidate table of some sessions of a store. */
typedef struct or_blend_table {
	size_t n_rows;       /* sessions in the table */
	size_t *session;     /* store index of each row, ascending */
	uint64_t *off;       /* n_rows + 1: row i is candidates [off[i], off[i+1]) */
	uint32_t *aid;       /* per candidate */
	float *x;            /* per candidate OR_BLEND_N_FEATURES features */
	uint8_t *tag;        /* per candidate, free for the caller (zeroed) */
	size_t n_cand, cap;
} or_blend_table;

void or_blend_table_release(or_blend_table *t);

/*
 * The candidate table of the sessions i of test with keep[i] != 0 (keep
 * NULL = all), by the rules above.  t must be zeroed or released.  Progress
 * stage "candidates" in sessions; cancellation gives OR_ECANCELLED.  The
 * table is the same for any thread count.
 */
int or_blend_candidates(const or_store *test, const or_blend_model *m,
			const or_blend_config *cfg, const uint8_t *keep,
			or_blend_table *t, const or_log *log, or_err *err);

/* The score of one candidate (features x) for the weights of one type. */
static inline double or_blend_score(const float *x, const double *w)
{
	double s = 0.0;
	for (int f = 0; f < OR_BLEND_N_FEATURES; f++)
		s += w[f] * (double)x[f];
	return s;
}

/* The k best candidates (k <= OR_RECOMMEND_K_MAX) of row r for weights w
   (one type) into out[0..k), padded with -1. */
void or_blend_rank_row(const or_blend_table *t, size_t r, const double *w, size_t k,
		       int64_t *out);

/*
 * The blend strategy for every session of test: clicks, carts, orders are
 * caller-owned n_sessions x cfg->k arrays, padded with -1.  The neighbours
 * are searched once per needed aid (in batches, before the sessions; about
 * emb_k x 4 bytes an aid), the covisit lists once for all sessions
 * (2 x k x 8 bytes a session), then sessions are done in chunks in
 * parallel.  Progress stages "recommend" (covisit lists), "neighbours" and
 * "recommend"; cancellation OR_ECANCELLED.  Same results for any thread
 * count.
 */
int or_recommend_blend(const or_store *test, const or_blend_model *m,
		       const or_blend_config *cfg, int64_t *clicks, int64_t *carts,
		       int64_t *orders, const or_log *log, or_err *err);

/* The weights file (format above): read (w is overwritten; absent = 0) and
   write atomically (comment: optional '#' lines' text, may hold '\n'). */
int or_blend_weights_read(const char *path, or_blend_weights w, or_err *err);
int or_blend_weights_write(const char *path, const or_blend_weights w,
			   const char *comment, or_err *err);

#endif
