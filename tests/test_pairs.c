/*
 * test_pairs.c - pair building (window, type filter, time gap, hold-outs,
 * shuffle as a permutation, bytes independent of the thread count), pairs
 * of dense items over the union of the stores' dictionaries, and the pairs
 * file (open, verify, damage detection, old versions refused).
 */
#include "check.h"
#include "check_sfile.h"
#include "or_file.h"
#include "or_pairs.h"
#include "or_store.h"

#include <stdint.h>
#include <unistd.h>

/* A store of sessions: session s has s % 7 + 1 events, aids 10*s + j,
   ts 1000 * j, type j % 3. */
static const char *make_store(const char *name, size_t n_sessions)
{
	or_store_builder *b = NULL;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	for (size_t s = 0; s < n_sessions; s++) {
		uint32_t aid[8];
		int64_t ts[8];
		uint8_t type[8];
		size_t n = s % 7 + 1;
		for (size_t j = 0; j < n; j++) {
			aid[j] = (uint32_t)(10 * s + j);
			ts[j] = (int64_t)(1000 * j);
			type[j] = (uint8_t)(j % 3);
		}
		CHECK_INT(or_store_builder_add(b, (int64_t)s, n, aid, ts, type, &err), OR_OK);
	}
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	snprintf(p, 512, "%s/%s", check_tmpdir(), name);
	CHECK_INT(or_store_builder_write(b, p, NULL, &err), OR_OK);
	or_store_builder_free(b);
	return p;
}

static or_pairs *build(or_store **st, size_t n, const or_pairs_config *cfg, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
	or_err err;
	or_pairs_stats ps;
	int rc = or_pairs_build(st, n, cfg, path, NULL, &ps, &err);
	if (rc)
		fprintf(stderr, "  build: %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	or_pairs *p = NULL;
	CHECK_INT(or_pairs_open(path, &p, &err), OR_OK);
	if (p) {
		CHECK_INT(or_pairs_verify(p, &err), OR_OK);
		CHECK_INT(or_pairs_n_train(p), ps.n_train);
		CHECK_INT(or_pairs_n_valid(p), ps.n_valid);
	}
	return p;
}

static void test_adjacent_unshuffled(void)
{
	or_store *st = NULL;
	or_err err;
	CHECK_INT(or_store_open(make_store("a.store", 100), &st, &err), OR_OK);
	or_pairs_config cfg;
	or_pairs_config_default(&cfg);
	cfg.shuffle = 0;
	cfg.valid_fraction = 0;
	or_pairs *p = build(&st, 1, &cfg, "a.pairs");
	/* sum over s of (s % 7) */
	size_t want = 0;
	for (size_t s = 0; s < 100; s++)
		want += s % 7;
	CHECK_INT(or_pairs_n_train(p), want);
	CHECK_INT(or_pairs_n_valid(p), 0);
	/* one item per distinct aid: sum over s of (s % 7 + 1), not 10 * 99 + 7 */
	CHECK_INT(or_pairs_n_items(p), want + 100);
	const uint32_t *t = or_pairs_train(p), *items = or_pairs_items(p);
	int ok = 1;
	for (size_t i = 0; i < or_pairs_n_train(p); i++)
		ok &= t[2 * i + 1] == t[2 * i] + 1 && t[2 * i + 1] < or_pairs_n_items(p) &&
		      items[t[2 * i + 1]] == items[t[2 * i]] + 1;
	CHECK(ok);
	/* session 0 has one event (aid 0); the first pair is session 1's 10 -> 11 */
	CHECK_INT(t[0], 1);
	CHECK_INT(t[1], 2);
	CHECK_INT(items[t[0]], 10);
	CHECK_INT(items[t[1]], 11);
	or_pairs_free(p);
	or_store_free(st);
}

static void test_window_types_gap(void)
{
	or_store *st = NULL;
	or_err err;
	CHECK_INT(or_store_open(make_store("b.store", 7), &st, &err), OR_OK);
	or_pairs_config cfg;
	or_pairs_config_default(&cfg);
	cfg.shuffle = 0;
	cfg.valid_fraction = 0;
	cfg.window = 2;
	or_pairs *p = build(&st, 1, &cfg, "w.pairs");
	/* session with n events: (n-1) + (n-2) pairs for n >= 2 */
	size_t want = 0;
	for (size_t n = 1; n <= 7; n++)
		want += (n - 1) + (n >= 2 ? n - 2 : 0);
	CHECK_INT(or_pairs_n_train(p), want);
	or_pairs_free(p);
	cfg.window = 3;
	cfg.max_gap_ms = 1000; /* only consecutive events are 1 s apart */
	p = build(&st, 1, &cfg, "g.pairs");
	want = 0;
	for (size_t n = 1; n <= 7; n++)
		want += n - 1;
	CHECK_INT(or_pairs_n_train(p), want);
	or_pairs_free(p);
	cfg.window = 1;
	cfg.max_gap_ms = 0;
	cfg.type_mask = 1u << OR_CLICKS; /* events j % 3 == 0: aids 10s, 10s+3, 10s+6 */
	p = build(&st, 1, &cfg, "t.pairs");
	const uint32_t *t = or_pairs_train(p), *items = or_pairs_items(p);
	int ok = 1;
	for (size_t i = 0; i < or_pairs_n_train(p); i++)
		ok &= items[t[2 * i + 1]] == items[t[2 * i]] + 3 && items[t[2 * i]] % 10 % 3 == 0;
	CHECK(ok);
	CHECK_INT(or_pairs_n_train(p), 0 + 0 + 0 + 1 + 1 + 1 + 2); /* n = 1..7 */
	or_pairs_free(p);
	or_store_free(st);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_shuffle_holdout_threads(void)
{
	or_store *st[2] = { NULL, NULL };
	or_err err;
	CHECK_INT(or_store_open(make_store("c.store", 3000), &st[0], &err), OR_OK);
	CHECK_INT(or_store_open(make_store("d.store", 500), &st[1], &err), OR_OK);
	or_pairs_config cfg;
	or_pairs_config_default(&cfg);
	cfg.shuffle = 0;
	or_pairs *plain = build(st, 2, &cfg, "plain.pairs");
	cfg.shuffle = 1;
	cfg.threads = 1;
	or_pairs *s1 = build(st, 2, &cfg, "s1.pairs");
	cfg.threads = 2;
	or_pairs *s2 = build(st, 2, &cfg, "s2.pairs");
	size_t nt = or_pairs_n_train(plain), nv = or_pairs_n_valid(plain);
	CHECK(nv > 0 && nv < nt / 5); /* ~5 % of sessions */
	CHECK_INT(or_pairs_n_train(s1), nt);
	CHECK_INT(or_pairs_n_train(s2), nt);
	/* same bytes whatever the thread count */
	CHECK(memcmp(or_pairs_train(s1), or_pairs_train(s2), (nt + nv) * 8) == 0);
	/* shuffled, and a permutation of the plain order */
	CHECK(memcmp(or_pairs_train(s1), or_pairs_train(plain), nt * 8) != 0);
	uint64_t *a = malloc(nt * 8), *b = malloc(nt * 8);
	memcpy(a, or_pairs_train(plain), nt * 8);
	memcpy(b, or_pairs_train(s1), nt * 8);
	qsort(a, nt, 8, cmp_u64);
	qsort(b, nt, 8, cmp_u64);
	CHECK(memcmp(a, b, nt * 8) == 0);
	free(a);
	free(b);
	/* valid_last: the last N pairs in store order */
	cfg.valid_last = 100;
	cfg.valid_fraction = 0;
	or_pairs *last = build(st, 2, &cfg, "last.pairs");
	CHECK_INT(or_pairs_n_valid(last), 100);
	CHECK_INT(or_pairs_n_train(last), nt + nv - 100);
	cfg.shuffle = 0;
	cfg.valid_last = 0;
	or_pairs *all = build(st, 2, &cfg, "all.pairs");
	CHECK(memcmp(or_pairs_valid(last), or_pairs_train(all) + 2 * (nt + nv - 100), 800) == 0);
	or_pairs_free(all);
	or_pairs_free(last);
	or_pairs_free(plain);
	or_pairs_free(s1);
	or_pairs_free(s2);
	or_store_free(st[0]);
	or_store_free(st[1]);
}

/* A store whose session s has the aids aid[s][0..n[s]) (ts 0, 1000, ..). */
static const char *store_of(const char *name, size_t ns, const size_t *n, const uint32_t (*aid)[4])
{
	or_store_builder *b = NULL;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	for (size_t s = 0; s < ns; s++) {
		int64_t ts[4] = { 0, 1000, 2000, 3000 };
		uint8_t type[4] = { 0, 0, 1, 2 };
		CHECK_INT(or_store_builder_add(b, (int64_t)s, n[s], aid[s], ts, type, &err), OR_OK);
	}
	static char path[2][512];
	static int k;
	char *p = path[k++ % 2];
	snprintf(p, 512, "%s/%s", check_tmpdir(), name);
	CHECK_INT(or_store_builder_write(b, p, NULL, &err), OR_OK);
	or_store_builder_free(b);
	return p;
}

/* Two stores with aids near 2^31 and one small aid: the file's dictionary is
   the union (sorted), its pairs are item indices of it, and it is small. */
static void test_items_union(void)
{
	const uint32_t big = 2147483000u;
	static const size_t na[2] = { 3, 2 }, nb[2] = { 4, 1 };
	const uint32_t a[2][4] = { { big + 7, big + 3, big + 7 }, { 2147483647u, big + 3 } };
	const uint32_t b[2][4] = { { 5, big + 3, 2147483647u, big + 9 }, { big + 11 } };
	or_store *st[2] = { NULL, NULL };
	or_err err;
	CHECK_INT(or_store_open(store_of("ua.store", 2, na, a), &st[0], &err), OR_OK);
	CHECK_INT(or_store_open(store_of("ub.store", 2, nb, b), &st[1], &err), OR_OK);
	if (!st[0] || !st[1])
		return;
	or_pairs_config cfg;
	or_pairs_config_default(&cfg);
	cfg.shuffle = 0;
	cfg.valid_fraction = 0;
	or_pairs *p = build(st, 2, &cfg, "u.pairs");
	if (!p)
		return;
	static const uint32_t want_items[6] = { 5, 2147483003u, 2147483007u, 2147483009u, 2147483011u,
						2147483647u };
	CHECK_INT(or_pairs_n_items(p), 6);
	CHECK(memcmp(or_pairs_items(p), want_items, sizeof(want_items)) == 0);
	/* store order: (a7 a3) (a3 a7) (max a3) | (5 a3) (a3 max) (max a9) */
	static const uint32_t want[12] = { 2, 1, 1, 2, 5, 1, 0, 1, 1, 5, 5, 3 };
	CHECK_INT(or_pairs_n_train(p), 6);
	CHECK(memcmp(or_pairs_train(p), want, sizeof(want)) == 0);
	/* the file holds pairs and items, not a model's worth of anything */
	char path[512];
	snprintf(path, sizeof(path), "%s/u.pairs", check_tmpdir());
	CHECK_INT(or_file_size(path, &err), 4096 + 6 * 8 + 6 * 4);
	/* the same with window 2 and a type filter: the general path maps too */
	cfg.window = 2;
	cfg.type_mask = (1u << OR_CLICKS) | (1u << OR_ORDERS);
	or_pairs *q = build(st, 2, &cfg, "u2.pairs");
	if (q) {
		/* events kept: a: (a7 a3) (max a3); b: (5 a3 a9) (a11) */
		static const uint32_t want2[10] = { 2, 1, 5, 1, 0, 1, 0, 3, 1, 3 };
		CHECK_INT(or_pairs_n_train(q), 5);
		CHECK(memcmp(or_pairs_train(q), want2, sizeof(want2)) == 0);
		CHECK_INT(or_pairs_n_items(q), 6);
	}
	or_pairs_free(q);
	or_pairs_free(p);
	/* a dictionary with sound checksums but out of order, or beyond the
	   largest aid, is refused at open (section 2: the items) */
	static const struct { uint32_t at, aid; } bad[2] = { { 1, 5 }, { 5, 2147483648u } };
	for (int i = 0; i < 2; i++) {
		cfg.window = 1;
		cfg.type_mask = 7;
		or_pairs_free(build(st, 2, &cfg, "ud.pairs"));
		snprintf(path, sizeof(path), "%s/ud.pairs", check_tmpdir());
		if (!check_sfile_patch(path, 2, 4 * bad[i].at, &bad[i].aid, 4))
			continue;
		or_pairs *r = NULL;
		CHECK_INT(or_pairs_open(path, &r, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, "damaged pairs file: item dictionary is not strictly increasing in 0..2147483647");
		CHECK_STR_CONTAINS(err.msg, i ? "at item 5" : "at item 1");
		or_pairs_free(r);
	}
	or_store_free(st[0]);
	or_store_free(st[1]);
}

static void test_damage(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/s1.pairs", check_tmpdir());
	FILE *f = fopen(path, "r+b");
	CHECK(f != NULL);
	if (!f)
		return;
	fseek(f, 4096 + 13, SEEK_SET);
	int c = fgetc(f);
	fseek(f, 4096 + 13, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
	or_pairs *p = NULL;
	or_err err;
	CHECK_INT(or_pairs_open(path, &p, &err), OR_OK);
	CHECK_INT(or_pairs_verify(p, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "checksum");
	or_pairs_free(p);
	CHECK_INT(truncate(path, 5000), 0);
	CHECK_INT(or_pairs_open(path, &p, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "truncated");
	const char *junk = check_write_file("junk.pairs", "hello", 5);
	CHECK_INT(or_pairs_open(junk, &p, &err), OR_EFORMAT);
	/* the dictionary is checked at open */
	snprintf(path, sizeof(path), "%s/u.pairs", check_tmpdir());
	f = fopen(path, "r+b");
	CHECK(f != NULL);
	if (!f)
		return;
	fseek(f, 4096 + 6 * 8 + 4, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	CHECK_INT(or_pairs_open(path, &p, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "checksum mismatch in the items section");
	/* versions 1 (its own header) and 2 (pairs of aids) are refused with
	   the way out */
	for (int v = 1; v <= 2; v++) {
		f = fopen(path, "r+b");
		if (!f)
			return;
		fseek(f, 8, SEEK_SET);
		fputc(v, f);
		fclose(f);
		char want[80];
		snprintf(want, sizeof(want), "pairs file format version %d, this ottorec reads version 3", v);
		CHECK_INT(or_pairs_open(path, &p, &err), OR_EUNSUPPORTED);
		CHECK_STR_CONTAINS(err.msg, want);
		CHECK_STR_CONTAINS(err.msg, "rebuild it with `ottorec pairs`");
	}
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_adjacent_unshuffled);
	RUN_TEST(test_window_types_gap);
	RUN_TEST(test_shuffle_holdout_threads);
	RUN_TEST(test_items_union);
	RUN_TEST(test_damage);
	CHECK_MAIN_END
}
