/*
 * or_knn_internal.h - what or_knn.c and or_ann*.c share privately: the
 * bounded top-k heap (keys where smaller is nearer, ties to the smaller id)
 * and the conversion of a finished heap into caller-owned output rows.
 */
#ifndef OR_KNN_INTERNAL_H
#define OR_KNN_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "or_knn.h"

typedef struct or_topk {
	float *key;   /* k keys; key[0] is the worst while the heap is full */
	int64_t *id;
	size_t n, k;
} or_topk;

/* (ka, ia) worse than (kb, ib)? */
static inline int or_topk_worse(float ka, int64_t ia, float kb, int64_t ib)
{
	return ka > kb || (ka == kb && ia > ib);
}

static inline void or_topk_reset(or_topk *h) { h->n = 0; }

/* The key a candidate must beat (+inf while not full). */
static inline float or_topk_bound(const or_topk *h)
{
	return h->n < h->k ? INFINITY : h->key[0];
}

static inline void or_topk_sift_down(or_topk *h, size_t i)
{
	float kv = h->key[i];
	int64_t iv = h->id[i];
	for (;;) {
		size_t l = 2 * i + 1, w = i;
		float wk = kv;
		int64_t wi = iv;
		if (l < h->n && or_topk_worse(h->key[l], h->id[l], wk, wi)) {
			w = l; wk = h->key[l]; wi = h->id[l];
		}
		if (l + 1 < h->n && or_topk_worse(h->key[l + 1], h->id[l + 1], wk, wi))
			w = l + 1;
		if (w == i)
			break;
		h->key[i] = h->key[w];
		h->id[i] = h->id[w];
		i = w;
	}
	h->key[i] = kv;
	h->id[i] = iv;
}

static inline void or_topk_push(or_topk *h, float key, int64_t id)
{
	if (h->k == 0 || key != key) /* NaN never enters */
		return;
	if (h->n < h->k) {
		size_t i = h->n++;
		while (i > 0) {
			size_t p = (i - 1) / 2;
			if (!or_topk_worse(key, id, h->key[p], h->id[p]))
				break;
			h->key[i] = h->key[p];
			h->id[i] = h->id[p];
			i = p;
		}
		h->key[i] = key;
		h->id[i] = id;
		return;
	}
	if (!or_topk_worse(h->key[0], h->id[0], key, id))
		return;
	h->key[0] = key;
	h->id[0] = id;
	or_topk_sift_down(h, 0);
}

/*
 * Empty the heap into out_ids/out_dist (k slots each, nearest first, padded
 * with -1 / +-inf).  Keys are turned back into the metric's distance: for
 * IP and COS the key is the negated similarity.
 */
static inline void or_topk_finish(or_topk *h, int metric, int64_t *out_ids,
				  float *out_dist)
{
	size_t m = h->n;
	/* heap sort: repeatedly move the worst to the end */
	while (h->n > 1) {
		size_t last = h->n - 1;
		float tk = h->key[0];
		int64_t ti = h->id[0];
		h->key[0] = h->key[last];
		h->id[0] = h->id[last];
		h->key[last] = tk;
		h->id[last] = ti;
		h->n = last;
		or_topk_sift_down(h, 0);
	}
	float pad = metric == OR_METRIC_L2 ? INFINITY : -INFINITY;
	for (size_t i = 0; i < h->k; i++) {
		if (i < m) {
			out_ids[i] = h->id[i];
			if (out_dist)
				out_dist[i] = metric == OR_METRIC_L2 ? h->key[i] : -h->key[i];
		} else {
			out_ids[i] = -1;
			if (out_dist)
				out_dist[i] = pad;
		}
	}
	h->n = 0;
}

#endif
