/*
 * or_ann_sq.c - the compressed lists of the IVF index (or_ann.h, format 2):
 * 8-bit scalar quantisation of the stored vectors, their layout in blocks of
 * 16 vectors for the scan, the quantised query, and the scan kernels (a
 * scalar reference and an AVX-512 VNNI one that gives the same integers).
 *
 * Code of coordinate j of a stored vector x: c_j = round((x_j - min_j) /
 * scale_j) in 0..255, with min_j and scale_j = (max_j - min_j) / 255 over all
 * stored vectors.  A query q is turned into w_j = q_j * scale_j, then into
 * signed bytes qi_j = round(w_j / s), s = max_j |w_j| / 127, so that
 *   q . x  ~=  q . min + s * sum_j qi_j c_j,
 * the sum being exact int32 arithmetic: VNNI (vpdpbusd, u8 x s8 -> s32)
 * computes 64 of its products per instruction.  The approximation only
 * ranks candidates; the best `rerank` of them are re-scored with the float
 * vectors (or_ann_index.c), so the answers are exact distances.
 *
 * Block layout: list l's vectors (stored positions offsets[l] ..) are cut
 * into blocks of 16 (the last one zero-padded); a block holds d4 = ceil(d/4)
 * groups, group g being 16 vectors x 4 bytes (codes of dims 4g .. 4g+3,
 * padding dims 0), i.e. 64 * d4 bytes per block, blocks of a list
 * consecutive, lists in order.  Why hand-written: no Debian library offers
 * an mmap-able quantised IVF (faiss's IVF-SQ/PQ fast scan is C++ with its own
 * file format and non-deterministic multithreaded training).
 */
#include "or_ann_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(OR_NO_SIMD) && \
	(defined(__GNUC__) || defined(__clang__))
#define OR_ANN_X86 1
#include <immintrin.h>
#endif

size_t or_ann_sq_groups(size_t d) { return (d + 3) / 4; }

int or_ann_sq_blocks(const uint64_t *offsets, size_t nlist, uint64_t *bstart)
{
	uint64_t b = 0;
	for (size_t l = 0; l < nlist; l++) {
		if (offsets[l + 1] < offsets[l])
			return -1;
		if (bstart)
			bstart[l] = b;
		b += (offsets[l + 1] - offsets[l] + 15) / 16;
	}
	if (bstart)
		bstart[nlist] = b;
	return 0;
}

void or_ann_sq_train(const float *vecs, size_t n, size_t d, float *vmin, float *scale)
{
	for (size_t j = 0; j < d; j++) {
		vmin[j] = INFINITY;
		scale[j] = -INFINITY; /* max for now */
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++) {
			float v = vecs[i * d + j];
			if (v < vmin[j])
				vmin[j] = v;
			if (v > scale[j])
				scale[j] = v;
		}
	for (size_t j = 0; j < d; j++) {
		float r = (scale[j] - vmin[j]) / 255.0f;
		scale[j] = r > 0 && isfinite(r) ? r : 1.0f;
	}
}

void or_ann_sq_encode(const float *vecs, const uint64_t *offsets, size_t nlist,
		      size_t d, const float *vmin, const float *scale,
		      const uint64_t *bstart, uint8_t *codes)
{
	size_t d4 = or_ann_sq_groups(d), bb = 64 * d4;
	memset(codes, 0, (size_t)bstart[nlist] * bb);
	for (size_t l = 0; l < nlist; l++) {
		uint8_t *blk0 = codes + (size_t)bstart[l] * bb;
		for (uint64_t p = offsets[l]; p < offsets[l + 1]; p++) {
			size_t i = (size_t)(p - offsets[l]);
			uint8_t *blk = blk0 + (i / 16) * bb + (i % 16) * 4;
			for (size_t j = 0; j < d; j++) {
				float c = roundf((vecs[p * d + j] - vmin[j]) / scale[j]);
				blk[(j / 4) * 64 + j % 4] = (uint8_t)(c < 0 ? 0 : c > 255 ? 255 : c);
			}
		}
	}
}

float or_ann_sq_query(const float *q, size_t d, const float *vmin,
		      const float *scale, int8_t *qi, float *base)
{
	float m = 0, b = 0;
	for (size_t j = 0; j < d; j++) {
		float w = fabsf(q[j] * scale[j]);
		if (w > m)
			m = w;
		b += q[j] * vmin[j];
	}
	float s = m > 0 ? m / 127.0f : 1.0f;
	memset(qi, 0, or_ann_sq_groups(d) * 4);
	for (size_t j = 0; j < d; j++) {
		float v = roundf(q[j] * scale[j] / s);
		if (v != v) /* a query that is not finite: its answer is -1s anyway */
			v = 0;
		qi[j] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
	}
	*base = b;
	return s;
}

/* keys and masks from the integer dot products (shared by both paths) */
static void keys_scalar(const int32_t *dots, size_t len, const float *norms,
			float a, float c, float bound, float *keys, uint16_t *mask)
{
	size_t nb = (len + 15) / 16;
	for (size_t b = 0; b < nb; b++) {
		uint16_t m = 0;
		for (size_t v = 0; v < 16 && b * 16 + v < len; v++) {
			size_t i = b * 16 + v;
			float key = ((norms ? norms[i] : 0.0f) - a) - c * (float)dots[i];
			keys[i] = key;
			if (key <= bound)
				m |= (uint16_t)(1u << v);
		}
		mask[b] = m;
	}
}

static void scan_scalar(const uint8_t *blocks, size_t nblocks, size_t d4,
			const int8_t *qi, int32_t *out)
{
	for (size_t b = 0; b < nblocks; b++) {
		const uint8_t *blk = blocks + b * 64 * d4;
		for (size_t v = 0; v < 16; v++) {
			int32_t s = 0;
			for (size_t g = 0; g < d4; g++)
				for (size_t t = 0; t < 4; t++)
					s += (int32_t)blk[g * 64 + v * 4 + t] * qi[g * 4 + t];
			out[b * 16 + v] = s;
		}
	}
}

#ifdef OR_ANN_X86
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void scan_vnni(const uint8_t *blocks, size_t nblocks, size_t d4,
		      const int8_t *qi, int32_t *out)
{
	for (size_t b = 0; b < nblocks; b++) {
		const uint8_t *blk = blocks + b * 64 * d4;
		__m512i acc0 = _mm512_setzero_si512(), acc1 = acc0;
		size_t g = 0;
		for (; g + 2 <= d4; g += 2) {
			int32_t w0, w1;
			memcpy(&w0, qi + 4 * g, 4);
			memcpy(&w1, qi + 4 * g + 4, 4);
			acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(blk + g * 64), _mm512_set1_epi32(w0));
			acc1 = _mm512_dpbusd_epi32(acc1, _mm512_loadu_si512(blk + g * 64 + 64), _mm512_set1_epi32(w1));
		}
		if (g < d4) {
			int32_t w0;
			memcpy(&w0, qi + 4 * g, 4);
			acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(blk + g * 64), _mm512_set1_epi32(w0));
		}
		_mm512_storeu_si512(out + b * 16, _mm512_add_epi32(acc0, acc1));
	}
}

__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void scan_keys_body(const uint8_t *blocks, size_t len, size_t d4,
			   const int8_t *qi, const float *norms, float a, float c,
			   float bound, float *keys, uint16_t *mask)
{
	size_t nblocks = (len + 15) / 16;
	__m512 va = _mm512_set1_ps(a), vc = _mm512_set1_ps(c), vb = _mm512_set1_ps(bound);
	__m512i w[16];
	size_t gw = d4 < 16 ? d4 : 16;
	for (size_t g = 0; g < gw; g++) {
		int32_t t;
		memcpy(&t, qi + 4 * g, 4);
		w[g] = _mm512_set1_epi32(t);
	}
	for (size_t b = 0; b < nblocks; b++) {
		const uint8_t *blk = blocks + b * 64 * d4;
		__m512i acc0 = _mm512_setzero_si512(), acc1 = acc0;
		size_t g = 0;
		for (; g + 2 <= gw; g += 2) {
			acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(blk + g * 64), w[g]);
			acc1 = _mm512_dpbusd_epi32(acc1, _mm512_loadu_si512(blk + g * 64 + 64), w[g + 1]);
		}
		for (; g < d4; g++) {
			int32_t t;
			memcpy(&t, qi + 4 * g, 4);
			acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(blk + g * 64),
						   g < gw ? w[g] : _mm512_set1_epi32(t));
		}
		size_t rem = len - b * 16;
		__mmask16 lm = rem >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1);
		__m512 nm = norms ? _mm512_maskz_loadu_ps(lm, norms + b * 16) : _mm512_setzero_ps();
		__m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(acc0, acc1));
		__m512 key = _mm512_sub_ps(_mm512_sub_ps(nm, va), _mm512_mul_ps(vc, f));
		_mm512_mask_storeu_ps(keys + b * 16, lm, key);
		mask[b] = (uint16_t)(_mm512_cmp_ps_mask(key, vb, _CMP_LE_OQ) & lm);
	}
}

/* d = 32 (d4 = 8), the common width, with the query held in registers */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void scan_keys_vnni(const uint8_t *blocks, size_t len, size_t d4,
			   const int8_t *qi, const float *norms, float a, float c,
			   float bound, float *keys, uint16_t *mask)
{
	if (d4 == 8)
		scan_keys_body(blocks, len, 8, qi, norms, a, c, bound, keys, mask);
	else
		scan_keys_body(blocks, len, d4, qi, norms, a, c, bound, keys, mask);
}

static int vnni_available(void)
{
	static int cached = -1;
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (c < 0) {
		__builtin_cpu_init();
		c = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vnni");
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return c;
}
#endif

void or_ann_sq_scan_keys(const uint8_t *blocks, size_t len, size_t d4,
			 const int8_t *qi, const float *norms, float a, float c,
			 float bound, float *keys, uint16_t *mask, int32_t *tmp,
			 int simd)
{
#ifdef OR_ANN_X86
	if (simd && or_ann_sq_simd_available()) {
		scan_keys_vnni(blocks, len, d4, qi, norms, a, c, bound, keys, mask);
		return;
	}
#endif
	(void)simd;
	scan_scalar(blocks, (len + 15) / 16, d4, qi, tmp);
	keys_scalar(tmp, len, norms, a, c, bound, keys, mask);
}

int or_ann_sq_simd_available(void)
{
#ifdef OR_ANN_X86
	return or_knn_simd_available() && vnni_available();
#else
	return 0;
#endif
}

void or_ann_sq_scan(const uint8_t *blocks, size_t nblocks, size_t d4,
		    const int8_t *qi, int32_t *out, int simd)
{
#ifdef OR_ANN_X86
	if (simd && or_ann_sq_simd_available()) {
		scan_vnni(blocks, nblocks, d4, qi, out);
		return;
	}
#endif
	(void)simd;
	scan_scalar(blocks, nblocks, d4, qi, out);
}
