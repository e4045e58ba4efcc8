/*
 * or_ann_search.c - answering queries with an open IVF index (or_ann.h):
 * the nprobe nearest lists of each query, the scan of their 8-bit codes in
 * groups of queries (or_ann_scan.c), the candidate buffers, and the exact
 * re-ranking of the best `rerank` candidates with the float vectors.
 *
 * Queries go in chunks (per thread), in the order of their nearest list so
 * that a chunk's queries share lists.  Inside a chunk the scan is list-major:
 * each probed list is read once per 16 of the chunk's queries that probe it.
 * It runs in two rounds: first every query's nearest list, which fills its
 * candidates with close vectors, so that the bound is tight for the second
 * round (the other lists), where few vectors still beat it.  Each answer
 * depends only on its query: the candidates kept are the R best by (key,
 * position) whatever order they came in, and every engine gives the same
 * keys, so neither the thread count, the chunking nor the SIMD changes an
 * answer.
 */
#include "or_ann.h"
#include "or_cpu.h"
#include "or_par.h"
#include "or_ann_internal.h"
#include "or_knn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef OR_SIMD_X86
#include <immintrin.h>
#endif

void or_ann_search_params_default(or_ann_search_params *p)
{
	p->nprobe = 0;
	p->threads = 0;
	p->simd = 1;
	p->rerank = 0;
}

const char *or_ann_scan_name(const or_ann *ix, int simd)
{
	switch (or_ann_scan_engine(simd, ix->d)) {
	case OR_ANN_AMX: return "amx";
	case OR_ANN_VNNI: return "avx512-vnni";
	default: return "scalar";
	}
}

static inline int cand_less(or_ann_cand a, or_ann_cand b)
{
	return a.key < b.key || (a.key == b.key && a.pos < b.pos);
}

/* Move the r best of c[0..n) to the front (quickselect, deterministic). */
static void select_best(or_ann_cand *c, size_t n, size_t r)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1 && r > lo && r < hi) {
		or_ann_cand a = c[lo], b = c[lo + (hi - lo) / 2], d = c[hi - 1], piv;
		if (cand_less(a, b))
			piv = cand_less(b, d) ? b : cand_less(a, d) ? d : a;
		else
			piv = cand_less(a, d) ? a : cand_less(b, d) ? d : b;
		/* three-way partition: < piv, == piv, > piv */
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			if (cand_less(c[i], piv)) {
				or_ann_cand t = c[lt]; c[lt] = c[i]; c[i] = t;
				lt++; i++;
			} else if (cand_less(piv, c[i])) {
				gt--;
				or_ann_cand t = c[gt]; c[gt] = c[i]; c[i] = t;
			} else {
				i++;
			}
		}
		if (r <= lt)
			hi = lt;
		else if (r >= gt)
			lo = gt;
		else
			return;
	}
}

/*
 * The same set as select_best, faster for n in the hundreds and more
 * (quickselect's compares are unpredictable branches): a histogram of the
 * keys in equal-width buckets between their minimum and maximum (64 for up
 * to 512 keys, as in a compaction; 256 beyond) finds the bucket holding the
 * r-th key; the buckets below it are taken whole,
 * the r-th bucket goes through select_best.  The bucket is a monotone
 * function of the key, so the result is exactly the r best by (key,
 * position).  Every pass is branch-free: each entry is written to both
 * sides and the side's count advances by the test.  tmp: n entries of
 * scratch.  Keys must not be NaN.
 */
static inline int key_bucket(float key, float lo, float scale, int top)
{
	int b = (int)((key - lo) * scale);
	return b > top ? top : b;
}

#ifdef OR_SIMD_X86
/* select_smallest for n <= 512 (a compaction's buffer) with AVX-512: the
   same passes 16 keys at a time (the keys gathered from the entries by a
   permutation), the buckets kept as bytes for the histogram and the
   partition, which moves 8 entries at a time with compressing stores.
   The same set as select_best; its share of a search (perf, trained
   vectors) fell from 8.4 % to 3.9 % though compactions became more
   frequent. */
OR_TARGET("avx512f,avx512bw,avx512vl")
static void select_small_avx512(or_ann_cand *c, size_t n, size_t r, or_ann_cand *tmp)
{
	const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	__m512 vlo = _mm512_set1_ps(INFINITY), vhi = _mm512_set1_ps(-INFINITY);
	size_t i = 0, n16 = n & ~(size_t)15;
	for (; i < n16; i += 16) {
		__m512 k = _mm512_permutex2var_ps(_mm512_loadu_ps(&c[i].key), even, _mm512_loadu_ps(&c[i + 8].key));
		vlo = _mm512_min_ps(vlo, k);
		vhi = _mm512_max_ps(vhi, k);
	}
	float lo = _mm512_reduce_min_ps(vlo), hi = _mm512_reduce_max_ps(vhi);
	for (; i < n; i++) {
		lo = c[i].key < lo ? c[i].key : lo;
		hi = c[i].key > hi ? c[i].key : hi;
	}
	int top = 63;
	float scale = (float)top / (hi - lo);
	if (n < 64 || !(hi > lo) || !isfinite(scale) || !isfinite(hi - lo)) {
		select_best(c, n, r);
		return;
	}
	uint8_t bk[512];
	__m512 vl = _mm512_set1_ps(lo), vs = _mm512_set1_ps(scale);
	for (i = 0; i < n16; i += 16) {
		__m512 k = _mm512_permutex2var_ps(_mm512_loadu_ps(&c[i].key), even, _mm512_loadu_ps(&c[i + 8].key));
		__m512i b = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_sub_ps(k, vl), vs));
		b = _mm512_min_epi32(b, _mm512_set1_epi32(top));
		_mm_storeu_si128((__m128i *)(bk + i), _mm512_cvtepi32_epi8(b));
	}
	for (; i < n; i++)
		bk[i] = (uint8_t)key_bucket(c[i].key, lo, scale, top);
	uint32_t hist[2][64];
	memset(hist, 0, sizeof(hist));
	for (i = 0; i + 1 < n; i += 2) {
		hist[0][bk[i]]++;
		hist[1][bk[i + 1]]++;
	}
	if (i < n)
		hist[0][bk[i]]++;
	size_t below = 0;
	int cut = 0;
	while (below + hist[0][cut] + hist[1][cut] < r) {
		below += hist[0][cut] + hist[1][cut];
		cut++;
	}
	/* as in select_smallest: below cut to tmp, cut's own to the front of c
	   (a store covers at most the 8 entries just loaded) */
	size_t nl = 0, ne = 0, n8 = n & ~(size_t)7;
	__m512i vcut = _mm512_set1_epi64(cut);
	for (i = 0; i < n8; i += 8) {
		__m512i e = _mm512_loadu_si512(c + i);
		__m512i b = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(bk + i)));
		__mmask8 mlt = _mm512_cmplt_epu64_mask(b, vcut), meq = _mm512_cmpeq_epu64_mask(b, vcut);
		_mm512_mask_compressstoreu_epi64(tmp + nl, mlt, e);
		_mm512_mask_compressstoreu_epi64(c + ne, meq, e);
		nl += (size_t)__builtin_popcount(mlt);
		ne += (size_t)__builtin_popcount(meq);
	}
	for (; i < n; i++) {
		or_ann_cand e = c[i];
		tmp[nl] = e;
		nl += bk[i] < cut;
		c[ne] = e;
		ne += bk[i] == cut;
	}
	memmove(c + below, c, ne * sizeof(or_ann_cand));
	memcpy(c, tmp, below * sizeof(or_ann_cand));
	select_best(c + below, ne, r - below);
}
#endif

static void select_smallest(or_ann_cand *c, size_t n, size_t r, or_ann_cand *tmp)
{
	if (r >= n)
		return;
#ifdef OR_SIMD_X86
	if (n <= 512 && or_cpu_has(OR_CPU_AVX512)) {
		select_small_avx512(c, n, r, tmp);
		return;
	}
#endif
	float lo0 = c[0].key, hi0 = c[0].key, lo1 = lo0, hi1 = hi0;
	size_t i = 1;
	for (; i + 1 < n; i += 2) {
		lo0 = c[i].key < lo0 ? c[i].key : lo0;
		hi0 = c[i].key > hi0 ? c[i].key : hi0;
		lo1 = c[i + 1].key < lo1 ? c[i + 1].key : lo1;
		hi1 = c[i + 1].key > hi1 ? c[i + 1].key : hi1;
	}
	if (i < n) {
		lo0 = c[i].key < lo0 ? c[i].key : lo0;
		hi0 = c[i].key > hi0 ? c[i].key : hi0;
	}
	int top = n <= 512 ? 63 : 255;
	float lo = lo0 < lo1 ? lo0 : lo1, hi = hi0 > hi1 ? hi0 : hi1;
	float scale = (float)top / (hi - lo);
	if (n < 64 || !(hi > lo) || !isfinite(scale) || !isfinite(hi - lo)) {
		select_best(c, n, r);
		return;
	}
	uint32_t hist[2][256];
	memset(hist, 0, sizeof(hist[0][0]) * 2 * 256);
	for (i = 0; i + 1 < n; i += 2) {
		hist[0][key_bucket(c[i].key, lo, scale, top)]++;
		hist[1][key_bucket(c[i + 1].key, lo, scale, top)]++;
	}
	if (i < n)
		hist[0][key_bucket(c[i].key, lo, scale, top)]++;
	size_t below = 0;
	int cut = 0;
	while (below + hist[0][cut] + hist[1][cut] < r) {
		below += hist[0][cut] + hist[1][cut];
		cut++;
	}
	/* the buckets below cut to tmp, cut's own to the front of c (never
	   past the entry being read) */
	size_t nl = 0, ne = 0;
	for (i = 0; i < n; i++) {
		or_ann_cand e = c[i];
		int b = key_bucket(e.key, lo, scale, top);
		tmp[nl] = e;
		nl += b < cut;
		c[ne] = e;
		ne += b == cut;
	}
	memmove(c + below, c, ne * sizeof(or_ann_cand));
	memcpy(c, tmp, below * sizeof(or_ann_cand));
	select_best(c + below, ne, r - below);
}

void or_ann_cands_compact(or_ann_cands *b)
{
	if (b->n <= b->r) /* not full yet: the bound stays */
		return;
	select_smallest(b->c, b->n, b->r, b->tmp);
	b->n = b->r;
	float w = b->c[0].key;
	for (size_t i = 1; i < b->n; i++)
		if (b->c[i].key > w)
			w = b->c[i].key;
	b->bound = w;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* One thread's scratch for a chunk of up to blk queries. */
typedef struct chunk_ws {
	float *qv, *qn, *qa, *qc;  /* vectors; squared norms; key terms a, c */
	uint32_t *skip;            /* position left out, UINT32_MAX: none */
	int8_t *qi;                /* quantised queries, 4 d4 bytes each */
	uint32_t *probes;          /* nprobe lists per query, nearest first */
	uint32_t *slots;           /* queries of the round, by list */
	size_t *count;             /* nlist + 1 */
	or_ann_cand *cmem;
	or_ann_cands *cands;
	float *cbuf, *rk;
	or_ann_cand *clist, *ltmp; /* nlist (key, list), and scratch */
	or_ann_cand *ctmp;         /* scratch of the candidate buffers */
	int64_t *rid;
	int8_t *gq;                /* the group's rows */
} chunk_ws;

static void ws_free(chunk_ws *w)
{
	free(w->qv); free(w->qn); free(w->qa); free(w->qc); free(w->skip);
	free(w->qi); free(w->probes); free(w->slots); free(w->count);
	free(w->cmem); free(w->cands); free(w->cbuf); free(w->rk);
	free(w->clist); free(w->ltmp); free(w->ctmp); free(w->rid); free(w->gq);
}

static int ws_alloc(chunk_ws *w, const or_ann *ix, size_t blk, size_t nprobe, size_t cap, size_t k)
{
	size_t d = ix->d, d4 = or_ann_sq_groups(d);
	memset(w, 0, sizeof(*w));
	w->qv = malloc(blk * d * sizeof(float));
	w->qn = malloc(blk * sizeof(float));
	w->qa = malloc(blk * sizeof(float));
	w->qc = malloc(blk * sizeof(float));
	w->skip = malloc(blk * sizeof(uint32_t));
	w->qi = malloc(blk * 4 * d4);
	w->probes = malloc(blk * nprobe * sizeof(uint32_t));
	w->slots = malloc(blk * nprobe * sizeof(uint32_t));
	w->count = malloc((ix->nlist + 1) * sizeof(size_t));
	w->cmem = malloc(blk * cap * sizeof(or_ann_cand));
	w->cands = malloc(blk * sizeof(or_ann_cands));
	w->cbuf = malloc(ix->nlist * sizeof(float));
	w->clist = malloc(ix->nlist * sizeof(or_ann_cand));
	w->ltmp = malloc(ix->nlist * sizeof(or_ann_cand));
	w->ctmp = malloc(cap * sizeof(or_ann_cand));
	w->rk = malloc(k * sizeof(float));
	w->rid = malloc(k * sizeof(int64_t));
	w->gq = malloc(64 * d4);
	return w->qv && w->qn && w->qa && w->qc && w->skip && w->qi && w->probes && w->slots &&
	       w->count && w->cmem && w->cands && w->cbuf && w->clist && w->ltmp && w->ctmp &&
	       w->rk && w->rid && w->gq;
}

/* Query slot sl of the chunk from query q: its vector, quantisation, key
   terms, empty candidates and nearest lists. */
static void prepare_query(const or_ann *ix, chunk_ws *w, size_t sl, const float *src,
			  int normalise, int64_t ex, size_t nprobe, size_t R, size_t cap, int simd)
{
	size_t d = ix->d, d4 = or_ann_sq_groups(d);
	int l2 = ix->metric == OR_METRIC_L2;
	float *v = w->qv + sl * d;
	memcpy(v, src, d * sizeof(float));
	if (normalise)
		or_knn_normalize(v, 1, d);
	w->skip[sl] = ex >= 0 && (uint64_t)ex < ix->n ? ix->pos[ex] : UINT32_MAX;
	float n2 = 0;
	for (size_t j = 0; j < d; j++)
		n2 += v[j] * v[j];
	w->qn[sl] = n2;
	float base, s = or_ann_sq_query(v, d, ix->sq_min, ix->sq_scale, w->qi + sl * 4 * d4, &base);
	w->qa[sl] = l2 ? 2 * base : base;
	w->qc[sl] = l2 ? 2 * s : s;
	or_ann_cands *c = &w->cands[sl];
	c->c = w->cmem + sl * cap;
	c->n = 0;
	c->r = R;
	c->cap = 2 * R; /* the first round's compaction point (see search) */
	c->tmp = w->ctmp;
	c->bound = INFINITY;
	/* the nprobe nearest centroids by (key, list), the nearest first (the
	   order of the others does not matter): a threshold from every 8th
	   key that about 1.5 nprobe keys beat, one branch-free pass keeping
	   those, the nprobe best of them; all keys when the threshold fell
	   short (rare) */
	size_t nlist = ix->nlist;
	float *key = w->cbuf;
	or_ann_probe_keys(ix, v, key, simd);
	or_ann_cand *cl = w->clist;
	size_t m = nlist, ns = nlist / 8, want = nprobe * 3 / 16 + 4;
	if (nprobe < nlist && want < ns) {
		for (size_t i = 0; i < ns; i++) {
			w->ltmp[i].key = key[8 * i];
			w->ltmp[i].pos = (uint32_t)(8 * i);
		}
		select_smallest(w->ltmp, ns, want, cl);
		float theta = w->ltmp[0].key;
		for (size_t i = 1; i < want; i++)
			theta = w->ltmp[i].key > theta ? w->ltmp[i].key : theta;
		m = 0;
		for (size_t l = 0; l < nlist; l++) {
			cl[m].key = key[l];
			cl[m].pos = (uint32_t)l;
			m += key[l] <= theta;
		}
	}
	if (m < nprobe || m == nlist) {
		for (size_t l = 0; l < nlist; l++) {
			cl[l].key = key[l];
			cl[l].pos = (uint32_t)l;
		}
		m = nlist;
	}
	select_smallest(cl, m, nprobe, w->ltmp);
	size_t best = 0;
	for (size_t r = 1; r < nprobe; r++)
		if (cand_less(cl[r], cl[best]))
			best = r;
	or_ann_cand t = cl[0];
	cl[0] = cl[best];
	cl[best] = t;
	for (size_t r = 0; r < nprobe; r++)
		w->probes[sl * nprobe + r] = cl[r].pos;
}

/* Scan, for the queries 0..nsl of the chunk, their probes of rank r0..r1,
   list by list, 16 queries at a time. */
static void scan_round(const or_ann *ix, chunk_ws *w, size_t nsl, size_t nprobe,
		       size_t r0, size_t r1, int engine)
{
	size_t nlist = ix->nlist, d4 = or_ann_sq_groups(ix->d), bb = 64 * d4;
	int l2 = ix->metric == OR_METRIC_L2;
	memset(w->count, 0, (nlist + 1) * sizeof(size_t));
	for (size_t sl = 0; sl < nsl; sl++)
		for (size_t r = r0; r < r1; r++)
			w->count[w->probes[sl * nprobe + r] + 1]++;
	for (size_t l = 0; l < nlist; l++)
		w->count[l + 1] += w->count[l];
	for (size_t sl = 0; sl < nsl; sl++)
		for (size_t r = r0; r < r1; r++)
			w->slots[w->count[w->probes[sl * nprobe + r]]++] = (uint32_t)sl;
	/* count[l] is now the end of list l's slots */
	or_ann_group g;
	g.q = w->gq;
	g.nmax = l2 ? ix->nmax : 0;
	size_t at = 0;
	for (size_t l = 0; l < nlist; l++) {
		size_t end = w->count[l], o0 = ix->offsets[l], len = ix->offsets[l + 1] - o0;
		if (!len) {
			at = end;
			continue;
		}
		while (at < end) {
			size_t m = end - at < OR_ANN_GROUP ? end - at : OR_ANN_GROUP;
			or_ann_group_clear(&g, d4);
			for (size_t t = 0; t < m; t++) {
				size_t sl = w->slots[at + t];
				or_ann_group_set(&g, t, w->qi + sl * 4 * d4, d4);
				g.a[t] = w->qa[sl];
				g.c[t] = w->qc[sl];
				g.skip[t] = w->skip[sl];
				g.cands[t] = &w->cands[sl];
			}
			for (size_t t = m; t < OR_ANN_GROUP; t++) {
				g.a[t] = 0;
				g.c[t] = 0;
			}
			g.nq = m;
			or_ann_scan_group(ix->codes + (size_t)ix->bstart[l] * bb, len, d4,
					  l2 ? ix->norms + o0 : NULL, l2 ? ix->bmin + ix->bstart[l] : NULL,
					  (uint32_t)o0, &g, engine);
			at += m;
		}
	}
}

/* The k best of query slot sl's candidates by exact distance, into its
   output rows. */
static void rerank(const or_ann *ix, chunk_ws *w, size_t sl, size_t k, int simd,
		   int64_t *ids, float *dq)
{
	size_t d = ix->d;
	int metric = ix->metric;
	or_ann_cands *h = &w->cands[sl];
	or_ann_cands_compact(h);
	/* the candidates' rows are scattered over the index: ask for all of
	   them first, so that the misses overlap */
	for (size_t c = 0; c < h->n; c++) {
		const char *row = (const char *)(ix->vecs + (size_t)h->c[c].pos * d);
		for (size_t b = 0; b < d * sizeof(float); b += 64)
			__builtin_prefetch(row + b);
		__builtin_prefetch(ix->norms + h->c[c].pos);
		__builtin_prefetch(ix->ids + h->c[c].pos);
	}
	or_topk res = { w->rk, w->rid, 0, k };
	for (size_t c = 0; c < h->n; c++) {
		size_t ps = h->c[c].pos;
		float dot;
		or_knn_dot_rows(w->qv + sl * d, ix->vecs + ps * d, 1, d, &dot, simd);
		float key = metric == OR_METRIC_L2 ? ix->norms[ps] - 2 * dot : -dot;
		if (key <= or_topk_bound(&res))
			or_topk_push(&res, key, ix->ids[ps]);
	}
	size_t found = res.n;
	or_topk_finish(&res, metric, ids, dq);
	if (dq && metric == OR_METRIC_L2)
		for (size_t i = 0; i < found; i++)
			dq[i] = dq[i] + w->qn[sl] > 0 ? dq[i] + w->qn[sl] : 0;
}

/* The order queries are answered in: by their nearest list (by-item: the
   stored position of the item, lists being stored in order; vectors: a
   pre-pass finds the nearest centroid).  NULL when not worth it or out of
   memory (then the given order). */
static uint64_t *query_order(const or_ann *ix, const float *queries, const int64_t *items,
			     size_t nq, int threads, int simd)
{
	uint64_t *order = nq > 1 && nq <= UINT32_MAX ? malloc(nq * sizeof(uint64_t)) : NULL;
	if (!order)
		return NULL;
	size_t d = ix->d;
	int metric = ix->metric;
	(void)threads;
	if (items) {
		for (size_t q = 0; q < nq; q++)
			order[q] = (uint64_t)ix->pos[items[q]] << 32 | q;
	} else {
		OMP(omp parallel num_threads(threads) if (threads > 1))
		{
			float *cb = malloc(ix->nlist * sizeof(float));
			float *qq = malloc(d * sizeof(float));
			OMP(omp for schedule(static))
			for (size_t q = 0; q < nq; q++) {
				size_t best = 0;
				if (cb && qq) {
					memcpy(qq, queries + q * d, d * sizeof(float));
					if (metric == OR_METRIC_COS)
						or_knn_normalize(qq, 1, d);
					or_ann_probe_keys(ix, qq, cb, simd);
					float bk = INFINITY;
					for (size_t c = 0; c < ix->nlist; c++) {
						if (cb[c] < bk) {
							bk = cb[c];
							best = c;
						}
					}
				}
				order[q] = (uint64_t)best << 32 | q;
			}
			free(cb);
			free(qq);
		}
	}
	qsort(order, nq, sizeof(uint64_t), cmp_u64);
	return order;
}

/* Chunks of queries: blk each; in batches of more than 2 threads x blk,
   the last threads x blk or so in quarter chunks, so that the threads
   finish close together (a whole chunk left to one thread at the end costs
   up to 8 % of a 20000-query batch on 2 threads; smaller chunks share
   lists less, so only the tail is cut). */
typedef struct chunk_plan {
	size_t nq, blk, nbig, small, nsmall;
} chunk_plan;

static chunk_plan plan_chunks(size_t nq, size_t blk, size_t threads)
{
	chunk_plan p = { nq, blk, 0, blk, 0 };
	if (threads > 1 && nq > 2 * threads * blk) {
		p.nbig = (nq - threads * blk) / blk;
		p.small = blk / 4 ? blk / 4 : 1;
	} else {
		p.nbig = nq / blk;
	}
	size_t tail = nq - p.nbig * blk;
	p.nsmall = (tail + p.small - 1) / p.small;
	return p;
}

static void chunk_range(const chunk_plan *p, size_t ch, size_t *q0, size_t *q1)
{
	if (ch < p->nbig) {
		*q0 = ch * p->blk;
		*q1 = *q0 + p->blk;
		return;
	}
	*q0 = p->nbig * p->blk + (ch - p->nbig) * p->small;
	*q1 = *q0 + p->small < p->nq ? *q0 + p->small : p->nq;
}

/* The search; items != NULL means by-item queries (queries ignored). */
static int search(const or_ann *ix, const float *queries, const int64_t *items,
		  size_t nq, size_t k, const int64_t *exclude,
		  const or_ann_search_params *p, int64_t *ids, float *dist,
		  const or_log *log, or_err *err)
{
	or_ann_search_params def;
	if (!p) {
		or_ann_search_params_default(&def);
		p = &def;
	}
	size_t tot;
	if (or_size_mul(nq, k, &tot) || or_size_mul(nq, ix->d, &tot))
		return or_err_set(err, OR_ENOMEM, "index search: size overflow (nq %zu, k %zu)", nq, k);
	if (nq == 0 || k == 0)
		return OR_OK;
	if (!ids || (!queries && !items))
		return or_err_set(err, OR_EINVAL, "index search: missing arrays");
	if (items)
		for (size_t i = 0; i < nq; i++)
			if (items[i] < 0 || (uint64_t)items[i] >= ix->n)
				return or_err_set(err, OR_EINVAL,
						  "item %lld is not in the index (items 0..%zu)",
						  (long long)items[i], ix->n - 1);
	size_t nprobe = p->nprobe ? p->nprobe : ix->nprobe;
	if (nprobe > ix->nlist)
		nprobe = ix->nlist;
	size_t d = ix->d;
	int simd = p->simd, engine = or_ann_scan_engine(simd, d);
	int threads = or_par_threads(p->threads);
	/* probing every list re-ranks every row: exhaustive = exact search */
	size_t R = p->rerank ? p->rerank : nprobe >= ix->nlist ? ix->n : ix->rerank;
	if (R < k)
		R = k;
	if (R > ix->n)
		R = ix->n;
	/* candidate buffers compacted every R pushes in the first round (the
	   bound starts infinite: the sooner it falls, the fewer pushes), then
	   every max(R, 64), so that the bound keeps falling (R = 32, Gaussian:
	   pushes 456 -> 319 a query against every 128 in both rounds, 5-8 %
	   faster; holding a whole list and compacting once made more pushes
	   than it saved compactions) */
	size_t cap = R + (R > 64 ? R : 64);
	/* chunks: enough queries per list to fill groups, both threads busy,
	   scratch bounded (probe tables <= 64 MiB, candidates <= 32 MiB) */
	size_t blk = 1024, per_thread = (nq + (size_t)threads - 1) / (size_t)threads;
	if (blk > per_thread)
		blk = per_thread;
	if (blk > (8u << 20) / nprobe)
		blk = (8u << 20) / nprobe;
	if (blk > (4u << 20) / cap)
		blk = (4u << 20) / cap;
	if (blk < 1)
		blk = 1;
	uint64_t *order = query_order(ix, queries, items, nq, threads, simd);
	chunk_plan plan = plan_chunks(nq, blk, (size_t)threads);
	size_t nchunks = plan.nbig + plan.nsmall, done = 0;
	int failed = OR_PAR_OK;
	OMP(omp parallel num_threads(threads) if (threads > 1 && nchunks > 1))
	{
		chunk_ws w;
		int tid = or_par_thread_num();
		if (!ws_alloc(&w, ix, blk, nprobe, cap, k))
			or_par_fail(&failed, OR_PAR_FAILED);
		or_ann_scan_begin(engine, or_ann_sq_groups(d));
		OMP(omp for schedule(dynamic, 1))
		for (size_t ch = 0; ch < nchunks; ch++) {
			if (or_par_stop(&failed, log))
				continue;
			size_t q0, q1;
			chunk_range(&plan, ch, &q0, &q1);
			size_t nsl = q1 - q0;
			for (size_t sl = 0; sl < nsl; sl++) {
				size_t q = order ? (size_t)(order[q0 + sl] & 0xffffffffu) : q0 + sl;
				if (items)
					prepare_query(ix, &w, sl, ix->vecs + (size_t)ix->pos[items[q]] * d, 0,
						      items[q], nprobe, R, cap, simd);
				else
					prepare_query(ix, &w, sl, queries + q * d, ix->metric == OR_METRIC_COS,
						      exclude ? exclude[q] : -1, nprobe, R, cap, simd);
			}
			scan_round(ix, &w, nsl, nprobe, 0, 1, engine);
			for (size_t sl = 0; sl < nsl; sl++) {
				or_ann_cands_compact(&w.cands[sl]);
				w.cands[sl].cap = cap;
			}
			scan_round(ix, &w, nsl, nprobe, 1, nprobe, engine);
			for (size_t sl = 0; sl < nsl; sl++) {
				size_t q = order ? (size_t)(order[q0 + sl] & 0xffffffffu) : q0 + sl;
				rerank(ix, &w, sl, k, simd, ids + q * k, dist ? dist + q * k : NULL);
			}
			or_par_done(&done, nsl, tid, log, "index search", nq, "queries");
		}
		or_ann_scan_end(engine, or_ann_sq_groups(d));
		ws_free(&w);
	}
	free(order);
	return or_par_result(failed, err, "index search");
}

int or_ann_search(const or_ann *ix, const float *queries, size_t nq, size_t k,
		  const int64_t *exclude, const or_ann_search_params *p,
		  int64_t *ids, float *dist, const or_log *log, or_err *err)
{
	return search(ix, queries, NULL, nq, k, exclude, p, ids, dist, log, err);
}

int or_ann_search_items(const or_ann *ix, const int64_t *items, size_t nq,
			size_t k, const or_ann_search_params *p, int64_t *ids,
			float *dist, const or_log *log, or_err *err)
{
	if (nq && !items)
		return or_err_set(err, OR_EINVAL, "index search: missing items");
	return search(ix, NULL, items, nq, k, NULL, p, ids, dist, log, err);
}
