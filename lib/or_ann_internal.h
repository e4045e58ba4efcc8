/*
 * or_ann_internal.h - the layout of an open index (or_ann), shared by the
 * builder (which searches its in-memory index to choose nprobe) and the
 * reader; and helpers both use.  Not a public header.
 */
#ifndef OR_ANN_INTERNAL_H
#define OR_ANN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "or_ann.h"

#define OR_ANN_MAGIC "ORANNIVF"
#define OR_ANN_N_SECTIONS 6
#define OR_ANN_TABLE_OFF 64u
#define OR_ANN_HCHECK_OFF (OR_ANN_TABLE_OFF + 32u * OR_ANN_N_SECTIONS)

struct or_ann {
	int metric;
	size_t n, d, nlist, nprobe;
	uint64_t seed;
	const float *centroids;   /* nlist * d */
	const uint64_t *offsets;  /* nlist + 1 */
	const uint32_t *ids;      /* n: item at stored position */
	const float *vecs;        /* n * d, stored order */
	const float *norms;       /* n */
	const uint32_t *pos;      /* n: stored position of item */
	float *cnorms;            /* nlist squared centroid norms (owned) */
	void *map;                /* mapping (NULL for the builder's view) */
	size_t map_bytes;
};

/* Fill ix->cnorms (malloc); OR_ENOMEM on failure. */
int or_ann_prepare(or_ann *ix, or_err *err);

/* Exact top-k of by-item queries over the index's own vectors (item left
   out); ids are items. */
int or_ann_exact_items(const or_ann *ix, const int64_t *items, size_t nq,
		       size_t k, int threads, int simd, int64_t *ids,
		       const or_log *log, or_err *err);

/* Mean recall of ann (nq x k) against truth (nq x k), -1 entries ignored. */
double or_ann_recall(const int64_t *ann, const int64_t *truth, size_t nq, size_t k);

/* nq distinct-ish items drawn from 0..n-1 with seed (splitmix64). */
void or_ann_sample_items(size_t n, size_t nq, uint64_t seed, int64_t *items);

static inline uint64_t or_ann_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
