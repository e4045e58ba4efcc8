/* or_ranker_trees.c - the gbt ranker's native evaluator: the margin of
   rows over flattened trees, XGBoost 1.7's CPU predictor's arithmetic, on
   either layout (the node array, the perfect trees), and the trees taken
   from a live booster (see or_ranker_trees.h; the JSON model is read in
   or_ranker_trees_json.c). */
#include "or_par.h"
#include "or_ranker_internal.h"
#include "or_ranker_trees.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows a block: each tree is walked for all of them before the next tree,
   so a tree's nodes stay in cache (XGBoost's predictor blocks rows the
   same way; the sums are per row, so the block changes nothing). */
#define BLOCK 64
/* Below this many rows a call stays on the calling thread. */
#define PAR_MIN_ROWS 4096

int or_trees_from_booster(BoosterHandle b, size_t n_features, const char *what, or_trees *out,
			  or_err *err)
{
	memset(out, 0, sizeof(*out));
	bst_ulong len = 0;
	const char *buf = NULL;
	if (XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &len, &buf) != 0)
		return or_xgb_error(err, OR_EFORMAT, what);
	return or_trees_from_json(buf, (size_t)len, n_features, what, out, err);
}

/* The leaf that row x reaches from node i. */
static inline float leaf(const or_tree_node *nd, uint32_t i, const float *x)
{
	while (nd[i].left) {
		float v = x[nd[i].feat];
		uint32_t right = isnan(v) ? !nd[i].dleft : !(v < nd[i].value);
		i = nd[i].left + right;
	}
	return nd[i].value;
}

int or_trees_perfect(or_trees *t, or_err *err)
{
	t->depth = -1;
	if (!t->n_nodes)
		return OR_OK;
	/* each node's level (the trees are breadth first: a parent before
	   its children), the deepest leaf's */
	uint8_t *level = malloc(t->n_nodes);
	if (!level)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	int depth = 0;
	for (size_t k = 0; k < t->n_trees; k++)
		level[t->root[k]] = 0;
	for (size_t i = 0; i < t->n_nodes && depth <= OR_TREES_PERFECT_MAX; i++) {
		if (t->node[i].left) {
			level[t->node[i].left] = level[t->node[i].left + 1] = (uint8_t)(level[i] + 1);
			if (level[i] + 1 > depth)
				depth = level[i] + 1;
		}
	}
	free(level);
	if (depth > OR_TREES_PERFECT_MAX)
		return OR_OK;
	size_t ns = ((size_t)1 << depth) - 1, nl = ns + 1;
	uint32_t *src = malloc((ns + nl) * sizeof(*src));
	t->split = malloc((t->n_trees * ns + 1) * sizeof(*t->split));
	t->leaf = malloc(t->n_trees * nl * sizeof(*t->leaf));
	if (!src || !t->split || !t->leaf) {
		free(src);
		free(t->split);
		free(t->leaf);
		t->split = NULL;
		t->leaf = NULL;
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < t->n_trees; k++) {
		or_tree_split *sp = t->split + k * ns;
		src[0] = t->root[k];
		for (size_t h = 0; h < ns; h++) {
			const or_tree_node *g = &t->node[src[h]];
			if (g->left) {
				sp[h] = (or_tree_split){ g->value, g->feat | (g->dleft ? 1u << 31 : 0) };
				src[2 * h + 1] = g->left;
				src[2 * h + 2] = g->left + 1;
			} else { /* a leaf above the bottom: both sides lead to it */
				sp[h] = (or_tree_split){ 0.0f, 0 };
				src[2 * h + 1] = src[2 * h + 2] = src[h];
			}
		}
		for (size_t h = 0; h < nl; h++)
			t->leaf[k * nl + h] = t->node[src[ns + h]].value;
	}
	free(src);
	t->depth = depth;
	return OR_OK;
}

/* The perfect layout's step of row x from split h. */
static inline uint32_t step(const or_tree_split *sp, uint32_t h, const float *x)
{
	or_tree_split s = sp[h];
	float v = x[s.fd & 0x7fffffffu];
	/* right unless v < threshold; a NaN goes right unless it defaults left */
	uint32_t right = (uint32_t)!(v < s.value) & ~((uint32_t)(v != v) & (s.fd >> 31));
	return 2 * h + 1 + right;
}

/* Rows [lo, hi) (at most BLOCK) on the perfect layout: 8 rows at a time
   through each tree. */
static void score_block_perfect(const or_trees *t, const float *x, size_t lo, size_t hi,
				size_t stride, double *scores)
{
	float acc[BLOCK];
	size_t m = hi - lo, ns = ((size_t)1 << t->depth) - 1;
	int D = t->depth;
	for (size_t i = 0; i < m; i++)
		acc[i] = t->base;
	for (size_t k = 0; k < t->n_trees; k++) {
		const or_tree_split *sp = t->split + k * ns;
		const float *lf = t->leaf + k * (ns + 1);
		size_t i = 0;
		for (; i + 8 <= m; i += 8) {
			const float *r = x + (lo + i) * stride;
			uint32_t h[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
			for (int d = 0; d < D; d++) {
				/* unrolled: the 8 walks in registers, side by side */
				_Pragma("GCC unroll 8")
				for (int j = 0; j < 8; j++)
					h[j] = step(sp, h[j], r + (size_t)j * stride);
			}
			for (int j = 0; j < 8; j++)
				acc[i + j] += lf[h[j] - ns];
		}
		for (; i < m; i++) {
			const float *r = x + (lo + i) * stride;
			uint32_t h = 0;
			for (int d = 0; d < D; d++)
				h = step(sp, h, r);
			acc[i] += lf[h - ns];
		}
	}
	for (size_t i = 0; i < m; i++)
		scores[lo + i] = (double)acc[i];
}

/* Rows [lo, hi) (at most BLOCK) on the node array. */
static void score_block(const or_trees *t, const float *x, size_t lo, size_t hi, size_t stride,
			double *scores)
{
	float acc[BLOCK];
	size_t m = hi - lo;
	for (size_t i = 0; i < m; i++)
		acc[i] = t->base;
	for (size_t k = 0; k < t->n_trees; k++) {
		uint32_t root = t->root[k];
		for (size_t i = 0; i < m; i++)
			acc[i] += leaf(t->node, root, x + (lo + i) * stride);
	}
	for (size_t i = 0; i < m; i++)
		scores[lo + i] = (double)acc[i];
}

void or_trees_score(const or_trees *t, const float *x, size_t n, size_t stride, int threads,
		    double *scores)
{
	size_t nb = (n + BLOCK - 1) / BLOCK;
	int T = n >= PAR_MIN_ROWS ? or_par_threads(threads) : 1;
	(void)T; /* unused without OpenMP */
	OMP(omp parallel for num_threads(T) schedule(static) if (T > 1))
	for (size_t b = 0; b < nb; b++) {
		size_t lo = b * BLOCK, hi = lo + BLOCK < n ? lo + BLOCK : n;
		/* the next block's rows on their way into cache while this one is
		   walked (a tree reads a row at a few scattered features: without
		   this each is a miss of its own) */
		if (hi < n) { /* up to the first line of the next block's last row */
			size_t last = (hi + BLOCK < n ? hi + BLOCK : n) - 1;
			const char *p = (const char *)(x + hi * stride), *e = (const char *)(x + last * stride);
			for (; p <= e; p += 64)
				__builtin_prefetch(p);
		}
		if (t->depth >= 0)
			score_block_perfect(t, x, lo, hi, stride, scores);
		else
			score_block(t, x, lo, hi, stride, scores);
	}
}

void or_trees_release(or_trees *t)
{
	free(t->root);
	free(t->node);
	free(t->split);
	free(t->leaf);
	memset(t, 0, sizeof(*t));
}
