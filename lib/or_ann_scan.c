/*
 * or_ann_scan.c - the inner loop of an index search: one list's 8-bit codes
 * (blocks of 16 row-major vectors, or_ann_sq.c) against a group of up to 16
 * quantised queries, approximate keys, and the candidates that beat each
 * query's bound pushed to its buffer (or_ann_internal.h).
 *
 * A block times a group is a 16 x 16 matrix of u8 x s8 dot products:
 *  - AMX (Sapphire Rapids and later): one tdpbusd of the block (a 16 x w
 *    tile, as stored) by the group (a w/4 x 64 tile, loaded once per list),
 *    256 dot products per instruction;
 *  - AVX-512 VNNI: per vector, its 4-byte groups broadcast against the
 *    group's rows, 16 dot products per d4 vpdpbusd;
 *  - scalar C, the reference.
 * All three give the same int32 products; the keys are then computed by the
 * same float operations ((norm - a) - c * dot, no fused multiply-add), so an
 * engine never changes an answer, only its speed.  Why by group rather than
 * one query at a time: the list's codes are read once per 16 queries and the
 * products come out as whole registers; measured at 1.86 M x 32 (bench/ann.sh,
 * docs in or_ann_build.c).  Hand-written because no Debian library scans
 * quantised codes with AMX (oneDNN is a dependency far larger than this
 * loop, and faiss's fast scan is PQ, not 8-bit).
 */
#include "or_ann_internal.h"
#include "or_knn.h"

#include <math.h>
#include <string.h>

#if (defined(__x86_64__)) && !defined(OR_NO_SIMD) && defined(__GNUC__) && !defined(__clang__) && \
	__GNUC__ >= 11
#define OR_ANN_X86 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

void or_ann_group_clear(or_ann_group *g, size_t d4)
{
	g->nq = 0;
	memset(g->q, 0, 64 * d4);
}

void or_ann_group_set(or_ann_group *g, size_t t, const int8_t *qi, size_t d4)
{
	for (size_t r = 0; r < d4; r++)
		memcpy(g->q + r * 64 + t * 4, qi + r * 4, 4);
}

/* the pushes of one vector: bit t of m set when query t's key beat its
   bound (re-checked by the push, which may have tightened since) */
static inline void push_hits(or_ann_group *g, unsigned m, const float *keys, uint32_t pos)
{
	for (; m; m &= m - 1) {
		unsigned t = (unsigned)__builtin_ctz(m);
		if (pos != g->skip[t])
			or_ann_cands_push(g->cands[t], keys[t], pos);
	}
}

static void dots_scalar(const uint8_t *block, size_t d4, const or_ann_group *g, int32_t *out)
{
	size_t w = 4 * d4;
	for (size_t v = 0; v < 16; v++) {
		const uint8_t *row = block + v * w;
		for (size_t t = 0; t < OR_ANN_GROUP; t++) {
			int32_t s = 0;
			if (t < g->nq)
				for (size_t r = 0; r < d4; r++)
					for (size_t b = 0; b < 4; b++)
						s += (int32_t)row[4 * r + b] * g->q[r * 64 + t * 4 + b];
			out[v * 16 + t] = s;
		}
	}
}

static void scan_scalar(const uint8_t *blocks, size_t len, size_t d4,
			const float *norms, uint32_t pos0, or_ann_group *g)
{
	int32_t dots[256];
	float keys[OR_ANN_GROUP];
	for (size_t b = 0; b * 16 < len; b++) {
		dots_scalar(blocks + b * 64 * d4, d4, g, dots);
		size_t nv = len - b * 16 < 16 ? len - b * 16 : 16;
		for (size_t v = 0; v < nv; v++) {
			size_t i = b * 16 + v;
			float nm = norms ? norms[i] : 0.0f;
			unsigned m = 0;
			for (size_t t = 0; t < g->nq; t++) {
				keys[t] = (nm - g->a[t]) - g->c[t] * (float)dots[v * 16 + t];
				if (keys[t] <= g->cands[t]->bound)
					m |= 1u << t;
			}
			push_hits(g, m, keys, pos0 + (uint32_t)i);
		}
	}
}

#ifdef OR_ANN_X86
#define OR_AVX512 "avx512f,avx512bw,avx512vnni"

__attribute__((target(OR_AVX512)))
static inline __m512 bounds_of(const or_ann_group *g)
{
	float b[OR_ANN_GROUP];
	for (size_t t = 0; t < OR_ANN_GROUP; t++)
		b[t] = t < g->nq ? g->cands[t]->bound : -INFINITY;
	return _mm512_loadu_ps(b);
}

/* keys of one vector against the group from its 16 products; pushes; the
   bounds reloaded when anything was pushed */
__attribute__((target(OR_AVX512), always_inline))
static inline void keys_of(__m512i dot, float nm, __m512 va, __m512 vc, __m512 *vb,
			   or_ann_group *g, uint32_t pos)
{
	__m512 key = _mm512_sub_ps(_mm512_sub_ps(_mm512_set1_ps(nm), va),
				   _mm512_mul_ps(vc, _mm512_cvtepi32_ps(dot)));
	__mmask16 m = _mm512_cmp_ps_mask(key, *vb, _CMP_LE_OQ) & (__mmask16)((1u << g->nq) - 1);
	if (m) {
		float keys[OR_ANN_GROUP];
		_mm512_storeu_ps(keys, key);
		push_hits(g, m, keys, pos);
		*vb = bounds_of(g);
	}
}

__attribute__((target(OR_AVX512), always_inline))
static inline __m512i dot_vnni(const uint8_t *row, const __m512i *q, size_t d4)
{
	__m512i acc0 = _mm512_setzero_si512(), acc1 = acc0;
	size_t r = 0;
	for (; r + 2 <= d4; r += 2) {
		int32_t w0, w1;
		memcpy(&w0, row + 4 * r, 4);
		memcpy(&w1, row + 4 * r + 4, 4);
		acc0 = _mm512_dpbusd_epi32(acc0, _mm512_set1_epi32(w0), q[r]);
		acc1 = _mm512_dpbusd_epi32(acc1, _mm512_set1_epi32(w1), q[r + 1]);
	}
	if (r < d4) {
		int32_t w0;
		memcpy(&w0, row + 4 * r, 4);
		acc0 = _mm512_dpbusd_epi32(acc0, _mm512_set1_epi32(w0), q[r]);
	}
	return _mm512_add_epi32(acc0, acc1);
}

__attribute__((target(OR_AVX512), always_inline))
static inline void scan_vnni_body(const uint8_t *blocks, size_t len, size_t d4, const __m512i *q,
				  const float *norms, uint32_t pos0, or_ann_group *g)
{
	__m512 va = _mm512_loadu_ps(g->a), vc = _mm512_loadu_ps(g->c), vb = bounds_of(g);
	size_t w = 4 * d4;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *row = blocks + i * w; /* blocks of a list are consecutive rows */
		keys_of(dot_vnni(row, q, d4), norms ? norms[i] : 0.0f, va, vc, &vb, g, pos0 + (uint32_t)i);
	}
}

__attribute__((target(OR_AVX512)))
static void scan_vnni(const uint8_t *blocks, size_t len, size_t d4,
		      const float *norms, uint32_t pos0, or_ann_group *g)
{
	__m512i q[64];
	size_t nr = d4 < 64 ? d4 : 64;
	for (size_t r = 0; r < nr; r++)
		q[r] = _mm512_loadu_si512(g->q + r * 64);
	if (d4 == 8) {
		scan_vnni_body(blocks, len, 8, q, norms, pos0, g);
	} else if (d4 <= 64) {
		scan_vnni_body(blocks, len, d4, q, norms, pos0, g);
	} else {
		/* very wide vectors: the products in two passes over the rows */
		for (size_t i = 0; i < len; i++) {
			const uint8_t *row = blocks + i * 4 * d4;
			__m512i acc = dot_vnni(row, q, 64);
			for (size_t r = 64; r < d4; r++) {
				int32_t w0;
				memcpy(&w0, row + 4 * r, 4);
				acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(w0),
							  _mm512_loadu_si512(g->q + r * 64));
			}
			__m512 va = _mm512_loadu_ps(g->a), vc = _mm512_loadu_ps(g->c), vb = bounds_of(g);
			keys_of(acc, norms ? norms[i] : 0.0f, va, vc, &vb, g, pos0 + (uint32_t)i);
		}
	}
}

/* AMX: tiles 0 and 3 the products (16 vectors x 16 queries, int32), 1 and
   4 the block (16 x w bytes), 2 the group (d4 x 64 bytes) */
typedef struct tile_config {
	uint8_t palette, start_row, reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
} tile_config;

__attribute__((target("amx-tile,amx-int8," OR_AVX512)))
static void scan_amx(const uint8_t *blocks, size_t len, size_t d4,
		     const float *norms, uint32_t pos0, or_ann_group *g)
{
	tile_config tc;
	memset(&tc, 0, sizeof(tc));
	tc.palette = 1;
	tc.rows[0] = 16;
	tc.colsb[0] = 64;
	tc.rows[1] = 16;
	tc.colsb[1] = (uint16_t)(4 * d4);
	tc.rows[2] = (uint8_t)d4;
	tc.colsb[2] = 64;
	tc.rows[3] = 16;
	tc.colsb[3] = 64;
	tc.rows[4] = 16;
	tc.colsb[4] = (uint16_t)(4 * d4);
	_tile_loadconfig(&tc);
	_tile_loadd(2, g->q, 64);
	__m512 va = _mm512_loadu_ps(g->a), vc = _mm512_loadu_ps(g->c), vb = bounds_of(g);
	int32_t dots[2][256] __attribute__((aligned(64)));
	size_t w = 4 * d4, nb = (len + 15) / 16;
	/* two blocks in flight: the products of the next block are under way
	   while the keys of this one are computed (tiles 0/3 products, 1/4
	   blocks) */
	_tile_zero(0);
	_tile_loadd(1, blocks, (long)w);
	_tile_dpbusd(0, 1, 2);
	for (size_t b = 0; b < nb; b++) {
		if (b % 2 == 0) {
			if (b + 1 < nb) {
				_tile_zero(3);
				_tile_loadd(4, blocks + (b + 1) * 16 * w, (long)w);
				_tile_dpbusd(3, 4, 2);
			}
			_tile_stored(0, dots[0], 64);
		} else {
			if (b + 1 < nb) {
				_tile_zero(0);
				_tile_loadd(1, blocks + (b + 1) * 16 * w, (long)w);
				_tile_dpbusd(0, 1, 2);
			}
			_tile_stored(3, dots[1], 64);
		}
		const int32_t *dt = dots[b % 2];
		size_t nv = len - b * 16 < 16 ? len - b * 16 : 16;
		for (size_t v = 0; v < nv; v++) {
			size_t i = b * 16 + v;
			keys_of(_mm512_load_si512(dt + 16 * v), norms ? norms[i] : 0.0f, va, vc, &vb, g,
				pos0 + (uint32_t)i);
		}
	}
	_tile_release();
}

__attribute__((target("amx-tile,amx-int8")))
static void dots_amx(const uint8_t *block, size_t d4, const or_ann_group *g, int32_t *out)
{
	tile_config tc;
	memset(&tc, 0, sizeof(tc));
	tc.palette = 1;
	tc.rows[0] = 16;
	tc.colsb[0] = 64;
	tc.rows[1] = 16;
	tc.colsb[1] = (uint16_t)(4 * d4);
	tc.rows[2] = (uint8_t)d4;
	tc.colsb[2] = 64;
	_tile_loadconfig(&tc);
	_tile_loadd(2, g->q, 64);
	_tile_zero(0);
	_tile_loadd(1, block, (long)(4 * d4));
	_tile_dpbusd(0, 1, 2);
	_tile_stored(0, out, 64);
	_tile_release();
}

__attribute__((target(OR_AVX512)))
static void dots_vnni(const uint8_t *block, size_t d4, const or_ann_group *g, int32_t *out)
{
	__m512i q[64];
	size_t nr = d4 < 64 ? d4 : 64;
	for (size_t r = 0; r < nr; r++)
		q[r] = _mm512_loadu_si512(g->q + r * 64);
	for (size_t v = 0; v < 16; v++) {
		const uint8_t *row = block + v * 4 * d4;
		__m512i acc = dot_vnni(row, q, nr);
		for (size_t r = 64; r < d4; r++) {
			int32_t w0;
			memcpy(&w0, row + 4 * r, 4);
			acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(w0), _mm512_loadu_si512(g->q + r * 64));
		}
		_mm512_storeu_si512(out + 16 * v, acc);
	}
}

static int vnni_available(void)
{
	static int cached = -1;
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (c < 0) {
		__builtin_cpu_init();
		c = or_knn_simd_available() && __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return c;
}

/* AMX needs the CPU flags (cpuid leaf 7: edx bits 24 tile, 25 int8) and the
   kernel's permission for the tile data (Linux >= 5.16, arch_prctl
   ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); without either, VNNI runs */
static int amx_available(void)
{
	static int cached = -1;
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (c < 0) {
		unsigned a, b, cx, d;
		c = 0;
		if (vnni_available() && __get_cpuid_max(0, NULL) >= 7) {
			__cpuid_count(7, 0, a, b, cx, d);
			if ((d >> 24 & 1) && (d >> 25 & 1))
				c = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */,
					    18 /* XFEATURE_XTILEDATA */) == 0;
		}
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return c;
}
#endif

int or_ann_scan_engine(int simd, size_t d)
{
#ifdef OR_ANN_X86
	if (simd && vnni_available()) {
		if (simd == 1 && or_ann_sq_groups(d) <= 16 && amx_available())
			return OR_ANN_AMX;
		return OR_ANN_VNNI;
	}
#endif
	(void)simd;
	(void)d;
	return OR_ANN_SCALAR;
}

void or_ann_scan_group(const uint8_t *blocks, size_t len, size_t d4,
		       const float *norms, uint32_t pos0, or_ann_group *g,
		       int engine)
{
#ifdef OR_ANN_X86
	if (engine == OR_ANN_AMX && d4 <= 16) {
		scan_amx(blocks, len, d4, norms, pos0, g);
		return;
	}
	if (engine != OR_ANN_SCALAR) {
		scan_vnni(blocks, len, d4, norms, pos0, g);
		return;
	}
#endif
	(void)engine;
	scan_scalar(blocks, len, d4, norms, pos0, g);
}

void or_ann_block_dots(const uint8_t *block, size_t d4, const or_ann_group *g,
		       int32_t *out, int engine)
{
#ifdef OR_ANN_X86
	if (engine == OR_ANN_AMX && d4 <= 16) {
		dots_amx(block, d4, g, out);
		return;
	}
	if (engine != OR_ANN_SCALAR) {
		dots_vnni(block, d4, g, out);
		return;
	}
#endif
	(void)engine;
	dots_scalar(block, d4, g, out);
}
