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
 * engine never changes an answer, only its speed.  Before any float work, a
 * per-block integer threshold (see grp_state) rejects almost every product
 * with one compare per 16 of them (with AMX, one compare of the block's
 * per-query maxima per 256).  Why by group rather than one query at a time:
 * the list's codes are read once per 16 queries and the products come out
 * as whole registers; measured at 1.86 M x 32 (bench/ann.sh, docs in
 * or_ann_build.c).  With AMX, what cost the time (1.86 M x 32 Gaussian, one
 * thread, 1277 blocks x groups per query): tile stores waiting on products
 * when two tile pairs alternated (three pairs: 10 ns a block, from 15-18),
 * a branch per vector on the stored products (now the block maximum, then a
 * branch-free row mask), and the norms of the vectors that pass read from
 * memory at random (now fetched when the block's products start).
 * Hand-written because no Debian library scans quantised codes with AMX
 * (oneDNN is a dependency far larger than this loop, and faiss's fast scan
 * is PQ, not 8-bit).  Built and chosen as or_cpu.h says (gcc and clang
 * alike).
 */
#include "or_ann_internal.h"
#include "or_cpu.h"

#include <math.h>
#include <string.h>

#ifdef OR_SIMD_X86
#include <immintrin.h>
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
   bound (re-checked by the push, which may have tightened since); nonzero
   when a buffer was compacted, so that some bound fell (bounds move only
   then) */
static inline int push_hits(or_ann_group *g, unsigned m, const float *keys, uint32_t pos)
{
	int moved = 0;
	for (; m; m &= m - 1) {
		unsigned t = (unsigned)__builtin_ctz(m);
		if (pos != g->skip[t]) {
			moved |= g->cands[t]->n == g->cands[t]->cap;
			or_ann_cands_push(g->cands[t], keys[t], pos);
		}
	}
	return moved;
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

#ifdef OR_SIMD_X86
#define OR_AVX512 "avx512f,avx512bw,avx512vnni"

/*
 * The filter in integers.  Query t's key of vector v beats the bound B_t
 * only if  dot >= (nm_v - a_t - B_t) / c_t,  and nm_v >= the least norm of
 * v's block, so one threshold per block and query,
 *   T = floor((bmin - a - B - E) / c),
 * rejects most vectors with one integer compare per 16 pairs; the vectors
 * that pass get the float keys (the same operations as the scalar engine)
 * and the exact test.  E = 1e-5 (nmax + |a| + |B| + c Dmax), Dmax the
 * largest |dot|, is far above the rounding of either computation, so the
 * filter never rejects a vector the float test would take: the pushes are
 * exactly the scalar engine's.  Bounds only fall, so a threshold computed
 * before a push stays safe until it is recomputed at the next block.
 */
typedef struct grp_state {
	__m512 va, vc, vb, vic, vbase; /* a, c, bounds, 1 / c, -a - B - E */
	__mmask16 live;
	float nmax, dmax;
} grp_state;

OR_TARGET(OR_AVX512)
static inline void grp_bounds(grp_state *s, const or_ann_group *g)
{
	float b[OR_ANN_GROUP];
	for (size_t t = 0; t < OR_ANN_GROUP; t++)
		b[t] = t < g->nq ? g->cands[t]->bound : -INFINITY;
	s->vb = _mm512_loadu_ps(b);
	__m512 e = _mm512_add_ps(_mm512_add_ps(_mm512_set1_ps(s->nmax), _mm512_abs_ps(s->va)),
				 _mm512_add_ps(_mm512_abs_ps(s->vb), _mm512_mul_ps(s->vc, _mm512_set1_ps(s->dmax))));
	e = _mm512_mul_ps(e, _mm512_set1_ps(1e-5f));
	s->vbase = _mm512_sub_ps(_mm512_sub_ps(_mm512_sub_ps(_mm512_setzero_ps(), s->va), s->vb), e);
}

OR_TARGET(OR_AVX512)
static inline void grp_init(grp_state *s, const or_ann_group *g, size_t d4)
{
	s->va = _mm512_loadu_ps(g->a);
	s->vc = _mm512_loadu_ps(g->c);
	s->vic = _mm512_div_ps(_mm512_set1_ps(1.0f), s->vc);
	s->live = (__mmask16)((1u << g->nq) - 1);
	s->nmax = g->nmax;
	s->dmax = (float)(4 * d4) * 255.0f * 128.0f;
	grp_bounds(s, g);
}

/* the integer thresholds of a block whose least norm is bmin */
OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline __m512i grp_thresholds(const grp_state *s, float bmin)
{
	__m512 t = _mm512_mul_ps(_mm512_add_ps(_mm512_set1_ps(bmin), s->vbase), s->vic);
	t = _mm512_max_ps(t, _mm512_set1_ps(-2147483648.0f)); /* NaN: every vector passes */
	t = _mm512_min_ps(t, _mm512_set1_ps(2147483520.0f));
	return _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

/* one vector's 16 products: the filter, then for those that pass the float
   keys, the exact test and the pushes */
OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline void vector_hits(__m512i dot, __m512i thr, float nm, grp_state *s,
			       or_ann_group *g, uint32_t pos)
{
	if (!_mm512_mask_cmpge_epi32_mask(s->live, dot, thr))
		return;
	__m512 key = _mm512_sub_ps(_mm512_sub_ps(_mm512_set1_ps(nm), s->va),
				   _mm512_mul_ps(s->vc, _mm512_cvtepi32_ps(dot)));
	__mmask16 m = _mm512_mask_cmp_ps_mask(s->live, key, s->vb, _CMP_LE_OQ);
	if (m) {
		float keys[OR_ANN_GROUP];
		_mm512_storeu_ps(keys, key);
		if (push_hits(g, m, keys, pos))
			grp_bounds(s, g);
	}
}

OR_TARGET(OR_AVX512) __attribute__((always_inline))
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

/* the products of the vector in row, d4 > 64 included */
OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline __m512i dot_vnni_any(const uint8_t *row, const __m512i *q, size_t d4, const int8_t *gq)
{
	if (d4 <= 64)
		return dot_vnni(row, q, d4);
	__m512i acc = dot_vnni(row, q, 64);
	for (size_t r = 64; r < d4; r++) {
		int32_t w0;
		memcpy(&w0, row + 4 * r, 4);
		acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(w0), _mm512_loadu_si512(gq + r * 64));
	}
	return acc;
}

OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline void scan_vnni_body(const uint8_t *blocks, size_t len, size_t d4, const __m512i *q,
				  const float *norms, const float *bmin, uint32_t pos0, or_ann_group *g)
{
	grp_state s;
	grp_init(&s, g, d4);
	size_t w = 4 * d4;
	for (size_t b = 0; b * 16 < len; b++) {
		__m512i thr = grp_thresholds(&s, bmin ? bmin[b] : 0.0f);
		size_t nv = len - b * 16 < 16 ? len - b * 16 : 16;
		for (size_t v = 0; v < nv; v++) {
			size_t i = b * 16 + v;
			vector_hits(dot_vnni_any(blocks + i * w, q, d4, g->q), thr, norms ? norms[i] : 0.0f,
				    &s, g, pos0 + (uint32_t)i);
		}
	}
}

/* the group's first 64 rows into registers (dot_vnni_any reads the rest) */
OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline void group_registers(__m512i *q, const or_ann_group *g, size_t d4)
{
	size_t nr = d4 < 64 ? d4 : 64;
	for (size_t r = 0; r < nr; r++)
		q[r] = _mm512_loadu_si512(g->q + r * 64);
}

OR_TARGET(OR_AVX512)
static void scan_vnni(const uint8_t *blocks, size_t len, size_t d4, const float *norms,
		      const float *bmin, uint32_t pos0, or_ann_group *g)
{
	__m512i q[64];
	group_registers(q, g, d4);
	if (d4 == 8)
		scan_vnni_body(blocks, len, 8, q, norms, bmin, pos0, g);
	else
		scan_vnni_body(blocks, len, d4, q, norms, bmin, pos0, g);
}

/* AMX: the group in tile 2; three blocks in flight, each a pair of tiles
   (products 0 / 3 / 5, codes 1 / 4 / 6: 16 vectors x 16 queries int32, 16
   x w bytes), so that no tile store waits for the products just started
   and no load for the products still reading its tile (tiles are not
   renamed; measured 10 ns a block with three pairs, 15-18 with two) */
#define OR_ANN_AMX_LAG 3 /* blocks between a tile store and the reads of it */
#define OR_ANN_AMX_RING 4 /* stored blocks kept, > LAG */
typedef struct tile_config {
	uint8_t palette, start_row, reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
} tile_config;

/* per query, the largest of a block's 16 stored products (rows past the
   list's end included: they can only let a block through to the per-vector
   test, which stops at the end) */
OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline __m512i block_max(const int32_t *dt)
{
#define OR_MAX2(i) _mm512_max_epi32(_mm512_load_si512(dt + 16 * (i)), _mm512_load_si512(dt + 16 * (i) + 128))
	__m512i m0 = OR_MAX2(0), m1 = OR_MAX2(1), m2 = OR_MAX2(2), m3 = OR_MAX2(3);
	__m512i m4 = OR_MAX2(4), m5 = OR_MAX2(5), m6 = OR_MAX2(6), m7 = OR_MAX2(7);
#undef OR_MAX2
	m0 = _mm512_max_epi32(m0, m4);
	m1 = _mm512_max_epi32(m1, m5);
	m2 = _mm512_max_epi32(m2, m6);
	m3 = _mm512_max_epi32(m3, m7);
	return _mm512_max_epi32(_mm512_max_epi32(m0, m2), _mm512_max_epi32(m1, m3));
}

/* the pushes of stored block pb (products dt): a whole-block test first,
   then the vectors with a product at or above its threshold, found without
   a branch per vector */
OR_TARGET(OR_AVX512) __attribute__((always_inline))
static inline void block_hits(const int32_t *dt, size_t pb, size_t len, const float *norms,
			      const float *bmin, uint32_t pos0, grp_state *s, or_ann_group *g)
{
	__m512i thr = grp_thresholds(s, bmin ? bmin[pb] : 0.0f);
	if (!_mm512_mask_cmpge_epi32_mask(s->live, block_max(dt), thr))
		return;
	size_t nv = len - pb * 16 < 16 ? len - pb * 16 : 16;
	unsigned rows = 0;
	for (unsigned v = 0; v < 16; v++)
		rows |= (unsigned)(_mm512_mask_cmpge_epi32_mask(s->live, _mm512_load_si512(dt + 16 * v),
								 thr) != 0) << v;
	rows &= (1u << nv) - 1;
	for (; rows; rows &= rows - 1) {
		size_t v = (size_t)__builtin_ctz(rows), i = pb * 16 + v;
		vector_hits(_mm512_load_si512(dt + 16 * v), thr, norms ? norms[i] : 0.0f, s, g,
			    pos0 + (uint32_t)i);
	}
}

/* block bb's products started in tile C from its codes in tile A, and its
   norms fetched for the keys (read at random otherwise: a third of the
   time of the pushes was that miss) */
#define AMX_ISSUE(A, C, bb)                                                      \
	do {                                                                     \
		if ((bb) < nb) {                                                 \
			_tile_zero(C);                                           \
			_tile_loadd(A, blocks + (bb) * 16 * w, (long)w);         \
			_tile_dpbusd(C, A, 2);                                   \
			if (norms) {                                             \
				_mm_prefetch((const char *)(norms + (bb) * 16), _MM_HINT_T0);      \
				_mm_prefetch((const char *)(norms + (bb) * 16 + 15), _MM_HINT_T0); \
			}                                                        \
		}                                                                \
	} while (0)

/* step t: block t's products stored from tile C and block t + 3 started in
   the pair; then block t - LAG read */
#define AMX_STEP(A, C, t)                                                                \
	do {                                                                             \
		if ((t) < nb) {                                                          \
			_tile_stored(C, dots[(t) % OR_ANN_AMX_RING], 64);                \
			AMX_ISSUE(A, C, (t) + 3);                                        \
		}                                                                        \
		if ((t) >= OR_ANN_AMX_LAG && (t) - OR_ANN_AMX_LAG < nb)                  \
			block_hits(dots[((t) - OR_ANN_AMX_LAG) % OR_ANN_AMX_RING],       \
				   (t) - OR_ANN_AMX_LAG, len, norms, bmin, pos0, &s, g); \
	} while (0)

OR_TARGET("amx-tile,amx-int8," OR_AVX512)
static void scan_amx(const uint8_t *blocks, size_t len, size_t d4, const float *norms,
		     const float *bmin, uint32_t pos0, or_ann_group *g)
{
	_tile_loadd(2, g->q, 64);
	grp_state s;
	grp_init(&s, g, d4);
	int32_t dots[OR_ANN_AMX_RING][256] __attribute__((aligned(64)));
	size_t w = 4 * d4, nb = (len + 15) / 16;
	AMX_ISSUE(1, 0, 0);
	AMX_ISSUE(4, 3, 1);
	AMX_ISSUE(6, 5, 2);
	for (size_t t = 0; t < nb + OR_ANN_AMX_LAG; t += 3) {
		AMX_STEP(1, 0, t);
		AMX_STEP(4, 3, t + 1);
		AMX_STEP(6, 5, t + 2);
	}
}

/* the tile shapes for vectors of d4 4-byte groups: products 16 x 64 bytes,
   codes 16 x 4 d4, the group d4 x 64 */
static void tile_shapes(tile_config *tc, size_t d4)
{
	memset(tc, 0, sizeof(*tc));
	tc->palette = 1;
	for (size_t t = 0; t < 7; t++) {
		tc->rows[t] = 16;
		tc->colsb[t] = 64;
	}
	tc->colsb[1] = tc->colsb[4] = tc->colsb[6] = (uint16_t)(4 * d4);
	tc->rows[2] = (uint8_t)d4;
}

/* (the configuration is read from a static, aligned copy: from a stack
   slot, gcc 12 -O2 dropped its stores and ldtilecfg faulted) */
static _Thread_local tile_config amx_config __attribute__((aligned(64)));

OR_TARGET("amx-tile")
static void amx_begin(size_t d4)
{
	tile_shapes(&amx_config, d4);
	_tile_loadconfig(&amx_config);
}

OR_TARGET("amx-tile")
static void amx_end(void)
{
	_tile_release();
}

OR_TARGET("amx-tile,amx-int8")
static void dots_amx(const uint8_t *block, size_t d4, const or_ann_group *g, int32_t *out)
{
	amx_begin(d4);
	_tile_loadd(2, g->q, 64);
	_tile_zero(0);
	_tile_loadd(1, block, (long)(4 * d4));
	_tile_dpbusd(0, 1, 2);
	_tile_stored(0, out, 64);
	amx_end();
}

OR_TARGET(OR_AVX512)
static void dots_vnni(const uint8_t *block, size_t d4, const or_ann_group *g, int32_t *out)
{
	__m512i q[64];
	group_registers(q, g, d4);
	for (size_t v = 0; v < 16; v++)
		_mm512_storeu_si512(out + 16 * v, dot_vnni_any(block + v * 4 * d4, q, d4, g->q));
}

#endif

void or_ann_scan_begin(int engine, size_t d4)
{
#ifdef OR_SIMD_X86
	if (engine == OR_ANN_AMX && d4 <= 16)
		amx_begin(d4);
#endif
	(void)engine;
	(void)d4;
}

void or_ann_scan_end(int engine, size_t d4)
{
#ifdef OR_SIMD_X86
	if (engine == OR_ANN_AMX && d4 <= 16)
		amx_end();
#endif
	(void)engine;
	(void)d4;
}

/* AMX needs the CPU's tiles and the kernel's permission for the tile data
   (or_cpu_amx_usable); without either, VNNI runs */
int or_ann_scan_engine(int simd, size_t d)
{
#ifdef OR_SIMD_X86
	if (simd && or_cpu_has(OR_CPU_AVX512 | OR_CPU_AVX512VNNI)) {
		if (simd == 1 && or_ann_sq_groups(d) <= 16 && or_cpu_amx_usable())
			return OR_ANN_AMX;
		return OR_ANN_VNNI;
	}
#endif
	(void)simd;
	(void)d;
	return OR_ANN_SCALAR;
}

void or_ann_scan_group(const uint8_t *blocks, size_t len, size_t d4,
		       const float *norms, const float *bmin, uint32_t pos0,
		       or_ann_group *g, int engine)
{
#ifdef OR_SIMD_X86
	if (engine == OR_ANN_AMX && d4 <= 16) {
		scan_amx(blocks, len, d4, norms, bmin, pos0, g);
		return;
	}
	if (engine != OR_ANN_SCALAR) {
		scan_vnni(blocks, len, d4, norms, bmin, pos0, g);
		return;
	}
#endif
	(void)engine;
	(void)bmin;
	scan_scalar(blocks, len, d4, norms, pos0, g);
}

void or_ann_block_dots(const uint8_t *block, size_t d4, const or_ann_group *g,
		       int32_t *out, int engine)
{
#ifdef OR_SIMD_X86
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
