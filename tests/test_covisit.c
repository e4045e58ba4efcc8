/*
 * test_covisit.c - co-visitation matrices and the covisit recommender on
 * hand-made sessions whose expected rows and lists are worked out by hand
 * in the comments: weights, the 24 h window in whole seconds, the last-30
 * cut (with equal ts), first-pair dedup and per-type dedup, ties and the
 * top-K cut, buy2buy, parts/threads giving the same table, the table file
 * (round trip, damage), both recommender branches and the popular fallback.
 */
#include "check.h"
#include "or_covisit.h"
#include "or_recommend.h"
#include "or_sfile.h"
#include "or_store.h"

#include <stdio.h>

#define S 1000LL /* one second in ms */

typedef struct ev {
	uint32_t aid;
	int64_t ts;
	uint8_t type;
} ev;

static or_store_builder *B;

static void add(int64_t id, const ev *e, size_t n)
{
	uint32_t aid[64];
	int64_t ts[64];
	uint8_t ty[64];
	for (size_t i = 0; i < n; i++) {
		aid[i] = e[i].aid;
		ts[i] = e[i].ts;
		ty[i] = e[i].type;
	}
	or_err err;
	CHECK_INT(or_store_builder_add(B, id, n, aid, ts, ty, &err), OR_OK);
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

static or_covisit *build(or_store *st, unsigned kind, int per_type, int threads, size_t budget)
{
	or_covisit_config cfg;
	or_covisit_config_default(&cfg, kind);
	cfg.dedup_per_type = per_type;
	cfg.threads = threads;
	if (budget)
		cfg.mem_budget = budget;
	or_covisit *t = NULL;
	or_err err;
	or_store *stores[1] = { st };
	int rc = or_covisit_build(stores, 1, &cfg, &t, NULL, NULL, &err);
	CHECK_INT(rc, OR_OK);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return t;
}

/* The row of aid a (tables answer in items): its neighbours as aids into
   nb[0..64), *w its weights; returns the count (0 for an aid not in the
   table's dictionary). */
static size_t row_aids(const or_covisit *t, uint32_t a, uint32_t nb[64], const double **w)
{
	const or_items *it = or_covisit_items(t);
	const uint32_t *items;
	size_t m = or_covisit_row(t, or_items_index(it, a), &items, w);
	for (size_t i = 0; i < m && i < 64; i++)
		nb[i] = or_items_aid(it, items[i]);
	return m;
}

/* row a must be exactly the n (b, w) pairs given */
static void check_row(const or_covisit *t, uint32_t a, size_t n, const uint32_t *b, const double *w)
{
	uint32_t nb[64];
	const double *wt;
	size_t m = row_aids(t, a, nb, &wt);
	CHECK_INT(m, n);
	for (size_t i = 0; i < n && i < m; i++) {
		if (nb[i] != b[i] || wt[i] != w[i]) {
			fprintf(stderr, "  row %u entry %zu: (%u, %.17g), expected (%u, %.17g)\n", a, i,
				nb[i], wt[i], b[i], w[i]);
			check_failures_in_test++;
		}
	}
}

/* carts-orders: type weights, first-pair dedup, per-type dedup */
static void test_carts_orders(void)
{
	or_err err;
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	/* desc order (10,30s,click) (12,20s,order) (11,10s,cart) (10,0s,click);
	   first pairs: 10->12 o(3), 10->11 cart(6); 12->10 c(1), 12->11 cart(6);
	   11->10 c(1), 11->12 o(3); the later (10,0s) pairs are repeats. */
	ev a[] = { { 10, 0, 0 }, { 11, 10 * S, 1 }, { 12, 20 * S, 2 }, { 10, 30 * S, 0 } };
	add(1, a, 4);
	/* desc (21,6s,cart) (21,5s,click) (20,0s,click): 21->20 once (1);
	   20->21 first with the cart (6); per type also with the click (+1) */
	ev b[] = { { 20, 0, 0 }, { 21, 5 * S, 0 }, { 21, 6 * S, 1 } };
	add(2, b, 3);
	or_store *st = finish("co.store");
	or_covisit *t = build(st, OR_COVISIT_CARTS_ORDERS, 0, 0, 0);
	check_row(t, 10, 2, (uint32_t[]){ 11, 12 }, (double[]){ 6, 3 });
	check_row(t, 11, 2, (uint32_t[]){ 12, 10 }, (double[]){ 3, 1 });
	check_row(t, 12, 2, (uint32_t[]){ 11, 10 }, (double[]){ 6, 1 });
	check_row(t, 20, 1, (uint32_t[]){ 21 }, (double[]){ 6 });
	check_row(t, 21, 1, (uint32_t[]){ 20 }, (double[]){ 1 });
	uint32_t nb[64];
	const double *wt;
	CHECK_INT(row_aids(t, 13, nb, &wt), 0);
	CHECK_INT(row_aids(t, 999, nb, &wt), 0);
	/* rows are the 5 distinct aids of the store (items 0..4), not 0..21 */
	CHECK_INT(or_covisit_n_items(t), 5);
	CHECK_INT(or_items_index(or_covisit_items(t), 20), 3);
	CHECK_INT(or_covisit_row(t, 5, &(const uint32_t *){ NULL }, &wt), 0);
	or_covisit_free(t);
	t = build(st, OR_COVISIT_CARTS_ORDERS, 1, 0, 0);
	check_row(t, 20, 1, (uint32_t[]){ 21 }, (double[]){ 7 });
	check_row(t, 21, 1, (uint32_t[]){ 20 }, (double[]){ 1 });
	check_row(t, 10, 2, (uint32_t[]){ 11, 12 }, (double[]){ 6, 3 });
	or_covisit_free(t);
	or_store_free(st);
}

/* the window is |dt| < 24 h in whole seconds (ms truncated); clicks weight
   1 + 3 (ts_a - ts_min) / (ts_max - ts_min) of the first pair */
static void test_window_and_time_weight(void)
{
	or_err err;
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	/* 30 at 0.999 s (second 0), 31 at 86399 s, 32 at 86400.5 s (second
	   86400): 30-31 pair (86399 < 86400); 30-32 do NOT (86400 s apart in
	   seconds, though only 86399.501 s in ms); 31-32 pair (1 s). */
	ev a[] = { { 30, 999, 0 }, { 31, 86399 * S, 0 }, { 32, 86400 * S + 500, 0 } };
	add(1, a, 3);
	or_store *st = finish("win.store");
	/* ts range in seconds: 0 .. 86400 */
	or_covisit *t = build(st, OR_COVISIT_CLICKS, 0, 0, 0);
	double w31 = 1.0 + 3.0 * 86399 / 86400, w32 = 4.0, w30 = 1.0;
	check_row(t, 30, 1, (uint32_t[]){ 31 }, (double[]){ w30 });
	/* row 31: 32 and 30 both weigh w31 (ts of a); tie -> smaller aid */
	check_row(t, 31, 2, (uint32_t[]){ 30, 32 }, (double[]){ w31, w31 });
	check_row(t, 32, 1, (uint32_t[]){ 31 }, (double[]){ w32 });
	or_covisit_free(t);
	or_store_free(st);
	/* the weight uses the ts of the FIRST kept pair (most recent a) */
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	ev b[] = { { 1, 0, 0 }, { 2, 10 * S, 0 }, { 1, 50 * S, 0 }, { 3, 100 * S, 0 } };
	add(5, b, 4);
	st = finish("tw.store");
	/* range 0..100 s.  desc: (3,100) (1,50) (2,10) (1,0).  1->3 at 50 s:
	   1 + 150/100 = 2.5; 1->2 at 50 s: 2.5; 2->1 at 10 s: 1.3, 2->3 at 10 s
	   also 1.3 (90 s apart); 3->1, 3->2 at 100 s: 4 */
	t = build(st, OR_COVISIT_CLICKS, 0, 0, 0);
	check_row(t, 1, 2, (uint32_t[]){ 2, 3 }, (double[]){ 2.5, 2.5 });
	check_row(t, 2, 2, (uint32_t[]){ 1, 3 }, (double[]){ 1.0 + 30.0 / 100, 1.0 + 30.0 / 100 });
	check_row(t, 3, 2, (uint32_t[]){ 1, 2 }, (double[]){ 4, 4 });
	or_covisit_free(t);
	or_store_free(st);
}

/* the last 30 events only; equal ts keep store order; top-K with ties */
static void test_last30_topk(void)
{
	or_err err;
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	ev a[31], b[31];
	/* 100 first, then 101..130: the 30 most recent leave 100 out */
	for (int i = 0; i < 31; i++)
		a[i] = (ev){ (uint32_t)(100 + i), i * S, 0 };
	add(1, a, 31);
	/* 200..230 all at the same second: the stable descending sort keeps
	   store order, so 200..229 are kept and 230 is cut */
	for (int i = 0; i < 31; i++)
		b[i] = (ev){ (uint32_t)(200 + i), 5 * S, 0 };
	add(2, b, 31);
	or_store *st = finish("cut.store");
	or_covisit *t = build(st, OR_COVISIT_CARTS_ORDERS, 0, 0, 0);
	uint32_t nb[64];
	const double *w;
	CHECK_INT(row_aids(t, 100, nb, &w), 0);
	CHECK_INT(row_aids(t, 230, nb, &w), 0);
	/* row 130: 29 partners of weight 1 -> top 15 by smaller aid: 101..115 */
	uint32_t eb[15];
	double ew[15];
	for (int i = 0; i < 15; i++) {
		eb[i] = (uint32_t)(101 + i);
		ew[i] = 1;
	}
	check_row(t, 130, 15, eb, ew);
	for (int i = 0; i < 15; i++)
		eb[i] = (uint32_t)(201 + i);
	check_row(t, 200, 15, eb, ew);
	for (int i = 0; i < 15; i++)
		eb[i] = (uint32_t)(200 + i);
	check_row(t, 229, 15, eb, ew);
	or_covisit_free(t);
	/* clicks keep 20 */
	t = build(st, OR_COVISIT_CLICKS, 0, 0, 0);
	CHECK_INT(row_aids(t, 130, nb, &w), 20);
	CHECK_INT(or_covisit_top_k(t), 20);
	or_covisit_free(t);
	or_store_free(st);
}

/* buy2buy: carts and orders only, 14 days, weight 1 summed over sessions */
static void test_buy2buy(void)
{
	or_err err;
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	const int64_t D = 86400 * S;
	/* 41-42 13 days apart pair; 42-43 2 days pair; 41-43 15 days do not;
	   the click on 40 takes no part */
	ev a[] = { { 40, 0, 0 }, { 41, 0, 1 }, { 42, 13 * D, 2 }, { 43, 15 * D, 1 } };
	add(1, a, 4);
	ev b[] = { { 41, 0, 2 }, { 42, S, 1 }, { 40, 2 * S, 0 } };
	add(2, b, 3);
	or_store *st = finish("b2b.store");
	or_covisit *t = build(st, OR_COVISIT_BUY2BUY, 0, 0, 0);
	uint32_t nb[64];
	const double *w;
	CHECK_INT(row_aids(t, 40, nb, &w), 0);
	check_row(t, 41, 1, (uint32_t[]){ 42 }, (double[]){ 2 });
	check_row(t, 42, 2, (uint32_t[]){ 41, 43 }, (double[]){ 2, 1 });
	check_row(t, 43, 1, (uint32_t[]){ 42 }, (double[]){ 1 });
	or_covisit_free(t);
	or_store_free(st);
}

static void same_table(const or_covisit *x, const or_covisit *y)
{
	CHECK_INT(or_covisit_n_items(x), or_covisit_n_items(y));
	CHECK(or_items_equal(or_covisit_items(x), or_covisit_items(y)));
	CHECK_INT(or_covisit_n_entries(x), or_covisit_n_entries(y));
	for (uint32_t a = 0; a < or_covisit_n_items(x); a++) {
		const uint32_t *n1, *n2;
		const double *w1, *w2;
		size_t m1 = or_covisit_row(x, a, &n1, &w1), m2 = or_covisit_row(y, a, &n2, &w2);
		if (m1 != m2 || (m1 && (memcmp(n1, n2, m1 * 4) || memcmp(w1, w2, m1 * 8)))) {
			fprintf(stderr, "  row %u differs\n", a);
			check_failures_in_test++;
			return;
		}
	}
}

/* 300 random sessions on aids 0..499 (a generator seeded by seed), mapped
   by map when given */
static or_store *random_sessions(const char *name, uint64_t seed, uint32_t (*map)(uint32_t))
{
	or_err err;
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	uint64_t x = seed;
	for (int s = 0; s < 300; s++) {
		ev e[40];
		int n = 2 + s % 38;
		int64_t ts = (int64_t)s * 3600 * S;
		for (int i = 0; i < n; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t a = (uint32_t)(x >> 33) % 500;
			e[i] = (ev){ map ? map(a) : a, ts, (uint8_t)((x >> 20) % 3) };
			ts += (int64_t)((x >> 40) % 7200) * S;
		}
		add(s, e, (size_t)n);
	}
	return finish(name);
}

/* parts and threads do not change a byte; the file round-trips; damage is
   detected */
static void test_parts_threads_file(void)
{
	or_err err;
	or_store *st = random_sessions("rand.store", 12345, NULL);
	for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++) {
		or_covisit *t1 = build(st, k, 0, 1, 0);
		or_covisit *t2 = build(st, k, 0, 2, 4096); /* tiny budget: many parts */
		or_covisit_config cfg;
		or_covisit_config_default(&cfg, k);
		cfg.mem_budget = 4096;
		or_covisit_stats stats;
		or_covisit *t3 = NULL;
		or_store *stores[1] = { st };
		CHECK_INT(or_covisit_build(stores, 1, &cfg, &t3, &stats, NULL, &err), OR_OK);
		CHECK(stats.parts > 1);
		CHECK(stats.pairs >= stats.distinct && stats.distinct >= stats.entries);
		same_table(t1, t2);
		same_table(t1, t3);
		char path[512];
		snprintf(path, sizeof(path), "%s/t%u.covisit", check_tmpdir(), k);
		CHECK_INT(or_covisit_write(t1, path, &err), OR_OK);
		or_covisit *t4 = NULL;
		CHECK_INT(or_covisit_open(path, &t4, &err), OR_OK);
		if (t4) {
			CHECK_INT(or_covisit_verify(t4, &err), OR_OK);
			CHECK_INT(or_covisit_kind(t4), k);
			same_table(t1, t4);
			or_covisit_free(t4);
		}
		/* flip a byte in the weights section: verify fails */
		FILE *f = fopen(path, "r+b");
		CHECK(f != NULL);
		if (f) {
			fseek(f, 0, SEEK_END);
			long size = ftell(f);
			/* damage the first weight, at the weights section's offset */
			or_sfile_header hdr;
			fseek(f, 0, SEEK_SET);
			CHECK(fread(&hdr, 1, sizeof(hdr), f) == sizeof(hdr));
			uint64_t woff = hdr.section[2].offset;
			CHECK((long)woff < size);
			if (or_covisit_n_entries(t1) > 0) {
				fseek(f, (long)woff, SEEK_SET);
				int cbyte = fgetc(f);
				fseek(f, (long)woff, SEEK_SET);
				fputc(cbyte ^ 0x40, f);
			}
			fclose(f);
			CHECK_INT(or_covisit_open(path, &t4, &err), OR_OK);
			if (t4) {
				CHECK_INT(or_covisit_verify(t4, &err), OR_EFORMAT);
				CHECK_STR_CONTAINS(err.msg, "checksum");
				or_covisit_free(t4);
			}
			/* damage the header: open fails */
			f = fopen(path, "r+b");
			fseek(f, 20, SEEK_SET);
			fputc(0x7f, f);
			fclose(f);
			CHECK(or_covisit_open(path, &t4, &err) != OR_OK);
			CHECK_STR_CONTAINS(err.msg, "checksum");
		}
		or_covisit_free(t1);
		or_covisit_free(t2);
		or_covisit_free(t3);
	}
	/* the three in one call (clicks and carts-orders share a pass) give
	   the same tables as one build each */
	or_covisit_config cfgs[3];
	or_covisit *many[3], *one;
	or_covisit_stats mst[3];
	for (unsigned k = 0; k < 3; k++)
		or_covisit_config_default(&cfgs[k], k);
	or_store *stores[1] = { st };
	CHECK_INT(or_covisit_build_many(stores, 1, cfgs, 3, many, mst, NULL, &err), OR_OK);
	for (unsigned k = 0; k < 3; k++) {
		one = build(st, k, 0, 0, 0);
		same_table(one, many[k]);
		CHECK_INT(or_covisit_kind(many[k]), k);
		CHECK_INT(mst[k].entries, or_covisit_n_entries(one));
		or_covisit_free(one);
		or_covisit_free(many[k]);
	}
	CHECK_INT(mst[0].pairs, mst[1].pairs);
	or_store_free(st);
	or_covisit *t = NULL;
	CHECK_INT(or_covisit_open("/nonexistent/x.covisit", &t, &err), OR_EIO);
	CHECK_STR_CONTAINS(err.msg, "cannot open co-visitation table /nonexistent/x.covisit");
}

/* ---- item ids of any size --------------------------------------------------- */

static uint32_t high_aid(uint32_t a) { return 2147483647u - 61u * (499 - a); }

/* The same sessions on aids near 2^31 (an order-preserving map) give the
   same rows in items, a dictionary of the distinct aids, and files sized
   by them; the tables of both stores hold their union. */
static void test_sparse_items(void)
{
	or_store *dense = random_sessions("dense.store", 777, NULL);
	or_store *high = random_sessions("high.store", 777, high_aid);
	size_t n_items = or_store_n_items(dense);
	CHECK_INT(or_store_n_items(high), n_items);
	CHECK(n_items > 400 && n_items <= 500);
	or_covisit_config cfgs[3];
	for (unsigned k = 0; k < 3; k++)
		or_covisit_config_default(&cfgs[k], k);
	or_covisit *td[3], *th[3];
	or_err err;
	CHECK_INT(or_covisit_build_many(&dense, 1, cfgs, 3, td, NULL, NULL, &err), OR_OK);
	CHECK_INT(or_covisit_build_many(&high, 1, cfgs, 3, th, NULL, NULL, &err), OR_OK);
	for (unsigned k = 0; k < 3; k++) {
		CHECK_INT(or_covisit_n_items(th[k]), n_items);
		const or_items *it = or_covisit_items(th[k]);
		size_t bad = 0;
		for (uint32_t i = 0; i < n_items; i++) {
			bad += or_items_aid(it, i) != high_aid(or_items_aid(or_covisit_items(td[k]), i));
			const uint32_t *n1, *n2;
			const double *w1, *w2;
			size_t m1 = or_covisit_row(td[k], i, &n1, &w1), m2 = or_covisit_row(th[k], i, &n2, &w2);
			bad += m1 != m2 || (m1 && (memcmp(n1, n2, m1 * 4) || memcmp(w1, w2, m1 * 8)));
		}
		CHECK_INT(bad, 0);
		CHECK(or_covisit_n_entries(th[k]) > 0);
		CHECK_INT(or_items_index(it, 2147483647u), or_items_index(or_covisit_items(td[k]), 499));
		/* the file: 4096-byte header, four 4096-aligned sections, ending
		   where the last (the dictionary) ends */
		char path[512];
		snprintf(path, sizeof(path), "%s/high%u.covisit", check_tmpdir(), k);
		CHECK_INT(or_covisit_write(th[k], path, &err), OR_OK);
		uint64_t e = or_covisit_n_entries(th[k]);
		uint64_t want = 4096 + (8 * (n_items + 1) + 4095) / 4096 * 4096 + (4 * e + 4095) / 4096 * 4096 +
				(8 * e + 4095) / 4096 * 4096 + 4 * n_items;
		FILE *f = fopen(path, "rb");
		CHECK(f != NULL);
		if (f) {
			fseek(f, 0, SEEK_END);
			CHECK_INT((uint64_t)ftell(f), want);
			fclose(f);
		}
		or_covisit *t2 = NULL;
		CHECK_INT(or_covisit_open(path, &t2, &err), OR_OK);
		if (t2) {
			CHECK_INT(or_covisit_verify(t2, &err), OR_OK);
			same_table(th[k], t2);
			or_covisit_free(t2);
		}
	}
	/* all three share one dictionary; one of another data set differs */
	const or_items *shared = NULL;
	CHECK_INT(or_covisit_shared_items((const or_covisit *const *)th, 3, &shared, &err), OR_OK);
	CHECK(shared == or_covisit_items(th[0]));
	const or_covisit *mixed[3] = { th[0], NULL, td[2] };
	CHECK_INT(or_covisit_shared_items(mixed, 3, &shared, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "different item dictionaries");
	/* tables opened together share one lookup; one of another run is
	   refused, a damaged dictionary named as such */
	char p0[512], p1[512], pd[512];
	snprintf(p0, sizeof(p0), "%s/high0.covisit", check_tmpdir());
	snprintf(p1, sizeof(p1), "%s/high1.covisit", check_tmpdir());
	snprintf(pd, sizeof(pd), "%s/dense1.covisit", check_tmpdir());
	CHECK_INT(or_covisit_write(td[1], pd, &err), OR_OK);
	or_covisit *o0 = NULL, *o1 = NULL, *o2 = NULL;
	CHECK_INT(or_covisit_open(p0, &o0, &err), OR_OK);
	CHECK_INT(or_covisit_open_like(p1, o0, &o1, &err), OR_OK);
	if (o0 && o1) {
		CHECK(or_covisit_items(o1) == or_covisit_items(o0));
		CHECK_INT(or_items_index(or_covisit_items(o1), high_aid(3)), or_items_index(or_covisit_items(td[1]), 3));
		CHECK_INT(or_covisit_open_like(pd, o0, &o2, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, "dense1.covisit: its item dictionary differs");
		FILE *f = fopen(p1, "r+b");
		CHECK(f != NULL);
		if (f) {
			or_sfile_header h;
			CHECK(fread(&h, 1, sizeof(h), f) == sizeof(h));
			uint64_t at = h.section[3].offset;
			fseek(f, (long)at + 40, SEEK_SET);
			fputc(0x13, f);
			fclose(f);
			CHECK_INT(or_covisit_open_like(p1, o0, &o2, &err), OR_EFORMAT);
			CHECK_STR_CONTAINS(err.msg, "high1.covisit: checksum mismatch in the item dictionary section");
			/* opened alone, a dictionary out of order (item 10's high
			   byte cleared) is named the same way */
			f = fopen(p1, "r+b");
			CHECK(f != NULL);
			if (f) {
				fseek(f, (long)at + 43, SEEK_SET);
				fputc(0x00, f);
				fclose(f);
			}
			CHECK_INT(or_covisit_open(p1, &o2, &err), OR_EFORMAT);
			CHECK_STR_CONTAINS(err.msg, "high1.covisit: checksum mismatch in the item dictionary section");
		}
	}
	or_covisit_free(o1);
	or_covisit_free(o0);
	/* two stores: the union of their dictionaries */
	or_store *both[2] = { dense, high };
	or_covisit *u = NULL;
	CHECK_INT(or_covisit_build(both, 2, &cfgs[0], &u, NULL, NULL, &err), OR_OK);
	if (u) {
		CHECK_INT(or_covisit_n_items(u), 2 * n_items); /* the two sets of aids are disjoint */
		CHECK_INT(or_items_index(or_covisit_items(u), or_items_aid(or_covisit_items(td[0]), 0)), 0);
		or_covisit_free(u);
	}
	for (unsigned k = 0; k < 3; k++) {
		or_covisit_free(td[k]);
		or_covisit_free(th[k]);
	}
	or_store_free(dense);
	or_store_free(high);
}

/* ---- the recommender -------------------------------------------------------- */

static or_covisit *rows(unsigned kind, uint32_t bound, const uint64_t *off, const uint32_t *nb)
{
	double w[64];
	for (int i = 0; i < 64; i++)
		w[i] = 64 - i;
	or_covisit *t = NULL;
	or_err err;
	CHECK_INT(or_covisit_from_rows(kind, NULL, bound, 20, off, nb, w, &t, &err), OR_OK);
	return t;
}

static void check_list(const int64_t *got, size_t k, const int64_t *want, size_t n)
{
	for (size_t i = 0; i < k; i++) {
		int64_t e = i < n ? want[i] : -1;
		if (got[i] != e) {
			fprintf(stderr, "  position %zu: %lld, expected %lld\n", i, (long long)got[i], (long long)e);
			check_failures_in_test++;
			return;
		}
	}
}

static void test_recommend(void)
{
	or_err err;
	CHECK_INT(or_store_builder_new(&B, &err), OR_OK);
	/* S1: short; unique [2, 1], buys [2] */
	ev s1[] = { { 1, 1 * S, 0 }, { 2, 2 * S, 1 } };
	add(100, s1, 2);
	/* S2: long; clicks on 50..69, then a cart of 50 */
	ev s2[21];
	for (int i = 0; i < 20; i++)
		s2[i] = (ev){ (uint32_t)(50 + i), i * S, 0 };
	s2[20] = (ev){ 50, 20 * S, 1 };
	add(200, s2, 21);
	/* S3: clicks on 4 three times, an order of 7 */
	ev s3[] = { { 4, 0, 0 }, { 4, S, 0 }, { 4, 2 * S, 0 }, { 7, 3 * S, 2 } };
	add(300, s3, 4);
	or_store *st = finish("test.store");

	/* popular clicks: 4 (3), then count 1: 1, 50, 51, ... by aid; orders: 7 */
	int64_t tc[20], to[20];
	size_t ntc, nto;
	CHECK_INT(or_recommend_popular(st, OR_CLICKS, 20, tc, &ntc, &err), OR_OK);
	CHECK_INT(or_recommend_popular(st, OR_ORDERS, 20, to, &nto, &err), OR_OK);
	CHECK_INT(ntc, 20);
	CHECK_INT(tc[0], 4);
	CHECK_INT(tc[1], 1);
	CHECK_INT(tc[2], 50);
	CHECK_INT(tc[19], 67);
	CHECK_INT(nto, 1);
	CHECK_INT(to[0], 7);

	/* clicks: 1 -> [5, 6], 2 -> [6, 7]; carts-orders: 1 -> [8], 2 -> [8, 9];
	   buy2buy: 2 -> [9, 3], 50 -> [51] */
	uint64_t off_c[71] = { 0 }, off_o[71] = { 0 }, off_b[71] = { 0 };
	uint32_t nb_c[] = { 5, 6, 6, 7 }, nb_o[] = { 8, 8, 9 }, nb_b[] = { 9, 3, 51 };
	for (int a = 0; a < 71; a++) {
		off_c[a] = a <= 1 ? 0 : a == 2 ? 2 : 4;
		off_o[a] = a <= 1 ? 0 : a == 2 ? 1 : 3;
		off_b[a] = a <= 2 ? 0 : a <= 50 ? 2 : 3;
	}
	or_covisit *tcl = rows(OR_COVISIT_CLICKS, 70, off_c, nb_c);
	or_covisit *tco = rows(OR_COVISIT_CARTS_ORDERS, 70, off_o, nb_o);
	or_covisit *tbb = rows(OR_COVISIT_BUY2BUY, 70, off_b, nb_b);
	or_recommend_covisit_model m = { tcl, tco, tbb, tc, ntc, to, nto };
	or_recommend_config cfg;
	or_recommend_config_default(&cfg);
	int64_t clicks[3 * 20], buys[3 * 20];
	for (int threads = 1; threads <= 2; threads++) {
		cfg.threads = threads;
		CHECK_INT(or_recommend_covisit(st, &m, &cfg, clicks, buys, NULL, &err), OR_OK);
		/* S1 clicks: unique [2, 1]; rows 2 + 1 = [6, 7, 5, 6]: 6 (2), 7, 5
		   (ties in first-seen order); then popular 4, (1 skipped), 50..63 */
		check_list(clicks, 20, (int64_t[]){ 2, 1, 6, 7, 5, 4, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63 }, 20);
		/* S1 buys: [8, 9] + [8] + buy2buy [9, 3]: 8 (2) and 9 (2) tie, 8
		   first seen; 3; then popular orders 7; then -1 */
		check_list(buys, 20, (int64_t[]){ 2, 1, 8, 9, 3, 7 }, 6);
		/* S2 clicks: 20 distinct -> history: 50 = w0 + 6 * w20 first, then
		   by recency 69 .. 51 */
		int64_t e2[20] = { 50 };
		for (int i = 1; i < 20; i++)
			e2[i] = 70 - i;
		check_list(clicks + 20, 20, e2, 20);
		/* S2 buys: logspace(0.5, 1): 51 gets +0.1 from buy2buy row 50:
		   w1 + 0.1 = 0.539 lies between w5 = 0.542 (55) and w4 = 0.516 (54) */
		check_list(buys + 20, 20, (int64_t[]){ 50, 69, 68, 67, 66, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 51, 54, 53, 52 }, 20);
		/* S3: unique [7, 4]; no rows -> popular: clicks 4 skipped, 1, 50.. */
		check_list(clicks + 40, 20, (int64_t[]){ 7, 4, 1, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66 }, 20);
		check_list(buys + 40, 20, (int64_t[]){ 7, 4 }, 2);
	}
	/* the CSV */
	char path[512];
	snprintf(path, sizeof(path), "%s/sub.csv", check_tmpdir());
	CHECK_INT(or_recommend_write_csv(path, or_store_session_ids(st), 3, 20, clicks, buys, buys, &err), OR_OK);
	FILE *f = fopen(path, "r");
	char line[1024];
	CHECK(f && fgets(line, sizeof(line), f));
	CHECK(!strcmp(line, "session_type,labels\n"));
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(!strcmp(line, "100_clicks,2 1 6 7 5 4 50 51 52 53 54 55 56 57 58 59 60 61 62 63\n"));
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(!strcmp(line, "100_carts,2 1 8 9 3 7\n"));
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(!strcmp(line, "100_orders,2 1 8 9 3 7\n"));
	if (f)
		fclose(f);
	/* without matrices: only history and popular items */
	or_recommend_covisit_model m0 = { NULL, NULL, NULL, tc, ntc, to, nto };
	CHECK_INT(or_recommend_covisit(st, &m0, &cfg, clicks, buys, NULL, &err), OR_OK);
	check_list(buys, 20, (int64_t[]){ 2, 1, 7 }, 3);
	cfg.k = 0;
	CHECK_INT(or_recommend_covisit(st, &m, &cfg, clicks, buys, NULL, &err), OR_EINVAL);
	or_covisit_free(tcl);
	or_covisit_free(tco);
	or_covisit_free(tbb);
	or_store_free(st);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_carts_orders);
	RUN_TEST(test_window_and_time_weight);
	RUN_TEST(test_last30_topk);
	RUN_TEST(test_buy2buy);
	RUN_TEST(test_parts_threads_file);
	RUN_TEST(test_sparse_items);
	RUN_TEST(test_recommend);
	CHECK_MAIN_END
}
