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
#define OR_ANN_N_SECTIONS 8
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
	const float *sq_min;      /* d: quantiser minimum per dimension */
	const float *sq_scale;    /* d: quantiser step per dimension */
	const uint8_t *codes;     /* blocks of 16 codes (or_ann_sq.c) */
	size_t rerank;            /* default candidates re-scored exactly */
	uint64_t *bstart;         /* nlist + 1 first block of each list (owned) */
	float *cnorms;            /* nlist squared centroid norms (owned) */
	void *map;                /* mapping (NULL for the builder's view) */
	size_t map_bytes;
};

/* Fill ix->cnorms and ix->bstart (malloc); OR_ENOMEM on failure. */
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

/* ---- or_ann_sq.c: 8-bit codes in blocks of 16 (layout there) ---- */

/* ceil(d / 4): 4-byte groups per vector in a block */
size_t or_ann_sq_groups(size_t d);
/* First block of each list (bstart may be NULL: count only); -1 when the
   offsets decrease. */
int or_ann_sq_blocks(const uint64_t *offsets, size_t nlist, uint64_t *bstart);
/* Per-dimension minimum and step of n stored vectors. */
void or_ann_sq_train(const float *vecs, size_t n, size_t d, float *vmin, float *scale);
/* Codes of the stored vectors, laid out in blocks (bstart[nlist] of them). */
void or_ann_sq_encode(const float *vecs, const uint64_t *offsets, size_t nlist,
		      size_t d, const float *vmin, const float *scale,
		      const uint64_t *bstart, uint8_t *codes);
/* The quantised query: qi (4 * or_ann_sq_groups(d) bytes, padding 0),
   *base = q . min; returns the step s (q . x ~= base + s * (qi . c)). */
float or_ann_sq_query(const float *q, size_t d, const float *vmin,
		      const float *scale, int8_t *qi, float *base);
/* out[16 * b + v] = qi . codes of vector v of block b, b < nblocks. */
void or_ann_sq_scan(const uint8_t *blocks, size_t nblocks, size_t d4,
		    const int8_t *qi, int32_t *out, int simd);
/* The approximate keys of the len vectors of one list (blocks from its
   first): keys[i] = ((norms ? norms[i] : 0) - a) - c * (qi . codes_i), and
   bit v of mask[b] set when keys[16 b + v] <= bound.  tmp: 16 * ceil(len /
   16) ints of scratch. */
void or_ann_sq_scan_keys(const uint8_t *blocks, size_t len, size_t d4,
			 const int8_t *qi, const float *norms, float a, float c,
			 float bound, float *keys, uint16_t *mask, int32_t *tmp,
			 int simd);
/* 1 when the VNNI scan can run (and OTTOREC_NO_SIMD is not set). */
int or_ann_sq_simd_available(void);

#endif
