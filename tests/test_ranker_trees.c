/*
 * test_ranker_trees.c - the gbt ranker's native evaluator
 * (lib/rec/or_ranker_trees.h) against XGBoost's own predictor: boosters
 * fitted here with XGBoost's C API as `ottorec fit` fits them (hist, depth
 * up to 6, several rounds; rank:pairwise and binary:logistic, a base_score
 * of their own; also the exact method), on data with missing values, then
 * scored on rows holding NaN, +-inf, every split threshold exactly and its
 * float neighbours: the native margin must be XGBoosterPredictFromDense's
 * margin bit for bit, through or_trees and through an or_ranker (any
 * stride, any threads, several threads calling at once).  And what is
 * refused: dart, gblinear, several outputs, an objective whose base it
 * does not know, categorical splits, damaged model JSON.
 */
#include "check.h"
#include "or_prng.h"
#include "or_ranker_internal.h"
#include "or_ranker_trees.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

enum { F = 6, N_FIT = 3000, GROUP = 30, N_SCORE = 6000 };

/* The fitted rows: f0 on a grid of 9 values (its thresholds are data
   values), f1 uniform, f2 uniform with 20% missing, f3 counts 0..5 with
   30% missing, f4 a sum of uniforms, f5 noise. */
static void fit_rows(float *x, float *y)
{
	or_prng g;
	or_prng_seed(&g, 5, 0);
	for (size_t i = 0; i < N_FIT; i++) {
		float *r = x + i * F;
		r[0] = 0.25f * (float)or_prng_below(&g, 9);
		r[1] = (float)(2 * or_prng_unit(&g) - 1);
		r[2] = or_prng_unit(&g) < 0.2 ? NAN : (float)or_prng_unit(&g);
		r[3] = or_prng_unit(&g) < 0.3 ? NAN : (float)or_prng_below(&g, 6);
		r[4] = (float)(or_prng_unit(&g) + or_prng_unit(&g) + or_prng_unit(&g));
		r[5] = (float)or_prng_unit(&g);
		double s = r[0] - 1.0 + 0.8 * r[1] + (isnan(r[2]) ? 0.3 : r[2] - 0.5) +
			   (isnan(r[3]) ? -0.2 : 0.1 * r[3]) + 0.3 * (or_prng_unit(&g) - 0.5);
		y[i] = s > 0.0f;
	}
}

typedef struct fit_opts {
	const char *objective, *method, *booster, *base_score;
	int depth, rounds;
	const char *num_class, *min_child;
} fit_opts;

static BoosterHandle fit(const fit_opts *o)
{
	static float x[N_FIT * F], y[N_FIT];
	fit_rows(x, y);
	if (o->num_class)
		for (size_t i = 0; i < N_FIT; i++)
			y[i] = (float)(i % 3);
	DMatrixHandle dm = NULL;
	BoosterHandle b = NULL;
	unsigned groups[N_FIT / GROUP];
	for (size_t k = 0; k < N_FIT / GROUP; k++)
		groups[k] = GROUP;
	char v[16];
	int ok = XGDMatrixCreateFromMat(x, N_FIT, F, NAN, &dm) == 0 &&
		 XGDMatrixSetFloatInfo(dm, "label", y, N_FIT) == 0 &&
		 XGDMatrixSetUIntInfo(dm, "group", groups, N_FIT / GROUP) == 0 &&
		 XGBoosterCreate(&dm, 1, &b) == 0 && XGBoosterSetParam(b, "verbosity", "0") == 0 &&
		 XGBoosterSetParam(b, "objective", o->objective) == 0 &&
		 XGBoosterSetParam(b, "tree_method", o->method ? o->method : "hist") == 0 &&
		 XGBoosterSetParam(b, "nthread", "1") == 0 && XGBoosterSetParam(b, "eta", "0.4") == 0 &&
		 (snprintf(v, sizeof(v), "%d", o->depth), XGBoosterSetParam(b, "max_depth", v) == 0) &&
		 (!o->booster || XGBoosterSetParam(b, "booster", o->booster) == 0) &&
		 (!o->base_score || XGBoosterSetParam(b, "base_score", o->base_score) == 0) &&
		 (!o->num_class || XGBoosterSetParam(b, "num_class", o->num_class) == 0) &&
		 (!o->min_child || XGBoosterSetParam(b, "min_child_weight", o->min_child) == 0);
	for (int it = 0; ok && it < o->rounds; it++)
		ok = XGBoosterUpdateOneIter(b, it, dm) == 0;
	if (!ok)
		fprintf(stderr, "  XGBoost: %s\n", XGBGetLastError());
	CHECK(ok);
	XGDMatrixFree(dm);
	if (!ok && b) {
		XGBoosterFree(b);
		b = NULL;
	}
	return b;
}

/* Rows to score: fitted rows with, per feature, 8% NaN, 4% +inf, 4% -inf,
   24% one of the trees' thresholds on that feature exactly, 8% its float
   neighbour above or below. */
static void score_rows(const or_trees *t, float *x, size_t n, size_t stride)
{
	static float fx[N_FIT * F], fy[N_FIT];
	fit_rows(fx, fy);
	float *thr[F];
	size_t nthr[F] = { 0 };
	for (int f = 0; f < F; f++)
		thr[f] = malloc((t->n_nodes + 1) * sizeof(float));
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->node[i].left)
			thr[t->node[i].feat][nthr[t->node[i].feat]++] = t->node[i].value;
	or_prng g;
	or_prng_seed(&g, 9, 0);
	for (size_t i = 0; i < n; i++) {
		float *r = x + i * stride;
		memcpy(r, fx + (i % N_FIT) * F, F * sizeof(float));
		for (size_t f = F; f < stride; f++)
			r[f] = 12345.0f; /* beyond the features: never read */
		for (int f = 0; f < F; f++) {
			double u = or_prng_unit(&g);
			float th = nthr[f] ? thr[f][or_prng_below(&g, nthr[f])] : 0.5f;
			if (u < 0.08)
				r[f] = NAN;
			else if (u < 0.12)
				r[f] = INFINITY;
			else if (u < 0.16)
				r[f] = -INFINITY;
			else if (u < 0.40)
				r[f] = th;
			else if (u < 0.48)
				r[f] = nextafterf(th, u < 0.44 ? INFINITY : -INFINITY);
		}
	}
	for (int f = 0; f < F; f++)
		free(thr[f]);
}

/* XGBoost's margin of rows x (n x F, stride floats a row). */
static int xgb_margin(BoosterHandle b, const float *x, size_t n, size_t stride, double *out)
{
	char arr[256];
	snprintf(arr, sizeof(arr),
		 "{\"data\":[%llu,true],\"shape\":[%zu,%d],\"strides\":[%zu,4],\"typestr\":\"<f4\",\"version\":3}",
		 (unsigned long long)(uintptr_t)x, n, F, stride * sizeof(float));
	const char cfg[] = "{\"type\":1,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
			   "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0;
	const float *p = NULL;
	if (XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &p) != 0) {
		fprintf(stderr, "  predict: %s\n", XGBGetLastError());
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (double)p[i];
	return 0;
}

/* Rows where a and b differ in any bit (the first printed). */
static size_t differ(const double *a, const double *b, size_t n, const char *what)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(double))) {
			if (!bad++)
				fprintf(stderr, "  %s: row %zu: native %.9g, XGBoost %.9g\n", what, i, a[i], b[i]);
		}
	return bad;
}

typedef struct par_job {
	const or_ranker *r;
	const float *x;
	size_t stride;
	double *s;
	int rc;
} par_job;

static void *par_score(void *arg)
{
	par_job *j = arg;
	or_err err;
	for (int rep = 0; rep < 4 && !j->rc; rep++)
		j->rc = or_ranker_score_threads(j->r, (unsigned)rep % 3, j->x, N_SCORE, j->stride, 1, j->s, &err);
	return NULL;
}

static void check_exact(const fit_opts *o, const char *name)
{
	BoosterHandle b = fit(o);
	if (!b)
		return;
	or_trees t;
	or_err err;
	int rc = or_trees_from_booster(b, F, name, &t, &err);
	if (rc)
		fprintf(stderr, "  %s: %s\n", name, err.msg);
	CHECK_INT(rc, OR_OK);
	if (rc) {
		XGBoosterFree(b);
		return;
	}
	CHECK_INT(t.n_trees, o->rounds);
	/* the layout that scores: the perfect trees up to their limit */
	if (o->depth > OR_TREES_PERFECT_MAX)
		CHECK(t.depth == -1 && t.split == NULL);
	else
		CHECK(t.depth >= 1 && t.depth <= o->depth && t.split && t.leaf);
	size_t stride = F + 3;
	float *x = malloc(N_SCORE * stride * sizeof(float));
	double *ref = malloc(N_SCORE * sizeof(double)), *s = malloc(N_SCORE * sizeof(double));
	score_rows(&t, x, N_SCORE, stride);
	CHECK(xgb_margin(b, x, N_SCORE, stride, ref) == 0);
	/* the margins vary (the trees split these rows) */
	size_t distinct = 0;
	for (size_t i = 1; i < N_SCORE; i++)
		distinct += ref[i] != ref[0];
	CHECK(distinct > N_SCORE / 2);
	or_trees_score(&t, x, N_SCORE, stride, 1, s);
	CHECK_INT(differ(s, ref, N_SCORE, name), 0);
	or_trees_score(&t, x, N_SCORE, stride, 2, s);
	CHECK_INT(differ(s, ref, N_SCORE, name), 0);
	or_trees_release(&t);
	or_trees_release(&t); /* twice is fine */

	/* through a ranker: every type on this booster, several threads at once */
	const char *names[F] = { "a", "b", "c", "d", "e", "f" };
	BoosterHandle boost[3] = { b, NULL, NULL };
	unsigned uses[3] = { 0, 0, 0 };
	or_ranker *r = NULL;
	CHECK_INT(or_ranker_gbt_new(F, names, "toy.model", boost, uses, "{}", "{}", &r, &err), OR_OK);
	CHECK(boost[0] == NULL);
	if (r) {
		for (unsigned ty = 0; ty < 3; ty++) {
			or_ranker_set_threads(r, (int)ty);
			memset(s, 0, N_SCORE * sizeof(double));
			CHECK_INT(or_ranker_score(r, ty, x, N_SCORE, stride, s, &err), OR_OK);
			CHECK_INT(differ(s, ref, N_SCORE, name), 0);
		}
		par_job jobs[3];
		pthread_t th[3];
		for (int k = 0; k < 3; k++) {
			jobs[k] = (par_job){ r, x, stride, malloc(N_SCORE * sizeof(double)), 0 };
			CHECK(pthread_create(&th[k], NULL, par_score, &jobs[k]) == 0);
		}
		for (int k = 0; k < 3; k++) {
			pthread_join(th[k], NULL);
			CHECK_INT(jobs[k].rc, OR_OK);
			CHECK_INT(differ(jobs[k].s, ref, N_SCORE, name), 0);
			free(jobs[k].s);
		}
	}
	or_ranker_free(r);
	free(x);
	free(ref);
	free(s);
}

static void test_pairwise_exact(void)
{
	check_exact(&(fit_opts){ .objective = "rank:pairwise", .depth = 6, .rounds = 20 }, "pairwise hist");
	check_exact(&(fit_opts){ .objective = "rank:pairwise", .depth = 3, .rounds = 7, .base_score = "0.7" },
		    "pairwise base 0.7");
	check_exact(&(fit_opts){ .objective = "rank:ndcg", .depth = 5, .rounds = 10, .method = "exact" },
		    "ndcg exact");
	/* deeper than the perfect layout takes: the node array scores */
	check_exact(&(fit_opts){ .objective = "rank:pairwise", .depth = 16, .rounds = 6, .min_child = "0" },
		    "pairwise depth 16");
}

static void test_logistic_exact(void)
{
	check_exact(&(fit_opts){ .objective = "binary:logistic", .depth = 6, .rounds = 20 }, "logistic hist");
	check_exact(&(fit_opts){ .objective = "binary:logistic", .depth = 4, .rounds = 9, .base_score = "0.3" },
		    "logistic base 0.3");
	check_exact(&(fit_opts){ .objective = "binary:logistic", .depth = 6, .rounds = 12, .method = "exact" },
		    "logistic exact");
}

/* The JSON model of a booster, copied. */
static char *model_json(BoosterHandle b, size_t *len)
{
	bst_ulong n = 0;
	const char *buf = NULL;
	CHECK(XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &n, &buf) == 0);
	char *s = malloc((size_t)n + 1);
	memcpy(s, buf, (size_t)n);
	s[n] = '\0';
	*len = strlen(s);
	return s;
}

static void expect_refused(const fit_opts *o, int code, const char *what)
{
	BoosterHandle b = fit(o);
	if (!b)
		return;
	or_trees t;
	or_err err;
	CHECK_INT(or_trees_from_booster(b, F, "m.model: clicks booster", &t, &err), code);
	CHECK_STR_CONTAINS(err.msg, "m.model: clicks booster: ");
	CHECK_STR_CONTAINS(err.msg, what);
	CHECK(t.node == NULL && t.n_trees == 0);
	/* and through the ranker, naming the path and the type */
	const char *names[F] = { "a", "b", "c", "d", "e", "f" };
	BoosterHandle boost[3] = { NULL, b, NULL };
	unsigned uses[3] = { 1, 1, 1 };
	or_ranker *r = NULL;
	CHECK_INT(or_ranker_gbt_new(F, names, "m.model", boost, uses, "{}", "{}", &r, &err), code);
	CHECK(r == NULL && boost[1] == NULL);
	CHECK_STR_CONTAINS(err.msg, "m.model: carts booster: ");
}

static void test_unsupported(void)
{
	expect_refused(&(fit_opts){ .objective = "rank:pairwise", .depth = 3, .rounds = 3, .booster = "dart" },
		       OR_EUNSUPPORTED, "unsupported: booster 'dart'");
	expect_refused(&(fit_opts){ .objective = "rank:pairwise", .depth = 3, .rounds = 3, .booster = "gblinear" },
		       OR_EUNSUPPORTED, "unsupported: booster 'gblinear'");
	expect_refused(&(fit_opts){ .objective = "multi:softprob", .depth = 3, .rounds = 2, .num_class = "3" },
		       OR_EUNSUPPORTED, "unsupported: a model of more than one output");
	expect_refused(&(fit_opts){ .objective = "count:poisson", .depth = 3, .rounds = 2 }, OR_EUNSUPPORTED,
		       "unsupported: objective 'count:poisson'");
}

/* text with the first `from` after `after` (NULL: anywhere) replaced by
   `to`; NULL when from is absent. */
static char *edit_after(const char *text, const char *after, const char *from, const char *to)
{
	const char *at = after ? strstr(text, after) : text;
	at = at ? strstr(at, from) : NULL;
	CHECK(at != NULL);
	if (!at)
		return NULL;
	size_t n = strlen(text), a = (size_t)(at - text), lf = strlen(from), lt = strlen(to);
	char *s = malloc(n - lf + lt + 1);
	memcpy(s, text, a);
	memcpy(s + a, to, lt);
	memcpy(s + a + lt, at + lf, n - a - lf + 1);
	return s;
}

static void expect_json(const char *text, size_t n_features, int code, const char *what)
{
	if (!text)
		return;
	or_trees t;
	or_err err;
	CHECK_INT(or_trees_from_json(text, strlen(text), n_features, "m", &t, &err), code);
	CHECK_STR_CONTAINS(err.msg, what);
	CHECK(t.node == NULL);
}

static void test_damaged(void)
{
	BoosterHandle b = fit(&(fit_opts){ .objective = "rank:pairwise", .depth = 3, .rounds = 4 });
	if (!b)
		return;
	size_t len;
	char *js = model_json(b, &len);
	XGBoosterFree(b);
	or_trees t;
	or_err err;
	CHECK_INT(or_trees_from_json(js, len, F, "m", &t, &err), OR_OK);
	CHECK_INT(t.n_trees, 4);
	or_trees_release(&t);
	/* every truncation is an error, never a model */
	size_t cuts = 0, refused = 0;
	for (size_t n = 0; n < len; n += 1 + n / 16, cuts++) {
		int rc = or_trees_from_json(js, n, F, "m", &t, &err);
		refused += rc == OR_EFORMAT;
		if (rc != OR_EFORMAT)
			fprintf(stderr, "  cut at %zu of %zu: %d %s\n", n, len, rc, rc ? err.msg : "");
	}
	CHECK(cuts > 50 && refused == cuts);
	expect_json(js, F - 1, OR_EFORMAT, "m: the booster has 6 features, the ranker 5");
	/* edits of the model: {after, from, to, code, message} */
	static const struct {
		const char *after, *from, *to;
		int code;
		const char *msg;
	} cases[] = {
		{ NULL, "\"left_children\":[1,", "\"left_children\":[99,", OR_EFORMAT,
		  "m: tree 0: node 0 has children 99 and 2 (of " },
		{ NULL, "\"left_children\":[1,", "\"left_children\":[0,", OR_EFORMAT,
		  "m: tree 0: node 0 has children 0 and 2" },
		{ NULL, "\"right_children\":[2,", "\"right_children\":[1,", OR_EFORMAT,
		  "m: tree 0: node 0 has children 1 and 1" },
		{ NULL, "\"split_indices\":[", "\"split_indices\":[7", OR_EFORMAT,
		  "m: tree 0: node 0 splits on feature 7" },
		{ NULL, "\"split_type\":[0", "\"split_type\":[1", OR_EUNSUPPORTED,
		  "m: unsupported: tree 0 has categorical splits" },
		{ NULL, "\"categories_nodes\":[]", "\"categories_nodes\":[0]", OR_EUNSUPPORTED,
		  "m: unsupported: tree 0 has categorical splits" },
		{ NULL, "\"split_conditions\":[", "\"split_conditions\":[true,", OR_EFORMAT,
		  "m: XGBoost's JSON model: byte " },
		{ NULL, "\"num_trees\":\"4\"", "\"num_trees\":\"5\"", OR_EFORMAT,
		  "m: gbtree_model_param.num_trees is 5 but 4 trees were read" },
		{ "\"tree_param\"", "\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"2\"", OR_EUNSUPPORTED,
		  "m: unsupported: tree 0 has vector leaves" },
		{ NULL, "\"base_score\":", "\"base_scor\":", OR_EFORMAT, "m: no learner_model_param.base_score" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		char *e = edit_after(js, cases[k].after, cases[k].from, cases[k].to);
		expect_json(e, F, cases[k].code, cases[k].msg);
		free(e);
	}
	free(js);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	XGBSetGlobalConfig("{\"verbosity\":0}");
	RUN_TEST(test_pairwise_exact);
	RUN_TEST(test_logistic_exact);
	RUN_TEST(test_unsupported);
	RUN_TEST(test_damaged);
	CHECK_MAIN_END
}
