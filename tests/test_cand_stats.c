/*
 * test_cand_stats.c - the ranker's item statistics as a file
 * (or_cand_stats_file.h): a round trip equal, array for array, to
 * or_cand_stats_build's (and the candidates' rows the same bytes with
 * either); every damaged file refused naming it (truncated anywhere,
 * bytes appended, a byte flipped in each section, another version, and
 * re-sealed semantic damage: a dictionary out of order, a next-item row
 * too long or naming an aid outside the dictionary, a bad source path);
 * and the staleness checks against the stores given and the stores
 * recorded.
 */
#include "check.h"
#include "check_sfile.h"
#include "or_cand_stats_internal.h"
#include "or_cand_table.h"
#include "or_prng.h"

#include <fcntl.h>
#include <unistd.h>

/* ns random sessions over na aids (ids from id0), ts spread over 12 days
   so that the week and day counts differ from the period's; with tweak,
   the first event's type changed (the same counts, other content). */
static or_store *rand_store_tweaked(const char *name, uint64_t seed, size_t ns, uint32_t na,
				    int64_t id0, int tweak, char *path, size_t cap)
{
	or_prng rng;
	or_prng_seed(&rng, seed, 0);
	or_store_builder *b = NULL;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	for (size_t i = 0; i < ns; i++) {
		uint32_t aid[16];
		int64_t ts[16];
		uint8_t ty[16];
		size_t n = 1 + (size_t)or_prng_below(&rng, 16);
		int64_t t = 1661000000000LL + (int64_t)or_prng_below(&rng, 12 * 86400) * 1000;
		for (size_t j = 0; j < n; j++) {
			/* runs of neighbours: next-item rows with repeats */
			aid[j] = j && or_prng_below(&rng, 3) ? (aid[j - 1] + 1) % na : (uint32_t)or_prng_below(&rng, na);
			ts[j] = t + (int64_t)j * 30000;
			ty[j] = (uint8_t)(or_prng_below(&rng, 10) < 7 ? 0 : 1 + or_prng_below(&rng, 2));
		}
		if (tweak && i == 0)
			ty[0] = (uint8_t)((ty[0] + 1) % 3);
		CHECK_INT(or_store_builder_add(b, id0 + (int64_t)i, n, aid, ts, ty, &err), OR_OK);
	}
	snprintf(path, cap, "%s/%s", check_tmpdir(), name);
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st = NULL;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	return st;
}

static or_store *rand_store(const char *name, uint64_t seed, size_t ns, uint32_t na, int64_t id0,
			    char *path, size_t cap)
{
	return rand_store_tweaked(name, seed, ns, na, id0, 0, path, cap);
}

static const char *tmp_path(const char *name)
{
	static char p[4][512];
	static int next;
	char *s = p[next++ % 4];
	snprintf(s, 512, "%s/%s", check_tmpdir(), name);
	return s;
}

/* Two stores, their statistics built and written to FILE. */
typedef struct fixture {
	char path[2][512];
	or_store *st[2];
	or_cand_stats *built;
	const char *file;
} fixture;

static void fixture_make(fixture *f)
{
	or_err err;
	f->st[0] = rand_store("a.store", 1, 400, 150, 0, f->path[0], sizeof(f->path[0]));
	f->st[1] = rand_store("b.store", 2, 150, 180, 10000, f->path[1], sizeof(f->path[1]));
	CHECK_INT(or_cand_stats_build(f->st, 2, &f->built, NULL, &err), OR_OK);
	f->file = tmp_path("s.stats");
	CHECK_INT(or_cand_stats_write(f->built, f->file, NULL, &err), OR_OK);
}

static void fixture_free(fixture *f)
{
	or_cand_stats_free(f->built);
	or_store_free(f->st[0]);
	or_store_free(f->st[1]);
}

/* A sink keeping every row's aid and features. */
typedef struct rows {
	size_t n;
	uint32_t aid[20000];
	float x[20000 * OR_CF_N];
} rows;

static int rows_sink(void *ctx, const or_cand_chunk *c, or_err *err)
{
	rows *r = ctx;
	if (r->n + c->n_rows > 20000)
		return or_err_set(err, OR_ENOMEM, "test sink full");
	memcpy(r->aid + r->n, c->aid, c->n_rows * sizeof(uint32_t));
	memcpy(r->x + r->n * OR_CF_N, c->x, c->n_rows * OR_CF_N * sizeof(float));
	r->n += c->n_rows;
	return OR_OK;
}

static void test_round_trip(void)
{
	fixture f;
	fixture_make(&f);
	or_err err;
	or_cand_stats *o = NULL;
	CHECK_INT(or_cand_stats_open(f.file, &o, &err), OR_OK);
	const or_cand_stats *b = f.built;
	size_t n = or_items_count(b->items);
	CHECK(n > 150);
	CHECK(o && or_items_equal(o->items, b->items));
	if (o && or_items_equal(o->items, b->items)) {
		CHECK(!memcmp(o->cnt, b->cnt, n * OR_CS_N_CNT * 4));
		CHECK(!memcmp(o->feat, b->feat, n * OR_CS_N_FEAT * 4));
		CHECK_INT(o->next.n, n);
		CHECK(!memcmp(o->next.len, b->next.len, n));
		for (size_t i = 0; i < n; i++) {
			size_t len = b->next.len[i];
			CHECK(!memcmp(o->next.aid + i * OR_CAND_NEXT_K, b->next.aid + i * OR_CAND_NEXT_K, len * 4));
			CHECK(!memcmp(o->next.p + i * OR_CAND_NEXT_K, b->next.p + i * OR_CAND_NEXT_K, len * 4));
		}
		CHECK(o->period_days == b->period_days && b->period_days > 11);
		CHECK(o->ts_min == b->ts_min && o->ts_max == b->ts_max);
	}
	/* the week and day counts are not all the period's (the fixture spans
	   12 days), and some items have next-item rows */
	size_t week_less = 0, with_next = 0;
	for (size_t i = 0; i < n; i++) {
		week_less += b->cnt[i * OR_CS_N_CNT + OR_CS_WEEK] < b->cnt[i * OR_CS_N_CNT + OR_CS_ALL];
		with_next += b->next.len[i] > 1;
	}
	CHECK(week_less > 10 && with_next > 10);
	/* provenance: both stores, absolute paths, their checksums and counts */
	CHECK_INT(or_cand_stats_n_sources(o), 2);
	const or_cand_stats_source *src = or_cand_stats_sources(o);
	for (int k = 0; k < 2 && o; k++) {
		char *rp = realpath(f.path[k], NULL);
		CHECK(rp && !strcmp(src[k].path, rp));
		free(rp);
		CHECK(src[k].checksum == or_store_file_checksum(f.st[k]) && src[k].checksum != 0);
		CHECK_INT(src[k].n_events, or_store_n_events(f.st[k]));
		CHECK_INT(src[k].n_sessions, or_store_n_sessions(f.st[k]));
	}
	CHECK(or_cand_stats_file(o) && !strcmp(or_cand_stats_file(o), f.file));
	CHECK(or_cand_stats_file(b) == NULL);
	/* the candidates of the second store: the same rows with either */
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	cfg.threads = 1;
	static rows r1, r2;
	r1.n = r2.n = 0;
	or_cand_model m;
	memset(&m, 0, sizeof(m));
	m.stats = b;
	CHECK_INT(or_cand_generate(f.st[1], &m, &cfg, NULL, rows_sink, &r1, NULL, &err), OR_OK);
	m.stats = o;
	CHECK_INT(or_cand_generate(f.st[1], &m, &cfg, NULL, rows_sink, &r2, NULL, &err), OR_OK);
	CHECK(r1.n > 500 && r1.n == r2.n);
	CHECK(r1.n == r2.n && !memcmp(r1.aid, r2.aid, r1.n * 4) &&
	      !memcmp(r1.x, r2.x, r1.n * OR_CF_N * sizeof(float)));
	or_cand_stats_free(o);
	fixture_free(&f);
}

/* Open must fail with code, naming the file, the message holding want. */
static void expect_refused(const char *path, int code, const char *want)
{
	or_cand_stats *s = NULL;
	or_err err;
	or_err_clear(&err);
	CHECK_INT(or_cand_stats_open(path, &s, &err), code);
	CHECK(s == NULL);
	CHECK_STR_CONTAINS(err.msg, path);
	CHECK_STR_CONTAINS(err.msg, want);
	or_cand_stats_free(s);
}

static void copy_file(const char *from, const char *to, size_t keep)
{
	size_t n = 0;
	unsigned char *b = check_read_file(from, &n);
	CHECK(b != NULL);
	FILE *f = fopen(to, "wb");
	CHECK(f && fwrite(b, 1, keep < n ? keep : n, f) == (keep < n ? keep : n) && fclose(f) == 0);
	free(b);
}

static void flip_at(const char *path, uint64_t at)
{
	int fd = open(path, O_RDWR);
	unsigned char c = 0;
	CHECK(fd >= 0 && pread(fd, &c, 1, (off_t)at) == 1);
	c ^= 0x5a;
	CHECK(pwrite(fd, &c, 1, (off_t)at) == 1);
	close(fd);
}

static void test_damaged(void)
{
	fixture f;
	fixture_make(&f);
	const char *bad = tmp_path("bad.stats");
	size_t size = 0;
	free(check_read_file(f.file, &size));
	or_sfile_header h;
	int fd = open(f.file, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h));
	close(fd);
	CHECK_INT(h.n_sections, 8);
	/* truncated: empty, in the header, at each section's start and end */
	copy_file(f.file, bad, 0);
	expect_refused(bad, OR_EFORMAT, "");
	copy_file(f.file, bad, 100);
	expect_refused(bad, OR_EFORMAT, "");
	for (unsigned i = 0; i < h.n_sections; i++) {
		copy_file(f.file, bad, (size_t)h.section[i].offset);
		expect_refused(bad, OR_EFORMAT, "rebuild it with `ottorec stats");
		copy_file(f.file, bad, (size_t)(h.section[i].offset + h.section[i].bytes / 2));
		expect_refused(bad, OR_EFORMAT, "rebuild it with `ottorec stats");
	}
	/* bytes appended */
	copy_file(f.file, bad, size);
	FILE *a = fopen(bad, "ab");
	CHECK(a && fputc(0, a) == 0 && fclose(a) == 0);
	expect_refused(bad, OR_EFORMAT, "");
	/* a byte flipped in each section: its checksum */
	for (unsigned i = 0; i < h.n_sections; i++) {
		CHECK(h.section[i].bytes > 0);
		copy_file(f.file, bad, size);
		flip_at(bad, h.section[i].offset + h.section[i].bytes / 2);
		expect_refused(bad, OR_EFORMAT, "checksum mismatch");
	}
	/* another version (header re-sealed): unsupported, with the hint */
	copy_file(f.file, bad, size);
	or_sfile_header v = h;
	v.version = OR_CAND_STATS_VERSION + 1;
	v.header_checksum = XXH3_64bits(&v, offsetof(or_sfile_header, header_checksum));
	fd = open(bad, O_RDWR);
	CHECK(fd >= 0 && pwrite(fd, &v, sizeof(v), 0) == (ssize_t)sizeof(v));
	close(fd);
	expect_refused(bad, OR_EUNSUPPORTED, "rebuild it with `ottorec stats");
	/* a header field (the counts per item) changed, re-sealed */
	copy_file(f.file, bad, size);
	v = h;
	v.meta[64 - 32] = 10;
	v.header_checksum = XXH3_64bits(&v, offsetof(or_sfile_header, header_checksum));
	fd = open(bad, O_RDWR);
	CHECK(fd >= 0 && pwrite(fd, &v, sizeof(v), 0) == (ssize_t)sizeof(v));
	close(fd);
	expect_refused(bad, OR_EFORMAT, "bad item, source or column count");
	/* semantic damage with the checksums made right again */
	const uint32_t *aids = or_items_aids(f.built->items);
	copy_file(f.file, bad, size);
	CHECK(check_sfile_patch(bad, 0, 4 * 3, &aids[1], 4)); /* aid 3 := aid 1 */
	expect_refused(bad, OR_EFORMAT, "not strictly increasing at item 3");
	copy_file(f.file, bad, size);
	uint8_t len = 21;
	CHECK(check_sfile_patch(bad, 5, 7, &len, 1));
	expect_refused(bad, OR_EFORMAT, "next-item row 7 has 21 entries");
	size_t row = 0;
	while (f.built->next.len[row] == 0)
		row++;
	uint32_t outside = aids[or_items_count(f.built->items) - 1] + 1;
	copy_file(f.file, bad, size);
	CHECK(check_sfile_patch(bad, 3, row * OR_CAND_NEXT_K * 4, &outside, 4));
	expect_refused(bad, OR_EFORMAT, "not in the dictionary");
	float p = 0.0f;
	copy_file(f.file, bad, size);
	CHECK(check_sfile_patch(bad, 4, row * OR_CAND_NEXT_K * 4, &p, 4));
	expect_refused(bad, OR_EFORMAT, "probability out of (0, 1]");
	char nul = '\0';
	copy_file(f.file, bad, size);
	CHECK(check_sfile_patch(bad, 7, 3, &nul, 1));
	expect_refused(bad, OR_EFORMAT, "source 0 has a bad path");
	/* the good file still opens (the copies did not touch it) */
	or_cand_stats *s = NULL;
	or_err err;
	CHECK_INT(or_cand_stats_open(f.file, &s, &err), OR_OK);
	or_cand_stats_free(s);
	fixture_free(&f);
}

static void test_stale(void)
{
	fixture f;
	fixture_make(&f);
	or_err err;
	or_cand_stats *s = NULL;
	CHECK_INT(or_cand_stats_open(f.file, &s, &err), OR_OK);
	/* the stores it was built from, in either order */
	CHECK_INT(or_cand_stats_match(s, f.file, f.st, 2, &err), OR_OK);
	or_store *swapped[2] = { f.st[1], f.st[0] };
	CHECK_INT(or_cand_stats_match(s, f.file, swapped, 2, &err), OR_OK);
	CHECK_INT(or_cand_stats_check_sources(s, f.file, &err), OR_OK);
	/* one of them only, the same one twice, another one */
	CHECK_INT(or_cand_stats_match(s, f.file, f.st, 1, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "item statistics of 2 stores");
	CHECK_STR_CONTAINS(err.msg, "not of the 1 given");
	or_store *twice[2] = { f.st[0], f.st[0] };
	CHECK_INT(or_cand_stats_match(s, f.file, twice, 2, &err), OR_EINVAL);
	char other[512];
	or_store *o = rand_store("c.store", 3, 150, 180, 10000, other, sizeof(other));
	or_store *with_other[2] = { f.st[0], o };
	CHECK_INT(or_cand_stats_match(s, f.file, with_other, 2, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, f.file);
	CHECK_STR_CONTAINS(err.msg, "stale item statistics");
	CHECK_STR_CONTAINS(err.msg, other);
	CHECK_STR_CONTAINS(err.msg, "rebuild it with `ottorec stats");
	or_store_free(o);
	/* the same sessions and event counts, one event's type changed: by
	   the checksum alone */
	o = rand_store_tweaked("d.store", 2, 150, 180, 10000, 1, other, sizeof(other));
	CHECK_INT(or_store_n_events(o), or_store_n_events(f.st[1]));
	with_other[1] = o;
	CHECK_INT(or_cand_stats_match(s, f.file, with_other, 2, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "d.store");
	or_store_free(o);
	/* the second store replaced under its name: stale by its record */
	or_store_free(f.st[1]);
	f.st[1] = rand_store_tweaked("b.store", 2, 150, 180, 10000, 1, f.path[1], sizeof(f.path[1]));
	CHECK_INT(or_cand_stats_check_sources(s, f.file, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "stale item statistics: built from");
	CHECK_STR_CONTAINS(err.msg, "b.store");
	CHECK_STR_CONTAINS(err.msg, "another checksum now");
	CHECK_INT(or_cand_stats_match(s, f.file, f.st, 2, &err), OR_EINVAL);
	/* ... and moved away: nothing to compare with */
	CHECK_INT(unlink(f.path[1]), 0);
	CHECK_INT(or_cand_stats_check_sources(s, f.file, &err), OR_OK);
	or_cand_stats_free(s);
	fixture_free(&f);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_round_trip);
	RUN_TEST(test_damaged);
	RUN_TEST(test_stale);
	CHECK_MAIN_END
}
