/*
 * or_recommend.h - recommendation strategies: candidate lists per test
 * session into caller-owned arrays, and the submission writer.  This module
 * owns the "covisit" strategy (the hand-written rerank of Chris Deotte's
 * OTTO "candidate rerank" notebook), the popular-items fallback and the
 * organiser's submission CSV.
 *
 * The covisit strategy, for a session with events e[0..n) in store order
 * (time order), unique = its distinct aids, most recent first, buys = the
 * distinct aids of its carts and orders, most recent first:
 *
 * clicks list
 *   |unique| >= long_threshold (20): score[aid] += w_i * type_weight[type_i]
 *     over i = 0..n-1 in order, w = numpy's logspace(0.1, 1, n, base=2) - 1
 *     (y_i = 0.1 + i * (0.9 / (n - 1)), y_{n-1} = 1; w_i = pow(2, y_i) - 1;
 *     n = 1 gives y_0 = 0.1); the k best by score, ties by first insertion
 *     (Counter.most_common).
 *   otherwise: unique, then of C = Counter(concatenated clicks-matrix rows of
 *     unique, in that order) the k most common (ties by first insertion)
 *     that are not in unique, up to k in all.
 * carts and orders list (one list for both)
 *   long: as above with logspace(0.5, 1, ...), then +0.1 for each appearance
 *     in the buy2buy rows of buys (in that order; new aids inserted after
 *     the history's).
 *   short: unique, then the k most common of Counter(carts-orders rows of
 *     unique + buy2buy rows of buys) not in unique.
 * Both lists are then filled from the test period's most clicked (clicks)
 * or most ordered (carts/orders) aids, skipping aids already in the list
 * (the notebook appends them unfiltered; skipping repeats only replaces
 * duplicates by new aids).  Popular aids: count descending, aid ascending.
 * Scores are doubles summed in the order above, so results equal a Python
 * port of the same rule bit for bit (tests/ref/covisit_ref.py).
 */
#ifndef OR_RECOMMEND_H
#define OR_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#include "or_covisit.h"
#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

#define OR_RECOMMEND_K_MAX 100

typedef struct or_recommend_config {
	size_t k;                 /* list length (20), 1..OR_RECOMMEND_K_MAX */
	size_t long_threshold;    /* distinct aids for the history branch (20) */
	double type_weight[3];    /* history weights by type: 1, 6, 3 */
	double clicks_log_lo;     /* logspace start, clicks: 0.1 */
	double buys_log_lo;       /* logspace start, carts/orders: 0.5 */
	double buy2buy_bonus;     /* 0.1 */
	int threads;              /* 0 = OpenMP default */
	const uint8_t *keep;      /* NULL: every session; else only the sessions i
				     with keep[i] != 0 (or_recommend_covisit: the
				     others' rows are all -1) */
} or_recommend_config;

void or_recommend_config_default(or_recommend_config *cfg);

/* The three matrices (any may be NULL = empty; those given must share one
   item dictionary, or_covisit_shared_items) and the popular fallbacks. */
typedef struct or_recommend_covisit_model {
	const or_covisit *clicks, *carts_orders, *buy2buy;
	const int64_t *top_clicks; /* most clicked aids, best first */
	size_t n_top_clicks;
	const int64_t *top_orders; /* most ordered aids */
	size_t n_top_orders;
} or_recommend_covisit_model;

/*
 * The k most frequent aids among the events of type `type` of st (count
 * descending, aid ascending) into out[0..k); returns how many (<= k).
 * Counts are kept per item of the store's dictionary (memory follows its
 * distinct aids).  OR_EFORMAT for an aid missing from that dictionary
 * (damaged store).
 */
int or_recommend_popular(const or_store *st, unsigned type, size_t k,
			 int64_t *out, size_t *n_out, or_err *err);

/*
 * The covisit strategy for every session of test: clicks and buys are
 * caller-owned arrays of n_sessions * cfg->k int64, row i for session i,
 * padded with -1.  Progress stage "recommend" in sessions; cancellation gives
 * OR_ECANCELLED; OR_EINVAL when the tables' dictionaries differ.  Session
 * aids missing from the tables' dictionary (cold items) have no rows but
 * count in the history.  Results do not depend on the thread count.
 */
int or_recommend_covisit(const or_store *test, const or_recommend_covisit_model *m,
			 const or_recommend_config *cfg, int64_t *clicks,
			 int64_t *buys, const or_log *log, or_err *err);

/*
 * Write the organiser's submission CSV atomically ("-" = stdout): header
 * "session_type,labels", then per session i three rows
 * "<id>_clicks,<clicks row>", "<id>_carts,<carts row>", "<id>_orders,<orders
 * row>", aids space-separated, -1 entries skipped.  carts and orders may be
 * the same array.  Rows are n * k.
 */
int or_recommend_write_csv(const char *path, const int64_t *session_ids, size_t n,
			   size_t k, const int64_t *clicks, const int64_t *carts,
			   const int64_t *orders, or_err *err);

/* ==== seed strategy and session history (issue #7; lib/rec/or_recommend_seed.c,
 * lib/rec/or_recommend_history.c) ============================================ */

#include "or_ann.h"

/*
 * A session's history as an insertion-ordered aid -> value map (Python's dict
 * iteration order), reusable scratch for one thread at a time.
 */
typedef struct or_history or_history;

int or_history_new(or_history **out, or_err *err); /* OR_ENOMEM */
void or_history_free(or_history *h);                /* NULL is fine */

/* numpy.logspace(lo, 1, n, base=2)[i] - 1, numpy's linspace arithmetic
   (y_i = i * ((1 - lo) / (n - 1)) + lo, y_{n-1} = 1; n = 1: y_0 = lo). */
double or_history_log_weight(double lo, size_t n, size_t i);

/* Replace the map by h[aid_i] += or_history_log_weight(log_lo, n, i) *
   type_weight[type_i] over the events i = 0..n-1 of s in order (aids in
   order of first appearance, doubles summed in event order).  -1 when out
   of memory, else 0. */
int or_history_score(or_history *h, const or_session *s, double log_lo,
		     const double type_weight[3]);

/* Replace the map by the distinct aids of s, most recent first
   (dict.fromkeys(aids[::-1])), values 0.  -1 when out of memory. */
int or_history_recent(or_history *h, const or_session *s);

/* The entries in insertion order (valid until the next score/recent). */
size_t or_history_size(const or_history *h);
const uint32_t *or_history_aids(const or_history *h);
const double *or_history_values(const or_history *h);
int or_history_contains(const or_history *h, uint32_t aid);

/* The min(k, OR_RECOMMEND_K_MAX) best aids by value, descending, ties by
   insertion order (Python's stable sort, Counter.most_common) into out;
   returns how many. */
size_t or_history_top(const or_history *h, size_t k, int64_t *out);

/*
 * The seed strategy, the rule of Radek Osmulski's OTTO matrix-factorisation
 * ("word2vec") notebook, for a session with events e[0..n) in time order:
 *   n >= long_threshold (20; EVENTS, not distinct aids, as the notebook's
 *     len(AIDs) >= 20): or_history_score with log_lo (0.1) and type weights
 *     (1, 6, 3), the k best, ties by first appearance;
 *   otherwise: its distinct aids, most recent first, then the nearest
 *     neighbours in index of its most recent aid, the aid itself left out
 *     (Annoy's get_nns_by_item(a, k + 1)[1:]), up to k in all.  An aid the
 *     index does not hold (not in or_ann_items) has no neighbours; index
 *     may be NULL (no neighbours at all).
 * One list serves clicks, carts and orders.  Deviation: the notebook
 * appends the neighbours without removing those already in the session
 * (repeats in its list); we skip them and keep taking neighbours.  k
 * neighbours always suffice: a short list of u < k distinct aids needs k - u
 * new ones, and at most u - 1 neighbours (the aid itself is left out) can be
 * repeats.  Neighbours are asked for in batches (p->threads, p->nprobe).
 */
typedef struct or_recommend_seed_config {
	size_t k;              /* list length (20), 1..OR_RECOMMEND_K_MAX */
	size_t long_threshold; /* events for the history branch (20) */
	double type_weight[3]; /* 1, 6, 3 */
	double log_lo;         /* logspace start (0.1) */
	int threads;           /* 0 = OpenMP default */
} or_recommend_seed_config;

void or_recommend_seed_config_default(or_recommend_seed_config *cfg);

/*
 * The seed strategy for every session of test into out, caller-owned,
 * n_sessions * cfg->k int64, row i for session i, padded with -1.  p may be
 * NULL (the index's defaults; threads from cfg).  Progress stage
 * "recommend" in sessions; cancellation gives OR_ECANCELLED.  Results do not
 * depend on the thread count.  Errors: OR_EINVAL (k), OR_EFORMAT (damaged
 * store offsets), OR_ENOMEM, and the index search's own.
 */
int or_recommend_seed(const or_store *test, const or_ann *index,
		      const or_ann_search_params *p,
		      const or_recommend_seed_config *cfg, int64_t *out,
		      const or_log *log, or_err *err);

/* ==== end of the seed section ============================================ */

#endif
