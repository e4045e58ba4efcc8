/*
 * or_ann.h - the approximate nearest-neighbour index over item embeddings
 * (what the OTTO notebooks use Annoy for): build from an n x d float32
 * matrix whose row r is item r, save to one versioned, checksummed,
 * mmap-able file, search by vector or by item, measure recall against exact
 * search (or_knn).
 *
 * Items are the rows 0..n-1; searches take and return rows.  The index
 * also stores the aid of each row (from the matrix's ids file, or row r =
 * aid r without one) and exposes them as an item dictionary
 * (or_ann_items): callers map aids to rows with or_items_index and rows
 * back to aids with or_items_aid.
 *
 * The index is an inverted file with quantised lists and exact re-ranking
 * (IVF-SQ8): k-means centroids (nlist of them), each vector stored once, in
 * the list of its nearest centroid (L2: in order of norm), both as floats
 * and as 8-bit codes; a query scans the codes of the nprobe lists whose
 * centroids are nearest (integer dot products of 16 queries at a time: AMX
 * tiles where the CPU and kernel allow, else AVX-512 VNNI, else plain C, the
 * same integers), keeps the `rerank` best approximate candidates and
 * re-scores them with the float vectors, so reported distances are exact.  Why this rather than HNSW or a projection
 * forest: see the header comment of or_ann_build.c (build time, determinism,
 * measured recall/speed).  The build chooses the default nprobe itself: the
 * smallest whose recall@20 against exact search on a seeded sample of items
 * reaches `target_recall` with a margin of two standard errors.
 *
 * Metrics (or_knn.h): L2 (distances are squared euclidean), IP (inner
 * product, larger is nearer), COS (vectors normalised at build, queries at
 * search; distances are cosine similarities).
 *
 * File layout: a sectioned file (or_sfile.h: magic, version, fields,
 * section table, header checksum; 4096-byte header page), little-endian,
 * sections 4096-aligned:
 *
 *   offset  size  field
 *   0       8     magic "ORANNIVF"
 *   8       4     format version (OR_ANN_VERSION; 2 added the codes, 3
 *                 made their blocks row-major, 4 moved to or_sfile.h,
 *                 5 added the aids)
 *   12      148   or_sfile.h's header fields: 9 sections aligned to 4096
 *   32      4     metric (0 l2, 1 ip, 2 cos)
 *   36      4     dim d
 *   40      8     n, rows (items 0..n-1)
 *   48      4     nlist
 *   52      4     default nprobe (1..nlist)
 *   56      8     seed the index was built with
 *   64      4     k-means iterations
 *   68      4     rows the k-means was trained on
 *   72      4     default rerank (candidates re-scored exactly, >= 1)
 *   76      4     reserved, 0
 *   160     288   section table (or_sfile.h):
 *                   0 centroids  f32[nlist * d]
 *                   1 offsets    u64[nlist + 1]; list l holds stored
 *                                positions [offsets[l], offsets[l+1])
 *                                (L2: in order of (squared norm, item))
 *                   2 ids        u32[n]: item of each stored position
 *                   3 vectors    f32[n * d] in stored order (COS: unit length)
 *                   4 norms      f32[n]: squared norm of each stored vector
 *                   5 positions  u32[n]: stored position of each item
 *                   6 quantiser  f32[2 * d]: minimum, then step, per dim
 *                   7 codes      u8[B * 64 * ceil(d / 4)]: each list's codes
 *                                in blocks of 16 vectors, B blocks in all
 *                                (sum over lists of ceil(len / 16); the block
 *                                layout is described in or_ann_sq.c)
 *                   8 aids       u32[n]: the aid of each item (row),
 *                                strictly increasing
 *   672     8     header checksum
 *   4096          the sections
 *
 * Opening maps the file and checks everything: its header, that each
 * section has the size the counts imply, each section's checksum, and that
 * offsets, ids, positions and aids are consistent (a damaged or truncated
 * file is an error, never a crash; an older version is refused with a hint
 * to rebuild it).
 */
#ifndef OR_ANN_H
#define OR_ANN_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_items.h"
#include "or_knn.h"
#include "or_log.h"

#define OR_ANN_VERSION 5u

typedef struct or_ann_build_config {
	int metric;           /* OR_METRIC_* (default L2) */
	size_t nlist;         /* 0 = automatic: or_ann_auto_nlist(n) */
	uint64_t seed;        /* default 42 */
	int threads;          /* 0 = all cores */
	int simd;             /* 1 = SIMD kernels when available */
	unsigned iterations;  /* k-means iterations (default 10) */
	size_t train_per_list;/* k-means sample rows per centroid (default 64) */
	double target_recall; /* default 0.95 (recall@20 on tune_queries items,
				 less two standard errors) */
	size_t tune_queries;  /* default 2000; 0 = skip tuning, nprobe = nprobe */
	size_t nprobe;        /* default nprobe when tuning is skipped (0 = auto) */
	size_t rerank;        /* default candidates re-scored exactly (0 = 32) */
	const uint32_t *row_aids; /* the aid of each of the n rows, strictly
				     increasing, <= OR_AID_MAX (an ids file:
				     or_npy_read_ids); NULL: row r is aid r */
} or_ann_build_config;

void or_ann_build_config_default(or_ann_build_config *cfg);

/* The default number of lists for n rows: round(sqrt(n)), in 1..65536.
   Measured at 1.86 M x 32 (2 cores): sqrt(n) = 1364 lists built in 20 s and
   answered 25 k queries/s at recall@20 0.965 on clustered data; 2 sqrt(n)
   took 65 s and gave 23 k queries/s (a scan is memory-bound, the coarse
   step is not, and the build grows with nlist). */
size_t or_ann_auto_nlist(size_t n);

/*
 * Build the index of the n x d matrix data (row r = item r, whose aid is
 * cfg->row_aids[r], or r) and write it atomically to path.  The same data,
 * config and thread count give the same file bytes (in fact any thread
 * count does).  Progress and cancellation
 * through log.  Errors: OR_EINVAL (empty data, d or n too large, a value
 * that is not finite), OR_ENOMEM, OR_EIO, OR_ECANCELLED.
 * On success *out_nprobe (may be NULL) receives the chosen default nprobe and
 * *out_recall (may be NULL) the tuning recall it reached (-1 when skipped).
 */
int or_ann_build(const float *data, size_t n, size_t d,
		 const or_ann_build_config *cfg, const char *path,
		 size_t *out_nprobe, double *out_recall,
		 const or_log *log, or_err *err);

typedef struct or_ann or_ann; /* opaque, read-only, mmap-backed */

int or_ann_open(const char *path, or_ann **out, or_err *err);
void or_ann_free(or_ann *ix); /* NULL is fine */

size_t or_ann_n(const or_ann *ix);
size_t or_ann_dim(const or_ann *ix);
int or_ann_metric(const or_ann *ix);
size_t or_ann_nlist(const or_ann *ix);
size_t or_ann_nprobe(const or_ann *ix); /* the default chosen at build */
size_t or_ann_rerank(const or_ann *ix); /* the default rerank */
uint64_t or_ann_seed(const or_ann *ix);
/* The aids of the items: item (row) i is aid or_items_aid(d, i); an aid's
   row is or_items_index(d, aid) (OR_ITEM_NONE: not in the index).  For an
   index built without row aids, the identity 0..n-1.  Owned by the index. */
const or_items *or_ann_items(const or_ann *ix);
/* The stored vector of item (d floats, unit length for COS), valid until
   or_ann_free; NULL when item is out of range. */
const float *or_ann_vector(const or_ann *ix, int64_t item);

typedef struct or_ann_search_params {
	size_t nprobe; /* lists to scan; 0 = the index's default */
	int threads;   /* 0 = all cores */
	int simd;      /* 0 scalar kernels; 1 the fastest available (the code
			  scan on AMX where the CPU and kernel allow it and
			  d <= 64, else AVX-512 VNNI); 2 at most AVX-512
			  VNNI.  The answers are the same. */
	size_t rerank; /* approximate candidates re-scored exactly per query
			  (at least k); 0 = the index's default, or every row
			  when nprobe >= nlist (so an exhaustive probe is
			  exact search) */
} or_ann_search_params;

void or_ann_search_params_default(or_ann_search_params *p);

/*
 * Search nq query vectors (nq x d, row-major) for their k nearest items, in
 * the style of faiss_Index_search: ids and dist are caller-owned, nq * k,
 * nearest first, padded with -1 and +-inf (dist may be NULL).  exclude,
 * when non-NULL, holds one item per query to leave out (-1: none).
 * Errors: OR_EINVAL, OR_ENOMEM, OR_ECANCELLED.
 */
int or_ann_search(const or_ann *ix, const float *queries, size_t nq, size_t k,
		  const int64_t *exclude, const or_ann_search_params *p,
		  int64_t *ids, float *dist, const or_log *log, or_err *err);

/* The code scan a search with this simd setting runs: "amx",
   "avx512-vnni" or "scalar". */
const char *or_ann_scan_name(const or_ann *ix, int simd);

/* By-item queries: the k nearest other items of each items[i] (the item
   itself left out, as Annoy's get_nns_by_item(a, k + 1)[1:]).  An item out of
   0..n-1 is OR_EINVAL naming it. */
int or_ann_search_items(const or_ann *ix, const int64_t *items, size_t nq,
			size_t k, const or_ann_search_params *p, int64_t *ids,
			float *dist, const or_log *log, or_err *err);

typedef struct or_ann_eval_result {
	size_t queries, k, nprobe;
	double recall;         /* mean recall@k against exact search */
	double ann_seconds;    /* wall time of the approximate by-item queries */
	double ann_qps;        /* approximate queries per second */
	double exact_seconds;  /* wall time of the exact search */
	double exact_qps;
	size_t speed_queries;  /* queries timed for ann_qps */
} or_ann_eval_result;

/*
 * Recall@k of by-item queries on nq items drawn with seed, against exact
 * search over the index's own vectors; then the approximate search alone
 * timed on speed_queries items (0 = the same nq).  p as for search.
 */
int or_ann_eval(const or_ann *ix, size_t nq, size_t k, uint64_t seed,
		size_t speed_queries, const or_ann_search_params *p,
		or_ann_eval_result *res, const or_log *log, or_err *err);

#endif
