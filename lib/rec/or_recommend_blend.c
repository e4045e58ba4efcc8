/*
 * or_recommend_blend.c - the blend strategy (rules in or_blend.h): the
 * per-session candidate table with its features, the weighted ranking, and
 * the weights file.  Hand-written: a handful of features and a weighted sum
 * need no learning-to-rank library (none in Debian fits a C11 tool without
 * pulling in a runtime); the weights come from `ottorec tune` (or_tune.c).
 * Candidates are aids (they come from the history, the tables, the index
 * and the popular lists); a session's aids are mapped to the tables' items
 * once to read their rows, and the popularity features and popular lists
 * come from the period's summary (or_cand_period.h: given by the caller,
 * or built once per call of the period store or of the test store).
 */
#include "or_aidmap.h"
#include "or_blend.h"
#include "or_cand_period.h"
#include "or_file.h"
#include "or_par.h"
#include "or_rec_neighbours.h"
#include "or_rec_topk.h"
#include "or_recommend.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F OR_BLEND_N_FEATURES
#define CHUNK 16384

static const char *const feature_names[F] = {
	"hist", "recent", "bought", "ordered", "count", "cv_clicks", "cv_buys", "b2b",
	"cv_last", "cv_count", "emb", "emb_last", "pop_clicks", "pop_buys", "rule_clicks", "rule_buys",
};

const char *or_blend_feature_name(unsigned f)
{
	return f < F ? feature_names[f] : NULL;
}

int or_blend_feature_by_name(const char *name)
{
	for (int f = 0; f < F; f++)
		if (!strcmp(name, feature_names[f]))
			return f;
	return -1;
}

void or_blend_covisit_weights(or_blend_weights w)
{
	memset(w, 0, sizeof(or_blend_weights));
	w[OR_CLICKS][OR_BLEND_RULE_CLICKS] = 1;
	w[OR_CARTS][OR_BLEND_RULE_BUYS] = 1;
	w[OR_ORDERS][OR_BLEND_RULE_BUYS] = 1;
}

/*
 * The built-in weights: `ottorec tune` (defaults: from the covisit
 * weights) on the local split of `ottorec synth --scale 0.05 --seed 1`
 * (`split`, `covisit`, `pairs`, `train` (exact) and `index build`, all with
 * their defaults); Recall@20 there 0.637620 -> 0.653687.  docs/blend.md
 * has the run and the scores on data seed 2.
 */
static const or_blend_weights default_weights = {
	[OR_CLICKS] = {
		[OR_BLEND_HIST] = 0.25,
		[OR_BLEND_RECENT] = 0.875,
		[OR_BLEND_BOUGHT] = 1,
		[OR_BLEND_COUNT] = 0.125,
		[OR_BLEND_CV_CLICKS] = -0.1875,
		[OR_BLEND_CV_LAST] = 2.25,
		[OR_BLEND_CV_COUNT] = -0.125,
		[OR_BLEND_EMB] = -0.25,
		[OR_BLEND_POP_CLICKS] = -0.25,
		[OR_BLEND_RULE_CLICKS] = 1.25,
		[OR_BLEND_RULE_BUYS] = 1.25,
	},
	[OR_CARTS] = {
		[OR_BLEND_HIST] = 3.3125,
		[OR_BLEND_RECENT] = 2,
		[OR_BLEND_COUNT] = 1,
		[OR_BLEND_CV_CLICKS] = 2,
		[OR_BLEND_B2B] = 0.1875,
		[OR_BLEND_CV_LAST] = 1,
		[OR_BLEND_CV_COUNT] = 0.0625,
		[OR_BLEND_EMB_LAST] = -0.25,
		[OR_BLEND_RULE_CLICKS] = 0.25,
		[OR_BLEND_RULE_BUYS] = 1,
	},
	[OR_ORDERS] = {
		[OR_BLEND_HIST] = 2,
		[OR_BLEND_RECENT] = 1,
		[OR_BLEND_BOUGHT] = 1,
		[OR_BLEND_COUNT] = 1,
		[OR_BLEND_CV_CLICKS] = 1.5,
		[OR_BLEND_CV_BUYS] = -0.5,
		[OR_BLEND_B2B] = -0.375,
		[OR_BLEND_EMB] = -0.5,
		[OR_BLEND_EMB_LAST] = 0.5,
		[OR_BLEND_RULE_CLICKS] = 1.5,
		[OR_BLEND_RULE_BUYS] = 2,
	},
};

void or_blend_default_weights(or_blend_weights w)
{
	memcpy(w, default_weights, sizeof(or_blend_weights));
}

void or_blend_config_default(or_blend_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->k = 20;
	cfg->max_history = 30;
	cfg->n_recent_emb = 3;
	cfg->emb_k = 20;
	cfg->emb_nprobe = 8;
	or_blend_default_weights(cfg->w);
	cfg->threads = 0;
}

void or_blend_table_release(or_blend_table *t)
{
	free(t->session);
	free(t->off);
	free(t->aid);
	free(t->x);
	free(t->tag);
	memset(t, 0, sizeof(*t));
}

/* ---- shared inputs of all sessions ---------------------------------------- */

typedef struct ctx {
	const or_store *test;
	const or_blend_model *m;
	const or_blend_config *cfg;
	int64_t *rule_clicks, *rule_buys;   /* n_sessions x k */
	int64_t pop[3][OR_RECOMMEND_K_MAX];
	size_t n_pop[3];
	or_cand_period *own_period;         /* the summary when built here */
	const or_cand_period *ps;           /* the period's summary (or_cand_period.h) */
	const or_items *pop_items;          /* its dictionary */
	const float *pop_clicks, *pop_buys; /* per item of pop_items */
	const or_items *items;              /* the tables' dictionary, NULL: no tables */
	const uint32_t *item_aid;           /* its aids */
	or_rec_neighbours nb;               /* the neighbours of the recent aids */
} ctx;

static void ctx_free(ctx *c)
{
	free(c->rule_clicks);
	free(c->rule_buys);
	or_cand_period_free(c->own_period);
	or_rec_neighbours_release(&c->nb);
}

static int ctx_init(ctx *c, const or_store *test, const or_blend_model *m,
		    const or_blend_config *cfg, const or_log *log, or_err *err)
{
	memset(c, 0, sizeof(*c));
	c->test = test;
	c->m = m;
	c->cfg = cfg;
	if (cfg->k < 1 || cfg->k > OR_RECOMMEND_K_MAX)
		return or_err_set(err, OR_EINVAL, "list length must be 1..%d", OR_RECOMMEND_K_MAX);
	if (cfg->emb_k < 1 || cfg->emb_k > 100)
		return or_err_set(err, OR_EINVAL, "embedding neighbours must be 1..100");
	if (cfg->n_recent_emb > OR_BLEND_MAX_RECENT_EMB)
		return or_err_set(err, OR_EINVAL, "searched recent aids must be 0..%d", OR_BLEND_MAX_RECENT_EMB);
	for (int t = 0; t < 3; t++)
		for (int f = 0; f < F; f++)
			if (!isfinite(cfg->w[t][f]))
				return or_err_set(err, OR_EINVAL, "blend weight %s %s is not finite",
						  or_type_name((unsigned)t), feature_names[f]);
	size_t ns = or_store_n_sessions(test), k = cfg->k, cells;
	if (or_size_mul(ns ? ns : 1, k, &cells) || or_size_mul(cells, sizeof(int64_t), &cells))
		return or_err_set(err, OR_ENOMEM, "too many sessions");
	const or_covisit *tabs[3] = { m->clicks, m->carts_orders, m->buy2buy };
	int rc = or_covisit_shared_items(tabs, 3, &c->items, err);
	if (rc)
		return rc;
	c->item_aid = c->items ? or_items_aids(c->items) : NULL;
	/* the period's summary (given, or built here of the period or the
	   test store): its pass verifies the store's columns as it reads them */
	c->ps = m->summary;
	if (!c->ps) {
		rc = or_cand_period_build(m->period ? m->period : test, NULL, &c->own_period, err);
		if (rc)
			return rc;
		c->ps = c->own_period;
	}
	for (unsigned t = 0; t < 3; t++) {
		uint32_t top[OR_CAND_PERIOD_TOP];
		c->n_pop[t] = or_cand_period_top(c->ps, t, k, top);
		for (size_t i = 0; i < c->n_pop[t]; i++)
			c->pop[t][i] = top[i];
	}
	c->pop_items = or_cand_period_items(c->ps);
	c->pop_clicks = or_cand_period_pop(c->ps, 0);
	c->pop_buys = or_cand_period_pop(c->ps, 1);
	c->rule_clicks = malloc(cells);
	c->rule_buys = malloc(cells);
	if (!c->rule_clicks || !c->rule_buys)
		return or_err_set(err, OR_ENOMEM, "out of memory (blend inputs)");
	or_recommend_config rc_cfg;
	or_recommend_config_default(&rc_cfg);
	rc_cfg.k = k;
	rc_cfg.threads = cfg->threads;
	or_recommend_covisit_model cm = { m->clicks, m->carts_orders, m->buy2buy,
					  c->pop[OR_CLICKS], c->n_pop[OR_CLICKS],
					  c->pop[OR_ORDERS], c->n_pop[OR_ORDERS] };
	return or_recommend_covisit(test, &cm, &rc_cfg, c->rule_clicks, c->rule_buys, log, err);
}

/* ---- one session's candidates ------------------------------------------------ */

typedef struct worker {
	or_aidmap map;        /* aid -> candidate index */
	uint32_t *aid;        /* candidates in insertion order */
	float *x;             /* cap x F */
	size_t n, cap;
	uint32_t *uniq, *buys; /* distinct aids / bought aids, most recent first */
	uint32_t *uitem, *bitem; /* their items in the tables (OR_ITEM_NONE: cold) */
	uint32_t *titem;      /* cap: items of the candidates in the period */
	size_t nu, nb, cap_u;
	double *score;
} worker;

static void worker_free(worker *w)
{
	or_aidmap_free(&w->map);
	free(w->aid);
	free(w->x);
	free(w->uniq);
	free(w->buys);
	free(w->uitem);
	free(w->bitem);
	free(w->titem);
	free(w->score);
	memset(w, 0, sizeof(*w));
}

static int worker_reserve(worker *w, size_t items, size_t events)
{
	if (events > w->cap_u) {
		size_t c = w->cap_u ? w->cap_u : 256;
		while (c < events)
			c *= 2;
		free(w->uniq);
		free(w->buys);
		free(w->uitem);
		free(w->bitem);
		w->uniq = malloc(c * sizeof(*w->uniq));
		w->buys = malloc(c * sizeof(*w->buys));
		w->uitem = malloc(c * sizeof(*w->uitem));
		w->bitem = malloc(c * sizeof(*w->bitem));
		if (!w->uniq || !w->buys || !w->uitem || !w->bitem)
			return -1;
		w->cap_u = c;
	}
	if (items > w->cap) {
		size_t c = w->cap ? w->cap : 1024;
		while (c < items)
			c *= 2;
		free(w->aid);
		free(w->x);
		free(w->score);
		free(w->titem);
		w->aid = malloc(c * sizeof(*w->aid));
		w->x = malloc(c * F * sizeof(*w->x));
		w->score = malloc(c * sizeof(*w->score));
		w->titem = malloc(c * sizeof(*w->titem));
		if (!w->aid || !w->x || !w->score || !w->titem)
			return -1;
		w->cap = c;
	}
	w->n = 0;
	return or_aidmap_reset(&w->map, w->cap);
}

/* The candidate index of aid, inserted (features 0) when new. */
static inline size_t cand(worker *w, uint32_t aid)
{
	size_t i = or_aidmap_slot(&w->map, w->aid, aid);
	if (or_aidmap_used(&w->map, i))
		return or_aidmap_entry(&w->map, i);
	or_aidmap_claim(&w->map, i, w->n);
	w->aid[w->n] = aid;
	memset(w->x + w->n * F, 0, F * sizeof(float));
	return w->n++;
}

/* Add the row of item it to feature f with weight 1 / (1 + r), relative to
   the row's best; item_aid maps the row's items to candidate aids. */
static void add_row(worker *w, const or_covisit *t, const uint32_t *item_aid, uint32_t it,
		    size_t r, int f)
{
	if (!t)
		return;
	const uint32_t *nb;
	const double *wt;
	size_t len = or_covisit_row(t, it, &nb, &wt);
	if (len > or_covisit_top_k(t))
		len = or_covisit_top_k(t); /* the scratch is sized by top_k */
	if (!len || !(wt[0] > 0))
		return;
	double inv = 1.0 / (wt[0] * (double)(1 + r));
	for (size_t j = 0; j < len; j++) {
		size_t c = cand(w, item_aid[nb[j]]);
		float *x = w->x + c * F;
		x[f] = (float)((double)x[f] + wt[j] * inv);
		if (f != OR_BLEND_B2B)
			x[OR_BLEND_CV_COUNT] += 1;
		if (f == OR_BLEND_CV_CLICKS && r == 0)
			x[OR_BLEND_CV_LAST] = (float)(wt[j] / wt[0]);
	}
}

/* The distinct aids (and bought aids) of s, most recent first, into w. */
static void distinct_recent(worker *w, const or_session *s)
{
	w->nu = w->nb = 0;
	for (size_t i = s->n; i-- > 0;) {
		uint32_t a = s->aid[i];
		size_t c = cand(w, a);
		float *x = w->x + c * F;
		if (x[OR_BLEND_COUNT] == 0)
			w->uniq[w->nu++] = a;
		x[OR_BLEND_COUNT] += 1;
		if (s->type[i] == OR_ORDERS)
			x[OR_BLEND_ORDERED] = 1;
		if (s->type[i] != OR_CLICKS && x[OR_BLEND_BOUGHT] == 0) {
			x[OR_BLEND_BOUGHT] = 1;
			w->buys[w->nb++] = a;
		}
	}
}

static int session_candidates(worker *w, const ctx *c, size_t si, const or_session *s)
{
	const or_blend_config *cfg = c->cfg;
	const or_blend_model *m = c->m;
	size_t k = cfg->k, h = cfg->max_history;
	size_t tk_c = m->clicks ? or_covisit_top_k(m->clicks) : 0;
	size_t tk_o = m->carts_orders ? or_covisit_top_k(m->carts_orders) : 0;
	size_t tk_b = m->buy2buy ? or_covisit_top_k(m->buy2buy) : 0;
	size_t bound = s->n + h * (tk_c + tk_o + tk_b) + cfg->n_recent_emb * cfg->emb_k + 5 * k + 8;
	if (worker_reserve(w, bound, s->n))
		return -1;
	distinct_recent(w, s);
	/* history score, in time order */
	for (size_t i = 0; i < s->n; i++) {
		unsigned ty = s->type[i] < 3 ? s->type[i] : 0;
		static const double tw[3] = { 1, 6, 3 };
		size_t ci = cand(w, s->aid[i]);
		float *x = w->x + ci * F;
		x[OR_BLEND_HIST] = (float)((double)x[OR_BLEND_HIST] + or_history_log_weight(0.1, s->n, i) * tw[ty]);
	}
	for (size_t r = 0; r < w->nu; r++) {
		float *x = w->x + cand(w, w->uniq[r]) * F;
		x[OR_BLEND_RECENT] = (float)(1.0 / (double)(1 + r));
	}
	size_t nu = w->nu, nbuy = w->nb;
	size_t hu = nu < h ? nu : h, hb = nbuy < h ? nbuy : h;
	if (c->items) {
		or_items_index_many(c->items, w->uniq, hu, w->uitem);
		or_items_index_many(c->items, w->buys, hb, w->bitem);
	}
	for (size_t r = 0; c->items && r < hu; r++) {
		add_row(w, m->clicks, c->item_aid, w->uitem[r], r, OR_BLEND_CV_CLICKS);
		add_row(w, m->carts_orders, c->item_aid, w->uitem[r], r, OR_BLEND_CV_BUYS);
	}
	for (size_t r = 0; c->items && r < hb; r++)
		add_row(w, m->buy2buy, c->item_aid, w->bitem[r], r, OR_BLEND_B2B);
	/* neighbours of the most recent aids (searched once per aid, see search_neighbours) */
	for (size_t r = 0; r < nu && r < cfg->n_recent_emb; r++) {
		const uint32_t *row = or_rec_neighbours_of(&c->nb, w->uniq[r]);
		if (!row)
			continue;
		for (size_t j = 0; j < cfg->emb_k; j++) {
			if (row[j] == UINT32_MAX)
				continue;
			float *x = w->x + cand(w, row[j]) * F;
			x[OR_BLEND_EMB] = (float)((double)x[OR_BLEND_EMB] + 1.0 / ((double)(1 + r) * (double)(1 + j)));
			if (r == 0)
				x[OR_BLEND_EMB_LAST] = (float)(1.0 / (double)(1 + j));
		}
	}
	const int64_t *rl[2] = { c->rule_clicks + si * k, c->rule_buys + si * k };
	for (int l = 0; l < 2; l++)
		for (size_t p = 0; p < k; p++) {
			if (rl[l][p] < 0)
				break;
			float *x = w->x + cand(w, (uint32_t)rl[l][p]) * F;
			x[l ? OR_BLEND_RULE_BUYS : OR_BLEND_RULE_CLICKS] = (float)(1.0 / (double)(1 + p));
		}
	for (int t = 0; t < 3; t++)
		for (size_t p = 0; p < c->n_pop[t]; p++)
			cand(w, (uint32_t)c->pop[t][p]);
	/* popularity, and the per-session max scaling */
	float mx[F];
	memset(mx, 0, sizeof(mx));
	or_items_index_many(c->pop_items, w->aid, w->n, w->titem);
	for (size_t i = 0; i < w->n; i++) {
		float *x = w->x + i * F;
		uint32_t ti = w->titem[i];
		x[OR_BLEND_POP_CLICKS] = ti != OR_ITEM_NONE ? c->pop_clicks[ti] : 0.0f;
		x[OR_BLEND_POP_BUYS] = ti != OR_ITEM_NONE ? c->pop_buys[ti] : 0.0f;
		for (int f = 0; f < F; f++)
			if (x[f] > mx[f])
				mx[f] = x[f];
	}
	static const int scaled[] = { OR_BLEND_HIST, OR_BLEND_COUNT, OR_BLEND_CV_CLICKS,
				      OR_BLEND_CV_BUYS, OR_BLEND_B2B, OR_BLEND_CV_COUNT, OR_BLEND_EMB };
	for (size_t q = 0; q < sizeof(scaled) / sizeof(scaled[0]); q++) {
		int f = scaled[q];
		if (!(mx[f] > 0))
			continue;
		for (size_t i = 0; i < w->n; i++)
			w->x[i * F + f] = w->x[i * F + f] / mx[f];
	}
	return 0;
}

/* ---- ranking ------------------------------------------------------------------ */

static void rank(const uint32_t *aid, const float *x, size_t n, const double *wt, size_t k,
		 int64_t *out, double *sc)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		or_rec_topk_push(out, sc, &m, k, or_blend_score(x + i * F, wt), aid[i]);
	or_rec_topk_pad(out, m, k);
}

void or_blend_rank_row(const or_blend_table *t, size_t r, const double *w, size_t k,
		       int64_t *out)
{
	uint64_t lo = t->off[r], hi = t->off[r + 1];
	double sc[OR_RECOMMEND_K_MAX];
	rank(t->aid + lo, t->x + lo * F, (size_t)(hi - lo), w, k <= OR_RECOMMEND_K_MAX ? k : OR_RECOMMEND_K_MAX,
	     out, sc);
}

/* out: NULL = store into tab, else rank into out[3] (n_sessions x k). */
static int run(const or_store *test, const or_blend_model *m, const or_blend_config *cfg,
	       const uint8_t *keep, or_blend_table *tab, int64_t *const *out,
	       const or_log *log, or_err *err)
{
	ctx c;
	int rc = ctx_init(&c, test, m, cfg, log, err);
	size_t ns = or_store_n_sessions(test), k = cfg->k;
	/* the offsets were checked by or_store_open */
	if (!rc)
		rc = or_rec_neighbours_search(&c.nb, test, keep, m->index, &m->search, cfg->emb_nprobe,
					      cfg->n_recent_emb, cfg->emb_k, cfg->threads, log, err);
	uint32_t **pa = malloc(CHUNK * sizeof(*pa));
	float **px = malloc(CHUNK * sizeof(*px));
	size_t *pn = malloc(CHUNK * sizeof(*pn));
	if (!rc && (!pa || !px || !pn))
		rc = or_err_set(err, OR_ENOMEM, "out of memory (blend chunk)");
	if (!rc && tab) {
		or_blend_table_release(tab);
		tab->off = malloc(sizeof(*tab->off));
		tab->session = malloc((ns ? ns : 1) * sizeof(*tab->session));
		if (!tab->off || !tab->session)
			rc = or_err_set(err, OR_ENOMEM, "out of memory (candidate table)");
		else
			tab->off[0] = 0;
	}
	int T = or_par_threads(cfg->threads);
	(void)T;
	for (size_t lo = 0; !rc && lo < ns; lo += CHUNK) {
		size_t hi = lo + CHUNK < ns ? lo + CHUNK : ns;
		if (or_log_cancelled(log)) {
			rc = or_err_set(err, OR_ECANCELLED, "cancelled");
			break;
		}
		or_log_progress(log, tab ? "candidates" : "recommend", (double)lo, (double)ns, "sessions");
		int failed = OR_PAR_OK;
		OMP(omp parallel num_threads(T))
		{
			worker w;
			memset(&w, 0, sizeof(w));
			OMP(omp for schedule(dynamic, 64))
			for (size_t i = lo; i < hi; i++) {
				pa[i - lo] = NULL;
				px[i - lo] = NULL;
				pn[i - lo] = 0;
				if (or_par_stop(&failed, log) || (keep && !keep[i]))
					continue;
				or_session s;
				or_store_session(test, i, &s);
				if (session_candidates(&w, &c, i, &s)) {
					or_par_fail(&failed, OR_PAR_FAILED);
					continue;
				}
				if (out) {
					for (int t = 0; t < 3; t++)
						rank(w.aid, w.x, w.n, cfg->w[t], k, out[t] + i * k, w.score);
				} else {
					pa[i - lo] = malloc((w.n ? w.n : 1) * sizeof(uint32_t));
					px[i - lo] = malloc((w.n ? w.n : 1) * F * sizeof(float));
					if (!pa[i - lo] || !px[i - lo]) {
						or_par_fail(&failed, OR_PAR_FAILED);
						continue;
					}
					memcpy(pa[i - lo], w.aid, w.n * sizeof(uint32_t));
					memcpy(px[i - lo], w.x, w.n * F * sizeof(float));
					pn[i - lo] = w.n;
				}
			}
			worker_free(&w);
		}
		if (failed == OR_PAR_CANCELLED)
			rc = or_err_set(err, OR_ECANCELLED, "cancelled");
		else if (failed)
			rc = or_err_set(err, OR_ENOMEM, "out of memory (blend candidates)");
		if (!out) {
			for (size_t i = lo; i < hi; i++) {
				if (!rc && (!keep || keep[i])) {
					size_t n = pn[i - lo], need = tab->n_cand + n;
					if (need > tab->cap) {
						size_t cap = tab->cap ? tab->cap : 65536;
						while (cap < need)
							cap *= 2;
						uint32_t *a = realloc(tab->aid, cap * sizeof(*a));
						if (a)
							tab->aid = a;
						float *x = realloc(tab->x, cap * F * sizeof(*x));
						if (x)
							tab->x = x;
						if (!a || !x)
							rc = or_err_set(err, OR_ENOMEM, "out of memory (candidate table)");
						else
							tab->cap = cap;
					}
					uint64_t *o = rc ? NULL : realloc(tab->off, (tab->n_rows + 2) * sizeof(*o));
					if (!rc && !o)
						rc = or_err_set(err, OR_ENOMEM, "out of memory (candidate table)");
					if (!rc) {
						tab->off = o;
						memcpy(tab->aid + tab->n_cand, pa[i - lo], n * sizeof(uint32_t));
						memcpy(tab->x + tab->n_cand * F, px[i - lo], n * F * sizeof(float));
						tab->n_cand += n;
						tab->session[tab->n_rows++] = i;
						tab->off[tab->n_rows] = tab->n_cand;
					}
				}
				free(pa[i - lo]);
				free(px[i - lo]);
			}
		}
	}
	if (!rc && tab) {
		tab->tag = calloc(tab->n_cand ? tab->n_cand : 1, 1);
		if (!tab->tag)
			rc = or_err_set(err, OR_ENOMEM, "out of memory (candidate table)");
	}
	if (!rc)
		or_log_progress(log, tab ? "candidates" : "recommend", (double)ns, (double)ns, "sessions");
	if (rc && tab)
		or_blend_table_release(tab);
	free(pa);
	free(px);
	free(pn);
	ctx_free(&c);
	return rc;
}

int or_blend_candidates(const or_store *test, const or_blend_model *m,
			const or_blend_config *cfg, const uint8_t *keep,
			or_blend_table *t, const or_log *log, or_err *err)
{
	return run(test, m, cfg, keep, t, NULL, log, err);
}

int or_recommend_blend(const or_store *test, const or_blend_model *m,
		       const or_blend_config *cfg, int64_t *clicks, int64_t *carts,
		       int64_t *orders, const or_log *log, or_err *err)
{
	int64_t *out[3] = { clicks, carts, orders };
	return run(test, m, cfg, NULL, NULL, out, log, err);
}

/* ---- the weights file ------------------------------------------------------------ */

static const char *const type_names[3] = { "clicks", "carts", "orders" };

int or_blend_weights_read(const char *path, or_blend_weights w, or_err *err)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return or_err_set(err, OR_EIO, "cannot open %s: %s", path, strerror(errno));
	memset(w, 0, sizeof(or_blend_weights));
	unsigned char given[3][F];
	memset(given, 0, sizeof(given));
	char line[1024];
	size_t ln = 0;
	int header = 0, rc = OR_OK;
	while (!rc && fgets(line, sizeof(line), fp)) {
		ln++;
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			rc = or_err_set(err, OR_EFORMAT, "%s:%zu: line too long", path, ln);
			break;
		}
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		char a[64], b[64], extra[2];
		double v;
		if (!header) {
			int ver;
			if (sscanf(p, "%63s %d %1s", a, &ver, extra) != 2 || strcmp(a, "ottorec-blend-weights") != 0)
				rc = or_err_set(err, OR_EFORMAT, "%s:%zu: expected the header \"ottorec-blend-weights %d\"",
						path, ln, OR_BLEND_WEIGHTS_VERSION);
			else if (ver != OR_BLEND_WEIGHTS_VERSION)
				rc = or_err_set(err, OR_EUNSUPPORTED, "%s:%zu: weights file version %d (this program reads %d)",
						path, ln, ver, OR_BLEND_WEIGHTS_VERSION);
			header = 1;
			continue;
		}
		char num[128];
		if (sscanf(p, "%63s %63s %127s %1s", a, b, num, extra) != 3) {
			rc = or_err_set(err, OR_EFORMAT, "%s:%zu: expected \"<type> <feature> <weight>\"", path, ln);
			break;
		}
		int t = -1;
		for (int i = 0; i < 3; i++)
			if (!strcmp(a, type_names[i]))
				t = i;
		int f = or_blend_feature_by_name(b);
		char *end;
		errno = 0;
		v = strtod(num, &end);
		if (t < 0)
			rc = or_err_set(err, OR_EFORMAT, "%s:%zu: unknown type '%s' (clicks, carts or orders)", path, ln, a);
		else if (f < 0)
			rc = or_err_set(err, OR_EFORMAT, "%s:%zu: unknown feature '%s'", path, ln, b);
		else if (*end || end == num || errno || !isfinite(v) || num[strspn(num, "0123456789+-.eE")])
			rc = or_err_set(err, OR_EFORMAT, "%s:%zu: weight '%s' is not a finite number", path, ln, num);
		else if (given[t][f])
			rc = or_err_set(err, OR_EFORMAT, "%s:%zu: %s %s given twice", path, ln, a, b);
		else {
			given[t][f] = 1;
			w[t][f] = v;
		}
	}
	if (!rc && ferror(fp))
		rc = or_err_set(err, OR_EIO, "%s: read error", path);
	if (!rc && !header)
		rc = or_err_set(err, OR_EFORMAT, "%s: empty (no \"ottorec-blend-weights %d\" header)", path,
				OR_BLEND_WEIGHTS_VERSION);
	else if (!rc && !memchr(given, 1, sizeof(given)))
		rc = or_err_set(err, OR_EFORMAT, "%s: no weights after the header", path);
	fclose(fp);
	return rc;
}

int or_blend_weights_write(const char *path, const or_blend_weights w,
			   const char *comment, or_err *err)
{
	or_file f;
	memset(&f, 0, sizeof(f));
	int rc = or_file_open(&f, path, err);
	char buf[256];
	const char *c = comment;
	while (!rc && c && *c) {
		const char *e = strchr(c, '\n');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		rc = or_file_write(&f, "# ", 2, err);
		if (!rc)
			rc = or_file_write(&f, c, n, err);
		if (!rc)
			rc = or_file_write(&f, "\n", 1, err);
		c = e ? e + 1 : c + n;
	}
	if (!rc) {
		int n = snprintf(buf, sizeof(buf), "ottorec-blend-weights %d\n", OR_BLEND_WEIGHTS_VERSION);
		rc = or_file_write(&f, buf, (size_t)n, err);
	}
	for (int t = 0; !rc && t < 3; t++)
		for (int fe = 0; !rc && fe < F; fe++) {
			int n = snprintf(buf, sizeof(buf), "%s %s %.17g\n", type_names[t], feature_names[fe], w[t][fe]);
			rc = or_file_write(&f, buf, (size_t)n, err);
		}
	if (!rc)
		rc = or_file_commit(&f, err);
	or_file_abort(&f);
	return rc;
}
