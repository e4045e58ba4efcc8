/* test_npy.c - .npy matrices: files written by NumPy (tests/data/npy, made by
   make_fixtures.py) are read right, ours round-trip, bad ones are refused. */
#include "check.h"
#include "or_npy.h"

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
	FILE *a = fopen(path, "rb");
	char head[128];
	CHECK(a && fread(head, 1, sizeof(head), a) == sizeof(head));
	if (a)
		fclose(a);
	const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
	CHECK(memcmp(head + 10, want, strlen(want)) == 0);
	CHECK(head[127] == '\n');
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_numpy_written);
	RUN_TEST(test_refused);
	RUN_TEST(test_round_trip);
	CHECK_MAIN_END
}
