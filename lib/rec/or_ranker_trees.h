/*
 * or_ranker_trees.h - the gbt ranker's native evaluator (internal to
 * lib/rec/or_ranker*.c and its tests): an XGBoost booster's trees
 * flattened into one array of nodes, and the margin of rows computed from
 * them, bit-identical to XGBoost 1.7's CPU predictor (the margin,
 * XGBoosterPredictFromDense type 1):
 *
 *   margin = base + leaf(tree 0) + leaf(tree 1) + ...   in float, in tree
 *   order, from base = the objective's margin of the model's base_score;
 *   at a split, a NaN feature takes the default direction, any other value
 *   goes left when value < threshold (so +inf right, -inf left).
 *
 * Why our own evaluator and not XGBoost's: a predict call costs a JSON
 * config parse and an OpenMP set-up (serve scores a few hundred rows a
 * request), its booster keeps its output inside (one caller at a time),
 * and at full scale it was most of the ranker stage.  The trees are read
 * from the booster's own JSON model (XGBoosterSaveModelToBuffer, "json"),
 * whose floats are the shortest decimals that give the float back, read
 * with strtof: the thresholds and leaves exactly.
 *
 * What it refuses (OR_EUNSUPPORTED naming the model): another booster
 * than gbtree (dart weighs its trees, gblinear has none), categorical
 * splits, more than one output (num_class, num_target, vector leaves), and
 * an objective whose base_score margin it does not know (it knows the
 * identity of rank:pairwise, rank:ndcg, rank:map, reg:squarederror and the
 * logit of binary:logistic, reg:logistic, binary:logitraw).  A model that
 * does not hold together (a child out of range, a node reached twice, a
 * split on a feature beyond the ranker's) is OR_EFORMAT.
 *
 * Layouts: the nodes of every tree in one array, each tree breadth first
 * from its root (the levels every row walks are contiguous), the two
 * children of a split side by side (right = left + 1); 16 bytes a node.
 * When no tree is deeper than OR_TREES_PERFECT_MAX (fit's default is 6),
 * also every tree as a perfect tree of the deepest one's depth D (a leaf
 * above the bottom repeated below a split whose both sides lead to it):
 * 2^D - 1 splits of 8 bytes in heap order (the children of k are 2k + 1
 * and 2k + 2) and 2^D leaves, so that a row takes exactly D steps without
 * a branch and 8 rows walk a tree side by side.  That layout is what
 * scores; the other is kept for deeper models.  Scoring reads nothing but
 * the arrays: any number of threads may score one or_trees at once.
 */
#ifndef OR_RANKER_TREES_H
#define OR_RANKER_TREES_H

#include <stddef.h>
#include <stdint.h>

#include <xgboost/c_api.h>

#include "or_err.h"

typedef struct or_tree_node {
	float value;    /* a split's threshold; a leaf's value */
	uint32_t feat;  /* a split's feature */
	uint32_t left;  /* a split's left child (index in node[]); 0: a leaf */
	uint32_t dleft; /* a split's default direction: 1 left, 0 right */
} or_tree_node;

#define OR_TREES_PERFECT_MAX 10

typedef struct or_tree_split {
	float value;  /* the threshold */
	uint32_t fd;  /* the feature, | 1u << 31 when a missing value goes left */
} or_tree_split;

typedef struct or_trees {
	float base;         /* the margin before any tree */
	size_t n_trees;
	uint32_t *root;     /* n_trees: each tree's root in node[] */
	or_tree_node *node; /* n_nodes */
	size_t n_nodes;
	int depth;          /* the perfect layout's D; -1: none (too deep) */
	or_tree_split *split; /* n_trees x (2^D - 1), or NULL */
	float *leaf;          /* n_trees x 2^D, or NULL */
} or_trees;

/* The trees of XGBoost's JSON model text[0..len) for rows of n_features
   features; what names the model in messages ("PATH: clicks booster"). */
int or_trees_from_json(const char *text, size_t len, size_t n_features, const char *what,
		       or_trees *out, or_err *err);
/* The same from a live booster (its JSON model). */
int or_trees_from_booster(BoosterHandle b, size_t n_features, const char *what, or_trees *out,
			  or_err *err);
/* The perfect layout of t's nodes (above), or depth -1 when a tree is too
   deep; OR_ENOMEM.  The JSON reader calls it. */
int or_trees_perfect(or_trees *t, or_err *err);
/* scores[i] = the margin of row x[i * stride ..] (i < n), with up to
   `threads` threads (0: all cores) when n is large enough to pay for them;
   each row on its own, so the same doubles for any thread count. */
void or_trees_score(const or_trees *t, const float *x, size_t n, size_t stride, int threads,
		    double *scores);
/* Empty *t (freeing what it holds); twice is fine. */
void or_trees_release(or_trees *t);

#endif
