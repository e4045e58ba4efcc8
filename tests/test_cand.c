/*
 * test_cand.c - the ranker's candidates (or_cand.h) on a hand-made case
 * whose candidates, stage-1 order and features are worked out by hand in
 * the comments; the labelled table (labels per row, recall, dropping and
 * negative sampling); independence of the thread count on random data; the
 * settings' JSON and the source names; the next-item table and its
 * features on a second hand-made case; and the ranker strategy with a
 * linear ranker (ranking by -stage1_rank gives the stage-1 order).
 */
#include "check.h"
#include "or_file.h"

#include <unistd.h>
#include "check_store.h"
#include "or_cand.h"
#include "or_cand_table.h"
#include "or_prng.h"
#include "or_ranker.h"
#include "or_strategy.h"

#include <math.h>
#include <stdlib.h>

#define CLOSE(a, b) CHECK(fabs((double)(a) - (double)(b)) < 1e-6)

/* check_store.h's hand-made case (its rows are worked out below). */
static or_store *hand_store(void)
{
	return check_hand_store("cand_hand.store");
}


/* A sink keeping a copy of every block's rows. */
typedef struct keep_all {
	size_t n_sessions, n_rows;
	int64_t ids[64];
	uint64_t off[65];
	uint32_t aid[4096];
	float x[4096 * OR_CF_N];
} keep_all;

static int keep_sink(void *ctx, const or_cand_chunk *c, or_err *err)
{
	(void)err;
	keep_all *k = ctx;
	for (size_t j = 0; j < c->n_sessions; j++) {
		k->ids[k->n_sessions] = c->session_ids[j];
		k->off[k->n_sessions] = k->n_rows;
		size_t n = (size_t)(c->off[j + 1] - c->off[j]);
		memcpy(k->aid + k->n_rows, c->aid + c->off[j], n * sizeof(uint32_t));
		memcpy(k->x + k->n_rows * OR_CF_N, c->x + c->off[j] * OR_CF_N, n * OR_CF_N * sizeof(float));
		k->n_rows += n;
		k->n_sessions++;
		k->off[k->n_sessions] = k->n_rows;
	}
	return OR_OK;
}


/* Whether dir_a/name and dir_b/name hold the same bytes. */
static int same_file(const char *dir_a, const char *dir_b, const char *name)
{
	char pa[700], pb[700];
	snprintf(pa, sizeof(pa), "%s/%s", dir_a, name);
	snprintf(pb, sizeof(pb), "%s/%s", dir_b, name);
	FILE *a = fopen(pa, "rb"), *b = fopen(pb, "rb");
	int same = a && b, ca = 0;
	while (same && ca != EOF) {
		ca = fgetc(a);
		same = ca == fgetc(b);
	}
	if (a)
		fclose(a);
	if (b)
		fclose(b);
	return same;
}

static void test_hand(void)
{
	or_store *st = hand_store();
	or_covisit *cl = NULL, *b2b = NULL;
	check_hand_covisit(&cl, &b2b);
	or_cand_stats *stats = NULL;
	or_err err;
	or_store *stores[1] = { st };
	CHECK_INT(or_cand_stats_build(stores, 1, &stats, NULL, &err), OR_OK);
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	cfg.sources = OR_CAND_SRC_HISTORY | OR_CAND_SRC_COVISIT | OR_CAND_SRC_BUY2BUY;
	or_cand_model m;
	memset(&m, 0, sizeof(m));
	m.clicks = cl;
	m.buy2buy = b2b;
	m.stats = stats;
	keep_all *k = calloc(1, sizeof(*k));
	uint8_t keep[2] = { 1, 0 };
	CHECK_INT(or_cand_generate(st, &m, &cfg, keep, keep_sink, k, NULL, &err), OR_OK);
	CHECK_INT(k->n_sessions, 1);
	CHECK_INT(k->ids[0], 100);
	/* stage 1: history 5 (10 + 1), 7 (10 + 1/2); then by the clicks sums
	   (/ their max 1) and b2b (/ 1): 8 = 1, 9 = 1/2 + 1/2 = 1, 11 = 1 (ties
	   by aid), 10 = 1/6 */
	static const uint32_t order[6] = { 5, 7, 8, 9, 11, 10 };
	CHECK_INT(k->n_rows, 6);
	for (int i = 0; i < 6 && (size_t)i < k->n_rows; i++)
		CHECK_INT(k->aid[i], order[i]);
	const float *x5 = k->x, *x7 = k->x + OR_CF_N, *x8 = k->x + 2 * OR_CF_N;
	const float *x9 = k->x + 3 * OR_CF_N, *x11 = k->x + 4 * OR_CF_N, *x10 = k->x + 5 * OR_CF_N;
	/* session features */
	CLOSE(x5[OR_CF_S_EVENTS], 3);
	CLOSE(x5[OR_CF_S_DISTINCT], 2);
	CLOSE(x5[OR_CF_S_DURATION], 2);
	CLOSE(x5[OR_CF_S_CLICKS], 2);
	CLOSE(x5[OR_CF_S_CARTS], 1);
	CLOSE(x5[OR_CF_S_ORDERS], 0);
	CLOSE(x10[OR_CF_S_SINCE_END], 3); /* the store ends at 5 s */
	/* session x item */
	CLOSE(x5[OR_CF_SI_CLICKS], 1);
	CLOSE(x5[OR_CF_SI_CARTS], 1);
	CLOSE(x5[OR_CF_SI_RECENCY], 0);
	CLOSE(x5[OR_CF_SI_LAST_EVENTS], 0);
	CLOSE(x5[OR_CF_SI_FIRST_POS], 0);
	CLOSE(x7[OR_CF_SI_RECENCY], 1);
	CLOSE(x7[OR_CF_SI_LAST_EVENTS], 1);
	CLOSE(x7[OR_CF_SI_LAST_SECONDS], 1);
	CLOSE(x7[OR_CF_SI_FIRST_POS], 1.0 / 3.0);
	CLOSE(x8[OR_CF_SI_RECENCY], -1);
	CLOSE(x8[OR_CF_SI_CLICKS], 0);
	/* history score: logspace(0.1, 1, 3) weights w_i = 2^y_i - 1, types 1, 1, 6 */
	double w0 = pow(2, 0.1) - 1, w1 = pow(2, 0.55) - 1, w2 = 1;
	CLOSE(x5[OR_CF_SI_HIST], w0 + 6 * w2);
	CLOSE(x7[OR_CF_SI_HIST], w1);
	/* co-visitation */
	CLOSE(x8[OR_CF_CV_CLICKS_SUM], 1);
	CLOSE(x8[OR_CF_CV_CLICKS_MAX], 1);
	CLOSE(x8[OR_CF_CV_CLICKS_LAST], 1);
	CLOSE(x8[OR_CF_CV_CLICKS_RANK], 0);
	CLOSE(x8[OR_CF_CV_CLICKS_ROWS], 1);
	CLOSE(x9[OR_CF_CV_CLICKS_SUM], 1);     /* 0.5 from 5 + 1 / 2 from 7 */
	CLOSE(x9[OR_CF_CV_CLICKS_MAX], 1);
	CLOSE(x9[OR_CF_CV_CLICKS_LAST], 0.5);
	CLOSE(x9[OR_CF_CV_CLICKS_RANK], 0);
	CLOSE(x9[OR_CF_CV_CLICKS_ROWS], 2);
	CLOSE(x10[OR_CF_CV_CLICKS_SUM], 1.0 / 6.0);
	CLOSE(x10[OR_CF_CV_CLICKS_LAST], 0);
	CLOSE(x10[OR_CF_CV_CLICKS_RANK], 1);
	CLOSE(x11[OR_CF_CV_B2B_SUM], 1);
	CLOSE(x11[OR_CF_CV_B2B_RANK], 0);
	CLOSE(x11[OR_CF_CV_CLICKS_RANK], -1);
	CLOSE(x5[OR_CF_CV_BUYS_RANK], -1);     /* no carts_orders matrix */
	/* item statistics (the same store as the period): 5 has 1 click 1 cart */
	CLOSE(x5[OR_CF_I_CLICKS], log1p(1));
	CLOSE(x5[OR_CF_I_CARTS], log1p(1));
	CLOSE(x5[OR_CF_I_CART_CLICK], 0.5);
	CLOSE(x8[OR_CF_I_CLICKS], 0);
	CLOSE(x5[OR_CF_T_CLICKS], log1p(1));
	CLOSE(x5[OR_CF_T_BUYS], log1p(1));
	/* no index, no rule, no popular: none */
	CLOSE(x5[OR_CF_EMB_RANK_LAST], -1);
	CLOSE(x5[OR_CF_RULE_CLICKS_RANK], -1);
	CLOSE(x5[OR_CF_POP_RANK], -1);
	for (int i = 0; i < 6; i++)
		CLOSE(k->x[(size_t)i * OR_CF_N + OR_CF_STAGE1_RANK], i);

	/* the cut: the 3 best by stage 1 */
	memset(k, 0, sizeof(*k));
	cfg.max_candidates = 3;
	CHECK_INT(or_cand_generate(st, &m, &cfg, keep, keep_sink, k, NULL, &err), OR_OK);
	CHECK_INT(k->n_rows, 3);
	CHECK_INT(k->aid[2], 8);

	/* the labelled table: session 100's next click is 9, it carts 8 */
	or_labels labels;
	or_labels_init(&labels);
	CHECK_INT(or_labels_reserve_rows(&labels, &err), OR_OK);
	CHECK_INT(or_labels_reserve_aids(&labels, 1, &err), OR_OK);
	labels.aids[0] = 8;
	labels.n_aids = 1;
	labels.rows[0] = (or_label){ .session = 100, .click = 9, .carts_at = 0, .n_carts = 1, .orders_at = 1 };
	labels.n = 1;
	or_cand_table t;
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	cfg.max_candidates = 80;
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &t, NULL, &err), OR_OK);
	CHECK_INT(t.sessions, 2);
	CHECK_INT(t.labelled, 1);
	CHECK_INT(t.n_groups, 1); /* session 200 has no labels: left out */
	CHECK_INT(t.n_rows, 6);
	CHECK_INT(t.aid[3], 9);
	CLOSE(t.label[3 * 3 + 0], 1);
	CLOSE(t.label[2 * 3 + 1], 1); /* 8 is carted */
	CLOSE(t.label[0], 0);
	CLOSE(or_cand_table_recall(&t, OR_CLICKS, 0), 1);
	CLOSE(or_cand_table_recall(&t, OR_CARTS, 0), 1);
	CLOSE(or_cand_table_recall(&t, OR_ORDERS, 0), 0);
	/* the curve: the click (row 3) counts from N = 4, the cart (row 2) from 3 */
	CLOSE(or_cand_table_curve(&t, OR_CLICKS, 3), 0);
	CLOSE(or_cand_table_curve(&t, OR_CLICKS, 4), 1);
	CLOSE(or_cand_table_curve(&t, OR_CARTS, 2), 0);
	CLOSE(or_cand_table_curve(&t, OR_CARTS, 3), 1);
	CLOSE(or_cand_table_curve(&t, OR_CARTS, OR_CAND_CURVE), 1);
	CLOSE(or_cand_table_curve(&t, OR_CARTS, 0), 0);
	CLOSE(or_cand_table_curve(&t, OR_CARTS, OR_CAND_CURVE + 1), 0);
	CLOSE(or_cand_table_curve(&t, OR_ORDERS, 20), 0);
	or_cand_table_release(&t);
	/* negatives sampled: both positives and exactly one of the 4 negatives */
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	t.negatives = 1;
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &t, NULL, &err), OR_OK);
	CHECK_INT(t.n_rows, 3);
	CHECK_INT(t.group_size[0], 3);
	or_cand_table_release(&t);
	/* the directory: written, then replaced whole; anything else refused */
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &t, NULL, &err), OR_OK);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/cand_dir", check_tmpdir());
	CHECK_INT(or_cand_table_write(&t, dir, &cfg, NULL, &err), OR_OK);
	CHECK_INT(or_cand_table_write(&t, dir, &cfg, "\"x\":1", &err), OR_OK);
	char file[600];
	snprintf(file, sizeof(file), "%s/candidates.json", dir);
	FILE *fp = fopen(file, "r");
	char buf[4096] = { 0 };
	CHECK(fp && fread(buf, 1, sizeof(buf) - 1, fp) > 0);
	if (fp)
		fclose(fp);
	CHECK_STR_CONTAINS(buf, "\"n_rows\":6,\"n_groups\":1");
	CHECK_STR_CONTAINS(buf, "\"x\":1}");
	CHECK_STR_CONTAINS(buf, "\"stage1_rank\"");
	snprintf(file, sizeof(file), "%s/cand_hand.store", check_tmpdir());
	CHECK_INT(or_cand_table_write(&t, file, &cfg, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "not a candidates directory");
	CHECK_INT(or_cand_table_write(&t, dir, &cfg, NULL, &err), OR_OK);
	or_cand_table_release(&t);
	/* streamed straight to the files: no rows in memory, the same bytes */
	char dir2[512];
	snprintf(dir2, sizeof(dir2), "%s/cand_streamed", check_tmpdir());
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	CHECK_INT(or_cand_table_begin(&t, dir2, &err), OR_OK);
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &t, NULL, &err), OR_OK);
	CHECK(t.x == NULL && t.label == NULL && t.aid == NULL);
	CHECK_INT(t.n_rows, 6);
	CHECK_INT(or_cand_table_write(&t, dir2, &cfg, NULL, &err), OR_OK);
	or_cand_table_release(&t);
	static const char *const files[] = { "features.npy", "labels.npy", "group_sizes.npy",
					     "session.npy", "aid.npy", "candidates.json" };
	for (size_t i = 0; i < 6; i++)
		CHECK(same_file(dir, dir2, files[i]));
	/* refused before any work; a table begun and dropped leaves nothing */
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	CHECK_INT(or_cand_table_begin(&t, file, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "not a candidates directory");
	or_cand_table_release(&t);
	snprintf(dir2, sizeof(dir2), "%s/cand_dropped", check_tmpdir());
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	CHECK_INT(or_cand_table_begin(&t, dir2, &err), OR_OK);
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &t, NULL, &err), OR_OK);
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dir2, (long)getpid());
	CHECK(access(tmp, F_OK) == 0);
	or_cand_table_release(&t);
	CHECK(access(tmp, F_OK) != 0 && access(dir2, F_OK) != 0);
	/* what a second signal does (or_file_unlink_pending) removes it too */
	CHECK_INT(or_cand_table_init(&t, &labels, &err), OR_OK);
	CHECK_INT(or_cand_table_begin(&t, dir2, &err), OR_OK);
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &t, NULL, &err), OR_OK);
	CHECK(access(tmp, F_OK) == 0);
	or_file_unlink_pending();
	CHECK(access(tmp, F_OK) != 0);
	or_cand_table_release(&t);
	or_labels_release(&labels);

	free(k);
	or_cand_stats_free(stats);
	or_covisit_free(cl);
	or_covisit_free(b2b);
	or_store_free(st);
}

/* The ranker strategy with a linear ranker: -stage1_rank gives the stage-1
   order for every type; +stage1_rank its reverse among the kept. */
static void test_ranker_strategy_linear(void)
{
	or_store *st = hand_store();
	or_covisit *cl = NULL, *b2b = NULL;
	check_hand_covisit(&cl, &b2b);
	or_err err;
	double w[3 * OR_CF_N];
	memset(w, 0, sizeof(w));
	for (int t = 0; t < 3; t++)
		w[t * OR_CF_N + OR_CF_STAGE1_RANK] = t == 2 ? 1 : -1;
	or_ranker *r = NULL;
	CHECK_INT(or_ranker_linear_new(OR_CF_N, or_cand_feature_names(), w, &r, &err), OR_OK);
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	cfg.sources = OR_CAND_SRC_HISTORY | OR_CAND_SRC_COVISIT | OR_CAND_SRC_BUY2BUY;
	cfg.max_candidates = 4;
	or_cand_model m;
	memset(&m, 0, sizeof(m));
	m.clicks = cl;
	m.buy2buy = b2b;
	int64_t rows[3][2 * 5];
	int64_t *const out[3] = { rows[0], rows[1], rows[2] };
	CHECK_INT(or_recommend_ranker(st, &m, &cfg, r, 5, out, NULL, &err), OR_OK);
	static const int64_t want[5] = { 5, 7, 8, 9, -1 };
	static const int64_t rev[5] = { 9, 8, 7, 5, -1 };
	for (int i = 0; i < 5; i++) {
		CHECK_INT(rows[0][i], want[i]);
		CHECK_INT(rows[1][i], want[i]);
		CHECK_INT(rows[2][i], rev[i]);
	}
	CHECK_INT(rows[0][5], 13); /* session 200: its history, 13 (the most recent), 12 */
	CHECK_INT(rows[0][6], 12);
	or_ranker_free(r);
	/* a ranker over other features is refused, naming the difference */
	const char *names[2] = { "s_events", "bogus" };
	CHECK_INT(or_ranker_linear_new(2, names, w, &r, &err), OR_OK);
	CHECK(or_recommend_ranker(st, &m, &cfg, r, 5, out, NULL, &err) != OR_OK);
	CHECK_STR_CONTAINS(err.msg, "bogus");
	or_ranker_free(r);
	or_covisit_free(cl);
	or_covisit_free(b2b);
	or_store_free(st);
}

/* Random sessions and rows: the same blocks for 1 and 3 threads. */
static void test_threads_same_result(void)
{
	enum { NS = 600, NA = 300 };
	or_prng rng;
	or_prng_seed(&rng, 7, 0);
	int64_t ids[NS];
	size_t len[NS], total = 0;
	for (int i = 0; i < NS; i++) {
		ids[i] = 1000 + i;
		len[i] = 1 + (size_t)or_prng_below(&rng, 12);
		total += len[i];
	}
	uint32_t *aid = malloc(total * sizeof(uint32_t));
	uint8_t *ty = malloc(total);
	for (size_t e = 0; e < total; e++) {
		aid[e] = (uint32_t)or_prng_below(&rng, NA);
		ty[e] = (uint8_t)(or_prng_below(&rng, 10) < 8 ? 0 : 1 + or_prng_below(&rng, 2));
	}
	or_store *st = check_make_store("cand_rand.store", NS, ids, len, aid, ty);
	uint64_t off[NA + 1];
	uint32_t nb[NA * 5];
	double w[NA * 5];
	off[0] = 0;
	for (int a = 0; a < NA; a++) {
		for (int j = 0; j < 5; j++) {
			nb[a * 5 + j] = (uint32_t)((a * 7 + j * 13 + 1) % NA);
			w[a * 5 + j] = 10.0 - j;
		}
		off[a + 1] = (uint64_t)(a + 1) * 5;
	}
	or_err err;
	or_covisit *cl = NULL, *co = NULL, *bb = NULL;
	CHECK_INT(or_covisit_from_rows(OR_COVISIT_CLICKS, NULL, NA, 20, off, nb, w, &cl, &err), OR_OK);
	CHECK_INT(or_covisit_from_rows(OR_COVISIT_CARTS_ORDERS, NULL, NA, 15, off, nb, w, &co, &err), OR_OK);
	CHECK_INT(or_covisit_from_rows(OR_COVISIT_BUY2BUY, NULL, NA, 15, off, nb, w, &bb, &err), OR_OK);
	or_cand_stats *stats = NULL;
	or_store *stores[1] = { st };
	CHECK_INT(or_cand_stats_build(stores, 1, &stats, NULL, &err), OR_OK);
	or_cand_model m;
	memset(&m, 0, sizeof(m));
	m.clicks = cl;
	m.carts_orders = co;
	m.buy2buy = bb;
	m.stats = stats;
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	cfg.max_candidates = 30;
	or_cand_table a, b;
	CHECK_INT(or_cand_table_init(&a, NULL, &err), OR_OK);
	CHECK_INT(or_cand_table_init(&b, NULL, &err), OR_OK);
	cfg.threads = 1;
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &a, NULL, &err), OR_OK);
	cfg.threads = 3;
	CHECK_INT(or_cand_generate(st, &m, &cfg, NULL, or_cand_table_add, &b, NULL, &err), OR_OK);
	CHECK_INT(a.n_rows, b.n_rows);
	CHECK_INT(a.n_groups, NS);
	CHECK(a.n_rows > NS * 5);
	CHECK(a.n_rows == b.n_rows && !memcmp(a.x, b.x, a.n_rows * OR_CF_N * sizeof(float)));
	CHECK(a.n_rows == b.n_rows && !memcmp(a.aid, b.aid, a.n_rows * sizeof(int64_t)));
	/* every row of a session is a distinct aid and at most max_candidates */
	for (size_t g = 0, at = 0; g < a.n_groups; at += (size_t)a.group_size[g++]) {
		CHECK(a.group_size[g] <= 30);
		for (int64_t i = 0; i < a.group_size[g]; i++)
			for (int64_t j = 0; j < i; j++)
				CHECK(a.aid[at + (size_t)i] != a.aid[at + (size_t)j]);
	}
	/* a share of the sessions (the covisit rule's lists are then made for
	   those only): each kept session's rows as with all sessions */
	uint8_t *keep = malloc(NS);
	for (int i = 0; i < NS; i++)
		keep[i] = (uint8_t)(i % 3 == 0);
	or_cand_table c;
	CHECK_INT(or_cand_table_init(&c, NULL, &err), OR_OK);
	CHECK_INT(or_cand_generate(st, &m, &cfg, keep, or_cand_table_add, &c, NULL, &err), OR_OK);
	CHECK_INT(c.n_groups, NS / 3);
	size_t at_c = 0, g_c = 0, ruled = 0;
	for (size_t g = 0, at = 0; g < a.n_groups && g_c < c.n_groups; at += (size_t)a.group_size[g++]) {
		if (!keep[g])
			continue;
		size_t n = (size_t)a.group_size[g];
		CHECK_INT(c.group_size[g_c], n);
		CHECK(!memcmp(c.x + at_c * OR_CF_N, a.x + at * OR_CF_N, n * OR_CF_N * sizeof(float)));
		CHECK(!memcmp(c.aid + at_c, a.aid + at, n * sizeof(int64_t)));
		for (size_t r = 0; r < n; r++)
			ruled += c.x[(at_c + r) * OR_CF_N + OR_CF_RULE_CLICKS_RANK] >= 0;
		at_c += (size_t)c.group_size[g_c++];
	}
	CHECK(ruled > 0);
	or_cand_table_release(&c);
	free(keep);
	or_cand_table_release(&a);
	or_cand_table_release(&b);
	or_cand_stats_free(stats);
	or_covisit_free(cl);
	or_covisit_free(co);
	or_covisit_free(bb);
	or_store_free(st);
	free(aid);
	free(ty);
}

/*
 * The next-item table: train sessions [1 2 2 3], [1 3], [1 2], [4 1 4]
 * give the transitions 1->2 (twice; the repeat of 2 is not one), 2->3,
 * 1->3, 4->1, 1->4: row 1 = 2 (2/4), 3 (1/4), 4 (1/4; ties by aid), row
 * 2 = 3 (1), row 4 = 1 (1), row 3 empty.  The test session [2 1] (u_0 =
 * 1, u_1 = 2) with sources history and next: nx_sum(2) = 1/2, nx_sum(3)
 * = 1/4 + 1/2 (row of u_1, / 2), nx_sum(4) = 1/4; nx_back(c) = P(1 | c):
 * 1 for 4 only.  Stage 1: 2 = 10 + 1/2 + 0.5/0.75, 1 = 10 + 1, 3 = 1,
 * 4 = 1/3.
 */
static void test_next_items(void)
{
	static const int64_t tr_ids[4] = { 1, 2, 3, 4 };
	static const size_t tr_len[4] = { 4, 2, 2, 3 };
	static const uint32_t tr_aid[11] = { 1, 2, 2, 3, 1, 3, 1, 2, 4, 1, 4 };
	static const uint8_t tr_ty[11] = { 0 };
	or_store *train = check_make_store("next_train.store", 4, tr_ids, tr_len, tr_aid, tr_ty);
	static const int64_t te_ids[1] = { 9 };
	static const size_t te_len[1] = { 2 };
	static const uint32_t te_aid[2] = { 2, 1 };
	static const uint8_t te_ty[2] = { 0, 0 };
	or_store *test = check_make_store("next_test.store", 1, te_ids, te_len, te_aid, te_ty);
	or_cand_stats *stats = NULL;
	or_err err;
	or_store *stores[1] = { train };
	CHECK_INT(or_cand_stats_build(stores, 1, &stats, NULL, &err), OR_OK);
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	cfg.sources = OR_CAND_SRC_HISTORY | OR_CAND_SRC_NEXT;
	or_cand_model m;
	memset(&m, 0, sizeof(m));
	m.stats = stats;
	keep_all *k = calloc(1, sizeof(*k));
	CHECK_INT(or_cand_generate(test, &m, &cfg, NULL, keep_sink, k, NULL, &err), OR_OK);
	static const uint32_t order[4] = { 2, 1, 3, 4 };
	CHECK_INT(k->n_rows, 4);
	for (int i = 0; i < 4 && (size_t)i < k->n_rows; i++)
		CHECK_INT(k->aid[i], order[i]);
	const float *x2 = k->x, *x1 = k->x + OR_CF_N, *x3 = k->x + 2 * OR_CF_N, *x4 = k->x + 3 * OR_CF_N;
	CLOSE(x2[OR_CF_NX_SUM], 0.5);
	CLOSE(x2[OR_CF_NX_LAST], 0.5);
	CLOSE(x2[OR_CF_NX_RANK_LAST], 0);
	CLOSE(x2[OR_CF_NX_BACK], 0);
	CLOSE(x1[OR_CF_NX_SUM], 0);
	CLOSE(x1[OR_CF_NX_LAST], 0);
	CLOSE(x1[OR_CF_NX_RANK_LAST], -1);
	CLOSE(x3[OR_CF_NX_SUM], 0.75);
	CLOSE(x3[OR_CF_NX_LAST], 0.25);
	CLOSE(x3[OR_CF_NX_RANK_LAST], 1);
	CLOSE(x4[OR_CF_NX_SUM], 0.25);
	CLOSE(x4[OR_CF_NX_RANK_LAST], 2);
	CLOSE(x4[OR_CF_NX_BACK], 1);
	/* --next-recent 1: u_1's row is not read */
	cfg.n_recent_next = 1;
	memset(k, 0, sizeof(*k));
	CHECK_INT(or_cand_generate(test, &m, &cfg, NULL, keep_sink, k, NULL, &err), OR_OK);
	for (size_t i = 0; i < k->n_rows; i++)
		if (k->aid[i] == 3)
			CLOSE(k->x[i * OR_CF_N + OR_CF_NX_SUM], 0.25);
	free(k);
	or_cand_stats_free(stats);
	or_store_free(test);
	or_store_free(train);
}

static void test_settings(void)
{
	or_cand_config a, b;
	or_cand_config_default(&a);
	a.max_candidates = 123;
	a.sources = OR_CAND_SRC_HISTORY | OR_CAND_SRC_POPULAR;
	char buf[512];
	size_t n = or_cand_config_json(&a, buf, sizeof(buf));
	CHECK(n < sizeof(buf));
	CHECK_STR_CONTAINS(buf, "\"max_candidates\":123");
	CHECK_STR_CONTAINS(buf, "\"sources\":\"history,popular\"");
	or_cand_config_default(&b);
	or_err err;
	CHECK_INT(or_cand_config_from_json(buf, n, "m", &b, &err), OR_OK);
	CHECK_INT(b.max_candidates, 123);
	CHECK_INT(b.sources, a.sources);
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "{\"max_candidates\":0}", "must be an integer in 1..1000" },
		{ "{\"max_candidates\":1.5}", "must be an integer" },
		{ "{\"nope\":1}", "unknown candidate setting \"nope\"" },
		{ "{\"sources\":\"history,web\"}", "unknown candidate source 'web'" },
		{ "{\"emb_k\":3", "expected ',' or '}'" },
		{ "{} x", "text after" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(or_cand_config_from_json(bad[i].json, strlen(bad[i].json), "m", &b, &err) != OR_OK);
		CHECK_STR_CONTAINS(err.msg, bad[i].msg);
	}
	unsigned set;
	CHECK_INT(or_cand_sources_parse("covisit,rule", &set, &err), OR_OK);
	CHECK_INT(set, OR_CAND_SRC_COVISIT | OR_CAND_SRC_RULE);
	CHECK_INT(or_cand_sources_parse("", &set, &err), OR_EINVAL);
	/* names: OR_CF_N of them, distinct */
	for (unsigned f = 0; f < OR_CF_N; f++) {
		CHECK(or_cand_feature_name(f) != NULL);
		for (unsigned g = 0; g < f; g++)
			CHECK(strcmp(or_cand_feature_name(f), or_cand_feature_name(g)) != 0);
	}
	CHECK(or_cand_feature_name(OR_CF_N) == NULL);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_hand);
	RUN_TEST(test_ranker_strategy_linear);
	RUN_TEST(test_threads_same_result);
	RUN_TEST(test_next_items);
	RUN_TEST(test_settings);
	CHECK_MAIN_END
}
