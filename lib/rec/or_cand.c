/*
 * or_cand.c - the ranker's candidate generator (rules in or_cand.h): the
 * per-session scratch, the source table, the stage-1 cut and the feature
 * rows, block by block in parallel.  The item statistics and the settings'
 * JSON are in or_cand_stats.c; the test period's counts and popular lists
 * in or_cand_period.c (given once by the caller, or built per call).
 */
#include "or_aidmap.h"
#include "or_cand.h"
#include "or_cand_internal.h"
#include "or_cand_period.h"
#include "or_par.h"
#include "or_rec_neighbours.h"
#include "or_recommend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NF OR_CF_N
#define CHUNK 16384
#define RULE_K 20

static const char *const feature_names[NF] = {
	"s_events", "s_distinct", "s_duration", "s_clicks", "s_carts", "s_orders", "s_since_end",
	"i_clicks", "i_carts", "i_orders", "i_clicks_week", "i_carts_week", "i_orders_week",
	"i_clicks_day", "i_buys_day", "i_cart_click", "i_order_cart", "i_trend",
	"t_clicks", "t_buys",
	"si_clicks", "si_carts", "si_orders", "si_recency", "si_last_events", "si_last_seconds",
	"si_first_pos", "si_hist",
	"cv_clicks_sum", "cv_clicks_max", "cv_clicks_last", "cv_clicks_rank", "cv_clicks_rows",
	"cv_buys_sum", "cv_buys_max", "cv_buys_last", "cv_buys_rank", "cv_buys_rows",
	"cv_b2b_sum", "cv_b2b_max", "cv_b2b_last", "cv_b2b_rank", "cv_b2b_rows",
	"nx_sum", "nx_last", "nx_rank_last", "nx_back",
	"emb_sim_last", "emb_sim_mean", "emb_nn", "emb_rank_last",
	"rule_clicks_rank", "rule_buys_rank", "pop_rank", "stage1_rank",
};

const char *or_cand_feature_name(unsigned f)
{
	return f < NF ? feature_names[f] : NULL;
}

const char *const *or_cand_feature_names(void)
{
	return feature_names;
}

void or_cand_config_default(or_cand_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_candidates = 50;
	cfg->max_history = 30;
	cfg->n_recent_emb = 3;
	cfg->emb_k = 20;
	cfg->emb_nprobe = 8;
	cfg->n_popular = 20;
	cfg->n_recent_next = 5;
	cfg->sources = OR_CAND_SRC_ALL;
}

/* ---- shared inputs --------------------------------------------------------- */

#define N_POP_LISTS 6

typedef struct gen {
	const or_store *st;
	const or_cand_model *m;
	const or_cand_config *cfg;
	const or_items *items;        /* the tables' dictionary, NULL: no tables */
	const uint32_t *item_aid;
	int64_t *rule[2];             /* n_sessions x RULE_K: covisit clicks, buys lists */
	or_cand_period *own_period;   /* the period's summary when built here */
	const or_items *st_items;     /* the period's dictionary */
	const float *st_log[2];       /* per item: log1p(clicks), log1p(carts + orders) */
	uint32_t pop[N_POP_LISTS][100];
	size_t n_pop[N_POP_LISTS];
	or_rec_neighbours nb;
	int64_t ts_end;               /* the ranked store's last timestamp */
	const or_items *ann_items;
	size_t dim;
} gen;

static void gen_free(gen *g)
{
	free(g->rule[0]);
	free(g->rule[1]);
	or_cand_period_free(g->own_period);
	or_rec_neighbours_release(&g->nb);
}

static int gen_init(gen *g, const or_store *st, const or_cand_model *m, const or_cand_config *cfg,
		    const uint8_t *keep, const or_log *log, or_err *err)
{
	memset(g, 0, sizeof(*g));
	g->st = st;
	g->m = m;
	g->cfg = cfg;
	if (cfg->max_candidates < 1 || cfg->max_candidates > OR_CAND_MAX)
		return or_err_set(err, OR_EINVAL, "candidates per session must be 1..%d", OR_CAND_MAX);
	if (cfg->n_popular > 100)
		return or_err_set(err, OR_EINVAL, "popular aids per list must be 0..100");
	if (cfg->max_history < 1)
		return or_err_set(err, OR_EINVAL, "history aids must be at least 1");
	const or_covisit *tabs[3] = { m->clicks, m->carts_orders, m->buy2buy };
	int rc = or_covisit_shared_items(tabs, 3, &g->items, err);
	if (rc)
		return rc;
	g->item_aid = g->items ? or_items_aids(g->items) : NULL;
	const or_cand_period *ps = m->summary;
	if (!ps) {
		rc = or_cand_period_build(m->period ? m->period : st, m->stats, &g->own_period, err);
		if (rc)
			return rc;
		ps = g->own_period;
	}
	g->st_items = or_cand_period_items(ps);
	g->st_log[0] = or_cand_period_log(ps, 0);
	g->st_log[1] = or_cand_period_log(ps, 1);
	g->ts_end = or_cand_period_ts_end(ps);
	size_t ns = or_store_n_sessions(st);
	size_t np = cfg->n_popular;
	for (unsigned t = 0; (cfg->sources & OR_CAND_SRC_POPULAR) && np && t < 3; t++) {
		g->n_pop[t] = or_cand_period_top(ps, t, np, g->pop[t]);
		if (m->stats)
			g->n_pop[3 + t] = or_cand_period_top(ps, 3 + t, np, g->pop[3 + t]);
	}
	if (!rc && (cfg->sources & OR_CAND_SRC_RULE)) {
		size_t cells;
		if (or_size_mul(ns ? ns : 1, RULE_K * sizeof(int64_t), &cells))
			return or_err_set(err, OR_ENOMEM, "too many sessions");
		g->rule[0] = malloc(cells);
		g->rule[1] = malloc(cells);
		if (!g->rule[0] || !g->rule[1])
			return or_err_set(err, OR_ENOMEM, "out of memory (covisit lists)");
		uint32_t top[RULE_K];
		int64_t tc[RULE_K], to[RULE_K];
		size_t ntc = or_cand_period_top(ps, OR_CLICKS, RULE_K, top);
		for (size_t i = 0; i < ntc; i++)
			tc[i] = top[i];
		size_t nto = or_cand_period_top(ps, OR_ORDERS, RULE_K, top);
		for (size_t i = 0; i < nto; i++)
			to[i] = top[i];
		or_recommend_config rcfg;
		or_recommend_config_default(&rcfg);
		rcfg.k = RULE_K;
		rcfg.threads = cfg->threads;
		rcfg.keep = keep; /* the lists of the sessions generated only */
		or_recommend_covisit_model cm = { m->clicks, m->carts_orders, m->buy2buy, tc, ntc, to, nto };
		if (!rc)
			rc = or_recommend_covisit(st, &cm, &rcfg, g->rule[0], g->rule[1], log, err);
	}
	if (!rc && m->index) {
		g->ann_items = or_ann_items(m->index);
		g->dim = or_ann_dim(m->index);
		if (cfg->sources & OR_CAND_SRC_EMBEDDING)
			rc = or_rec_neighbours_search(&g->nb, st, keep, m->index, &m->search, cfg->emb_nprobe,
						      cfg->n_recent_emb, cfg->emb_k, cfg->threads, log, err);
	}
	return rc;
}

/* ---- one session ----------------------------------------------------------- */

typedef struct sess_aid {
	float cnt[3];
	float hist;
	int32_t last, first; /* event indices of the last and first touch */
	uint32_t rank;       /* distinct recency rank */
} sess_aid;

typedef struct worker {
	or_aidmap map;         /* candidate aid -> row */
	uint32_t *aid;         /* candidates */
	float *x;              /* cap x NF */
	size_t n, cap;
	or_aidmap smap;        /* session aid -> uniq index */
	uint32_t *uniq;        /* distinct aids, most recent first */
	sess_aid *sa;          /* per uniq entry */
	uint32_t *buys;        /* distinct carted/ordered aids, most recent first */
	uint32_t *uitem, *bitem;
	size_t nu, nb, cap_u;
	double *s1;
	uint32_t *order;
	uint32_t *kitem;       /* scratch: items of the kept candidates */
	double *mean, *last;   /* dim: the session's mean vector, its last aid's */
	size_t dim;
} worker;

static void worker_free(worker *w)
{
	or_aidmap_free(&w->map);
	or_aidmap_free(&w->smap);
	free(w->aid);
	free(w->x);
	free(w->uniq);
	free(w->sa);
	free(w->buys);
	free(w->uitem);
	free(w->bitem);
	free(w->s1);
	free(w->order);
	free(w->kitem);
	free(w->mean);
	free(w->last);
	memset(w, 0, sizeof(*w));
}

static size_t grow(size_t have, size_t need, size_t first)
{
	size_t c = have ? have : first;
	while (c < need)
		c *= 2;
	return c;
}

static int worker_reserve(worker *w, size_t items, size_t events, size_t dim)
{
	if (events > w->cap_u) {
		size_t c = grow(w->cap_u, events, 256);
		free(w->uniq);
		free(w->sa);
		free(w->buys);
		free(w->uitem);
		free(w->bitem);
		w->uniq = malloc(c * sizeof(*w->uniq));
		w->sa = malloc(c * sizeof(*w->sa));
		w->buys = malloc(c * sizeof(*w->buys));
		w->uitem = malloc(c * sizeof(*w->uitem));
		w->bitem = malloc(c * sizeof(*w->bitem));
		if (!w->uniq || !w->sa || !w->buys || !w->uitem || !w->bitem)
			return -1;
		w->cap_u = c;
	}
	if (items > w->cap) {
		size_t c = grow(w->cap, items, 1024);
		free(w->aid);
		free(w->x);
		free(w->s1);
		free(w->order);
		free(w->kitem);
		w->aid = malloc(c * sizeof(*w->aid));
		w->x = malloc(c * NF * sizeof(*w->x));
		w->s1 = malloc(c * sizeof(*w->s1));
		w->order = malloc(c * sizeof(*w->order));
		w->kitem = malloc(c * sizeof(*w->kitem));
		if (!w->aid || !w->x || !w->s1 || !w->order || !w->kitem)
			return -1;
		w->cap = c;
	}
	if (dim && !w->mean) {
		w->mean = malloc(dim * sizeof(*w->mean));
		w->last = malloc(dim * sizeof(*w->last));
		if (!w->mean || !w->last)
			return -1;
		w->dim = dim;
	}
	w->n = w->nu = w->nb = 0;
	if (or_aidmap_reset(&w->smap, w->cap_u))
		return -1;
	return or_aidmap_reset(&w->map, w->cap);
}

/* Features that start at -1 ("none"); all others start at 0. */
static const int none_features[] = {
	OR_CF_SI_RECENCY, OR_CF_SI_LAST_EVENTS, OR_CF_SI_LAST_SECONDS, OR_CF_SI_FIRST_POS,
	OR_CF_CV_CLICKS_RANK, OR_CF_CV_BUYS_RANK, OR_CF_CV_B2B_RANK, OR_CF_NX_RANK_LAST,
	OR_CF_EMB_RANK_LAST,
	OR_CF_RULE_CLICKS_RANK, OR_CF_RULE_BUYS_RANK, OR_CF_POP_RANK,
};

/* The row of aid, inserted (features at their "none" values) when new. */
static inline float *cand(worker *w, uint32_t aid)
{
	size_t i = or_aidmap_slot(&w->map, w->aid, aid);
	if (or_aidmap_used(&w->map, i))
		return w->x + or_aidmap_entry(&w->map, i) * NF;
	or_aidmap_claim(&w->map, i, w->n);
	w->aid[w->n] = aid;
	float *x = w->x + w->n * NF;
	memset(x, 0, NF * sizeof(float));
	for (size_t q = 0; q < sizeof(none_features) / sizeof(none_features[0]); q++)
		x[none_features[q]] = -1.0f;
	w->n++;
	return x;
}

/* The session's distinct aids (recent first), bought aids, and per-aid counts. */
static void scan_session(worker *w, const or_session *s)
{
	static const double tw[3] = { 1, 6, 3 };
	for (size_t i = s->n; i-- > 0;) {
		uint32_t a = s->aid[i];
		size_t sl = or_aidmap_slot(&w->smap, w->uniq, a);
		sess_aid *e;
		if (or_aidmap_used(&w->smap, sl)) {
			e = &w->sa[or_aidmap_entry(&w->smap, sl)];
		} else {
			or_aidmap_claim(&w->smap, sl, w->nu);
			w->uniq[w->nu] = a;
			e = &w->sa[w->nu];
			memset(e, 0, sizeof(*e));
			e->last = (int32_t)i;
			e->rank = (uint32_t)w->nu++;
		}
		unsigned ty = s->type[i] < 3 ? s->type[i] : 0;
		if (ty != OR_CLICKS && e->cnt[OR_CARTS] == 0 && e->cnt[OR_ORDERS] == 0)
			w->buys[w->nb++] = a;
		e->cnt[ty] += 1;
		e->first = (int32_t)i;
	}
	for (size_t i = 0; i < s->n; i++) {
		unsigned ty = s->type[i] < 3 ? s->type[i] : 0;
		size_t sl = or_aidmap_slot(&w->smap, w->uniq, s->aid[i]);
		sess_aid *e = &w->sa[or_aidmap_entry(&w->smap, sl)];
		e->hist = (float)((double)e->hist + or_history_log_weight(0.1, s->n, i) * tw[ty]);
	}
}

/* ---- the sources ----------------------------------------------------------- */

typedef void (*source_fn)(worker *w, const gen *g, size_t si, const or_session *s);

static void src_history(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)g;
	(void)si;
	(void)s;
	for (size_t r = 0; r < w->nu; r++)
		cand(w, w->uniq[r]);
}

/* The row of item `it` of t, at most its top k long; 0 without t or item. */
static size_t row_of(const or_covisit *t, uint32_t it, const uint32_t **nb, const double **wt)
{
	if (!t || it == OR_ITEM_NONE)
		return 0;
	size_t len = or_covisit_row(t, it, nb, wt);
	return len < or_covisit_top_k(t) ? len : or_covisit_top_k(t);
}

/* Row of item `it` of t into the five features from f0 (sum, max, last, rank, rows). */
static void add_row(worker *w, const gen *g, const or_covisit *t, uint32_t it, size_t r, int f0)
{
	const uint32_t *nb;
	const double *wt;
	size_t len = row_of(t, it, &nb, &wt);
	if (!len || !(wt[0] > 0))
		return;
	double inv = 1.0 / wt[0];
	for (size_t j = 0; j < len; j++) {
		float *x = cand(w, g->item_aid[nb[j]]);
		double rel = wt[j] * inv;
		x[f0] = (float)((double)x[f0] + rel / (double)(1 + r));
		if (rel > (double)x[f0 + 1])
			x[f0 + 1] = (float)rel;
		if (r == 0)
			x[f0 + 2] = (float)rel;
		if (x[f0 + 3] < 0 || (float)j < x[f0 + 3])
			x[f0 + 3] = (float)j;
		x[f0 + 4] += 1;
	}
}

/* Ask the row of item `it` of t (neighbours and weights, as add_row reads
   them) into the cache: a source asks for all its rows before reading any. */
static void prefetch_row(const or_covisit *t, uint32_t it)
{
	if (t && it != OR_ITEM_NONE)
		or_covisit_prefetch_row(t, it, or_covisit_top_k(t), 1);
}

static void src_covisit(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)si;
	(void)s;
	if (!g->items)
		return;
	size_t h = w->nu < g->cfg->max_history ? w->nu : g->cfg->max_history;
	or_items_index_many(g->items, w->uniq, h, w->uitem);
	for (size_t r = 0; r < h; r++) {
		prefetch_row(g->m->clicks, w->uitem[r]);
		prefetch_row(g->m->carts_orders, w->uitem[r]);
	}
	for (size_t r = 0; r < h; r++) {
		add_row(w, g, g->m->clicks, w->uitem[r], r, OR_CF_CV_CLICKS_SUM);
		add_row(w, g, g->m->carts_orders, w->uitem[r], r, OR_CF_CV_BUYS_SUM);
	}
}

static void src_buy2buy(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)si;
	(void)s;
	if (!g->items)
		return;
	size_t h = w->nb < g->cfg->max_history ? w->nb : g->cfg->max_history;
	or_items_index_many(g->items, w->buys, h, w->bitem);
	for (size_t r = 0; r < h; r++)
		prefetch_row(g->m->buy2buy, w->bitem[r]);
	for (size_t r = 0; r < h; r++)
		add_row(w, g, g->m->buy2buy, w->bitem[r], r, OR_CF_CV_B2B_SUM);
}

static void src_embedding(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)si;
	(void)s;
	size_t e = g->cfg->n_recent_emb;
	for (size_t r = 0; r < w->nu && r < e; r++) {
		const uint32_t *row = or_rec_neighbours_of(&g->nb, w->uniq[r]);
		if (!row)
			continue;
		for (size_t j = 0; j < g->nb.k; j++) {
			if (row[j] == UINT32_MAX)
				continue;
			float *x = cand(w, row[j]);
			x[OR_CF_EMB_NN] = (float)((double)x[OR_CF_EMB_NN] + 1.0 / ((double)(1 + r) * (double)(1 + j)));
			if (r == 0)
				x[OR_CF_EMB_RANK_LAST] = (float)j;
		}
	}
}

static void src_rule(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)s;
	for (int l = 0; l < 2; l++) {
		const int64_t *row = g->rule[l] + si * RULE_K;
		for (size_t p = 0; p < RULE_K && row[p] >= 0; p++) {
			float *x = cand(w, (uint32_t)row[p]);
			int f = l ? OR_CF_RULE_BUYS_RANK : OR_CF_RULE_CLICKS_RANK;
			if (x[f] < 0)
				x[f] = (float)p;
		}
	}
}

static void src_popular(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)si;
	(void)s;
	for (int l = 0; l < N_POP_LISTS; l++)
		for (size_t p = 0; p < g->n_pop[l]; p++) {
			float *x = cand(w, g->pop[l][p]);
			if (x[OR_CF_POP_RANK] < 0 || (float)p < x[OR_CF_POP_RANK])
				x[OR_CF_POP_RANK] = (float)p;
		}
}

/* The next-item rows of the n_recent_next most recent distinct aids,
   weighted 1 / (1 + recency rank). */
static void src_next(worker *w, const gen *g, size_t si, const or_session *s)
{
	(void)si;
	(void)s;
	if (!g->m->stats)
		return;
	for (size_t r = 0; r < w->nu && r < g->cfg->n_recent_next; r++) {
		const uint32_t *nx;
		const float *p;
		size_t len = or_cand_stats_next(g->m->stats, w->uniq[r], &nx, &p);
		for (size_t j = 0; j < len; j++) {
			float *x = cand(w, nx[j]);
			x[OR_CF_NX_SUM] = (float)((double)x[OR_CF_NX_SUM] + (double)p[j] / (double)(1 + r));
			if (r == 0) {
				x[OR_CF_NX_LAST] = p[j];
				x[OR_CF_NX_RANK_LAST] = (float)j;
			}
		}
	}
}

static const struct {
	const char *name;
	unsigned bit;
	source_fn fn;
} sources[] = {
	{ "history", OR_CAND_SRC_HISTORY, src_history },
	{ "covisit", OR_CAND_SRC_COVISIT, src_covisit },
	{ "buy2buy", OR_CAND_SRC_BUY2BUY, src_buy2buy },
	{ "embedding", OR_CAND_SRC_EMBEDDING, src_embedding },
	{ "rule", OR_CAND_SRC_RULE, src_rule },
	{ "popular", OR_CAND_SRC_POPULAR, src_popular },
	{ "next", OR_CAND_SRC_NEXT, src_next },
};
#define N_SOURCES (sizeof(sources) / sizeof(sources[0]))

const char *or_cand_source_name(unsigned bit)
{
	for (size_t i = 0; i < N_SOURCES; i++)
		if (sources[i].bit == bit)
			return sources[i].name;
	return NULL;
}

int or_cand_sources_parse(const char *list, unsigned *out, or_err *err)
{
	unsigned set = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		unsigned bit = 0;
		for (size_t i = 0; i < N_SOURCES && !bit; i++)
			if (strlen(sources[i].name) == len && !strncmp(p, sources[i].name, len))
				bit = sources[i].bit;
		if (!bit)
			return or_err_set(err, OR_EINVAL,
					  "unknown candidate source '%.*s' (history, covisit, buy2buy, embedding, rule, popular, next)",
					  (int)len, p);
		set |= bit;
		p += len + (e != NULL);
	}
	if (!set)
		return or_err_set(err, OR_EINVAL, "no candidate source given");
	*out = set;
	return OR_OK;
}

/* ---- stage 1, then the feature rows ------------------------------------------ */

static int s1_cmp_r(const void *a, const void *b, void *ctx)
{
	const worker *w = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	if (w->s1[i] != w->s1[j])
		return w->s1[i] > w->s1[j] ? -1 : 1;
	return w->aid[i] < w->aid[j] ? -1 : w->aid[i] > w->aid[j];
}

static double sq_norm(const double *b, size_t d)
{
	double bb = 0;
	for (size_t i = 0; i < d; i++)
		bb += b[i] * b[i];
	return bb;
}

/* cos(a, b) given bb = sq_norm(b) (once per session); -2 when either is 0. */
static double cosine(const float *a, const double *b, double bb, size_t d)
{
	double ab = 0, aa = 0;
	for (size_t i = 0; i < d; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * (double)a[i];
	}
	return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : -2.0;
}

/* P(last | a): how often the session's last aid follows a (0: never, or
   no last aid). */
static float next_back(const or_cand_stats *st, uint32_t a, uint32_t last, int have_last)
{
	const uint32_t *nx;
	const float *p;
	size_t len = have_last ? or_cand_stats_next(st, a, &nx, &p) : 0;
	for (size_t j = 0; j < len; j++)
		if (nx[j] == last)
			return p[j];
	return 0;
}

/* The kept candidates' full rows into out_aid / out_x (n_keep rows). */
static void fill_rows(worker *w, const gen *g, const or_session *s, size_t n_keep,
		      uint32_t *out_aid, float *out_x)
{
	const or_cand_stats *st = g->m->stats;
	int64_t ts_last = s->n ? s->ts[s->n - 1] : 0, ts_first = s->n ? s->ts[0] : 0;
	float sess[7] = {
		(float)s->n, (float)w->nu, (float)((double)(ts_last - ts_first) / 1000.0), 0, 0, 0,
		(float)((double)(g->ts_end - ts_last) / 1000.0),
	};
	for (size_t i = 0; i < s->n; i++)
		sess[3 + (s->type[i] < 3 ? s->type[i] : 0)] += 1;
	/* the session's mean vector and the last aid's vector */
	const float *vlast = NULL;
	int have_mean = 0;
	double bb_last = 0, bb_mean = 0;
	if (g->dim) {
		size_t h = w->nu < g->cfg->max_history ? w->nu : g->cfg->max_history, cnt = 0;
		memset(w->mean, 0, g->dim * sizeof(double));
		for (size_t r = 0; r < h; r++) {
			uint32_t it = or_items_index(g->ann_items, w->uniq[r]);
			const float *v = it == OR_ITEM_NONE ? NULL : or_ann_vector(g->m->index, it);
			if (!v)
				continue;
			if (r == 0)
				vlast = v;
			for (size_t d = 0; d < g->dim; d++)
				w->mean[d] += v[d];
			cnt++;
		}
		have_mean = cnt > 0;
		for (size_t d = 0; vlast && d < g->dim; d++)
			w->last[d] = vlast[d];
		bb_last = vlast ? sq_norm(w->last, g->dim) : 0;
		bb_mean = sq_norm(w->mean, g->dim);
	}
	for (size_t q = 0; q < n_keep; q++) {
		uint32_t c = w->order[q];
		uint32_t a = w->aid[c];
		float *x = out_x + q * NF;
		memcpy(x, w->x + (size_t)c * NF, NF * sizeof(float));
		out_aid[q] = a;
		memcpy(x + OR_CF_S_EVENTS, sess, sizeof(sess));
		x[OR_CF_STAGE1_RANK] = (float)q;
		size_t sl = or_aidmap_slot(&w->smap, w->uniq, a);
		if (or_aidmap_used(&w->smap, sl)) {
			const sess_aid *e = &w->sa[or_aidmap_entry(&w->smap, sl)];
			x[OR_CF_SI_CLICKS] = e->cnt[0];
			x[OR_CF_SI_CARTS] = e->cnt[1];
			x[OR_CF_SI_ORDERS] = e->cnt[2];
			x[OR_CF_SI_RECENCY] = (float)e->rank;
			x[OR_CF_SI_LAST_EVENTS] = (float)(s->n - 1 - (size_t)e->last);
			x[OR_CF_SI_LAST_SECONDS] = (float)((double)(ts_last - s->ts[e->last]) / 1000.0);
			x[OR_CF_SI_FIRST_POS] = (float)((double)e->first / (double)s->n);
			x[OR_CF_SI_HIST] = e->hist;
		}
		uint32_t ti = or_items_index(g->st_items, a);
		if (ti != OR_ITEM_NONE) {
			x[OR_CF_T_CLICKS] = g->st_log[0][ti];
			x[OR_CF_T_BUYS] = g->st_log[1][ti];
		}
		if (st) {
			or_cand_stats_features(st, a, x);
			x[OR_CF_NX_BACK] = next_back(st, a, w->nu ? w->uniq[0] : 0, w->nu > 0);
		}
		if (g->dim) {
			uint32_t it = or_items_index(g->ann_items, a);
			const float *v = it == OR_ITEM_NONE ? NULL : or_ann_vector(g->m->index, it);
			x[OR_CF_EMB_SIM_LAST] = -2.0f;
			x[OR_CF_EMB_SIM_MEAN] = -2.0f;
			if (v && vlast && v != vlast)
				x[OR_CF_EMB_SIM_LAST] = (float)cosine(v, w->last, bb_last, g->dim);
			else if (v && v == vlast)
				x[OR_CF_EMB_SIM_LAST] = 1.0f;
			if (v && have_mean)
				x[OR_CF_EMB_SIM_MEAN] = (float)cosine(v, w->mean, bb_mean, g->dim);
		}
	}
}

/* The session's candidates: *n_keep rows into freshly malloc'd arrays. */
static int session_rows(worker *w, const gen *g, size_t si, const or_session *s, uint32_t **out_aid,
			float **out_x, size_t *n_keep)
{
	const or_cand_config *cfg = g->cfg;
	const or_cand_model *m = g->m;
	size_t h = cfg->max_history;
	size_t tk = (m->clicks ? or_covisit_top_k(m->clicks) : 0) +
		    (m->carts_orders ? or_covisit_top_k(m->carts_orders) : 0) +
		    (m->buy2buy ? or_covisit_top_k(m->buy2buy) : 0);
	size_t bound = s->n + h * tk + cfg->n_recent_emb * cfg->emb_k + 2 * RULE_K +
		       N_POP_LISTS * cfg->n_popular + cfg->n_recent_next * OR_CAND_NEXT_K + 8;
	if (worker_reserve(w, bound, s->n + 1, g->dim))
		return -1;
	scan_session(w, s);
	for (size_t i = 0; i < N_SOURCES; i++)
		if (cfg->sources & sources[i].bit)
			sources[i].fn(w, g, si, s);
	/* stage 1 */
	float mx[3] = { 0, 0, 0 }, me = 0, mn = 0;
	for (size_t c = 0; c < w->n; c++) {
		const float *x = w->x + c * NF;
		for (int q = 0; q < 3; q++)
			if (x[OR_CF_CV_CLICKS_SUM + 5 * q] > mx[q])
				mx[q] = x[OR_CF_CV_CLICKS_SUM + 5 * q];
		if (x[OR_CF_EMB_NN] > me)
			me = x[OR_CF_EMB_NN];
		if (x[OR_CF_NX_SUM] > mn)
			mn = x[OR_CF_NX_SUM];
	}
	for (size_t c = 0; c < w->n; c++) {
		const float *x = w->x + c * NF;
		double v = 0;
		size_t sl = or_aidmap_slot(&w->smap, w->uniq, w->aid[c]);
		if ((cfg->sources & OR_CAND_SRC_HISTORY) && or_aidmap_used(&w->smap, sl))
			v += 10.0 + 1.0 / (1.0 + (double)w->sa[or_aidmap_entry(&w->smap, sl)].rank);
		if (x[OR_CF_RULE_CLICKS_RANK] >= 0)
			v += 1.0 / (1.0 + (double)x[OR_CF_RULE_CLICKS_RANK]);
		if (x[OR_CF_RULE_BUYS_RANK] >= 0)
			v += 1.0 / (1.0 + (double)x[OR_CF_RULE_BUYS_RANK]);
		for (int q = 0; q < 3; q++)
			if (mx[q] > 0)
				v += (double)x[OR_CF_CV_CLICKS_SUM + 5 * q] / (double)mx[q];
		if (me > 0)
			v += (double)x[OR_CF_EMB_NN] / (double)me;
		if (mn > 0)
			v += (double)x[OR_CF_NX_SUM] / (double)mn;
		if (x[OR_CF_POP_RANK] >= 0)
			v += 0.01 / (1.0 + (double)x[OR_CF_POP_RANK]);
		w->s1[c] = v;
		w->order[c] = (uint32_t)c;
	}
	qsort_r(w->order, w->n, sizeof(uint32_t), s1_cmp_r, w);
	size_t keep = w->n < cfg->max_candidates ? w->n : cfg->max_candidates;
	*out_aid = malloc((keep ? keep : 1) * sizeof(uint32_t));
	*out_x = malloc((keep ? keep : 1) * NF * sizeof(float));
	if (!*out_aid || !*out_x) {
		free(*out_aid);
		free(*out_x);
		*out_aid = NULL;
		*out_x = NULL;
		return -1;
	}
	fill_rows(w, g, s, keep, *out_aid, *out_x);
	*n_keep = keep;
	return 0;
}

/* ---- blocks ------------------------------------------------------------------ */

int or_cand_generate(const or_store *st, const or_cand_model *m, const or_cand_config *cfg,
		     const uint8_t *keep, or_cand_sink sink, void *ctx, const or_log *log,
		     or_err *err)
{
	gen g;
	int rc = gen_init(&g, st, m, cfg, keep, log, err);
	size_t ns = or_store_n_sessions(st); /* offsets checked by or_store_open */
	uint32_t **pa = calloc(CHUNK, sizeof(*pa));
	float **px = calloc(CHUNK, sizeof(*px));
	size_t *pn = calloc(CHUNK, sizeof(*pn));
	size_t *sess = malloc(CHUNK * sizeof(*sess));
	int64_t *sids = malloc(CHUNK * sizeof(*sids));
	const int64_t *ids = or_store_session_ids(st);
	uint64_t *off = malloc((CHUNK + 1) * sizeof(*off));
	uint32_t *caid = NULL;
	float *cx = NULL;
	size_t ccap = 0;
	if (!rc && (!pa || !px || !pn || !sess || !sids || !off))
		rc = or_err_set(err, OR_ENOMEM, "out of memory (candidate blocks)");
	int T = or_par_threads(cfg->threads);
	(void)T; /* unused without OpenMP */
	for (size_t lo = 0; !rc && lo < ns; lo += CHUNK) {
		size_t hi = lo + CHUNK < ns ? lo + CHUNK : ns;
		or_log_progress(log, "candidates", (double)lo, (double)ns, "sessions");
		int failed = OR_PAR_OK;
		OMP(omp parallel num_threads(T))
		{
			worker w;
			memset(&w, 0, sizeof(w));
			OMP(omp for schedule(dynamic, 64))
			for (size_t i = lo; i < hi; i++) {
				if (or_par_stop(&failed, log) || (keep && !keep[i]))
					continue;
				or_session s;
				or_store_session(st, i, &s);
				if (session_rows(&w, &g, i, &s, &pa[i - lo], &px[i - lo], &pn[i - lo]))
					or_par_fail(&failed, OR_PAR_FAILED);
			}
			worker_free(&w);
		}
		rc = or_par_result(failed, err, "candidates");
		size_t nsj = 0, rows = 0;
		off[0] = 0;
		for (size_t i = lo; i < hi; i++)
			if (pa[i - lo]) {
				sids[nsj] = ids[i];
				sess[nsj++] = i;
				rows += pn[i - lo];
				off[nsj] = rows;
			}
		if (!rc && rows > ccap) {
			size_t c = grow(ccap, rows, 65536);
			free(caid);
			free(cx);
			caid = malloc(c * sizeof(*caid));
			cx = malloc(c * NF * sizeof(*cx));
			if (!caid || !cx)
				rc = or_err_set(err, OR_ENOMEM, "out of memory (candidate block of %zu rows)", rows);
			else
				ccap = c;
		}
		for (size_t j = 0; j < nsj; j++) {
			size_t i = sess[j];
			if (!rc) {
				memcpy(caid + off[j], pa[i - lo], pn[i - lo] * sizeof(uint32_t));
				memcpy(cx + off[j] * NF, px[i - lo], pn[i - lo] * NF * sizeof(float));
			}
			free(pa[i - lo]);
			free(px[i - lo]);
			pa[i - lo] = NULL;
			px[i - lo] = NULL;
			pn[i - lo] = 0;
		}
		for (size_t i = lo; i < hi; i++) { /* after a failure some may be left */
			free(pa[i - lo]);
			free(px[i - lo]);
			pa[i - lo] = NULL;
			px[i - lo] = NULL;
		}
		if (!rc && nsj) {
			or_cand_chunk ch = { nsj, sess, sids, off, rows, caid, cx };
			rc = sink(ctx, &ch, err);
		}
	}
	if (!rc)
		or_log_progress(log, "candidates", (double)ns, (double)ns, "sessions");
	free(pa);
	free(px);
	free(pn);
	free(sess);
	free(sids);
	free(off);
	free(caid);
	free(cx);
	gen_free(&g);
	return rc;
}
