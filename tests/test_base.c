/*
 * test_base.c - the small shared pieces of lib/base that have no other
 * home in the tests: the int64 set / map (or_idset) against a sorted
 * reference, the sentinel id included.
 */
#include "check.h"
#include "or_idset.h"

#include <stdint.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A set grown from 16 slots: every id added once, repeats refused, the
   sentinel key (INT64_MIN) and its neighbours like any other. */
static void test_idset_set(void)
{
	or_idset s;
	CHECK_INT(or_idset_init(&s, 0), 0);
	enum { N = 5000 };
	static int64_t ids[N];
	for (int i = 0; i < N; i++)
		ids[i] = (int64_t)(rnd() % 3000) - 1500; /* many repeats */
	ids[7] = INT64_MIN;
	ids[8] = INT64_MIN + 1;
	ids[9] = INT64_MAX;
	ids[N - 1] = INT64_MIN;
	size_t distinct = 0;
	for (int i = 0; i < N; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = ids[j] == ids[i];
		distinct += !seen;
		CHECK_INT(or_idset_add(&s, ids[i]), !seen);
	}
	CHECK_INT(s.n + (size_t)s.has_empty_key, distinct);
	for (int i = 0; i < N; i++)
		CHECK_INT(or_idset_add(&s, ids[i]), 0);
	or_idset_release(&s);
}

/* A map: put adds with value 0 once, keeps values across growth, get
   finds exactly what was put. */
static void test_idset_map(void)
{
	or_idset m;
	CHECK_INT(or_idset_init_map(&m, 4), 0);
	enum { N = 20000 };
	for (int64_t i = 0; i < N; i++) {
		int added = -1;
		uint64_t *v = or_idset_put(&m, i * 7919 - 70000000, &added);
		CHECK(v != NULL);
		CHECK_INT(added, 1);
		if (!v)
			break;
		CHECK_INT(*v, 0);
		*v = (uint64_t)i * 3 + 1;
	}
	int added = -1;
	uint64_t *v = or_idset_put(&m, INT64_MIN, &added);
	CHECK(v && added == 1 && *v == 0);
	if (v)
		*v = 99;
	v = or_idset_put(&m, 5 * 7919 - 70000000, &added);
	CHECK(v && added == 0 && *v == 16);
	uint64_t got = 0;
	int bad = 0;
	for (int64_t i = 0; i < N; i++)
		bad += !or_idset_get(&m, i * 7919 - 70000000, &got) || got != (uint64_t)i * 3 + 1;
	CHECK_INT(bad, 0);
	CHECK_INT(or_idset_get(&m, INT64_MIN, &got), 1);
	CHECK_INT(got, 99);
	CHECK_INT(or_idset_get(&m, 1, &got), 0);
	CHECK_INT(or_idset_get(&m, INT64_MAX, &got), 0);
	CHECK_INT(m.n, N);
	or_idset_release(&m);
	/* a fresh map does not hold the sentinel */
	CHECK_INT(or_idset_init_map(&m, 0), 0);
	CHECK_INT(or_idset_get(&m, INT64_MIN, &got), 0);
	or_idset_release(&m);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_idset_set);
	RUN_TEST(test_idset_map);
	CHECK_MAIN_END
}
