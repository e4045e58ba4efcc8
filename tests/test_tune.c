/*
 * test_tune.c - the blend weight search: the hit count against a naive
 * sort-everything count, a table where the best weights are known (the
 * label is marked by one feature, the start weights rank it last), that
 * the search is deterministic and thread-independent and never ends below
 * its start, and the labelled table of a tiny store (tags, truth, dropped
 * sessions).
 */
#include "check.h"
#include "or_prng.h"
#include "or_tune.h"

#include <stdio.h>


/* a model with the index's default search parameters */
static or_blend_model model(const or_covisit *cl, const or_covisit *co, const or_covisit *b2b,
			    const or_ann *ix)
{
	or_blend_model m;
	memset(&m, 0, sizeof(m));
	m.clicks = cl;
	m.carts_orders = co;
	m.buy2buy = b2b;
	m.index = ix;
	or_ann_search_params_default(&m.search);
	return m;
}

#define F OR_BLEND_N_FEATURES

/* rows x cands candidates, features uniform in [0,1), tags from tag_p (%) */
static void random_table(or_blend_table *t, uint64_t seed, size_t rows, size_t max_c, unsigned tag_p)
{
	or_prng r;
	or_prng_seed(&r, seed, 0);
	memset(t, 0, sizeof(*t));
	t->n_rows = rows;
	t->session = malloc(rows * sizeof(*t->session));
	t->off = malloc((rows + 1) * sizeof(*t->off));
	t->aid = malloc(rows * max_c * sizeof(*t->aid));
	t->x = malloc(rows * max_c * F * sizeof(*t->x));
	t->tag = malloc(rows * max_c);
	size_t n = 0;
	for (size_t i = 0; i < rows; i++) {
		t->session[i] = i;
		t->off[i] = n;
		size_t nc = 1 + or_prng_next(&r) % max_c;
		for (size_t c = 0; c < nc; c++) {
			t->aid[n] = (uint32_t)(c * 7 + or_prng_next(&r) % 7); /* distinct in a row */
			for (int f = 0; f < F; f++)
				t->x[n * F + f] = (float)(or_prng_next(&r) % 1000) / 1000.0f;
			t->x[n * F + 2] = (float)(or_prng_next(&r) % 3); /* ties on purpose */
			t->tag[n] = (uint8_t)((or_prng_next(&r) % 100 < tag_p ? 1 : 0) |
					      (or_prng_next(&r) % 100 < tag_p ? 2 : 0) |
					      (or_prng_next(&r) % 100 < tag_p ? 4 : 0));
			n++;
		}
	}
	t->off[rows] = n;
	t->n_cand = n;
}

typedef struct sc {
	double s;
	uint32_t aid;
	uint8_t tag;
} sc;

static int cmp_sc(const void *a, const void *b)
{
	const sc *x = a, *y = b;
	if (x->s != y->s)
		return x->s > y->s ? -1 : 1;
	return x->aid < y->aid ? -1 : x->aid > y->aid;
}

/* sort each row completely and count the tagged candidates in the first 20 */
static uint64_t naive_hits(const or_blend_table *t, unsigned type, const double *w)
{
	uint64_t hits = 0;
	sc *v = malloc((t->n_cand + 1) * sizeof(*v));
	for (size_t r = 0; r < t->n_rows; r++) {
		size_t n = 0;
		for (uint64_t c = t->off[r]; c < t->off[r + 1]; c++) {
			double s = 0;
			for (int f = 0; f < F; f++)
				s += w[f] * (double)t->x[c * F + f];
			v[n].s = s;
			v[n].aid = t->aid[c];
			v[n].tag = t->tag[c];
			n++;
		}
		qsort(v, n, sizeof(*v), cmp_sc);
		for (size_t i = 0; i < n && i < 20; i++)
			hits += (v[i].tag >> type) & 1u;
	}
	free(v);
	return hits;
}

static void test_hits_match_naive(void)
{
	or_blend_table t;
	random_table(&t, 1, 300, 60, 10);
	or_prng r;
	or_prng_seed(&r, 2, 0);
	for (int trial = 0; trial < 20; trial++) {
		double w[F];
		for (int f = 0; f < F; f++)
			w[f] = (double)((int)(or_prng_next(&r) % 9) - 4) / 2.0;
		if (trial == 0)
			memset(w, 0, sizeof(w)); /* all ties: smaller aids first */
		for (unsigned ty = 0; ty < 3; ty++) {
			uint64_t a = or_tune_hits(&t, ty, w, 1), b = naive_hits(&t, ty, w);
			CHECK_INT(a, b);
			CHECK_INT(or_tune_hits(&t, ty, w, 3), b);
		}
	}
	or_blend_table_release(&t);
}

/* 200 rows of 30 candidates: the label has feature 1 = 1 (others 0.5) and
   feature 0 = 0 (others random in [0.2, 1]); start: feature 0 only. */
static void test_finds_the_marking_feature(void)
{
	or_blend_table t;
	random_table(&t, 3, 200, 30, 0);
	or_prng r;
	or_prng_seed(&r, 4, 0);
	for (size_t i = 0; i < t.n_rows; i++) {
		uint64_t lo = t.off[i], hi = t.off[i + 1];
		uint64_t lab = lo + or_prng_next(&r) % (hi - lo);
		for (uint64_t c = lo; c < hi; c++) {
			t.x[c * F + 0] = c == lab ? 0.0f : 0.2f + 0.8f * (float)(or_prng_next(&r) % 1000) / 1000.0f;
			t.x[c * F + 1] = c == lab ? 1.0f : 0.5f;
			t.tag[c] = c == lab ? 7 : 0;
		}
	}
	or_blend_weights start;
	memset(start, 0, sizeof(start));
	for (int ty = 0; ty < 3; ty++)
		start[ty][0] = 1;
	uint64_t truth[3] = { 200, 200, 200 };
	or_tune_config cfg;
	or_tune_config_default(&cfg);
	or_tune_result res;
	or_err err;
	CHECK_INT(or_tune_run(&t, truth, (const double (*)[F])start, &cfg, &res, NULL, &err), OR_OK);
	size_t big = 0;
	for (size_t i = 0; i < t.n_rows; i++)
		big += t.off[i + 1] - t.off[i] > 20;
	for (int ty = 0; ty < 3; ty++) {
		/* from the start the label is last: hits only in rows of <= 20 */
		CHECK_INT(res.hits_start[ty], t.n_rows - big);
		CHECK_INT(res.hits[ty], t.n_rows);
		CHECK_INT(res.reachable[ty], t.n_rows);
		CHECK_INT(or_tune_hits(&t, (unsigned)ty, res.w[ty], 1), res.hits[ty]);
	}
	CHECK(res.score > 1.0 - 1e-12 && res.score < 1.0 + 1e-12);
	or_blend_table_release(&t);
}

static void test_deterministic_and_never_worse(void)
{
	or_blend_table t;
	random_table(&t, 5, 400, 50, 8);
	uint64_t truth[3] = { 500, 500, 500 };
	or_blend_weights start;
	or_blend_default_weights(start);
	or_tune_config cfg;
	or_tune_config_default(&cfg);
	cfg.n_steps = 3;
	or_tune_result a, b;
	or_err err;
	cfg.threads = 1;
	CHECK_INT(or_tune_run(&t, truth, (const double (*)[F])start, &cfg, &a, NULL, &err), OR_OK);
	cfg.threads = 2;
	CHECK_INT(or_tune_run(&t, truth, (const double (*)[F])start, &cfg, &b, NULL, &err), OR_OK);
	CHECK(memcmp(a.w, b.w, sizeof(a.w)) == 0);
	for (int ty = 0; ty < 3; ty++) {
		CHECK_INT(a.hits[ty], b.hits[ty]);
		CHECK_INT(a.evals[ty], b.evals[ty]);
		CHECK(a.hits[ty] >= a.hits_start[ty]);
		CHECK_INT(a.hits_start[ty], naive_hits(&t, (unsigned)ty, start[ty]));
		CHECK_INT(a.hits[ty], naive_hits(&t, (unsigned)ty, a.w[ty]));
		for (int f = 0; f < F; f++)
			CHECK(a.w[ty][f] >= cfg.lo && a.w[ty][f] <= cfg.hi);
	}
	CHECK(a.score >= a.score_start);
	CHECK(a.score > a.score_start); /* random features: something helps */
	/* tuned again from its own result: nothing to gain, nothing lost */
	or_tune_result c;
	CHECK_INT(or_tune_run(&t, truth, (const double (*)[F])a.w, &cfg, &c, NULL, &err), OR_OK);
	for (int ty = 0; ty < 3; ty++)
		CHECK(c.hits[ty] >= a.hits[ty]);
	cfg.step0 = 0;
	CHECK_INT(or_tune_run(&t, truth, (const double (*)[F])start, &cfg, &c, NULL, &err), OR_EINVAL);
	or_blend_table_release(&t);
}

/* Store: session 100 = click 5, click 7, cart 5; 200 = click 12 x2, order 13.
   Labels: 100 clicks 12, carts 7 and 99; 200 clicks 0 (no label, as
   evaluate.py), orders 77.  No matrices: candidates of 100 are 5 7 (and
   the popular 12 5 7 / 5 / 13).  Session 200 has no label aid among its
   candidates and is dropped. */
static void test_labelled_table(void)
{
	or_store_builder *b = NULL;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	uint32_t a1[3] = { 5, 7, 5 }, a2[3] = { 12, 12, 13 };
	int64_t ts[3] = { 0, 1000, 2000 };
	uint8_t t1[3] = { 0, 0, 1 }, t2[3] = { 0, 0, 2 };
	CHECK_INT(or_store_builder_add(b, 100, 3, a1, ts, t1, &err), OR_OK);
	CHECK_INT(or_store_builder_add(b, 200, 3, a2, ts, t2, &err), OR_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/tune.store", check_tmpdir());
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st = NULL;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	static const char lab[] =
		"{\"session\":100,\"labels\":{\"clicks\":12,\"carts\":[7,99]}}\n"
		"{\"session\":200,\"labels\":{\"clicks\":0,\"orders\":[77]}}\n"
		"{\"session\":300,\"labels\":{\"orders\":[1,2,3]}}\n";
	or_labels labels;
	or_labels_init(&labels);
	CHECK_INT(or_labels_read(&labels, check_write_file("l.jsonl", lab, sizeof(lab) - 1), 0, NULL, &err), OR_OK);
	or_blend_model m = model(NULL, NULL, NULL, NULL);
	or_blend_config bcfg;
	or_blend_config_default(&bcfg);
	or_blend_table t;
	memset(&t, 0, sizeof(t));
	uint64_t truth[3];
	CHECK_INT(or_tune_table(st, &m, &bcfg, &labels, 0, &t, truth, NULL, &err), OR_OK);
	CHECK_INT(truth[0], 1);
	CHECK_INT(truth[1], 2);
	CHECK_INT(truth[2], 4);
	CHECK_INT(t.n_rows, 1);
	if (t.n_rows == 1) {
		CHECK_INT(t.session[0], 0);
		CHECK_INT(t.off[1] - t.off[0], 4); /* 5 7 12 13 */
		for (uint64_t c = t.off[0]; c < t.off[1]; c++)
			CHECK_INT(t.tag[c], t.aid[c] == 12 ? 1 : t.aid[c] == 7 ? 2 : 0);
		/* recent only: 5 7 12 13 -> click 12 and cart 7 are hits */
		double w[F] = { 0 };
		w[OR_BLEND_RECENT] = 1;
		CHECK_INT(or_tune_hits(&t, OR_CLICKS, w, 1), 1);
		CHECK_INT(or_tune_hits(&t, OR_CARTS, w, 1), 1);
		CHECK_INT(or_tune_hits(&t, OR_ORDERS, w, 1), 0);
	}
	or_blend_table_release(&t);
	/* sampling 1 of the 2 labelled sessions of the store: the first (100)
	   is kept, truth counts it alone */
	CHECK_INT(or_tune_table(st, &m, &bcfg, &labels, 1, &t, truth, NULL, &err), OR_OK);
	CHECK_INT(truth[0], 1);
	CHECK_INT(truth[1], 2);
	CHECK_INT(truth[2], 0);
	CHECK_INT(t.n_rows, 1);
	or_blend_table_release(&t);
	/* a repeated session in labels built by a caller (the JSONL reader
	   refuses repeats itself) */
	or_labels l2;
	or_labels_init(&l2);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(or_labels_reserve_rows(&l2, &err), OR_OK);
		or_label *row = &l2.rows[l2.n++];
		memset(row, 0, sizeof(*row));
		row->session = 100;
		row->click = 12;
	}
	CHECK_INT(or_tune_table(st, &m, &bcfg, &l2, 0, &t, truth, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "session 100 appears twice");
	or_labels_release(&l2);
	or_labels_release(&labels);
	or_store_free(st);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_hits_match_naive);
	RUN_TEST(test_finds_the_marking_feature);
	RUN_TEST(test_deterministic_and_never_worse);
	RUN_TEST(test_labelled_table);
	CHECK_MAIN_END
}
