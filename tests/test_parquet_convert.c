/* test_parquet_convert.c - one Parquet file straight into a store
   (or_parquet_convert): the same bytes as or_parquet_ingest into the
   builder for every events fixture of tests/data/parquet/ and every ts
   unit, and for files made here in shapes the fixtures lack (session ids
   that go down, sessions over several row groups, dictionaries with
   entries that break a rule), on one thread and on several; and the same
   errors (and no output) for files that break a rule. */
#include "check.h"
#include "or_parquet.h"
#include "pq_mini.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <sys/stat.h>
#include <unistd.h>

static const char *fixture(const char *name)
{
	static char p[512];
	const char *dir = getenv("TESTS_DIR");
	snprintf(p, sizeof(p), "%s/data/parquet/%s", dir ? dir : "tests", name);
	return p;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long sz = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *b = malloc(sz > 0 ? (size_t)sz : 1);
	*n = b ? fread(b, 1, (size_t)sz, fp) : 0;
	fclose(fp);
	return b;
}

/* builder path: rc, and the store at out when rc is OR_OK */
static int by_builder(const char *in, const char *out, or_ts_unit unit, or_err *err)
{
	or_ingest_config cfg;
	or_ingest_config_default(&cfg);
	cfg.ts_unit = unit;
	or_store_builder *b;
	int rc = or_store_builder_new(&b, err);
	if (!rc)
		rc = or_parquet_ingest(b, in, &cfg, NULL, err);
	if (!rc)
		rc = or_store_builder_write(b, out, NULL, err);
	or_store_builder_free(b);
	return rc;
}

/* 1 when both ways agree on the file at path: same bytes, or the same
   error and no file */
static int same_way_at(const char *path, or_ts_unit unit, int expect_direct)
{
	const char *name = path;
	char a[600], b[600];
	snprintf(a, sizeof(a), "%s/direct.store", check_tmpdir());
	snprintf(b, sizeof(b), "%s/builder.store", check_tmpdir());
	unlink(a);
	unlink(b);
	or_ingest_config cfg;
	or_ingest_config_default(&cfg);
	cfg.ts_unit = unit;
	or_err ea, eb;
	or_parquet_convert_info info;
	int ra = or_parquet_convert(path, a, &cfg, NULL, &info, &ea);
	int rb = by_builder(path, b, unit, &eb);
	int ok = ra == rb && (expect_direct < 0 || info.direct == expect_direct);
	if (ok && ra == OR_OK) {
		size_t na = 0, nb = 0;
		char *da = slurp(a, &na), *db = slurp(b, &nb);
		ok = da && db && na == nb && !memcmp(da, db, na);
		free(da);
		free(db);
	} else if (ok) {
		struct stat st;
		ok = !strcmp(ea.msg, eb.msg) && stat(a, &st) != 0;
	}
	if (!ok)
		fprintf(stderr, "  %s (unit %d): direct rc %d (%s, direct %d), builder rc %d (%s)\n", name,
			(int)unit, ra, ra ? ea.msg : "ok", info.direct, rb, rb ? eb.msg : "ok");
	return ok;
}

static int same_way(const char *name, or_ts_unit unit, int expect_direct)
{
	return same_way_at(fixture(name), unit, expect_direct);
}

static void test_same_bytes(void)
{
	static const char *const files[] = {
		"pl_default.parquet", "pl_uncompressed.parquet", "pl_snappy.parquet",
		"pl_zstd.parquet", "pl_gzip.parquet", "pl_rowgroups.parquet",
		"pl_timestamp_ms.parquet", "hy_default.parquet", "hy_plain.parquet",
		"hy_delta.parquet", "hy_ts_us.parquet"
	};
	static const or_ts_unit units[] = { OR_TS_AUTO, OR_TS_MS, OR_TS_S };
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		for (size_t u = 0; u < 3; u++)
			CHECK(same_way(files[i], units[u], 1));
}

static void test_same_errors(void)
{
	/* a null aid; rows out of time order; labels, not events: the
	   builder's reader names the first bad row, and no store is left */
	CHECK(same_way("pl_null_aid.parquet", OR_TS_AUTO, 0));
	CHECK(same_way("pl_unordered.parquet", OR_TS_AUTO, 0));
	CHECK(same_way("pl_labels.parquet", OR_TS_AUTO, 0));
}

/* sessions (id, rows) one after another; aid from aid_of(row), ts going up
   inside each session (or back once at row back_at, when not -1) */
typedef struct made {
	int32_t *col[4];
	size_t n;
} made;

static made make_rows(const int32_t (*sess)[2], size_t n_sess, int32_t aid_mod, long back_at)
{
	made m = { { NULL, NULL, NULL, NULL }, 0 };
	for (size_t i = 0; i < n_sess; i++)
		m.n += (size_t)sess[i][1];
	for (int k = 0; k < 4; k++)
		m.col[k] = calloc(m.n, sizeof(int32_t));
	size_t row = 0;
	for (size_t i = 0; i < n_sess; i++)
		for (int32_t j = 0; j < sess[i][1]; j++, row++) {
			m.col[0][row] = sess[i][0];
			m.col[1][row] = (int32_t)((row * 7 + 3) % (size_t)aid_mod);
			m.col[2][row] = 1661119200 + 60 * j - ((long)row == back_at ? 600 : 0);
			m.col[3][row] = (int32_t)(row % 3);
		}
	return m;
}

static void made_free(made *m)
{
	for (int k = 0; k < 4; k++)
		free(m->col[k]);
}

/* the file made from m in the given row groups, converted both ways on
   one thread and on all */
static int made_same(made *m, const size_t *rgs, size_t n_rg, int dict_col, const int32_t *dict,
		     size_t n_dict, int expect_direct)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/made.parquet", check_tmpdir());
	if (pq_write(path, m->col, rgs, n_rg, dict_col, dict, n_dict))
		return 0;
	int ok = same_way_at(path, OR_TS_AUTO, expect_direct);
#ifdef _OPENMP
	int threads = omp_get_max_threads();
	omp_set_num_threads(1);
	ok &= same_way_at(path, OR_TS_AUTO, expect_direct);
	omp_set_num_threads(threads);
#endif
	return ok;
}

static void test_made_sessions(void)
{
	/* ids going down; 400 runs over three row groups, 500 and 200 over two */
	static const int32_t down[][2] = { { 500, 5 }, { 400, 12 }, { 300, 1 }, { 200, 7 }, { 100, 3 } };
	static const size_t rgs[] = { 4, 3, 3, 8, 10 };
	made m = make_rows(down, 5, 1000, -1);
	CHECK(made_same(&m, rgs, 5, -1, NULL, 0, 1));
	made_free(&m);
	/* a session out of time order where it crosses a row group */
	m = make_rows(down, 5, 1000, 7);
	CHECK(made_same(&m, rgs, 5, -1, NULL, 0, 0));
	made_free(&m);
	/* an id that comes back, within a row group and across row groups */
	static const int32_t again[][2] = { { 10, 3 }, { 20, 3 }, { 10, 3 }, { 30, 2 } };
	static const size_t one[] = { 11 }, two[] = { 5, 6 };
	m = make_rows(again, 4, 1000, -1);
	CHECK(made_same(&m, one, 1, -1, NULL, 0, 0));
	CHECK(made_same(&m, two, 2, -1, NULL, 0, 0));
	made_free(&m);
}

static void test_made_dictionary(void)
{
	/* aid through a dictionary with an entry that is not a valid aid: fine
	   while no row uses it, the builder's error when one does */
	static const int32_t sess[][2] = { { 1, 9 }, { 2, 20 }, { 3, 11 } };
	static const size_t rgs[] = { 16, 24 };
	static const int32_t dict[] = { 5, 2147483647, -3, 0, 9 };
	made m = make_rows(sess, 3, 2, -1); /* indices 0 and 1 */
	CHECK(made_same(&m, rgs, 2, 1, dict, 5, 1));
	m.col[1][17] = 2;
	CHECK(made_same(&m, rgs, 2, 1, dict, 5, 0));
	m.col[1][17] = 4;
	CHECK(made_same(&m, rgs, 2, 1, dict, 5, 1));
	made_free(&m);
	/* type through dictionaries of 1, 2 and 4 bits (read as bytes), each
	   with an entry (7) that is not a type: fine while unused */
	static const int32_t t1[] = { 7, 2 }, t2[] = { 2, 0, 7, 1 },
			     t4[] = { 2, 0, 7, 1, 0, 0, 0, 0, 0 };
	static const int32_t *const types[] = { t1, t2, t4 };
	static const size_t sizes[] = { 2, 4, 9 };
	for (int d = 0; d < 3; d++) {
		m = make_rows(sess, 3, 1000, -1);
		for (size_t i = 0; i < m.n; i++)
			m.col[3][i] = d == 0 ? 1 : i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 3;
		CHECK(made_same(&m, rgs, 2, 3, types[d], sizes[d], 1));
		m.col[3][30] = d == 0 ? 0 : 2; /* the entry 7: the builder's error */
		CHECK(made_same(&m, rgs, 2, 3, types[d], sizes[d], 0));
		made_free(&m);
	}
}

static void test_is_file(void)
{
	CHECK(or_parquet_is_file(fixture("pl_zstd.parquet")));
	CHECK(!or_parquet_is_file(fixture("sample.csv")));
	CHECK(!or_parquet_is_file(fixture("no-such-file.parquet")));
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_same_bytes);
	RUN_TEST(test_same_errors);
	RUN_TEST(test_made_sessions);
	RUN_TEST(test_made_dictionary);
	RUN_TEST(test_is_file);
	CHECK_MAIN_END
}
