/*
 * or_ann_index.c - an open IVF index: mapping and checking the file (layout
 * in or_ann.h), searching by vector and by item, and recall against exact
 * search.  Each query is answered by one thread from the data alone, so the
 * answers never depend on the thread count.
 */
#include "or_ann.h"
#include "or_par.h"
#include "or_ann_internal.h"
#include "or_knn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>


static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

int or_ann_prepare(or_ann *ix, or_err *err)
{
	ix->cnorms = malloc(ix->nlist * sizeof(float));
	ix->bstart = malloc((ix->nlist + 1) * sizeof(uint64_t));
	if (!ix->cnorms || !ix->bstart)
		return or_err_set(err, OR_ENOMEM, "index: out of memory");
	or_ann_sq_blocks(ix->offsets, ix->nlist, ix->bstart);
	for (size_t c = 0; c < ix->nlist; c++) {
		const float *v = ix->centroids + c * ix->d;
		float s = 0;
		for (size_t j = 0; j < ix->d; j++)
			s += v[j] * v[j];
		ix->cnorms[c] = s;
	}
	return OR_OK;
}

void or_ann_free(or_ann *ix)
{
	if (!ix)
		return;
	if (ix->map)
		munmap(ix->map, ix->map_bytes);
	free(ix->cnorms);
	free(ix->bstart);
	free(ix);
}

static int bad(or_err *err, const char *path, const char *what)
{
	return or_err_set(err, OR_EFORMAT,
			  "%s: damaged index: %s (rebuild it with `ottorec index build`)", path, what);
}

int or_ann_open(const char *path, or_ann **out, or_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "%s: cannot open", path);
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return or_err_errno(err, e, "%s: cannot stat", path);
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return or_err_set(err, OR_EINVAL, "%s: not a regular file", path);
	}
	size_t size = (size_t)sb.st_size;
	if (size < OR_ANN_HEADER_SIZE) {
		close(fd);
		return or_err_set(err, OR_EFORMAT, "%s: not an ottorec index (%zu bytes, shorter than its header)",
				  path, size);
	}
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return or_err_errno(err, e, "%s: cannot map", path);
	const unsigned char *h = map;
	or_ann *ix = calloc(1, sizeof(*ix));
	int rc = OR_OK;
	if (!ix) {
		munmap(map, size);
		return or_err_set(err, OR_ENOMEM, "index: out of memory");
	}
	ix->map = map;
	ix->map_bytes = size;
	if (memcmp(h, OR_ANN_MAGIC, 8) != 0) {
		rc = or_err_set(err, OR_EFORMAT, "%s: not an ottorec index (bad magic)", path);
		goto fail;
	}
	uint32_t version = rd32(h + 8);
	if (version != OR_ANN_VERSION) {
		rc = or_err_set(err, OR_EUNSUPPORTED,
				"%s: index format version %u, this ottorec reads version %u; rebuild it with `ottorec index build`",
				path, version, OR_ANN_VERSION);
		goto fail;
	}
	if (XXH3_64bits(h, OR_ANN_HCHECK_OFF) != rd64(h + OR_ANN_HCHECK_OFF)) {
		rc = bad(err, path, "header checksum mismatch");
		goto fail;
	}
	if (rd32(h + 12) != OR_ANN_HEADER_SIZE) {
		rc = bad(err, path, "unexpected header size");
		goto fail;
	}
	ix->metric = (int)rd32(h + 16);
	ix->d = rd32(h + 20);
	uint64_t n = rd64(h + 24);
	ix->nlist = rd32(h + 32);
	ix->nprobe = rd32(h + 36);
	ix->seed = rd64(h + 40);
	ix->rerank = rd32(h + 56);
	if (!or_metric_name(ix->metric) || ix->d == 0 || ix->d > 65536 || n == 0 || n > UINT32_MAX || ix->rerank == 0 ||
	    ix->nlist == 0 || ix->nlist > n || ix->nprobe == 0 || ix->nprobe > ix->nlist) {
		rc = bad(err, path, "header values out of range");
		goto fail;
	}
	ix->n = (size_t)n;
	size_t want[OR_ANN_N_SECTIONS], nd, cd;
	if (or_size_mul(ix->n, ix->d, &nd) || or_size_mul(nd, 4, &nd) ||
	    or_size_mul(ix->nlist, ix->d, &cd) || or_size_mul(cd, 4, &cd)) {
		rc = bad(err, path, "sizes overflow");
		goto fail;
	}
	want[0] = cd;
	want[1] = (ix->nlist + 1) * 8;
	want[2] = ix->n * 4;
	want[3] = nd;
	want[4] = ix->n * 4;
	want[5] = ix->n * 4;
	want[6] = 2 * ix->d * 4;
	want[7] = 0; /* known once the offsets are checked */
	const void *sec[OR_ANN_N_SECTIONS];
	for (int s = 0; s < OR_ANN_N_SECTIONS; s++) {
		const unsigned char *t = h + OR_ANN_TABLE_OFF + 32 * s;
		uint64_t off = rd64(t), bytes = rd64(t + 8), sum = rd64(t + 16);
		if (s == 7) {
			/* the offsets (section 1) passed their checksum */
			const uint64_t *o = sec[1];
			uint64_t nb;
			if (o[0] != 0 || o[ix->nlist] != ix->n || or_ann_sq_blocks(o, ix->nlist, NULL)) {
				rc = bad(err, path, "list offsets do not cover the rows in order");
				goto fail;
			}
			nb = 0;
			for (size_t l = 0; l < ix->nlist; l++)
				nb += (o[l + 1] - o[l] + 15) / 16;
			want[7] = (size_t)nb * 64 * or_ann_sq_groups(ix->d);
		}
		if (bytes != want[s] || off % 4096 || off < OR_ANN_HEADER_SIZE || off > size ||
		    bytes > size - off) {
			char what[96];
			snprintf(what, sizeof(what), "section %d lies outside the file or has the wrong size (truncated?)", s);
			rc = bad(err, path, what);
			goto fail;
		}
		sec[s] = h + off;
		if (XXH3_64bits(sec[s], bytes) != sum) {
			char what[64];
			snprintf(what, sizeof(what), "section %d checksum mismatch", s);
			rc = bad(err, path, what);
			goto fail;
		}
	}
	{
		const unsigned char *t = h + OR_ANN_TABLE_OFF + 32 * (OR_ANN_N_SECTIONS - 1);
		uint64_t end = rd64(t) + (rd64(t + 8) + 4095) / 4096 * 4096;
		if (end != size) {
			rc = bad(err, path, "file size does not match its sections (truncated?)");
			goto fail;
		}
	}
	ix->centroids = sec[0];
	ix->offsets = sec[1];
	ix->ids = sec[2];
	ix->vecs = sec[3];
	ix->norms = sec[4];
	ix->pos = sec[5];
	ix->sq_min = sec[6];
	ix->sq_scale = (const float *)sec[6] + ix->d;
	ix->codes = sec[7];
	for (size_t j = 0; j < ix->d; j++)
		if (!isfinite(ix->sq_min[j]) || !(ix->sq_scale[j] > 0) || !isfinite(ix->sq_scale[j])) {
			rc = bad(err, path, "quantiser values out of range");
			goto fail;
		}
	if (ix->offsets[0] != 0 || ix->offsets[ix->nlist] != ix->n) {
		rc = bad(err, path, "list offsets do not cover the rows");
		goto fail;
	}
	for (size_t l = 0; l < ix->nlist; l++)
		if (ix->offsets[l] > ix->offsets[l + 1]) {
			rc = bad(err, path, "list offsets decrease");
			goto fail;
		}
	for (size_t p = 0; p < ix->n; p++)
		if (ix->ids[p] >= ix->n || ix->pos[ix->ids[p]] != p) {
			rc = bad(err, path, "ids and positions disagree");
			goto fail;
		}
	rc = or_ann_prepare(ix, err);
	if (rc)
		goto fail;
	*out = ix;
	return OR_OK;
fail:
	or_ann_free(ix);
	return rc;
}

size_t or_ann_n(const or_ann *ix) { return ix->n; }
size_t or_ann_dim(const or_ann *ix) { return ix->d; }
int or_ann_metric(const or_ann *ix) { return ix->metric; }
size_t or_ann_nlist(const or_ann *ix) { return ix->nlist; }
size_t or_ann_nprobe(const or_ann *ix) { return ix->nprobe; }
size_t or_ann_rerank(const or_ann *ix) { return ix->rerank; }
uint64_t or_ann_seed(const or_ann *ix) { return ix->seed; }

const float *or_ann_vector(const or_ann *ix, int64_t item)
{
	if (item < 0 || (uint64_t)item >= ix->n)
		return NULL;
	return ix->vecs + (size_t)ix->pos[item] * ix->d;
}

void or_ann_search_params_default(or_ann_search_params *p)
{
	p->nprobe = 0;
	p->threads = 0;
	p->simd = 1;
	p->rerank = 0;
}

static size_t max_list(const or_ann *ix)
{
	size_t m = 0;
	for (size_t l = 0; l < ix->nlist; l++)
		if (ix->offsets[l + 1] - ix->offsets[l] > m)
			m = ix->offsets[l + 1] - ix->offsets[l];
	return m;
}


static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Approximate candidates of one query: every (key, position) that beat the
   bound when it came; when the buffer (2 R) is full, the R best by (key,
   position) are kept and the bound drops to the worst of them.  The R best
   of all candidates never leave, so the final set (select_best) does not
   depend on the order the lists were scanned in. */
typedef struct cand {
	float key;
	uint32_t pos;
} cand;

typedef struct cand_buf {
	cand *c;
	size_t n, r, cap; /* cap >= 2 r */
	float bound;
} cand_buf;

static inline int cand_less(cand a, cand b)
{
	return a.key < b.key || (a.key == b.key && a.pos < b.pos);
}

/* Move the r best of c[0..n) to the front (quickselect, deterministic). */
static void select_best(cand *c, size_t n, size_t r)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1 && r > lo && r < hi) {
		cand a = c[lo], b = c[lo + (hi - lo) / 2], d = c[hi - 1], piv;
		if (cand_less(a, b))
			piv = cand_less(b, d) ? b : cand_less(a, d) ? d : a;
		else
			piv = cand_less(a, d) ? a : cand_less(b, d) ? d : b;
		/* three-way partition: < piv, == piv, > piv */
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			if (cand_less(c[i], piv)) {
				cand t = c[lt]; c[lt] = c[i]; c[i] = t;
				lt++; i++;
			} else if (cand_less(piv, c[i])) {
				gt--;
				cand t = c[gt]; c[gt] = c[i]; c[i] = t;
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

static void cand_compact(cand_buf *b)
{
	select_best(b->c, b->n, b->r);
	b->n = b->r;
	float w = b->c[0].key;
	for (size_t i = 1; i < b->n; i++)
		if (b->c[i].key > w)
			w = b->c[i].key;
	b->bound = w;
}

static inline void cand_push(cand_buf *b, float key, uint32_t pos)
{
	if (b->n == b->cap)
		cand_compact(b);
	if (key <= b->bound) {
		b->c[b->n].key = key;
		b->c[b->n].pos = pos;
		b->n++;
	}
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
	size_t d = ix->d, ml = max_list(ix);
	int simd = p->simd, metric = ix->metric;
	int threads = p->threads;
#ifdef _OPENMP
	if (threads <= 0)
		threads = omp_get_max_threads();
#else
	threads = 1;
#endif
	(void)threads;
	size_t nchunks, done = 0;
	int failed = 0;
	/* Queries are answered in the order of their nearest list, so that
	   consecutive queries scan the same lists while they are in cache (a
	   scan is memory-bound).  By-item queries: an item's own list is the
	   list of its nearest centroid, and lists are stored in order, so the
	   stored position is the key.  Vector queries: a pre-pass finds the
	   nearest centroid.  Each answer still depends only on its query. */
	uint64_t *order = nq > 1 && nq <= UINT32_MAX ? malloc(nq * sizeof(uint64_t)) : NULL;
	if (order) {
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
						or_knn_dot_rows(qq, ix->centroids, ix->nlist, d, cb, simd);
						float bk = INFINITY;
						for (size_t c = 0; c < ix->nlist; c++) {
							float key = metric == OR_METRIC_L2 ? ix->cnorms[c] - 2 * cb[c] : -cb[c];
							if (key < bk) {
								bk = key;
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
	}

	/* Queries go in blocks of blk (in list order); inside a block the scan
	   is list-major: each probed list is read once and compared with every
	   query of the block that probes it, while it is in cache.  The top-k
	   of a query does not depend on the order its candidates arrive in. */
	/* probing every list re-ranks every row: exhaustive = exact search */
	size_t R = p->rerank ? p->rerank : nprobe >= ix->nlist ? ix->n : ix->rerank;
	if (R < k)
		R = k;
	if (R > ix->n)
		R = ix->n;
	size_t blk = 256;
	if (blk > (4u << 20) / nprobe)
		blk = (4u << 20) / nprobe;
	/* candidate buffer per query: few compactions even when one list
	   fills it (nprobe 1) */
	size_t cap = R + (R > 512 ? R : 512);
	if (blk > (2u << 20) / cap)
		blk = (2u << 20) / cap;
	if (blk < 1)
		blk = 1;
	size_t d4 = or_ann_sq_groups(d), bb = 64 * d4;
	size_t mlb = (ml + 15) / 16 * 16;
	nchunks = (nq + blk - 1) / blk;
	OMP(omp parallel num_threads(threads) if (threads > 1 && nq > 1))
	{
		float *qv = malloc(blk * d * sizeof(float));
		float *qn = malloc(blk * sizeof(float));
		int64_t *exq = malloc(blk * sizeof(int64_t));
		int8_t *qi = malloc(blk * 4 * d4);
		float *qs = malloc(blk * sizeof(float));
		float *qb = malloc(blk * sizeof(float));
		float *cbuf = malloc(ix->nlist * sizeof(float));
		int32_t *ibuf = malloc((mlb ? mlb : 16) * sizeof(int32_t));
		float *kbuf = malloc((mlb ? mlb : 16) * sizeof(float));
		uint16_t *mbuf = malloc((mlb ? mlb / 16 : 1) * sizeof(uint16_t));
		float *pk = malloc(nprobe * sizeof(float));
		int64_t *pid = malloc(nprobe * sizeof(int64_t));
		int64_t *plist = malloc(nprobe * sizeof(int64_t));
		uint64_t *pairs = malloc(blk * nprobe * sizeof(uint64_t));
		cand *cmem = malloc(blk * cap * sizeof(cand));
		cand_buf *cb = malloc(blk * sizeof(cand_buf));
		float *rk = malloc(k * sizeof(float));
		int64_t *rid = malloc(k * sizeof(int64_t));
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		if (!qv || !qn || !exq || !qi || !qs || !qb || !cbuf || !ibuf || !kbuf || !mbuf || !pk || !pid || !plist ||
		    !pairs || !cmem || !cb || !rk || !rid) {
			OMP(omp atomic write)
			failed = 1;
		}
		or_topk probe = { pk, pid, 0, nprobe };
		or_topk res = { rk, rid, 0, k };
		OMP(omp for schedule(dynamic, 1))
		for (size_t ch = 0; ch < nchunks; ch++) {
			if (or_par_stop(&failed, log))
				continue;
			size_t q0 = ch * blk, q1 = q0 + blk < nq ? q0 + blk : nq, npairs = 0;
			for (size_t qi_ = q0; qi_ < q1; qi_++) {
				size_t q = order ? (size_t)(order[qi_] & 0xffffffffu) : qi_, sl = qi_ - q0;
				float *v = qv + sl * d;
				int64_t ex = -1;
				if (items) {
					ex = items[q];
					memcpy(v, ix->vecs + (size_t)ix->pos[ex] * d, d * sizeof(float));
				} else {
					memcpy(v, queries + q * d, d * sizeof(float));
					if (metric == OR_METRIC_COS)
						or_knn_normalize(v, 1, d);
					if (exclude)
						ex = exclude[q];
				}
				exq[sl] = ex;
				float n2 = 0;
				for (size_t j = 0; j < d; j++)
					n2 += v[j] * v[j];
				qn[sl] = n2;
				qs[sl] = or_ann_sq_query(v, d, ix->sq_min, ix->sq_scale, qi + sl * 4 * d4, &qb[sl]);
				cb[sl].c = cmem + sl * cap;
				cb[sl].n = 0;
				cb[sl].r = R;
				cb[sl].cap = cap;
				cb[sl].bound = INFINITY;
				/* the nprobe nearest centroids */
				or_knn_dot_rows(v, ix->centroids, ix->nlist, d, cbuf, simd);
				or_topk_reset(&probe);
				for (size_t c = 0; c < ix->nlist; c++) {
					float key = metric == OR_METRIC_L2 ? ix->cnorms[c] - 2 * cbuf[c] : -cbuf[c];
					if (key <= or_topk_bound(&probe))
						or_topk_push(&probe, key, (int64_t)c);
				}
				size_t np = probe.n;
				or_topk_finish(&probe, OR_METRIC_L2, plist, NULL);
				for (size_t pi = 0; pi < np; pi++)
					pairs[npairs++] = (uint64_t)plist[pi] << 32 | sl;
			}
			qsort(pairs, npairs, sizeof(uint64_t), cmp_u64);
			/* scan the codes of each probed list once for all its queries:
			   approximate keys, the R best positions kept per query */
			for (size_t pi = 0; pi < npairs; pi++) {
				size_t l = (size_t)(pairs[pi] >> 32), sl = (size_t)(pairs[pi] & 0xffffffffu);
				size_t o0 = ix->offsets[l], len = ix->offsets[l + 1] - o0;
				if (!len)
					continue;
				cand_buf *h = &cb[sl];
				int64_t ex = exq[sl];
				float s2 = 2 * qs[sl], b2 = 2 * qb[sl];
				or_ann_sq_scan_keys(ix->codes + (size_t)ix->bstart[l] * bb, len, d4,
						    qi + sl * 4 * d4,
						    metric == OR_METRIC_L2 ? ix->norms + o0 : NULL,
						    metric == OR_METRIC_L2 ? b2 : qb[sl],
						    metric == OR_METRIC_L2 ? s2 : qs[sl],
						    h->bound, kbuf, mbuf, ibuf, simd);
				/* the mask used the bound before this list: re-checked */
				for (size_t bl = 0; bl < (len + 15) / 16; bl++) {
					for (unsigned m = mbuf[bl]; m; m &= m - 1) {
						size_t i = bl * 16 + (size_t)__builtin_ctz(m);
						if (kbuf[i] <= h->bound && (int64_t)ix->ids[o0 + i] != ex)
							cand_push(h, kbuf[i], (uint32_t)(o0 + i));
					}
				}
			}
			/* re-rank the candidates with the float vectors */
			for (size_t qi_ = q0; qi_ < q1; qi_++) {
				size_t q = order ? (size_t)(order[qi_] & 0xffffffffu) : qi_, sl = qi_ - q0;
				cand_buf *h = &cb[sl];
				if (h->n > h->r)
					cand_compact(h);
				size_t nc = h->n;
				float *dq = dist ? dist + q * k : NULL;
				or_topk_reset(&res);
				for (size_t c = 0; c < nc; c++) {
					size_t ps = h->c[c].pos;
					float dot;
					or_knn_dot_rows(qv + sl * d, ix->vecs + ps * d, 1, d, &dot, simd);
					float key = metric == OR_METRIC_L2 ? ix->norms[ps] - 2 * dot : -dot;
					if (key <= or_topk_bound(&res))
						or_topk_push(&res, key, ix->ids[ps]);
				}
				size_t found = res.n;
				or_topk_finish(&res, metric, ids + q * k, dq);
				if (dq && metric == OR_METRIC_L2)
					for (size_t i = 0; i < found; i++)
						dq[i] = dq[i] + qn[sl] > 0 ? dq[i] + qn[sl] : 0;
			}
			or_par_done(&done, q1 - q0, tid, log, "index search", nq, "queries");
		}
		free(qv);
		free(qn);
		free(exq);
		free(qi);
		free(qs);
		free(qb);
		free(cbuf);
		free(ibuf);
		free(kbuf);
		free(mbuf);
		free(pk);
		free(pid);
		free(plist);
		free(pairs);
		free(cmem);
		free(cb);
		free(rk);
		free(rid);
	}
	free(order);
	if (failed == 1)
		return or_err_set(err, OR_ENOMEM, "index search: out of memory");
	if (failed == 2)
		return or_err_set(err, OR_ECANCELLED, "index search: cancelled");
	return OR_OK;
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

int or_ann_exact_items(const or_ann *ix, const int64_t *items, size_t nq,
		       size_t k, int threads, int simd, int64_t *ids,
		       const or_log *log, or_err *err)
{
	size_t d = ix->d, qd;
	if (or_size_mul(nq, d, &qd))
		return or_err_set(err, OR_ENOMEM, "exact search: size overflow");
	float *q = malloc((qd ? qd : 1) * sizeof(float));
	int64_t *ex = malloc((nq ? nq : 1) * sizeof(int64_t));
	if (!q || !ex) {
		free(q);
		free(ex);
		return or_err_set(err, OR_ENOMEM, "exact search: out of memory");
	}
	for (size_t i = 0; i < nq; i++) {
		ex[i] = ix->pos[items[i]];
		memcpy(q + i * d, ix->vecs + (size_t)ex[i] * d, d * sizeof(float));
	}
	or_knn_config cfg;
	or_knn_config_default(&cfg);
	/* COS vectors are stored normalised: their inner product is the cosine */
	cfg.metric = ix->metric == OR_METRIC_L2 ? OR_METRIC_L2 : OR_METRIC_IP;
	cfg.threads = threads;
	cfg.simd = simd;
	int rc = or_knn_search(ix->vecs, ix->n, d, q, nq, k, ex, &cfg, ids, NULL, log, err);
	if (!rc)
		for (size_t i = 0; i < nq * k; i++)
			if (ids[i] >= 0)
				ids[i] = ix->ids[ids[i]];
	free(q);
	free(ex);
	return rc;
}

double or_ann_recall(const int64_t *ann, const int64_t *truth, size_t nq, size_t k)
{
	double sum = 0;
	size_t counted = 0;
	for (size_t q = 0; q < nq; q++) {
		const int64_t *a = ann + q * k, *t = truth + q * k;
		size_t valid = 0, hit = 0;
		for (size_t i = 0; i < k; i++) {
			if (t[i] < 0)
				continue;
			valid++;
			for (size_t j = 0; j < k; j++)
				if (a[j] == t[i]) {
					hit++;
					break;
				}
		}
		if (valid) {
			sum += (double)hit / (double)valid;
			counted++;
		}
	}
	return counted ? sum / (double)counted : 1.0;
}

void or_ann_sample_items(size_t n, size_t nq, uint64_t seed, int64_t *items)
{
	if (nq <= n) {
		if (nq == n) {
			for (size_t i = 0; i < n; i++)
				items[i] = (int64_t)i;
			return;
		}
	}
	uint64_t s = seed ^ 0x5851f42d4c957f2dull;
	for (size_t i = 0; i < nq; i++)
		items[i] = (int64_t)(or_ann_splitmix64(&s) % n);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int or_ann_eval(const or_ann *ix, size_t nq, size_t k, uint64_t seed,
		size_t speed_queries, const or_ann_search_params *p,
		or_ann_eval_result *res, const or_log *log, or_err *err)
{
	or_ann_search_params def;
	if (!p) {
		or_ann_search_params_default(&def);
		p = &def;
	}
	memset(res, 0, sizeof(*res));
	if (nq == 0 || k == 0)
		return or_err_set(err, OR_EINVAL, "eval: need at least one query and k >= 1");
	if (!speed_queries)
		speed_queries = nq;
	size_t nk, sk;
	if (or_size_mul(nq, k, &nk) || or_size_mul(speed_queries, k, &sk))
		return or_err_set(err, OR_ENOMEM, "eval: size overflow");
	size_t big = nq > speed_queries ? nq : speed_queries;
	int64_t *items = malloc(big * sizeof(int64_t));
	int64_t *truth = malloc(nk * sizeof(int64_t));
	int64_t *ann = malloc((nk > sk ? nk : sk) * sizeof(int64_t));
	int rc = OR_OK;
	if (!items || !truth || !ann) {
		rc = or_err_set(err, OR_ENOMEM, "eval: out of memory");
		goto out;
	}
	or_ann_sample_items(ix->n, nq, seed, items);
	double t0 = now_s();
	rc = or_ann_exact_items(ix, items, nq, k, p->threads, p->simd, truth, log, err);
	if (rc)
		goto out;
	double t1 = now_s();
	rc = or_ann_search_items(ix, items, nq, k, p, ann, NULL, log, err);
	if (rc)
		goto out;
	double t2 = now_s();
	res->recall = or_ann_recall(ann, truth, nq, k);
	res->queries = nq;
	res->k = k;
	res->nprobe = p->nprobe ? (p->nprobe < ix->nlist ? p->nprobe : ix->nlist) : ix->nprobe;
	res->exact_seconds = t1 - t0;
	res->exact_qps = t1 > t0 ? (double)nq / (t1 - t0) : 0;
	if (speed_queries == nq) {
		res->ann_seconds = t2 - t1;
	} else {
		or_ann_sample_items(ix->n, speed_queries, seed + 1, items);
		double t3 = now_s();
		rc = or_ann_search_items(ix, items, speed_queries, k, p, ann, NULL, log, err);
		if (rc)
			goto out;
		res->ann_seconds = now_s() - t3;
	}
	res->speed_queries = speed_queries;
	res->ann_qps = res->ann_seconds > 0 ? (double)speed_queries / res->ann_seconds : 0;
out:
	free(items);
	free(truth);
	free(ann);
	return rc;
}
