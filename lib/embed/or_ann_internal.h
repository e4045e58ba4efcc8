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
#include "or_prng.h" /* or_prng_splitmix for the samples */
#include "or_sfile.h"

/* The index file (layout in or_ann.h): its format and its fields (their
   offsets in the file: 32 + these). */
enum {
	OR_ANN_SEC_CENTROIDS, OR_ANN_SEC_OFFSETS, OR_ANN_SEC_IDS, OR_ANN_SEC_VECTORS,
	OR_ANN_SEC_NORMS, OR_ANN_SEC_POSITIONS, OR_ANN_SEC_QUANTISER, OR_ANN_SEC_CODES,
	OR_ANN_SEC_AIDS, OR_ANN_N_SECTIONS
};
extern const or_sfile_format or_ann_format;

typedef struct or_ann_meta {
	uint32_t metric, dim;
	uint64_t n;
	uint32_t nlist, nprobe;
	uint64_t seed;
	uint32_t iterations, ntrain;
	uint32_t rerank, reserved;
} or_ann_meta;
OR_SFILE_META_FITS(or_ann_meta);
_Static_assert(offsetof(or_ann_meta, n) == 40 - 32 && offsetof(or_ann_meta, seed) == 56 - 32 &&
	       offsetof(or_ann_meta, rerank) == 72 - 32, "or_ann.h's layout");

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
	const uint32_t *aids;     /* n: aid of each item, increasing (NULL in
				     the builder's view: cfg->row_aids) */
	or_items *items;          /* the aids' dictionary (owned; reader only) */
	size_t rerank;            /* default candidates re-scored exactly */
	uint64_t *bstart;         /* nlist + 1 first block of each list (owned) */
	float *cnorms;            /* nlist squared centroid norms (owned) */
	float *cpanel;            /* the centroids in panels of 16 (owned;
				     or_ann_probe.c) */
	float *bmin;              /* per code block: the least squared norm of
				     its vectors (owned; the scan's filter) */
	float nmax;               /* the largest squared norm */
	or_sfile f;               /* the file (zero for the builder's view) */
};

/* Fill ix->cnorms, ix->bstart, ix->bmin (malloc) and ix->nmax; OR_ENOMEM
   on failure. */
int or_ann_prepare(or_ann *ix, or_err *err);

/*
 * The vectors an index can hold: every value finite and, for l2 and ip,
 * a squared norm of at most OR_ANN_NORM2_MAX, so that no distance or inner
 * product between two of them (|a - b|^2 <= 4 max |x|^2, a . b <= max
 * |x|^2) or with a query of the same size overflows float32 (an inf or
 * NaN distance would rank nothing: silent empty results).  COS rows are
 * normalised in double first, so any finite row will do.  The first row
 * that fails in *bad (SIZE_MAX: none) and its squared norm in *norm2.
 */
#define OR_ANN_NORM2_MAX (3.4028234663852886e38 / 4)
void or_ann_rows_check(const float *x, size_t n, size_t d, int metric, size_t *bad,
		       double *norm2);
/* "row R (aid A) has ..." for that row: the message of build and open. */
int or_ann_row_error(or_err *err, int code, const char *what, size_t row, const uint32_t *aids,
		     double norm2, int metric);

/* ---- or_ann_probe.c: a query's key against every centroid ---- */

/* Fill ix->cpanel from ix->centroids (aligned_alloc); OR_ENOMEM on failure. */
int or_ann_probe_panels(or_ann *ix, or_err *err);
/* key[l] = |c_l|^2 - 2 q.c_l (L2) or -q.c_l, l < nlist: the same bits
   for every simd level. */
void or_ann_probe_keys(const or_ann *ix, const float *q, float *key, int simd);

/* Exact top-k of by-item queries over the index's own vectors (item left
   out); ids are items. */
int or_ann_exact_items(const or_ann *ix, const int64_t *items, size_t nq,
		       size_t k, int threads, int simd, int64_t *ids,
		       const or_log *log, or_err *err);

/* Mean recall of ann (nq x k) against truth (nq x k), -1 entries ignored. */
double or_ann_recall(const int64_t *ann, const int64_t *truth, size_t nq, size_t k);

/* nq distinct-ish items drawn from 0..n-1 with seed (splitmix64). */
void or_ann_sample_items(size_t n, size_t nq, uint64_t seed, int64_t *items);

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

/* ---- candidates of one query (or_ann_search.c) ---- */

/* Every (key, position) that beat the bound when it came; when the buffer
   is full, the r best by (key, position) are kept and the bound drops to the
   worst of them.  The r best of all candidates never leave, so the final set
   does not depend on the order the lists were scanned in. */
typedef struct or_ann_cand {
	float key;
	uint32_t pos;
} or_ann_cand;

typedef struct or_ann_cands {
	or_ann_cand *c;
	size_t n, r, cap; /* cap: compaction point, >= 2 r (memory may hold more) */
	float bound;
	or_ann_cand *tmp; /* cap entries of scratch for compacting */
} or_ann_cands;

/* Keep the r best (the buffer's n drops to r), bound = the worst of them. */
void or_ann_cands_compact(or_ann_cands *b);

static inline void or_ann_cands_push(or_ann_cands *b, float key, uint32_t pos)
{
	if (b->n == b->cap)
		or_ann_cands_compact(b);
	if (key <= b->bound) {
		b->c[b->n].key = key;
		b->c[b->n].pos = pos;
		b->n++;
	}
}

/* ---- or_ann_scan.c: one list against a group of up to 16 queries ---- */

#define OR_ANN_GROUP 16

/* Engines, each giving the same integers and so the same keys */
enum { OR_ANN_SCALAR = 0, OR_ANN_VNNI = 1, OR_ANN_AMX = 2 };

/* The engine a search runs: simd 0 scalar; 1 the fastest this machine has
   (AMX when d <= 64, else AVX-512 VNNI, else scalar); 2 at most VNNI. */
int or_ann_scan_engine(int simd, size_t d);

/* A thread that will scan with engine: set up (AMX: the tile shapes) and
   finish (AMX: release the tiles).  Scans of that thread go in between. */
void or_ann_scan_begin(int engine, size_t d4);
void or_ann_scan_end(int engine, size_t d4);

typedef struct or_ann_group {
	size_t nq;              /* 1 .. OR_ANN_GROUP queries */
	/* d4 rows of 64 bytes: row g holds, for query t, its quantised dims
	   4g .. 4g+3 at bytes 4t .. 4t+3 (unused queries 0) */
	int8_t *q;              /* caller-owned, 64 * d4 bytes */
	float a[OR_ANN_GROUP], c[OR_ANN_GROUP]; /* key = (norm - a) - c * dot */
	uint32_t skip[OR_ANN_GROUP];           /* position left out, or UINT32_MAX */
	float nmax;                            /* the index's largest squared norm */
	or_ann_cands *cands[OR_ANN_GROUP];
} or_ann_group;

/* No queries yet: nq = 0, every row zero. */
void or_ann_group_clear(or_ann_group *g, size_t d4);
/* Put query t's quantised bytes (4 * d4 of them) into the group's rows. */
void or_ann_group_set(or_ann_group *g, size_t t, const int8_t *qi, size_t d4);

/*
 * Scan the len vectors of one list (blocks: its first block; norms: their
 * squared norms and bmin the least of each block, both NULL for inner
 * product; pos0: the stored position of the first) for the group's
 * queries: every vector whose key
 *   key = ((norms ? norms[i] : 0) - a[t]) - c[t] * (qi_t . codes_i)
 * is <= the bound of query t's candidates, and whose position is not
 * skip[t], is pushed to them.  d4 <= 16 for the AMX engine.
 */
void or_ann_scan_group(const uint8_t *blocks, size_t len, size_t d4,
		       const float *norms, const float *bmin, uint32_t pos0,
		       or_ann_group *g, int engine);

/* The integers alone, for tests: out[16 v + t] = qi_t . codes of vector v
   of the block (t < nq).  Not between or_ann_scan_begin and _end. */
void or_ann_block_dots(const uint8_t *block, size_t d4, const or_ann_group *g,
		       int32_t *out, int engine);

#endif
