/*
 * test_stats.c - unit tests of lib/store/or_stats.c: describe numbers against
 * hand-computed values (sample std, numpy's linear percentiles), against a
 * naive reference (qsort + textbook formulas) on random data, dense and
 * sort paths against each other, store statistics on small built stores,
 * the sparse path for huge aids, damaged input, UTC text.
 */
#include "check.h"
#include "or_stats.h"
#include "or_store.h"

#include <math.h>

static int near(double a, double b, double rel)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return fabs(a - b) <= rel * (fabs(b) > 1 ? fabs(b) : 1);
}

#define CHECK_NEAR(a, b)                                                        \
	do {                                                                    \
		double a_ = (a), b_ = (b);                                      \
		if (!near(a_, b_, 1e-12)) {                                     \
			fprintf(stderr, "  %s:%d: %s == %.17g, expected %.17g\n", \
				__FILE__, __LINE__, #a, a_, b_);                \
			check_failures_in_test++;                               \
		}                                                               \
	} while (0)

static void check_describe(const or_describe *d, uint64_t n, double mean, double std,
			   uint64_t mn, double p50, double p75, double p90,
			   double p95, uint64_t mx)
{
	CHECK_INT(d->n, n);
	CHECK_NEAR(d->mean, mean);
	CHECK_NEAR(d->std, std);
	CHECK_INT(d->min, mn);
	CHECK_NEAR(d->p50, p50);
	CHECK_NEAR(d->p75, p75);
	CHECK_NEAR(d->p90, p90);
	CHECK_NEAR(d->p95, p95);
	CHECK_INT(d->max, mx);
}

static const or_stats_method methods[3] = { OR_STATS_AUTO, OR_STATS_DENSE, OR_STATS_SORT };

/* {10, 3, 1, 4, 2}: mean 4, squares 36+1+9+0+4 = 50, var 50/4, sorted
   1 2 3 4 10: p50 at 2 -> 3; p75 at 3 -> 4; p90 at 3.6 -> 4 + 6*0.6 = 7.6;
   p95 at 3.8 -> 4 + 6*0.8 = 8.8 */
static void test_describe_hand(void)
{
	const uint64_t x64[5] = { 10, 3, 1, 4, 2 };
	const uint32_t x32[5] = { 10, 3, 1, 4, 2 };
	for (int m = 0; m < 3; m++) {
		or_describe d;
		or_err err;
		CHECK_INT(or_describe_u64_ex(x64, 5, methods[m], &d, &err), OR_OK);
		check_describe(&d, 5, 4.0, sqrt(12.5), 1, 3, 4, 7.6, 8.8, 10);
		CHECK_INT(or_describe_u32_ex(x32, 5, methods[m], &d, &err), OR_OK);
		check_describe(&d, 5, 4.0, sqrt(12.5), 1, 3, 4, 7.6, 8.8, 10);
	}
}

/* numpy gives 206.20000000000005 and 228.50000000000003 on the 20 session
   lengths of the OTTO sample; the same arithmetic must give the same bits */
static void test_describe_numpy_bits(void)
{
	const uint64_t len[20] = { 276, 32, 33, 226, 19, 15, 204, 23, 4, 7,
				   4, 2, 2, 3, 2, 2, 2, 2, 2, 2 };
	/* sorted: 2 x8 (0-7), 3, 4, 4, 7, 15, 19, 23, 32, 33, 204, 226, 276 */
	or_describe d;
	for (int m = 0; m < 3; m++) {
		CHECK_INT(or_describe_u64_ex(len, 20, methods[m], &d, NULL), OR_OK);
		CHECK(d.p90 == 206.20000000000005); /* pos 17.1: 204 + 22 * 0.1 */
		CHECK(d.p95 == 228.50000000000003); /* pos 18.05: 226 + 50 * 0.05 */
		CHECK(d.p75 == 25.25);              /* pos 14.25: 23 + 9 * 0.25 */
		CHECK(d.p50 == 4.0);
		CHECK(d.mean == 43.1);
		CHECK_INT(d.min, 2);
		CHECK_INT(d.max, 276);
	}
	/* numpy interpolates from the upper end when the fraction >= 0.5:
	   np.percentile([315, 720, 868], 95) == 853.1999999999999, where
	   720 + 148 * 0.9 would give 853.2 */
	const uint64_t three[3] = { 868, 315, 720 };
	for (int m = 0; m < 3; m++) {
		CHECK_INT(or_describe_u64_ex(three, 3, methods[m], &d, NULL), OR_OK);
		CHECK(d.p95 == 853.1999999999999);
	}
}

static void test_describe_small_n(void)
{
	or_describe d;
	const uint64_t one = 7;
	for (int m = 0; m < 3; m++) {
		CHECK_INT(or_describe_u64_ex(&one, 1, methods[m], &d, NULL), OR_OK);
		CHECK_INT(d.n, 1);
		CHECK(d.mean == 7.0);
		CHECK(isnan(d.std)); /* ddof = 1 with one value */
		CHECK(d.p50 == 7.0 && d.p75 == 7.0 && d.p90 == 7.0 && d.p95 == 7.0);
		CHECK_INT(d.min, 7);
		CHECK_INT(d.max, 7);
		CHECK_INT(or_describe_u64_ex(NULL, 0, methods[m], &d, NULL), OR_OK);
		CHECK_INT(d.n, 0);
		CHECK(isnan(d.mean) && isnan(d.std) && isnan(d.p50) && isnan(d.p95));
	}
	const uint64_t two[2] = { 5, 1 }; /* std of {1,5}: sqrt(8) */
	CHECK_INT(or_describe_u64(two, 2, &d, NULL), OR_OK);
	check_describe(&d, 2, 3, sqrt(8.0), 1, 3, 4, 4.6, 4.8, 5);
}

/* Values far apart take the radix-sort path under AUTO. */
static void test_describe_wide_range(void)
{
	const uint64_t x[4] = { 5000000000000ull, 7, 1, 1099511627776ull };
	or_describe d;
	for (int m = 0; m < 3; m += 2) { /* auto, sort (dense would be 40 TB) */
		CHECK_INT(or_describe_u64_ex(x, 4, methods[m], &d, NULL), OR_OK);
		double mean = (5000000000000.0 + 7 + 1 + 1099511627776.0) / 4;
		double ss = 0;
		for (int i = 0; i < 4; i++)
			ss += ((double)x[i] - mean) * ((double)x[i] - mean);
		/* sorted 1 7 2^40 5e12: p50 at 1.5; p75 at 2.25; p90 at 2.7;
		   p95 at 2.85 */
		check_describe(&d, 4, mean, sqrt(ss / 3), 1,
			       7 + (1099511627776.0 - 7) * 0.5,
			       1099511627776.0 + (5000000000000.0 - 1099511627776.0) * 0.25,
			       1099511627776.0 + (5000000000000.0 - 1099511627776.0) * 0.7,
			       1099511627776.0 + (5000000000000.0 - 1099511627776.0) * 0.85,
			       5000000000000ull);
	}
	const uint64_t big[3] = { UINT64_MAX, UINT64_MAX - 1, 0 };
	CHECK_INT(or_describe_u64(big, 3, &d, NULL), OR_OK);
	CHECK_INT(d.min, 0);
	CHECK(d.max == UINT64_MAX);
	CHECK(d.p50 == (double)(UINT64_MAX - 1));
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The textbook reference: qsort, then numpy's linear rule written plainly. */
static double ref_quantile(const uint64_t *s, size_t n, double q)
{
	double pos = (double)(n - 1) * q;
	size_t lo = (size_t)floor(pos);
	size_t hi = lo + 1 < n ? lo + 1 : n - 1;
	double t = pos - floor(pos);
	return (double)s[lo] + ((double)s[hi] - (double)s[lo]) * t;
}

static void test_describe_random_vs_reference(void)
{
	static const size_t sizes[] = { 3, 10, 101, 1000, 65537, 200000 };
	static const uint64_t ranges[] = { 2, 50, 1000, 1u << 20, 1ull << 40 };
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (size_t ri = 0; ri < sizeof(ranges) / sizeof(ranges[0]); ri++) {
			size_t n = sizes[si];
			uint64_t *x = malloc(n * sizeof(*x)), *s = malloc(n * sizeof(*s));
			uint32_t *x32 = malloc(n * sizeof(*x32));
			for (size_t i = 0; i < n; i++) {
				/* skewed: many small values, a few large */
				uint64_t r = rnd() % ranges[ri];
				x[i] = (i % 7 == 0) ? r : r % (ranges[ri] / 2 + 1);
				x[i] += 3;
				s[i] = x[i];
				x32[i] = (uint32_t)x[i];
			}
			qsort(s, n, sizeof(*s), cmp_u64);
			double sum = 0;
			for (size_t i = 0; i < n; i++)
				sum += (double)s[i];
			double mean = sum / (double)n, ss = 0;
			for (size_t i = 0; i < n; i++)
				ss += ((double)s[i] - mean) * ((double)s[i] - mean);
			for (int m = 0; m < 3; m++) {
				if (methods[m] == OR_STATS_DENSE && ranges[ri] > (1u << 20))
					continue;
				or_describe d;
				CHECK_INT(or_describe_u64_ex(x, n, methods[m], &d, NULL), OR_OK);
				if (!near(d.mean, mean, 1e-12) || !near(d.std, sqrt(ss / (double)(n - 1)), 1e-9) ||
				    d.min != s[0] || d.max != s[n - 1] ||
				    !near(d.p50, ref_quantile(s, n, 0.5), 1e-12) ||
				    !near(d.p75, ref_quantile(s, n, 0.75), 1e-12) ||
				    !near(d.p90, ref_quantile(s, n, 0.9), 1e-12) ||
				    !near(d.p95, ref_quantile(s, n, 0.95), 1e-12)) {
					fprintf(stderr, "  n %zu range %llu method %d differs from the reference\n",
						n, (unsigned long long)ranges[ri], m);
					check_failures_in_test++;
				}
				CHECK(d.p50 == or_quantile_sorted_u64(s, n, 0.5));
				CHECK(d.p95 == or_quantile_sorted_u64(s, n, 0.95));
				if (ranges[ri] < (1ull << 32)) {
					or_describe d32;
					CHECK_INT(or_describe_u32_ex(x32, n, methods[m], &d32, NULL), OR_OK);
					CHECK(d32.p90 == d.p90 && d32.mean == d.mean && d32.max == d.max);
				}
			}
			free(x);
			free(s);
			free(x32);
		}
}

static void test_quantile_sorted(void)
{
	const uint64_t s[4] = { 1, 1, 2, 4 };
	CHECK(or_quantile_sorted_u64(s, 4, 0.0) == 1.0);
	CHECK(or_quantile_sorted_u64(s, 4, 1.0) == 4.0);
	CHECK_NEAR(or_quantile_sorted_u64(s, 4, 0.5), 1.5);
	CHECK_NEAR(or_quantile_sorted_u64(s, 4, 0.75), 2.5);
	CHECK_NEAR(or_quantile_sorted_u64(s, 4, 0.9), 3.4);
	CHECK_NEAR(or_quantile_sorted_u64(s, 4, 0.95), 3.7);
	CHECK(isnan(or_quantile_sorted_u64(s, 0, 0.5)));
}

/* Three sessions: {a5 a5 a7} {a7} {a9 a5 a1 a5}, aids given by map[]. */
static const char *build_small(const char *name, const uint32_t map[4])
{
	static char path[8][512];
	static int k;
	char *p = path[k++ % 8];
	snprintf(p, 512, "%s/%s", check_tmpdir(), name);
	or_store_builder *b;
	or_err err;
	if (or_store_builder_new(&b, &err))
		exit(2);
	/* map: 0 -> aid "1", 1 -> "5", 2 -> "7", 3 -> "9" */
	uint32_t a0[3] = { map[1], map[1], map[2] }, a1[1] = { map[2] },
		 a2[4] = { map[3], map[1], map[0], map[1] };
	int64_t t0[3] = { 1000, 2000, 2000 }, t1[1] = { 500 }, t2[4] = { 10, 20, 30, 4000 };
	uint8_t y0[3] = { 0, 1, 0 }, y1[1] = { 2 }, y2[4] = { 0, 0, 1, 2 };
	int rc = or_store_builder_add(b, 10, 3, a0, t0, y0, &err);
	rc |= or_store_builder_add(b, 11, 1, a1, t1, y1, &err);
	rc |= or_store_builder_add(b, 12, 4, a2, t2, y2, &err);
	rc |= or_store_builder_write(b, p, NULL, &err);
	or_store_builder_free(b);
	if (rc) {
		fprintf(stderr, "build %s: %s\n", p, err.msg);
		exit(2);
	}
	return p;
}

static void check_small_stats(const or_stats *s, uint32_t aid_bound)
{
	CHECK_INT(s->n_sessions, 3);
	CHECK_INT(s->n_events, 8);
	CHECK_INT(s->n_items, 4);
	CHECK_INT(s->n_type[OR_CLICKS], 4);
	CHECK_INT(s->n_type[OR_CARTS], 2);
	CHECK_INT(s->n_type[OR_ORDERS], 2);
	CHECK_INT(s->ts_min, 10);
	CHECK_INT(s->ts_max, 4000);
	CHECK_INT(s->aid_bound, aid_bound);
	/* per session {3,1,4}: mean 8/3; deviations 1/3 -5/3 4/3 -> 42/9 / 2;
	   sorted 1 3 4: p50 3, p75 at 1.5 -> 3.5, p90 at 1.8 -> 3.8, p95 3.9 */
	check_describe(&s->per_session, 3, 8.0 / 3, sqrt(7.0 / 3), 1, 3, 3.5, 3.8, 3.9, 4);
	/* per item {1:1, 5:4, 7:2, 9:1}: mean 2, var 6/3, sorted 1 1 2 4:
	   p50 at 1.5 -> 1.5, p75 at 2.25 -> 2.5, p90 at 2.7 -> 3.4, p95 3.7 */
	check_describe(&s->per_item, 4, 2, sqrt(2.0), 1, 1.5, 2.5, 3.4, 3.7, 4);
}

static void test_store_stats(void)
{
	const uint32_t map[4] = { 1, 5, 7, 9 };
	const char *path = build_small("small.store", map);
	or_store *st;
	or_err err;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	if (!st)
		return;
	or_stats s;
	CHECK_INT(or_stats_compute(st, &s, NULL, &err), OR_OK);
	check_small_stats(&s, 10);
	or_store_free(st);
}

/* Same sessions with aids up to 2,000,000,000: the sparse (sort) path, which
   must not allocate a count array of 2e9 entries and must give the same
   numbers as the dense path. */
static void test_store_stats_huge_aids(void)
{
	const uint32_t map[4] = { 3, 1500000000u, 1999999999u, 2000000000u };
	const char *path = build_small("huge.store", map);
	or_store *st;
	or_err err;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	if (!st)
		return;
	or_stats s;
	CHECK_INT(or_stats_compute(st, &s, NULL, &err), OR_OK);
	check_small_stats(&s, 2000000001u);
	or_store_free(st);
}

static void test_item_counts_dense_equals_sort(void)
{
	const size_t n = 1100000; /* above the threshold for threads */
	const uint32_t bound = 50000;
	uint32_t *aid = malloc(n * sizeof(*aid));
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd();
		/* popular items and a long tail, some aids never used */
		aid[i] = (uint32_t)((r & 1) ? (r >> 8) % 100 : (r >> 8) % bound);
		if (aid[i] % 97 == 13)
			aid[i] = 0;
	}
	aid[n - 1] = bound - 1;
	uint64_t *c1 = NULL, *c2 = NULL;
	size_t n1 = 0, n2 = 0;
	or_err err;
	CHECK_INT(or_stats_item_counts(aid, n, bound, OR_STATS_DENSE, &c1, &n1, NULL, &err), OR_OK);
	CHECK_INT(or_stats_item_counts(aid, n, bound, OR_STATS_SORT, &c2, &n2, NULL, &err), OR_OK);
	CHECK_INT(n1, n2);
	CHECK(n1 > 1000 && n1 < bound);
	CHECK(c1 && c2 && n1 == n2 && memcmp(c1, c2, n1 * sizeof(*c1)) == 0);
	uint64_t total = 0;
	for (size_t i = 0; c1 && i < n1; i++) {
		total += c1[i];
		CHECK(c1[i] > 0);
	}
	CHECK_INT(total, n);
	/* a slow reference */
	uint32_t *ref = calloc(bound, sizeof(*ref));
	for (size_t i = 0; i < n; i++)
		ref[aid[i]]++;
	size_t k = 0, bad = 0;
	for (uint32_t a = 0; a < bound; a++)
		if (ref[a])
			bad += k >= n1 || !c1 || c1[k++] != ref[a];
	CHECK_INT(bad, 0);
	CHECK_INT(k, n1);
	free(ref);
	free(c1);
	free(c2);
	free(aid);
}

static void test_item_counts_bad_aid(void)
{
	const uint32_t aid[5] = { 1, 2, 3, 9, 2 };
	for (int m = 1; m < 3; m++) {
		uint64_t *c = NULL;
		size_t n = 0;
		or_err err;
		or_err_clear(&err);
		CHECK_INT(or_stats_item_counts(aid, 5, 5, methods[m], &c, &n, NULL, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, "aid 9");
		CHECK(c == NULL);
	}
}

static void test_item_counts_cancel(void)
{
	const uint32_t aid[3] = { 1, 2, 1 };
	volatile sig_atomic_t cancel = 1;
	or_log log = { NULL, NULL, NULL, &cancel };
	for (int m = 1; m < 3; m++) {
		uint64_t *c = NULL;
		size_t n = 0;
		or_err err;
		CHECK_INT(or_stats_item_counts(aid, 3, 3, methods[m], &c, &n, &log, &err), OR_ECANCELLED);
		free(c);
	}
}

static void test_empty_store(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/empty.store", check_tmpdir());
	or_store_builder *b;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	if (!st)
		return;
	or_stats s;
	CHECK_INT(or_stats_compute(st, &s, NULL, &err), OR_OK);
	CHECK_INT(s.n_sessions, 0);
	CHECK_INT(s.n_items, 0);
	CHECK(isnan(s.per_item.mean) && isnan(s.per_session.p50));
	or_store_free(st);
}

static void test_utc_iso(void)
{
	char b[64];
	CHECK(!strcmp(or_stats_utc_iso(0, b, sizeof(b)), "1970-01-01T00:00:00.000Z"));
	CHECK(!strcmp(or_stats_utc_iso(1659304800025LL, b, sizeof(b)), "2022-07-31T22:00:00.025Z"));
	CHECK(!strcmp(or_stats_utc_iso(-1, b, sizeof(b)), "1969-12-31T23:59:59.999Z"));
	CHECK(!strcmp(or_stats_utc_iso(951782400000LL, b, sizeof(b)), "2000-02-29T00:00:00.000Z"));
	CHECK(!strcmp(or_stats_utc_iso(253402300799999LL, b, sizeof(b)), "9999-12-31T23:59:59.999Z"));
	CHECK(!strcmp(or_stats_utc_iso(-62135596800000LL, b, sizeof(b)), "0001-01-01T00:00:00.000Z"));
	or_stats_utc_iso(INT64_MAX, b, sizeof(b)); /* must not crash */
	or_stats_utc_iso(INT64_MIN, b, sizeof(b));
}

int main(void)
{
	CHECK_MAIN_BEGIN;
	RUN_TEST(test_describe_hand);
	RUN_TEST(test_describe_numpy_bits);
	RUN_TEST(test_describe_small_n);
	RUN_TEST(test_describe_wide_range);
	RUN_TEST(test_describe_random_vs_reference);
	RUN_TEST(test_quantile_sorted);
	RUN_TEST(test_store_stats);
	RUN_TEST(test_store_stats_huge_aids);
	RUN_TEST(test_item_counts_dense_equals_sort);
	RUN_TEST(test_item_counts_bad_aid);
	RUN_TEST(test_item_counts_cancel);
	RUN_TEST(test_empty_store);
	RUN_TEST(test_utc_iso);
	CHECK_MAIN_END
}
