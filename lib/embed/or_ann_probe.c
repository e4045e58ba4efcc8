/*
 * or_ann_probe.c - a query's key against every list's centroid (L2:
 * |c|^2 - 2 q.c, inner product / cosine: -q.c), from which a search picks
 * the nprobe lists it scans (or_ann_search.c).
 *
 * The centroids are kept a second time in panels of 16 (panel p: for each
 * dimension j, centroids 16p..16p+15's coordinate j, zero past nlist), so
 * that AVX-512 computes 16 keys at once with one broadcast of q[j] per
 * dimension, several panels interleaved.  Every lane adds the products in
 * the order j = 0, 1, ..., each product rounded before its addition (no
 * fused multiply-add), exactly as the scalar loop does (the build uses ISO
 * C, so the compiler contracts nothing): the keys, and so the probes, are
 * the same bits whatever the engine.  Measured at 1362 lists x 32 (Gaussian,
 * one thread, perf shares): 4.2 us a query with the row-wise dot products of
 * or_knn, ~1.5 us with the panels.  Hand-written: a BLAS would sum in its own
 * order, and the matrix (one query by a thousand centroids) is too small
 * for one to pay.
 */
#include "or_ann_internal.h"
#include "or_cpu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef OR_SIMD_X86
#include <immintrin.h>
#endif

int or_ann_probe_panels(or_ann *ix, or_err *err)
{
	size_t np = (ix->nlist + 15) / 16, d = ix->d;
	ix->cpanel = aligned_alloc(64, (np ? np : 1) * d * 16 * sizeof(float) + 64);
	if (!ix->cpanel)
		return or_err_set(err, OR_ENOMEM, "index: out of memory");
	memset(ix->cpanel, 0, np * d * 16 * sizeof(float));
	for (size_t c = 0; c < ix->nlist; c++)
		for (size_t j = 0; j < d; j++)
			ix->cpanel[((c / 16) * d + j) * 16 + c % 16] = ix->centroids[c * d + j];
	return OR_OK;
}

static void keys_scalar(const or_ann *ix, const float *q, float *key)
{
	int l2 = ix->metric == OR_METRIC_L2;
	size_t d = ix->d;
	for (size_t l = 0; l < ix->nlist; l++) {
		const float *c = ix->centroids + l * d;
		float s = 0;
		for (size_t j = 0; j < d; j++)
			s += q[j] * c[j];
		key[l] = l2 ? ix->cnorms[l] - 2 * s : -s;
	}
}

#ifdef OR_SIMD_X86
/* 16 keys from the accumulated dot products of lists l0.. (nl of them) */
OR_TARGET("avx512f") __attribute__((always_inline))
static inline void store_keys(const or_ann *ix, __m512 acc, size_t l0, float *key)
{
	size_t nl = ix->nlist - l0 < 16 ? ix->nlist - l0 : 16;
	__mmask16 live = (__mmask16)((1u << nl) - 1);
	__m512 k;
	if (ix->metric == OR_METRIC_L2)
		k = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, ix->cnorms + l0),
				  _mm512_mul_ps(_mm512_set1_ps(2.0f), acc));
	else /* -acc, as the scalar negation (a sign flip, -0 for +0) */
		k = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(acc),
							 _mm512_set1_epi32(INT32_MIN)));
	_mm512_mask_storeu_ps(key + l0, live, k);
}

/* four panels at a time (the additions' latency hidden), then the rest */
OR_TARGET("avx512f")
static void keys_avx512(const or_ann *ix, const float *q, float *key)
{
	size_t d = ix->d, np = (ix->nlist + 15) / 16, p = 0;
	for (; p + 4 <= np; p += 4) {
		const float *pan = ix->cpanel + p * d * 16;
		__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		for (size_t j = 0; j < d; j++) {
			__m512 qj = _mm512_set1_ps(q[j]);
			a0 = _mm512_add_ps(a0, _mm512_mul_ps(qj, _mm512_load_ps(pan + j * 16)));
			a1 = _mm512_add_ps(a1, _mm512_mul_ps(qj, _mm512_load_ps(pan + (d + j) * 16)));
			a2 = _mm512_add_ps(a2, _mm512_mul_ps(qj, _mm512_load_ps(pan + (2 * d + j) * 16)));
			a3 = _mm512_add_ps(a3, _mm512_mul_ps(qj, _mm512_load_ps(pan + (3 * d + j) * 16)));
		}
		store_keys(ix, a0, p * 16, key);
		store_keys(ix, a1, p * 16 + 16, key);
		store_keys(ix, a2, p * 16 + 32, key);
		store_keys(ix, a3, p * 16 + 48, key);
	}
	for (; p < np; p++) {
		const float *pan = ix->cpanel + p * d * 16;
		__m512 a0 = _mm512_setzero_ps();
		for (size_t j = 0; j < d; j++)
			a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_set1_ps(q[j]), _mm512_load_ps(pan + j * 16)));
		store_keys(ix, a0, p * 16, key);
	}
}
#endif

void or_ann_probe_keys(const or_ann *ix, const float *q, float *key, int simd)
{
#ifdef OR_SIMD_X86
	if (simd && or_cpu_has(OR_CPU_AVX512)) {
		keys_avx512(ix, q, key);
		return;
	}
#endif
	(void)simd;
	keys_scalar(ix, q, key);
}
