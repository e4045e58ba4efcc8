/* or_ranker.c - the ranker handle: the linear ranker, the gbt ranker over
   its flattened trees (the evaluator is or_ranker_trees.c), feature checks
   (see or_ranker.h; the model file is or_ranker_file.c, fitting or_fit.c). */
#include "or_ranker_internal.h"

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

static void boosters_free(BoosterHandle boost[3])
{
	for (unsigned t = 0; t < 3; t++) {
		if (boost[t])
			XGBoosterFree(boost[t]);
		boost[t] = NULL;
	}
}

int or_ranker_gbt_new(size_t n_features, const char *const *names, const char *path,
		      BoosterHandle boost[3], const unsigned uses[3], const char *settings,
		      const char *meta, or_ranker **out, or_err *err)
{
	*out = NULL;
	or_ranker *r = ranker_alloc(n_features, names, path);
	if (!r || !(r->settings = strdup(settings)) || !(r->meta = strdup(meta))) {
		or_ranker_free(r);
		boosters_free(boost);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	r->kind = OR_RANKER_GBT;
	for (unsigned t = 0; t < 3; t++) {
		r->boost[t] = boost[t];
		r->uses[t] = uses[t];
		boost[t] = NULL;
	}
	for (unsigned t = 0; t < 3; t++) {
		if (!r->boost[t])
			continue;
		char what[600];
		snprintf(what, sizeof(what), "%s: %s booster", path, type_names[t]);
		int rc = or_trees_from_booster(r->boost[t], n_features, what, &r->trees[t], err);
		if (rc) {
			or_ranker_free(r);
			return rc;
		}
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
}

int or_ranker_score(const or_ranker *r, unsigned t, const float *x, size_t n, size_t stride,
		    double *scores, or_err *err)
{
	return or_ranker_score_threads(r, t, x, n, stride, r->threads, scores, err);
}

int or_ranker_score_threads(const or_ranker *r, unsigned t, const float *x, size_t n,
			    size_t stride, int threads, double *scores, or_err *err)
{
	if (t > 2)
		return or_err_set(err, OR_EINVAL, "ranker: type %u is not 0..2", t);
	if (stride < r->n_features)
		return or_err_set(err, OR_EINVAL, "ranker: stride %zu below the %zu features", stride,
				  r->n_features);
	if (n == 0)
		return OR_OK;
	if (r->kind == OR_RANKER_GBT) {
		or_trees_score(&r->trees[r->uses[t]], x, n, stride, threads, scores);
		return OR_OK;
	}
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
	for (unsigned t = 0; t < 3; t++) {
		if (r->boost[t])
			XGBoosterFree(r->boost[t]);
		or_trees_release(&r->trees[t]);
	}
	for (size_t f = 0; r->names && f < r->n_features; f++)
		free(r->names[f]);
	free(r->names);
	free(r->path);
	free(r->w);
	free(r->settings);
	free(r->meta);
	free(r);
}
