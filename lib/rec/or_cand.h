/*
 * or_cand.h - the ranker's candidates and features: per session of a store
 * the aids worth ranking (from a table of sources), cut to a configurable
 * count by a fixed stage-1 score, each with a row of features for a
 * learned ranker.  This module owns the sources, the stage-1 cut, the
 * feature definitions (names and order: or_cand_feature_name; the table in
 * docs/ranker.md) and the item statistics of the training period.  The
 * ranking itself is or_ranker.h's; the strategy that puts both together is
 * or_recommend_ranker (or_strategy.h).
 *
 * Sources (each may be switched off by name, cfg->sources):
 *   history   every distinct aid of the session;
 *   covisit   the clicks and carts_orders matrix rows of the max_history
 *             most recent distinct aids, weighted 1 / (1 + recency rank);
 *   buy2buy   the buy2buy rows of the max_history most recent bought aids;
 *   embedding the emb_k nearest neighbours (ANN index) of the n_recent_emb
 *             most recent distinct aids;
 *   rule      the covisit strategy's clicks and buys lists (k = 20);
 *   popular   the n_popular most clicked, carted and ordered aids of the
 *             ranked store and of the training period's last week;
 *   next      the next-item table's rows (or_cand_internal.h: the items
 *             most often seen right after an item in the training period)
 *             of the n_recent_next most recent distinct aids.
 * Stage-1 score (when a session has more than max_candidates): 10 + 1 /
 * (1 + recency) for history aids, plus for every candidate 1 / (1 + p) per
 * rule list at place p, plus each covisit sum, the next-item sum and the embedding sum divided
 * by its largest value in the session, plus 0.01 / (1 + popularity rank);
 * the max_candidates best (ties: smaller aid) are kept, in that order.
 * Features are float32; "-1" marks "none" for ranks, positions and times.
 * Every value depends only on the inputs (not on threads).
 */
#ifndef OR_CAND_H
#define OR_CAND_H

#include <stddef.h>
#include <stdint.h>

#include "or_ann.h"
#include "or_covisit.h"
#include "or_err.h"
#include "or_items.h"
#include "or_log.h"
#include "or_store.h"

#define OR_CAND_MAX 1000 /* largest max_candidates */

enum or_cand_feature {
	/* session */
	OR_CF_S_EVENTS = 0, OR_CF_S_DISTINCT, OR_CF_S_DURATION, OR_CF_S_CLICKS, OR_CF_S_CARTS,
	OR_CF_S_ORDERS, OR_CF_S_SINCE_END,
	/* item, training period */
	OR_CF_I_CLICKS, OR_CF_I_CARTS, OR_CF_I_ORDERS, OR_CF_I_CLICKS_WEEK, OR_CF_I_CARTS_WEEK,
	OR_CF_I_ORDERS_WEEK, OR_CF_I_CLICKS_DAY, OR_CF_I_BUYS_DAY, OR_CF_I_CART_CLICK,
	OR_CF_I_ORDER_CART, OR_CF_I_TREND,
	/* item, the ranked store */
	OR_CF_T_CLICKS, OR_CF_T_BUYS,
	/* session x item */
	OR_CF_SI_CLICKS, OR_CF_SI_CARTS, OR_CF_SI_ORDERS, OR_CF_SI_RECENCY, OR_CF_SI_LAST_EVENTS,
	OR_CF_SI_LAST_SECONDS, OR_CF_SI_FIRST_POS, OR_CF_SI_HIST,
	/* co-visitation, per matrix (clicks, buys = carts_orders, b2b = buy2buy) */
	OR_CF_CV_CLICKS_SUM, OR_CF_CV_CLICKS_MAX, OR_CF_CV_CLICKS_LAST, OR_CF_CV_CLICKS_RANK,
	OR_CF_CV_CLICKS_ROWS,
	OR_CF_CV_BUYS_SUM, OR_CF_CV_BUYS_MAX, OR_CF_CV_BUYS_LAST, OR_CF_CV_BUYS_RANK,
	OR_CF_CV_BUYS_ROWS,
	OR_CF_CV_B2B_SUM, OR_CF_CV_B2B_MAX, OR_CF_CV_B2B_LAST, OR_CF_CV_B2B_RANK,
	OR_CF_CV_B2B_ROWS,
	/* next items (the training period's next-item table) */
	OR_CF_NX_SUM, OR_CF_NX_LAST, OR_CF_NX_RANK_LAST, OR_CF_NX_BACK,
	/* embeddings */
	OR_CF_EMB_SIM_LAST, OR_CF_EMB_SIM_MEAN, OR_CF_EMB_NN, OR_CF_EMB_RANK_LAST,
	/* sources' ranks */
	OR_CF_RULE_CLICKS_RANK, OR_CF_RULE_BUYS_RANK, OR_CF_POP_RANK, OR_CF_STAGE1_RANK,
	OR_CF_N
};

/* "s_events", ...; NULL out of range. */
const char *or_cand_feature_name(unsigned f);
/* The OR_CF_N names in order (static). */
const char *const *or_cand_feature_names(void);

/* The item statistics of a training period (the stores the models were
   built from): per item of their union dictionary the events of each type
   over the whole period, its last 7 days and its last day, the period
   ending at the stores' largest timestamp. */
typedef struct or_cand_stats or_cand_stats;

int or_cand_stats_build(or_store *const *stores, size_t n_stores, or_cand_stats **out,
			const or_log *log, or_err *err);
void or_cand_stats_free(or_cand_stats *s); /* NULL is fine */

enum { OR_CAND_SRC_HISTORY = 1u, OR_CAND_SRC_COVISIT = 2u, OR_CAND_SRC_BUY2BUY = 4u,
       OR_CAND_SRC_EMBEDDING = 8u, OR_CAND_SRC_RULE = 16u, OR_CAND_SRC_POPULAR = 32u,
       OR_CAND_SRC_NEXT = 64u, OR_CAND_SRC_ALL = 127u };

/* "history,covisit,..." -> bit set (OR_EINVAL naming an unknown name);
   and the name of one source bit. */
int or_cand_sources_parse(const char *list, unsigned *out, or_err *err);
const char *or_cand_source_name(unsigned bit);

typedef struct or_cand_config {
	size_t max_candidates; /* kept per session after stage 1 (50), 1..OR_CAND_MAX */
	size_t max_history;    /* recent distinct aids whose matrix rows are read (30) */
	size_t n_recent_emb;   /* most recent distinct aids searched (3), 0..16 */
	size_t emb_k;          /* neighbours per searched aid (20), 1..100 */
	size_t emb_nprobe;     /* cap on the index's nprobe (8; 0 = the index's) */
	size_t n_popular;      /* popular aids per list (20), 0..100 */
	size_t n_recent_next;  /* most recent distinct aids whose next items are read (5), 0..30 */
	unsigned sources;      /* OR_CAND_SRC_* (all) */
	int threads;           /* 0 = OpenMP default */
} or_cand_config;

void or_cand_config_default(or_cand_config *cfg);

/* The models candidates come from; any may be NULL (its sources and
   features are then empty / -1 / 0). */
typedef struct or_cand_model {
	const or_covisit *clicks, *carts_orders, *buy2buy;
	const or_ann *index;
	or_ann_search_params search;
	const or_cand_stats *stats;
	const or_store *period; /* the test period whose popularity the t_*
				   features and the popular lists read; NULL =
				   the ranked store itself */
	const struct or_cand_period *summary; /* that period's summary built
				   once (or_cand_period.h, with these stats);
				   NULL = computed from period on each call */
} or_cand_model;

/* One block of sessions' candidate rows, in session order. */
typedef struct or_cand_chunk {
	size_t n_sessions;
	const size_t *session;   /* store index of each session */
	const int64_t *session_ids; /* and its id */
	const uint64_t *off;     /* n_sessions + 1: session j owns rows [off[j], off[j+1]) */
	size_t n_rows;
	const uint32_t *aid;     /* per row */
	const float *x;          /* n_rows x OR_CF_N */
} or_cand_chunk;

/* Called once per block, in session order, on the calling thread. */
typedef int (*or_cand_sink)(void *ctx, const or_cand_chunk *chunk, or_err *err);

/*
 * The candidates of the sessions i of st with keep[i] != 0 (keep NULL =
 * all), handed to sink block by block (about 16 k sessions each; the
 * memory is the blocks', not the store's).  Progress stage "candidates"
 * in sessions; cancellation OR_ECANCELLED; sink's error stops the run.
 */
int or_cand_generate(const or_store *st, const or_cand_model *m, const or_cand_config *cfg,
		     const uint8_t *keep, or_cand_sink sink, void *ctx, const or_log *log,
		     or_err *err);

/* The settings as one JSON object (the keys of or_cand_config except
   threads; sources as a name list), written into buf; its length, or the
   length needed when >= cap.  And back (missing keys keep *cfg's values;
   unknown keys, bad values: OR_EFORMAT naming `what`). */
size_t or_cand_config_json(const or_cand_config *cfg, char *buf, size_t cap);
int or_cand_config_from_json(const char *json, size_t len, const char *what, or_cand_config *cfg,
			     or_err *err);

#endif
