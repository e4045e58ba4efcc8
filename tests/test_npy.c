/* test_npy.c - .npy matrices: files written by NumPy (tests/data/npy, made by
   make_fixtures.py) are read right, ours round-trip, bad ones are refused;
   the ids file beside a matrix (its name, int64 round trip, and what is
   refused: wrong length, unsorted, out of range, another dtype). */
#include "check.h"
#include "or_file.h"
#include "or_npy.h"

#include <unistd.h>

static const char *fixture(const char *name)
{
	static char path[512];
	const char *dir = getenv("TESTS_DIR");
	snprintf(path, sizeof(path), "%s/data/npy/%s", dir ? dir : "tests", name);
	return path;
}

static void check_values(const or_npy *m, size_t rows, size_t cols)
{
	CHECK_INT(m->rows, rows);
	CHECK_INT(m->cols, cols);
	for (size_t i = 0; i < rows * cols; i++)
		CHECK(m->data[i] == (float)((double)i * 0.25 - 1));
}

static void test_numpy_written(void)
{
	or_npy m;
	or_err err;
	CHECK_INT(or_npy_open_f32(fixture("f4_3x4.npy"), &m, &err), OR_OK);
	check_values(&m, 3, 4);
	or_npy_close(&m);
	CHECK_INT(or_npy_open_f32(fixture("f8_2x3.npy"), &m, &err), OR_OK);
	check_values(&m, 2, 3);
	or_npy_close(&m);
	CHECK_INT(or_npy_open_f32(fixture("f4_1d.npy"), &m, &err), OR_OK);
	check_values(&m, 5, 1);
	or_npy_close(&m);
	CHECK_INT(or_npy_open_f32(fixture("f4_v2_2x2.npy"), &m, &err), OR_OK);
	check_values(&m, 2, 2);
	or_npy_close(&m);
	CHECK_INT(or_npy_open_f32(fixture("f4_0x8.npy"), &m, &err), OR_OK);
	CHECK_INT(m.rows, 0);
	CHECK_INT(m.cols, 8);
	or_npy_close(&m);
}

static void test_refused(void)
{
	or_npy m;
	or_err err;
	CHECK_INT(or_npy_open_f32(fixture("f4_fortran.npy"), &m, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "Fortran-order");
	CHECK_INT(or_npy_open_f32(fixture("i4_2x2.npy"), &m, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "dtype '<i4'");
	const char *junk = check_write_file("junk.npy", "not numpy at all", 16);
	CHECK_INT(or_npy_open_f32(junk, &m, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "bad magic");
	/* a NumPy header promising more data than the file has */
	FILE *f = fopen(fixture("f4_3x4.npy"), "rb");
	char buf[256];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	CHECK(n > 128 + 8);
	const char *cut = check_write_file("cut.npy", buf, 128 + 8);
	CHECK_INT(or_npy_open_f32(cut, &m, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "truncated");
	CHECK_INT(or_npy_open_f32("/nonexistent.npy", &m, &err), OR_EIO);
}

/* The 128-byte header of the file at path holds the dict want. */
static void check_header(const char *path, const char *want)
{
	FILE *f = fopen(path, "rb");
	char head[128];
	CHECK(f && fread(head, 1, sizeof(head), f) == sizeof(head));
	if (f)
		fclose(f);
	CHECK(memcmp(head + 10, want, strlen(want)) == 0);
	CHECK(head[127] == '\n');
}

static void test_round_trip(void)
{
	float v[6] = { 1.5f, -2, 3, 4, 5e-8f, 6 };
	char path[512];
	snprintf(path, sizeof(path), "%s/ours.npy", check_tmpdir());
	or_err err;
	CHECK_INT(or_npy_write_f32(path, v, 2, 3, &err), OR_OK);
	or_npy m;
	CHECK_INT(or_npy_open_f32(path, &m, &err), OR_OK);
	CHECK_INT(m.rows, 2);
	CHECK_INT(m.cols, 3);
	CHECK(memcmp(m.data, v, sizeof(v)) == 0);
	CHECK(((uintptr_t)m.data % 64) == 0); /* data 64-byte aligned */
	or_npy_close(&m);
	/* the header is what NumPy itself writes for the same array */
	check_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
}

static void test_ids(void)
{
	char *p = or_npy_ids_path("dir/emb.npy");
	CHECK(p && !strcmp(p, "dir/emb.ids.npy"));
	free(p);
	p = or_npy_ids_path("emb");
	CHECK(p && !strcmp(p, "emb.ids.npy"));
	free(p);
	const int64_t ids[4] = { 3, 2147480000, 2147480003, 2147483647 };
	char path[512];
	snprintf(path, sizeof(path), "%s/e.ids.npy", check_tmpdir());
	or_err err;
	CHECK_INT(or_npy_write_i64(path, ids, 4, &err), OR_OK);
	/* NumPy's own header for np.save of an int64 vector */
	check_header(path, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }");
	CHECK_INT(or_file_size(path, &err), 128 + 4 * 8);
	uint32_t *got = NULL;
	CHECK_INT(or_npy_read_ids(path, 4, &got, &err), OR_OK);
	for (int i = 0; got && i < 4; i++)
		CHECK_INT(got[i], ids[i]);
	free(got);
	got = NULL;
	/* one aid per row of the matrix, no fewer, no more */
	CHECK_INT(or_npy_read_ids(path, 5, &got, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "4 aids for a matrix of 5 rows");
	CHECK_STR_CONTAINS(err.msg, "e.ids.npy");
	CHECK(got == NULL);
	const int64_t unsorted[3] = { 1, 9, 9 }, big[2] = { 1, 2147483648ll }, neg[2] = { -1, 4 };
	CHECK_INT(or_npy_write_i64(path, unsorted, 3, &err), OR_OK);
	CHECK_INT(or_npy_read_ids(path, 3, &got, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "not strictly increasing at row 2");
	CHECK_INT(or_npy_write_i64(path, big, 2, &err), OR_OK);
	CHECK_INT(or_npy_read_ids(path, 2, &got, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "aid 2147483648 at row 1 is outside 0..2147483647");
	CHECK_INT(or_npy_write_i64(path, neg, 2, &err), OR_OK);
	CHECK_INT(or_npy_read_ids(path, 2, &got, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "aid -1 at row 0");
	/* a float matrix is not an ids file; NumPy's 2 x 2 int32 is not a vector */
	CHECK_INT(or_npy_read_ids(fixture("f4_1d.npy"), 5, &got, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "dtype '<f4'");
	CHECK_INT(or_npy_read_ids(fixture("i4_2x2.npy"), 2, &got, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "expected a vector of aids");
	CHECK(got == NULL);
	/* int32 aids ('<i4', as np.int32 arrays save): a header written here */
	char buf[128 + 12];
	memset(buf, ' ', 128);
	memcpy(buf, "\x93NUMPY\x01\x00\x76\x00", 10);
	const char *dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
	memcpy(buf + 10, dict, strlen(dict));
	buf[127] = '\n';
	const int32_t v32[3] = { 0, 7, 2147483647 };
	memcpy(buf + 128, v32, sizeof(v32));
	const char *i4 = check_write_file("i4.ids.npy", buf, sizeof(buf));
	CHECK_INT(or_npy_read_ids(i4, 3, &got, &err), OR_OK);
	for (int i = 0; got && i < 3; i++)
		CHECK_INT(got[i], v32[i]);
	free(got);
}

/* A header of 256 bytes holding dict, then `data` bytes of zeros. */
static const char *npy_with_header(const char *name, const char *dict, size_t data)
{
	static char buf[256 + 64];
	memset(buf, 0, sizeof(buf));
	memset(buf, ' ', 256);
	memcpy(buf, "\x93NUMPY\x01\x00\xf6\x00", 10);
	memcpy(buf + 10, dict, strlen(dict));
	buf[255] = '\n';
	return check_write_file(name, buf, 256 + data);
}

/* issue 16: messages quote a header's value whole (not clipped to a few
   bytes), or shortened with "..." */
static void test_header_text(void)
{
	or_npy m;
	or_err err;
	const char *p = npy_with_header("dtype.npy",
					"{'descr': '>float32', 'fortran_order': False, 'shape': (2,), }", 8);
	CHECK_INT(or_npy_open_f32(p, &m, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "dtype '>float32' (expected");
	p = npy_with_header("shape.npy",
			    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 0);
	CHECK_INT(or_npy_open_f32(p, &m, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "shape (2, 3, 4) (expected 1-D or 2-D)");
	p = npy_with_header("long.npy",
			    "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25), }",
			    0);
	CHECK_INT(or_npy_open_f32(p, &m, &err), OR_EUNSUPPORTED);
	CHECK_STR_CONTAINS(err.msg, "shape (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, ... (expected");
}

/* The block writer: the same bytes as the one-shot writer, nothing under
   the final name before commit, nothing left after abort. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = malloc(1 << 16);
	*n = f && b ? fread(b, 1, 1 << 16, f) : 0;
	if (f)
		fclose(f);
	return b;
}

static void test_block_writer(void)
{
	float v[12];
	for (int i = 0; i < 12; i++)
		v[i] = (float)i * 0.5f - 2;
	char one[512], blocks[512], ids1[512], ids2[512];
	snprintf(one, sizeof(one), "%s/one.npy", check_tmpdir());
	snprintf(blocks, sizeof(blocks), "%s/blocks.npy", check_tmpdir());
	or_err err;
	CHECK_INT(or_npy_write_f32(one, v, 3, 4, &err), OR_OK);
	or_npy_writer w;
	CHECK_INT(or_npy_writer_open(&w, blocks, "<f4", sizeof(float), 4, &err), OR_OK);
	CHECK_INT(or_npy_writer_rows(&w, v, 1, &err), OR_OK);
	CHECK_INT(or_npy_writer_rows(&w, v + 4, 0, &err), OR_OK);
	CHECK_INT(or_npy_writer_rows(&w, v + 4, 2, &err), OR_OK);
	CHECK(access(blocks, F_OK) != 0); /* not there before commit */
	CHECK_INT(or_npy_writer_commit(&w, &err), OR_OK);
	size_t na, nb;
	char *a = slurp(one, &na), *b = slurp(blocks, &nb);
	CHECK_INT(na, 128 + sizeof(v));
	CHECK(na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	/* 1-D int64 */
	static int64_t big[200000]; /* more than or_file's buffer: the header is rewritten on disk */
	for (int i = 0; i < 200000; i++)
		big[i] = (int64_t)i * 7 - 3;
	snprintf(ids1, sizeof(ids1), "%s/i1.npy", check_tmpdir());
	snprintf(ids2, sizeof(ids2), "%s/i2.npy", check_tmpdir());
	CHECK_INT(or_npy_write_i64(ids1, big, 200000, &err), OR_OK);
	CHECK_INT(or_npy_writer_open(&w, ids2, "<i8", sizeof(int64_t), 0, &err), OR_OK);
	for (int i = 0; i < 200000; i += 1000)
		CHECK_INT(or_npy_writer_rows(&w, big + i, 1000, &err), OR_OK);
	CHECK_INT(or_npy_writer_commit(&w, &err), OR_OK);
	int64_t *back = NULL;
	size_t n = 0;
	CHECK_INT(or_npy_read_i64(ids2, &back, &n, &err), OR_OK);
	CHECK_INT(n, 200000);
	CHECK(back && !memcmp(back, big, sizeof(big)));
	free(back);
	FILE *f1 = fopen(ids1, "rb"), *f2 = fopen(ids2, "rb");
	int same = f1 && f2;
	for (int c1 = 0, c2 = 0; same && c1 != EOF;) {
		c1 = fgetc(f1);
		c2 = fgetc(f2);
		same = c1 == c2;
	}
	CHECK(same);
	if (f1)
		fclose(f1);
	if (f2)
		fclose(f2);
	/* abort: no file, no temporary */
	char gone[512];
	snprintf(gone, sizeof(gone), "%s/gone", check_tmpdir());
	CHECK_INT(or_dir_make(gone, &err), OR_OK);
	char gp[600];
	snprintf(gp, sizeof(gp), "%s/x.npy", gone);
	CHECK_INT(or_npy_writer_open(&w, gp, "<f4", sizeof(float), 4, &err), OR_OK);
	CHECK_INT(or_npy_writer_rows(&w, v, 3, &err), OR_OK);
	or_npy_writer_abort(&w);
	or_npy_writer_abort(&w); /* twice is fine */
	CHECK(rmdir(gone) == 0); /* empty */
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_numpy_written);
	RUN_TEST(test_refused);
	RUN_TEST(test_round_trip);
	RUN_TEST(test_ids);
	RUN_TEST(test_header_text);
	RUN_TEST(test_block_writer);
	CHECK_MAIN_END
}
