/*
 * test_recommend_seed.c - the seed strategy (or_recommend_seed) and the
 * session-history helpers (or_history_*): hand-worked lists for the long
 * branch (recency x type weight, worked out in the comments), the threshold
 * at exactly 19/20 events (events, not distinct aids) and as a config field,
 * ties (first appearance wins), a single event, neighbours already in the
 * session skipped, an aid beyond the index, an index with fewer rows than k,
 * no index, thread-count independence across batches, cancellation, bad
 * arguments, sparse aids near 2^31 (the index's dictionary maps them to
 * rows and back: the same lists, mapped); and, on random sessions with integer embeddings indexed with
 * nprobe = nlist (exhaustive, so equal to exact search), the whole
 * submission byte for byte against the stdlib Python port
 * tests/ref/seed_ref.py, which computes its neighbours itself.
 */
#include "check.h"
#include "or_ann.h"
#include "or_export.h"
#include "or_knn.h"
#include "or_npy.h"
#include "or_recommend.h"
#include "or_store.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>

#define K 20

static or_store_builder *B;
static int64_t next_id;

/* one session: aids, types (NULL = all clicks), 1 s apart */
static void add(const uint32_t *aid, const uint8_t *type, size_t n)
{
	int64_t ts[256];
	uint8_t ty[256];
	for (size_t i = 0; i < n; i++) {
		ts[i] = 1659304800000LL + (int64_t)i * 1000;
		ty[i] = type ? type[i] : 0;
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

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* n x d small integers in -2..2: distances are exact in float32, and there
   are many equal ones (ties by the smaller id) */
static float *int_data(size_t n, size_t d)
{
	float *x = malloc(n * d * sizeof(*x));
	for (size_t i = 0; i < n * d; i++)
		x[i] = (float)((int)(next_rand() % 5) - 2);
	return x;
}

/* IVF over x with nprobe = nlist: an exhaustive scan, the same answers as
   exact search (row r is aid aids[r], or r when aids is NULL) */
static or_ann *build_index_aids(const float *x, size_t n, size_t d, const uint32_t *aids,
				const char *name)
{
	or_ann_build_config cfg;
	or_ann_build_config_default(&cfg);
	cfg.row_aids = aids;
	cfg.nlist = n >= 16 ? 4 : 1;
	cfg.tune_queries = 0;
	cfg.nprobe = cfg.nlist;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
	or_err err;
	CHECK_INT(or_ann_build(x, n, d, &cfg, path, NULL, NULL, NULL, &err), OR_OK);
	or_ann *ix = NULL;
	CHECK_INT(or_ann_open(path, &ix, &err), OR_OK);
	return ix;
}

static or_ann *build_index(const float *x, size_t n, size_t d, const char *name)
{
	return build_index_aids(x, n, d, NULL, name);
}

/* exact neighbours of item a (itself left out) by or_knn */
static void exact_nn(const float *x, size_t n, size_t d, int64_t a, size_t k, int64_t *ids)
{
	or_knn_config kc;
	or_knn_config_default(&kc);
	or_err err;
	CHECK_INT(or_knn_search(x, n, d, x + a * d, 1, k, &a, &kc, ids, NULL, NULL, &err), OR_OK);
}

static int64_t *run_seed(const or_store *st, const or_ann *ix, const or_recommend_seed_config *cfg)
{
	size_t ns = or_store_n_sessions(st);
	int64_t *out = malloc((ns ? ns : 1) * cfg->k * sizeof(*out));
	or_err err;
	int rc = or_recommend_seed(st, ix, NULL, cfg, out, NULL, &err);
	CHECK_INT(rc, OR_OK);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return out;
}

static void check_row(const int64_t *row, const int64_t *want, size_t n_want, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		int64_t w = j < n_want ? want[j] : -1;
		if (row[j] != w) {
			fprintf(stderr, "  position %zu: got %lld, expected %lld\n", j, (long long)row[j], (long long)w);
			CHECK(row[j] == w);
			return;
		}
	}
}

#define N_IX 60
#define D_IX 4

static float *X;
static or_ann *IX;

/*
 * Long branch, 20 clicks on aids 100..119 (one each): weights grow with the
 * position, so the list is 119, 118, ..., 100.  With event 0 a cart instead:
 * aid 100 scores 6 (2^0.1 - 1) = 0.4305; w_i = 2^(0.1 + 0.9 i / 19) - 1 is
 * 0.4127 at i = 8 and 0.4599 at i = 9, so 100 comes after 109 and before 108.
 * 19 clicks on 100..118: short branch, 118..100 and one neighbour of 118.
 * 20 events on only 3 distinct aids: long (events count, not distinct aids):
 * 3 entries, the rest -1.
 */
static void test_threshold_and_weights(void)
{
	uint32_t a[20];
	uint8_t t[20] = { 0 };
	for (int i = 0; i < 20; i++)
		a[i] = 100 + (uint32_t)i;
	add(a, NULL, 20);
	t[0] = OR_CARTS;
	add(a, t, 20);
	add(a, NULL, 19);
	uint32_t few[20];
	for (int i = 0; i < 20; i++)
		few[i] = (uint32_t[]){ 7, 8, 9 }[i % 3];
	add(few, NULL, 20);
	or_store *st = finish("thr.store");
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	int64_t *out = run_seed(st, NULL, &cfg);
	int64_t want[K];
	for (int j = 0; j < 20; j++)
		want[j] = 119 - j;
	check_row(out, want, 20, K);
	for (int j = 0; j < 11; j++)
		want[j] = 119 - j; /* 119..109 */
	want[11] = 100;
	for (int j = 12; j < 20; j++)
		want[j] = 108 - (j - 12); /* 108..101 */
	check_row(out + K, want, 20, K);
	for (int j = 0; j < 19; j++)
		want[j] = 118 - j;
	check_row(out + 2 * K, want, 19, K); /* no index: no neighbour */
	/* aid 7 is at i = 0, 3, .., 18, aid 8 at 1, 4, .., 19 (each one step
	   later: 8 beats 7), aid 9 at 2, 5, .., 17 (6 events); 7 against 9 is
	   summed here directly from the definition */
	int64_t w3[3] = { 8, 7, 9 };
	double s7 = 0, s8 = 0, s9 = 0;
	for (int i = 0; i < 20; i++) {
		double y = i == 19 ? 1.0 : 0.1 + i * (0.9 / 19);
		double w = pow(2.0, y) - 1.0;
		if (i % 3 == 0)
			s7 += w;
		else if (i % 3 == 1)
			s8 += w;
		else
			s9 += w;
	}
	CHECK(s8 > s7 && s8 > s9 && fabs(s7 - s9) > 1e-6);
	if (s9 > s7) {
		w3[1] = 9;
		w3[2] = 7;
	}
	check_row(out + 3 * K, w3, 3, K);
	free(out);

	/* the threshold is a config field: 5 events make the 19-click session long */
	cfg.long_threshold = 5;
	out = run_seed(st, IX, &cfg);
	for (int j = 0; j < 19; j++)
		want[j] = 118 - j;
	check_row(out + 2 * K, want, 19, K);
	/* and with an index, the default threshold: one neighbour of 118 that is
	   not 100..118 (aid 118 is beyond the 60-row index: none) */
	cfg.long_threshold = 20;
	free(out);
	out = run_seed(st, IX, &cfg);
	check_row(out + 2 * K, want, 19, K);
	free(out);
	or_store_free(st);
}

/* A single event: the aid, then its 19 nearest other items in exact order. */
static void test_single_event_and_neighbours(void)
{
	uint32_t a1[1] = { 5 };
	add(a1, NULL, 1);
	/* a session holding some of 5's neighbours: they are not repeated, and
	   the list still reaches k */
	int64_t nn[K];
	exact_nn(X, N_IX, D_IX, 5, K, nn);
	uint32_t a2[4] = { (uint32_t)nn[3], (uint32_t)nn[0], (uint32_t)nn[3], 5 };
	add(a2, NULL, 4);
	/* the most recent aid beyond the index: history only */
	uint32_t a3[3] = { 5, 6, N_IX + 10 };
	add(a3, NULL, 3);
	or_store *st = finish("one.store");
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	int64_t *out = run_seed(st, IX, &cfg);
	int64_t want[K];
	want[0] = 5;
	for (int j = 1; j < K; j++)
		want[j] = nn[j - 1];
	check_row(out, want, K, K);
	want[0] = 5;
	want[1] = nn[3];
	want[2] = nn[0];
	size_t at = 3;
	for (int j = 0; j < K && at < K; j++)
		if (j != 0 && j != 3)
			want[at++] = nn[j];
	CHECK_INT(at, K);
	check_row(out + K, want, K, K);
	int64_t w3[3] = { N_IX + 10, 6, 5 };
	check_row(out + 2 * K, w3, 3, K);
	free(out);
	or_store_free(st);
}

/* An index with fewer rows than k: all of them, then -1. */
static void test_small_index(void)
{
	float x[5 * 2] = { 0, 0, 1, 0, 3, 0, 0, 2, 10, 10 };
	or_ann *ix = build_index(x, 5, 2, "small.idx");
	uint32_t a[2] = { 4, 0 };
	add(a, NULL, 2);
	or_store *st = finish("small.store");
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	int64_t *out = run_seed(st, ix, &cfg);
	/* distances from row 0: 1 -> 1, 3 -> 4, 2 -> 9, 4 -> 200; 4 is in the session */
	int64_t w[5] = { 0, 4, 1, 3, 2 };
	check_row(out, w, 5, K);
	free(out);
	or_store_free(st);
	or_ann_free(ix);
}

/* Ties: with all type weights 0 every history score is 0 and the list is
   the aids in order of first appearance; or_history_top agrees. */
static void test_ties_first_seen(void)
{
	uint32_t a[22] = { 9, 3, 9, 7, 1, 3, 2, 8, 8, 4, 6, 5, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
	add(a, NULL, 22);
	or_store *st = finish("ties.store");
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	cfg.type_weight[0] = cfg.type_weight[1] = cfg.type_weight[2] = 0;
	cfg.k = 5;
	int64_t *out = run_seed(st, IX, &cfg);
	int64_t want[5] = { 9, 3, 7, 1, 2 };
	check_row(out, want, 5, 5);
	free(out);
	or_history *h = NULL;
	or_err err;
	CHECK_INT(or_history_new(&h, &err), OR_OK);
	or_session s;
	or_store_session(st, 0, &s);
	CHECK_INT(or_history_recent(h, &s), 0);
	int64_t top[4];
	CHECK_INT(or_history_top(h, 4, top), 4);
	int64_t wr[4] = { 19, 18, 17, 16 };
	check_row(top, wr, 4, 4);
	CHECK_INT(or_history_size(h), 19);
	CHECK(or_history_contains(h, 8) && !or_history_contains(h, 10));
	/* the weights: numpy.logspace(0.1, 1, 3, base=2) - 1 */
	CHECK(fabs(or_history_log_weight(0.1, 3, 0) - (pow(2, 0.1) - 1)) < 1e-15);
	CHECK(fabs(or_history_log_weight(0.1, 3, 1) - (pow(2, 0.55) - 1)) < 1e-15);
	CHECK(or_history_log_weight(0.1, 3, 2) == 1.0);
	CHECK(fabs(or_history_log_weight(0.1, 1, 0) - (pow(2, 0.1) - 1)) < 1e-15);
	or_history_free(h);
	or_store_free(st);
}

/* Random sessions, several parallel blocks: the same rows for 1 and 2 threads. */
static void test_threads_and_batches(void)
{
	for (int i = 0; i < 20000; i++) {
		uint32_t a[30];
		uint8_t t[30];
		size_t n = 1 + next_rand() % 30;
		for (size_t j = 0; j < n; j++) {
			a[j] = (uint32_t)(next_rand() % (N_IX + 5));
			t[j] = (uint8_t)(next_rand() % 3);
		}
		add(a, t, n);
	}
	or_store *st = finish("many.store");
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	cfg.threads = 1;
	int64_t *o1 = run_seed(st, IX, &cfg);
	cfg.threads = 2;
	int64_t *o2 = run_seed(st, IX, &cfg);
	CHECK(memcmp(o1, o2, 20000 * K * sizeof(*o1)) == 0);
	size_t full = 0;
	for (size_t i = 0; i < 20000; i++)
		full += o1[i * K + K - 1] >= 0;
	CHECK(full > 15000); /* most lists reach k */
	free(o1);
	free(o2);

	/* cancellation and bad arguments */
	volatile sig_atomic_t stop = 1;
	or_log log = { 0 };
	log.cancel = &stop;
	int64_t *o = malloc(20000 * K * sizeof(*o));
	or_err err;
	CHECK_INT(or_recommend_seed(st, IX, NULL, &cfg, o, &log, &err), OR_ECANCELLED);
	cfg.k = 0;
	CHECK_INT(or_recommend_seed(st, IX, NULL, &cfg, o, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "list length");
	cfg.k = OR_RECOMMEND_K_MAX + 1;
	CHECK_INT(or_recommend_seed(st, IX, NULL, &cfg, o, NULL, &err), OR_EINVAL);
	free(o);
	or_store_free(st);
}

/* aid -> an order-preserving sparse aid near 2^31 */
static uint32_t sparse(uint32_t a) { return 2147480000u + 3 * a; }

/* The same sessions with aids mapped by `sparse`, and an index whose rows
   carry the mapped aids: the same lists, mapped.  Aids beyond the index
   stay beyond it (not in its dictionary). */
static void test_sparse_aids(void)
{
	enum { NS = 3000, L = 30 };
	static uint32_t a[NS][L];
	static uint8_t t[NS][L];
	size_t len[NS];
	for (int i = 0; i < NS; i++) {
		len[i] = 1 + next_rand() % L;
		for (size_t j = 0; j < len[i]; j++) {
			a[i][j] = (uint32_t)(next_rand() % (N_IX + 5));
			t[i][j] = (uint8_t)(next_rand() % 3);
		}
		add(a[i], t[i], len[i]);
	}
	or_store *dense = finish("dense.store");
	for (int i = 0; i < NS; i++) {
		for (size_t j = 0; j < len[i]; j++)
			a[i][j] = sparse(a[i][j]);
		add(a[i], t[i], len[i]);
	}
	or_store *mapped = finish("sparse.store");
	uint32_t aids[N_IX];
	for (uint32_t r = 0; r < N_IX; r++)
		aids[r] = sparse(r);
	or_ann *ix = build_index_aids(X, N_IX, D_IX, aids, "sparse.idx");
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	int64_t *o1 = run_seed(dense, IX, &cfg);
	int64_t *o2 = run_seed(mapped, ix, &cfg);
	size_t bad = 0, nb = 0;
	for (size_t i = 0; i < (size_t)NS * K; i++) {
		bad += o2[i] != (o1[i] < 0 ? -1 : (int64_t)sparse((uint32_t)o1[i]));
		nb += o1[i] >= 0 && o1[i] >= N_IX; /* only history can name aids beyond the index */
	}
	CHECK_INT(bad, 0);
	CHECK(nb > 0);
	free(o1);
	free(o2);
	or_ann_free(ix);
	or_store_free(dense);
	or_store_free(mapped);
}

static int read_all(const char *path, char **buf, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc((size_t)sz + 1);
	*n = fread(*buf, 1, (size_t)sz, f);
	fclose(f);
	return 0;
}

/*
 * The whole submission against tests/ref/seed_ref.py: 800 random sessions
 * (1..40 events, so both branches; aids 0..339 with a 300-row index, so some
 * most-recent aids have no neighbours), 300 x 4 integer embeddings (many
 * equal distances), the index exhaustive (nprobe = nlist).
 */
static void test_against_python_reference(void)
{
	size_t n = 300, d = 4;
	float *x = int_data(n, d);
	char npy[512], jsonl[512], sub[512], ref[512], cmd[2600];
	snprintf(npy, sizeof(npy), "%s/ref.npy", check_tmpdir());
	snprintf(jsonl, sizeof(jsonl), "%s/ref.jsonl", check_tmpdir());
	snprintf(sub, sizeof(sub), "%s/ref_ours.csv", check_tmpdir());
	snprintf(ref, sizeof(ref), "%s/ref_python.csv", check_tmpdir());
	or_err err;
	CHECK_INT(or_npy_write_f32(npy, x, n, d, &err), OR_OK);
	or_ann *ix = build_index(x, n, d, "ref.idx");
	size_t longs = 0, nones = 0;
	for (int i = 0; i < 800; i++) {
		uint32_t a[40];
		uint8_t t[40];
		size_t len = 1 + next_rand() % 40;
		uint32_t base = (uint32_t)(next_rand() % 340);
		for (size_t j = 0; j < len; j++) {
			/* revisits: half the events near the session's first aid */
			a[j] = next_rand() % 2 ? (base + (uint32_t)(next_rand() % 5)) % 340 : (uint32_t)(next_rand() % 340);
			t[j] = (uint8_t)(next_rand() % 6 == 0 ? 1 + next_rand() % 2 : 0);
		}
		longs += len >= 20;
		nones += len < 20 && a[len - 1] >= n;
		add(a, t, len);
	}
	CHECK(longs > 200 && nones > 5);
	or_store *st = finish("ref.store");
	CHECK_INT(or_export_jsonl(st, jsonl, NULL, &err), OR_OK);
	or_recommend_seed_config cfg;
	or_recommend_seed_config_default(&cfg);
	int64_t *out = run_seed(st, ix, &cfg);
	CHECK_INT(or_recommend_write_csv(sub, or_store_session_ids(st), or_store_n_sessions(st), K,
					 out, out, out, &err), OR_OK);
	const char *tdir = getenv("TESTS_DIR");
	snprintf(cmd, sizeof(cmd), "python3 %s/ref/seed_ref.py %s %s %s", tdir ? tdir : "tests",
		 jsonl, npy, ref);
	int rc = system(cmd);
	CHECK_INT(rc, 0);
	char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	CHECK_INT(read_all(sub, &a, &na), 0);
	CHECK_INT(read_all(ref, &b, &nb), 0);
	int same = a && b && na == nb && memcmp(a, b, na) == 0;
	CHECK(same);
	if (!same && a && b) {
		size_t i = 0;
		while (i < na && i < nb && a[i] == b[i])
			i++;
		size_t ls = i;
		while (ls > 0 && a[ls - 1] != '\n')
			ls--;
		fprintf(stderr, "  first difference at byte %zu:\n  ours:   %.200s\n  python: %.200s\n", i,
			a + ls, b + ls);
	}
	free(a);
	free(b);
	free(out);
	free(x);
	or_store_free(st);
	or_ann_free(ix);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	X = int_data(N_IX, D_IX);
	IX = build_index(X, N_IX, D_IX, "main.idx");
	RUN_TEST(test_threshold_and_weights);
	RUN_TEST(test_single_event_and_neighbours);
	RUN_TEST(test_small_index);
	RUN_TEST(test_ties_first_seen);
	RUN_TEST(test_threads_and_batches);
	RUN_TEST(test_against_python_reference);
	RUN_TEST(test_sparse_aids);
	or_ann_free(IX);
	free(X);
	CHECK_MAIN_END
}
