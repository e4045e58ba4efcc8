/*
 * or_item2vec_kernels.c - the kernels of item2vec (or_item2vec_internal.h
 * says what they compute): the skip-gram pair (one context, its center and
 * negatives) and the CBOW position (the mean or sum of its contexts, its
 * center and negatives), each as a scalar reference, an AVX2/FMA version
 * for any width and an AVX-512 one for width 32 (the default), built and
 * chosen as or_cpu.h says, and the sigmoid tables they read.  The
 * versions differ only in the
 * order of the additions inside a dot product (and FMA's single
 * rounding); tests/test_item2vec.c checks that they agree.  The AVX-512
 * one keeps h and the work vector in registers: at width 32 it trains
 * about 1.3x as many words a second as the AVX2 one (docs/item2vec.md).
 *
 * Why all the dot products first: they are independent, so the SIMD
 * version overlaps their horizontal sums and memory loads instead of
 * waiting on each in turn; the updates that follow read the dots only.
 */
#include "or_item2vec_internal.h"
#include "or_cpu.h"

#include <math.h>
#include <string.h>

void or_i2v_tables_init(or_i2v_tables *t)
{
	for (int i = 0; i < OR_I2V_TABLE; i++) {
		double x = ((i + 0.5) / OR_I2V_TABLE * 2.0 - 1.0) * OR_I2V_MAX_EXP;
		double s = 1.0 / (1.0 + exp(-x));
		t->sigmoid[i] = (float)s;
		t->logsig[i] = (float)-log(s);
		t->logsig_neg[i] = (float)-log(1.0 - s);
	}
}

/* The step of a target whose dot product is f (label 1 for the center):
   0 beyond +-MAX_EXP (no update), else 1 with *g = (label - sigmoid(f))
   alpha and the target's loss added to *loss.  Every kernel's rule. */
static inline int gain(float f, int center, float alpha, const or_i2v_tables *tab, float *g,
		       float *loss)
{
	if (f <= -OR_I2V_MAX_EXP || f >= OR_I2V_MAX_EXP)
		return 0;
	int b = or_i2v_bin(f);
	*g = ((center ? 1.0f : 0.0f) - tab->sigmoid[b]) * alpha;
	*loss += center ? tab->logsig[b] : tab->logsig_neg[b];
	return 1;
}

static void dots_scalar(const float *h, const float *syn1, const uint32_t *tgt, int nt, size_t d,
			float *dots)
{
	for (int i = 0; i < nt; i++) {
		const float *o = syn1 + (size_t)tgt[i] * d;
		float s = 0.0f;
		for (size_t j = 0; j < d; j++)
			s += h[j] * o[j];
		dots[i] = s;
	}
}

/* The targets' updates from their dots: work = sum g syn1[tgt] (before
   each row's update), syn1[tgt] += g h; the loss. */
static float update_scalar(const float *h, float *syn1, const uint32_t *tgt, int nt, size_t d,
			   float alpha, const or_i2v_tables *tab, float *work, const float *dots)
{
	for (size_t j = 0; j < d; j++)
		work[j] = 0.0f;
	float loss = 0.0f;
	for (int i = 0; i < nt; i++) {
		float g;
		if (!gain(dots[i], i == 0, alpha, tab, &g, &loss))
			continue;
		float *o = syn1 + (size_t)tgt[i] * d;
		for (size_t j = 0; j < d; j++) {
			work[j] += g * o[j];
			o[j] += g * h[j];
		}
	}
	return loss;
}

static float pair_scalar(float *h, float *syn1, const uint32_t *tgt, int nt, size_t d,
			 float alpha, const or_i2v_tables *tab, float *work, float *dots)
{
	dots_scalar(h, syn1, tgt, nt, d, dots);
	float loss = update_scalar(h, syn1, tgt, nt, d, alpha, tab, work, dots);
	for (size_t j = 0; j < d; j++)
		h[j] += work[j];
	return loss;
}

static float cbow_scalar(float *syn0, const uint32_t *ctx, int nc, int mean, float *syn1,
			 const uint32_t *tgt, int nt, size_t d, float alpha, const or_i2v_tables *tab,
			 float *neu1, float *work, float *dots)
{
	const float inv = 1.0f / (float)nc;
	for (size_t j = 0; j < d; j++)
		neu1[j] = 0.0f;
	for (int c = 0; c < nc; c++) {
		const float *r = syn0 + (size_t)ctx[c] * d;
		for (size_t j = 0; j < d; j++)
			neu1[j] += r[j];
	}
	if (mean)
		for (size_t j = 0; j < d; j++)
			neu1[j] *= inv;
	dots_scalar(neu1, syn1, tgt, nt, d, dots);
	float loss = update_scalar(neu1, syn1, tgt, nt, d, alpha, tab, work, dots);
	if (!mean)
		for (size_t j = 0; j < d; j++)
			work[j] *= inv;
	for (int c = 0; c < nc; c++) {
		float *r = syn0 + (size_t)ctx[c] * d;
		for (size_t j = 0; j < d; j++)
			r[j] += work[j];
	}
	return loss;
}

static const or_i2v_kernels scalar_kernels = { pair_scalar, cbow_scalar, "scalar" };

const or_i2v_kernels *or_i2v_kernels_scalar(void) { return &scalar_kernels; }

#ifdef OR_SIMD_X86
#include <immintrin.h>

OR_TARGET("avx2,fma")
static inline float hsum256(__m256 v)
{
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
	return _mm_cvtss_f32(h);
}

/* the dots, two targets at a time so that their sums overlap */
OR_TARGET("avx2,fma")
static inline void dots_avx2(const float *h, const float *syn1, const uint32_t *tgt, int nt, size_t d,
			     float *dots)
{
	const size_t d8 = d & ~(size_t)7;
	int i = 0;
	for (; i + 2 <= nt; i += 2) {
		const float *o0 = syn1 + (size_t)tgt[i] * d, *o1 = syn1 + (size_t)tgt[i + 1] * d;
		__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
		size_t j = 0;
		for (; j < d8; j += 8) {
			__m256 hj = _mm256_loadu_ps(h + j);
			s0 = _mm256_fmadd_ps(hj, _mm256_loadu_ps(o0 + j), s0);
			s1 = _mm256_fmadd_ps(hj, _mm256_loadu_ps(o1 + j), s1);
		}
		float a0 = hsum256(s0), a1 = hsum256(s1);
		for (; j < d; j++) {
			a0 += h[j] * o0[j];
			a1 += h[j] * o1[j];
		}
		dots[i] = a0;
		dots[i + 1] = a1;
	}
	for (; i < nt; i++) {
		const float *o = syn1 + (size_t)tgt[i] * d;
		__m256 s = _mm256_setzero_ps();
		size_t j = 0;
		for (; j < d8; j += 8)
			s = _mm256_fmadd_ps(_mm256_loadu_ps(h + j), _mm256_loadu_ps(o + j), s);
		float a = hsum256(s);
		for (; j < d; j++)
			a += h[j] * o[j];
		dots[i] = a;
	}
}

/* update_scalar's work with AVX2/FMA */
OR_TARGET("avx2,fma")
static inline float update_avx2(const float *h, float *syn1, const uint32_t *tgt, int nt, size_t d,
				float alpha, const or_i2v_tables *tab, float *work, const float *dots)
{
	const size_t d8 = d & ~(size_t)7;
	for (size_t j = 0; j < d; j++)
		work[j] = 0.0f;
	float loss = 0.0f;
	for (int i = 0; i < nt; i++) {
		float g;
		if (!gain(dots[i], i == 0, alpha, tab, &g, &loss))
			continue;
		float *o = syn1 + (size_t)tgt[i] * d;
		const __m256 gv = _mm256_set1_ps(g);
		size_t j = 0;
		for (; j < d8; j += 8) {
			__m256 oj = _mm256_loadu_ps(o + j);
			_mm256_storeu_ps(work + j, _mm256_fmadd_ps(gv, oj, _mm256_loadu_ps(work + j)));
			_mm256_storeu_ps(o + j, _mm256_fmadd_ps(gv, _mm256_loadu_ps(h + j), oj));
		}
		for (; j < d; j++) {
			work[j] += g * o[j];
			o[j] += g * h[j];
		}
	}
	return loss;
}

/* dst[0..d) += src[0..d) */
OR_TARGET("avx2,fma")
static inline void add_avx2(float *dst, const float *src, size_t d)
{
	const size_t d8 = d & ~(size_t)7;
	size_t j = 0;
	for (; j < d8; j += 8)
		_mm256_storeu_ps(dst + j, _mm256_add_ps(_mm256_loadu_ps(dst + j), _mm256_loadu_ps(src + j)));
	for (; j < d; j++)
		dst[j] += src[j];
}

/* v[0..d) *= x */
OR_TARGET("avx2,fma")
static inline void scale_avx2(float *v, float x, size_t d)
{
	const size_t d8 = d & ~(size_t)7;
	const __m256 xv = _mm256_set1_ps(x);
	size_t j = 0;
	for (; j < d8; j += 8)
		_mm256_storeu_ps(v + j, _mm256_mul_ps(_mm256_loadu_ps(v + j), xv));
	for (; j < d; j++)
		v[j] *= x;
}

OR_TARGET("avx2,fma")
static float pair_avx2(float *h, float *syn1, const uint32_t *tgt, int nt, size_t d,
		       float alpha, const or_i2v_tables *tab, float *work, float *dots)
{
	dots_avx2(h, syn1, tgt, nt, d, dots);
	float loss = update_avx2(h, syn1, tgt, nt, d, alpha, tab, work, dots);
	add_avx2(h, work, d);
	return loss;
}

OR_TARGET("avx2,fma")
static float cbow_avx2(float *syn0, const uint32_t *ctx, int nc, int mean, float *syn1,
		       const uint32_t *tgt, int nt, size_t d, float alpha, const or_i2v_tables *tab,
		       float *neu1, float *work, float *dots)
{
	/* the first row copied: the sum from 0 in the scalar one, exactly */
	memcpy(neu1, syn0 + (size_t)ctx[0] * d, d * sizeof(float));
	for (int c = 1; c < nc; c++)
		add_avx2(neu1, syn0 + (size_t)ctx[c] * d, d);
	const float inv = 1.0f / (float)nc;
	if (mean)
		scale_avx2(neu1, inv, d);
	dots_avx2(neu1, syn1, tgt, nt, d, dots);
	float loss = update_avx2(neu1, syn1, tgt, nt, d, alpha, tab, work, dots);
	if (!mean)
		scale_avx2(work, inv, d);
	for (int c = 0; c < nc; c++)
		add_avx2(syn0 + (size_t)ctx[c] * d, work, d);
	return loss;
}

static const or_i2v_kernels avx2_kernels = { pair_avx2, cbow_avx2, "avx2" };

const or_i2v_kernels *or_i2v_kernels_avx2(void)
{
	return or_cpu_has(OR_CPU_AVX2 | OR_CPU_FMA) ? &avx2_kernels : NULL;
}

/* The targets of a d-32 vector (h0, h1): the dots, then the updates in
   target order, the work vector summed into (*w0, *w1); the loss. */
OR_TARGET("avx512f")
static inline float targets_avx512_d32(__m512 h0, __m512 h1, float *syn1, const uint32_t *tgt, int nt,
				       float alpha, const or_i2v_tables *tab, float *dots, __m512 *w0,
				       __m512 *w1)
{
	for (int i = 0; i < nt; i++) {
		const float *o = syn1 + (size_t)tgt[i] * 32;
		__m512 s = _mm512_mul_ps(h0, _mm512_loadu_ps(o));
		s = _mm512_fmadd_ps(h1, _mm512_loadu_ps(o + 16), s);
		dots[i] = _mm512_reduce_add_ps(s);
	}
	__m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
	float loss = 0.0f;
	for (int i = 0; i < nt; i++) {
		float g;
		if (!gain(dots[i], i == 0, alpha, tab, &g, &loss))
			continue;
		float *o = syn1 + (size_t)tgt[i] * 32;
		const __m512 gv = _mm512_set1_ps(g);
		__m512 o0 = _mm512_loadu_ps(o), o1 = _mm512_loadu_ps(o + 16);
		a0 = _mm512_fmadd_ps(gv, o0, a0);
		a1 = _mm512_fmadd_ps(gv, o1, a1);
		_mm512_storeu_ps(o, _mm512_fmadd_ps(gv, h0, o0));
		_mm512_storeu_ps(o + 16, _mm512_fmadd_ps(gv, h1, o1));
	}
	*w0 = a0;
	*w1 = a1;
	return loss;
}

/* AVX-512 for d = 32 (the default width): h and the work vector stay in
   two registers each, a target row is two loads; other widths take the
   AVX2 kernel. */
OR_TARGET("avx512f")
static float pair_avx512_d32(float *h, float *syn1, const uint32_t *tgt, int nt, size_t d,
			     float alpha, const or_i2v_tables *tab, float *work, float *dots)
{
	if (d != 32)
		return pair_avx2(h, syn1, tgt, nt, d, alpha, tab, work, dots);
	const __m512 h0 = _mm512_loadu_ps(h), h1 = _mm512_loadu_ps(h + 16);
	__m512 w0, w1;
	float loss = targets_avx512_d32(h0, h1, syn1, tgt, nt, alpha, tab, dots, &w0, &w1);
	_mm512_storeu_ps(h, _mm512_add_ps(h0, w0));
	_mm512_storeu_ps(h + 16, _mm512_add_ps(h1, w1));
	return loss;
}

/* The same for a CBOW position: the contexts' mean (or sum) and the work
   vector in registers. */
OR_TARGET("avx512f")
static float cbow_avx512_d32(float *syn0, const uint32_t *ctx, int nc, int mean, float *syn1,
			     const uint32_t *tgt, int nt, size_t d, float alpha, const or_i2v_tables *tab,
			     float *neu1, float *work, float *dots)
{
	if (d != 32)
		return cbow_avx2(syn0, ctx, nc, mean, syn1, tgt, nt, d, alpha, tab, neu1, work, dots);
	const __m512 inv = _mm512_set1_ps(1.0f / (float)nc);
	__m512 n0 = _mm512_setzero_ps(), n1 = _mm512_setzero_ps();
	for (int c = 0; c < nc; c++) {
		const float *r = syn0 + (size_t)ctx[c] * 32;
		n0 = _mm512_add_ps(n0, _mm512_loadu_ps(r));
		n1 = _mm512_add_ps(n1, _mm512_loadu_ps(r + 16));
	}
	if (mean) {
		n0 = _mm512_mul_ps(n0, inv);
		n1 = _mm512_mul_ps(n1, inv);
	}
	__m512 w0, w1;
	float loss = targets_avx512_d32(n0, n1, syn1, tgt, nt, alpha, tab, dots, &w0, &w1);
	if (!mean) {
		w0 = _mm512_mul_ps(w0, inv);
		w1 = _mm512_mul_ps(w1, inv);
	}
	for (int c = 0; c < nc; c++) {
		float *r = syn0 + (size_t)ctx[c] * 32;
		_mm512_storeu_ps(r, _mm512_add_ps(_mm512_loadu_ps(r), w0));
		_mm512_storeu_ps(r + 16, _mm512_add_ps(_mm512_loadu_ps(r + 16), w1));
	}
	return loss;
}

static const or_i2v_kernels avx512_kernels = { pair_avx512_d32, cbow_avx512_d32, "avx512" };

const or_i2v_kernels *or_i2v_kernels_avx512(void)
{
	return or_cpu_has(OR_CPU_AVX512F | OR_CPU_AVX2 | OR_CPU_FMA) ? &avx512_kernels : NULL;
}
#else
const or_i2v_kernels *or_i2v_kernels_avx2(void) { return NULL; }
const or_i2v_kernels *or_i2v_kernels_avx512(void) { return NULL; }
#endif

const or_i2v_kernels *or_i2v_kernels_pick(int simd, size_t dim)
{
	const or_i2v_kernels *k = NULL;
	if (simd && dim == 32)
		k = or_i2v_kernels_avx512();
	if (simd && !k)
		k = or_i2v_kernels_avx2();
	return k ? k : &scalar_kernels;
}
