/*
 * serve_models.c - loading, sharing and calling `ottorec serve`'s model
 * set (see serve_models.h).  What is opened, from OUTDIR: covisit/ (the
 * three tables, manifest checked), index.ann (seed; blend when it
 * exists, as `run` gives it), ranker.model, blend's weights (--weights,
 * or fit/blend.weights when it exists, looked for at every load); the item
 * statistics (the --stats file, by default OUTDIR/ranker.stats, or built
 * from the --train stores: cli_models.h) and the --period store, read once
 * into its summary (or_cand_period.h) and closed.
 */
#include "cli.h"
#include "serve_models.h"

#include "cli_pipeline.h"
#include "or_ann.h"
#include "or_cand_period.h"
#include "or_ranker.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct serve_models {
	atomic_int refs;
	unsigned version;
	double loaded_at;
	const or_strategy *st;
	or_covisit *tab[3];
	or_ann *ix;
	or_ann_search_params search;
	cli_train tr;
	or_cand_period *summary;
	or_ranker *rk; /* one for every worker: or_ranker_score only reads it */
	int have_weights;
	or_blend_weights w; /* blend's, when have_weights */
	char detail[2 * 4096 + 32];
};

static void models_free(serve_models *m)
{
	if (!m)
		return;
	cli_free_covisit(m->tab);
	or_ann_free(m->ix);
	cli_train_free(&m->tr);
	or_cand_period_free(m->summary);
	or_ranker_free(m->rk);
	free(m);
}

static int load_path(const char *dir, const char *name, char **out, or_err *err)
{
	*out = cli_path_join(dir, name);
	return *out ? OR_OK : or_err_set(err, OR_ENOMEM, "out of memory");
}

/* Append ", what path" to the set's detail line. */
static void add_detail(serve_models *m, const char *what, const char *path)
{
	size_t n = strlen(m->detail);
	snprintf(m->detail + n, sizeof(m->detail) - n, ", %s %s", what, path);
}

int serve_models_load(const serve_config *cfg, unsigned version, serve_models **out, or_err *err)
{
	*out = NULL;
	const or_strategy *st = or_strategy_find(cfg->strategy);
	if (!st || !(st->needs & OR_PER_SESSION))
		return or_err_set(err, OR_EINVAL, "strategy '%s' is not served", cfg->strategy);
	serve_models *m = calloc(1, sizeof(*m));
	if (!m)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	atomic_init(&m->refs, 1);
	m->version = version;
	m->st = st;
	or_ann_search_params_default(&m->search);
	m->search.threads = 1;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	m->loaded_at = (double)tv.tv_sec + tv.tv_usec / 1e6;
	char *path = NULL;
	int rc = OR_OK;
	if (st->needs & OR_NEEDS_COVISIT) {
		rc = load_path(cfg->dir, "covisit", &path, err);
		if (!rc)
			rc = cli_open_covisit_dir(path, m->tab, err);
		free(path);
	}
	if (!rc && (st->needs & (OR_NEEDS_INDEX | OR_USES_INDEX))) {
		/* the ranker: only when its model was fitted with one (none in
		   `run`'s models today); seed: required; blend: when OUTDIR has
		   one (`run` gives it OUTDIR/index.ann) */
		const int blend = (st->needs & OR_USES_WEIGHTS) != 0;
		char *hold;
		const char *ix = cli_existing_file(cfg->dir, "index.ann", &hold);
		if (!hold)
			rc = or_err_set(err, OR_ENOMEM, "out of memory");
		else if ((st->needs & OR_NEEDS_INDEX) || (blend && ix))
			rc = or_ann_open(hold, &m->ix, err);
		if (!rc && blend)
			add_detail(m, "index", ix ? ix : "none (no embedding features)");
		free(hold);
	}
	if (!rc && (st->needs & OR_USES_WEIGHTS)) {
		char *hold = NULL;
		const char *wp = cfg->weights ? cfg->weights
					      : cli_existing_file(cfg->dir, "fit/blend.weights", &hold);
		if (wp) {
			rc = or_blend_weights_read(wp, m->w, err);
			m->have_weights = !rc;
		}
		if (!rc)
			add_detail(m, "weights", wp ? wp : "built-in");
		free(hold);
	}
	if (!rc && (st->needs & OR_NEEDS_TRAIN)) {
		for (size_t i = 0; i < cfg->n_train; i++)
			m->tr.path[m->tr.n++] = cfg->train[i];
		m->tr.stats_path = cfg->stats;
		rc = cli_train_open(&m->tr, err);
	}
	if (!rc && (st->needs & OR_USES_PERIOD)) {
		or_store *period = NULL;
		rc = or_store_open(cfg->period, &period, err);
		if (!rc)
			rc = or_cand_period_build(period, m->tr.stats, &m->summary, err);
		or_store_free(period);
	}
	if (!rc && (st->needs & OR_NEEDS_MODEL)) {
		rc = load_path(cfg->dir, "ranker.model", &path, err);
		if (!rc)
			rc = or_ranker_open(path, &m->rk, err);
		if (!rc)
			rc = or_ranker_check_features(m->rk, or_cand_feature_names(), OR_CF_N, err);
		if (!rc) { /* a settings string the strategy would refuse: refused now */
			or_ranker_set_threads(m->rk, 1);
			rc = or_cand_config_from_json(or_ranker_settings_json(m->rk),
						      strlen(or_ranker_settings_json(m->rk)),
						      "the model's candidate settings",
						      &(or_cand_config){ 0 }, err);
		}
		free(path);
	}
	if (rc) {
		models_free(m);
		return rc;
	}
	*out = m;
	return OR_OK;
}

void serve_models_ref(serve_models *m)
{
	atomic_fetch_add(&m->refs, 1);
}

void serve_models_unref(serve_models *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1)
		models_free(m);
}

unsigned serve_models_version(const serve_models *m) { return m->version; }
double serve_models_loaded_at(const serve_models *m) { return m->loaded_at; }
const char *serve_models_strategy(const serve_models *m) { return m->st->name; }
const char *serve_models_detail(const serve_models *m) { return m->detail; }

int serve_models_recommend(serve_models *m, const or_store *st, size_t k, int64_t *const rows[3],
			   or_err *err)
{
	or_strategy_inputs in;
	memset(&in, 0, sizeof(in));
	in.test = st;
	in.clicks = m->tab[0];
	in.carts_orders = m->tab[1];
	in.buy2buy = m->tab[2];
	in.index = m->ix;
	in.search = m->search;
	in.ranker = m->rk;
	in.stats = m->tr.stats;
	in.summary = m->summary;
	in.weights = m->have_weights ? (const double (*)[OR_BLEND_N_FEATURES])m->w : NULL;
	in.k = k;
	in.threads = 1;
	return m->st->run(&in, rows, NULL, err);
}
