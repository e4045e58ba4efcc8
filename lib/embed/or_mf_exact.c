/*
 * or_mf_exact.c - the notebook's training step, exactly: forward of the
 * positives and the permuted negatives, BCE-with-logits gradient (mean over
 * the 2B outputs), the sparse embedding gradient coalesced per row (as
 * torch's grad.coalesce() sums duplicate indices), then SparseAdam on the
 * batch's rows only; and the epoch loop over batches in file order.
 *
 * A step runs in four phases (OpenMP inside each):
 *   1. per pair: logits of (a, b) and (a, b[perm]), their gradients gp, gn;
 *   2. coalesce: each distinct row gets a slot, and its contributions
 *      (coefficient, other row) are bucketed in the order torch's embedding
 *      backward lists them.  Rows are split between the threads by a hash
 *      (each thread scans all lookups in order and keeps its own rows), so
 *      the bucket of a row holds the same entries in the same order
 *      whatever the thread count; only the slot numbering differs;
 *   3. per slot: grad = sum of coef * E[other] (reads E only);
 *   4. per slot: SparseAdam row update (writes E, m, v).
 * Phases 3 and 4 are separated by a barrier, so every gradient is taken at
 * the pre-step table, and the per-row summation order is fixed: the result
 * depends on the inputs only, not on the thread count.  The table and the
 * moments live in huge pages (or_mf_alloc_huge): rows are reached at random.
 */
#include "or_mf_internal.h"
#include "or_pairs.h"
#include "or_prng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One lookup of a coalesce partition: its row (then its slot), the other
   factor's row and the coefficient of the gradient. */
typedef struct coal_ent {
	uint32_t row, other;
	float coef;
} coal_ent;

struct or_mf_exact_ws {
	size_t max_batch, dim, n_rows;
	int threads;
	const or_mf_kernels *k;
	or_mf_sparse_adam opt;
	int32_t *slot;       /* n_rows, -1 when the row is not in the batch */
	uint32_t *uniq;      /* [4B] row of each slot */
	uint32_t *start;     /* [4B + 1] first entry of each slot */
	uint32_t *ent_other; /* [4B] entries bucketed by slot */
	float *ent_coef;     /* [4B] */
	float *gp, *gn;      /* [B] */
	double *loss_part;   /* [B] */
	float *grad;         /* [4B][dim] */
	uint32_t *perm;      /* [B], for the epoch loop */
	int parts;           /* coalesce partitions (threads) */
	uint32_t *part_uniq; /* [parts][4B] rows of each partition's slots */
	uint32_t *part_cnt;  /* [parts][4B] entries per slot, then cursors */
	struct coal_ent *part_ent; /* [parts][4B + 1] the partition's lookups */
	uint32_t part_nu[256], part_ne[256]; /* slots and entries per partition */
};

void or_mf_exact_ws_free(or_mf_exact_ws *ws)
{
	if (!ws)
		return;
	free(ws->slot);
	free(ws->uniq);
	free(ws->start);
	free(ws->ent_other);
	free(ws->ent_coef);
	free(ws->gp);
	free(ws->gn);
	free(ws->loss_part);
	free(ws->grad);
	free(ws->perm);
	free(ws->part_uniq);
	free(ws->part_cnt);
	free(ws->part_ent);
	free(ws);
}

static void *xalloc(size_t n, size_t size, int *fail)
{
	size_t bytes;
	if (or_size_mul(n ? n : 1, size, &bytes)) {
		*fail = 1;
		return NULL;
	}
	void *p = malloc(bytes);
	if (!p)
		*fail = 1;
	return p;
}

int or_mf_exact_ws_new(or_mf_exact_ws **out, const or_mf_model *m,
		       size_t max_batch, const or_mf_config *cfg, or_err *err)
{
	*out = NULL;
	if (max_batch == 0 || max_batch > (UINT32_MAX - 1) / 4)
		return or_err_set(err, OR_EINVAL, "mf: batch must be in 1..%u, not %zu", (UINT32_MAX - 1) / 4, max_batch);
	if (m->mode != OR_MF_EXACT || !m->m || !m->v)
		return or_err_set(err, OR_EINVAL, "mf: the exact step needs a model made for exact mode");
	or_mf_exact_ws *ws = calloc(1, sizeof(*ws));
	if (!ws)
		return or_err_set(err, OR_ENOMEM, "mf: out of memory");
	int fail = 0;
	size_t b4 = 4 * max_batch, gsz;
	ws->max_batch = max_batch;
	ws->dim = m->dim;
	ws->n_rows = m->n_rows;
	ws->threads = or_par_threads(cfg->threads);
	if (ws->threads > 256)
		ws->threads = 256;
	ws->parts = ws->threads;
	ws->k = or_mf_kernels_pick(cfg->simd);
	or_mf_sparse_adam_init(&ws->opt, cfg);
	ws->slot = or_mf_alloc_huge(m->n_rows * sizeof(int32_t));
	if (!ws->slot)
		fail = 1;
	ws->uniq = xalloc(b4, sizeof(uint32_t), &fail);
	ws->start = xalloc(b4 + 1, sizeof(uint32_t), &fail);
	ws->ent_other = xalloc(b4, sizeof(uint32_t), &fail);
	ws->ent_coef = xalloc(b4, sizeof(float), &fail);
	ws->gp = xalloc(max_batch, sizeof(float), &fail);
	ws->gn = xalloc(max_batch, sizeof(float), &fail);
	ws->loss_part = xalloc(max_batch, sizeof(double), &fail);
	ws->perm = xalloc(max_batch, sizeof(uint32_t), &fail);
	if (or_size_mul(b4, (size_t)ws->parts, &gsz))
		fail = 1;
	ws->part_uniq = xalloc(gsz, sizeof(uint32_t), &fail);
	ws->part_cnt = xalloc(gsz, sizeof(uint32_t), &fail);
	if (or_size_mul(b4 + 1, (size_t)ws->parts, &gsz))
		fail = 1;
	ws->part_ent = xalloc(gsz, sizeof(coal_ent), &fail);
	if (or_size_mul(b4, m->dim, &gsz))
		fail = 1;
	else
		ws->grad = xalloc(gsz, sizeof(float), &fail);
	if (fail) {
		or_mf_exact_ws_free(ws);
		return or_err_set(err, OR_ENOMEM, "mf: out of memory for the batch workspace (batch %zu)", max_batch);
	}
	memset(ws->slot, 0xff, m->n_rows * sizeof(int32_t));
	*out = ws;
	return OR_OK;
}

#define AHEAD 8

/* Bring row r (d floats) towards the cache: all its lines. */
static inline void prefetch_row(const float *base, size_t r, size_t d, int write)
{
	const char *p = (const char *)(base + r * d);
	for (size_t o = 0; o < d * sizeof(float); o += 64) {
		if (write)
			__builtin_prefetch(p + o, 1);
		else
			__builtin_prefetch(p + o, 0);
	}
}

/* The coalesce partition of a row (a multiplicative hash, so that runs of
   aids do not all land in one partition). */
static inline int row_part(uint32_t row, int parts)
{
	return parts == 1 ? 0 : (int)(((uint64_t)(uint32_t)(row * 0x9E3779B1u) * (uint64_t)parts) >> 32);
}

/* BCE of a positive logit x (softplus(-x)) and of a negative one
   (softplus(x)) from e = expf(-x), already computed for the sigmoid:
   saves two exponentials per pair */
static inline float bce_pos_e(float x, float e)
{
	return x >= 0 ? log1pf(e) : -x + log1pf(1.0f / e);
}
static inline float bce_neg_e(float x, float e)
{
	return x <= 0 ? log1pf(1.0f / e) : x + log1pf(e);
}

/* The row of lookup q of pair i, q in torch's backward order:
   0 neg aid2 (b[perm[i]]), 1 neg aid1 (a), 2 pos aid2 (b), 3 pos aid1 (a);
   the other factor of lookup q is lookup q ^ 1. */
static inline uint32_t lookup_row(const uint32_t *pairs, const uint32_t *perm,
				  size_t i, int q)
{
	switch (q) {
	case 0: return pairs[2 * (size_t)perm[i] + 1];
	case 2: return pairs[2 * i + 1];
	default: return pairs[2 * i];
	}
}

int or_mf_exact_step(or_mf_model *m, or_mf_exact_ws *ws,
		     const uint32_t *pairs, size_t batch,
		     const uint32_t *perm, double *loss, or_err *err)
{
	if (batch == 0 || batch > ws->max_batch)
		return or_err_set(err, OR_EINVAL, "mf: batch of %zu pairs (workspace holds %zu)", batch, ws->max_batch);
	if (ws->n_rows != m->n_rows || ws->dim != m->dim)
		return or_err_set(err, OR_EINVAL, "mf: workspace made for another model");
	const size_t d = m->dim, nr = m->n_rows;
	for (size_t i = 0; i < batch; i++) {
		if (pairs[2 * i] >= nr || pairs[2 * i + 1] >= nr)
			return or_err_set(err, OR_EFORMAT, "mf: pair %zu has aid %u -> %u, beyond the model's %zu rows", i, pairs[2 * i], pairs[2 * i + 1], nr);
		if (perm[i] >= batch)
			return or_err_set(err, OR_EINVAL, "mf: perm[%zu] = %u is not below the batch size %zu", i, perm[i], batch);
	}
	const or_mf_kernels *k = ws->k;
	float *E = m->emb;
	float *gp = ws->gp, *gn = ws->gn;
	double *lp = ws->loss_part;
	/* mean over the 2B outputs: torch divides (sigmoid(x) - y) by 2B */
	const float n_out = (float)(2 * batch);
	const long long nb = (long long)batch;

	/* 1. logits and their gradients */
OMP(omp parallel for schedule(static) num_threads(ws->threads))
	for (long long i = 0; i < nb; i++) {
		if (i + AHEAD < nb) {
			size_t f = (size_t)i + AHEAD;
			prefetch_row(E, pairs[2 * f], d, 0);
			prefetch_row(E, pairs[2 * f + 1], d, 0);
			prefetch_row(E, pairs[2 * (size_t)perm[f] + 1], d, 0);
		}
		uint32_t a = pairs[2 * i], b = pairs[2 * i + 1];
		uint32_t bn = pairs[2 * (size_t)perm[i] + 1];
		float xp = k->dot(E + (size_t)a * d, E + (size_t)b * d, d);
		float xn = k->dot(E + (size_t)a * d, E + (size_t)bn * d, d);
		float ep = expf(-xp), en = expf(-xn);
		float sp = 1.0f / (1.0f + ep), sn = 1.0f / (1.0f + en);
		gp[i] = (sp - 1.0f) / n_out;
		gn[i] = sn / n_out;
		lp[i] = (double)bce_pos_e(xp, ep) + bce_neg_e(xn, en);
	}

	/* 2. coalesce.  Contributions to a row are summed in the order torch
	   lists them: autograd runs the four embedding backwards from the last
	   created (neg aid2, neg aid1, pos aid2, pos aid1), their sparse grads
	   are concatenated in that order, and coalesce() stably sorts by row
	   and adds the values in that order. */
	int32_t *slot = ws->slot;
	uint32_t *uniq = ws->uniq, *start = ws->start;
	uint32_t *other = ws->ent_other;
	float *coef = ws->ent_coef;
	uint32_t nu = 0;
OMP(omp parallel num_threads(ws->parts))
	{
		int p = or_par_thread_num(), P = or_par_num_threads();
		uint32_t *uq = ws->part_uniq + (size_t)p * 4 * batch;
		uint32_t *cnt = ws->part_cnt + (size_t)p * 4 * batch;
		coal_ent *pe = ws->part_ent + (size_t)p * (4 * batch + 1);
		/* this partition's lookups in torch's order; branch-free (the
		   partition test is a coin flip) */
		size_t ne = 0;
		for (int q = 0; q < 4; q++) {
			const float *g = q < 2 ? gn : gp;
			for (size_t i = 0; i < batch; i++) {
				uint32_t row = lookup_row(pairs, perm, i, q);
				coal_ent *e = pe + ne;
				e->row = row;
				e->other = lookup_row(pairs, perm, i, q ^ 1);
				e->coef = g[i];
				ne += row_part(row, P) == p;
			}
		}
		/* slots: a new row gets slot lnu (written unconditionally) */
		uint32_t lnu = 0;
		for (size_t x = 0; x < ne; x++) {
			if (x + 16 < ne)
				__builtin_prefetch(slot + pe[x + 16].row, 1);
			uint32_t row = pe[x].row;
			int32_t sl = slot[row];
			int fresh = sl < 0;
			uq[lnu] = row;  /* kept only when fresh */
			cnt[lnu] = 0;
			sl = fresh ? (int32_t)lnu : sl;
			slot[row] = sl;
			lnu += (uint32_t)fresh;
			cnt[sl]++;
			pe[x].row = (uint32_t)sl;
		}
		uint32_t lne = (uint32_t)ne;
		ws->part_nu[p] = lnu;
		ws->part_ne[p] = lne;
OMP(omp barrier)
		uint32_t sbase = 0, ebase = 0;
		for (int x = 0; x < p; x++) {
			sbase += ws->part_nu[x];
			ebase += ws->part_ne[x];
		}
		if (p == P - 1) {
			nu = sbase + lnu;
			start[nu] = ebase + lne;
		}
		/* global slots sbase + x; cnt becomes the fill cursor */
		for (uint32_t x = 0; x < lnu; x++) {
			uint32_t c = cnt[x];
			uniq[sbase + x] = uq[x];
			start[sbase + x] = ebase;
			cnt[x] = ebase;
			ebase += c;
		}
		for (size_t x = 0; x < ne; x++) {
			uint32_t pos = cnt[pe[x].row]++;
			other[pos] = pe[x].other;
			coef[pos] = pe[x].coef;
		}
	}

	/* 3. coalesced gradient rows, all from the pre-step table */
	float *grad = ws->grad;
	const long long nul = (long long)nu;
OMP(omp parallel for schedule(static) num_threads(ws->threads))
	for (long long s = 0; s < nul; s++) {
		float *g = grad + (size_t)s * d;
		memset(g, 0, d * sizeof(float));
		if (s + 2 < nul) {
			uint32_t e2 = start[s + 2], e3 = start[s + 3];
			for (uint32_t e = e2; e < e3 && e < e2 + 4; e++)
				prefetch_row(E, other[e], d, 0);
		}
		for (uint32_t e = start[s]; e < start[s + 1]; e++)
			k->axpy(coef[e], E + (size_t)other[e] * d, g, d);
	}

	/* 4. SparseAdam on the batch's rows */
	m->step++;
	or_mf_sparse_adam_begin(&ws->opt, m->step);
	const or_mf_sparse_adam *opt = &ws->opt;
	float *M = m->m, *V = m->v;
OMP(omp parallel for schedule(static) num_threads(ws->threads))
	for (long long s = 0; s < nul; s++) {
		if (s + AHEAD < nul) {
			size_t f = uniq[s + AHEAD];
			prefetch_row(E, f, d, 1);
			prefetch_row(M, f, d, 1);
			prefetch_row(V, f, d, 1);
		}
		size_t r = (size_t)uniq[s] * d;
		k->adam_row(opt, E + r, M + r, V + r, grad + (size_t)s * d, d);
		slot[uniq[s]] = -1;
	}

	if (loss) {
		double sum = 0;
		for (size_t i = 0; i < batch; i++)
			sum += lp[i];
		*loss = sum / (double)(2 * batch);
	}
	return OR_OK;
}

int or_mf_train_exact_epoch(or_mf_model *m, const or_mf_config *cfg,
			    const uint32_t *train, size_t n,
			    const or_log *log, double *loss, or_err *err)
{
	or_mf_exact_ws *ws = NULL;
	size_t bmax = cfg->batch < n ? cfg->batch : n;
	int rc = or_mf_exact_ws_new(&ws, m, bmax ? bmax : 1, cfg, err);
	if (rc)
		return rc;
	or_prng r;
	or_prng_seed(&r, cfg->seed, 0x100000000ull + m->epoch);
	double sum = 0, wsum = 0, wn = 0;
	size_t w = 0; /* the 1/OR_MF_CURVE of the epoch the batch starts in */
	for (size_t off = 0; off < n && !rc; off += cfg->batch) {
		if (or_log_cancelled(log)) {
			rc = or_err_set(err, OR_ECANCELLED, "mf: training interrupted");
			break;
		}
		size_t b = n - off < cfg->batch ? n - off : cfg->batch;
		or_prng_permutation(&r, ws->perm, b);
		double l = 0;
		rc = or_mf_exact_step(m, ws, train + 2 * off, b, ws->perm, &l, err);
		or_pairs_check_train(cfg->check, off + b); /* NULL past the first epoch */
		sum += l * (double)b;
		wsum += l * (double)b;
		wn += (double)b;
		size_t next = off + b < n ? (size_t)((double)(off + b) * OR_MF_CURVE / (double)n) : OR_MF_CURVE;
		if (cfg->loss_curve && next != w && !rc) {
			cfg->loss_curve[m->epoch * OR_MF_CURVE + (w < OR_MF_CURVE ? w : OR_MF_CURVE - 1)] = wsum / wn;
			wsum = wn = 0;
			w = next;
		}
		or_log_progress(log, "train (exact)", (double)(off + b), (double)n, "pairs");
	}
	*loss = n ? sum / (double)n : 0;
	or_mf_exact_ws_free(ws);
	return rc;
}
