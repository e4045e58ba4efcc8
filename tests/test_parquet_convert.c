/* test_parquet_convert.c - one Parquet file straight into a store
   (or_parquet_convert): the same bytes as or_parquet_ingest into the
   builder for every events fixture of tests/data/parquet/ and every ts
   unit, and the same errors (and no output) for files that break a rule. */
#include "check.h"
#include "or_parquet.h"

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

/* 1 when both ways agree: same bytes, or the same error and no file */
static int same_way(const char *name, or_ts_unit unit, int expect_direct)
{
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
	int ra = or_parquet_convert(fixture(name), a, &cfg, NULL, &info, &ea);
	int rb = by_builder(fixture(name), b, unit, &eb);
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
	RUN_TEST(test_is_file);
	CHECK_MAIN_END
}
