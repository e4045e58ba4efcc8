/*
 * or_strategy.c - the strategy table (or_strategy.h) and its adapters: each
 * strategy's own entry point run into the common three-array shape, with
 * whatever it builds for itself (the covisit rule's popular fill-ups, the
 * ranker's candidate settings from its model); the popular fill-ups of
 * covisit and blend come from the period (or its summary) when one is
 * given.
 */
#include "or_strategy.h"
#include "or_cand_period.h"
#include "or_recommend.h"

#include <string.h>

static void copy_rows(int64_t *dst, const int64_t *src, size_t n)
{
	if (dst != src)
		memcpy(dst, src, n * sizeof(int64_t));
}

static int run_seed(const or_strategy_inputs *in, int64_t *const out[3], const or_log *log,
		    or_err *err)
{
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	cfg.k = in->k;
	cfg.threads = in->threads;
	int rc = or_recommend_seed(in->test, in->index, &in->search, &cfg, out[0], log, err);
	size_t n = or_store_n_sessions(in->test) * in->k;
	if (!rc) {
		copy_rows(out[1], out[0], n);
		copy_rows(out[2], out[0], n);
	}
	return rc;
}

static int run_covisit(const or_strategy_inputs *in, int64_t *const out[3], const or_log *log,
		       or_err *err)
{
	int64_t top_clicks[OR_RECOMMEND_K_MAX], top_orders[OR_RECOMMEND_K_MAX];
	size_t n_tc = 0, n_to = 0;
	int rc = OR_OK;
	if (in->summary) { /* the same lists: the period's 100 best, cut */
		uint32_t top[OR_CAND_PERIOD_TOP];
		n_tc = or_cand_period_top(in->summary, OR_CLICKS, in->k, top);
		for (size_t i = 0; i < n_tc; i++)
			top_clicks[i] = top[i];
		n_to = or_cand_period_top(in->summary, OR_ORDERS, in->k, top);
		for (size_t i = 0; i < n_to; i++)
			top_orders[i] = top[i];
	} else {
		const or_store *pop = in->period ? in->period : in->test;
		rc = or_recommend_popular(pop, OR_CLICKS, in->k, top_clicks, &n_tc, err);
		if (!rc)
			rc = or_recommend_popular(pop, OR_ORDERS, in->k, top_orders, &n_to, err);
	}
	or_recommend_config cfg;
	or_recommend_config_default(&cfg);
	cfg.k = in->k;
	cfg.threads = in->threads;
	or_recommend_covisit_model m = { in->clicks, in->carts_orders, in->buy2buy,
					 top_clicks, n_tc, top_orders, n_to };
	if (!rc)
		rc = or_recommend_covisit(in->test, &m, &cfg, out[0], out[1], log, err);
	if (!rc)
		copy_rows(out[2], out[1], or_store_n_sessions(in->test) * in->k);
	return rc;
}

static int run_blend(const or_strategy_inputs *in, int64_t *const out[3], const or_log *log,
		     or_err *err)
{
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	cfg.k = in->k;
	cfg.threads = in->threads;
	if (in->weights)
		memcpy(cfg.w, in->weights, sizeof(cfg.w));
	or_blend_model m = { in->clicks, in->carts_orders, in->buy2buy, in->index, in->search,
			     in->period, in->summary };
	return or_recommend_blend(in->test, &m, &cfg, out[0], out[1], out[2], log, err);
}

static int run_ranker(const or_strategy_inputs *in, int64_t *const out[3], const or_log *log,
		      or_err *err)
{
	if (!in->ranker)
		return or_err_set(err, OR_EINVAL, "the ranker strategy needs a model");
	/* the features first: a model of other candidates is named as such */
	int rc = or_ranker_check_features(in->ranker, or_cand_feature_names(), OR_CF_N, err);
	if (rc)
		return rc;
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	const char *js = or_ranker_settings_json(in->ranker);
	rc = or_cand_config_from_json(js, strlen(js), "the model's candidate settings", &cfg, err);
	if (rc)
		return rc;
	cfg.threads = in->threads;
	or_cand_model m = { in->clicks, in->carts_orders, in->buy2buy, in->index, in->search, in->stats,
			    in->period, in->summary };
	return or_recommend_ranker(in->test, &m, &cfg, in->ranker, in->k, out, log, err);
}

static const or_strategy table[] = {
	{ "seed", OR_NEEDS_INDEX | OR_PER_SESSION, "history, then ANN neighbours of the last aid (the MF notebook)", run_seed },
	{ "covisit", OR_NEEDS_COVISIT | OR_USES_PERIOD | OR_PER_SESSION, "the co-visitation \"candidate rerank\" rules", run_covisit },
	{ "blend", OR_NEEDS_COVISIT | OR_USES_INDEX | OR_USES_WEIGHTS | OR_USES_PERIOD | OR_PER_SESSION,
	  "16 features per candidate, weighted sum (weights from `ottorec tune`)", run_blend },
	{ "ranker", OR_NEEDS_COVISIT | OR_USES_INDEX | OR_NEEDS_MODEL | OR_NEEDS_TRAIN | OR_USES_PERIOD |
			    OR_PER_SESSION,
	  "candidates and features ranked by a model fitted by `ottorec fit`", run_ranker },
};
#define N_STRATEGIES (sizeof(table) / sizeof(table[0]))

size_t or_strategy_count(void)
{
	return N_STRATEGIES;
}

const or_strategy *or_strategy_at(size_t i)
{
	return i < N_STRATEGIES ? &table[i] : NULL;
}

const or_strategy *or_strategy_find(const char *name)
{
	for (size_t i = 0; i < N_STRATEGIES; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const char *or_strategy_names(void)
{
	return "seed, covisit, blend or ranker";
}
