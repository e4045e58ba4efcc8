/*
 * test_split.c - unit tests of lib/store/or_split.c (CPython's MT19937 `random`,
 * the organiser's split rule) and lib/io/or_labels.c (ground truth with the
 * aid-0 click quirk, labels JSONL written and read back, reader errors).
 * Expected values come from CPython 3.11 and from tests/ref/otto_testset.py
 * run on the same sessions; they are hard-coded here.
 */
#include "check.h"
#include "or_labels.h"
#include "or_split.h"
#include "or_store.h"

#include <zlib.h>

/* ---- CPython random ------------------------------------------------------ */

static void test_pyrandom_getrandbits32(void)
{
	/* random.seed(42); [random.getrandbits(32) for _ in range(5)] */
	static const uint32_t want42[5] = { 2746317213u, 478163327u, 107420369u, 3184935163u, 1181241943u };
	or_pyrandom r;
	or_pyrandom_seed(&r, 42);
	for (int i = 0; i < 5; i++)
		CHECK_INT(or_pyrandom_getrandbits(&r, 32), want42[i]);
	/* seed 0: key [0] */
	static const uint32_t want0[3] = { 3626764237u, 1654615998u, 3255389356u };
	or_pyrandom_seed(&r, 0);
	for (int i = 0; i < 3; i++)
		CHECK_INT(or_pyrandom_u32(&r), want0[i]);
	/* a seed above 2^32: two key words */
	static const uint32_t wantbig[3] = { 2166296868u, 2220160828u, 1153647273u };
	or_pyrandom_seed(&r, ((int64_t)1 << 40) + 5);
	for (int i = 0; i < 3; i++)
		CHECK_INT(or_pyrandom_u32(&r), wantbig[i]);
	/* negative seed: Python uses abs() */
	static const uint32_t wantneg[3] = { 1390851128u, 4071050724u, 647892279u };
	or_pyrandom_seed(&r, -7);
	for (int i = 0; i < 3; i++)
		CHECK_INT(or_pyrandom_u32(&r), wantneg[i]);
}

static void test_pyrandom_randint(void)
{
	/* random.seed(42); [random.randint(1, 10) for _ in range(10)] */
	static const int want[10] = { 2, 1, 5, 4, 4, 3, 2, 9, 2, 10 };
	or_pyrandom r;
	or_pyrandom_seed(&r, 42);
	for (int i = 0; i < 10; i++)
		CHECK_INT(or_pyrandom_randint(&r, 1, 10), want[i]);
	/* random.seed(42); [random.randint(1, n) for n in ns]: bit lengths
	   1..32 and rejection */
	static const int64_t ns[10] = { 1, 2, 3, 5, 7, 100, 499, 1000, 65536, 2147483648LL };
	static const int64_t wantn[10] = { 1, 1, 3, 3, 2, 29, 72, 755, 13435, 373399427 };
	or_pyrandom_seed(&r, 42);
	for (int i = 0; i < 10; i++)
		CHECK_INT(or_pyrandom_randint(&r, 1, ns[i]), wantn[i]);
	/* randint(1, 1) still draws (getrandbits(1) until 0):
	   random.seed(42); [random.randint(1,1) for _ in range(3)];
	   random.getrandbits(32) == 1051802512 */
	or_pyrandom_seed(&r, 42);
	for (int i = 0; i < 3; i++)
		CHECK_INT(or_pyrandom_randint(&r, 1, 1), 1);
	CHECK_INT(or_pyrandom_getrandbits(&r, 32), 1051802512u);
	/* random.seed(42); getrandbits(7), getrandbits(40), getrandbits(64) */
	or_pyrandom_seed(&r, 42);
	CHECK_INT(or_pyrandom_getrandbits(&r, 7), 81);
	CHECK_INT(or_pyrandom_getrandbits(&r, 40), 26247967103LL);
	CHECK(or_pyrandom_getrandbits(&r, 64) == UINT64_C(5073395517033431291));
}

/* ---- ground truth --------------------------------------------------------- */

static or_session mk(int64_t id, size_t n, uint32_t *aid, int64_t *ts, uint8_t *type)
{
	for (size_t i = 0; i < n; i++)
		ts[i] = 1000 + (int64_t)i;
	or_session s = { id, n, aid, ts, type };
	return s;
}

static void test_ground_truth(void)
{
	or_labels l;
	or_labels_init(&l);
	or_err err;
	uint32_t aid[8] = { 5, 0, 7, 3, 3, 4, 3, 9 };
	uint8_t type[8] = { 0, 0, 0, 1, 1, 2, 1, 2 };
	int64_t ts[8];
	or_session s = mk(42, 8, aid, ts, type);
	/* cut 1: next click is aid 0 -> no click label (labels.py quirk),
	   even though aid 7 is clicked after it */
	CHECK_INT(or_labels_add_cut(&l, &s, 1, &err), OR_OK);
	/* cut 2: next click aid 7 */
	CHECK_INT(or_labels_add_cut(&l, &s, 2, &err), OR_OK);
	/* cut 3: no click after -> none; carts {3} once; orders 4 then 9 */
	CHECK_INT(or_labels_add_cut(&l, &s, 3, &err), OR_OK);
	CHECK_INT(l.n, 3);
	CHECK_INT(l.rows[0].click, -1);
	CHECK_INT(l.rows[1].click, 7);
	CHECK_INT(l.rows[2].click, -1);
	CHECK_INT(l.rows[2].n_carts, 1);
	CHECK_INT(l.aids[l.rows[2].carts_at], 3);
	CHECK_INT(l.rows[2].n_orders, 2);
	CHECK_INT(l.aids[l.rows[2].orders_at], 4);
	CHECK_INT(l.aids[l.rows[2].orders_at + 1], 9);
	/* cuts outside 1..n-1 are refused */
	CHECK_INT(or_labels_add_cut(&l, &s, 0, &err), OR_EINVAL);
	CHECK_INT(or_labels_add_cut(&l, &s, 8, &err), OR_EINVAL);
	/* a click on aid 0 that is not the next click does not matter */
	uint32_t aid2[3] = { 1, 6, 0 };
	uint8_t type2[3] = { 0, 0, 0 };
	int64_t ts2[3];
	or_session s2 = mk(43, 3, aid2, ts2, type2);
	CHECK_INT(or_labels_add_cut(&l, &s2, 1, &err), OR_OK);
	CHECK_INT(l.rows[3].click, 6);
	or_labels_release(&l);
}

/* ---- labels JSONL ---------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_labels_roundtrip(void)
{
	or_labels l, back;
	or_labels_init(&l);
	or_labels_init(&back);
	or_err err;
	uint32_t aid[6] = { 1, 2, 3, 4, 3, 0 };
	uint8_t type[6] = { 0, 0, 1, 2, 1, 1 };
	int64_t ts[6];
	or_session s = mk(12899779, 6, aid, ts, type);
	CHECK_INT(or_labels_add_cut(&l, &s, 1, &err), OR_OK);
	s.id = 7;
	CHECK_INT(or_labels_add_cut(&l, &s, 5, &err), OR_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/rt_labels.jsonl", check_tmpdir());
	CHECK_INT(or_labels_write_jsonl(&l, path, &err), OR_OK);
	const char *text = slurp(path);
	CHECK(text && !strcmp(text,
		"{\"session\":12899779,\"labels\":{\"clicks\":2,\"carts\":[3,0],\"orders\":[4]}}\n"
		"{\"session\":7,\"labels\":{\"carts\":[0]}}\n"));
	CHECK_INT(or_labels_read(&back, path, 0, NULL, &err), OR_OK);
	CHECK_INT(back.n, 2);
	if (back.n == 2) {
		CHECK_INT(back.rows[0].session, 12899779);
		CHECK_INT(back.rows[0].click, 2);
		CHECK_INT(back.rows[0].n_carts, 2);
		CHECK_INT(back.aids[back.rows[0].carts_at + 1], 0);
		CHECK_INT(back.rows[1].click, -1);
		CHECK_INT(back.rows[1].n_orders, 0);
	}
	or_labels_release(&back);
	or_labels_release(&l);
}

static void test_labels_reader_tolerant(void)
{
	/* Python's json.dumps spacing, other key order, unknown keys, null and
	   0 clicks, repeated aids (a set), CRLF, blank lines, a long list */
	char text[16384];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s",
		"{\"session\": 1, \"labels\": {\"clicks\": 5, \"carts\": [1, 2, 1], \"orders\": [2]}}\n"
		"  {\"labels\":{\"orders\":[],\"extra\":{\"a\":[1,{\"b\":null}],\"c\":\"x\\\"y\"},\"clicks\":null},\"meta\":[true,false,1.5e3],\"session\":2}\r\n"
		"\n"
		"{\"session\":3,\"labels\":{\"clicks\":0}}\n"
		"{\"session\":4,\"labels\":{}}\n"
		"{\"\\u0073ession\":5,\"labels\":{\"carts\":[");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%d", i ? "," : "", i % 150);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "]}}");
	const char *path = check_write_file("tolerant.jsonl", text, n);
	or_labels l;
	or_labels_init(&l);
	or_err err;
	int rc = or_labels_read(&l, path, 0, NULL, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	CHECK_INT(l.n, 5);
	if (l.n == 5) {
		CHECK_INT(l.rows[0].click, 5);
		CHECK_INT(l.rows[0].n_carts, 2);
		CHECK_INT(l.rows[0].n_orders, 1);
		CHECK_INT(l.rows[1].session, 2);
		CHECK_INT(l.rows[1].click, -1);
		CHECK_INT(l.rows[1].n_orders, 0);
		CHECK_INT(l.rows[2].click, 0);
		CHECK_INT(l.rows[3].n_carts + l.rows[3].n_orders, 0);
		CHECK_INT(l.rows[4].session, 5);
		CHECK_INT(l.rows[4].n_carts, 150);
		CHECK_INT(l.aids[l.rows[4].carts_at + 149], 149);
	}
	or_labels_release(&l);

	/* gzip */
	char gz[512];
	snprintf(gz, sizeof(gz), "%s/labels.jsonl.gz", check_tmpdir());
	gzFile g = gzopen(gz, "wb");
	const char *line = "{\"session\":9,\"labels\":{\"clicks\":3}}\n";
	gzwrite(g, line, (unsigned)strlen(line));
	gzclose(g);
	or_labels_init(&l);
	CHECK_INT(or_labels_read(&l, gz, 0, NULL, &err), OR_OK);
	CHECK_INT(l.n, 1);
	or_labels_release(&l);
}

static void expect_read_error(const char *name, const char *text, const char *msg)
{
	const char *path = check_write_file(name, text, strlen(text));
	or_labels l;
	or_labels_init(&l);
	or_err err;
	or_err_clear(&err);
	int rc = or_labels_read(&l, path, 0, NULL, &err);
	CHECK_INT(rc, OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, msg);
	or_labels_release(&l);
}

static void test_labels_reader_errors(void)
{
	expect_read_error("dup.jsonl",
		"{\"session\":1,\"labels\":{}}\n{\"session\":2,\"labels\":{}}\n{\"session\":1,\"labels\":{}}\n",
		"dup.jsonl:3: session 1 appears a second time");
	expect_read_error("frac.jsonl", "{\"session\":1,\"labels\":{\"clicks\":1.5}}\n",
		"frac.jsonl:1:33: expected an integer");
	expect_read_error("neg.jsonl", "{\"session\":1,\"labels\":{\"carts\":[1,-2]}}\n",
		"neg.jsonl:1:35: aid outside 0..4294967295");
	expect_read_error("nolabels.jsonl", "\n{\"session\":1}\n", "nolabels.jsonl:2:14: missing \"labels\"");
	expect_read_error("nosession.jsonl", "{\"labels\":{}}\n", "nosession.jsonl:1:14: missing \"session\"");
	expect_read_error("trunc.jsonl", "{\"session\":1,\"labels\":{\"carts\":[1,2\n",
		"trunc.jsonl:1:36: expected ',' or ']'");
	expect_read_error("trail.jsonl", "{\"session\":1,\"labels\":{}} x\n",
		"trail.jsonl:1:27: unexpected text after the object");
	expect_read_error("repeat.jsonl", "{\"session\":1,\"labels\":{\"carts\":[1],\"carts\":[2]}}\n",
		"repeat.jsonl:1:36: key repeated");
	expect_read_error("list.jsonl", "{\"session\":1,\"labels\":{\"clicks\":[1]}}\n",
		"list.jsonl:1:33: expected the click label");
	expect_read_error("notjson.jsonl", "session,labels\n", "notjson.jsonl:1:1: expected '{'");
	expect_read_error("str.jsonl", "{\"session\":\"1\",\"labels\":{}}\n",
		"str.jsonl:1:12: expected the session id");
}

/* ---- the split ---------------------------------------------------------- */

#define DAY 86400000LL
#define HOUR 3600000LL
#define T0 (1000 * DAY)

typedef struct ev {
	uint32_t aid;
	int64_t ts;
	uint8_t type;
} ev;

/* The sessions of tests/ref: the same data as the cross-check's unit case
   (see the comment at test_split_rule). */
static const char *build_input(void)
{
	static const struct {
		int64_t id;
		int n;
		ev e[8];
	} S[] = {
		{ 10, 4, { { 1, T0, 0 }, { 0, T0 + HOUR, 0 }, { 2, T0 + 2 * HOUR, 1 }, { 3, T0 + 3 * HOUR, 0 } } },
		{ 11, 3, { { 4, T0 + DAY, 0 }, { 5, T0 + 2 * DAY, 0 }, { 6, T0 + 3 * DAY + HOUR, 2 } } },
		{ 12, 2, { { 1, T0 + 3 * DAY, 0 }, { 2, T0 + 3 * DAY, 0 } } },
		{ 13, 3, { { 1, T0 + 2 * DAY, 0 }, { 2, T0 + 3 * DAY, 0 }, { 3, T0 + 3 * DAY + 5, 0 } } },
		{ 20, 8, { { 1, T0 + 3 * DAY + 1, 0 }, { 0, T0 + 3 * DAY + 2, 0 }, { 2, T0 + 3 * DAY + 3, 0 },
			   { 3, T0 + 3 * DAY + 4, 1 }, { 9, T0 + 3 * DAY + 5, 0 }, { 2, T0 + 3 * DAY + 6, 2 },
			   { 1, T0 + 3 * DAY + 7, 1 }, { 3, T0 + 3 * DAY + 8, 1 } } },
		{ 21, 2, { { 7, T0 + 4 * DAY, 0 }, { 1, T0 + 4 * DAY, 0 } } },
		{ 22, 2, { { 2, T0 + 4 * DAY, 0 }, { 3, T0 + 4 * DAY + 1, 0 } } },
		{ 5, 3, { { 3, T0 + DAY, 2 }, { 4, T0 + DAY, 1 }, { 5, T0 + 5 * DAY, 0 } } },
		{ 23, 5, { { 1, T0 + 3 * DAY + 9, 0 }, { 2, T0 + 3 * DAY + 10, 0 }, { 0, T0 + 3 * DAY + 11, 0 },
			   { 3, T0 + 3 * DAY + 12, 0 }, { 4, T0 + 3 * DAY + 13, 1 } } },
	};
	or_store_builder *b = NULL;
	or_err err;
	if (or_store_builder_new(&b, &err))
		return NULL;
	for (size_t i = 0; i < sizeof(S) / sizeof(S[0]); i++) {
		uint32_t aid[8];
		int64_t ts[8];
		uint8_t type[8];
		for (int k = 0; k < S[i].n; k++) {
			aid[k] = S[i].e[k].aid;
			ts[k] = S[i].e[k].ts;
			type[k] = S[i].e[k].type;
		}
		if (or_store_builder_add(b, S[i].id, (size_t)S[i].n, aid, ts, type, &err)) {
			fprintf(stderr, "  builder: %s\n", err.msg);
			or_store_builder_free(b);
			return NULL;
		}
	}
	static char path[512];
	snprintf(path, sizeof(path), "%s/split_in.store", check_tmpdir());
	int rc = or_store_builder_write(b, path, NULL, &err);
	or_store_builder_free(b);
	return rc ? NULL : path;
}

typedef struct split_out {
	or_store_builder *train, *test;
	or_labels labels;
	or_split_stats st;
	or_store *tr, *te;
} split_out;

static int run_split(const char *in_path, int64_t seed, split_out *o)
{
	memset(o, 0, sizeof(*o));
	or_err err;
	or_store *in = NULL;
	if (or_store_open(in_path, &in, &err))
		return -1;
	or_split_config cfg;
	or_split_config_default(&cfg);
	cfg.seed = seed;
	or_labels_init(&o->labels);
	int rc = or_store_builder_new(&o->train, &err) || or_store_builder_new(&o->test, &err);
	if (!rc)
		rc = or_split_store(in, &cfg, o->train, o->test, &o->labels, &o->st, NULL, &err);
	if (rc)
		fprintf(stderr, "  split: %s\n", err.msg);
	char p1[512], p2[512];
	snprintf(p1, sizeof(p1), "%s/tr.store", check_tmpdir());
	snprintf(p2, sizeof(p2), "%s/te.store", check_tmpdir());
	if (!rc)
		rc = or_store_builder_write(o->train, p1, NULL, &err) ||
		     or_store_builder_write(o->test, p2, NULL, &err) ||
		     or_store_open(p1, &o->tr, &err) || or_store_open(p2, &o->te, &err);
	or_store_free(in);
	return rc;
}

static void free_split(split_out *o)
{
	or_store_builder_free(o->train);
	or_store_builder_free(o->test);
	or_store_free(o->tr);
	or_store_free(o->te);
	or_labels_release(&o->labels);
}

/*
 * Expected values: tests/ref/otto_testset.py on the same sessions as JSONL
 * (max_ts = T0 + 5 days, split_ts = T0 + 3 days):
 *   train: 10 (4 events), 11 (2: the order after split_ts is cut), 5 (2);
 *          12 starts exactly at split_ts: not test, trimmed to nothing;
 *          13 keeps 1 event: dropped.
 *   test candidates 20, 21, 22, 23; 20 loses aid 9 (not in train), 21
 *   loses aid 7 and is dropped.  Seed 28 draws cuts 1, 1, 2:
 *   {"session": 20, "labels": {"carts": [1, 3], "orders": [2]}}   (next click aid 0)
 *   {"session": 22, "labels": {"clicks": 3}}
 *   {"session": 23, "labels": {"carts": [4]}}                     (next click aid 0)
 *   Seed 42 draws cuts 6, 1, 1: 20 -> carts [3]; 23 -> clicks 2, carts [4].
 */
static void test_split_rule(void)
{
	const char *in = build_input();
	CHECK(in != NULL);
	if (!in)
		return;
	split_out o;
	CHECK_INT(run_split(in, 28, &o), 0);
	CHECK_INT(o.st.max_ts, T0 + 5 * DAY);
	CHECK_INT(o.st.split_ts, T0 + 3 * DAY);
	CHECK_INT(o.st.train_sessions, 3);
	CHECK_INT(o.st.train_dropped, 2);
	CHECK_INT(o.st.test_candidates, 4);
	CHECK_INT(o.st.test_unknown_events, 2);
	CHECK_INT(o.st.test_dropped, 1);
	CHECK_INT(o.st.test_sessions, 3);
	CHECK_INT(o.st.train_items, 6); /* 0..5 (aid 6 is after split_ts) */
	if (o.tr && o.te) {
		static const int64_t tr_ids[3] = { 10, 11, 5 };
		static const size_t tr_n[3] = { 4, 2, 2 };
		CHECK_INT(or_store_n_sessions(o.tr), 3);
		for (size_t i = 0; i < 3 && i < or_store_n_sessions(o.tr); i++) {
			or_session s;
			or_store_session(o.tr, i, &s);
			CHECK_INT(s.id, tr_ids[i]);
			CHECK_INT(s.n, tr_n[i]);
		}
		static const int64_t te_ids[3] = { 20, 22, 23 };
		static const size_t te_n[3] = { 1, 1, 2 };
		CHECK_INT(or_store_n_sessions(o.te), 3);
		for (size_t i = 0; i < 3 && i < or_store_n_sessions(o.te); i++) {
			or_session s;
			or_store_session(o.te, i, &s);
			CHECK_INT(s.id, te_ids[i]);
			CHECK_INT(s.n, te_n[i]);
		}
	}
	CHECK_INT(o.labels.n, 3);
	if (o.labels.n == 3) {
		const or_label *r = o.labels.rows;
		const uint32_t *a = o.labels.aids;
		CHECK_INT(r[0].session, 20);
		CHECK_INT(r[0].click, -1); /* the aid-0 quirk */
		CHECK_INT(r[0].n_carts, 2);
		CHECK_INT(a[r[0].carts_at], 3); /* first seen after the cut */
		CHECK_INT(a[r[0].carts_at + 1], 1);
		CHECK_INT(r[0].n_orders, 1);
		CHECK_INT(a[r[0].orders_at], 2);
		CHECK_INT(r[1].click, 3);
		CHECK_INT(r[1].n_carts + r[1].n_orders, 0);
		CHECK_INT(r[2].click, -1); /* the aid-0 quirk again */
		CHECK_INT(r[2].n_carts, 1);
		CHECK_INT(a[r[2].carts_at], 4);
	}
	free_split(&o);

	CHECK_INT(run_split(in, 42, &o), 0);
	CHECK_INT(o.labels.n, 3);
	if (o.labels.n == 3 && o.te) {
		or_session s;
		or_store_session(o.te, 0, &s);
		CHECK_INT(s.n, 6);
		CHECK_INT(o.labels.rows[0].click, -1);
		CHECK_INT(o.labels.rows[0].n_carts, 1);
		CHECK_INT(o.labels.rows[2].click, 2);
	}
	free_split(&o);
}

static void test_split_empty_and_bad_args(void)
{
	or_store_builder *b = NULL, *train = NULL, *test = NULL;
	or_err err;
	char path[512];
	snprintf(path, sizeof(path), "%s/empty.store", check_tmpdir());
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *in = NULL;
	CHECK_INT(or_store_open(path, &in, &err), OR_OK);
	or_labels l;
	or_labels_init(&l);
	or_store_builder_new(&train, &err);
	or_store_builder_new(&test, &err);
	or_split_config cfg;
	or_split_config_default(&cfg);
	CHECK_INT(cfg.days, 2);
	CHECK_INT(cfg.seed, 42);
	if (in) {
		CHECK_INT(or_split_store(in, &cfg, train, test, &l, NULL, NULL, &err), OR_OK);
		CHECK_INT(or_store_builder_n_sessions(train) + or_store_builder_n_sessions(test), 0);
		cfg.days = -1;
		CHECK_INT(or_split_store(in, &cfg, train, test, &l, NULL, NULL, &err), OR_EINVAL);
	}
	or_store_free(in);
	or_store_builder_free(train);
	or_store_builder_free(test);
	or_labels_release(&l);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_pyrandom_getrandbits32);
	RUN_TEST(test_pyrandom_randint);
	RUN_TEST(test_ground_truth);
	RUN_TEST(test_labels_roundtrip);
	RUN_TEST(test_labels_reader_tolerant);
	RUN_TEST(test_labels_reader_errors);
	RUN_TEST(test_split_rule);
	RUN_TEST(test_split_empty_and_bad_args);
	CHECK_MAIN_END
}
