/*
 * or_strategy.h - the recommendation strategies as one table that
 * `recommend`, `run` and `tune` look up: each strategy's name, what it
 * needs (co-visitation tables, an ANN index, a ranker model, the training
 * period's stores) and one way to run it into one output shape: three
 * caller-owned n_sessions x k arrays (clicks, carts, orders), padded with
 * -1.  This module owns the table and the adapters from each strategy's
 * own entry point (lib/rec/or_recommend*.c) to that shape.
 */
#ifndef OR_STRATEGY_H
#define OR_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include "or_ann.h"
#include "or_blend.h"
#include "or_cand.h"
#include "or_covisit.h"
#include "or_err.h"
#include "or_log.h"
#include "or_ranker.h"
#include "or_store.h"

enum {
	OR_NEEDS_COVISIT = 1u, /* the three co-visitation tables */
	OR_NEEDS_INDEX = 2u,   /* an ANN index */
	OR_USES_INDEX = 4u,    /* an ANN index when given (warned about otherwise) */
	OR_NEEDS_MODEL = 8u,   /* a ranker model */
	OR_NEEDS_TRAIN = 16u,  /* the training period's stores (item statistics) */
	OR_USES_WEIGHTS = 32u, /* a blend weights file when given */
	OR_USES_PERIOD = 64u,  /* a test period's popularity (inputs.period / .summary) */
	OR_PER_SESSION = 128u  /* a session's lists depend only on it and the models
				  (the period given as a summary): `serve` serves it */
};

typedef struct or_strategy_inputs {
	const or_store *test;
	const or_covisit *clicks, *carts_orders, *buy2buy;
	const or_ann *index;
	or_ann_search_params search;
	const double (*weights)[OR_BLEND_N_FEATURES]; /* blend; NULL = built-in */
	const or_ranker *ranker;                         /* ranker */
	const or_cand_stats *stats;                   /* ranker */
	const or_store *period;                       /* covisit (popular fill-ups), blend, ranker
							 (or_cand_model's); NULL = test */
	const struct or_cand_period *summary;         /* period's, built once with stats
							 (or_cand_period.h); used instead of
							 period when given */
	size_t k;                                     /* 1..OR_RECOMMEND_K_MAX */
	int threads;
} or_strategy_inputs;

typedef struct or_strategy {
	const char *name;
	unsigned needs;      /* OR_NEEDS_* / OR_USES_* */
	const char *summary; /* one line */
	int (*run)(const or_strategy_inputs *in, int64_t *const out[3], const or_log *log,
		   or_err *err);
} or_strategy;

size_t or_strategy_count(void);
const or_strategy *or_strategy_at(size_t i);
/* NULL when unknown. */
const or_strategy *or_strategy_find(const char *name);
/* "seed, covisit, blend or ranker" (static). */
const char *or_strategy_names(void);

/*
 * The ranker strategy: the candidates of every session of test
 * (or_cand.h, with the settings the model was fitted on), scored per type
 * by the ranker, the k best per type (ties: the smaller aid), padded with
 * -1.  The ranker's features must be or_cand's (OR_EFORMAT naming the
 * first difference).  Scores are computed block by block; results do not
 * depend on the thread count.
 */
int or_recommend_ranker(const or_store *test, const or_cand_model *m, const or_cand_config *cfg,
			const or_ranker *ranker, size_t k, int64_t *const out[3], const or_log *log,
			or_err *err);

#endif
