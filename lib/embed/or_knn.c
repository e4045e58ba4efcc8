/*
 * or_knn.c - exact k-NN search and the distance kernels (see or_knn.h).
 *
 * Kernels: one query against n consecutive rows.  The AVX2/FMA versions take
 * eight rows at a time with one accumulator per row and reduce the eight
 * accumulators together with a horizontal-add tree; a dimension that is not a
 * multiple of 8 ends with a masked load.  Built and chosen as or_cpu.h says
 * (a target attribute, the CPU's features; NO_SIMD=1 and OTTOREC_NO_SIMD=1
 * turn them off).  The scalar versions are the reference the tests compare
 * with.
 *
 * Exact search: queries in blocks of QB, base rows in blocks of about 256 KiB
 * (so a base block stays in L2 while the queries of a block pass over it),
 * one top-k heap per query; OpenMP over query blocks.  Each query's answer
 * depends only on the data, never on the thread count.
 */
#include "or_knn.h"
#include "or_cpu.h"
#include "or_par.h"
#include "or_knn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef OR_SIMD_X86
#include <immintrin.h>
#endif

const char *or_metric_name(int metric)
{
	switch (metric) {
	case OR_METRIC_L2: return "l2";
	case OR_METRIC_IP: return "ip";
	case OR_METRIC_COS: return "cos";
	default: return NULL;
	}
}

int or_metric_parse(const char *s, int *metric)
{
	if (!s)
		return -1;
	if (!strcmp(s, "l2") || !strcmp(s, "euclidean"))
		*metric = OR_METRIC_L2;
	else if (!strcmp(s, "ip") || !strcmp(s, "dot"))
		*metric = OR_METRIC_IP;
	else if (!strcmp(s, "cos") || !strcmp(s, "cosine") || !strcmp(s, "angular"))
		*metric = OR_METRIC_COS;
	else
		return -1;
	return 0;
}

int or_knn_simd_available(void)
{
	return or_cpu_has(OR_CPU_AVX2 | OR_CPU_FMA);
}

void or_knn_config_default(or_knn_config *cfg)
{
	cfg->metric = OR_METRIC_L2;
	cfg->threads = 0;
	cfg->simd = 1;
}

/* ---- scalar reference kernels ---- */

static void l2_rows_scalar(const float *q, const float *X, size_t n, size_t d, float *out)
{
	for (size_t i = 0; i < n; i++) {
		const float *x = X + i * d;
		float s = 0;
		for (size_t j = 0; j < d; j++) {
			float t = q[j] - x[j];
			s += t * t;
		}
		out[i] = s;
	}
}

static void dot_rows_scalar(const float *q, const float *X, size_t n, size_t d, float *out)
{
	for (size_t i = 0; i < n; i++) {
		const float *x = X + i * d;
		float s = 0;
		for (size_t j = 0; j < d; j++)
			s += q[j] * x[j];
		out[i] = s;
	}
}

/* ---- AVX2/FMA kernels ---- */

#ifdef OR_SIMD_X86
#define TGT OR_TARGET("avx2,fma")

static const int32_t tail_mask_src[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };

/* lane i of the result = sum of the lanes of a[i] */
TGT static inline __m256 hsum8(__m256 a0, __m256 a1, __m256 a2, __m256 a3,
			       __m256 a4, __m256 a5, __m256 a6, __m256 a7)
{
	__m256 t0 = _mm256_hadd_ps(a0, a1), t1 = _mm256_hadd_ps(a2, a3);
	__m256 t2 = _mm256_hadd_ps(a4, a5), t3 = _mm256_hadd_ps(a6, a7);
	__m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
	__m256 lo = _mm256_permute2f128_ps(u0, u1, 0x20);
	__m256 hi = _mm256_permute2f128_ps(u0, u1, 0x31);
	return _mm256_add_ps(lo, hi);
}

TGT static inline float hsum1(__m256 a)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
	return _mm_cvtss_f32(s);
}

/* One body for both kernels: ACC(acc, qv, xv) accumulates one chunk. */
#define KERNEL_BODY(ACC)                                                          \
	size_t d8 = d & ~(size_t)7, r = d - d8;                                   \
	__m256i m = _mm256_loadu_si256((const __m256i *)(tail_mask_src + 8 - r)); \
	size_t i = 0;                                                             \
	for (; i + 8 <= n; i += 8) {                                              \
		const float *x = X + i * d;                                       \
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;       \
		__m256 a4 = a0, a5 = a0, a6 = a0, a7 = a0;                        \
		size_t j = 0;                                                     \
		for (; j < d8; j += 8) {                                          \
			__m256 qv = _mm256_loadu_ps(q + j);                       \
			ACC(a0, qv, _mm256_loadu_ps(x + j));                      \
			ACC(a1, qv, _mm256_loadu_ps(x + d + j));                  \
			ACC(a2, qv, _mm256_loadu_ps(x + 2 * d + j));              \
			ACC(a3, qv, _mm256_loadu_ps(x + 3 * d + j));              \
			ACC(a4, qv, _mm256_loadu_ps(x + 4 * d + j));              \
			ACC(a5, qv, _mm256_loadu_ps(x + 5 * d + j));              \
			ACC(a6, qv, _mm256_loadu_ps(x + 6 * d + j));              \
			ACC(a7, qv, _mm256_loadu_ps(x + 7 * d + j));              \
		}                                                                 \
		if (r) {                                                          \
			__m256 qv = _mm256_maskload_ps(q + j, m);                 \
			ACC(a0, qv, _mm256_maskload_ps(x + j, m));                \
			ACC(a1, qv, _mm256_maskload_ps(x + d + j, m));            \
			ACC(a2, qv, _mm256_maskload_ps(x + 2 * d + j, m));        \
			ACC(a3, qv, _mm256_maskload_ps(x + 3 * d + j, m));        \
			ACC(a4, qv, _mm256_maskload_ps(x + 4 * d + j, m));        \
			ACC(a5, qv, _mm256_maskload_ps(x + 5 * d + j, m));        \
			ACC(a6, qv, _mm256_maskload_ps(x + 6 * d + j, m));        \
			ACC(a7, qv, _mm256_maskload_ps(x + 7 * d + j, m));        \
		}                                                                 \
		_mm256_storeu_ps(out + i, hsum8(a0, a1, a2, a3, a4, a5, a6, a7)); \
	}                                                                         \
	for (; i < n; i++) {                                                      \
		const float *x = X + i * d;                                       \
		__m256 a0 = _mm256_setzero_ps();                                  \
		size_t j = 0;                                                     \
		for (; j < d8; j += 8)                                            \
			ACC(a0, _mm256_loadu_ps(q + j), _mm256_loadu_ps(x + j));  \
		if (r)                                                            \
			ACC(a0, _mm256_maskload_ps(q + j, m),                     \
			    _mm256_maskload_ps(x + j, m));                        \
		out[i] = hsum1(a0);                                               \
	}

#define ACC_DOT(a, qv, xv) ((a) = _mm256_fmadd_ps((qv), (xv), (a)))
#define ACC_L2(a, qv, xv)                                  \
	do {                                               \
		__m256 t_ = _mm256_sub_ps((qv), (xv));     \
		(a) = _mm256_fmadd_ps(t_, t_, (a));        \
	} while (0)

TGT static void dot_rows_avx2(const float *q, const float *X, size_t n, size_t d, float *out)
{
	KERNEL_BODY(ACC_DOT)
}

TGT static void l2_rows_avx2(const float *q, const float *X, size_t n, size_t d, float *out)
{
	KERNEL_BODY(ACC_L2)
}
#endif

void or_knn_l2_rows(const float *q, const float *X, size_t n, size_t d, float *out, int simd)
{
#ifdef OR_SIMD_X86
	if (simd && or_knn_simd_available()) {
		l2_rows_avx2(q, X, n, d, out);
		return;
	}
#endif
	(void)simd;
	l2_rows_scalar(q, X, n, d, out);
}

void or_knn_dot_rows(const float *q, const float *X, size_t n, size_t d, float *out, int simd)
{
#ifdef OR_SIMD_X86
	if (simd && or_knn_simd_available()) {
		dot_rows_avx2(q, X, n, d, out);
		return;
	}
#endif
	(void)simd;
	dot_rows_scalar(q, X, n, d, out);
}

void or_knn_normalize(float *x, size_t n, size_t d)
{
	for (size_t i = 0; i < n; i++) {
		float *r = x + i * d;
		double s = 0;
		for (size_t j = 0; j < d; j++)
			s += (double)r[j] * r[j];
		if (s > 0) {
			float inv = (float)(1.0 / sqrt(s));
			for (size_t j = 0; j < d; j++)
				r[j] *= inv;
		}
	}
}

/* ---- exact search ---- */

#define QB 16

int or_knn_search(const float *base, size_t n, size_t d, const float *queries,
		  size_t nq, size_t k, const int64_t *exclude,
		  const or_knn_config *cfg, int64_t *ids, float *dist,
		  const or_log *log, or_err *err)
{
	or_knn_config def;
	if (!cfg) {
		or_knn_config_default(&def);
		cfg = &def;
	}
	int metric = cfg->metric;
	if (!or_metric_name(metric))
		return or_err_set(err, OR_EINVAL, "knn: unknown metric %d", metric);
	if (d == 0 || (n && !base) || (nq && (!queries || !ids)))
		return or_err_set(err, OR_EINVAL, "knn: bad arguments (d = %zu)", d);
	size_t total;
	if (or_size_mul(nq, k, &total) || or_size_mul(n, d, &total) || or_size_mul(nq, d, &total))
		return or_err_set(err, OR_ENOMEM, "knn: size overflow (n %zu, nq %zu, k %zu)", n, nq, k);
	if (nq == 0 || k == 0)
		return OR_OK;
	int simd = cfg->simd;

	/* cosine: normalised copy of the queries, inverse norms of the base */
	float *qcopy = NULL, *inv_norm = NULL;
	if (metric == OR_METRIC_COS) {
		qcopy = malloc(nq * d * sizeof(float));
		inv_norm = malloc((n ? n : 1) * sizeof(float));
		if (!qcopy || !inv_norm) {
			free(qcopy);
			free(inv_norm);
			return or_err_set(err, OR_ENOMEM, "knn: out of memory");
		}
		memcpy(qcopy, queries, nq * d * sizeof(float));
		or_knn_normalize(qcopy, nq, d);
		for (size_t i = 0; i < n; i++) {
			double s = 0;
			for (size_t j = 0; j < d; j++)
				s += (double)base[i * d + j] * base[i * d + j];
			inv_norm[i] = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
		}
		queries = qcopy;
	}

	size_t bb = 65536 / d;
	if (bb < 64)
		bb = 64;
	size_t n_qblocks = (nq + QB - 1) / QB;
	int threads = or_par_threads(cfg->threads);
	(void)threads;
	int failed = OR_PAR_OK;
	size_t done = 0;

	OMP(omp parallel num_threads(threads) if (threads > 1))
	{
		float *buf = malloc(bb * sizeof(float));
		float *keys = malloc(QB * k * sizeof(float));
		int64_t *hid = malloc(QB * k * sizeof(int64_t));
		int tid = or_par_thread_num();
		if (!buf || !keys || !hid)
			or_par_fail(&failed, OR_PAR_FAILED);
		OMP(omp for schedule(dynamic, 1))
		for (size_t qb = 0; qb < n_qblocks; qb++) {
			if (or_par_stop(&failed, log))
				continue;
			size_t q0 = qb * QB, q1 = q0 + QB < nq ? q0 + QB : nq;
			or_topk h[QB];
			for (size_t q = q0; q < q1; q++) {
				h[q - q0].key = keys + (q - q0) * k;
				h[q - q0].id = hid + (q - q0) * k;
				h[q - q0].n = 0;
				h[q - q0].k = k;
			}
			for (size_t b0 = 0; b0 < n; b0 += bb) {
				size_t nb = b0 + bb < n ? bb : n - b0;
				const float *X = base + b0 * d;
				for (size_t q = q0; q < q1; q++) {
					or_topk *hq = &h[q - q0];
					const float *qv = queries + q * d;
					if (metric == OR_METRIC_L2)
						or_knn_l2_rows(qv, X, nb, d, buf, simd);
					else
						or_knn_dot_rows(qv, X, nb, d, buf, simd);
					if (metric == OR_METRIC_IP)
						for (size_t i = 0; i < nb; i++)
							buf[i] = -buf[i];
					else if (metric == OR_METRIC_COS)
						for (size_t i = 0; i < nb; i++)
							buf[i] = -(buf[i] * inv_norm[b0 + i]);
					int64_t ex = exclude ? exclude[q] : -1;
					float bound = or_topk_bound(hq);
					for (size_t i = 0; i < nb; i++) {
						if (buf[i] <= bound && (int64_t)(b0 + i) != ex) {
							or_topk_push(hq, buf[i], (int64_t)(b0 + i));
							bound = or_topk_bound(hq);
						}
					}
				}
			}
			for (size_t q = q0; q < q1; q++)
				or_topk_finish(&h[q - q0], metric, ids + q * k, dist ? dist + q * k : NULL);
			or_par_done(&done, q1 - q0, tid, log, "exact search", nq, "queries");
		}
		free(buf);
		free(keys);
		free(hid);
	}
	free(qcopy);
	free(inv_norm);
	return or_par_result(failed, err, "knn");
}
