/*
 * test_synth.c - tests of the synthetic generator (lib/store/or_synth*.c):
 * determinism across thread counts and seeds, the invariants of the stores
 * and labels it writes, its statistics at a small scale against OTTO's
 * shape, the learnable structure (history and co-visitation beat
 * popularity), popularity drift, cancellation and config checks.
 */
#include "check.h"

#include "or_labels.h"
#include "or_metrics.h"
#include "or_store.h"
#include "or_synth.h"
#include "or_synth_internal.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T1 (OR_SYNTH_TS_START + OR_SYNTH_TRAIN_WEEKS * OR_SYNTH_WEEK_MS)
#define T2 (T1 + OR_SYNTH_WEEK_MS)

/* ---- helpers ---- */

typedef struct gen {
	or_store *train, *test, *full;
	or_labels labels;
	or_synth_result res;
} gen;

static const char *tmp_path(const char *name)
{
	static char p[8][512];
	static int next;
	char *s = p[next++ % 8];
	snprintf(s, 512, "%s/%s", check_tmpdir(), name);
	return s;
}

static int write_open(or_store_builder *b, const char *name, or_store **out)
{
	or_err err;
	const char *path = tmp_path(name);
	if (or_store_builder_write(b, path, NULL, &err) || or_store_open(path, out, &err)) {
		fprintf(stderr, "  %s: %s\n", name, err.msg);
		return -1;
	}
	return 0;
}

/* Generate with cfg and open the three stores (train, test, full test). */
static int gen_run(const or_synth_config *cfg, const char *tag, gen *g)
{
	memset(g, 0, sizeof(*g));
	or_labels_init(&g->labels);
	or_store_builder *tr = NULL, *te = NULL, *fu = NULL;
	or_err err;
	char name[3][128];
	snprintf(name[0], sizeof(name[0]), "%s_train.store", tag);
	snprintf(name[1], sizeof(name[1]), "%s_test.store", tag);
	snprintf(name[2], sizeof(name[2]), "%s_full.store", tag);
	int rc = or_store_builder_new(&tr, &err) || or_store_builder_new(&te, &err) ||
		 or_store_builder_new(&fu, &err);
	if (!rc && or_synth_generate_full(cfg, tr, te, fu, &g->labels, NULL, &g->res, &err)) {
		fprintf(stderr, "  generate: %s\n", err.msg);
		rc = -1;
	}
	if (!rc)
		rc = write_open(tr, name[0], &g->train) || write_open(te, name[1], &g->test) ||
		     write_open(fu, name[2], &g->full);
	or_store_builder_free(tr);
	or_store_builder_free(te);
	or_store_builder_free(fu);
	return rc;
}

static void gen_free(gen *g)
{
	or_store_free(g->train);
	or_store_free(g->test);
	or_store_free(g->full);
	or_labels_release(&g->labels);
}

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc(len > 0 ? (size_t)len : 1);
	if (p && len > 0 && fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*n = len > 0 ? (size_t)len : 0;
	return p;
}

/* 1 when the two files have the same bytes */
static int same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *pa = read_all(a, &na), *pb = read_all(b, &nb);
	int same = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
	free(pa);
	free(pb);
	return same;
}

static or_synth_config small_config(double scale, uint64_t seed, int threads)
{
	or_synth_config cfg;
	or_synth_config_default(&cfg);
	cfg.scale = scale;
	cfg.seed = seed;
	cfg.threads = threads;
	return cfg;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- tests ---- */

static void test_config_check(void)
{
	or_synth_config cfg;
	or_synth_config_default(&cfg);
	or_err err;
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_OK);
	cfg.scale = 0;
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "scale");
	cfg.scale = 1.5;
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_EINVAL);
	cfg.scale = NAN;
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_EINVAL);
	cfg.scale = 0.0001;
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_OK);
	cfg.p_follow = 0.9; /* with p_repeat + p_revisit above 1 */
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "more than 1");
	or_synth_config_default(&cfg);
	cfg.p_cart = -0.1;
	CHECK_INT(or_synth_config_check(&cfg, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "p_cart");
	/* generate refuses a bad config before touching the builders */
	or_store_builder *a, *b;
	or_labels l;
	or_labels_init(&l);
	CHECK_INT(or_store_builder_new(&a, &err), OR_OK);
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	CHECK_INT(or_synth_generate(&cfg, a, b, &l, NULL, NULL, &err), OR_EINVAL);
	CHECK_INT(or_store_builder_n_sessions(a), 0);
	or_store_builder_free(a);
	or_store_builder_free(b);
	or_labels_release(&l);
	/* sizes scale with OTTO's */
	CHECK_INT(or_synth_n_train_sessions(1.0), 12899779);
	CHECK_INT(or_synth_n_test_sessions(1.0), 1671803);
	CHECK_INT(or_synth_n_items(1.0), 1855603);
	CHECK_INT(or_synth_n_train_sessions(0.001), 12900);
	CHECK_INT(or_synth_n_items(0.0001), 186);
}

/* The same seed gives the same bytes with 1 and 2 threads; another seed
   gives other bytes. */
static void test_determinism(void)
{
	const char *names[] = { "train.store", "test.store", "test_labels.jsonl" };
	or_err err;
	or_synth_config c1 = small_config(0.001, 7, 1), c2 = small_config(0.001, 7, 2),
			c3 = small_config(0.001, 8, 2);
	char d1[512], d2[512], d3[512];
	snprintf(d1, sizeof(d1), "%s/det1", check_tmpdir());
	snprintf(d2, sizeof(d2), "%s/det2", check_tmpdir());
	snprintf(d3, sizeof(d3), "%s/det3", check_tmpdir());
	or_synth_result r1, r2;
	CHECK_INT(or_synth_write_dir(&c1, d1, 0, NULL, &r1, &err), OR_OK);
	CHECK_INT(or_synth_write_dir(&c2, d2, 0, NULL, &r2, &err), OR_OK);
	CHECK_INT(or_synth_write_dir(&c3, d3, 0, NULL, NULL, &err), OR_OK);
	CHECK(r1.train_sessions > 3 * 4096); /* several chunks, so threads matter */
	CHECK_INT(r1.train_events, r2.train_events);
	for (int i = 0; i < 3; i++) {
		char a[600], b[600], c[600];
		snprintf(a, sizeof(a), "%s/%s", d1, names[i]);
		snprintf(b, sizeof(b), "%s/%s", d2, names[i]);
		snprintf(c, sizeof(c), "%s/%s", d3, names[i]);
		if (!same_file(a, b)) {
			fprintf(stderr, "  %s differs between 1 and 2 threads\n", names[i]);
			check_failures_in_test++;
		}
		if (same_file(a, c)) {
			fprintf(stderr, "  %s is the same for seeds 7 and 8\n", names[i]);
			check_failures_in_test++;
		}
	}
}

/* Counts, ids, time ranges, types, the cut and the labels. */
static void test_invariants(void)
{
	or_synth_config cfg = small_config(0.001, 3, 2);
	gen g;
	if (gen_run(&cfg, "inv", &g)) {
		check_failures_in_test++;
		gen_free(&g);
		return;
	}
	or_err err;
	size_t ntr = or_synth_n_train_sessions(0.001), nte = or_synth_n_test_sessions(0.001);
	CHECK_INT(or_store_verify(g.train, NULL, &err), OR_OK);
	CHECK_INT(or_store_verify(g.test, NULL, &err), OR_OK);
	CHECK_INT(or_store_n_sessions(g.train), ntr);
	CHECK_INT(or_store_n_sessions(g.test), nte);
	CHECK_INT(or_store_n_sessions(g.full), nte);
	CHECK_INT(g.labels.n, nte);
	CHECK_INT(g.res.train_sessions, ntr);
	CHECK_INT(g.res.test_sessions, nte);
	CHECK_INT(g.res.train_events, or_store_n_events(g.train));
	CHECK_INT(g.res.test_events, or_store_n_events(g.test));
	CHECK_INT(g.res.n_items, or_synth_n_items(0.001));
	for (unsigned t = 0; t < OR_N_TYPES; t++) {
		CHECK_INT(g.res.train_type[t], or_store_n_type(g.train, t));
		CHECK_INT(g.res.test_type[t], or_store_n_type(g.test, t));
	}
	/* time: train in its 4 weeks, test in the week after */
	CHECK(or_store_ts_min(g.train) >= OR_SYNTH_TS_START);
	CHECK(or_store_ts_max(g.train) < T1);
	CHECK(or_store_ts_min(g.test) >= T1);
	CHECK(or_store_ts_max(g.full) < T2);
	CHECK(or_store_aid_bound(g.train) <= g.res.n_items);
	CHECK(or_store_aid_bound(g.full) <= g.res.n_items);

	/* ids: train 0.., test continues; sessions grow with their start */
	const int64_t *id = or_store_session_ids(g.train);
	int ids_ok = 1, start_ok = 1, len_ok = 1;
	or_session s, prev;
	for (size_t i = 0; i < ntr; i++) {
		ids_ok &= id[i] == (int64_t)i;
		or_store_session(g.train, i, &s);
		len_ok &= s.n >= 2 && s.n <= OR_SYNTH_MAX_SESSION;
		if (i)
			start_ok &= s.ts[0] >= prev.ts[0];
		prev = s;
	}
	CHECK(ids_ok);
	CHECK(start_ok);
	CHECK(len_ok);

	/* each test session is a prefix (1..n-1 events) of its full session,
	   and its label row is what or_labels_add_cut makes of that cut */
	or_labels again;
	or_labels_init(&again);
	int prefix_ok = 1, cut_ok = 1, labels_ok = 1, nonempty = 1;
	for (size_t i = 0; i < nte; i++) {
		or_session t, f;
		or_store_session(g.test, i, &t);
		or_store_session(g.full, i, &f);
		prefix_ok &= t.id == (int64_t)(ntr + i) && f.id == t.id;
		cut_ok &= t.n >= 1 && t.n < f.n;
		prefix_ok &= memcmp(t.aid, f.aid, t.n * 4) == 0 && memcmp(t.ts, f.ts, t.n * 8) == 0 &&
			     memcmp(t.type, f.type, t.n) == 0;
		if (t.n >= f.n || or_labels_add_cut(&again, &f, t.n, &err)) {
			labels_ok = 0;
			break;
		}
		const or_label *a = &g.labels.rows[i], *b = &again.rows[again.n - 1];
		labels_ok &= a->session == t.id && a->click == b->click &&
			     a->n_carts == b->n_carts && a->n_orders == b->n_orders &&
			     !memcmp(g.labels.aids + a->carts_at, again.aids + b->carts_at,
				     (size_t)a->n_carts * 4) &&
			     !memcmp(g.labels.aids + a->orders_at, again.aids + b->orders_at,
				     (size_t)a->n_orders * 4);
		/* something follows the cut, so the row has a label unless
		   that is only a click on aid 0 (labels.py drops it) */
		int only_aid0 = 1;
		for (size_t j = t.n; j < f.n; j++)
			only_aid0 &= f.type[j] != OR_CLICKS || f.aid[j] == 0;
		nonempty &= a->click >= 0 || a->n_carts > 0 || a->n_orders > 0 || only_aid0;
	}
	CHECK(prefix_ok);
	CHECK(cut_ok);
	CHECK(labels_ok);
	CHECK(nonempty);
	or_labels_release(&again);
	gen_free(&g);
}

/* OTTO's shape at a small scale: per session, per item, by type. */
static void test_stats(void)
{
	or_synth_config cfg = small_config(0.002, 11, 0);
	gen g;
	if (gen_run(&cfg, "stats", &g)) {
		check_failures_in_test++;
		gen_free(&g);
		return;
	}
	size_t ns = or_store_n_sessions(g.train), ne = or_store_n_events(g.train);
	double mean = (double)ne / (double)ns;
	fprintf(stderr, "  train: %zu sessions, %zu events, %.2f per session\n", ns, ne, mean);
	CHECK(mean > 13 && mean < 21); /* OTTO 16.80 */
	const uint64_t *off = or_store_offsets(g.train);
	uint64_t *len = malloc(ns * sizeof(*len));
	for (size_t i = 0; i < ns; i++)
		len[i] = off[i + 1] - off[i];
	qsort(len, ns, sizeof(*len), cmp_u64);
	CHECK(len[0] >= 2);
	CHECK(len[ns / 2] >= 4 && len[ns / 2] <= 8);          /* OTTO 6 */
	CHECK(len[ns * 9 / 10] >= 25 && len[ns * 9 / 10] <= 55); /* OTTO 39 */
	CHECK(len[ns - 1] <= OR_SYNTH_MAX_SESSION);
	free(len);

	double clicks = (double)or_store_n_type(g.train, OR_CLICKS) / (double)ne;
	double carts = (double)or_store_n_type(g.train, OR_CARTS) / (double)ne;
	double orders = (double)or_store_n_type(g.train, OR_ORDERS) / (double)ne;
	fprintf(stderr, "  types: %.3f %.3f %.3f\n", clicks, carts, orders);
	CHECK(clicks > 0.87 && clicks < 0.93); /* OTTO 0.899 */
	CHECK(carts > 0.06 && carts < 0.10);   /* 0.078 */
	CHECK(orders > 0.015 && orders < 0.035); /* 0.024 */

	/* per item: every item occurs, at least 3 times, heavy-tailed */
	uint32_t ab = or_store_aid_bound(g.train);
	CHECK_INT(ab, g.res.n_items);
	uint64_t *cnt = calloc(ab, sizeof(*cnt));
	const uint32_t *aid = or_store_aids(g.train);
	for (size_t i = 0; i < ne; i++)
		cnt[aid[i]]++;
	qsort(cnt, ab, sizeof(*cnt), cmp_u64);
	CHECK(cnt[0] >= 3);
	uint64_t p50 = cnt[ab / 2], p90 = cnt[(size_t)ab * 9 / 10];
	fprintf(stderr, "  per item: min %llu p50 %llu p90 %llu max %llu\n",
		(unsigned long long)cnt[0], (unsigned long long)p50, (unsigned long long)p90,
		(unsigned long long)cnt[ab - 1]);
	CHECK(p50 >= 12 && p50 <= 30);      /* OTTO 20 */
	CHECK(p90 >= 100 && p90 <= 300);    /* 183 */
	CHECK(cnt[ab - 1] > 20 * p90);      /* a long head */
	free(cnt);

	/* test: truncated sessions are short, orders rare before the cut */
	size_t nt = or_store_n_sessions(g.test), net = or_store_n_events(g.test);
	double tmean = (double)net / (double)nt;
	fprintf(stderr, "  test: %.2f per session\n", tmean);
	CHECK(tmean > 2.8 && tmean < 5.5); /* OTTO 4.14 */
	double torders = (double)or_store_n_type(g.test, OR_ORDERS) / (double)net;
	CHECK(torders < orders);
	gen_free(&g);
}

/* Recall@20 (the organiser's per-type rule) of a few simple recommenders:
   the data must reward history and co-visitation over popularity. */
typedef struct cand {
	uint32_t aid;
	double score;
} cand;

static int cmp_cand(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->aid < y->aid ? -1 : x->aid > y->aid;
}

static int in_list(const uint32_t *l, int n, uint32_t a)
{
	for (int i = 0; i < n; i++)
		if (l[i] == a)
			return 1;
	return 0;
}

static void test_structure(void)
{
	or_synth_config cfg = small_config(0.002, 5, 0);
	gen g;
	if (gen_run(&cfg, "struct", &g)) {
		check_failures_in_test++;
		gen_free(&g);
		return;
	}
	const or_store *tr = g.train;
	uint32_t ab = or_store_aid_bound(tr);
	size_t ns = or_store_n_sessions(tr), ne = or_store_n_events(tr);
	const uint32_t *aid = or_store_aids(tr);
	const uint8_t *type = or_store_types(tr);
	const int64_t *ts = or_store_ts(tr);
	const uint64_t *off = or_store_offsets(tr);

	/* carts mostly of clicked items, orders mostly of carted ones, orders
	   in batches at one ts */
	size_t carts = 0, carts_clicked = 0, orders = 0, orders_carted = 0, batched = 0;
	for (size_t s = 0; s < ns; s++)
		for (uint64_t i = off[s]; i < off[s + 1]; i++) {
			if (type[i] == OR_CLICKS)
				continue;
			int seen = 0;
			for (uint64_t j = off[s]; j < i && !seen; j++)
				seen = aid[j] == aid[i] && type[j] == type[i] - 1;
			if (type[i] == OR_CARTS) {
				carts++;
				carts_clicked += seen;
			} else {
				orders++;
				orders_carted += seen;
				batched += (i > off[s] && type[i - 1] == OR_ORDERS && ts[i - 1] == ts[i]) ||
					   (i + 1 < off[s + 1] && type[i + 1] == OR_ORDERS && ts[i + 1] == ts[i]);
			}
		}
	fprintf(stderr, "  carts of clicked %.2f, orders of carted %.2f, orders in batches %.2f\n",
		(double)carts_clicked / carts, (double)orders_carted / orders, (double)batched / orders);
	CHECK(carts_clicked > carts * 7 / 10);
	CHECK(orders_carted > orders * 7 / 10);
	CHECK(batched > orders / 4);

	/* co-visitation: events within 3 of each other, both directions */
	uint64_t *pairs = malloc(ne * 6 * sizeof(*pairs));
	size_t np = 0;
	for (size_t s = 0; s < ns; s++)
		for (uint64_t i = off[s]; i < off[s + 1]; i++)
			for (uint64_t j = i + 1; j < off[s + 1] && j <= i + 3; j++)
				if (aid[i] != aid[j]) {
					pairs[np++] = (uint64_t)aid[i] << 32 | aid[j];
					pairs[np++] = (uint64_t)aid[j] << 32 | aid[i];
				}
	qsort(pairs, np, sizeof(*pairs), cmp_u64);
	enum { K = 20 };
	uint32_t *nb = malloc((size_t)ab * K * sizeof(*nb));
	float *nw = calloc((size_t)ab * K, sizeof(*nw));
	uint64_t *pop = calloc(ab, sizeof(*pop));
	for (size_t i = 0; i < (size_t)ab * K; i++)
		nb[i] = UINT32_MAX;
	cand *cs = malloc(sizeof(*cs) * (ab + 1));
	for (size_t i = 0; i < np;) {
		uint32_t a = (uint32_t)(pairs[i] >> 32);
		size_t nc = 0, tot = 0;
		while (i < np && (uint32_t)(pairs[i] >> 32) == a) {
			size_t j = i;
			while (j < np && pairs[j] == pairs[i])
				j++;
			cs[nc].aid = (uint32_t)pairs[i];
			cs[nc++].score = (double)(j - i);
			tot += j - i;
			i = j;
		}
		qsort(cs, nc, sizeof(*cs), cmp_cand);
		for (size_t k = 0; k < nc && k < K; k++) {
			nb[(size_t)a * K + k] = cs[k].aid;
			nw[(size_t)a * K + k] = (float)(cs[k].score / (double)tot);
		}
	}
	free(pairs);
	for (size_t i = 0; i < ne; i++)
		pop[aid[i]]++;
	uint32_t top[K];
	for (int k = 0; k < K; k++) {
		uint32_t best = 0;
		for (uint32_t a = 0; a < ab; a++)
			if (pop[a] > pop[best])
				best = a;
		top[k] = best;
		pop[best] = 0;
	}

	/* recommend and score the click, cart and order labels */
	double hit[3][3] = { { 0 } }, den[3] = { 0 };
	double *score = calloc(ab, sizeof(*score));
	uint32_t *touched = malloc(sizeof(*touched) * (ab + 1));
	size_t nt = or_store_n_sessions(g.test);
	for (size_t s = 0; s < nt; s++) {
		or_session t;
		or_store_session(g.test, s, &t);
		uint32_t rec[3][K];
		int nr[3];
		memcpy(rec[0], top, sizeof(top));
		nr[0] = K;
		/* history: distinct aids, most recent first */
		nr[1] = 0;
		for (size_t i = t.n; i-- > 0 && nr[1] < K;)
			if (!in_list(rec[1], nr[1], t.aid[i]))
				rec[1][nr[1]++] = t.aid[i];
		/* history and its co-visited neighbours, recency-weighted */
		size_t nto = 0;
		for (size_t i = t.n, r = 0; i-- > 0 && r < 30; r++) {
			uint32_t a = t.aid[i];
			double w = 1.0 / (1.0 + 0.3 * (double)r);
			if (score[a] == 0)
				touched[nto++] = a;
			score[a] += 2 * w;
			for (int k = 0; k < K && nb[(size_t)a * K + k] != UINT32_MAX; k++) {
				uint32_t x = nb[(size_t)a * K + k];
				if (score[x] == 0)
					touched[nto++] = x;
				score[x] += w * nw[(size_t)a * K + k];
			}
		}
		for (size_t k = 0; k < nto; k++) {
			cs[k].aid = touched[k];
			cs[k].score = score[touched[k]];
			score[touched[k]] = 0;
		}
		qsort(cs, nto, sizeof(*cs), cmp_cand);
		nr[2] = 0;
		for (size_t k = 0; k < nto && nr[2] < K; k++)
			rec[2][nr[2]++] = cs[k].aid;

		const or_label *l = &g.labels.rows[s];
		if (l->click >= 0)
			den[0]++;
		den[1] += l->n_carts < K ? l->n_carts : K;
		den[2] += l->n_orders < K ? l->n_orders : K;
		for (int m = 0; m < 3; m++) {
			if (l->click >= 0)
				hit[m][0] += in_list(rec[m], nr[m], (uint32_t)l->click);
			for (uint32_t q = 0; q < l->n_carts; q++)
				hit[m][1] += in_list(rec[m], nr[m], g.labels.aids[l->carts_at + q]);
			for (uint32_t q = 0; q < l->n_orders; q++)
				hit[m][2] += in_list(rec[m], nr[m], g.labels.aids[l->orders_at + q]);
		}
	}
	double sc[3];
	for (int m = 0; m < 3; m++) {
		double r[3] = { hit[m][0] / den[0], hit[m][1] / den[1], hit[m][2] / den[2] };
		sc[m] = or_metrics_score(r);
		fprintf(stderr, "  %-10s clicks %.3f carts %.3f orders %.3f score %.3f\n",
			m == 0 ? "popular" : m == 1 ? "history" : "covisit", r[0], r[1], r[2], sc[m]);
	}
	CHECK(sc[0] < 0.3);
	CHECK(sc[1] > sc[0] + 0.2);
	CHECK(sc[2] > sc[1] + 0.03);
	CHECK(hit[2][0] / den[0] > hit[1][0] / den[0] + 0.15); /* next click from co-visitation */
	free(score);
	free(touched);
	free(cs);
	free(nb);
	free(nw);
	free(pop);
	gen_free(&g);
}

/* The probability of each item of group g at knot k, read back from its
   alias table. */
static void alias_probs(const or_synth_catalogue *c, int k, uint32_t g, double *p)
{
	uint32_t b = c->gstart[g], m = c->gstart[g + 1] - b;
	for (uint32_t j = 0; j < m; j++)
		p[j] = 0;
	for (uint32_t j = 0; j < m; j++) {
		const or_synth_alias *a = &c->itab[k][b + j];
		p[j] += a->prob / m;
		p[a->alias - b] += (1.0 - a->prob) / m;
	}
}

/* Popularity drifts from week to week, and not at all with drift 0; the
   catalogue's tables are consistent. */
static void test_catalogue(void)
{
	or_synth_config cfg = small_config(0.005, 9, 2);
	or_synth_catalogue c;
	or_err err;
	CHECK_INT(or_synth_catalogue_build(&c, &cfg, or_synth_n_items(cfg.scale), 2, &err), OR_OK);
	CHECK_INT(c.gstart[0], 0);
	CHECK_INT(c.gstart[c.n_groups], c.n_items);
	int ok = 1;
	for (uint32_t g = 0; g < c.n_groups; g++)
		ok &= c.gstart[g + 1] > c.gstart[g];
	CHECK(ok);
	/* aids: a permutation */
	unsigned char *seen = calloc(c.n_items, 1);
	ok = 1;
	for (uint32_t i = 0; i < c.n_items; i++) {
		ok &= c.aid[i] < c.n_items && !seen[c.aid[i]];
		if (c.aid[i] < c.n_items)
			seen[c.aid[i]] = 1;
	}
	CHECK(ok);
	free(seen);
	/* affinities stay in the group and skip the item itself */
	ok = 1;
	for (uint32_t i = 0; i < c.n_items; i++)
		for (int k = 0; k < SYNTH_SUCC; k++) {
			uint32_t s = c.succ[(size_t)i * SYNTH_SUCC + k];
			ok &= s < c.n_items && c.igroup[s] == c.igroup[i] &&
			      (s != i || c.gstart[c.igroup[i] + 1] - c.gstart[c.igroup[i]] == 1);
		}
	CHECK(ok);
	/* the largest group: its items' shares at the first and last knot */
	uint32_t big = 0;
	for (uint32_t g = 1; g < c.n_groups; g++)
		if (c.gstart[g + 1] - c.gstart[g] > c.gstart[big + 1] - c.gstart[big])
			big = g;
	uint32_t m = c.gstart[big + 1] - c.gstart[big];
	double *p0 = malloc(m * sizeof(double)), *p5 = malloc(m * sizeof(double));
	alias_probs(&c, 0, big, p0);
	alias_probs(&c, SYNTH_KNOTS - 1, big, p5);
	double s0 = 0, moved = 0;
	for (uint32_t j = 0; j < m; j++) {
		s0 += p0[j];
		moved += fabs(p0[j] - p5[j]);
	}
	fprintf(stderr, "  group of %u items: total variation over 5 weeks %.3f\n", m, moved / 2);
	CHECK(fabs(s0 - 1) < 1e-4);
	CHECK(moved / 2 > 0.1);
	or_synth_catalogue_release(&c);

	cfg.drift_sigma = 0;
	CHECK_INT(or_synth_catalogue_build(&c, &cfg, or_synth_n_items(cfg.scale), 1, &err), OR_OK);
	alias_probs(&c, 0, big, p0);
	alias_probs(&c, SYNTH_KNOTS - 1, big, p5);
	moved = 0;
	for (uint32_t j = 0; j < m; j++)
		moved += fabs(p0[j] - p5[j]);
	CHECK(moved < 1e-5);
	or_synth_catalogue_release(&c);
	free(p0);
	free(p5);
}

/* One session at a time: lengths, time order, the end of the period. */
static void test_session_model(void)
{
	or_synth_config cfg = small_config(0.0005, 4, 1);
	or_synth_catalogue c;
	or_err err;
	CHECK_INT(or_synth_catalogue_build(&c, &cfg, or_synth_n_items(cfg.scale), 1, &err), OR_OK);
	or_synth_model m;
	or_synth_model_init(&m, &c, &cfg);
	or_synth_rng r;
	or_synth_rng_seed(&r, 1, 99, 0);
	uint32_t item[OR_SYNTH_MAX_SESSION];
	int64_t ts[OR_SYNTH_MAX_SESSION];
	uint8_t type[OR_SYNTH_MAX_SESSION];
	int ok = 1, short_end = 1, landing_ok = 1;
	size_t total = 0, longest = 0;
	for (int k = 0; k < 3000; k++) {
		uint32_t target = or_synth_session_length(cfg.train_len_median, cfg.train_len_sigma, &r);
		ok &= target >= 2 && target <= OR_SYNTH_MAX_SESSION;
		/* every 10th starts a minute before the end */
		int64_t t0 = k % 10 ? OR_SYNTH_TS_START + (int64_t)k * 600000 : T1 - 60000;
		uint32_t land = k % 3 ? SYNTH_NO_ITEM : (uint32_t)k % c.n_items;
		size_t n = or_synth_session_gen(&m, &r, t0, T1, target, land, item, ts, type);
		ok &= n >= 2 && n <= OR_SYNTH_MAX_SESSION;
		if (land != SYNTH_NO_ITEM)
			landing_ok &= item[0] == land;
		for (size_t i = 0; i < n; i++) {
			ok &= item[i] < c.n_items && type[i] < OR_N_TYPES && ts[i] < T1 && ts[i] >= t0;
			if (i)
				ok &= ts[i] >= ts[i - 1];
		}
		if (k % 10 == 0)
			short_end &= ts[n - 1] - ts[0] < 60000;
		total += n;
		if (n > longest)
			longest = n;
	}
	CHECK(ok);
	CHECK(short_end);
	CHECK(landing_ok);
	CHECK(longest > 100);
	CHECK(total > 3000 * 8);
	/* the RNG: streams differ, the same seed repeats */
	or_synth_rng a, b;
	or_synth_rng_seed(&a, 1, 2, 3);
	or_synth_rng_seed(&b, 1, 2, 3);
	CHECK(or_synth_next(&a) == or_synth_next(&b));
	or_synth_rng_seed(&b, 1, 2, 4);
	CHECK(or_synth_next(&a) != or_synth_next(&b));
	double mean = 0;
	for (int i = 0; i < 10000; i++)
		mean += or_synth_unif(&a);
	CHECK(fabs(mean / 10000 - 0.5) < 0.02);
	CHECK(fabs(or_synth_probit(0.975) - 1.959964) < 1e-5);
	or_synth_catalogue_release(&c);
}

static void count_progress(void *ctx, const char *stage, double done, double total,
			   const char *unit)
{
	(void)stage;
	(void)done;
	(void)total;
	(void)unit;
	++*(int *)ctx;
}

static void test_cancel_and_progress(void)
{
	or_synth_config cfg = small_config(0.001, 1, 2);
	volatile sig_atomic_t cancel = 1;
	int calls = 0;
	or_log log = { NULL, count_progress, &calls, &cancel };
	or_store_builder *a, *b;
	or_labels l;
	or_labels_init(&l);
	or_err err;
	CHECK_INT(or_store_builder_new(&a, &err), OR_OK);
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	CHECK_INT(or_synth_generate(&cfg, a, b, &l, &log, NULL, &err), OR_ECANCELLED);
	or_store_builder_free(a);
	or_store_builder_free(b);
	or_labels_release(&l);
	/* no cancel: progress reaches the end */
	cancel = 0;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/progress", check_tmpdir());
	or_synth_result res;
	CHECK_INT(or_synth_write_dir(&cfg, dir, 0, &log, &res, &err), OR_OK);
	CHECK(calls >= 4);
	/* cancelled: the directory keeps the earlier run's files */
	size_t n0, n1;
	char path[600];
	snprintf(path, sizeof(path), "%s/train.store", dir);
	char *before = read_all(path, &n0);
	cancel = 1;
	cfg.seed = 2;
	CHECK_INT(or_synth_write_dir(&cfg, dir, 0, &log, NULL, &err), OR_ECANCELLED);
	char *after = read_all(path, &n1);
	CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
	free(before);
	free(after);
	/* a directory that cannot be made: a clear error */
	char bad[600];
	snprintf(bad, sizeof(bad), "%s/train.store/sub", dir);
	CHECK(or_synth_write_dir(&cfg, bad, 0, NULL, NULL, &err) != OR_OK);
	CHECK_STR_CONTAINS(err.msg, "train.store");
}

int main(void)
{
	CHECK_MAIN_BEGIN;
	RUN_TEST(test_config_check);
	RUN_TEST(test_determinism);
	RUN_TEST(test_invariants);
	RUN_TEST(test_stats);
	RUN_TEST(test_structure);
	RUN_TEST(test_catalogue);
	RUN_TEST(test_session_model);
	RUN_TEST(test_cancel_and_progress);
	CHECK_MAIN_END
}
