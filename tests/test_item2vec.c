/*
 * test_item2vec.c - item2vec (or_item2vec.h): the scalar, AVX2 and
 * AVX-512 pair and CBOW kernels agree; the pair and CBOW kernels against
 * hand-worked updates; gensim's
 * downsampling thresholds; the alias table draws its weights and the
 * negatives' sampler, per row and over runs of equal count, draws each row by count ^
 * exponent (also negative); sessions drawn from disjoint item groups give every
 * item nearest neighbours (by cosine) in its own group, by skip-gram and
 * by CBOW (mean and sum); with one thread the same seed gives the same
 * bytes, another seed others, in both modes; min_count drops
 * rare items and keeps the aid order; collapsing repeats; sparse aids
 * near 2^31; the word2vec text file reads back as the same floats; bad
 * configs; cancellation.
 */
#include "check.h"
#include "or_item2vec_internal.h"
#include "or_prng.h"
#include "or_store.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>

static or_store_builder *B;
static int64_t next_id;

static void add(const uint32_t *aid, size_t n)
{
	int64_t ts[512];
	uint8_t ty[512];
	for (size_t i = 0; i < n; i++) {
		ts[i] = 1659304800000LL + (int64_t)i * 1000;
		ty[i] = 0;
	}
	or_err err;
	if (!B)
		CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	CHECK_INT(or_store_builder_add(B, next_id++, n, aid, ts, ty, &err), OR_OK);
}

static or_store *finish(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
	or_err err;
	or_store *st = NULL;
	CHECK_INT(or_store_builder_write(B, path, NULL, &err), OR_OK);
	or_store_builder_free(B);
	B = NULL;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	return st;
}

/* ---- kernels ---------------------------------------------------------- */

static void run_pair(const or_i2v_kernels *k, float *h, float *syn1, const uint32_t *tgt, int nt,
		     size_t d, float alpha, const or_i2v_tables *tab, float *loss)
{
	float work[256], dots[OR_I2V_MAX_NEGATIVE + 1];
	*loss = k->pair(h, syn1, tgt, nt, d, alpha, tab, work, dots);
}

/* The fast kernels against the scalar one on random rows and 1..20
   targets (repeats allowed): the pair (h: row 0 of the input table) or
   CBOW (1..12 contexts, repeats allowed, mean and sum in turn). */
static void kernels_agree(const or_i2v_kernels *fast, int cbow)
{
	or_i2v_tables tab;
	or_i2v_tables_init(&tab);
	const size_t dims[] = { 1, 7, 8, 15, 32, 33, 100, 256 };
	const or_i2v_kernels *ks[2] = { or_i2v_kernels_scalar(), fast };
	or_prng r;
	or_prng_seed(&r, 5 + (uint64_t)cbow, 0);
	for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++) {
		const size_t d = dims[di], rows = 40, n = rows * d;
		const float as = cbow ? 2.0f / sqrtf((float)d) : 2.0f, ss = (cbow ? 4.0f : 2.0f) / sqrtf((float)d);
		float *a[2] = { malloc(n * sizeof(float)), malloc(n * sizeof(float)) };
		float *s1[2] = { malloc(n * sizeof(float)), malloc(n * sizeof(float)) };
		float neu1[256], work[256], dots[OR_I2V_MAX_NEGATIVE + 1], loss[2];
		for (int rep = 0; rep < 60; rep++) {
			for (size_t j = 0; j < n; j++) {
				a[0][j] = a[1][j] = (float)(or_prng_unit(&r) - 0.5) * as;
				s1[0][j] = s1[1][j] = (float)(or_prng_unit(&r) - 0.5) * ss;
			}
			uint32_t tgt[OR_I2V_MAX_NEGATIVE + 1], ctx[12];
			int nt = 1 + (int)or_prng_below(&r, 20), nc = 1 + (int)or_prng_below(&r, 12);
			for (int i = 0; i < nt; i++)
				tgt[i] = (uint32_t)or_prng_below(&r, rows);
			for (int i = 0; i < nc; i++)
				ctx[i] = (uint32_t)or_prng_below(&r, rows);
			for (int k = 0; k < 2; k++)
				loss[k] = cbow ? ks[k]->cbow(a[k], ctx, nc, rep & 1, s1[k], tgt, nt, d, 0.05f, &tab,
							     neu1, work, dots)
					       : ks[k]->pair(a[k], s1[k], tgt, nt, d, 0.05f, &tab, work, dots);
			float worst = 0;
			for (size_t j = 0; j < n; j++)
				worst = fmaxf(worst, fmaxf(fabsf(a[0][j] - a[1][j]), fabsf(s1[0][j] - s1[1][j])));
			CHECK(loss[0] > 0); /* something was trained */
			if (worst > 1e-5f || fabsf(loss[0] - loss[1]) > 1e-4f * (1 + fabsf(loss[0]))) {
				fprintf(stderr, "  %s %s d %zu rep %d: max difference %g, loss %g vs %g\n",
					cbow ? "cbow" : "pair", fast->name, d, rep, (double)worst, (double)loss[0],
					(double)loss[1]);
				CHECK(0);
				break;
			}
		}
		for (int k = 0; k < 2; k++) {
			free(a[k]);
			free(s1[k]);
		}
	}
}

static void test_kernels_agree(void)
{
	const or_i2v_kernels *avx2 = or_i2v_kernels_avx2(), *avx512 = or_i2v_kernels_avx512();
	if (avx2) {
		kernels_agree(avx2, 0);
		kernels_agree(avx2, 1);
	}
	else
		check_skip("test_kernels_agree[avx2]", "the CPU has no AVX2/FMA (or a NO_SIMD build)");
	if (avx512) {
		kernels_agree(avx512, 0);
		kernels_agree(avx512, 1);
	}
	else
		check_skip("test_kernels_agree[avx512]", "the CPU has no AVX-512 (or a NO_SIMD build)");
	CHECK(!strcmp(or_i2v_kernels_pick(0, 32)->name, "scalar"));
	CHECK(!avx512 || or_i2v_kernels_pick(1, 32) == avx512);
	CHECK(!avx2 || or_i2v_kernels_pick(1, 16) == avx2);
}

/* One pair worked by hand: d 2, h = (1, 0), center row (0.5, 0),
   negative row (0, 1).  Dots 0.5 and 0; g_pos = (1 - s(0.5)) a,
   g_neg = (0 - s(0)) a with the table's bins. */
static void pair_by_hand(const or_i2v_kernels *k, const or_i2v_tables *tp)
{
	const or_i2v_tables tab = *tp; /* a copy: the checks read tab.x */
	float h[2] = { 1, 0 }, syn1[4] = { 0.5f, 0, 0, 1 };
	uint32_t tgt[2] = { 0, 1 };
	float loss;
	run_pair(k, h, syn1, tgt, 2, 2, 0.1f, &tab, &loss);
	float sp = tab.sigmoid[or_i2v_bin(0.5f)], sn = tab.sigmoid[or_i2v_bin(0.0f)];
	CHECK(fabsf(sp - 1 / (1 + expf(-0.5f))) < 0.01f);
	CHECK(fabsf(sn - 0.5f) < 0.01f);
	float gp = (1 - sp) * 0.1f, gn = -sn * 0.1f;
	/* syn1 rows move along h; h moves by gp * (0.5, 0) + gn * (0, 1) */
	CHECK(fabsf(syn1[0] - (0.5f + gp)) < 1e-6f);
	CHECK(fabsf(syn1[1]) < 1e-6f);
	CHECK(fabsf(syn1[2] - gn) < 1e-6f);
	CHECK(fabsf(syn1[3] - 1) < 1e-6f);
	CHECK(fabsf(h[0] - (1 + gp * 0.5f)) < 1e-6f);
	CHECK(fabsf(h[1] - gn) < 1e-6f);
	CHECK(fabsf(loss - (tab.logsig[or_i2v_bin(0.5f)] + tab.logsig_neg[or_i2v_bin(0.0f)])) < 1e-6f);
	/* beyond MAX_EXP: no update at all */
	float h2[2] = { 4, 0 }, s2[2] = { 2, 0 };
	uint32_t t2[1] = { 0 };
	run_pair(k, h2, s2, t2, 1, 2, 0.1f, &tab, &loss);
	CHECK(h2[0] == 4 && s2[0] == 2 && loss == 0);
}

/* One CBOW position by hand: d 2, contexts (1, 0) and (0, 1) (rows 0 and
   1; for the sum, rows 0, 1, 1), center row (1, 0).
   Mean: l1 = (0.5, 0.5), dot 0.5, g = (1 - s(0.5)) a; the center row
   += g l1, every context += g (1, 0).  Sum (cbow_mean 0) of contexts
   0, 1, 1: l1 = (1, 2), dot 1, the work g (1, 0) divided by 3, added to
   row 1 twice. */
static void cbow_by_hand(const or_i2v_kernels *k, const or_i2v_tables *tp)
{
	const or_i2v_tables tab = *tp; /* a copy: the checks read tab.x */
	float syn0[4] = { 1, 0, 0, 1 }, syn1[2] = { 1, 0 }, neu1[2], work[2], dots[1];
	uint32_t ctx[3] = { 0, 1, 1 }, tgt[1] = { 0 };
	float loss = k->cbow(syn0, ctx, 2, 1, syn1, tgt, 1, 2, 0.1f, &tab, neu1, work, dots);
	float g = (1 - tab.sigmoid[or_i2v_bin(0.5f)]) * 0.1f;
	CHECK(fabsf(syn1[0] - (1 + 0.5f * g)) < 1e-6f && fabsf(syn1[1] - 0.5f * g) < 1e-6f);
	CHECK(fabsf(syn0[0] - (1 + g)) < 1e-6f && fabsf(syn0[1]) < 1e-6f);
	CHECK(fabsf(syn0[2] - g) < 1e-6f && fabsf(syn0[3] - 1) < 1e-6f);
	CHECK(fabsf(loss - tab.logsig[or_i2v_bin(0.5f)]) < 1e-6f);
	float a0[4] = { 1, 0, 0, 1 }, b1[2] = { 1, 0 };
	loss = k->cbow(a0, ctx, 3, 0, b1, tgt, 1, 2, 0.1f, &tab, neu1, work, dots);
	g = (1 - tab.sigmoid[or_i2v_bin(1.0f)]) * 0.1f;
	CHECK(fabsf(b1[0] - (1 + g)) < 1e-6f && fabsf(b1[1] - 2 * g) < 1e-6f);
	CHECK(fabsf(a0[0] - (1 + g / 3)) < 1e-6f && fabsf(a0[1]) < 1e-6f);
	CHECK(fabsf(a0[2] - 2 * g / 3) < 1e-6f && fabsf(a0[3] - 1) < 1e-6f);
	/* beyond MAX_EXP: no update at all */
	float c0[2] = { 4, 0 }, c1[2] = { 2, 0 };
	loss = k->cbow(c0, ctx, 1, 1, c1, tgt, 1, 2, 0.1f, &tab, neu1, work, dots);
	CHECK(c0[0] == 4 && c0[1] == 0 && c1[0] == 2 && c1[1] == 0 && loss == 0);
}

static void test_kernels_by_hand(void)
{
	or_i2v_tables tab;
	or_i2v_tables_init(&tab);
	const or_i2v_kernels *ks[3] = { or_i2v_kernels_scalar(), or_i2v_kernels_avx2(), or_i2v_kernels_avx512() };
	for (int ki = 0; ki < 3; ki++) {
		if (!ks[ki])
			continue;
		pair_by_hand(ks[ki], &tab);
		cbow_by_hand(ks[ki], &tab);
	}
}

/* ---- downsampling and negatives ---------------------------------------- */

static void test_keep_threshold(void)
{
	const uint64_t always = (uint64_t)1 << 32;
	CHECK(or_i2v_keep_threshold(100, 100) == always);   /* p = 2 */
	CHECK(or_i2v_keep_threshold(261, 100) == always);   /* just below the golden-ratio point 261.8 */
	/* c = 10 t: p = (sqrt(10) + 1) / 10 */
	double p = (sqrt(10.0) + 1) / 10;
	CHECK_INT(or_i2v_keep_threshold(1000, 100), (long long)llround(p * 4294967296.0));
	/* c = 10000 t: about 1 % kept */
	uint64_t thr = or_i2v_keep_threshold(1000000, 100);
	CHECK(thr > (uint64_t)(0.0100 * 4294967296.0) && thr < (uint64_t)(0.0102 * 4294967296.0));
}

static void check_alias(const double *w, size_t n)
{
	or_i2v_alias *tab = malloc(n * sizeof(*tab));
	or_err err;
	CHECK_INT(or_i2v_alias_build(w, n, tab, &err), OR_OK);
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	size_t *hits = calloc(n, sizeof(*hits));
	or_prng r;
	or_prng_seed(&r, 9, 1);
	const size_t draws = 2000000;
	for (size_t i = 0; i < draws; i++)
		hits[or_i2v_alias_draw(tab, (uint32_t)n, or_prng_next(&r))]++;
	for (size_t i = 0; i < n; i++) {
		double expect = w[i] / total * (double)draws;
		double sd = sqrt(expect);
		if (fabs((double)hits[i] - expect) > 5 * sd + 1) {
			fprintf(stderr, "  entry %zu: %zu draws, expected %.0f\n", i, hits[i], expect);
			CHECK(0);
		}
	}
	free(hits);
	free(tab);
}

static void test_alias(void)
{
	double w[50];
	for (int i = 0; i < 50; i++)
		w[i] = pow(1000.0 / (i + 1), 0.75); /* a Zipf count ^ 0.75 */
	check_alias(w, 50);
	for (int i = 0; i < 50; i++)
		w[i] = pow(1000.0 / (i + 1), -0.5); /* a negative exponent: rare items favoured */
	check_alias(w, 50);
	double one[1] = { 3 };
	check_alias(one, 1);
	double eq[7] = { 1, 1, 1, 1, 1, 1, 1 };
	check_alias(eq, 7);
}

/* The negatives' sampler in the form row_table_max selects: each row
   drawn with probability count ^ exponent / total, rows of one count
   alike; expect_n: the table's entries (rows, or runs of equal count). */
static void check_negs(const uint64_t *count, size_t n, double exponent, size_t row_table_max,
		       uint32_t expect_n)
{
	or_i2v_negs s;
	or_err err;
	CHECK_INT(or_i2v_negs_build(count, n, exponent, row_table_max, &s, &err), OR_OK);
	CHECK_INT(s.n, expect_n);
	CHECK(s.tab != NULL);
	CHECK((s.span != NULL) == (n > row_table_max));
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += pow((double)count[i], exponent);
	size_t *hits = calloc(n, sizeof(*hits));
	or_prng r;
	or_prng_seed(&r, 11, 2);
	const size_t draws = 3000000;
	for (size_t i = 0; i < draws; i++) {
		uint64_t r1 = or_prng_next(&r), r2 = or_prng_next(&r);
		uint32_t k = s.span ? or_i2v_negs_draw_runs(&s, r1, r2) : or_i2v_alias_draw(s.tab, s.n, r1);
		CHECK(k < n);
		if (k < n)
			hits[k]++;
	}
	for (size_t i = 0; i < n; i++) {
		double expect = pow((double)count[i], exponent) / total * (double)draws;
		double sd = sqrt(expect);
		if (fabs((double)hits[i] - expect) > 5 * sd + 1) {
			fprintf(stderr, "  row %zu (count %llu): %zu draws, expected %.0f\n", i,
				(unsigned long long)count[i], hits[i], expect);
			CHECK(0);
		}
	}
	free(hits);
	or_i2v_negs_release(&s);
	CHECK(s.tab == NULL && s.span == NULL);
}

static void test_negatives(void)
{
	/* a Zipf-like count with ties: 9 distinct counts over 30 rows */
	const uint64_t value[9] = { 700, 350, 120, 60, 20, 9, 3, 2, 1 };
	const size_t times[9] = { 1, 2, 3, 1, 2, 3, 5, 4, 9 };
	uint64_t c[30];
	size_t n = 0;
	for (size_t v = 0; v < 9; v++)
		for (size_t k = 0; k < times[v]; k++)
			c[n++] = value[v];
	CHECK_INT(n, 30);
	const double exps[3] = { 0.75, -0.5 /* rare items favoured */, 0.0 /* uniform */ };
	for (int e = 0; e < 3; e++) {
		check_negs(c, n, exps[e], 0, 9);         /* runs */
		check_negs(c, n, exps[e], 29, 9);        /* one row past the limit: runs */
		check_negs(c, n, exps[e], 30, 30);       /* at the limit: rows */
		check_negs(c, n, exps[e], SIZE_MAX, 30); /* rows */
	}
	uint64_t one[1] = { 5 };
	check_negs(one, 1, 0.75, 0, 1);
	check_negs(one, 1, 0.75, 1, 1);
	uint64_t eq[9] = { 4, 4, 4, 4, 4, 4, 4, 4, 4 };
	check_negs(eq, 9, 0.75, 0, 1);
	check_negs(eq, 9, 0.75, 9, 9);
	or_i2v_negs s;
	or_err err;
	CHECK_INT(or_i2v_negs_build(one, 0, 0.75, 0, &s, &err), OR_EINVAL);
	CHECK_INT(or_i2v_negs_build(one, 0, 0.75, SIZE_MAX, &s, &err), OR_EINVAL);
}

/* ---- training ----------------------------------------------------------- */

static int train(or_store *st, const or_i2v_config *cfg, or_i2v_model *m, or_i2v_stats *s)
{
	or_err err;
	or_store *stores[1] = { st };
	int rc = or_i2v_train(stores, 1, cfg, NULL, NULL, NULL, m, s, &err);
	if (rc)
		fprintf(stderr, "  train: %s\n", err.msg);
	return rc;
}

static double cosine(const float *a, const float *b, size_t d)
{
	double ab = 0, aa = 0, bb = 0;
	for (size_t j = 0; j < d; j++) {
		ab += (double)a[j] * b[j];
		aa += (double)a[j] * a[j];
		bb += (double)b[j] * b[j];
	}
	return ab / sqrt(aa * bb + 1e-30);
}

/* G groups of S items (aid = 1000 + 7 x item, so rows are not aids); each
   session a random walk inside one group */
#define G 6
#define S 12
static or_store *group_store(const char *name)
{
	or_prng r;
	or_prng_seed(&r, 77, 0);
	for (int s = 0; s < 1200; s++) {
		uint32_t g = (uint32_t)or_prng_below(&r, G), aid[40];
		size_t n = 5 + (size_t)or_prng_below(&r, 30);
		for (size_t i = 0; i < n; i++)
			aid[i] = 1000 + 7 * (g * S + (uint32_t)or_prng_below(&r, S));
		add(aid, n);
	}
	return finish(name);
}

/* How many of each item's 5 most similar other items (by cosine) are
   outside its group (item i's group: i / S). */
static int outside_group(const or_i2v_model *m)
{
	const int k = 5;
	int bad = 0;
	for (size_t i = 0; i < m->n_rows; i++) {
		double best[5];
		size_t who[5];
		for (int q = 0; q < k; q++)
			best[q] = -2, who[q] = 0;
		for (size_t j = 0; j < m->n_rows; j++) {
			if (j == i)
				continue;
			double c = cosine(m->vectors + i * m->dim, m->vectors + j * m->dim, m->dim);
			int q = k - 1;
			if (c <= best[q])
				continue;
			while (q > 0 && best[q - 1] < c) {
				best[q] = best[q - 1];
				who[q] = who[q - 1];
				q--;
			}
			best[q] = c;
			who[q] = j;
		}
		for (int q = 0; q < k; q++)
			bad += who[q] / S != i / S;
	}
	return bad;
}

static void test_groups(void)
{
	or_store *st = group_store("groups.store");
	/* scalar, SIMD, SIMD with --shared-negatives; CBOW: scalar, SIMD, SIMD
	   summing; SIMD skip-gram and CBOW with the negatives from the runs */
	for (int v = 0; v < 8; v++) {
		const int simd = v != 0 && v != 3;
		or_i2v_config cfg;
		or_i2v_config_default(&cfg);
		cfg.epochs = 10;
		cfg.simd = simd;
		cfg.shared_negatives = v == 2;
		cfg.cbow = v >= 3 && v != 6;
		cfg.cbow_mean = v != 5;
		if (v >= 6)
			cfg.neg_rows_max = 0;
		cfg.threads = 2;
		or_i2v_model m;
		or_i2v_stats s;
		CHECK_INT(train(st, &cfg, &m, &s), OR_OK);
		CHECK_INT(m.n_rows, G * S);
		CHECK_INT(s.vocab, G * S);
		CHECK_INT(s.sentences, 1200);
		CHECK(s.loss > 0 && s.loss < s.epoch_loss[0]);
		CHECK(!strcmp(s.kernels, or_i2v_kernels_pick(simd, 32)->name));
		CHECK(!strcmp(s.negatives_table, v >= 6 ? "runs" : "rows"));
		for (size_t i = 0; i < m.n_rows; i++)
			CHECK_INT(m.aids[i], 1000 + 7 * i);
		int bad = outside_group(&m);
		if (bad)
			fprintf(stderr, "  variant %d: %d of %d neighbours outside their group\n", v, bad,
				(int)m.n_rows * 5);
		CHECK_INT(bad, 0);
		or_i2v_model_release(&m);
	}
	or_store_free(st);
}

/* Trains twice with cfg into *m (stats *s): the same bytes and figures. */
static void train_twice(or_store *st, const or_i2v_config *cfg, or_i2v_model *m, or_i2v_stats *s)
{
	or_i2v_model m2;
	or_i2v_stats s2;
	CHECK_INT(train(st, cfg, m, s), OR_OK);
	CHECK_INT(train(st, cfg, &m2, &s2), OR_OK);
	CHECK(m->n_rows == m2.n_rows && !memcmp(m->vectors, m2.vectors, m->n_rows * m->dim * sizeof(float)));
	CHECK(s->loss == s2.loss && s->pairs == s2.pairs && s->effective_words == s2.effective_words);
	or_i2v_model_release(&m2);
}

static int same_vectors(const or_i2v_model *a, const or_i2v_model *b)
{
	return !memcmp(a->vectors, b->vectors, a->n_rows * a->dim * sizeof(float));
}

static void test_determinism(void)
{
	or_store *st = group_store("det.store");
	or_i2v_config cfg;
	or_i2v_config_default(&cfg);
	cfg.threads = 1;
	cfg.epochs = 2;
	cfg.sample = 0.001; /* downsampling on (keeps about 1 in 3): its draws are in the stream */
	or_i2v_model a, c, d, f, g, h, k;
	or_i2v_stats sa, sd, sf, sg, sk;
	train_twice(st, &cfg, &a, &sa);
	CHECK(sa.effective_words < sa.words); /* some occurrences were dropped */
	cfg.seed = 2;
	CHECK_INT(train(st, &cfg, &c, NULL), OR_OK);
	CHECK(!same_vectors(&a, &c));
	/* --shared-negatives: deterministic too, the same pairs and kept words
	   (windows and downsampling have their own stream), other negatives */
	cfg.seed = 1;
	cfg.shared_negatives = 1;
	train_twice(st, &cfg, &d, &sd);
	CHECK(sd.pairs == sa.pairs && sd.effective_words == sa.effective_words);
	CHECK(!same_vectors(&a, &d));
	/* the negatives from the runs of equal count: deterministic, the same
	   pairs and kept words, other negatives */
	cfg.shared_negatives = 0;
	cfg.neg_rows_max = 0;
	train_twice(st, &cfg, &g, &sg);
	CHECK(sg.pairs == sa.pairs && sg.effective_words == sa.effective_words);
	CHECK(!same_vectors(&a, &g));
	cfg.neg_rows_max = OR_I2V_NEG_ROWS_MAX;
	/* CBOW: deterministic, the same kept words as skip-gram (the same
	   stream of downsampling and window draws), one update per position,
	   other vectors; another seed, the sum (cbow_mean 0): other bytes */
	cfg.shared_negatives = 0;
	cfg.cbow = 1;
	train_twice(st, &cfg, &f, &sf);
	CHECK(sf.effective_words == sa.effective_words);
	CHECK(sf.pairs > 0 && sf.pairs <= sf.effective_words && sf.pairs < sa.pairs);
	CHECK(!same_vectors(&a, &f));
	cfg.seed = 2;
	CHECK_INT(train(st, &cfg, &h, NULL), OR_OK);
	CHECK(!same_vectors(&f, &h));
	cfg.seed = 1;
	cfg.cbow_mean = 0;
	train_twice(st, &cfg, &k, &sk);
	CHECK(!same_vectors(&f, &k));
	CHECK(sk.pairs == sf.pairs && sk.effective_words == sf.effective_words);
	or_i2v_model *all[] = { &a, &c, &d, &f, &g, &h, &k };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		or_i2v_model_release(all[i]);
	or_store_free(st);
}

static void test_min_count_collapse(void)
{
	/* aid 5: 5 times (3 after collapsing), 9: 3, 2: 2, 7: 1, 8: 1 */
	const uint32_t s1[] = { 5, 5, 5, 9, 2 }, s2[] = { 9, 5, 7 }, s3[] = { 2, 9, 5 };
	add(s1, 5);
	add(s2, 3);
	add(s3, 3);
	const uint32_t s4[] = { 8 }; /* a rare item alone */
	add(s4, 1);
	or_store *st = finish("minc.store");
	or_i2v_config cfg;
	or_i2v_config_default(&cfg);
	cfg.epochs = 1;
	or_i2v_model m;
	or_i2v_stats s;
	CHECK_INT(train(st, &cfg, &m, &s), OR_OK);
	CHECK_INT(m.n_rows, 5);
	CHECK_INT(s.corpus_words, 12);
	or_i2v_model_release(&m);
	cfg.min_count = 3;
	CHECK_INT(train(st, &cfg, &m, &s), OR_OK);
	CHECK_INT(m.n_rows, 2);
	CHECK_INT(m.aids[0], 5);
	CHECK_INT(m.aids[1], 9);
	CHECK_INT(s.corpus_words, 8);
	CHECK_INT(s.sentences, 3); /* the session of aid 8 alone has no word left */
	CHECK_INT(s.items, 5);
	or_i2v_model_release(&m);
	cfg.collapse_repeats = 1;
	CHECK_INT(train(st, &cfg, &m, &s), OR_OK);
	CHECK_INT(s.corpus_words, 6); /* 5 x 3 + 9 x 3: 5 5 5 counts once */
	or_i2v_model_release(&m);
	cfg.min_count = 7;
	or_err err;
	or_store *stores[1] = { st };
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "no item occurs 7 times");
	or_store_free(st);
}

static void test_sparse_aids_and_text(void)
{
	const uint32_t big = 2147483647u;
	const uint32_t s1[] = { big, 3, big - 1000000 }, s2[] = { 3, big };
	for (int i = 0; i < 20; i++) {
		add(s1, 3);
		add(s2, 2);
	}
	or_store *st = finish("sparse.store");
	or_i2v_config cfg;
	or_i2v_config_default(&cfg);
	cfg.dim = 5;
	cfg.threads = 1;
	or_i2v_model m;
	CHECK_INT(train(st, &cfg, &m, NULL), OR_OK);
	CHECK_INT(m.n_rows, 3);
	CHECK_INT(m.aids[0], 3);
	CHECK_INT(m.aids[1], big - 1000000);
	CHECK_INT(m.aids[2], big);
	char path[512];
	snprintf(path, sizeof(path), "%s/vec.txt", check_tmpdir());
	or_err err;
	CHECK_INT(or_i2v_write_text(path, &m, &err), OR_OK);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	unsigned long rows = 0, dim = 0;
	CHECK(f && fscanf(f, "%lu %lu", &rows, &dim) == 2);
	CHECK_INT(rows, 3);
	CHECK_INT(dim, 5);
	for (size_t r = 0; f && r < 3; r++) {
		unsigned long aid = 0;
		CHECK(fscanf(f, "%lu", &aid) == 1);
		CHECK_INT(aid, m.aids[r]);
		for (size_t j = 0; j < 5; j++) {
			float x = 0;
			CHECK(fscanf(f, "%f", &x) == 1);
			CHECK(x == m.vectors[r * 5 + j]); /* 9 digits: the same float */
		}
	}
	if (f)
		fclose(f);
	or_i2v_model_release(&m);
	or_store_free(st);
}

static void test_bad_config_cancel(void)
{
	or_store *st = group_store("bad.store");
	or_store *stores[1] = { st };
	or_i2v_model m;
	or_err err;
	or_i2v_config cfg;
	or_i2v_config_default(&cfg);
	cfg.negative = 0;
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "negative 0");
	or_i2v_config_default(&cfg);
	cfg.window = 0;
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	or_i2v_config_default(&cfg);
	cfg.sample = 1.5;
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	or_i2v_config_default(&cfg);
	cfg.min_alpha = 1;
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	or_i2v_config_default(&cfg);
	cfg.cbow = 1;
	cfg.shared_negatives = 1;
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "shared_negatives is for skip-gram");
	or_i2v_config_default(&cfg);
	cfg.cbow = 1;
	cfg.cbow_mean = 2;
	CHECK_INT(or_i2v_train(stores, 1, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "cbow_mean 2");
	or_i2v_config_default(&cfg);
	CHECK_INT(or_i2v_train(stores, 0, &cfg, NULL, NULL, NULL, &m, NULL, &err), OR_EINVAL);
	volatile sig_atomic_t stop = 1;
	or_log log = { NULL, NULL, NULL, &stop };
	CHECK_INT(or_i2v_train(stores, 1, &cfg, &log, NULL, NULL, &m, NULL, &err), OR_ECANCELLED);
	CHECK(m.vectors == NULL);
	or_store_free(st);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_kernels_agree);
	RUN_TEST(test_kernels_by_hand);
	RUN_TEST(test_keep_threshold);
	RUN_TEST(test_alias);
	RUN_TEST(test_negatives);
	RUN_TEST(test_groups);
	RUN_TEST(test_determinism);
	RUN_TEST(test_min_count_collapse);
	RUN_TEST(test_sparse_aids_and_text);
	RUN_TEST(test_bad_config_cancel);
	CHECK_MAIN_END
}
