/*
 * test_mf.c - the mf module against PyTorch (llm.c's test_gpt2 manner):
 * tests/data/mf/exact_ref.bin, written by tests/ref/mf_exact.py, holds the
 * notebook's model run for a few SparseAdam steps; the exact step must give
 * the same table after every step within 1e-5 (and the same loss).  Also:
 * SIMD kernels equal the scalar ones, thread counts do not change the exact
 * result, fast mode learns, checkpoints round-trip.
 */
#include "check.h"
#include "or_mf.h"
#include "or_mf_internal.h"
#include "or_prng.h"

#include <math.h>
#include <stdint.h>

#ifndef TESTS_DATA
#define TESTS_DATA "tests/data"
#endif

typedef struct ref_case {
	uint32_t n_rows, dim, batch, steps;
	float lr;
	unsigned char *buf;
	size_t size;
} ref_case;

static int load_ref(ref_case *rc)
{
	const char *dir = getenv("TESTS_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/data/mf/exact_ref.bin", dir ? dir : "tests");
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "  cannot open %s (HINT: regenerate with /usr/bin/python3 tests/ref/mf_exact.py %s)\n", path, path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	rc->buf = malloc((size_t)sz);
	rc->size = (size_t)sz;
	if (!rc->buf || fread(rc->buf, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (sz < 32 || memcmp(rc->buf, "ORMFREF1", 8) != 0) {
		fprintf(stderr, "  %s: not an ORMFREF1 file (HINT: regenerate with tests/ref/mf_exact.py)\n", path);
		return -1;
	}
	memcpy(&rc->n_rows, rc->buf + 8, 4);
	memcpy(&rc->dim, rc->buf + 12, 4);
	memcpy(&rc->batch, rc->buf + 16, 4);
	memcpy(&rc->steps, rc->buf + 20, 4);
	memcpy(&rc->lr, rc->buf + 24, 4);
	size_t table = (size_t)rc->n_rows * rc->dim * 4;
	size_t per_step = (size_t)rc->batch * 12 + 4 + table;
	if ((size_t)sz != 32 + table + rc->steps * per_step) {
		fprintf(stderr, "  %s: size %ld does not match its header\n", path, sz);
		return -1;
	}
	return 0;
}

/* Runs the reference case; returns the max abs diff over all steps. */
static double run_ref(const ref_case *rc, int threads, int simd, double *max_loss_diff)
{
	or_mf_config cfg;
	or_mf_config_default(&cfg);
	cfg.dim = rc->dim;
	cfg.lr = rc->lr;
	cfg.threads = threads;
	cfg.simd = simd;
	or_mf_model m;
	or_err err;
	CHECK_INT(or_mf_model_alloc(&m, rc->n_rows, rc->dim, OR_MF_EXACT, &err), OR_OK);
	size_t table = (size_t)rc->n_rows * rc->dim;
	memcpy(m.emb, rc->buf + 32, table * 4);
	or_mf_exact_ws *ws = NULL;
	CHECK_INT(or_mf_exact_ws_new(&ws, &m, rc->batch, &cfg, &err), OR_OK);
	const unsigned char *p = rc->buf + 32 + table * 4;
	uint32_t *pairs = malloc((size_t)rc->batch * 8), *perm = malloc((size_t)rc->batch * 4);
	float *want = malloc(table * 4);
	double worst = 0;
	*max_loss_diff = 0;
	for (uint32_t s = 0; s < rc->steps; s++) {
		memcpy(pairs, p, (size_t)rc->batch * 8);
		p += (size_t)rc->batch * 8;
		memcpy(perm, p, (size_t)rc->batch * 4);
		p += (size_t)rc->batch * 4;
		float want_loss;
		memcpy(&want_loss, p, 4);
		p += 4;
		memcpy(want, p, table * 4);
		p += table * 4;
		double loss = 0;
		CHECK_INT(or_mf_exact_step(&m, ws, pairs, rc->batch, perm, &loss, &err), OR_OK);
		double step_worst = 0;
		size_t worst_at = 0;
		for (size_t i = 0; i < table; i++) {
			double dd = fabs((double)m.emb[i] - (double)want[i]);
			if (!(dd <= step_worst)) {
				step_worst = dd;
				worst_at = i;
			}
		}
		if (step_worst > 1e-5)
			fprintf(stderr, "  step %u: max |C - PyTorch| = %.3g at row %zu col %zu (C %.8f, PyTorch %.8f)\n",
				s + 1, step_worst, worst_at / rc->dim, worst_at % rc->dim,
				m.emb[worst_at], want[worst_at]);
		if (step_worst > worst)
			worst = step_worst;
		double ld = fabs(loss - want_loss);
		if (ld > *max_loss_diff)
			*max_loss_diff = ld;
	}
	free(pairs);
	free(perm);
	free(want);
	or_mf_exact_ws_free(ws);
	or_mf_model_free(&m);
	return worst;
}

static void test_exact_matches_pytorch(void)
{
	ref_case rc;
	memset(&rc, 0, sizeof(rc));
	if (load_ref(&rc) != 0) {
		CHECK(!"reference file loads");
		free(rc.buf);
		return;
	}
	for (int simd = 0; simd <= 1; simd++) {
		for (int threads = 1; threads <= 2; threads++) {
			double ldiff;
			double worst = run_ref(&rc, threads, simd, &ldiff);
			printf("  exact vs PyTorch (%s, %d thread%s): max abs diff %.3g over %u steps, loss diff %.3g\n",
			       simd ? "simd" : "scalar", threads, threads > 1 ? "s" : "", worst, rc.steps, ldiff);
			CHECK(worst <= 1e-5);
			CHECK(ldiff <= 1e-5);
		}
	}
	free(rc.buf);
}

static void test_kernels_agree(void)
{
	const or_mf_kernels *sc = or_mf_kernels_scalar(), *vx = or_mf_kernels_avx2();
	if (!vx) {
		check_skip("test_kernels_agree[avx2]", "no AVX2/FMA on this CPU: scalar kernels only");
		return;
	}
	or_prng r;
	or_prng_seed(&r, 7, 0);
	float a[67], b[67], y1[67], y2[67];
	for (size_t d = 1; d <= 67; d += 3) {
		for (size_t j = 0; j < d; j++) {
			a[j] = (float)(or_prng_unit(&r) * 2 - 1);
			b[j] = (float)(or_prng_unit(&r) * 2 - 1);
			y1[j] = y2[j] = (float)or_prng_unit(&r);
		}
		float ds = sc->dot(a, b, d), dv = vx->dot(a, b, d);
		CHECK(fabsf(ds - dv) <= 1e-5f * (1 + fabsf(ds)));
		sc->axpy(0.37f, a, y1, d);
		vx->axpy(0.37f, a, y2, d);
		for (size_t j = 0; j < d; j++)
			CHECK(fabsf(y1[j] - y2[j]) <= 1e-6f);
	}
	/* SparseAdam rows: the same operations, so the same bits */
	or_mf_config cfg;
	or_mf_config_default(&cfg);
	or_mf_sparse_adam o;
	or_mf_sparse_adam_init(&o, &cfg);
	float p1[40], p2[40], m1[40], m2[40], v1[40], v2[40], g[40];
	for (size_t j = 0; j < 40; j++) {
		p1[j] = p2[j] = (float)or_prng_unit(&r);
		m1[j] = m2[j] = (float)(or_prng_unit(&r) - 0.5) * 0.01f;
		v1[j] = v2[j] = (float)or_prng_unit(&r) * 1e-4f;
		g[j] = (float)(or_prng_unit(&r) - 0.5) * 0.01f;
	}
	for (uint64_t t = 1; t <= 3; t++) {
		or_mf_sparse_adam_begin(&o, t);
		sc->adam_row(&o, p1, m1, v1, g, 37);
		vx->adam_row(&o, p2, m2, v2, g, 37);
	}
	CHECK(memcmp(p1, p2, sizeof(p1)) == 0 && memcmp(m1, m2, sizeof(m1)) == 0 && memcmp(v1, v2, sizeof(v1)) == 0);
}

/* Clustered pairs: aids in groups of 10, aid_next in the same group. */
static uint32_t *cluster_pairs(size_t n, size_t n_rows, uint64_t seed)
{
	uint32_t *p = malloc(n * 8);
	or_prng r;
	or_prng_seed(&r, seed, 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t a = (uint32_t)or_prng_below(&r, n_rows);
		p[2 * i] = a;
		p[2 * i + 1] = (uint32_t)(a / 10 * 10 + or_prng_below(&r, 10));
	}
	return p;
}

static void test_exact_threads_and_resume(void)
{
	const size_t nr = 500, n = 20000, nv = 2000;
	uint32_t *tr = cluster_pairs(n, nr, 1), *va = cluster_pairs(nv, nr, 2);
	or_mf_config cfg;
	or_mf_config_default(&cfg);
	cfg.batch = 1024;
	cfg.epochs = 2;
	or_mf_model m1, m2, m3;
	or_mf_stats st;
	or_err err;
	cfg.threads = 1;
	CHECK_INT(or_mf_model_init(&m1, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m1, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	printf("  exact, 2 epochs on clustered pairs: loss %.4f, valid accuracy %.4f\n", st.train_loss, st.valid_accuracy);
	CHECK(st.valid_accuracy > 0.7);
	cfg.threads = 2;
	CHECK_INT(or_mf_model_init(&m2, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m2, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	CHECK(memcmp(m1.emb, m2.emb, nr * cfg.dim * 4) == 0);
	/* 1 epoch with a checkpoint, resume, 1 more = 2 straight */
	char ck[512];
	snprintf(ck, sizeof(ck), "%s/mf.ckpt", check_tmpdir());
	cfg.checkpoint = ck;
	cfg.epochs = 1;
	CHECK_INT(or_mf_model_init(&m3, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m3, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	or_mf_model_free(&m3);
	CHECK_INT(or_mf_checkpoint_load(&m3, ck, &cfg, nr, &err), OR_OK);
	CHECK_INT(m3.epoch, 1);
	cfg.epochs = 2;
	CHECK_INT(or_mf_train(&m3, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	CHECK(memcmp(m1.emb, m3.emb, nr * cfg.dim * 4) == 0);
	CHECK(memcmp(m1.m, m3.m, nr * cfg.dim * 4) == 0);
	CHECK_INT(m1.step, m3.step);
	/* a checkpoint of another shape or a damaged one is refused */
	or_mf_model bad;
	CHECK_INT(or_mf_checkpoint_load(&bad, ck, &cfg, nr + 1, &err), OR_EINVAL);
	FILE *f = fopen(ck, "r+b");
	fseek(f, 4096 + 200, SEEK_SET); /* in the table section */
	fputc(0x55, f);
	fclose(f);
	CHECK_INT(or_mf_checkpoint_load(&bad, ck, &cfg, nr, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "checksum");
	/* bad aids are an error, not a crash */
	tr[7] = (uint32_t)nr;
	or_mf_model_free(&m2);
	CHECK_INT(or_mf_model_init(&m2, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m2, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_EFORMAT);
	or_mf_model_free(&m1);
	or_mf_model_free(&m2);
	or_mf_model_free(&m3);
	free(tr);
	free(va);
}

static void test_fast_learns(void)
{
	const size_t nr = 500, n = 50000, nv = 2000;
	uint32_t *tr = cluster_pairs(n, nr, 3), *va = cluster_pairs(nv, nr, 4);
	or_mf_config cfg;
	or_mf_config_default_fast(&cfg);
	cfg.epochs = 2;
	cfg.threads = 1;
	or_mf_model m1, m2;
	or_mf_stats st;
	or_err err;
	CHECK_INT(or_mf_model_init(&m1, nr, &cfg, &err), OR_OK);
	/* fast mode's default init: word2vec's uniform(-0.5/dim, 0.5/dim) */
	CHECK_INT(cfg.init, OR_MF_INIT_SMALL);
	float lo = 1, hi = -1;
	for (size_t i = 0; i < nr * cfg.dim; i++) {
		lo = m1.emb[i] < lo ? m1.emb[i] : lo;
		hi = m1.emb[i] > hi ? m1.emb[i] : hi;
	}
	CHECK(lo >= -0.5f / cfg.dim && hi <= 0.5f / cfg.dim && hi - lo > 0.9f / cfg.dim);
	CHECK_INT(or_mf_train(&m1, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	printf("  fast, 2 epochs on clustered pairs: loss %.4f, valid accuracy %.4f\n", st.train_loss, st.valid_accuracy);
	CHECK(st.valid_accuracy > 0.7);
	/* one thread: a repeat gives the same bytes */
	CHECK_INT(or_mf_model_init(&m2, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m2, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	CHECK(memcmp(m1.emb, m2.emb, nr * cfg.dim * 4) == 0);
	or_mf_model_free(&m2);
	/* Hogwild with two threads still learns */
	cfg.threads = 2;
	cfg.negatives = 3;
	CHECK_INT(or_mf_model_init(&m2, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m2, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	CHECK(st.valid_accuracy > 0.7);
	or_mf_model_free(&m2);
	/* unigram-table negatives (neg_power != 1) and the N(0, 1) init */
	cfg.neg_power = 0.75;
	cfg.init = OR_MF_INIT_NORMAL;
	CHECK_INT(or_mf_model_init(&m2, nr, &cfg, &err), OR_OK);
	CHECK_INT(or_mf_train(&m2, &cfg, tr, n, va, nv, NULL, NULL, NULL, &st, &err), OR_OK);
	printf("  fast, unigram table, N(0,1) init: valid accuracy %.4f\n", st.valid_accuracy);
	CHECK(st.valid_accuracy > 0.7);
	or_mf_model_free(&m1);
	or_mf_model_free(&m2);
	free(tr);
	free(va);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_exact_matches_pytorch);
	RUN_TEST(test_kernels_agree);
	RUN_TEST(test_exact_threads_and_resume);
	RUN_TEST(test_fast_learns);
	CHECK_MAIN_END
}
