/*
 * test_recommend_blend.c - the blend strategy on hand-made data whose
 * features and rankings are worked out by hand in the comments: a tiny
 * store, tiny co-visitation rows and a tiny 1-d embedding index; then, on
 * random sessions, that the covisit weights reproduce or_recommend_covisit
 * exactly, that history-only weights reproduce the history ranking of
 * or_history (an independent implementation), that results do not depend
 * on the thread count, that the popularity comes from the period (the
 * test store by default; another store, or its summary, the same bytes as
 * that store), and the weights file (round trip, errors by line);
 * and an index whose rows are not aids (its dictionary maps them).
 */
#include "check.h"
#include "check_store.h"
#include "or_blend.h"
#include "or_cand_period.h"
#include "or_prng.h"
#include "or_recommend.h"
#include "or_store.h"

#include <math.h>
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


/* ---- the hand-made case ------------------------------------------------------ */

/*
 * Session 100: click 5, click 7, cart 5.  Session 200: click 12, click 12,
 * order 13.  Clicks matrix: row 5 = (8, 4), (9, 2); row 7 = (9, 3), (10, 1).
 * No carts_orders matrix.  buy2buy: row 5 = (11, 1).  Index: aid a at
 * x = a * a / 10 (1-d, L2), so the 2 nearest others of 5 (2.5) are 4 (1.6)
 * and 6 (3.6), of 7 (4.9) are 6 (3.6) and 8 (6.4).
 */
static or_store *hand_store(void)
{
	return check_hand_store("hand.store");
}

static void hand_model(or_covisit **cl, or_covisit **b2b, or_ann **ix)
{
	or_err err;
	check_hand_covisit(cl, b2b);
	float x[16];
	for (int a = 0; a < 16; a++)
		x[a] = (float)(a * a) / 10.0f;
	or_ann_build_config cfg;
	or_ann_build_config_default(&cfg);
	cfg.nlist = 2;
	cfg.tune_queries = 0;
	cfg.nprobe = 2; /* every list: exact */
	char path[512];
	snprintf(path, sizeof(path), "%s/hand.idx", check_tmpdir());
	CHECK_INT(or_ann_build(x, 16, 1, &cfg, path, NULL, NULL, NULL, &err), OR_OK);
	CHECK_INT(or_ann_open(path, ix, &err), OR_OK);
}

static const float *feat(const or_blend_table *t, size_t row, uint32_t aid)
{
	for (uint64_t c = t->off[row]; c < t->off[row + 1]; c++)
		if (t->aid[c] == aid)
			return t->x + c * OR_BLEND_N_FEATURES;
	return NULL;
}

#define CLOSE(a, b) CHECK(fabs((double)(a) - (double)(b)) < 1e-6)

static void test_hand_features(void)
{
	or_store *st = hand_store();
	or_covisit *cl = NULL, *b2b = NULL;
	or_ann *ix = NULL;
	hand_model(&cl, &b2b, &ix);
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	cfg.emb_k = 2;
	or_blend_model m = model(cl, NULL, b2b, ix);
	or_blend_table t;
	memset(&t, 0, sizeof(t));
	uint8_t keep[2] = { 1, 0 };
	or_err err;
	CHECK_INT(or_blend_candidates(st, &m, &cfg, keep, &t, NULL, &err), OR_OK);
	CHECK_INT(t.n_rows, 1);
	CHECK_INT(t.session[0], 0);
	/* candidates: history 5 7; rows 8 9 10; b2b 11; neighbours 4 6 (8);
	   popular clicks 12 5 7, carts 5, orders 13 */
	CHECK_INT(t.off[1] - t.off[0], 10);
	const float *x5 = feat(&t, 0, 5), *x7 = feat(&t, 0, 7), *x8 = feat(&t, 0, 8);
	const float *x9 = feat(&t, 0, 9), *x10 = feat(&t, 0, 10), *x11 = feat(&t, 0, 11);
	const float *x4 = feat(&t, 0, 4), *x6 = feat(&t, 0, 6), *x12 = feat(&t, 0, 12);
	const float *x13 = feat(&t, 0, 13);
	CHECK(x5 && x7 && x8 && x9 && x10 && x11 && x4 && x6 && x12 && x13);
	if (!(x5 && x7 && x8 && x9 && x10 && x11 && x4 && x6 && x12 && x13)) {
		or_blend_table_release(&t);
		return;
	}
	/* hist: n = 3, y = 0.1, 0.55, 1: 5 gets (2^0.1 - 1) * 1 + 1 * 6, 7 gets 2^0.55 - 1; / max */
	double h5 = (pow(2, 0.1) - 1) + 6, h7 = pow(2, 0.55) - 1;
	CLOSE(x5[OR_BLEND_HIST], 1);
	CLOSE(x7[OR_BLEND_HIST], h7 / h5);
	CLOSE(x8[OR_BLEND_HIST], 0);
	CLOSE(x5[OR_BLEND_RECENT], 1);
	CLOSE(x7[OR_BLEND_RECENT], 0.5);
	CLOSE(x5[OR_BLEND_BOUGHT], 1);
	CLOSE(x7[OR_BLEND_BOUGHT], 0);
	CLOSE(x5[OR_BLEND_ORDERED], 0);
	CLOSE(x5[OR_BLEND_COUNT], 1);
	CLOSE(x7[OR_BLEND_COUNT], 0.5);
	/* cv_clicks: 8 = 4/4; 9 = 2/4 + (3/3)/2 = 1; 10 = (1/3)/2 */
	CLOSE(x8[OR_BLEND_CV_CLICKS], 1);
	CLOSE(x9[OR_BLEND_CV_CLICKS], 1);
	CLOSE(x10[OR_BLEND_CV_CLICKS], 1.0 / 6);
	CLOSE(x8[OR_BLEND_CV_BUYS], 0);
	CLOSE(x8[OR_BLEND_CV_LAST], 1);
	CLOSE(x9[OR_BLEND_CV_LAST], 0.5);
	CLOSE(x10[OR_BLEND_CV_LAST], 0);
	CLOSE(x8[OR_BLEND_CV_COUNT], 0.5);
	CLOSE(x9[OR_BLEND_CV_COUNT], 1);
	CLOSE(x10[OR_BLEND_CV_COUNT], 0.5);
	CLOSE(x11[OR_BLEND_B2B], 1);
	CLOSE(x9[OR_BLEND_B2B], 0);
	/* emb: 4 = 1/(1*1); 6 = 1/(1*2) + 1/(2*1) = 1; 8 = 1/(2*2) */
	CLOSE(x4[OR_BLEND_EMB], 1);
	CLOSE(x6[OR_BLEND_EMB], 1);
	CLOSE(x8[OR_BLEND_EMB], 0.25);
	CLOSE(x4[OR_BLEND_EMB_LAST], 1);
	CLOSE(x6[OR_BLEND_EMB_LAST], 0.5);
	CLOSE(x8[OR_BLEND_EMB_LAST], 0);
	/* clicks in the store: 5:1 7:1 12:2; carts+orders: 5:1 13:1 */
	CLOSE(x12[OR_BLEND_POP_CLICKS], 1);
	CLOSE(x5[OR_BLEND_POP_CLICKS], log(2) / log(3));
	CLOSE(x8[OR_BLEND_POP_CLICKS], 0);
	CLOSE(x13[OR_BLEND_POP_BUYS], 1);
	CLOSE(x5[OR_BLEND_POP_BUYS], 1);
	/* covisit clicks list: 5 7, then Counter(8 9 9 10) -> 9 8 10, then 12;
	   buys list: 5 7, Counter(b2b of 5: 11), then top orders 13 */
	CLOSE(x5[OR_BLEND_RULE_CLICKS], 1);
	CLOSE(x7[OR_BLEND_RULE_CLICKS], 0.5);
	CLOSE(x9[OR_BLEND_RULE_CLICKS], 1.0 / 3);
	CLOSE(x8[OR_BLEND_RULE_CLICKS], 0.25);
	CLOSE(x10[OR_BLEND_RULE_CLICKS], 0.2);
	CLOSE(x12[OR_BLEND_RULE_CLICKS], 1.0 / 6);
	CLOSE(x11[OR_BLEND_RULE_BUYS], 1.0 / 3);
	CLOSE(x13[OR_BLEND_RULE_BUYS], 0.25);
	CLOSE(x4[OR_BLEND_RULE_BUYS], 0);

	/* rankings: one feature at a time, ties by the smaller aid */
	double w[OR_BLEND_N_FEATURES] = { 0 };
	int64_t out[12];
	w[OR_BLEND_RECENT] = 1;
	or_blend_rank_row(&t, 0, w, 12, out);
	static const int64_t by_recent[12] = { 5, 7, 4, 6, 8, 9, 10, 11, 12, 13, -1, -1 };
	for (int i = 0; i < 12; i++)
		CHECK_INT(out[i], by_recent[i]);
	w[OR_BLEND_RECENT] = 0;
	w[OR_BLEND_CV_CLICKS] = 1;
	or_blend_rank_row(&t, 0, w, 4, out);
	static const int64_t by_cv[4] = { 8, 9, 10, 4 };
	for (int i = 0; i < 4; i++)
		CHECK_INT(out[i], by_cv[i]);
	/* 2 * emb - emb_last: 4 -> 1, 6 -> 1.5, 8 -> 0.5 */
	w[OR_BLEND_CV_CLICKS] = 0;
	w[OR_BLEND_EMB] = 2;
	w[OR_BLEND_EMB_LAST] = -1;
	or_blend_rank_row(&t, 0, w, 3, out);
	CHECK_INT(out[0], 6);
	CHECK_INT(out[1], 4);
	CHECK_INT(out[2], 8);

	/* the whole strategy: clicks by recent only, carts by b2b, orders by pop_buys */
	or_blend_config c2 = cfg;
	memset(c2.w, 0, sizeof(c2.w));
	c2.w[OR_CLICKS][OR_BLEND_RECENT] = 1;
	c2.w[OR_CARTS][OR_BLEND_B2B] = 1;
	c2.w[OR_ORDERS][OR_BLEND_POP_BUYS] = 1;
	c2.k = 3;
	int64_t rc[6], ra[6], ro[6];
	CHECK_INT(or_recommend_blend(st, &m, &c2, rc, ra, ro, NULL, &err), OR_OK);
	CHECK_INT(rc[0], 5);
	CHECK_INT(rc[1], 7);
	CHECK_INT(rc[2], 4);
	CHECK_INT(ra[0], 11);
	CHECK_INT(ra[1], 4);
	CHECK_INT(ro[0], 5);
	CHECK_INT(ro[1], 13);
	/* session 200: clicks 12 first (most recent distinct is 13: order at the end) */
	CHECK_INT(rc[3], 13);
	CHECK_INT(rc[4], 12);

	or_blend_table_release(&t);
	or_covisit_free(cl);
	or_covisit_free(b2b);
	or_ann_free(ix);
	or_store_free(st);
}

/*
 * An index whose rows are not aids: row r (x = r * r / 10, as above) is
 * aid 2 r + 1.  Session: click 11 (row 5), click 15 (row 7), cart 11.  The
 * 2 nearest other rows of 5 are 4 and 6 (aids 9, 13), of 7 are 6 and 8
 * (13, 17): emb 9 = 1, 13 = 1/2 + 1/2 = 1, 17 = 1/4, as in the hand case.
 */
static void test_index_rows_are_not_aids(void)
{
	static const int64_t ids[1] = { 100 };
	static const size_t len[1] = { 3 };
	static const uint32_t aid[3] = { 11, 15, 11 };
	static const uint8_t ty[3] = { 0, 0, 1 };
	or_store *st = check_make_store("odd.store", 1, ids, len, aid, ty);
	float x[16];
	uint32_t row_aids[16];
	for (int r = 0; r < 16; r++) {
		x[r] = (float)(r * r) / 10.0f;
		row_aids[r] = (uint32_t)(2 * r + 1);
	}
	or_ann_build_config cfg;
	or_ann_build_config_default(&cfg);
	cfg.nlist = 2;
	cfg.tune_queries = 0;
	cfg.nprobe = 2;
	cfg.row_aids = row_aids;
	char path[512];
	snprintf(path, sizeof(path), "%s/odd.idx", check_tmpdir());
	or_err err;
	or_ann *ix = NULL;
	CHECK_INT(or_ann_build(x, 16, 1, &cfg, path, NULL, NULL, NULL, &err), OR_OK);
	CHECK_INT(or_ann_open(path, &ix, &err), OR_OK);
	or_blend_config bc;
	or_blend_config_default(&bc);
	bc.emb_k = 2;
	or_blend_model m = model(NULL, NULL, NULL, ix);
	or_blend_table t;
	memset(&t, 0, sizeof(t));
	CHECK_INT(or_blend_candidates(st, &m, &bc, NULL, &t, NULL, &err), OR_OK);
	const float *x9 = feat(&t, 0, 9), *x13 = feat(&t, 0, 13), *x17 = feat(&t, 0, 17);
	CHECK(x9 && x13 && x17);
	if (x9 && x13 && x17) {
		CLOSE(x9[OR_BLEND_EMB], 1);
		CLOSE(x13[OR_BLEND_EMB], 1);
		CLOSE(x17[OR_BLEND_EMB], 0.25);
		/* most recent distinct aid: 11 */
		CLOSE(x9[OR_BLEND_EMB_LAST], 1);
		CLOSE(x13[OR_BLEND_EMB_LAST], 0.5);
		CLOSE(x17[OR_BLEND_EMB_LAST], 0);
	}
	/* rows 4..8 as aids would be neighbours of the wrong items */
	CHECK(feat(&t, 0, 4) == NULL && feat(&t, 0, 6) == NULL);
	or_blend_table_release(&t);
	or_ann_free(ix);
	or_store_free(st);
}

/* ---- random sessions -------------------------------------------------------- */

#define NA 300

/* an order-preserving sparse map of aids 0..NA-1 up to 2^31 - 1 */
static uint32_t sparse_aid(uint32_t a)
{
	return 2147483647u - 61u * (NA - 1 - a);
}

/* sessions on aids 0..NA-1, or their sparse_aid with sparse */
static or_store *random_store_as(const char *name, uint64_t seed, size_t ns, int sparse)
{
	or_prng r;
	or_prng_seed(&r, seed, 1);
	static int64_t ids[400];
	static size_t len[400];
	static uint32_t aid[400 * 60];
	static uint8_t ty[400 * 60];
	size_t at = 0;
	for (size_t i = 0; i < ns; i++) {
		ids[i] = (int64_t)(1000 + i);
		len[i] = 1 + or_prng_next(&r) % (i % 5 == 0 ? 60 : 8);
		for (size_t j = 0; j < len[i]; j++) {
			aid[at] = (uint32_t)(or_prng_next(&r) % (j % 3 ? 40 : NA));
			if (sparse)
				aid[at] = sparse_aid(aid[at]);
			uint64_t u = or_prng_next(&r) % 10;
			ty[at] = u < 7 ? 0 : u < 9 ? 1 : 2;
			at++;
		}
	}
	return check_make_store(name, ns, ids, len, aid, ty);
}

static or_store *random_store(uint64_t seed, size_t ns)
{
	return random_store_as("random.store", seed, ns, 0);
}

/* random rows over the n items of dictionary aids (NULL: 0..n-1, n <= NA) */
static or_covisit *random_table_of(unsigned kind, uint64_t seed, uint32_t top_k,
				   const uint32_t *aids, uint32_t n_items)
{
	or_prng r;
	or_prng_seed(&r, seed, 2 + kind);
	static uint64_t off[NA + 1];
	static uint32_t nb[NA * 20];
	static double w[NA * 20];
	size_t n = 0;
	for (uint32_t a = 0; a < n_items; a++) {
		off[a] = n;
		size_t len = or_prng_next(&r) % (top_k + 1);
		double v = 100;
		for (size_t j = 0; j < len; j++) {
			nb[n] = (uint32_t)(or_prng_next(&r) % n_items);
			v -= (double)(or_prng_next(&r) % 4); /* descending, ties possible */
			w[n++] = v;
		}
	}
	off[n_items] = n;
	or_covisit *t = NULL;
	or_err err;
	CHECK_INT(or_covisit_from_rows(kind, aids, n_items, top_k, off, nb, w, &t, &err), OR_OK);
	return t;
}

static or_covisit *random_table(unsigned kind, uint64_t seed, uint32_t top_k)
{
	return random_table_of(kind, seed, top_k, NULL, NA);
}

static void test_covisit_weights_reproduce_covisit(void)
{
	or_store *st = random_store(7, 400);
	or_covisit *t[3] = { random_table(0, 7, 20), random_table(1, 7, 15), random_table(2, 7, 15) };
	size_t ns = or_store_n_sessions(st), k = 20;
	int64_t *a = malloc(ns * k * 8), *b = malloc(ns * k * 8), *c = malloc(ns * k * 8);
	int64_t *cc = malloc(ns * k * 8), *cb = malloc(ns * k * 8);
	or_err err;
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	or_blend_covisit_weights(cfg.w);
	or_blend_model m = model(t[0], t[1], t[2], NULL);
	CHECK_INT(or_recommend_blend(st, &m, &cfg, a, b, c, NULL, &err), OR_OK);
	int64_t pc[20], po[20];
	size_t npc = 0, npo = 0;
	CHECK_INT(or_recommend_popular(st, OR_CLICKS, k, pc, &npc, &err), OR_OK);
	CHECK_INT(or_recommend_popular(st, OR_ORDERS, k, po, &npo, &err), OR_OK);
	or_recommend_config rc;
	or_recommend_config_default(&rc);
	or_recommend_covisit_model cm = { t[0], t[1], t[2], pc, npc, po, npo };
	CHECK_INT(or_recommend_covisit(st, &cm, &rc, cc, cb, NULL, &err), OR_OK);
	size_t diff = 0;
	for (size_t i = 0; i < ns * k; i++)
		diff += a[i] != cc[i] || b[i] != cb[i] || c[i] != cb[i];
	CHECK_INT(diff, 0);
	free(a);
	free(b);
	free(c);
	free(cc);
	free(cb);
	for (int i = 0; i < 3; i++)
		or_covisit_free(t[i]);
	or_store_free(st);
}

static void test_history_weights_reproduce_history(void)
{
	or_store *st = random_store(8, 400);
	size_t ns = or_store_n_sessions(st), k = 20;
	int64_t *a = malloc(ns * k * 8), *b = malloc(ns * k * 8), *c = malloc(ns * k * 8);
	or_err err;
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	memset(cfg.w, 0, sizeof(cfg.w));
	for (int ty = 0; ty < 3; ty++)
		cfg.w[ty][OR_BLEND_HIST] = 1;
	or_blend_model m = model(NULL, NULL, NULL, NULL);
	CHECK_INT(or_recommend_blend(st, &m, &cfg, a, b, c, NULL, &err), OR_OK);
	or_history *h = NULL;
	CHECK_INT(or_history_new(&h, &err), OR_OK);
	static const double tw[3] = { 1, 6, 3 };
	size_t checked = 0, bad = 0;
	for (size_t i = 0; i < ns; i++) {
		or_session s;
		or_store_session(st, i, &s);
		CHECK_INT(or_history_score(h, &s, 0.1, tw), 0);
		if (or_history_size(h) < k)
			continue; /* the rest of a short list is other candidates */
		/* skip sessions with (nearly) tied scores: ties break differently by
		   design, and the feature is a float */
		const double *v = or_history_values(h);
		int tie = 0;
		for (size_t x = 0; x < or_history_size(h); x++)
			for (size_t y = x + 1; y < or_history_size(h); y++)
				tie |= fabs(v[x] - v[y]) <= 1e-5 * fabs(v[x]);
		if (tie)
			continue;
		int64_t ref[20];
		size_t n = or_history_top(h, k, ref);
		CHECK_INT(n, k);
		for (size_t j = 0; j < k; j++)
			bad += a[i * k + j] != ref[j] || b[i * k + j] != ref[j] || c[i * k + j] != ref[j];
		checked++;
	}
	CHECK_INT(bad, 0);
	CHECK(checked >= 20);
	or_history_free(h);
	free(a);
	free(b);
	free(c);
	or_store_free(st);
}

static void test_threads_same_result(void)
{
	or_store *st = random_store(9, 400);
	or_covisit *t[3] = { random_table(0, 9, 20), random_table(1, 9, 15), random_table(2, 9, 15) };
	size_t ns = or_store_n_sessions(st), k = 20;
	int64_t *r1[3], *r2[3];
	for (int i = 0; i < 3; i++) {
		r1[i] = malloc(ns * k * 8);
		r2[i] = malloc(ns * k * 8);
	}
	or_err err;
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	or_blend_model m = model(t[0], t[1], t[2], NULL);
	cfg.threads = 1;
	CHECK_INT(or_recommend_blend(st, &m, &cfg, r1[0], r1[1], r1[2], NULL, &err), OR_OK);
	cfg.threads = 3;
	CHECK_INT(or_recommend_blend(st, &m, &cfg, r2[0], r2[1], r2[2], NULL, &err), OR_OK);
	for (int i = 0; i < 3; i++) {
		CHECK(memcmp(r1[i], r2[i], ns * k * 8) == 0);
		/* lists are distinct aids, -1 only as padding at the end */
		size_t bad = 0;
		for (size_t s = 0; s < ns; s++)
			for (size_t x = 0; x < k; x++)
				for (size_t y = x + 1; y < k; y++)
					bad += (r1[i][s * k + x] == r1[i][s * k + y] && r1[i][s * k + y] >= 0) ||
					       (r1[i][s * k + x] < 0 && r1[i][s * k + y] >= 0);
		CHECK_INT(bad, 0);
		free(r1[i]);
		free(r2[i]);
	}
	/* k out of range */
	cfg.k = 0;
	int64_t one[1];
	CHECK_INT(or_recommend_blend(st, &m, &cfg, one, one, one, NULL, &err), OR_EINVAL);
	for (int i = 0; i < 3; i++)
		or_covisit_free(t[i]);
	or_store_free(st);
}

/*
 * The period: by default the test store; period = the test store itself
 * gives the same bytes; another store changes the lists (popular fill-ups
 * and pop_* features); its summary (or_cand_period_build, what `serve`
 * hands over) gives the same bytes as that store.
 */
static void test_period(void)
{
	or_store *st = random_store_as("period_test.store", 21, 300, 0);
	or_store *pe = random_store_as("period_other.store", 22, 400, 0);
	or_covisit *t[3] = { random_table(0, 9, 20), random_table(1, 9, 15), random_table(2, 9, 15) };
	size_t ns = or_store_n_sessions(st), k = 20;
	int64_t *r[4][3];
	for (int v = 0; v < 4; v++)
		for (int i = 0; i < 3; i++)
			r[v][i] = malloc(ns * k * 8);
	or_err err;
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	or_blend_model m = model(t[0], t[1], t[2], NULL);
	CHECK_INT(or_recommend_blend(st, &m, &cfg, r[0][0], r[0][1], r[0][2], NULL, &err), OR_OK);
	m.period = st;
	CHECK_INT(or_recommend_blend(st, &m, &cfg, r[1][0], r[1][1], r[1][2], NULL, &err), OR_OK);
	m.period = pe;
	CHECK_INT(or_recommend_blend(st, &m, &cfg, r[2][0], r[2][1], r[2][2], NULL, &err), OR_OK);
	or_cand_period *sum = NULL;
	CHECK_INT(or_cand_period_build(pe, NULL, &sum, &err), OR_OK);
	m.period = NULL;
	m.summary = sum;
	CHECK_INT(or_recommend_blend(st, &m, &cfg, r[3][0], r[3][1], r[3][2], NULL, &err), OR_OK);
	size_t differ = 0;
	for (int i = 0; i < 3; i++) {
		CHECK(memcmp(r[0][i], r[1][i], ns * k * 8) == 0);
		CHECK(memcmp(r[2][i], r[3][i], ns * k * 8) == 0);
		differ += memcmp(r[0][i], r[2][i], ns * k * 8) != 0;
	}
	CHECK_INT(differ, 3);
	/* pop_clicks of a candidate is its period count's log1p over the
	   period's largest, whatever the test store holds */
	or_blend_table tab;
	memset(&tab, 0, sizeof(tab));
	CHECK_INT(or_blend_candidates(st, &m, &cfg, NULL, &tab, NULL, &err), OR_OK);
	const or_items *pi = or_cand_period_items(sum);
	const float *pc = or_cand_period_pop(sum, 0);
	size_t checked = 0, bad = 0;
	for (size_t c = 0; c < tab.n_cand; c++) {
		uint32_t it = or_items_index(pi, tab.aid[c]);
		float want = it == OR_ITEM_NONE ? 0.0f : pc[it];
		bad += tab.x[c * OR_BLEND_N_FEATURES + OR_BLEND_POP_CLICKS] != want;
		checked++;
	}
	CHECK(checked > 1000);
	CHECK_INT(bad, 0);
	or_blend_table_release(&tab);
	or_cand_period_free(sum);
	for (int v = 0; v < 4; v++)
		for (int i = 0; i < 3; i++)
			free(r[v][i]);
	for (int i = 0; i < 3; i++)
		or_covisit_free(t[i]);
	or_store_free(pe);
	or_store_free(st);
}

/*
 * Item ids of any size: the same sessions and tables with aids mapped by an
 * order-preserving sparse map up to 2^31 - 1 give the same lists once
 * mapped back, for blend and the covisit rule.  The tables' dictionary
 * leaves out every 7th aid: those are cold (in sessions, without rows).
 */
static void test_sparse_aids_same_lists(void)
{
	uint32_t dense[NA], sparse[NA], n = 0;
	for (uint32_t a = 0; a < NA; a++)
		if (a % 7) {
			dense[n] = a;
			sparse[n++] = sparse_aid(a);
		}
	or_store *st[2] = { random_store_as("dense.store", 10, 400, 0),
			    random_store_as("sparse.store", 10, 400, 1) };
	or_covisit *t[2][3];
	for (int v = 0; v < 2; v++)
		for (unsigned kind = 0; kind < 3; kind++)
			t[v][kind] = random_table_of(kind, 10, kind ? 15 : 20, v ? sparse : dense, n);
	size_t ns = or_store_n_sessions(st[0]), k = 20;
	CHECK_INT(or_store_n_sessions(st[1]), ns);
	int64_t *r[2][5];
	or_err err;
	for (int v = 0; v < 2; v++) {
		for (int i = 0; i < 5; i++)
			r[v][i] = malloc(ns * k * 8);
		or_blend_config cfg;
		or_blend_config_default(&cfg);
		or_blend_model m = model(t[v][0], t[v][1], t[v][2], NULL);
		CHECK_INT(or_recommend_blend(st[v], &m, &cfg, r[v][0], r[v][1], r[v][2], NULL, &err), OR_OK);
		int64_t pc[20], po[20];
		size_t npc = 0, npo = 0;
		CHECK_INT(or_recommend_popular(st[v], OR_CLICKS, k, pc, &npc, &err), OR_OK);
		CHECK_INT(or_recommend_popular(st[v], OR_ORDERS, k, po, &npo, &err), OR_OK);
		or_recommend_config rc;
		or_recommend_config_default(&rc);
		or_recommend_covisit_model cm = { t[v][0], t[v][1], t[v][2], pc, npc, po, npo };
		CHECK_INT(or_recommend_covisit(st[v], &cm, &rc, r[v][3], r[v][4], NULL, &err), OR_OK);
	}
	size_t diff = 0, cold = 0;
	for (int i = 0; i < 5; i++)
		for (size_t j = 0; j < ns * k; j++) {
			int64_t d = r[0][i][j], s = r[1][i][j];
			diff += d < 0 ? s != -1 : s != (int64_t)sparse_aid((uint32_t)d);
			cold += d >= 0 && d % 7 == 0;
		}
	CHECK_INT(diff, 0);
	CHECK(cold > 100); /* cold aids are listed (history) */
	for (int v = 0; v < 2; v++) {
		for (int i = 0; i < 5; i++)
			free(r[v][i]);
		for (int kind = 0; kind < 3; kind++)
			or_covisit_free(t[v][kind]);
		or_store_free(st[v]);
	}
	/* tables of different dictionaries are refused */
	or_covisit *a = random_table_of(0, 1, 20, dense, n), *b = random_table_of(1, 1, 15, NULL, NA);
	or_store *s1 = random_store(11, 10);
	int64_t one[10 * 20 * 3];
	or_blend_config cfg;
	or_blend_config_default(&cfg);
	or_blend_model m = model(a, b, NULL, NULL);
	CHECK_INT(or_recommend_blend(s1, &m, &cfg, one, one + 200, one + 400, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "different item dictionaries");
	or_covisit_free(a);
	or_covisit_free(b);
	or_store_free(s1);
}

/* ---- the weights file -------------------------------------------------------- */

static void test_weights_file(void)
{
	or_blend_weights w, r;
	or_blend_default_weights(w);
	w[OR_CARTS][OR_BLEND_EMB] = -0.1 / 3; /* not exactly representable in decimal */
	char path[512];
	snprintf(path, sizeof(path), "%s/w.txt", check_tmpdir());
	or_err err;
	CHECK_INT(or_blend_weights_write(path, (const double (*)[OR_BLEND_N_FEATURES])w, "a test\ntwo lines", &err), OR_OK);
	CHECK_INT(or_blend_weights_read(path, r, &err), OR_OK);
	CHECK(memcmp(w, r, sizeof(w)) == 0);

	static const char ok[] = "# c\n\nottorec-blend-weights 1\n  orders emb 2.5\nclicks hist -1\n";
	CHECK_INT(or_blend_weights_read(check_write_file("ok.txt", ok, sizeof(ok) - 1), r, &err), OR_OK);
	CHECK(r[OR_ORDERS][OR_BLEND_EMB] == 2.5 && r[OR_CLICKS][OR_BLEND_HIST] == -1 && r[OR_CARTS][OR_BLEND_HIST] == 0);

	struct { const char *text, *msg; int code; } bad[] = {
		{ "clicks hist 1\n", "w.bad:1: expected the header", OR_EFORMAT },
		{ "ottorec-blend-weights 2\n", "w.bad:1: weights file version 2", OR_EUNSUPPORTED },
		{ "ottorec-blend-weights 1\nclicks hist 1\nclicks nope 1\n", "w.bad:3: unknown feature 'nope'", OR_EFORMAT },
		{ "ottorec-blend-weights 1\nviews hist 1\n", "w.bad:2: unknown type 'views'", OR_EFORMAT },
		{ "ottorec-blend-weights 1\nclicks hist 1x\n", "w.bad:2: weight '1x' is not a finite number", OR_EFORMAT },
		{ "ottorec-blend-weights 1\nclicks hist nan\n", "w.bad:2: weight 'nan'", OR_EFORMAT },
		{ "ottorec-blend-weights 1\nclicks hist 1\n# x\nclicks hist 2\n", "w.bad:4: clicks hist given twice", OR_EFORMAT },
		{ "ottorec-blend-weights 1\nclicks hist\n", "w.bad:2: expected \"<type> <feature> <weight>\"", OR_EFORMAT },
		{ "# only a comment\n", "no \"ottorec-blend-weights 1\" header", OR_EFORMAT },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = check_write_file("w.bad", bad[i].text, strlen(bad[i].text));
		CHECK_INT(or_blend_weights_read(p, r, &err), bad[i].code);
		CHECK_STR_CONTAINS(err.msg, bad[i].msg);
	}
	CHECK_INT(or_blend_weights_read("/nonexistent/w.txt", r, &err), OR_EIO);
	for (int f = 0; f < OR_BLEND_N_FEATURES; f++)
		CHECK_INT(or_blend_feature_by_name(or_blend_feature_name((unsigned)f)), f);
	CHECK(or_blend_feature_name(OR_BLEND_N_FEATURES) == NULL);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_hand_features);
	RUN_TEST(test_index_rows_are_not_aids);
	RUN_TEST(test_covisit_weights_reproduce_covisit);
	RUN_TEST(test_history_weights_reproduce_history);
	RUN_TEST(test_threads_same_result);
	RUN_TEST(test_period);
	RUN_TEST(test_sparse_aids_same_lists);
	RUN_TEST(test_weights_file);
	CHECK_MAIN_END
}
