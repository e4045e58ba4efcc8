/*
 * check.h - the unit-test harness: CHECK macros and a runner that prints
 * "PASS name" / "FAIL name" per test, and check_skip's "SKIP name: why"
 * for a part that cannot run here, which tests/run.sh counts.  A test
 * binary exits non-zero when any check failed.  Header-only, written by hand
 * because the suite needs nothing more than this.
 */
#ifndef OR_CHECK_H
#define OR_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_in_test;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",       \
				__FILE__, __LINE__, #cond);                  \
			check_failures_in_test++;                            \
		}                                                            \
	} while (0)

#define CHECK_INT(a, b)                                                      \
	do {                                                                 \
		long long va_ = (long long)(a), vb_ = (long long)(b);        \
		if (va_ != vb_) {                                            \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, va_, #b, vb_);       \
			check_failures_in_test++;                            \
		}                                                            \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                      \
	do {                                                                 \
		const char *h_ = (hay), *n_ = (needle);                      \
		if (!h_ || !strstr(h_, n_)) {                                \
			fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", \
				__FILE__, __LINE__, h_ ? h_ : "(null)", n_); \
			check_failures_in_test++;                            \
		}                                                            \
	} while (0)

/* A part of a test that cannot run on this machine (an engine the CPU
   lacks, so that the comparison would be of the reference with itself):
   say so instead of passing quietly.  part names it, e.g.
   "test_sq_codes[amx]". */
static inline void check_skip(const char *part, const char *why)
{
	printf("SKIP %s: %s\n", part, why);
	fflush(stdout);
}

typedef void (*check_test_fn)(void);

static int check_run(const char *name, check_test_fn fn, int *failed)
{
	check_failures_in_test = 0;
	fn();
	printf("%s %s\n", check_failures_in_test ? "FAIL" : "PASS", name);
	fflush(stdout);
	if (check_failures_in_test)
		(*failed)++;
	return check_failures_in_test;
}

#define RUN_TEST(fn) check_run(#fn, fn, &check_failed_total)
#define CHECK_MAIN_BEGIN int check_failed_total = 0;
#define CHECK_MAIN_END return check_failed_total ? 1 : 0;

/* A scratch directory for the test's files: $TMPDIR/ottorec-test-XXXXXX. */
static inline const char *check_tmpdir(void)
{
	static char dir[256];
	if (!dir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/ottorec-test-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return dir;
}

/* Write text to a file under the scratch directory; returns its path. */
static inline const char *check_write_file(const char *name, const void *data, size_t n)
{
	static char path[8][512];
	static int next;
	char *p = path[next++ % 8];
	snprintf(p, 512, "%s/%s", check_tmpdir(), name);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
	return p;
}

/* The whole file at path (malloc'd, the caller frees; *n its size), or
   NULL when it cannot be read. */
static inline unsigned char *check_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = sz >= 0 ? malloc((size_t)sz + 1) : NULL;
	*n = b ? fread(b, 1, (size_t)sz, f) : 0;
	fclose(f);
	return b;
}

#endif
