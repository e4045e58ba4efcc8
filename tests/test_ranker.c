/*
 * test_ranker.c - the ranker interface and `fit`: the linear ranker is
 * or_blend_score's arithmetic; a gbt fitted on a toy candidates directory
 * where the label is (x0 > 0.5) ranks positives first (metric near 1, the
 * noise feature near chance); two fits give the same bytes; the opened
 * model scores exactly what the boosters gave at fit time, for any thread
 * count and stride; the fallback of a type without positives; the feature
 * check's message; the candidates directory's and the model file's checks;
 * or_npy_read_i64.
 */
#include "check.h"
#include "or_blend.h"
#include "or_cand_dir.h"
#include "or_fit.h"
#include "or_npy.h"
#include "or_prng.h"
#include "or_ranker.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

static const char *tmp_path(const char *name)
{
	static char p[8][512];
	static int next;
	char *s = p[next++ % 8];
	snprintf(s, 512, "%s/%s", check_tmpdir(), name);
	return s;
}

static void test_linear_is_blend_score(void)
{
	enum { F = OR_BLEND_N_FEATURES, N = 50, STRIDE = F + 3 };
	const char *names[F];
	for (unsigned f = 0; f < F; f++)
		names[f] = or_blend_feature_name(f);
	or_blend_weights w;
	or_blend_default_weights(w);
	w[1][3] = -1.25;
	w[2][0] = 1e-3;
	or_ranker *r = NULL;
	or_err err;
	CHECK_INT(or_ranker_linear_new(F, names, &w[0][0], &r, &err), OR_OK);
	CHECK_INT(or_ranker_n_features(r), F);
	CHECK(!strcmp(or_ranker_feature_name(r, 4), "count"));
	or_prng g;
	or_prng_seed(&g, 7, 0);
	float x[N * STRIDE];
	for (size_t i = 0; i < N * STRIDE; i++)
		x[i] = (float)or_prng_unit(&g);
	double s[N];
	for (unsigned t = 0; t < 3; t++) {
		CHECK_INT(or_ranker_score(r, t, x, N, STRIDE, s, &err), OR_OK);
		int same = 1;
		for (size_t i = 0; i < N; i++)
			same &= memcmp(&s[i], &(double){ or_blend_score(x + i * STRIDE, w[t]) }, sizeof(double)) == 0;
		CHECK(same);
	}
	CHECK_INT(or_ranker_score(r, 3, x, N, STRIDE, s, &err), OR_EINVAL);
	CHECK_INT(or_ranker_score(r, 0, x, N, F - 1, s, &err), OR_EINVAL);
	CHECK_INT(or_ranker_check_features(r, names, F, &err), OR_OK);
	or_ranker_free(r);
}

/* The toy directory: G groups of M rows, features noise, x0, x1, x2;
   label of clicks and carts (x0 > 0.5), of orders (x1 > 0.5) unless
   no_orders. */
enum { G = 240, M = 40, NF = 4 };
static const char *const toy_names[NF] = { "noise", "x0", "x1", "x2" };

static void make_toy(const char *dir, int no_orders, int no_labels)
{
	size_t n = (size_t)G * M;
	float *x = malloc(n * NF * sizeof(float)), *lab = malloc(n * 3 * sizeof(float));
	int64_t *sizes = malloc(G * sizeof(int64_t)), *sess = malloc(G * sizeof(int64_t));
	int64_t *aid = malloc(n * sizeof(int64_t));
	or_prng g;
	or_prng_seed(&g, 11, 0);
	for (size_t i = 0; i < n; i++) {
		for (int f = 0; f < NF; f++)
			x[i * NF + f] = (float)or_prng_unit(&g);
		lab[i * 3 + 0] = lab[i * 3 + 1] = !no_labels && x[i * NF + 1] > 0.5f;
		lab[i * 3 + 2] = !no_labels && !no_orders && x[i * NF + 2] > 0.5f;
		aid[i] = (int64_t)or_prng_below(&g, 1000);
	}
	for (int k = 0; k < G; k++) {
		sizes[k] = M;
		sess[k] = 100 + k;
	}
	or_err err;
	int rc = or_cand_dir_write(dir, toy_names, NF, x, lab, n, sizes, sess, G, aid,
				   "{\"source\":\"toy\", \"k\":[1,2]}", &err);
	if (rc)
		fprintf(stderr, "  make_toy: %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	free(x);
	free(lab);
	free(sizes);
	free(sess);
	free(aid);
}

static char warned[1024];
static void on_message(void *ctx, int level, const char *text)
{
	(void)ctx;
	if (level == OR_LOG_WARN)
		snprintf(warned, sizeof(warned), "%s", text);
}

static void toy_config(or_fit_config *cfg, int threads)
{
	or_fit_config_default(cfg);
	cfg->rounds = 20;
	cfg->depth = 4;
	cfg->threads = threads;
	cfg->rows_per_thread = 0; /* the toy is small: no cap, so threads are tested */
	cfg->valid_share = 0.25;
}

static void test_fit_toy(void)
{
	const char *dir = tmp_path("toy");
	make_toy(dir, 1, 0);
	or_cand_dir d;
	or_err err;
	int rc = or_cand_dir_open(dir, &d, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	if (rc)
		return;
	CHECK_INT(d.n_rows, G * M);
	CHECK_INT(d.n_features, NF);
	CHECK(!strcmp(d.settings_json, "{\"source\":\"toy\", \"k\":[1,2]}"));
	or_fit_config cfg;
	toy_config(&cfg, 2);
	or_log log = { on_message, NULL, NULL, NULL };
	or_fit_result res;
	or_ranker *trained = NULL;
	const char *m1 = tmp_path("m1.rank"), *m2 = tmp_path("m2.rank");
	warned[0] = '\0';
	rc = or_fit_run(&d, dir, &cfg, m1, &res, &trained, &log, &err);
	if (rc)
		fprintf(stderr, "  fit: %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	/* clicks and carts are learnt; orders has no positive: carts' model */
	for (int t = 0; t < 2; t++) {
		CHECK(res.type[t].fitted);
		CHECK_INT(res.type[t].groups_with_positives, G);
		CHECK_INT(res.type[t].valid_groups, G / 4);
		CHECK_INT(res.type[t].groups, G - G / 4);
		CHECK(res.type[t].valid_metric > 0.97);
		CHECK(res.type[t].baseline_metric > 0.35 && res.type[t].baseline_metric < 0.65);
		CHECK(res.type[t].gain[1] > 10 * res.type[t].gain[0]);
		/* every positive and at most 20 negatives of each fitted group
		   (fewer where a group has fewer) */
		CHECK(res.type[t].rows <= res.type[t].positives + 20 * res.type[t].groups);
		CHECK(res.type[t].rows > res.type[t].positives + 15 * res.type[t].groups);
	}
	CHECK(!res.type[2].fitted);
	CHECK_INT(res.type[2].uses, 1);
	CHECK_STR_CONTAINS(warned, "no candidate is labelled orders: orders uses the carts model");
	CHECK(trained && or_ranker_type_uses(trained, 2) == 1 && !or_ranker_type_fitted(trained, 2));
	or_fit_result res2;
	or_fit_result_release(&res);
	CHECK_INT(or_fit_run(&d, dir, &cfg, m2, &res2, NULL, NULL, &err), OR_OK);
	or_fit_result_release(&res2);
	size_t n1 = 0, n2 = 0;
	unsigned char *b1 = check_read_file(m1, &n1), *b2 = check_read_file(m2, &n2);
	CHECK(b1 && b2 && n1 == n2 && n1 > 4096 && memcmp(b1, b2, n1) == 0);
	CHECK(b1 && !memcmp(b1, "OTTORANK", 8));
	/* nothing time-dependent: no "seconds" in the file */
	CHECK(b1 && !memmem(b1, n1, "seconds", 7));
	free(b1);
	free(b2);

	/* the opened model scores what the boosters gave at fit time, for any
	   threads and stride */
	or_ranker *r = NULL;
	rc = or_ranker_open(m1, &r, &err);
	if (rc)
		fprintf(stderr, "  open: %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	if (r && trained) {
		CHECK(!strcmp(or_ranker_settings_json(r), d.settings_json));
		CHECK_STR_CONTAINS(or_ranker_meta_json(r), "\"nthread\":2");
		CHECK(!or_ranker_type_fitted(r, 2) && or_ranker_type_uses(r, 2) == 1);
		size_t n = d.n_rows, wide = NF + 5;
		double *s0 = malloc(n * sizeof(double)), *s1 = malloc(n * sizeof(double));
		double *s2 = malloc(n * sizeof(double));
		float *xw = calloc(n * wide, sizeof(float));
		for (size_t i = 0; i < n; i++)
			memcpy(xw + i * wide, d.x + i * NF, NF * sizeof(float));
		for (unsigned t = 0; t < 3; t++) {
			or_ranker_set_threads(trained, 2);
			CHECK_INT(or_ranker_score(trained, t, d.x, n, NF, s0, &err), OR_OK);
			or_ranker_set_threads(r, 1);
			CHECK_INT(or_ranker_score(r, t, d.x, n, NF, s1, &err), OR_OK);
			or_ranker_set_threads(r, 2);
			CHECK_INT(or_ranker_score(r, t, xw, n, wide, s2, &err), OR_OK);
			CHECK(!memcmp(s0, s1, n * sizeof(double)));
			CHECK(!memcmp(s0, s2, n * sizeof(double)));
		}
		/* the positives come first: a positive's score above a negative's
		   in most pairs of a group */
		CHECK_INT(or_ranker_score(r, 0, d.x, n, NF, s0, &err), OR_OK);
		size_t good = 0, pairs = 0;
		for (size_t i = 0; i < M; i++)
			for (size_t j = 0; j < M; j++)
				if (d.labels[i * 3] == 1.0f && d.labels[j * 3] == 0.0f) {
					pairs++;
					good += s0[i] > s0[j];
				}
		CHECK(pairs > 0 && good > pairs * 95 / 100);
		/* the metric of the opened model on every group */
		size_t *grp = NULL, ng = 0;
		double met = 0;
		CHECK_INT(or_fit_positive_groups(&d, 0, &grp, &ng, &err), OR_OK);
		CHECK_INT(ng, G);
		CHECK_INT(or_fit_metric(r, &d, 0, grp, ng, &met, &err), OR_OK);
		CHECK(met > 0.97);
		free(grp);
		free(s0);
		free(s1);
		free(s2);
		free(xw);
	}
	or_ranker_free(r);
	or_ranker_free(trained);

	/* another thread count is another (recorded) model, as good */
	const char *m3 = tmp_path("m3.rank");
	toy_config(&cfg, 1);
	CHECK_INT(or_fit_run(&d, dir, &cfg, m3, &res, NULL, NULL, &err), OR_OK);
	CHECK(res.nthread == 1 && res.type[0].valid_metric > 0.97);
	or_fit_result_release(&res);
	CHECK_INT(or_ranker_open(m3, &r, &err), OR_OK);
	CHECK_STR_CONTAINS(r ? or_ranker_meta_json(r) : NULL, "\"nthread\":1");
	or_ranker_free(r);
	or_cand_dir_release(&d);
}

static void test_check_features(void)
{
	const char *dir = tmp_path("toy");
	or_cand_dir d;
	or_err err;
	CHECK_INT(or_cand_dir_open(dir, &d, &err), OR_OK);
	or_ranker *r = NULL;
	const char *m1 = tmp_path("m1.rank");
	CHECK_INT(or_ranker_open(m1, &r, &err), OR_OK);
	if (!r) {
		or_cand_dir_release(&d);
		return;
	}
	CHECK_INT(or_ranker_check_features(r, (const char *const *)d.names, d.n_features, &err), OR_OK);
	const char *other[NF] = { "noise", "x0", "xx", "x2" };
	CHECK_INT(or_ranker_check_features(r, other, NF, &err), OR_EFORMAT);
	char want[600];
	snprintf(want, sizeof(want),
		 "model %s expects features noise,x0,x1,x2 but the candidates have noise,x0,xx,x2: feature 2 is 'x1' in the model, 'xx' in the candidates",
		 m1);
	CHECK(!strcmp(err.msg, want));
	if (strcmp(err.msg, want))
		fprintf(stderr, "  got: %s\n", err.msg);
	CHECK_INT(or_ranker_check_features(r, other, 2, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "the candidates have 2 features, the model 4 (next: 'x1')");
	or_ranker_free(r);
	or_cand_dir_release(&d);
}

/* Replace DIR/name by text. */
static void put(const char *dir, const char *name, const void *data, size_t n)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	CHECK(f && fwrite(data, 1, n, f) == n);
	if (f)
		fclose(f);
}

static void expect_dir_error(const char *dir, const char *what)
{
	or_cand_dir d;
	or_err err;
	int rc = or_cand_dir_open(dir, &d, &err);
	CHECK(rc != OR_OK);
	CHECK_STR_CONTAINS(rc ? err.msg : NULL, what);
	or_cand_dir_release(&d);
}

static void test_cand_dir_errors(void)
{
	const char *dir = tmp_path("bad");
	or_err err;
	const char *names[2] = { "a", "b" };
	float x[6] = { 0, 1, 2, 3, 4, 5 }, lab[9] = { 0, 1, 0, 0, 0, 0, 1, 0, 0 };
	int64_t sizes[2] = { 2, 1 }, sess[2] = { 5, 6 }, aid[3] = { 1, 2, 3 };
#define FRESH() CHECK_INT(or_cand_dir_write(dir, names, 2, x, lab, 3, sizes, sess, 2, aid, NULL, &err), OR_OK)
	FRESH();
	or_cand_dir d;
	CHECK_INT(or_cand_dir_open(dir, &d, &err), OR_OK);
	CHECK(d.n_groups == 2 && d.group_off[1] == 2 && d.group_off[2] == 3 && !strcmp(d.settings_json, "{}"));
	or_cand_dir_release(&d);
	or_cand_dir_release(&d); /* twice is fine */
	char p[600];
	/* a label that is not 0/1 */
	float lab2[9] = { 0, 1, 0, 0, 0.5f, 0, 1, 0, 0 };
	snprintf(p, sizeof(p), "%s/labels.npy", dir);
	CHECK_INT(or_npy_write_f32(p, lab2, 3, 3, &err), OR_OK);
	expect_dir_error(dir, "labels.npy: row 1 column 1 is 0.5, expected 0 or 1");
	FRESH();
	/* group sizes that do not add up */
	int64_t bad_sizes[2] = { 2, 2 };
	snprintf(p, sizeof(p), "%s/group_sizes.npy", dir);
	CHECK_INT(or_npy_write_i64(p, bad_sizes, 2, &err), OR_OK);
	expect_dir_error(dir, "group_sizes.npy: group 1 has 2 rows: the sizes add up to more than n_rows");
	FRESH();
	/* a features file of the wrong shape */
	snprintf(p, sizeof(p), "%s/features.npy", dir);
	CHECK_INT(or_npy_write_f32(p, x, 2, 3, &err), OR_OK);
	expect_dir_error(dir, "features.npy: shape (2, 3), expected (3, 2)");
	FRESH();
	/* an infinite feature */
	float xi[6] = { 0, 1, 2, INFINITY, 4, 5 };
	CHECK_INT(or_npy_write_f32(p, xi, 3, 2, &err), OR_OK);
	expect_dir_error(dir, "features.npy: row 1 column 1 is inf");
	FRESH();
	/* aid.npy too short, session.npy of int32 */
	snprintf(p, sizeof(p), "%s/aid.npy", dir);
	CHECK_INT(or_npy_write_i64(p, aid, 2, &err), OR_OK);
	expect_dir_error(dir, "aid.npy: 2 values, expected 3 (n_rows");
	FRESH();
	snprintf(p, sizeof(p), "%s/session.npy", dir);
	CHECK_INT(or_npy_write_f32(p, x, 2, 1, &err), OR_OK);
	expect_dir_error(dir, "session.npy: unsupported: dtype '<f4'");
	FRESH();
	/* candidates.json: duplicate names, version, missing key, junk, absent */
	const char *j1 = "{\"format\":\"ottorec-candidates\",\"version\":1,\"features\":[\"a\",\"a\"],\"n_rows\":3,\"n_groups\":2,\"settings\":{}}";
	put(dir, "candidates.json", j1, strlen(j1));
	expect_dir_error(dir, "feature name 'a' appears twice (features 0 and 1)");
	const char *j2 = "{\"format\":\"ottorec-candidates\",\"version\":2,\"features\":[\"a\",\"b\"],\"n_rows\":3,\"n_groups\":2,\"settings\":{}}";
	put(dir, "candidates.json", j2, strlen(j2));
	expect_dir_error(dir, "candidates format version 2, this ottorec reads version 1");
	const char *j3 = "{\"format\":\"ottorec-candidates\",\"version\":1,\"features\":[\"a\",\"b\"],\"n_rows\":3,\"settings\":{}}";
	put(dir, "candidates.json", j3, strlen(j3));
	expect_dir_error(dir, "no \"n_groups\" key");
	const char *j4 = "{\"format\":\"ottorec-candidates\",\"version\":1,\"features\":[\"a\",\"\"],\"n_rows\":3,\"n_groups\":2,\"settings\":{}}";
	put(dir, "candidates.json", j4, strlen(j4));
	expect_dir_error(dir, "feature 1's name is empty");
	const char *j5 = "{\"format\":\"ottorec-candidates\",\"version\":1,\"features\":[\"a\",\"b\"],\"n_rows\":3,\"n_groups\":2,\"settings\":{},\"x\":[1,{\"y\":null}]} x";
	put(dir, "candidates.json", j5, strlen(j5));
	char want[64];
	snprintf(want, sizeof(want), "candidates.json: column %zu: text after the JSON object", strlen(j5));
	expect_dir_error(dir, want);
	put(dir, "candidates.json", j5, strlen(j5) - 2); /* unknown keys are fine */
	CHECK_INT(or_cand_dir_open(dir, &d, &err), OR_OK);
	or_cand_dir_release(&d);
	snprintf(p, sizeof(p), "%s/candidates.json", dir);
	unlink(p);
	expect_dir_error(dir, "cannot open");
#undef FRESH
}

static void test_npy_read_i64(void)
{
	or_err err;
	int64_t v[3] = { -5, 0, INT64_MAX };
	const char *p = tmp_path("v.npy");
	CHECK_INT(or_npy_write_i64(p, v, 3, &err), OR_OK);
	int64_t *got = NULL;
	size_t n = 0;
	CHECK_INT(or_npy_read_i64(p, &got, &n, &err), OR_OK);
	CHECK(n == 3 && got && !memcmp(got, v, sizeof(v)));
	free(got);
	CHECK_INT(or_npy_write_i64(p, v, 0, &err), OR_OK);
	CHECK_INT(or_npy_read_i64(p, &got, &n, &err), OR_OK);
	CHECK_INT(n, 0);
	free(got);
	float f[4] = { 0 };
	CHECK_INT(or_npy_write_f32(p, f, 4, 1, &err), OR_OK);
	CHECK_INT(or_npy_read_i64(p, &got, &n, &err), OR_EUNSUPPORTED);
	CHECK(got == NULL);
	/* a 2-D '<i8' array: the header by hand (a 64-byte-aligned start) */
	char hdr2d[128 + 8];
	memset(hdr2d, ' ', 128);
	memcpy(hdr2d, "\x93NUMPY\x01\x00\x76\x00", 10);
	const char dict[] = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }";
	memcpy(hdr2d + 10, dict, sizeof(dict) - 1);
	hdr2d[127] = '\n';
	memset(hdr2d + 128, 0, 8);
	const char *q = check_write_file("m.npy", hdr2d, sizeof(hdr2d));
	CHECK_INT(or_npy_read_i64(q, &got, &n, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "expected a 1-D array");
}

static void test_model_file_errors(void)
{
	const char *m1 = tmp_path("m1.rank");
	size_t n = 0;
	unsigned char *b = check_read_file(m1, &n);
	CHECK(b && n > 4096);
	if (!b)
		return;
	or_ranker *r = NULL;
	or_err err;
	/* truncated */
	const char *p = check_write_file("cut.rank", b, n - 1);
	CHECK_INT(or_ranker_open(p, &r, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, p);
	CHECK(r == NULL);
	/* a byte of the meta flipped: the checksum */
	b[4096 + 10] ^= 1;
	p = check_write_file("flip.rank", b, n);
	CHECK_INT(or_ranker_open(p, &r, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "checksum mismatch in the meta section");
	b[4096 + 10] ^= 1;
	/* a byte of the last booster flipped */
	b[n - 100] ^= 0x40;
	p = check_write_file("flip2.rank", b, n);
	CHECK_INT(or_ranker_open(p, &r, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "checksum mismatch in the carts booster section");
	b[n - 100] ^= 0x40;
	/* another version */
	b[8] = 0;
	p = check_write_file("old.rank", b, n);
	CHECK(or_ranker_open(p, &r, &err) != OR_OK);
	CHECK_STR_CONTAINS(err.msg, "rebuild it with `ottorec fit`");
	free(b);
	CHECK(or_ranker_open(tmp_path("absent.rank"), &r, &err) == OR_EIO);
}

static void test_fit_no_positives(void)
{
	const char *dir = tmp_path("none");
	make_toy(dir, 0, 1);
	or_cand_dir d;
	or_err err;
	CHECK_INT(or_cand_dir_open(dir, &d, &err), OR_OK);
	or_fit_config cfg;
	toy_config(&cfg, 1);
	or_fit_result res;
	const char *m = tmp_path("none.rank");
	CHECK_INT(or_fit_run(&d, dir, &cfg, m, &res, NULL, NULL, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "no row is labelled with any type");
	CHECK(access(m, F_OK) != 0);
	or_fit_result_release(&res);
	cfg.objective = "rank:map";
	CHECK_INT(or_fit_run(&d, dir, &cfg, m, &res, NULL, NULL, &err), OR_EINVAL);
	or_fit_result_release(&res);
	or_cand_dir_release(&d);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_linear_is_blend_score);
	RUN_TEST(test_npy_read_i64);
	RUN_TEST(test_cand_dir_errors);
	RUN_TEST(test_fit_toy);
	RUN_TEST(test_check_features);
	RUN_TEST(test_model_file_errors);
	RUN_TEST(test_fit_no_positives);
	CHECK_MAIN_END
}
