/*
 * or_knn.h - exact k-nearest-neighbour search over a float32 matrix (the
 * truth approximate indexes are measured against), the metrics shared with
 * or_ann, and the distance kernels (a scalar reference beside each AVX2/FMA
 * one, chosen at run time; see or_knn_simd_available).
 *
 * Metrics and the "distance" reported for each neighbour (faiss's convention):
 *   OR_METRIC_L2   squared euclidean distance, smaller is nearer;
 *   OR_METRIC_IP   inner product, larger is nearer;
 *   OR_METRIC_COS  cosine similarity (both sides normalised), larger is nearer.
 * Ties are broken by the smaller id, so every search path gives the same
 * order for the same distances.  Output arrays are caller-owned, nq * k,
 * row-major; a query with fewer than k candidates is padded with id -1 and
 * distance +inf (L2) or -inf (IP/COS).
 */
#ifndef OR_KNN_H
#define OR_KNN_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

enum { OR_METRIC_L2 = 0, OR_METRIC_IP = 1, OR_METRIC_COS = 2 };

/* "l2", "ip", "cos"; NULL for anything else. */
const char *or_metric_name(int metric);
/* Parse "l2" | "ip" | "cos" (also "euclidean", "dot", "cosine"); 0 on success. */
int or_metric_parse(const char *s, int *metric);

/* 1 when this build and CPU can run the AVX2/FMA kernels (and the
   environment variable OTTOREC_NO_SIMD is unset or "0"). */
int or_knn_simd_available(void);

typedef struct or_knn_config {
	int metric;  /* OR_METRIC_* (default L2) */
	int threads; /* 0 = OpenMP default (all cores) */
	int simd;    /* 1 = use SIMD kernels when available (default), 0 = scalar */
} or_knn_config;

void or_knn_config_default(or_knn_config *cfg);

/*
 * Exact search: for each of nq queries (nq x d, row-major) the k nearest of
 * the n base rows (n x d, row-major).  exclude, when non-NULL, holds one base
 * row per query that is left out of that query's answer (-1: none), so a
 * by-item query excludes the item itself.  ids (nq * k) is required, dist
 * (nq * k) may be NULL.  Blocked over queries and base rows, multithreaded.
 * Returns OR_OK, OR_EINVAL, OR_ENOMEM or OR_ECANCELLED (log->cancel).
 */
int or_knn_search(const float *base, size_t n, size_t d, const float *queries,
		  size_t nq, size_t k, const int64_t *exclude,
		  const or_knn_config *cfg, int64_t *ids, float *dist,
		  const or_log *log, or_err *err);

/*
 * The kernels, exposed for tests and for or_ann.  Each computes, for one
 * query q (d floats) and n consecutive rows X (n x d, row-major), out[i] =
 * sum_j (q[j] - X[i][j])^2 (l2) or sum_j q[j] * X[i][j] (dot).  simd selects
 * the AVX2/FMA version when available; results agree with the scalar
 * reference up to rounding (FMA and summation order).
 */
void or_knn_l2_rows(const float *q, const float *X, size_t n, size_t d,
		    float *out, int simd);
void or_knn_dot_rows(const float *q, const float *X, size_t n, size_t d,
		     float *out, int simd);

/* Normalise each of n rows of x (n x d) in place to unit length (zero rows
   stay zero). */
void or_knn_normalize(float *x, size_t n, size_t d);

#endif
