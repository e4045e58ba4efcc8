/*
 * or_ann_build.c - building the IVF-SQ8 index (or_ann.h): k-means on a
 * seeded sample, assignment of every row to its nearest centroid, the rows
 * regrouped by list (L2: in order of norm), 8-bit codes of the rows in
 * blocks (or_ann_sq.c), the default nprobe chosen against exact search,
 * and the file written atomically.
 *
 * Why IVF with 8-bit codes and exact re-ranking, and where it falls short
 * (measured on this shared 2-core machine, 1.86 M x 32 float32, 2 threads;
 * bench/ann.sh reproduces them; timings there vary by ~20 % run to run):
 *  - build: k-means on 64 sampled rows per list plus one assignment pass,
 *    all dense passes of the SIMD dot kernel, then the codes, then nprobe
 *    tuned against exact search on 2000 items: 19-25 s with sqrt(n) = 1362
 *    lists (26-28 s with 2 sqrt(n), 49 s with 4096); hnswlib (M 16,
 *    ef_construction 100) took 458 s on the trained embeddings;
 *  - determinism: a row's list is a pure function of the centroids, sums are
 *    per cluster in row order, the quantiser is min/max per dimension, so the
 *    bytes do not depend on the thread count at all (a multithreaded HNSW
 *    build depends on insertion races); a query's answer depends only on the
 *    query (candidates compared by (key, position)), not on threads or the
 *    engine (AMX, VNNI and scalar give the same integers);
 *  - file: flat arrays that mmap and verify trivially;
 *  - search (or_ann_search.c, or_ann_scan.c): 32 bytes per row instead of
 *    128, scanned list by list for 16 queries at a time (a 16 x 16 block of
 *    u8 x s8 products per AMX tdpbusd, or 16 per d/4 VNNI vpdpbusd), a
 *    per-block integer threshold (lists sorted by norm) rejecting almost
 *    every product before any float work, each query's nearest list first
 *    so that its bound is tight for the rest; the best `rerank` (32) are
 *    re-scored with the float vectors.  Re-ranking 64 lost nothing
 *    measurable against the float scan (recall 0.9474 at nprobe 188 with
 *    rerank 64, 128 or 256, same as IVF-flat); 32 lost 0.0003 (trained
 *    0.9506 -> 0.95035, Gaussian 0.9527 -> 0.952675 at the same nprobe) and
 *    is 10-50 % faster (a tighter bound during the scan, half the random
 *    reads of float vectors); 24 lost 0.006 on the trained vectors;
 *  - measured (bench/ann.sh, medians of 3, 20000 by-item queries, 2
 *    threads, this shared box, three runs of the same binary; format 2, one
 *    query at a time, in brackets): trained MF embeddings (`ottorec train`
 *    exact, full synth 1.0 pairs, 1 epoch): nprobe 149, recall@20 0.9510,
 *    21.4 k, 25.2 k and 30.1 k queries/s with AMX, 8.5-10.8 k with VNNI
 *    (5.8-6.3 k at 0.948); isotropic Gaussian: nprobe 217, recall 0.9527,
 *    35.9 k, 28.0 k and 28.3 k with AMX, 10.5-12.7 k with VNNI (4.8-5.4 k
 *    at 0.954); clustered (index synth --clusters 2000): nprobe 2, recall
 *    0.965, 88.6-111.9 k (60-70 k).  Builds 17-22 s, peak RSS 542 MiB.
 *    Single eval runs ranged 21-34 k (trained) and 23-36 k (Gaussian)
 *    within minutes: the box's noise, not the code.  Peers in the third
 *    run, on the trained vectors: hnswlib (M 16, ef_construction 100)
 *    built in 143 s, 2.6 k queries/s at recall 0.63 (ef 512); faiss
 *    IVF-flat (same nlist) 65 s, 140/s at 0.971 (nprobe 192); faiss HNSW
 *    372 s, 706/s at 0.63.
 *  - where the time goes (one thread, Gaussian, ~55 us a query): the
 *    trained and Gaussian vectors are alike for an index (74 % of the
 *    trained rows are within cosine 0.94 of their N(0,1) initialisation),
 *    the 20 true neighbours lie in ~11-16 % of the lists whatever the
 *    partition: ~300 k (Gaussian) to ~370 k (trained: uneven lists, up to
 *    19 k rows) products, 1277-1515 AMX blocks x groups a query at ~10 ns
 *    each; then the pushes of the vectors that beat their bound (~320 a
 *    query), the compactions, the probe choice and the re-ranking.  Tried
 *    and dropped: finer partitions (2724, 4096 lists: 22-33 % fewer
 *    products, no faster), splitting the trained vectors' big lists by a
 *    k-means of their own (imbalance 1.84 -> 1.17, but nprobe 149 -> 241:
 *    no faster), scanning each query's 16 or 48 nearest lists in a round of
 *    their own (pushes -4 %, no faster).  A graph index (HNSW) needs far
 *    fewer distance computations but did not build within 60 s (hnswlib
 *    195-458 s) nor deterministically with threads.
 *
 * Metrics: L2 k-means for L2; for IP the assignment is by largest inner
 * product (what the search probes by); for COS the rows are normalised and
 * the k-means is spherical (centroids renormalised each iteration).
 *
 * Determinism: the sample is a seeded partial Fisher-Yates shuffle; the
 * initial centroids are the first nlist sampled rows; ties go to the lower
 * centroid; an empty cluster takes half of the largest one (faiss's rule,
 * made deterministic); centroid sums are in double, row order, per cluster.
 */
#include "or_ann.h"
#include "or_par.h"
#include "or_ann_internal.h"
#include "or_knn_internal.h"
#include "or_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void or_ann_build_config_default(or_ann_build_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->metric = OR_METRIC_L2;
	cfg->nlist = 0;
	cfg->seed = 42;
	cfg->threads = 0;
	cfg->simd = 1;
	cfg->iterations = 10;
	cfg->train_per_list = 64;
	cfg->target_recall = 0.95;
	cfg->tune_queries = 2000;
	cfg->nprobe = 0;
	cfg->rerank = 0;
}

size_t or_ann_auto_nlist(size_t n)
{
	size_t nlist = (size_t)llround(sqrt((double)n));
	if (nlist > 65536)
		nlist = 65536;
	if (nlist > n)
		nlist = n;
	return nlist < 1 ? 1 : nlist;
}

/* Nearest centroid of each of m rows; returns OR_OK or OR_ECANCELLED/ENOMEM. */
static int assign_rows(const float *X, size_t m, size_t d, const float *cent,
		       const float *cnorm, size_t nlist, int metric, int simd,
		       int threads, uint32_t *out, const char *stage,
		       const or_log *log, or_err *err)
{
	const size_t chunk = 1024;
	size_t nchunks = (m + chunk - 1) / chunk, done = 0;
	int failed = OR_PAR_OK;
	OMP(omp parallel num_threads(threads) if (threads > 1))
	{
		float *buf = malloc(nlist * sizeof(float));
		int tid = or_par_thread_num();
		if (!buf)
			or_par_fail(&failed, OR_PAR_FAILED);
		OMP(omp for schedule(dynamic, 1))
		for (size_t ch = 0; ch < nchunks; ch++) {
			if (or_par_stop(&failed, log))
				continue;
			size_t r0 = ch * chunk, r1 = r0 + chunk < m ? r0 + chunk : m;
			for (size_t r = r0; r < r1; r++) {
				or_knn_dot_rows(X + r * d, cent, nlist, d, buf, simd);
				size_t best = 0;
				float bk = INFINITY;
				for (size_t c = 0; c < nlist; c++) {
					float key = metric == OR_METRIC_L2 ? cnorm[c] - 2 * buf[c] : -buf[c];
					if (key < bk) {
						bk = key;
						best = c;
					}
				}
				out[r] = (uint32_t)best;
			}
			or_par_done(&done, r1 - r0, tid, log, stage, m, "rows");
		}
		free(buf);
	}
	return or_par_result(failed, err, "index build");
}

/* Counting sort of rows by list: start (nlist + 1) and order (m). */
static void group_rows(const uint32_t *asg, size_t m, size_t nlist,
		       uint64_t *start, uint32_t *order)
{
	memset(start, 0, (nlist + 1) * sizeof(uint64_t));
	for (size_t r = 0; r < m; r++)
		start[asg[r] + 1]++;
	for (size_t c = 0; c < nlist; c++)
		start[c + 1] += start[c];
	/* fill with a moving cursor per list, kept in start[c] and restored */
	for (size_t r = 0; r < m; r++)
		order[start[asg[r]]++] = (uint32_t)r;
	for (size_t c = nlist; c > 0; c--)
		start[c] = start[c - 1];
	start[0] = 0;
}

static void update_centroids(const float *X, size_t d, const uint64_t *start,
			     const uint32_t *order, size_t nlist, int metric,
			     int threads, float *cent)
{
	OMP(omp parallel num_threads(threads) if (threads > 1))
	{
		double *acc = malloc(d * sizeof(double));
		OMP(omp for schedule(dynamic, 16))
		for (size_t c = 0; c < nlist; c++) {
			size_t cnt = start[c + 1] - start[c];
			if (!cnt || !acc)
				continue;
			memset(acc, 0, d * sizeof(double));
			for (uint64_t i = start[c]; i < start[c + 1]; i++) {
				const float *x = X + (size_t)order[i] * d;
				for (size_t j = 0; j < d; j++)
					acc[j] += x[j];
			}
			for (size_t j = 0; j < d; j++)
				cent[c * d + j] = (float)(acc[j] / (double)cnt);
			if (metric == OR_METRIC_COS)
				or_knn_normalize(cent + c * d, 1, d);
		}
		free(acc);
	}
	/* empty clusters: split the largest one (deterministic) */
	const float eps = 1.0f / 1024;
	uint64_t *cnt = malloc(nlist * sizeof(uint64_t));
	if (!cnt)
		return;
	for (size_t c = 0; c < nlist; c++)
		cnt[c] = start[c + 1] - start[c];
	for (size_t c = 0; c < nlist; c++) {
		if (cnt[c])
			continue;
		size_t big = 0;
		for (size_t b = 1; b < nlist; b++)
			if (cnt[b] > cnt[big])
				big = b;
		if (cnt[big] < 2)
			break;
		for (size_t j = 0; j < d; j++) {
			float v = cent[big * d + j];
			cent[c * d + j] = v * (j % 2 ? 1 - eps : 1 + eps);
			cent[big * d + j] = v * (j % 2 ? 1 + eps : 1 - eps);
		}
		cnt[c] = cnt[big] / 2;
		cnt[big] -= cnt[c];
	}
	free(cnt);
}

static void norms_of(const float *X, size_t m, size_t d, float *out)
{
	for (size_t i = 0; i < m; i++) {
		float s = 0;
		for (size_t j = 0; j < d; j++)
			s += X[i * d + j] * X[i * d + j];
		out[i] = s;
	}
}

static int cmp_norm_row(const void *a, const void *b)
{
	const or_ann_cand *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* L2: each list's rows in order of (squared norm, row), so that the 16
   vectors of a code block have close norms and the scan's per-block
   bound on the norm term is tight (or_ann_scan.c). */
static int sort_lists_by_norm(const float *X, size_t n, size_t d, const uint64_t *start,
			      size_t nlist, int threads, uint32_t *ids)
{
	or_ann_cand *t = malloc((n ? n : 1) * sizeof(or_ann_cand));
	if (!t)
		return -1;
	OMP(omp parallel for num_threads(threads) schedule(static) if (threads > 1))
	for (size_t p = 0; p < n; p++) {
		norms_of(X + (size_t)ids[p] * d, 1, d, &t[p].key);
		t[p].pos = ids[p];
	}
	OMP(omp parallel for num_threads(threads) schedule(dynamic, 16) if (threads > 1))
	for (size_t l = 0; l < nlist; l++)
		qsort(t + start[l], (size_t)(start[l + 1] - start[l]), sizeof(or_ann_cand), cmp_norm_row);
	for (size_t p = 0; p < n; p++)
		ids[p] = t[p].pos;
	free(t);
	return 0;
}

static int write_index(const or_ann *ix, const or_ann_build_config *cfg,
		       size_t ntrain, const char *path, or_err *err)
{
	uint32_t *identity = NULL;
	const uint32_t *aids = cfg->row_aids;
	if (!aids) {
		identity = malloc(ix->n * sizeof(*identity));
		if (!identity)
			return or_err_set(err, OR_ENOMEM, "index build: out of memory (%zu row aids)", ix->n);
		for (size_t r = 0; r < ix->n; r++)
			identity[r] = (uint32_t)r;
		aids = identity;
	}
	or_ann_meta m = {
		.metric = (uint32_t)ix->metric, .dim = (uint32_t)ix->d, .n = ix->n,
		.nlist = (uint32_t)ix->nlist, .nprobe = (uint32_t)ix->nprobe, .seed = cfg->seed,
		.iterations = cfg->iterations, .ntrain = (uint32_t)ntrain,
		.rerank = (uint32_t)ix->rerank,
	};
	const void *sec[OR_ANN_N_SECTIONS] = { ix->centroids, ix->offsets, ix->ids,
					       ix->vecs, ix->norms, ix->pos, ix->sq_min, ix->codes,
					       aids };
	const uint64_t bytes[OR_ANN_N_SECTIONS] = {
		ix->nlist * ix->d * 4, (ix->nlist + 1) * 8, ix->n * 4, ix->n * ix->d * 4, ix->n * 4,
		ix->n * 4, 2 * ix->d * 4, (size_t)ix->bstart[ix->nlist] * 64 * or_ann_sq_groups(ix->d),
		ix->n * 4
	};
	or_sfile_writer *w;
	int rc = or_sfile_writer_open(&w, path, &or_ann_format, bytes, OR_SFILE_STREAM, err);
	for (unsigned s = 0; s < OR_ANN_N_SECTIONS && !rc; s++)
		rc = or_sfile_writer_append(w, s, sec[s], (size_t)bytes[s], err);
	if (!rc)
		rc = or_sfile_writer_commit(w, &m, sizeof(m), NULL, err);
	else
		or_sfile_writer_abort(w);
	free(identity);
	return rc;
}

/* recall@k of the in-memory index at nprobe on the tuning items: the mean
   and its lower bound */
static int tune_recall(const or_ann *ix, const int64_t *items, size_t nq, size_t k,
		       const int64_t *truth, int64_t *ann, size_t nprobe,
		       const or_ann_build_config *cfg, double recall[2],
		       const or_log *log, or_err *err)
{
	or_ann_search_params p;
	or_ann_search_params_default(&p);
	p.nprobe = nprobe;
	p.threads = cfg->threads;
	p.simd = cfg->simd;
	int rc = or_ann_search_items(ix, items, nq, k, &p, ann, NULL, log, err);
	if (rc)
		return rc;
	/* the mean, less two standard errors of it: a sample of a few hundred
	   queries measures the mean to +-0.004, and an index tuned on the mean
	   alone fell short of the target on other queries about half the time */
	double sum = 0, sq = 0;
	for (size_t q = 0; q < nq; q++) {
		double r = or_ann_recall(ann + q * k, truth + q * k, 1, k);
		sum += r;
		sq += r * r;
	}
	double mean = sum / (double)nq, var = sq / (double)nq - mean * mean;
	recall[0] = mean;
	recall[1] = mean - 2 * sqrt((var > 0 ? var : 0) / (double)nq);
	return OR_OK;
}

static int choose_nprobe(or_ann *ix, const or_ann_build_config *cfg,
			 double *out_recall, const or_log *log, or_err *err)
{
	size_t nq = cfg->tune_queries, k = 20;
	if (k > ix->n - 1)
		k = ix->n - 1;
	*out_recall = -1;
	if (nq == 0 || k == 0 || ix->nlist == 1) {
		size_t np = cfg->nprobe ? cfg->nprobe : (ix->nlist + 15) / 16;
		ix->nprobe = np < 1 ? 1 : np > ix->nlist ? ix->nlist : np;
		return OR_OK;
	}
	int64_t *items = malloc(nq * sizeof(int64_t));
	int64_t *truth = malloc(nq * k * sizeof(int64_t));
	int64_t *ann = malloc(nq * k * sizeof(int64_t));
	int rc = OR_OK;
	if (!items || !truth || !ann) {
		rc = or_err_set(err, OR_ENOMEM, "index build: out of memory");
		goto out;
	}
	or_ann_sample_items(ix->n, nq, cfg->seed + 7, items);
	rc = or_ann_exact_items(ix, items, nq, k, cfg->threads, cfg->simd, truth, log, err);
	if (rc)
		goto out;
	double target = cfg->target_recall, r[2] = { 0, 0 }, r_hi = 0;
	size_t lo = 0, hi = 1;
	for (;;) {
		or_log_progress(log, "choosing nprobe", (double)hi, (double)ix->nlist, "lists");
		rc = tune_recall(ix, items, nq, k, truth, ann, hi, cfg, r, log, err);
		if (rc)
			goto out;
		if (r[1] >= target || hi == ix->nlist)
			break;
		lo = hi;
		hi = hi * 2 < ix->nlist ? hi * 2 : ix->nlist;
	}
	r_hi = r[0];
	if (r[1] >= target) {
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			rc = tune_recall(ix, items, nq, k, truth, ann, mid, cfg, r, log, err);
			if (rc)
				goto out;
			if (r[1] >= target) {
				hi = mid;
				r_hi = r[0];
			} else {
				lo = mid;
			}
		}
	}
	ix->nprobe = hi;
	*out_recall = r_hi;
out:
	free(items);
	free(truth);
	free(ann);
	return rc;
}

void or_ann_rows_check(const float *x, size_t n, size_t d, int metric, size_t *bad,
		       double *norm2)
{
	*bad = SIZE_MAX;
	*norm2 = 0;
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * d;
		double s = 0;
		for (size_t j = 0; j < d; j++)
			s += (double)r[j] * r[j]; /* inf or NaN for a value that is not finite */
		if (!(s <= (metric == OR_METRIC_COS ? HUGE_VAL : OR_ANN_NORM2_MAX)) || s != s) {
			*bad = i;
			*norm2 = s;
			return;
		}
	}
}

int or_ann_row_error(or_err *err, int code, const char *what, size_t row, const uint32_t *aids,
		     double norm2, int metric)
{
	char aid[32] = "";
	if (aids)
		snprintf(aid, sizeof(aid), " (aid %u)", aids[row]);
	if (!isfinite(norm2))
		return or_err_set(err, code, "%s: row %zu%s has a value that is not finite", what, row,
				  aid);
	return or_err_set(err, code,
			  "%s: row %zu%s has squared norm %.3g, more than the %.3g that float32 %s distances between rows can take without overflowing (scale the vectors down, or use --metric cos)",
			  what, row, aid, norm2, OR_ANN_NORM2_MAX, or_metric_name(metric));
}

int or_ann_build(const float *data, size_t n, size_t d,
		 const or_ann_build_config *cfg, const char *path,
		 size_t *out_nprobe, double *out_recall,
		 const or_log *log, or_err *err)
{
	or_ann_build_config def;
	if (!cfg) {
		or_ann_build_config_default(&def);
		cfg = &def;
	}
	int metric = cfg->metric;
	if (!or_metric_name(metric))
		return or_err_set(err, OR_EINVAL, "index build: unknown metric %d", metric);
	if (n == 0 || d == 0 || !data)
		return or_err_set(err, OR_EINVAL, "index build: no vectors (%zu x %zu)", n, d);
	if (n >= UINT32_MAX || d > 65536)
		return or_err_set(err, OR_EINVAL, "index build: %zu x %zu is too large (rows < 2^32 - 1, dim <= 65536)", n, d);
	size_t nd;
	if (or_size_mul(n, d, &nd) || or_size_mul(nd, sizeof(float), &nd))
		return or_err_set(err, OR_ENOMEM, "index build: size overflow");
	size_t nlist = cfg->nlist ? cfg->nlist : or_ann_auto_nlist(n);
	if (nlist > n)
		nlist = n;
	if (nlist > UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "index build: nlist %zu too large", nlist);
	int threads = or_par_threads(cfg->threads), simd = cfg->simd;

	/* every value finite, no distance that overflows */
	size_t bad_row;
	double norm2;
	or_ann_rows_check(data, n, d, metric, &bad_row, &norm2);
	if (bad_row != SIZE_MAX)
		return or_ann_row_error(err, OR_EINVAL, "index build", bad_row, cfg->row_aids, norm2,
					metric);
	if (!cfg->row_aids && n > (size_t)OR_AID_MAX + 1)
		return or_err_set(err, OR_EINVAL, "index build: %zu rows are more than the aids 0..%u (give the rows' aids)",
				  n, OR_AID_MAX);
	for (size_t r = 0; cfg->row_aids && r < n; r++)
		if (cfg->row_aids[r] > OR_AID_MAX || (r > 0 && cfg->row_aids[r] <= cfg->row_aids[r - 1]))
			return or_err_set(err, OR_EINVAL, "index build: the row aids are not strictly increasing in 0..%u at row %zu",
					  OR_AID_MAX, r);

	size_t ntrain = nlist * (cfg->train_per_list ? cfg->train_per_list : 64);
	if (ntrain > n || ntrain / nlist < (cfg->train_per_list ? cfg->train_per_list : 64))
		ntrain = n;
	or_ann ix;
	memset(&ix, 0, sizeof(ix));
	ix.metric = metric;
	ix.n = n;
	ix.d = d;
	ix.nlist = nlist;
	ix.seed = cfg->seed;
	float *norm_copy = NULL, *train = NULL, *cent = NULL, *vecs = NULL, *norms = NULL, *cnorm = NULL;
	uint32_t *perm = NULL, *asg = NULL, *order = NULL, *ids = NULL, *pos = NULL;
	uint64_t *start = NULL;
	float *sq = NULL;
	uint8_t *codes = NULL;
	int rc = OR_OK;
	const float *X = data;
	if (metric == OR_METRIC_COS) {
		norm_copy = malloc(nd);
		if (!norm_copy)
			goto nomem;
		memcpy(norm_copy, data, nd);
		or_knn_normalize(norm_copy, n, d);
		X = norm_copy;
	}
	/* seeded sample: partial Fisher-Yates, then sorted for locality */
	perm = malloc(n * sizeof(uint32_t));
	train = malloc(ntrain * d * sizeof(float));
	cent = malloc(nlist * d * sizeof(float));
	cnorm = malloc(nlist * sizeof(float));
	asg = malloc(n * sizeof(uint32_t));
	order = malloc(n * sizeof(uint32_t));
	start = malloc((nlist + 1) * sizeof(uint64_t));
	if (!perm || !train || !cent || !cnorm || !asg || !order || !start)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	uint64_t s = cfg->seed;
	for (size_t i = 0; i < ntrain; i++) {
		size_t j = i + (size_t)(or_prng_splitmix(&s) % (n - i));
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	/* first nlist sampled rows (in draw order) are the initial centroids */
	for (size_t c = 0; c < nlist; c++)
		memcpy(cent + c * d, X + (size_t)perm[c] * d, d * sizeof(float));
	for (size_t i = 0; i < ntrain; i++)
		memcpy(train + i * d, X + (size_t)perm[i] * d, d * sizeof(float));
	free(perm);
	perm = NULL;

	for (unsigned it = 0; it < cfg->iterations && nlist > 1; it++) {
		or_log_progress(log, "k-means", it, cfg->iterations, "iterations");
		norms_of(cent, nlist, d, cnorm);
		rc = assign_rows(train, ntrain, d, cent, cnorm, nlist, metric, simd, threads, asg, NULL, log, err);
		if (rc)
			goto out;
		group_rows(asg, ntrain, nlist, start, order);
		update_centroids(train, d, start, order, nlist, metric, threads, cent);
	}
	or_log_progress(log, "k-means", cfg->iterations, cfg->iterations, "iterations");
	free(train);
	train = NULL;

	/* every row to its list */
	norms_of(cent, nlist, d, cnorm);
	rc = assign_rows(X, n, d, cent, cnorm, nlist, metric, simd, threads, asg, "assigning rows", log, err);
	if (rc)
		goto out;
	group_rows(asg, n, nlist, start, order);
	if (metric == OR_METRIC_L2 && sort_lists_by_norm(X, n, d, start, nlist, threads, order))
		goto nomem;
	vecs = malloc(nd);
	norms = malloc(n * sizeof(float));
	ids = order;
	order = NULL;
	pos = asg; /* reuse: the assignment is no longer needed */
	asg = NULL;
	if (!vecs || !norms)
		goto nomem;
	OMP(omp parallel for num_threads(threads) schedule(static) if (threads > 1))
	for (size_t p = 0; p < n; p++) {
		memcpy(vecs + p * d, X + (size_t)ids[p] * d, d * sizeof(float));
		norms_of(vecs + p * d, 1, d, norms + p);
	}
	for (size_t p = 0; p < n; p++)
		pos[ids[p]] = (uint32_t)p;
	free(norm_copy);
	norm_copy = NULL;

	ix.centroids = cent;
	ix.offsets = start;
	ix.ids = ids;
	ix.vecs = vecs;
	ix.norms = norms;
	ix.pos = pos;
	ix.nprobe = 1;
	ix.rerank = cfg->rerank ? cfg->rerank : 32;
	if (ix.rerank > UINT32_MAX)
		ix.rerank = UINT32_MAX;
	rc = or_ann_prepare(&ix, err);
	if (rc)
		goto out;
	sq = malloc(2 * d * sizeof(float));
	codes = malloc((size_t)ix.bstart[nlist] * 64 * or_ann_sq_groups(d) + 1);
	if (!sq || !codes)
		goto nomem;
	or_ann_sq_train(vecs, n, d, sq, sq + d);
	or_ann_sq_encode(vecs, start, nlist, d, sq, sq + d, ix.bstart, codes);
	ix.sq_min = sq;
	ix.sq_scale = sq + d;
	ix.codes = codes;
	double recall = -1;
	rc = choose_nprobe(&ix, cfg, &recall, log, err);
	if (rc)
		goto out;
	rc = write_index(&ix, cfg, ntrain, path, err);
	if (rc)
		goto out;
	if (out_nprobe)
		*out_nprobe = ix.nprobe;
	if (out_recall)
		*out_recall = recall;
	goto out;
nomem:
	rc = or_err_set(err, OR_ENOMEM, "index build: out of memory (%zu x %zu)", n, d);
out:
	free(ix.cnorms);
	free(ix.cpanel);
	free(ix.bstart);
	free(ix.bmin);
	free(sq);
	free(codes);
	free(norm_copy);
	free(train);
	free(cent);
	free(cnorm);
	free(perm);
	free(asg);
	free(order);
	free(start);
	free(vecs);
	free(norms);
	free(ids);
	free(pos);
	return rc;
}
