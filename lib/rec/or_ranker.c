/* or_ranker.c - the ranker handle: the linear ranker, gbt scoring through
   XGBoost's in-place predictor, feature checks (see or_ranker.h; the model
   file is or_ranker_file.c, fitting or_fit.c). */
#include "or_ranker_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[3] = { "clicks", "carts", "orders" };

void or_xgb_quiet(void)
{
	XGBSetGlobalConfig("{\"verbosity\":0}");
}

int or_xgb_error(or_err *err, int code, const char *what)
{
	const char *m = XGBGetLastError();
	if (!m)
		m = "";
	/* "[23:55:51] ./src/...: Check failed: ..." - drop the time stamp */
	if (m[0] == '[') {
		const char *e = strstr(m, "] ");
		if (e && e - m < 16)
			m = e + 2;
	}
	int len = (int)strcspn(m, "\n");
	return or_err_set(err, code, "%s: XGBoost: %.*s", what, len, m);
}

static or_ranker *ranker_alloc(size_t n_features, const char *const *names, const char *path)
{
	or_ranker *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->n_features = n_features;
	r->names = calloc(n_features ? n_features : 1, sizeof(*r->names));
	r->path = strdup(path);
	int ok = r->names && r->path;
	for (size_t f = 0; ok && f < n_features; f++)
		ok = (r->names[f] = strdup(names[f])) != NULL;
	if (!ok) {
		or_ranker_free(r);
		return NULL;
	}
	return r;
}

int or_ranker_linear_new(size_t n_features, const char *const *names, const double *w,
			 or_ranker **out, or_err *err)
{
	*out = NULL;
	size_t nw;
	if (or_size_mul(n_features, 3 * sizeof(double), &nw))
		return or_err_set(err, OR_EINVAL, "linear ranker: %zu features is too many", n_features);
	or_ranker *r = ranker_alloc(n_features, names, "(linear weights)");
	if (!r || !(r->w = malloc(nw ? nw : 1)) || !(r->settings = strdup("{}")) || !(r->meta = strdup("{}"))) {
		or_ranker_free(r);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	memcpy(r->w, w, nw);
	r->kind = OR_RANKER_LINEAR;
	for (unsigned t = 0; t < 3; t++)
		r->uses[t] = t;
	*out = r;
	return OR_OK;
}

int or_ranker_gbt_new(size_t n_features, const char *const *names, const char *path,
		      BoosterHandle boost[3], const unsigned uses[3], const char *settings,
		      const char *meta, or_ranker **out, or_err *err)
{
	*out = NULL;
	or_ranker *r = ranker_alloc(n_features, names, path);
	if (!r || !(r->settings = strdup(settings)) || !(r->meta = strdup(meta))) {
		or_ranker_free(r);
		for (unsigned t = 0; t < 3; t++) {
			if (boost[t])
				XGBoosterFree(boost[t]);
			boost[t] = NULL;
		}
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	r->kind = OR_RANKER_GBT;
	for (unsigned t = 0; t < 3; t++) {
		r->boost[t] = boost[t];
		r->uses[t] = uses[t];
		boost[t] = NULL;
	}
	or_ranker_set_threads(r, 0);
	*out = r;
	return OR_OK;
}

size_t or_ranker_n_features(const or_ranker *r) { return r->n_features; }

const char *or_ranker_feature_name(const or_ranker *r, size_t f)
{
	return f < r->n_features ? r->names[f] : NULL;
}

const char *or_ranker_settings_json(const or_ranker *r) { return r->settings; }
const char *or_ranker_meta_json(const or_ranker *r) { return r->meta; }
int or_ranker_type_fitted(const or_ranker *r, unsigned t) { return t < 3 && r->uses[t] == t; }
unsigned or_ranker_type_uses(const or_ranker *r, unsigned t) { return t < 3 ? r->uses[t] : 0; }

/* "a,b,c" into buf, abbreviated to "a,b,... (N in all)" past ~200 bytes. */
static void name_list(char *buf, size_t cap, const char *const *names, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t f = 0; f < n; f++) {
		size_t l = strlen(names[f]);
		if (len + l + 1 > 200 || len + l + 1 >= cap) {
			snprintf(buf + len, cap - len, "%s... (%zu in all)", len ? "," : "", n);
			return;
		}
		snprintf(buf + len, cap - len, "%s%s", len ? "," : "", names[f]);
		len += l + (len ? 1 : 0);
	}
}

int or_ranker_check_features(const or_ranker *r, const char *const *names, size_t n, or_err *err)
{
	size_t i = 0;
	while (i < n && i < r->n_features && !strcmp(names[i], r->names[i]))
		i++;
	if (i == n && i == r->n_features)
		return OR_OK;
	char mine[320], theirs[320], diff[640];
	name_list(mine, sizeof(mine), (const char *const *)r->names, r->n_features);
	name_list(theirs, sizeof(theirs), names, n);
	if (i < n && i < r->n_features)
		snprintf(diff, sizeof(diff), "feature %zu is '%s' in the model, '%s' in the candidates", i,
			 r->names[i], names[i]);
	else if (i < r->n_features)
		snprintf(diff, sizeof(diff), "the candidates have %zu features, the model %zu (next: '%s')", n,
			 r->n_features, r->names[i]);
	else
		snprintf(diff, sizeof(diff), "the candidates have %zu features, the model %zu (extra: '%s')", n,
			 r->n_features, names[i]);
	return or_err_set(err, OR_EFORMAT, "model %s expects features %s but the candidates have %s: %s",
			  r->path, mine, theirs, diff);
}

void or_ranker_set_threads(or_ranker *r, int threads)
{
	r->threads = threads > 0 ? threads : 0;
	if (r->kind != OR_RANKER_GBT)
		return;
	char v[16];
	snprintf(v, sizeof(v), "%d", r->threads);
	for (unsigned t = 0; t < 3; t++)
		if (r->boost[t])
			XGBoosterSetParam(r->boost[t], "nthread", v);
}

static int score_gbt(or_ranker *r, unsigned t, const float *x, size_t n, size_t stride,
		     double *scores, or_err *err)
{
	BoosterHandle b = r->boost[r->uses[t]];
	/* numpy's __array_interface__ over the caller's rows, strided: no copy */
	char arr[256], what[600];
	snprintf(arr, sizeof(arr),
		 "{\"data\":[%llu,true],\"shape\":[%zu,%zu],\"strides\":[%zu,4],\"typestr\":\"<f4\",\"version\":3}",
		 (unsigned long long)(uintptr_t)x, n, r->n_features, stride * sizeof(float));
	static const char cfg[] =
		"{\"type\":1,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
		"\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0;
	const float *out = NULL;
	snprintf(what, sizeof(what), "%s: scoring %s", r->path, type_names[t]);
	if (XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &out) != 0)
		return or_xgb_error(err, OR_EINVAL, what);
	bst_ulong got = 1;
	for (bst_ulong d = 0; d < dim; d++)
		got *= shape[d];
	if (got != n)
		return or_err_set(err, OR_EINVAL, "%s: XGBoost gave %llu scores for %zu rows", what,
				  (unsigned long long)got, n);
	for (size_t i = 0; i < n; i++)
		scores[i] = (double)out[i];
	return OR_OK;
}

int or_ranker_score(or_ranker *r, unsigned t, const float *x, size_t n, size_t stride,
		    double *scores, or_err *err)
{
	if (t > 2)
		return or_err_set(err, OR_EINVAL, "ranker: type %u is not 0..2", t);
	if (stride < r->n_features)
		return or_err_set(err, OR_EINVAL, "ranker: stride %zu below the %zu features", stride,
				  r->n_features);
	if (n == 0)
		return OR_OK;
	if (r->kind == OR_RANKER_GBT)
		return score_gbt(r, t, x, n, stride, scores, err);
	const double *w = r->w + (size_t)t * r->n_features;
	for (size_t i = 0; i < n; i++) {
		const float *xi = x + i * stride;
		double s = 0.0;
		for (size_t f = 0; f < r->n_features; f++)
			s += w[f] * (double)xi[f];
		scores[i] = s;
	}
	return OR_OK;
}

void or_ranker_free(or_ranker *r)
{
	if (!r)
		return;
	for (unsigned t = 0; t < 3; t++)
		if (r->boost[t])
			XGBoosterFree(r->boost[t]);
	for (size_t f = 0; r->names && f < r->n_features; f++)
		free(r->names[f]);
	free(r->names);
	free(r->path);
	free(r->w);
	free(r->settings);
	free(r->meta);
	free(r);
}
