/* test_ingest.c - JSONL/CSV readers: detection, fast vs general parser,
   line numbers across read chunks, ts units. */
#include "check.h"
#include "or_ingest.h"
#include "or_store.h"

static int ingest_text(const char *name, const char *text, const or_ingest_config *cfg,
		       or_store_builder **out, or_err *err)
{
	const char *path = check_write_file(name, text, strlen(text));
	or_ingest_config def;
	or_ingest_config_default(&def);
	or_store_builder_new(out, err);
	return or_ingest_file(*out, path, cfg ? cfg : &def, NULL, err);
}

static void test_detect(void)
{
	CHECK_INT(or_ingest_detect("{\"session\"", 10), OR_FORMAT_JSONL);
	CHECK_INT(or_ingest_detect("  \n{", 4), OR_FORMAT_JSONL);
	CHECK_INT(or_ingest_detect("session,aid,ts,type\n", 20), OR_FORMAT_CSV);
	CHECK_INT(or_ingest_detect("type,ts,aid,session\n", 20), OR_FORMAT_CSV);
	CHECK_INT(or_ingest_detect("1,2,3,0\n", 8), OR_FORMAT_CSV);
	CHECK_INT(or_ingest_detect("PAR1\x15\x04", 6), OR_FORMAT_PARQUET);
	CHECK_INT(or_ingest_detect("hello\n", 6), OR_FORMAT_AUTO);
	CHECK_INT(or_ingest_detect("", 0), OR_FORMAT_AUTO);
}

/* Every way of writing the same events gives identical columns. */
static void test_fast_and_general_agree(void)
{
	const char *canonical =
		"{\"session\":3,\"events\":[{\"aid\":1,\"ts\":1659304800025,\"type\":\"clicks\"},"
		"{\"aid\":2147483647,\"ts\":1659304800026,\"type\":\"carts\"},"
		"{\"aid\":0,\"ts\":1659304800026,\"type\":\"orders\"}]}\n";
	const char *variant =
		" { \"events\" : [ {\"type\":0, \"aid\" : 1,\"ts\":1659304800025}, "
		"{\"ts\":1659304800026,\"x\":[1,{\"y\":\"\\\"}\"}],\"aid\":2147483647,\"type\":\"carts\"} ,"
		"{\"aid\":0,\"ts\":1659304800026,\"type\":2,\"z\":null}\t] , \"session\" : 3 }\r\n";
	or_store_builder *a, *b;
	or_err err;
	CHECK_INT(ingest_text("canon.jsonl", canonical, NULL, &a, &err), OR_OK);
	CHECK_INT(ingest_text("variant.jsonl", variant, NULL, &b, &err), OR_OK);
	if (err.code)
		fprintf(stderr, "  %s\n", err.msg);
	char pa[600], pb[600];
	snprintf(pa, sizeof(pa), "%s/a.store", check_tmpdir());
	snprintf(pb, sizeof(pb), "%s/b.store", check_tmpdir());
	CHECK_INT(or_store_builder_write(a, pa, NULL, &err), OR_OK);
	CHECK_INT(or_store_builder_write(b, pb, NULL, &err), OR_OK);
	or_store *sa, *sb;
	CHECK_INT(or_store_open(pa, &sa, &err), OR_OK);
	CHECK_INT(or_store_open(pb, &sb, &err), OR_OK);
	CHECK_INT(or_store_n_events(sa), 3);
	CHECK_INT(or_store_n_events(sb), 3);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(or_store_aids(sa)[i], or_store_aids(sb)[i]);
		CHECK_INT(or_store_ts(sa)[i], or_store_ts(sb)[i]);
		CHECK_INT(or_store_types(sa)[i], or_store_types(sb)[i]);
	}
	CHECK_INT(or_store_types(sa)[2], 2);
	CHECK_INT(or_store_session_ids(sb)[0], 3);
	or_store_free(sa);
	or_store_free(sb);
	or_store_builder_free(a);
	or_store_builder_free(b);
}

/* An error after the first 8 MiB read chunk still names the right line. */
static void test_line_numbers_across_chunks(void)
{
	size_t n_lines = 200000, cap = n_lines * 80 + 256;
	char *text = malloc(cap), *p = text;
	for (size_t i = 0; i < n_lines; i++)
		p += snprintf(p, 100, "{\"session\":%zu,\"events\":[{\"aid\":%zu,\"ts\":%zu,\"type\":\"clicks\"}]}\n",
			      i, i % 1000, 1659304800000 + i);
	CHECK((size_t)(p - text) > (9u << 20)); /* more than one read chunk */
	p += snprintf(p, 100, "{\"session\":%zu,\"events\":[{\"aid\":1,\"ts\":2,\"type\":\"klicks\"}]}\n", n_lines);
	or_store_builder *b;
	or_err err;
	CHECK_INT(ingest_text("long.jsonl", text, NULL, &b, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "long.jsonl:200001:");
	CHECK_STR_CONTAINS(err.msg, "type must be");
	CHECK_INT(or_store_builder_n_sessions(b), n_lines);
	or_store_builder_free(b);
	free(text);
}

static void test_csv_units(void)
{
	or_store_builder *b;
	or_err err;
	CHECK_INT(ingest_text("s.csv", "session,aid,ts,type\n1,5,1659304800,clicks\n1,6,1659304801,2\n", NULL, &b, &err), OR_OK);
	char path[600];
	snprintf(path, sizeof(path), "%s/csv.store", check_tmpdir());
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	CHECK_INT(or_store_ts(st)[0], 1659304800000ll);
	CHECK_INT(or_store_ts(st)[1], 1659304801000ll);
	CHECK_INT(or_store_types(st)[1], 2);
	or_store_free(st);

	or_ingest_config cfg;
	or_ingest_config_default(&cfg);
	cfg.ts_unit = OR_TS_S;
	CHECK_INT(ingest_text("j.jsonl", "{\"session\":1,\"events\":[{\"aid\":1,\"ts\":1659304800,\"type\":\"clicks\"}]}", &cfg, &b, &err), OR_OK);
	or_store_builder_free(b);
	CHECK_INT(ingest_text("big.csv", "1,5,253402300800,0\n", &cfg, &b, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "big.csv:1:1: ts 253402300800 seconds is out of range");
	or_store_builder_free(b);
}

/* Parquet is read by lib/io/or_parquet*.c (tests/test_parquet.c); here only
   that a damaged one is an error naming the file and the byte. */
static void test_parquet_damaged_is_an_error(void)
{
	or_store_builder *b;
	or_err err;
	CHECK_INT(ingest_text("x.parquet", "PAR1\x15\x04 whatever", NULL, &b, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "x.parquet: byte 11: no \"PAR1\" magic at the end");
	or_store_builder_free(b);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_detect);
	RUN_TEST(test_fast_and_general_agree);
	RUN_TEST(test_line_numbers_across_chunks);
	RUN_TEST(test_csv_units);
	RUN_TEST(test_parquet_damaged_is_an_error);
	CHECK_MAIN_END
}
