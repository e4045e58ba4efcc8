/* or_ranker_trees.c - the gbt ranker's native evaluator: the margin of
   rows over flattened trees, XGBoost 1.7's CPU predictor's arithmetic, and
   the trees taken from a live booster (see or_ranker_trees.h; the JSON
   model is read in or_ranker_trees_json.c). */
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

/* Rows [lo, hi) (at most BLOCK). */
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
		score_block(t, x, lo, hi, stride, scores);
	}
}

void or_trees_release(or_trees *t)
{
	free(t->root);
	free(t->node);
	memset(t, 0, sizeof(*t));
}
