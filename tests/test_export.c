/*
 * test_export.c - unit tests of lib/io/or_export.c: builder -> store -> JSONL
 * and CSV text compared with expected bytes, a random store (sessions that
 * span many output chunks) against a slow snprintf reference (the integer
 * writers' own edge cases are in test_base.c), --ts-seconds refusal, bad
 * paths, cancellation and progress, and that a failed export leaves no file
 * behind.
 */
#include "check.h"
#include "or_export.h"
#include "or_store.h"

#include <dirent.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	size_t r;
	while ((r = fread(buf + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
	}
	fclose(f);
	buf[len] = '\0';
	*n = len;
	return buf;
}

static const char *tmp_path(const char *name)
{
	static char path[8][512];
	static int k;
	char *p = path[k++ % 8];
	snprintf(p, 512, "%s/%s", check_tmpdir(), name);
	return p;
}

/* No "*.tmp.*" left in the scratch directory. */
static int no_temporaries(void)
{
	DIR *d = opendir(check_tmpdir());
	if (!d)
		return 0;
	int ok = 1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp."))
			ok = 0;
	closedir(d);
	return ok;
}

static int expect_file(const char *path, const char *want)
{
	size_t n;
	char *got = slurp(path, &n);
	int ok = got && n == strlen(want) && memcmp(got, want, n) == 0;
	if (!ok)
		fprintf(stderr, "  %s:\n--- got\n%s--- want\n%s---\n", path, got ? got : "(none)", want);
	free(got);
	return ok;
}

/* Session 0: three events; session 9007199254740993: one; aids and ts at
   their extremes. */
static const char *build_fixed(int whole_seconds)
{
	const char *p = tmp_path(whole_seconds ? "fixed_s.store" : "fixed.store");
	or_store_builder *b;
	or_err err;
	if (or_store_builder_new(&b, &err))
		exit(2);
	uint32_t a0[3] = { 1517085, 0, 2147483647u };
	int64_t t0[3] = { 1659304800025LL, 1659304800025LL, 1659304904511LL };
	uint8_t y0[3] = { 0, 1, 2 };
	uint32_t a1[1] = { 42 };
	int64_t t1[1] = { 0 };
	uint8_t y1[1] = { 1 };
	if (whole_seconds) {
		t0[0] = t0[1] = 1659304800000LL;
		t0[2] = 1659304904000LL;
	}
	int rc = or_store_builder_add(b, 0, 3, a0, t0, y0, &err);
	rc |= or_store_builder_add(b, 9007199254740993LL, 1, a1, t1, y1, &err);
	rc |= or_store_builder_write(b, p, NULL, &err);
	or_store_builder_free(b);
	if (rc) {
		fprintf(stderr, "build: %s\n", err.msg);
		exit(2);
	}
	return p;
}

static or_store *open_store(const char *path)
{
	or_store *st = NULL;
	or_err err;
	if (or_store_open(path, &st, &err)) {
		fprintf(stderr, "open %s: %s\n", path, err.msg);
		exit(2);
	}
	return st;
}

static void test_jsonl_fixed(void)
{
	or_store *st = open_store(build_fixed(0));
	const char *out = tmp_path("fixed.jsonl");
	or_err err;
	CHECK_INT(or_export_jsonl(st, out, NULL, &err), OR_OK);
	CHECK(expect_file(out,
		"{\"session\":0,\"events\":[{\"aid\":1517085,\"ts\":1659304800025,\"type\":\"clicks\"},"
		"{\"aid\":0,\"ts\":1659304800025,\"type\":\"carts\"},"
		"{\"aid\":2147483647,\"ts\":1659304904511,\"type\":\"orders\"}]}\n"
		"{\"session\":9007199254740993,\"events\":[{\"aid\":42,\"ts\":0,\"type\":\"carts\"}]}\n"));
	CHECK(no_temporaries());
	or_store_free(st);
}

static void test_csv_fixed(void)
{
	or_store *st = open_store(build_fixed(0));
	const char *out = tmp_path("fixed.csv");
	or_err err;
	CHECK_INT(or_export_csv(st, out, NULL, &err), OR_OK);
	CHECK(expect_file(out,
		"session,aid,ts,type\n"
		"0,1517085,1659304800025,clicks\n"
		"0,0,1659304800025,carts\n"
		"0,2147483647,1659304904511,orders\n"
		"9007199254740993,42,0,carts\n"));
	or_export_csv_config cfg;
	or_export_csv_config_default(&cfg);
	cfg.type_digits = 1;
	CHECK_INT(or_export_csv_ex(st, out, &cfg, NULL, &err), OR_OK);
	CHECK(expect_file(out,
		"session,aid,ts,type\n"
		"0,1517085,1659304800025,0\n"
		"0,0,1659304800025,1\n"
		"0,2147483647,1659304904511,2\n"
		"9007199254740993,42,0,1\n"));
	or_store_free(st);
}

static void test_csv_ts_seconds(void)
{
	or_store *st = open_store(build_fixed(1));
	const char *out = tmp_path("secs.csv");
	or_export_csv_config cfg;
	or_export_csv_config_default(&cfg);
	cfg.ts_seconds = 1;
	or_err err;
	CHECK_INT(or_export_csv_ex(st, out, &cfg, NULL, &err), OR_OK);
	CHECK(expect_file(out,
		"session,aid,ts,type\n"
		"0,1517085,1659304800,clicks\n"
		"0,0,1659304800,carts\n"
		"0,2147483647,1659304904,orders\n"
		"9007199254740993,42,0,carts\n"));
	or_store_free(st);

	/* sub-second ts: refused, nothing written, the message says where */
	st = open_store(build_fixed(0));
	const char *out2 = tmp_path("secs_bad.csv");
	or_err_clear(&err);
	CHECK_INT(or_export_csv_ex(st, out2, &cfg, NULL, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "not a whole second");
	CHECK_STR_CONTAINS(err.msg, "1659304800025");
	CHECK_STR_CONTAINS(err.msg, "session 0");
	CHECK(access(out2, F_OK) != 0);
	CHECK(no_temporaries());
	or_store_free(st);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const words[3] = { "clicks", "carts", "orders" };

/* A store of random sessions, some very long (one spans many 256 KiB
   chunks), and the reference texts made with snprintf. */
static const char *build_random(char **jsonl, size_t *jn, char **csv, size_t *cn)
{
	const char *p = tmp_path("random.store");
	or_store_builder *b;
	or_err err;
	if (or_store_builder_new(&b, &err))
		exit(2);
	size_t jcap = 1 << 20, ccap = 1 << 20;
	*jsonl = malloc(jcap);
	*csv = malloc(ccap);
	*jn = 0;
	*cn = (size_t)snprintf(*csv, ccap, "session,aid,ts,type\n");
	enum { MAXN = 60000 };
	uint32_t *aid = malloc(MAXN * sizeof(*aid));
	int64_t *ts = malloc(MAXN * sizeof(*ts));
	uint8_t *ty = malloc(MAXN);
	int64_t sid = 0;
	for (int s = 0; s < 3000; s++) {
		size_t n = s == 17 ? 60000 : s == 1000 ? 40000 : 1 + rnd() % (s % 10 == 0 ? 300 : 12);
		int64_t t = (int64_t)(rnd() % 2000000000000ull);
		for (size_t i = 0; i < n; i++) {
			uint64_t r = rnd();
			aid[i] = (uint32_t)(r % 7 == 0 ? r % 10 : (r >> 3) % 2147483648ull);
			t += (int64_t)((r >> 40) % 100000);
			ts[i] = t;
			ty[i] = (uint8_t)((r >> 20) % 3);
		}
		sid += 1 + (int64_t)(rnd() % 1000);
		if (or_store_builder_add(b, sid, n, aid, ts, ty, &err)) {
			fprintf(stderr, "add: %s\n", err.msg);
			exit(2);
		}
		/* reference text */
		while (*jn + 100 * (n + 1) > jcap)
			*jsonl = realloc(*jsonl, jcap *= 2);
		while (*cn + 100 * (n + 1) > ccap)
			*csv = realloc(*csv, ccap *= 2);
		*jn += (size_t)snprintf(*jsonl + *jn, jcap - *jn, "{\"session\":%lld,\"events\":[", (long long)sid);
		for (size_t i = 0; i < n; i++) {
			*jn += (size_t)snprintf(*jsonl + *jn, jcap - *jn, "%s{\"aid\":%u,\"ts\":%lld,\"type\":\"%s\"}",
						i ? "," : "", aid[i], (long long)ts[i], words[ty[i]]);
			*cn += (size_t)snprintf(*csv + *cn, ccap - *cn, "%lld,%u,%lld,%s\n",
						(long long)sid, aid[i], (long long)ts[i], words[ty[i]]);
		}
		*jn += (size_t)snprintf(*jsonl + *jn, jcap - *jn, "]}\n");
	}
	free(aid);
	free(ts);
	free(ty);
	if (or_store_builder_write(b, p, NULL, &err)) {
		fprintf(stderr, "write: %s\n", err.msg);
		exit(2);
	}
	or_store_builder_free(b);
	return p;
}

typedef struct progress_seen {
	int calls;
	double last_done, last_total;
} progress_seen;

static void on_progress(void *ctx, const char *stage, double done, double total, const char *unit)
{
	progress_seen *p = ctx;
	p->calls++;
	p->last_done = done;
	p->last_total = total;
	(void)stage;
	(void)unit;
}

static void test_random_against_reference(void)
{
	char *jref, *cref;
	size_t jn, cn;
	or_store *st = open_store(build_random(&jref, &jn, &cref, &cn));
	CHECK(jn > (8u << 20)); /* spans many chunks and progress steps */
	const char *out = tmp_path("random.out");
	or_err err;
	progress_seen seen = { 0, 0, 0 };
	or_log log = { NULL, on_progress, &seen, NULL };
	CHECK_INT(or_export_jsonl(st, out, &log, &err), OR_OK);
	size_t n;
	char *got = slurp(out, &n);
	CHECK(got && n == jn && memcmp(got, jref, n) == 0);
	free(got);
	CHECK(seen.calls >= 2);
	CHECK(seen.last_done == (double)or_store_n_events(st));
	CHECK(seen.last_total == (double)or_store_n_events(st));

	CHECK_INT(or_export_csv(st, out, &log, &err), OR_OK);
	got = slurp(out, &n);
	CHECK(got && n == cn && memcmp(got, cref, n) == 0);
	free(got);

	/* cancelled: an error, and no file under the final name */
	const char *out2 = tmp_path("cancelled.jsonl");
	volatile sig_atomic_t cancel = 1;
	or_log clog = { NULL, NULL, NULL, &cancel };
	CHECK_INT(or_export_jsonl(st, out2, &clog, &err), OR_ECANCELLED);
	CHECK(access(out2, F_OK) != 0);
	CHECK_INT(or_export_csv(st, out2, &clog, &err), OR_ECANCELLED);
	CHECK(access(out2, F_OK) != 0);
	CHECK(no_temporaries());
	free(jref);
	free(cref);
	or_store_free(st);
}

static void test_empty_store(void)
{
	const char *p = tmp_path("empty.store");
	or_store_builder *b;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	CHECK_INT(or_store_builder_write(b, p, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st = open_store(p);
	const char *out = tmp_path("empty.out");
	CHECK_INT(or_export_jsonl(st, out, NULL, &err), OR_OK);
	CHECK(expect_file(out, ""));
	CHECK_INT(or_export_csv(st, out, NULL, &err), OR_OK);
	CHECK(expect_file(out, "session,aid,ts,type\n"));
	or_store_free(st);
}

static void test_bad_path(void)
{
	or_store *st = open_store(build_fixed(0));
	or_err err;
	or_err_clear(&err);
	const char *out = tmp_path("no/such/dir/out.jsonl");
	CHECK_INT(or_export_jsonl(st, out, NULL, &err), OR_EIO);
	CHECK_STR_CONTAINS(err.msg, "no/such/dir/out.jsonl");
	CHECK_INT(or_export_csv(st, out, NULL, &err), OR_EIO);
	or_store_free(st);
}

int main(void)
{
	CHECK_MAIN_BEGIN;
	RUN_TEST(test_jsonl_fixed);
	RUN_TEST(test_csv_fixed);
	RUN_TEST(test_csv_ts_seconds);
	RUN_TEST(test_random_against_reference);
	RUN_TEST(test_empty_store);
	RUN_TEST(test_bad_path);
	CHECK_MAIN_END
}
