/*
 * test_base.c - the small shared pieces of lib/base that have no other
 * home in the tests: the int64 set / map (or_idset) against a reference,
 * the sentinel id included; the aid map (or_aidmap) and the counter on it
 * (or_counter): insertion order, lookups, emptying, growth; the decimal
 * integer writers (or_fmt.h) against snprintf; the JSON scanner
 * (or_json.h): strings and escapes, integer codes, skipping valid values,
 * refusing invalid ones at the right byte.
 */
#include "check.h"
#include "or_aidmap.h"
#include "or_counter.h"
#include "or_fmt.h"
#include "or_idset.h"
#include "or_json.h"
#include "or_prng.h"

#include <stdint.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) { return or_prng_splitmix(&rng); }

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

/* Entries in insertion order, found again by their aid; a reset empties
   the map (also across the generation counter's wrap) and may grow it. */
static void test_aidmap(void)
{
	or_aidmap m;
	memset(&m, 0, sizeof(m));
	static uint32_t aids[3000];
	for (int round = 0; round < 3; round++) {
		size_t cap = round == 0 ? 10 : 3000;
		CHECK_INT(or_aidmap_reset(&m, cap), 0);
		CHECK((m.mask + 1) >= 2 * cap);
		if (round == 2)
			m.gen = UINT32_MAX; /* the next reset wraps */
		size_t n = 0;
		int bad = 0;
		for (size_t k = 0; k < 4 * cap; k++) {
			uint32_t a = (uint32_t)(rnd() % cap) * 65537u; /* repeats */
			size_t i = or_aidmap_slot(&m, aids, a);
			if (or_aidmap_used(&m, i)) {
				bad += aids[or_aidmap_entry(&m, i)] != a;
				continue;
			}
			or_aidmap_claim(&m, i, n);
			aids[n++] = a;
		}
		CHECK_INT(bad, 0);
		for (size_t e = 0; e < n; e++) {
			size_t i = or_aidmap_slot(&m, aids, aids[e]);
			bad += !or_aidmap_used(&m, i) || or_aidmap_entry(&m, i) != e;
		}
		CHECK_INT(bad, 0);
		CHECK(n > cap / 2 && n <= cap);
		if (round == 2) {
			CHECK_INT(or_aidmap_reset(&m, cap), 0);
			CHECK_INT(m.gen, 1);
		} else {
			CHECK_INT(or_aidmap_reset(&m, 1), 0);
		}
		bad = 0;
		for (size_t e = 0; e < n; e++)
			bad += or_aidmap_used(&m, or_aidmap_slot(&m, aids, aids[e]));
		CHECK_INT(bad, 0); /* empty again */
	}
	or_aidmap_free(&m);
	CHECK_INT(m.mask, 0);
}

/* Python's Counter: values summed per aid, first-insertion order kept,
   most_common ties broken by that order. */
static void test_counter(void)
{
	or_counter c;
	memset(&c, 0, sizeof(c));
	CHECK_INT(or_counter_reset(&c, 4), 0);
	static const uint32_t a[] = { 5, 3, 5, 9, 3, 5, 7 };
	static const double v[] = { 1, 2, 1, 0.5, 0, 1, 2 };
	for (size_t i = 0; i < 7; i++)
		or_counter_add(&c, a[i], v[i]);
	CHECK_INT(c.n, 4);
	CHECK(c.aid[0] == 5 && c.aid[1] == 3 && c.aid[2] == 9 && c.aid[3] == 7);
	CHECK(c.val[0] == 3 && c.val[1] == 2 && c.val[2] == 0.5 && c.val[3] == 2);
	CHECK(or_counter_has(&c, 9) && !or_counter_has(&c, 4));
	uint32_t idx[3];
	CHECK_INT(or_counter_most_common(&c, 3, idx), 3);
	CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 3); /* 3 and 7 tie at 2: 3 first */
	CHECK_INT(or_counter_reset(&c, 5000), 0);
	CHECK_INT(c.n, 0);
	CHECK(!or_counter_has(&c, 5));
	or_counter_free(&c);
}

/* The decimal writers against snprintf at every power of ten and the ends. */
static void test_fmt_integers(void)
{
	char buf[32], want[32];
	uint64_t v = 1;
	for (int k = 0; k < 20; k++, v *= 10) {
		const uint64_t cases[3] = { v - 1, v, v + 1 };
		for (int c = 0; c < 3; c++) {
			size_t n = or_fmt_u64(buf, cases[c]);
			snprintf(want, sizeof(want), "%llu", (unsigned long long)cases[c]);
			CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
		}
	}
	const uint64_t u[] = { 0, 9, 10, 99, 100, 4294967295ull, UINT64_MAX, UINT64_MAX - 1 };
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		size_t n = or_fmt_u64(buf, u[i]);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)u[i]);
		CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
	}
	const int64_t s[] = { 0, -1, 1, -9, -10, INT64_MAX, INT64_MIN, INT64_MIN + 1, -1659304800025LL };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		size_t n = or_fmt_i64(buf, s[i]);
		snprintf(want, sizeof(want), "%lld", (long long)s[i]);
		CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
	}
}

static or_json scan(const char *text)
{
	or_json j;
	or_json_init(&j, text, text + strlen(text));
	return j;
}

static void test_json_strings(void)
{
	char buf[16];
	int fits = -1;
	or_json j = scan("  \"plain\" ");
	CHECK_INT(or_json_string(&j, buf, sizeof(buf), &fits), 0);
	CHECK(fits == 1 && !strcmp(buf, "plain") && *j.p == ' ');
	j = scan("\"se\\u0073sion\\n\\\"\\/\"");
	CHECK_INT(or_json_string(&j, buf, sizeof(buf), &fits), 0);
	CHECK(fits == 1 && !strcmp(buf, "session\n\"/"));
	CHECK(j.p == j.end);
	j = scan("\"caf\\u00e9\"x"); /* beyond ASCII: read, but not kept */
	CHECK_INT(or_json_string(&j, buf, sizeof(buf), &fits), 0);
	CHECK_INT(fits, 0);
	CHECK(*j.p == 'x');
	j = scan("\"a string longer than sixteen\"");
	CHECK_INT(or_json_string(&j, buf, sizeof(buf), &fits), 0);
	CHECK(fits == 0 && buf[0] == '\0' && j.p == j.end);
	static const struct { const char *text, *what; int col; } bad[] = {
		{ "x", "expected a string", 1 },
		{ "\"abc", "unterminated string", 5 },
		{ "\"ab\\", "unterminated string", 4 },
		{ "\"a\tb\"", "control character in string", 3 },
		{ "\"a\\qb\"", "bad escape in string", 3 },
		{ "\"a\\u12\"", "truncated \\u escape", 3 },
		{ "\"a\\u12g4\"", "bad \\u escape", 3 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = scan(bad[i].text);
		CHECK_INT(or_json_string(&j, buf, sizeof(buf), &fits), -1);
		CHECK(j.err_what && !strcmp(j.err_what, bad[i].what));
		CHECK_INT(j.err_at - j.begin + 1, bad[i].col);
	}
}

static void test_json_ints(void)
{
	static const struct { const char *text; int rc, neg; uint64_t mag; size_t used; } c[] = {
		{ "0", OR_JSON_INT_OK, 0, 0, 1 },
		{ "-0,", OR_JSON_INT_OK, 1, 0, 2 },
		{ "1659304800000}", OR_JSON_INT_OK, 0, 1659304800000ull, 13 },
		{ "-42 ", OR_JSON_INT_OK, 1, 42, 3 },
		{ "18446744073709551615", OR_JSON_INT_OK, 0, UINT64_MAX, 20 },
		{ "18446744073709551616", OR_JSON_INT_OVERFLOW, 0, 0, 0 },
		{ "99999999999999999999999", OR_JSON_INT_OVERFLOW, 0, 0, 0 },
		{ "01", OR_JSON_INT_LEADING_ZERO, 0, 0, 0 },
		{ "-01", OR_JSON_INT_LEADING_ZERO, 1, 0, 0 },
		{ "1.5", OR_JSON_INT_FRACTION, 0, 0, 0 },
		{ "1e3", OR_JSON_INT_FRACTION, 0, 0, 0 },
		{ "\"1\"", OR_JSON_INT_NONE, 0, 0, 0 },
		{ "-", OR_JSON_INT_NONE, 1, 0, 0 },
		{ "", OR_JSON_INT_NONE, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		or_json j = scan(c[i].text);
		int neg = -1;
		uint64_t mag = 7;
		int rc = or_json_int(&j, &neg, &mag);
		CHECK_INT(rc, c[i].rc);
		CHECK_INT((size_t)(j.p - j.begin), c[i].used); /* not moved on failure */
		if (rc == OR_JSON_INT_OK) {
			CHECK_INT(neg, c[i].neg);
			CHECK(mag == c[i].mag);
		}
		CHECK(j.err_what == NULL);
	}
}

static void test_json_skip(void)
{
	static const char *const good[] = {
		"1", "-0.5e+10", "true", "null", "\"s\\u0041\"", "[]", "{}", " [ 1 , [ ] , { \"a\" : [ null ] } ] ",
		"{\"k\":{\"k\":{\"k\":[false,1E-2,\"\"]}}}",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		or_json j = scan(good[i]);
		CHECK_INT(or_json_skip(&j), 0);
		or_json_ws(&j);
		CHECK(j.p == j.end);
	}
	static const struct { const char *text, *what; int col; } bad[] = {
		{ "", "expected a JSON value", 1 },
		{ "tru", "expected a JSON value", 1 },
		{ "nul,", "expected a JSON value", 1 },
		{ "abc", "expected a JSON value", 1 },
		{ "01", "leading zero in a number", 1 },
		{ "1.", "bad number", 3 },
		{ "1e+", "bad number", 4 },
		{ "-x", "bad number", 2 },
		{ "[1 2]", "expected ',' or ']'", 4 },
		{ "{\"a\" 1}", "expected ':' after a key", 6 },
		{ "{\"a\":1,}", "expected a string", 8 },
		{ "{\"a\":1", "expected ',' or '}'", 7 },
		{ "[\"a\tb\"]", "control character in string", 4 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		or_json j = scan(bad[i].text);
		CHECK_INT(or_json_skip(&j), -1);
		CHECK(j.err_what && !strcmp(j.err_what, bad[i].what));
		if (!j.err_what || strcmp(j.err_what, bad[i].what))
			fprintf(stderr, "  skip %s: %s\n", bad[i].text, j.err_what ? j.err_what : "(none)");
		CHECK_INT(j.err_at - j.begin + 1, bad[i].col);
	}
	/* nesting: OR_JSON_MAX_DEPTH levels pass, one more does not */
	char deep[2 * OR_JSON_MAX_DEPTH + 8];
	for (int extra = 0; extra < 2; extra++) {
		size_t n = 0, levels = OR_JSON_MAX_DEPTH + (size_t)extra;
		for (size_t i = 0; i < levels; i++)
			deep[n++] = '[';
		for (size_t i = 0; i < levels; i++)
			deep[n++] = ']';
		deep[n] = '\0';
		or_json j = scan(deep);
		CHECK_INT(or_json_skip(&j), extra ? -1 : 0);
		if (extra)
			CHECK(j.err_what && !strcmp(j.err_what, "JSON nested too deeply"));
	}
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_idset_set);
	RUN_TEST(test_idset_map);
	RUN_TEST(test_aidmap);
	RUN_TEST(test_counter);
	RUN_TEST(test_fmt_integers);
	RUN_TEST(test_json_strings);
	RUN_TEST(test_json_ints);
	RUN_TEST(test_json_skip);
	CHECK_MAIN_END
}
