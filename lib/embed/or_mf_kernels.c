/*
 * or_mf_kernels.c - the vector kernels of the mf module: a scalar reference
 * and an AVX2/FMA version, built and chosen as or_cpu.h says (a target
 * attribute, the CPU's features).  tests/test_mf.c checks that the two
 * agree.  cfg.simd = 0 (--no-simd), OTTOREC_NO_SIMD=1 in the environment or
 * a NO_SIMD=1 build gives the scalar ones.
 */
#include "or_mf_internal.h"
#include "or_cpu.h"

#include <math.h>
#include <stdlib.h>

static float dot_scalar(const float *a, const float *b, size_t d)
{
	float s = 0.0f;
	for (size_t j = 0; j < d; j++)
		s += a[j] * b[j];
	return s;
}

static void axpy_scalar(float alpha, const float *x, float *y, size_t d)
{
	for (size_t j = 0; j < d; j++)
		y[j] += alpha * x[j];
}

static const or_mf_kernels scalar_kernels = { dot_scalar, axpy_scalar, or_mf_sparse_adam_row, "scalar" };

const or_mf_kernels *or_mf_kernels_scalar(void) { return &scalar_kernels; }

#ifdef OR_SIMD_X86
#include <immintrin.h>

OR_TARGET("avx2,fma")
static float dot_avx2(const float *a, const float *b, size_t d)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	size_t j = 0;
	for (; j + 16 <= d; j += 16) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
	}
	for (; j + 8 <= d; j += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
	s0 = _mm256_add_ps(s0, s1);
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
	float s = _mm_cvtss_f32(h);
	for (; j < d; j++)
		s += a[j] * b[j];
	return s;
}

OR_TARGET("avx2,fma")
static void axpy_avx2(float alpha, const float *x, float *y, size_t d)
{
	__m256 al = _mm256_set1_ps(alpha);
	size_t j = 0;
	for (; j + 8 <= d; j += 8)
		_mm256_storeu_ps(y + j, _mm256_fmadd_ps(al, _mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j)));
	for (; j < d; j++)
		y[j] += alpha * x[j];
}

OR_TARGET("avx2")
static void adam_row_avx2(const or_mf_sparse_adam *o, float *p, float *m,
			  float *v, const float *g, size_t d)
{
	const __m256 c1 = _mm256_set1_ps(o->one_minus_b1), c2 = _mm256_set1_ps(o->one_minus_b2);
	const __m256 eps = _mm256_set1_ps(o->eps), ns = _mm256_set1_ps(o->neg_step_size);
	size_t j = 0;
	for (; j + 8 <= d; j += 8) {
		__m256 gj = _mm256_loadu_ps(g + j), mo = _mm256_loadu_ps(m + j), vo = _mm256_loadu_ps(v + j);
		__m256 mu = _mm256_mul_ps(_mm256_sub_ps(gj, mo), c1);
		__m256 vu = _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gj, gj), vo), c2);
		__m256 mn = _mm256_add_ps(mo, mu), vn = _mm256_add_ps(vo, vu);
		_mm256_storeu_ps(m + j, mn);
		_mm256_storeu_ps(v + j, vn);
		__m256 den = _mm256_add_ps(_mm256_sqrt_ps(vn), eps);
		__m256 upd = _mm256_mul_ps(ns, _mm256_div_ps(mn, den));
		_mm256_storeu_ps(p + j, _mm256_add_ps(_mm256_loadu_ps(p + j), upd));
	}
	if (j < d)
		or_mf_sparse_adam_row(o, p + j, m + j, v + j, g + j, d - j);
}

static const or_mf_kernels avx2_kernels = { dot_avx2, axpy_avx2, adam_row_avx2, "avx2" };
#endif

const or_mf_kernels *or_mf_kernels_avx2(void)
{
#ifdef OR_SIMD_X86
	if (or_cpu_has(OR_CPU_AVX2 | OR_CPU_FMA))
		return &avx2_kernels;
#endif
	return NULL;
}

const or_mf_kernels *or_mf_kernels_pick(int simd)
{
	const or_mf_kernels *k = simd ? or_mf_kernels_avx2() : NULL;
	return k ? k : &scalar_kernels;
}

double or_mf_bce(float x, float y)
{
	double xd = x;
	return (xd > 0 ? xd : 0) - xd * y + log1p(exp(-fabs(xd)));
}
