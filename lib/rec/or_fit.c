/* or_fit.c - fitting one XGBoost booster per type on a candidates
   directory, the validation metric, the model's meta JSON (see or_fit.h;
   the file itself is or_ranker_file.c). */
#include "or_fit.h"
#include "or_prng.h"
#include "or_ranker_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const type_names[3] = { "clicks", "carts", "orders" };
/* the fallback order of each type */
static const unsigned fallback[3][2] = { { 1, 2 }, { 2, 0 }, { 1, 0 } };

#define BATCH_ROWS ((size_t)1 << 20)

void or_fit_config_default(or_fit_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->negatives = 20;
	cfg->seed = 42;
	cfg->max_groups = 0;
	cfg->valid_share = 0.1;
	cfg->objective = "rank:pairwise";
	cfg->rounds = 20;
	cfg->depth = 6;
	cfg->eta = 0.4;
	cfg->min_child_weight = 1.0;
	cfg->subsample = 1.0;
	cfg->colsample = 1.0;
	cfg->threads = 0;
	cfg->rows_per_thread = OR_FIT_ROWS_PER_THREAD;
}

void or_fit_result_release(or_fit_result *res)
{
	for (int t = 0; t < 3; t++)
		free(res->type[t].gain);
	memset(res, 0, sizeof(*res));
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int row_positive(const or_cand_dir *d, size_t i, unsigned t)
{
	return d->labels[i * 3 + t] == 1.0f;
}

int or_fit_positive_groups(const or_cand_dir *d, unsigned t, size_t **groups, size_t *n,
			   or_err *err)
{
	*n = 0;
	*groups = malloc((d->n_groups ? d->n_groups : 1) * sizeof(**groups));
	if (!*groups)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	for (size_t g = 0; g < d->n_groups; g++)
		for (uint64_t i = d->group_off[g]; i < d->group_off[g + 1]; i++)
			if (row_positive(d, (size_t)i, t)) {
				(*groups)[(*n)++] = g;
				break;
			}
	return OR_OK;
}

/* ---- the metric --------------------------------------------------------- */

/* Row q is ranked before row p. */
static int beats(const double *s, const int64_t *aid, size_t q, size_t p)
{
	if (s[q] != s[p])
		return s[q] > s[p];
	return aid[q] != aid[p] ? aid[q] < aid[p] : q < p;
}

/* The metric's term of one group: rows [0, m) of scores s (and aids). */
static double group_term(const double *s, const int64_t *aid, const float *labels, unsigned t,
			 size_t m)
{
	size_t pos = 0, hits = 0;
	for (size_t p = 0; p < m; p++) {
		if (labels[p * 3 + t] != 1.0f)
			continue;
		pos++;
		size_t better = 0;
		for (size_t q = 0; q < m && better < OR_FIT_TOP; q++)
			better += q != p && beats(s, aid, q, p);
		hits += better < OR_FIT_TOP;
	}
	return pos ? (double)hits / (double)(pos < OR_FIT_TOP ? pos : OR_FIT_TOP) : 0.0;
}

size_t or_fit_baseline_column(const or_cand_dir *d, double *sign)
{
	for (size_t f = 0; d->names && f < d->n_features; f++)
		if (d->names[f] && !strcmp(d->names[f], "stage1_rank")) {
			*sign = -1.0;
			return f;
		}
	*sign = 1.0;
	return 0;
}

int or_fit_metric(or_ranker *r, const or_cand_dir *d, unsigned t, const size_t *groups,
		  size_t n, double *metric, or_err *err)
{
	*metric = NAN;
	if (n == 0)
		return OR_OK;
	size_t nf = d->n_features, cap = BATCH_ROWS;
	for (size_t k = 0; k < n; k++) {
		size_t m = (size_t)(d->group_off[groups[k] + 1] - d->group_off[groups[k]]);
		if (m > cap)
			cap = m;
	}
	float *x = r ? malloc(cap * nf * sizeof(float)) : NULL;
	double *s = malloc(cap * sizeof(double));
	if ((r && !x) || !s) {
		free(x);
		free(s);
		return or_err_set(err, OR_ENOMEM, "out of memory scoring %zu rows", cap);
	}
	double base_sign;
	size_t base_col = or_fit_baseline_column(d, &base_sign);
	double sum = 0.0;
	int rc = OR_OK;
	for (size_t k0 = 0; k0 < n && !rc;) {
		/* a batch of whole groups: [k0, k1) */
		size_t k1 = k0, rows = 0;
		while (k1 < n) {
			size_t m = (size_t)(d->group_off[groups[k1] + 1] - d->group_off[groups[k1]]);
			if (rows + m > cap)
				break;
			if (r)
				memcpy(x + rows * nf, d->x + d->group_off[groups[k1]] * nf, m * nf * sizeof(float));
			else
				for (size_t i = 0; i < m; i++) {
					float v = d->x[(d->group_off[groups[k1]] + i) * nf + base_col];
					s[rows + i] = isnan(v) ? -INFINITY : base_sign * (double)v;
				}
			rows += m;
			k1++;
		}
		if (r)
			rc = or_ranker_score(r, t, x, rows, nf, s, err);
		for (size_t k = k0, at = 0; !rc && k < k1; k++) {
			uint64_t o = d->group_off[groups[k]];
			size_t m = (size_t)(d->group_off[groups[k] + 1] - o);
			sum += group_term(s + at, d->aid + o, d->labels + o * 3, t, m);
			at += m;
		}
		k0 = k1;
	}
	free(x);
	free(s);
	if (!rc)
		*metric = sum / (double)n;
	return rc;
}

/* ---- sampling ----------------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Of the groups pos[0..n): a seeded sample of at most max_groups, split
   into held-out valid[0..*nv) and fitted train[0..*nt), each ascending. */
static int split_groups(const size_t *pos, size_t n, const or_fit_config *cfg, unsigned t,
			size_t *valid, size_t *nv, size_t *train, size_t *nt, or_err *err)
{
	uint32_t *perm = malloc((n ? n : 1) * sizeof(*perm));
	if (!perm)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	or_prng rng;
	or_prng_seed(&rng, cfg->seed, (3ull << 40) + t);
	or_prng_permutation(&rng, perm, n);
	size_t used = cfg->max_groups && cfg->max_groups < n ? cfg->max_groups : n;
	size_t v = (size_t)floor(cfg->valid_share * (double)used + 0.5);
	if (v >= used)
		v = used ? used - 1 : 0;
	for (size_t k = 0; k < v; k++)
		valid[k] = pos[perm[k]];
	for (size_t k = v; k < used; k++)
		train[k - v] = pos[perm[k]];
	free(perm);
	qsort(valid, v, sizeof(*valid), cmp_size);
	qsort(train, used - v, sizeof(*train), cmp_size);
	*nv = v;
	*nt = used - v;
	return OR_OK;
}

/* The rows fitted on of group g: positives and at most cfg->negatives
   negatives (seeded), ascending, appended to rows[*n..]; neg is scratch of
   the group's size. */
static void sample_group(const or_cand_dir *d, size_t g, unsigned t, const or_fit_config *cfg,
			 uint64_t *rows, size_t *n, uint32_t *neg)
{
	uint64_t o = d->group_off[g];
	size_t m = (size_t)(d->group_off[g + 1] - o), nn = 0, start = *n;
	for (size_t i = 0; i < m; i++) {
		if (row_positive(d, (size_t)(o + i), t))
			rows[(*n)++] = o + i;
		else
			neg[nn++] = (uint32_t)i;
	}
	size_t keep = nn < cfg->negatives ? nn : cfg->negatives;
	if (keep < nn) {
		or_prng rng;
		or_prng_seed(&rng, cfg->seed, ((uint64_t)t << 40) + g);
		for (size_t k = 0; k < keep; k++) { /* partial Fisher-Yates */
			size_t j = k + (size_t)or_prng_below(&rng, nn - k);
			uint32_t tmp = neg[k];
			neg[k] = neg[j];
			neg[j] = tmp;
		}
		qsort(neg, keep, sizeof(*neg), cmp_u32);
	}
	/* merge the positives (rows[start..*n)) and the kept negatives in row order */
	size_t np = *n - start, a = np, b = keep, w = np + keep;
	while (b > 0) {
		uint64_t nb = o + neg[b - 1];
		if (a > 0 && rows[start + a - 1] > nb)
			rows[start + --w] = rows[start + --a];
		else
			rows[start + --w] = nb, b--;
	}
	*n = start + np + keep;
}

/* ---- fitting one type ----------------------------------------------------- */

#define XGB(call, what)                                                  \
	do {                                                             \
		if ((call) != 0) {                                       \
			rc = or_xgb_error(err, OR_EINVAL, what);          \
			goto done;                                       \
		}                                                        \
	} while (0)

static int set_param_num(BoosterHandle b, const char *name, double v)
{
	char s[40];
	snprintf(s, sizeof(s), "%.17g", v);
	return XGBoosterSetParam(b, name, s);
}

static int fit_type(const or_cand_dir *d, const char *dir, unsigned t, const or_fit_config *cfg,
		    int nthread, const size_t *train, size_t nt, or_fit_type *out, BoosterHandle *boost,
		    const or_log *log, or_err *err)
{
	size_t nf = d->n_features, n_rows = 0, max_group = 0;
	for (size_t k = 0; k < nt; k++) {
		size_t m = (size_t)(d->group_off[train[k] + 1] - d->group_off[train[k]]);
		size_t keep = m; /* an upper bound of the sampled rows */
		n_rows += keep;
		if (m > max_group)
			max_group = m;
	}
	int rc = OR_OK;
	uint64_t *rows = malloc((n_rows ? n_rows : 1) * sizeof(*rows));
	uint32_t *neg = malloc((max_group ? max_group : 1) * sizeof(*neg));
	unsigned *gsize = malloc((nt ? nt : 1) * sizeof(*gsize));
	float *x = NULL, *y = NULL;
	DMatrixHandle dm = NULL;
	BoosterHandle b = NULL;
	char what[128];
	snprintf(what, sizeof(what), "fitting %s on %s", type_names[t], dir);
	if (!rows || !neg || !gsize) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
		goto done;
	}
	size_t n = 0;
	for (size_t k = 0; k < nt; k++) {
		size_t before = n;
		sample_group(d, train[k], t, cfg, rows, &n, neg);
		gsize[k] = (unsigned)(n - before);
	}
	size_t nx;
	if (or_size_mul(n, nf * sizeof(float), &nx) || !(x = malloc(nx ? nx : 1)) ||
	    !(y = malloc((n ? n : 1) * sizeof(float)))) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory for %zu rows of %zu features", n, nf);
		goto done;
	}
	size_t npos = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(x + i * nf, d->x + rows[i] * nf, nf * sizeof(float));
		y[i] = row_positive(d, (size_t)rows[i], t) ? 1.0f : 0.0f;
		npos += y[i] != 0.0f;
	}
	free(rows);
	rows = NULL;
	out->groups = nt;
	out->rows = n;
	out->positives = npos;
	XGB(XGDMatrixCreateFromMat_omp(x, (bst_ulong)n, (bst_ulong)nf, NAN, &dm, nthread), what);
	free(x);
	x = NULL;
	XGB(XGDMatrixSetFloatInfo(dm, "label", y, (bst_ulong)n), what);
	XGB(XGDMatrixSetUIntInfo(dm, "group", gsize, (bst_ulong)nt), what);
	XGB(XGBoosterCreate(&dm, 1, &b), what);
	XGB(XGBoosterSetParam(b, "verbosity", "0"), what);
	XGB(XGBoosterSetParam(b, "objective", cfg->objective), what);
	XGB(XGBoosterSetParam(b, "tree_method", "hist"), what);
	XGB(set_param_num(b, "nthread", nthread), what);
	XGB(set_param_num(b, "seed", (double)cfg->seed), what);
	XGB(set_param_num(b, "max_depth", cfg->depth), what);
	XGB(set_param_num(b, "eta", cfg->eta), what);
	XGB(set_param_num(b, "min_child_weight", cfg->min_child_weight), what);
	XGB(set_param_num(b, "subsample", cfg->subsample), what);
	XGB(set_param_num(b, "colsample_bytree", cfg->colsample), what);
	char stage[32];
	snprintf(stage, sizeof(stage), "fit %s", type_names[t]);
	for (int it = 0; it < cfg->rounds; it++) {
		if (or_log_cancelled(log)) {
			rc = or_err_set(err, OR_ECANCELLED, "fit: interrupted");
			goto done;
		}
		XGB(XGBoosterUpdateOneIter(b, it, dm), what);
		or_log_progress(log, stage, it + 1, cfg->rounds, "rounds");
	}
	/* the gain of each feature ("f<index>": no names were given) */
	bst_ulong nfo = 0, dim = 0;
	const char **fnames = NULL;
	const bst_ulong *shape = NULL;
	const float *sc = NULL;
	XGB(XGBoosterFeatureScore(b, "{\"importance_type\":\"gain\"}", &nfo, &fnames, &dim, &shape, &sc),
	    what);
	for (bst_ulong k = 0; k < nfo; k++) {
		char *end;
		unsigned long f = fnames[k][0] == 'f' ? strtoul(fnames[k] + 1, &end, 10) : nf;
		if (f < nf)
			out->gain[f] = (double)sc[k];
	}
done:
	if (dm)
		XGDMatrixFree(dm);
	if (rc && b) {
		XGBoosterFree(b);
		b = NULL;
	}
	*boost = b;
	free(rows);
	free(neg);
	free(gsize);
	free(x);
	free(y);
	return rc;
}

/* ---- the meta JSON ---------------------------------------------------------- */

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

char *or_fit_json(const or_cand_dir *d, const or_fit_config *cfg, const or_fit_result *res,
		  int with_seconds)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "{\"format\":\"ottorec-ranker\",\"version\":%u,\"features\":[", OR_RANKER_VERSION);
	for (size_t k = 0; k < d->n_features; k++)
		fprintf(f, "%s\"%s\"", k ? "," : "", d->names[k]);
	fprintf(f, "],\"settings\":%s,\"types\":{", d->settings_json);
	for (int t = 0; t < 3; t++)
		fprintf(f, "%s\"%s\":{\"model\":\"%s\",\"uses\":\"%s\"}", t ? "," : "", type_names[t],
			res->type[t].fitted ? "gbt" : "fallback", type_names[res->type[t].uses]);
	fprintf(f, "},\"fit\":{\"objective\":\"%s\",\"rounds\":%d,\"depth\":%d,\"eta\":", cfg->objective,
		cfg->rounds, cfg->depth);
	json_num(f, cfg->eta);
	fputs(",\"min_child_weight\":", f);
	json_num(f, cfg->min_child_weight);
	fputs(",\"subsample\":", f);
	json_num(f, cfg->subsample);
	fputs(",\"colsample\":", f);
	json_num(f, cfg->colsample);
	fprintf(f, ",\"negatives\":%zu,\"max_groups\":%zu,\"valid_share\":", cfg->negatives, cfg->max_groups);
	json_num(f, cfg->valid_share);
	fprintf(f, ",\"seed\":%llu,\"tree_method\":\"hist\"},\"summary\":{", (unsigned long long)cfg->seed);
	for (int t = 0; t < 3; t++) {
		const or_fit_type *r = &res->type[t];
		fprintf(f, "%s\"%s\":{\"groups_with_positives\":%zu,\"groups\":%zu,\"valid_groups\":%zu,"
			"\"rows\":%zu,\"positives\":%zu,\"valid_metric\":", t ? "," : "", type_names[t],
			r->groups_with_positives, r->groups, r->valid_groups, r->rows, r->positives);
		json_num(f, r->valid_metric);
		fputs(",\"baseline_metric\":", f);
		json_num(f, r->baseline_metric);
		if (with_seconds) {
			fputs(",\"seconds\":", f);
			json_num(f, r->seconds);
		}
		fputs(",\"gain\":{", f);
		for (size_t k = 0; r->fitted && k < d->n_features; k++) {
			fprintf(f, "%s\"%s\":", k ? "," : "", d->names[k]);
			json_num(f, r->gain[k]);
		}
		fputs("}}", f);
	}
	fprintf(f, "},\"xgboost\":\"%d.%d.%d\",\"nthread\":%d}", res->xgb_version[0], res->xgb_version[1],
		res->xgb_version[2], res->nthread);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- the whole fit ------------------------------------------------------------ */

static int config_check(const or_fit_config *c, or_err *err)
{
	if (!c->objective || (strcmp(c->objective, "rank:pairwise") && strcmp(c->objective, "rank:ndcg") &&
			      strcmp(c->objective, "binary:logistic")))
		return or_err_set(err, OR_EINVAL, "fit: objective must be rank:pairwise, rank:ndcg or binary:logistic");
	if (c->rounds < 1 || c->depth < 1 || c->depth > 32 || !(c->eta > 0) || !(c->min_child_weight >= 0) ||
	    !(c->subsample > 0 && c->subsample <= 1) || !(c->colsample > 0 && c->colsample <= 1) ||
	    !(c->valid_share >= 0 && c->valid_share <= 0.9) || c->seed > INT32_MAX || c->threads < 0)
		return or_err_set(err, OR_EINVAL, "fit: a parameter is out of range");
	return OR_OK;
}

int or_fit_run(const or_cand_dir *d, const char *dir, const or_fit_config *cfg,
	       const char *model_path, or_fit_result *res, or_ranker **trained,
	       const or_log *log, or_err *err)
{
	memset(res, 0, sizeof(*res));
	if (trained)
		*trained = NULL;
	int rc = config_check(cfg, err);
	if (rc)
		return rc;
	or_xgb_quiet();
	res->n_features = d->n_features;
	res->nthread = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	/* small tables: XGBoost's many short parallel regions cost more than
	   they give (its threads spin at each barrier; measured 7.9 s with one
	   thread against 110 s with two on a busy 2-core box for 20 k rows) */
	if (cfg->rows_per_thread && (size_t)res->nthread > 1 + d->n_rows / cfg->rows_per_thread)
		res->nthread = (int)(1 + d->n_rows / cfg->rows_per_thread);
	if (res->nthread < 1)
		res->nthread = 1;
	XGBoostVersion(&res->xgb_version[0], &res->xgb_version[1], &res->xgb_version[2]);
	size_t *pos[3] = { NULL, NULL, NULL }, *valid[3] = { NULL, NULL, NULL }, *train = NULL;
	size_t npos[3] = { 0, 0, 0 };
	BoosterHandle boost[3] = { NULL, NULL, NULL };
	or_ranker *r = NULL;
	char *meta = NULL;
	for (unsigned t = 0; t < 3 && !rc; t++) {
		rc = or_fit_positive_groups(d, t, &pos[t], &npos[t], err);
		res->type[t].groups_with_positives = npos[t];
		res->type[t].valid_metric = res->type[t].baseline_metric = NAN;
		if (!rc && !(res->type[t].gain = calloc(d->n_features, sizeof(double))))
			rc = or_err_set(err, OR_ENOMEM, "out of memory");
	}
	if (!rc && !npos[0] && !npos[1] && !npos[2])
		rc = or_err_set(err, OR_EFORMAT, "%s: no row is labelled with any type: nothing to fit on "
				"(are the candidates of a split with labels?)", dir);
	for (unsigned t = 0; t < 3 && !rc; t++) {
		or_fit_type *ft = &res->type[t];
		if (!npos[t])
			continue;
		double t0 = now_seconds();
		size_t nv = 0, nt = 0;
		valid[t] = malloc(npos[t] * sizeof(size_t));
		train = malloc(npos[t] * sizeof(size_t));
		if (!valid[t] || !train)
			rc = or_err_set(err, OR_ENOMEM, "out of memory");
		if (!rc)
			rc = split_groups(pos[t], npos[t], cfg, t, valid[t], &nv, train, &nt, err);
		if (!rc)
			rc = fit_type(d, dir, t, cfg, res->nthread, train, nt, ft, &boost[t], log, err);
		free(train);
		train = NULL;
		ft->valid_groups = nv;
		ft->fitted = 1;
		ft->uses = t;
		ft->seconds = now_seconds() - t0;
	}
	for (unsigned t = 0; t < 3 && !rc; t++) {
		if (npos[t])
			continue;
		unsigned u = npos[fallback[t][0]] ? fallback[t][0] : fallback[t][1];
		res->type[t].uses = u;
		or_log_msg(log, OR_LOG_WARN, "%s: no candidate is labelled %s: %s uses the %s model", dir,
			   type_names[t], type_names[t], type_names[u]);
	}
	if (!rc) {
		unsigned uses[3] = { res->type[0].uses, res->type[1].uses, res->type[2].uses };
		rc = or_ranker_gbt_new(d->n_features, (const char *const *)d->names, model_path, boost, uses,
				       d->settings_json, "{}", &r, err);
	}
	for (unsigned t = 0; t < 3 && !rc; t++) {
		or_fit_type *ft = &res->type[t];
		if (!ft->fitted)
			continue;
		or_ranker_set_threads(r, res->nthread);
		rc = or_fit_metric(r, d, t, valid[t], ft->valid_groups, &ft->valid_metric, err);
		if (!rc)
			rc = or_fit_metric(NULL, d, t, valid[t], ft->valid_groups, &ft->baseline_metric, err);
	}
	if (!rc && !(meta = or_fit_json(d, cfg, res, 0)))
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc) {
		/* the boosters' bytes: XGBoost's buffer lives until its next call
		   on that booster, so each is copied */
		void *ubj[3] = { NULL, NULL, NULL };
		size_t bytes[3] = { 0, 0, 0 };
		for (unsigned t = 0; t < 3 && !rc; t++) {
			if (!res->type[t].fitted)
				continue;
			bst_ulong len = 0;
			const char *buf = NULL;
			if (XGBoosterSaveModelToBuffer(r->boost[t], "{\"format\":\"ubj\"}", &len, &buf) != 0)
				rc = or_xgb_error(err, OR_EINVAL, "saving the model");
			else if (!(ubj[t] = malloc(len ? len : 1)))
				rc = or_err_set(err, OR_ENOMEM, "out of memory");
			else
				memcpy(ubj[t], buf, bytes[t] = (size_t)len);
		}
		or_ranker_file_fields fields = {
			.n_features = (uint32_t)d->n_features, .nthread = (uint32_t)res->nthread,
			.uses = { res->type[0].uses, res->type[1].uses, res->type[2].uses },
			.xgb_version = { (uint32_t)res->xgb_version[0], (uint32_t)res->xgb_version[1],
					 (uint32_t)res->xgb_version[2] },
		};
		if (!rc)
			rc = or_ranker_file_write(model_path, meta, (const void *const *)ubj, bytes, &fields, err);
		for (unsigned t = 0; t < 3; t++)
			free(ubj[t]);
	}
	if (!rc) {
		free(r->meta);
		r->meta = meta;
		meta = NULL;
	}
	for (unsigned t = 0; t < 3; t++) {
		free(pos[t]);
		free(valid[t]);
		if (boost[t])
			XGBoosterFree(boost[t]);
	}
	free(meta);
	if (!rc && trained)
		*trained = r;
	else
		or_ranker_free(r);
	return rc;
}
