/*
 * or_tune.c - the blend weight search (rules in or_tune.h): the labelled
 * candidate table, the exact hit count and coordinate ascent with a
 * shrinking step.  Hand-written: the objective is a step function of the
 * weights (Recall@20), which gradient-based optimisers in Debian (e.g.
 * GSL's) do not handle; a short deterministic grid walk does.
 */
#include "or_tune.h"
#include "or_metrics.h"
#include "or_par.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define F OR_BLEND_N_FEATURES

void or_tune_config_default(or_tune_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->step0 = 1.0;
	cfg->n_steps = 5;
	cfg->max_passes = 6;
	cfg->lo = -2.0;
	cfg->hi = 4.0;
	cfg->threads = 0;
}

typedef struct idpos {
	int64_t id;
	size_t pos;
} idpos;

static int cmp_idpos(const void *a, const void *b)
{
	const idpos *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const or_label *find_label(const or_labels *l, const idpos *ix, int64_t id)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && ix[lo].id == id ? &l->rows[ix[lo].pos] : NULL;
}

static int in_list(const uint32_t *a, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] == v)
			return 1;
	return 0;
}

int or_tune_table(const or_store *test, const or_blend_model *m,
		  const or_blend_config *bcfg, const or_labels *labels, size_t max_sessions,
		  or_blend_table *t, uint64_t truth[3], const or_log *log, or_err *err)
{
	size_t nl = labels->n, ns = or_store_n_sessions(test);
	idpos *ix = malloc((nl ? nl : 1) * sizeof(*ix));
	uint8_t *keep = calloc(ns ? ns : 1, 1);
	if (!ix || !keep) {
		free(ix);
		free(keep);
		return or_err_set(err, OR_ENOMEM, "out of memory (label index)");
	}
	truth[0] = truth[1] = truth[2] = 0;
	for (size_t i = 0; i < nl; i++) {
		const or_label *r = &labels->rows[i];
		ix[i].id = r->session;
		ix[i].pos = i;
		truth[OR_CLICKS] += r->click > 0;
		truth[OR_CARTS] += r->n_carts < OR_RECALL_K ? r->n_carts : OR_RECALL_K;
		truth[OR_ORDERS] += r->n_orders < OR_RECALL_K ? r->n_orders : OR_RECALL_K;
	}
	qsort(ix, nl, sizeof(*ix), cmp_idpos);
	int rc = OR_OK;
	for (size_t i = 1; i < nl; i++)
		if (ix[i].id == ix[i - 1].id) {
			rc = or_err_set(err, OR_EINVAL, "labels: session %lld appears twice", (long long)ix[i].id);
			break;
		}
	const int64_t *sid = or_store_session_ids(test);
	size_t n_lab = 0;
	for (size_t i = 0; !rc && i < ns; i++) {
		keep[i] = find_label(labels, ix, sid[i]) != NULL;
		n_lab += keep[i];
	}
	if (!rc && max_sessions > 0 && n_lab > max_sessions) {
		size_t stride = (n_lab + max_sessions - 1) / max_sessions, j = 0;
		truth[0] = truth[1] = truth[2] = 0;
		for (size_t i = 0; i < ns; i++) {
			if (!keep[i])
				continue;
			keep[i] = j++ % stride == 0;
			if (!keep[i])
				continue;
			const or_label *r = find_label(labels, ix, sid[i]);
			truth[OR_CLICKS] += r->click > 0;
			truth[OR_CARTS] += r->n_carts < OR_RECALL_K ? r->n_carts : OR_RECALL_K;
			truth[OR_ORDERS] += r->n_orders < OR_RECALL_K ? r->n_orders : OR_RECALL_K;
		}
	}
	if (!rc)
		rc = or_blend_candidates(test, m, bcfg, keep, t, log, err);
	free(keep);
	if (rc) {
		free(ix);
		return rc;
	}
	/* tag label aids, drop rows that cannot hit, compact in place */
	size_t rows = 0;
	uint64_t at = 0;
	for (size_t r = 0; r < t->n_rows; r++) {
		const or_label *lb = find_label(labels, ix, sid[t->session[r]]);
		uint64_t lo = t->off[r], hi = t->off[r + 1];
		const uint32_t *carts = labels->aids + lb->carts_at, *orders = labels->aids + lb->orders_at;
		int any = 0;
		for (uint64_t c = lo; c < hi; c++) {
			uint32_t a = t->aid[c];
			uint8_t tag = 0;
			if (lb->click > 0 && (int64_t)a == lb->click)
				tag |= 1u << OR_CLICKS;
			if (in_list(carts, lb->n_carts, a))
				tag |= 1u << OR_CARTS;
			if (in_list(orders, lb->n_orders, a))
				tag |= 1u << OR_ORDERS;
			t->tag[c] = tag;
			any |= tag;
		}
		if (!any)
			continue;
		size_t n = (size_t)(hi - lo);
		memmove(t->aid + at, t->aid + lo, n * sizeof(*t->aid));
		memmove(t->x + at * F, t->x + lo * F, n * F * sizeof(*t->x));
		memmove(t->tag + at, t->tag + lo, n);
		t->session[rows] = t->session[r];
		t->off[rows] = at;
		at += n;
		rows++;
	}
	t->off[rows] = at;
	t->n_rows = rows;
	t->n_cand = (size_t)at;
	free(ix);
	return OR_OK;
}

/* Hits of one row: tagged candidates whose rank (score desc, aid asc) < k. */
static unsigned row_hits(const or_blend_table *t, size_t r, unsigned type, const double *w,
			 double *sc, size_t cap)
{
	uint64_t lo = t->off[r], hi = t->off[r + 1];
	size_t n = (size_t)(hi - lo);
	uint8_t bit = (uint8_t)(1u << type);
	int any = 0;
	for (size_t i = 0; i < n; i++)
		any |= t->tag[lo + i] & bit;
	if (!any)
		return 0;
	double *s = n <= cap ? sc : NULL; /* else scores are recomputed */
	unsigned hits = 0;
	for (size_t i = 0; i < n && s; i++)
		s[i] = or_blend_score(t->x + (lo + i) * F, w);
	for (size_t i = 0; i < n; i++) {
		if (!(t->tag[lo + i] & bit))
			continue;
		double si = s ? s[i] : or_blend_score(t->x + (lo + i) * F, w);
		uint32_t ai = t->aid[lo + i];
		size_t better = 0;
		for (size_t j = 0; j < n && better < OR_RECALL_K; j++) {
			double sj = s ? s[j] : or_blend_score(t->x + (lo + j) * F, w);
			if (sj > si || (sj == si && t->aid[lo + j] < ai))
				better++;
		}
		if (better < OR_RECALL_K)
			hits++;
	}
	return hits;
}

uint64_t or_tune_hits(const or_blend_table *t, unsigned type, const double *w, int threads)
{
	uint64_t hits = 0;
	int T = or_par_threads(threads);
	(void)T;
	OMP(omp parallel num_threads(T) reduction(+:hits))
	{
		enum { CAP = 8192 };
		double *sc = malloc(CAP * sizeof(*sc));
		OMP(omp for schedule(dynamic, 256))
		for (size_t r = 0; r < t->n_rows; r++)
			hits += row_hits(t, r, type, w, sc, sc ? CAP : 0);
		free(sc);
	}
	return hits;
}

static double recall_of(uint64_t hits, uint64_t truth)
{
	return truth ? (double)hits / (double)truth : 0.0;
}


int or_tune_run(const or_blend_table *t, const uint64_t truth[3],
		const or_blend_weights start, const or_tune_config *cfg,
		or_tune_result *res, const or_log *log, or_err *err)
{
	if (!(cfg->step0 > 0) || !(cfg->lo <= cfg->hi) || !isfinite(cfg->lo) || !isfinite(cfg->hi))
		return or_err_set(err, OR_EINVAL, "tune: step must be > 0 and lo <= hi");
	memset(res, 0, sizeof(*res));
	memcpy(res->w, start, sizeof(or_blend_weights));
	/* features present per type: non-zero for some candidate of a row holding a label of the type */
	int present[3][F];
	memset(present, 0, sizeof(present));
	for (size_t r = 0; r < t->n_rows; r++) {
		uint8_t bits = 0;
		uint64_t nt[3] = { 0, 0, 0 };
		for (uint64_t c = t->off[r]; c < t->off[r + 1]; c++) {
			bits |= t->tag[c];
			for (int ty = 0; ty < 3; ty++)
				nt[ty] += (t->tag[c] >> ty) & 1u;
		}
		for (int ty = 0; ty < 3; ty++)
			res->reachable[ty] += nt[ty] < OR_RECALL_K ? nt[ty] : OR_RECALL_K;
		for (uint64_t c = t->off[r]; c < t->off[r + 1]; c++)
			for (int f = 0; f < F; f++)
				if (t->x[c * F + f] != 0)
					for (int ty = 0; ty < 3; ty++)
						if (bits & (1u << ty))
							present[ty][f] = 1;
	}
	size_t total = 3u * cfg->n_steps * cfg->max_passes * F * 2, done = 0;
	for (unsigned ty = 0; ty < 3; ty++) {
		double *w = res->w[ty];
		uint64_t best = or_tune_hits(t, ty, w, cfg->threads);
		res->hits_start[ty] = best;
		res->evals[ty] = 1;
		double step = cfg->step0;
		for (unsigned s = 0; s < cfg->n_steps; s++, step /= 2) {
			for (unsigned pass = 0; pass < cfg->max_passes; pass++) {
				int improved = 0;
				for (int f = 0; f < F; f++) {
					if (!present[ty][f])
						continue;
					if (or_log_cancelled(log))
						return or_err_set(err, OR_ECANCELLED, "cancelled");
					double old = w[f];
					for (int dir = 0; dir < 2; dir++) {
						double v = dir ? old - step : old + step;
						if (v < cfg->lo)
							v = cfg->lo;
						if (v > cfg->hi)
							v = cfg->hi;
						if (v == old)
							continue;
						w[f] = v;
						uint64_t h = or_tune_hits(t, ty, w, cfg->threads);
						res->evals[ty]++;
						if (h > best) {
							best = h;
							improved = 1;
							break;
						}
						w[f] = old;
					}
					done += 2;
					or_log_progress(log, "tune", (double)done, (double)total, "evaluations");
				}
				if (!improved)
					break;
			}
		}
		res->hits[ty] = best;
		res->truth[ty] = truth[ty];
		res->recall_start[ty] = recall_of(res->hits_start[ty], truth[ty]);
		res->recall[ty] = recall_of(best, truth[ty]);
	}
	res->score_start = or_metrics_score(res->recall_start);
	res->score = or_metrics_score(res->recall);
	return OR_OK;
}
