/*
 * test_sfile.c - the sectioned-file module (or_sfile.h): both writers give
 * the same bytes, the layout rule, O(1) open, verify, and every kind of
 * damage (empty, short, header only, truncated at each section boundary, a
 * byte flipped in each section and in the header, bytes appended, another
 * version), each an error naming the file; writer misuse, a full disk and
 * cancellation leave nothing behind.
 */
#include "check.h"
#include "or_sfile.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static const char *const names[3] = { "alpha", "beta", "gamma" };
static const or_sfile_format fmt = {
	.magic = "TESTSFIL", .version = 3, .align = 64, .n_sections = 3,
	.section_names = names, .what = "test file", .rebuild = "rebuild it with `make test`",
};
static const or_sfile_format fmt_v2 = {
	.magic = "TESTSFIL", .version = 2, .align = 64, .n_sections = 3,
	.section_names = names, .what = "test file", .rebuild = "rebuild it with `make test`",
};

typedef struct test_meta {
	uint64_t count;
	uint32_t flags, reserved;
} test_meta;

static const uint64_t sizes[3] = { 1000, 0, 5000 };
static unsigned char data_a[1000], data_c[5000];

static void fill_data(void)
{
	for (size_t i = 0; i < sizeof(data_a); i++)
		data_a[i] = (unsigned char)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(data_c); i++)
		data_c[i] = (unsigned char)(i * 13 + 5);
}

static const char *tmp_path(const char *name)
{
	static char path[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", check_tmpdir(), name);
	return path[k];
}

/* The file made by appending (in pieces), or in place (out of order, part
   through put, part through the mapping, checksums partly carried). */
static const char *make(const char *name, int mode, const or_sfile_format *f)
{
	const char *path = tmp_path(name);
	or_err err;
	or_sfile_writer *w = NULL;
	CHECK_INT(or_sfile_writer_open(&w, path, f, sizes, mode, &err), OR_OK);
	if (!w)
		return path;
	if (mode == OR_SFILE_STREAM) {
		CHECK_INT(or_sfile_writer_append(w, 0, data_a, 300, &err), OR_OK);
		CHECK_INT(or_sfile_writer_append(w, 0, data_a + 300, 700, &err), OR_OK);
		CHECK_INT(or_sfile_writer_append(w, 2, data_c, 5000, &err), OR_OK);
	} else {
		unsigned char *c = or_sfile_writer_map(w, 2);
		CHECK(c != NULL && ((uintptr_t)c & 63) == 0);
		if (c)
			memcpy(c + 2000, data_c + 2000, 3000);
		CHECK_INT(or_sfile_writer_put(w, 2, 0, data_c, 2000, &err), OR_OK);
		CHECK_INT(or_sfile_writer_put(w, 0, 500, data_a + 500, 500, &err), OR_OK);
		CHECK_INT(or_sfile_writer_put(w, 0, 0, data_a, 500, &err), OR_OK);
		/* carried only where the checksum has got to */
		CHECK_INT(or_sfile_writer_hash_data(w, 0, 500, data_a + 500, 500), 0);
		CHECK_INT(or_sfile_writer_hash_data(w, 0, 0, data_a, 500), 1);
		or_sfile_writer_hash(w, 2, 1234);
		/* outside a section: refused */
		CHECK_INT(or_sfile_writer_put(w, 0, 900, data_a, 200, &err), OR_EINVAL);
		CHECK_INT(or_sfile_writer_put(w, 3, 0, data_a, 1, &err), OR_EINVAL);
	}
	test_meta m = { .count = 42, .flags = 7 };
	CHECK_INT(or_sfile_writer_commit(w, &m, sizeof(m), NULL, &err), OR_OK);
	return path;
}


static void test_round_trip(void)
{
	fill_data();
	const char *ps = make("stream.sf", OR_SFILE_STREAM, &fmt);
	const char *pm = make("mapped.sf", OR_SFILE_MAPPED, &fmt);
	size_t ns = 0, nm = 0;
	unsigned char *bs = check_read_file(ps, &ns), *bm = check_read_file(pm, &nm);
	/* the layout: header page, then 64-aligned sections, ending at the last */
	CHECK_INT(ns, 4096 + 1024 + 5000);
	CHECK(bs && bm && ns == nm && memcmp(bs, bm, ns) == 0);
	free(bs);
	free(bm);
	or_sfile f;
	or_err err;
	CHECK_INT(or_sfile_open(&f, ps, &fmt, &err), OR_OK);
	CHECK_INT(or_sfile_section_bytes(&f, 0), 1000);
	CHECK_INT(or_sfile_section_bytes(&f, 1), 0);
	CHECK_INT(f.h.section[1].offset, 4096 + 1024);
	CHECK_INT(f.h.section[2].offset, 4096 + 1024);
	CHECK(memcmp(or_sfile_section_data(&f, 0), data_a, 1000) == 0);
	CHECK(memcmp(or_sfile_section_data(&f, 2), data_c, 5000) == 0);
	CHECK(or_sfile_section_data(&f, 3) == NULL);
	test_meta m;
	or_sfile_meta(&f, &m, sizeof(m));
	CHECK_INT(m.count, 42);
	CHECK_INT(m.flags, 7);
	CHECK_INT(or_sfile_verify(&f, NULL, &err), OR_OK);
	CHECK_INT(or_sfile_expect(&f, 0, 250, 4, &err), OR_OK);
	CHECK_INT(or_sfile_expect(&f, 2, 5000, 1, &err), OR_OK);
	CHECK_INT(or_sfile_expect(&f, 0, 251, 4, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, ps);
	CHECK_STR_CONTAINS(err.msg, "the alpha section holds 1000 bytes, its header's counts give 251 x 4");
	CHECK_STR_CONTAINS(err.msg, "rebuild it with `make test`");
	/* a count that would overflow bytes is still just a mismatch */
	CHECK_INT(or_sfile_expect(&f, 0, UINT64_MAX / 2, 8, &err), OR_EFORMAT);
	CHECK_INT(or_sfile_damaged(&f, &err, "row %d is odd", 3), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "damaged test file: row 3 is odd; rebuild it");
	or_sfile_release(&f);
	or_sfile_release(&f); /* twice is fine */
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(b, 1, n, f) == n);
		fclose(f);
	}
}

/* path must fail to open with code, naming the file and saying `what`. */
static void expect_open_fails(const char *path, int code, const char *what)
{
	or_sfile f;
	or_err err;
	or_err_clear(&err);
	int rc = or_sfile_open(&f, path, &fmt, &err);
	CHECK_INT(rc, code);
	CHECK(f.map == NULL && f.path == NULL);
	CHECK_STR_CONTAINS(err.msg, path);
	CHECK_STR_CONTAINS(err.msg, what);
	if (!rc)
		or_sfile_release(&f);
}

static void test_damage(void)
{
	fill_data();
	const char *good = make("good.sf", OR_SFILE_STREAM, &fmt);
	size_t n = 0;
	unsigned char *b = check_read_file(good, &n);
	CHECK(b && n > 4096);
	if (!b)
		return;
	const char *bad = tmp_path("bad.sf");
	write_bytes(bad, b, 0);
	expect_open_fails(bad, OR_EFORMAT, "empty file");
	write_bytes(bad, b, 100);
	expect_open_fails(bad, OR_EFORMAT, "shorter than the 4096-byte header");
	write_bytes(bad, b, 4096);
	expect_open_fails(bad, OR_EFORMAT, "truncated test file");
	/* truncated at every section boundary (each start and end) */
	or_sfile f;
	or_err err;
	CHECK_INT(or_sfile_open(&f, good, &fmt, &err), OR_OK);
	or_sfile_header h = f.h;
	or_sfile_release(&f);
	for (unsigned s = 0; s < 3; s++) {
		uint64_t cut[2] = { h.section[s].offset, h.section[s].offset + h.section[s].bytes };
		for (int k = 0; k < 2; k++) {
			if (cut[k] >= n)
				continue;
			write_bytes(bad, b, (size_t)cut[k]);
			expect_open_fails(bad, OR_EFORMAT, "truncated test file");
		}
	}
	write_bytes(bad, b, n - 1);
	expect_open_fails(bad, OR_EFORMAT, "the gamma section is cut");
	/* bytes appended */
	unsigned char *more = calloc(n + 4096, 1);
	memcpy(more, b, n);
	write_bytes(bad, more, n + 1);
	expect_open_fails(bad, OR_EFORMAT, "bytes appended after the last section");
	write_bytes(bad, more, n + 4096);
	expect_open_fails(bad, OR_EFORMAT, "bytes appended");
	free(more);
	/* a byte flipped anywhere in the header page: open fails */
	const size_t hflips[] = { 0, 7, 9, 12, 16, 20, 24, 40, 200, 600, 672, 679, 680, 2000, 4095 };
	unsigned char *c = malloc(n);
	for (size_t i = 0; i < sizeof(hflips) / sizeof(hflips[0]); i++) {
		memcpy(c, b, n);
		c[hflips[i]] ^= 0x21;
		write_bytes(bad, c, n);
		or_err_clear(&err);
		int rc = or_sfile_open(&f, bad, &fmt, &err);
		CHECK(rc == OR_EFORMAT || rc == OR_EUNSUPPORTED);
		CHECK_STR_CONTAINS(err.msg, bad);
		if (!rc)
			or_sfile_release(&f);
	}
	/* a byte flipped in each section (and in the gap after one): open is
	   O(1) and succeeds, verify names the section */
	const struct { uint64_t at; const char *name; } flips[] = {
		{ h.section[0].offset, "alpha" }, { h.section[0].offset + 999, "alpha" },
		{ h.section[0].offset + 1010, "alpha" }, { h.section[2].offset + 2500, "gamma" },
		{ n - 1, "gamma" },
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(c, b, n);
		c[flips[i].at] ^= 0x01;
		write_bytes(bad, c, n);
		CHECK_INT(or_sfile_open(&f, bad, &fmt, &err), OR_OK);
		CHECK_INT(or_sfile_verify(&f, NULL, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, bad);
		char want[64];
		snprintf(want, sizeof(want), "checksum mismatch in the %s section", flips[i].name);
		CHECK_STR_CONTAINS(err.msg, want);
		or_sfile_release(&f);
	}
	free(c);
	/* another version (here an older one): refused before its checksum,
	   with the rebuild hint */
	const char *old = make("old.sf", OR_SFILE_STREAM, &fmt_v2);
	expect_open_fails(old, OR_EUNSUPPORTED, "test file format version 2, this ottorec reads version 3; rebuild it with `make test`");
	/* another format */
	static const or_sfile_format other = { .magic = "OTHERFMT", .version = 3, .align = 64,
					       .n_sections = 3, .section_names = names,
					       .what = "other file", .rebuild = "make another" };
	CHECK_INT(or_sfile_open(&f, good, &other, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "not an ottorec other file (no OTHERFMT magic)");
	expect_open_fails("/nonexistent/x.sf", OR_EIO, "cannot open test file /nonexistent/x.sf");
	expect_open_fails(check_tmpdir(), OR_EFORMAT, "not a regular file");
	free(b);
}

/* Opening reads the header page only: a 3 GB file (sparse, nothing of it
   in the page cache) opens with none of its section pages resident. */
static void test_open_is_o1(void)
{
	const char *path = tmp_path("big.sf");
	static const char *const one[1] = { "big" };
	static const or_sfile_format bigf = { .magic = "BIGSFILE", .version = 1, .align = 4096,
					      .n_sections = 1, .section_names = one,
					      .what = "big file", .rebuild = "-" };
	const uint64_t bytes = (uint64_t)3 << 30;
	unsigned char page[4096];
	memset(page, 0, sizeof(page));
	or_sfile_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, "BIGSFILE", 8);
	h.version = 1;
	h.header_bytes = sizeof(h);
	h.n_sections = 1;
	h.align = 4096;
	h.file_bytes = 4096 + bytes;
	h.section[0].offset = 4096;
	h.section[0].bytes = bytes;
	h.header_checksum = XXH3_64bits(&h, offsetof(or_sfile_header, header_checksum));
	memcpy(page, &h, sizeof(h));
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, page, sizeof(page)) == (ssize_t)sizeof(page));
	CHECK(ftruncate(fd, (off_t)(4096 + bytes)) == 0);
	close(fd);
	or_sfile f;
	or_err err;
	CHECK_INT(or_sfile_open(&f, path, &bigf, &err), OR_OK);
	if (f.map) {
		size_t pages = (size_t)(bytes / 4096);
		unsigned char *vec = malloc(pages);
		CHECK(mincore((void *)(f.map + 4096), (size_t)bytes, vec) == 0);
		size_t resident = 0;
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
		CHECK_INT(resident, 0);
		free(vec);
		CHECK_INT(or_sfile_expect(&f, 0, bytes / 8, 8, &err), OR_OK);
	}
	or_sfile_release(&f);
	unlink(path);
}

static int leftovers(const char *prefix)
{
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q '^%s'", check_tmpdir(), prefix);
	return system(cmd) == 0;
}

static void test_writer_errors(void)
{
	fill_data();
	or_err err;
	or_sfile_writer *w = NULL;
	const char *path = tmp_path("misuse.sf");
	/* appending out of order, past a section's size, an incomplete commit */
	CHECK_INT(or_sfile_writer_open(&w, path, &fmt, sizes, OR_SFILE_STREAM, &err), OR_OK);
	CHECK_INT(or_sfile_writer_append(w, 0, data_a, 1001, &err), OR_EINVAL);
	CHECK_INT(or_sfile_writer_append(w, 0, data_a, 10, &err), OR_OK);
	CHECK_INT(or_sfile_writer_append(w, 2, data_c, 10, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "the alpha section has 10 of its 1000 bytes");
	CHECK_INT(or_sfile_writer_commit(w, NULL, 0, NULL, &err), OR_EINVAL);
	CHECK(access(path, F_OK) != 0);
	CHECK(!leftovers("misuse.sf"));
	/* too many header fields */
	CHECK_INT(or_sfile_writer_open(&w, path, &fmt, sizes, OR_SFILE_MAPPED, &err), OR_OK);
	unsigned char big[OR_SFILE_META_BYTES + 1] = { 0 };
	CHECK_INT(or_sfile_writer_commit(w, big, sizeof(big), NULL, &err), OR_EINVAL);
	CHECK(!leftovers("misuse.sf"));
	/* cancelled */
	volatile sig_atomic_t cancel = 1;
	or_log log = { .cancel = &cancel };
	CHECK_INT(or_sfile_writer_open(&w, path, &fmt, sizes, OR_SFILE_STREAM, &err), OR_OK);
	or_sfile_writer_progress(w, &log, "write");
	CHECK_INT(or_sfile_writer_append(w, 0, data_a, 1000, &err), OR_ECANCELLED);
	or_sfile_writer_abort(w);
	CHECK(!leftovers("misuse.sf"));
	CHECK_INT(or_sfile_writer_open(&w, path, &fmt, sizes, OR_SFILE_MAPPED, &err), OR_OK);
	CHECK_INT(or_sfile_writer_commit(w, NULL, 0, &log, &err), OR_ECANCELLED);
	CHECK(!leftovers("misuse.sf"));
	/* an impossible size, a directory that is not there */
	const uint64_t huge[3] = { (uint64_t)1 << 62, 1, 1 };
	CHECK_INT(or_sfile_writer_open(&w, path, &fmt, huge, OR_SFILE_STREAM, &err), OR_ENOMEM);
	CHECK(w == NULL);
	CHECK_INT(or_sfile_writer_open(&w, "/nonexistent/x.sf", &fmt, sizes, OR_SFILE_STREAM, &err), OR_EIO);
	CHECK_STR_CONTAINS(err.msg, "/nonexistent/x.sf");
	or_sfile_writer_abort(NULL);
}

/* A file that does not fit (here: the file-size limit) is an error when
   the space is reserved, never a SIGBUS on a page of the mapping. */
static void test_full_disk(void)
{
	fill_data();
	struct rlimit old, lim;
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 8192;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	or_err err;
	or_sfile_writer *w = NULL;
	const char *path = tmp_path("full.sf");
	int rc = or_sfile_writer_open(&w, path, &fmt, sizes, OR_SFILE_MAPPED, &err);
	CHECK(rc == OR_EIO);
	CHECK_STR_CONTAINS(err.msg, "cannot reserve 10120 bytes for");
	if (!rc)
		or_sfile_writer_abort(w);
	CHECK_INT(or_sfile_writer_open(&w, path, &fmt, sizes, OR_SFILE_STREAM, &err), OR_OK);
	if (w) {
		rc = or_sfile_writer_append(w, 0, data_a, 1000, &err);
		if (!rc)
			rc = or_sfile_writer_append(w, 2, data_c, 5000, &err);
		CHECK_INT(rc, OR_EIO);
		CHECK_STR_CONTAINS(err.msg, "cannot write");
		or_sfile_writer_abort(w);
	}
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, prev);
	CHECK(!leftovers("full.sf"));
}

/* issue 16: a file's identity from its header alone (run --resume, the
   covisit manifest): whole files give the header's checksum, a truncated
   or foreign one an error; "-" is no output for a writer */
static void test_identity(void)
{
	fill_data();
	const char *p = make("ident.sf", OR_SFILE_STREAM, &fmt);
	or_sfile f;
	or_err err;
	CHECK_INT(or_sfile_open(&f, p, &fmt, &err), OR_OK);
	char magic[9];
	uint64_t sum = 0;
	CHECK_INT(or_sfile_identity(p, magic, &sum, &err), OR_OK);
	CHECK(sum == f.h.header_checksum && sum != 0);
	CHECK(memcmp(magic, fmt.magic, 9) == 0);
	or_sfile_release(&f);
	size_t n = 0;
	unsigned char *b = check_read_file(p, &n);
	const char *cut = tmp_path("ident-cut.sf");
	write_bytes(cut, b, n - 1);
	CHECK_INT(or_sfile_identity(cut, magic, &sum, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "truncated");
	b[100] ^= 1;
	write_bytes(cut, b, n);
	CHECK_INT(or_sfile_identity(cut, magic, &sum, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "no valid header");
	free(b);
	const char *text = check_write_file("ident.txt", "session,aid,ts,type\n", 20);
	CHECK_INT(or_sfile_identity(text, magic, &sum, &err), OR_EFORMAT);
	CHECK_INT(or_sfile_identity(tmp_path("nothing-here.sf"), magic, &sum, &err), OR_EIO);
	or_sfile_writer *w = NULL;
	CHECK_INT(or_sfile_writer_open(&w, "-", &fmt, sizes, OR_SFILE_MAPPED, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "not to standard output");
	CHECK(w == NULL);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_round_trip);
	RUN_TEST(test_damage);
	RUN_TEST(test_open_is_o1);
	RUN_TEST(test_writer_errors);
	RUN_TEST(test_full_disk);
	RUN_TEST(test_identity);
	CHECK_MAIN_END
}
