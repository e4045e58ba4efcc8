/*
 * or_ann_index.c - an open IVF index: mapping and checking the file (layout
 * in or_ann.h), and recall against exact search (the search itself is in
 * or_ann_search.c).
 */
#include "or_ann.h"
#include "or_par.h"
#include "or_ann_internal.h"
#include "or_knn_internal.h"
#include "or_store.h" /* OR_AID_MAX */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sec_names[OR_ANN_N_SECTIONS] = {
	"centroids", "offsets", "ids", "vectors", "norms", "positions", "quantiser", "codes",
	"aids"
};
const or_sfile_format or_ann_format = {
	.magic = "ORANNIVF", .version = OR_ANN_VERSION, .align = 4096,
	.n_sections = OR_ANN_N_SECTIONS, .section_names = sec_names, .what = "index",
	.rebuild = "rebuild it with `ottorec index build`",
};

int or_ann_prepare(or_ann *ix, or_err *err)
{
	ix->cnorms = malloc(ix->nlist * sizeof(float));
	ix->bstart = malloc((ix->nlist + 1) * sizeof(uint64_t));
	if (!ix->cnorms || !ix->bstart)
		return or_err_set(err, OR_ENOMEM, "index: out of memory");
	or_ann_sq_blocks(ix->offsets, ix->nlist, ix->bstart);
	ix->bmin = malloc((ix->bstart[ix->nlist] ? ix->bstart[ix->nlist] : 1) * sizeof(float));
	if (!ix->bmin)
		return or_err_set(err, OR_ENOMEM, "index: out of memory");
	ix->nmax = 0;
	for (size_t l = 0; l < ix->nlist; l++)
		for (uint64_t p = ix->offsets[l]; p < ix->offsets[l + 1]; p++) {
			uint64_t b = ix->bstart[l] + (p - ix->offsets[l]) / 16;
			float v = ix->norms[p];
			if (p == ix->offsets[l] || (p - ix->offsets[l]) % 16 == 0 || v < ix->bmin[b])
				ix->bmin[b] = v;
			if (v > ix->nmax)
				ix->nmax = v;
		}
	for (size_t c = 0; c < ix->nlist; c++) {
		const float *v = ix->centroids + c * ix->d;
		float s = 0;
		for (size_t j = 0; j < ix->d; j++)
			s += v[j] * v[j];
		ix->cnorms[c] = s;
	}
	return or_ann_probe_panels(ix, err);
}

void or_ann_free(or_ann *ix)
{
	if (!ix)
		return;
	or_sfile_release(&ix->f);
	free(ix->cnorms);
	free(ix->cpanel);
	free(ix->bstart);
	free(ix->bmin);
	or_items_free(ix->items);
	free(ix);
}

/* The sizes the header's counts give every section but the codes, whose
   size follows from the offsets. */
static int check_sizes(const or_ann *ix, or_err *err)
{
	const or_sfile *f = &ix->f;
	size_t nd, cd;
	if (or_size_mul(ix->n, ix->d, &nd) || or_size_mul(ix->nlist, ix->d, &cd))
		return or_sfile_damaged(f, err, "sizes overflow");
	int rc = or_sfile_expect(f, OR_ANN_SEC_CENTROIDS, cd, 4, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_OFFSETS, ix->nlist + 1, 8, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_IDS, ix->n, 4, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_VECTORS, nd, 4, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_NORMS, ix->n, 4, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_POSITIONS, ix->n, 4, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_QUANTISER, 2 * ix->d, 4, err);
	if (!rc)
		rc = or_sfile_expect(f, OR_ANN_SEC_AIDS, ix->n, 4, err);
	return rc;
}

int or_ann_open(const char *path, or_ann **out, or_err *err)
{
	*out = NULL;
	or_ann *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return or_err_set(err, OR_ENOMEM, "index: out of memory");
	or_sfile *f = &ix->f;
	int rc = or_sfile_open(f, path, &or_ann_format, err);
	if (rc)
		goto fail;
	or_ann_meta m;
	or_sfile_meta(f, &m, sizeof(m));
	ix->metric = (int)m.metric;
	ix->d = m.dim;
	ix->nlist = m.nlist;
	ix->nprobe = m.nprobe;
	ix->seed = m.seed;
	ix->rerank = m.rerank;
	if (!or_metric_name(ix->metric) || ix->d == 0 || ix->d > 65536 || m.n == 0 || m.n > UINT32_MAX ||
	    ix->rerank == 0 || ix->nlist == 0 || ix->nlist > m.n || ix->nprobe == 0 ||
	    ix->nprobe > ix->nlist) {
		rc = or_sfile_damaged(f, err, "header values out of range");
		goto fail;
	}
	ix->n = (size_t)m.n;
	rc = check_sizes(ix, err);
	/* the codes' size follows from the offsets, once they passed their
	   checksum */
	if (!rc)
		rc = or_sfile_verify_section(f, OR_ANN_SEC_OFFSETS, err);
	if (rc)
		goto fail;
	const uint64_t *o = or_sfile_section_data(f, OR_ANN_SEC_OFFSETS);
	if (o[0] != 0 || o[ix->nlist] != ix->n || or_ann_sq_blocks(o, ix->nlist, NULL)) {
		rc = or_sfile_damaged(f, err, "list offsets do not cover the rows in order");
		goto fail;
	}
	uint64_t nb = 0;
	for (size_t l = 0; l < ix->nlist; l++)
		nb += (o[l + 1] - o[l] + 15) / 16;
	rc = or_sfile_expect(f, OR_ANN_SEC_CODES, nb * 64 * or_ann_sq_groups(ix->d), 1, err);
	if (!rc)
		rc = or_sfile_verify(f, NULL, err);
	if (rc)
		goto fail;
	ix->centroids = or_sfile_section_data(f, OR_ANN_SEC_CENTROIDS);
	ix->offsets = o;
	ix->ids = or_sfile_section_data(f, OR_ANN_SEC_IDS);
	ix->vecs = or_sfile_section_data(f, OR_ANN_SEC_VECTORS);
	ix->norms = or_sfile_section_data(f, OR_ANN_SEC_NORMS);
	ix->pos = or_sfile_section_data(f, OR_ANN_SEC_POSITIONS);
	ix->sq_min = or_sfile_section_data(f, OR_ANN_SEC_QUANTISER);
	ix->sq_scale = ix->sq_min + ix->d;
	ix->codes = or_sfile_section_data(f, OR_ANN_SEC_CODES);
	ix->aids = or_sfile_section_data(f, OR_ANN_SEC_AIDS);
	for (size_t j = 0; j < ix->d; j++)
		if (!isfinite(ix->sq_min[j]) || !(ix->sq_scale[j] > 0) || !isfinite(ix->sq_scale[j])) {
			rc = or_sfile_damaged(f, err, "quantiser values out of range");
			goto fail;
		}
	/* the rows build would take (stored in list order: name the row) */
	size_t bad;
	double norm2;
	or_ann_rows_check(ix->vecs, ix->n, ix->d, ix->metric, &bad, &norm2);
	if (bad != SIZE_MAX && ix->ids[bad] < ix->n) {
		char what[64];
		snprintf(what, sizeof(what), "damaged %s", or_ann_format.what);
		or_err e;
		or_ann_row_error(&e, OR_EFORMAT, what, ix->ids[bad], ix->aids, norm2, ix->metric);
		rc = or_err_set(err, OR_EFORMAT, "%s: %s; %s", path, e.msg, or_ann_format.rebuild);
		goto fail;
	} else if (bad != SIZE_MAX) {
		rc = or_sfile_damaged(f, err, "a vector that is not finite or too large");
		goto fail;
	}
	for (size_t p = 0; p < ix->n; p++)
		if (ix->ids[p] >= ix->n || ix->pos[ix->ids[p]] != p) {
			rc = or_sfile_damaged(f, err, "ids and positions disagree");
			goto fail;
		}
	rc = or_items_new(ix->aids, ix->n, 0, path, &ix->items, err);
	if (rc == OR_EFORMAT) {
		rc = or_sfile_damaged(f, err, "row aids are not strictly increasing in 0..%u", OR_AID_MAX);
		goto fail;
	}
	if (!rc)
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
const or_items *or_ann_items(const or_ann *ix) { return ix->items; }

const float *or_ann_vector(const or_ann *ix, int64_t item)
{
	if (item < 0 || (uint64_t)item >= ix->n)
		return NULL;
	return ix->vecs + (size_t)ix->pos[item] * ix->d;
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
		items[i] = (int64_t)(or_prng_splitmix(&s) % n);
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
