/*
 * test_metrics.c - unit tests of lib/rec/or_metrics.c (Recall@20 and the
 * weighted score, evaluate.py's edge cases worked out by hand) and
 * lib/io/or_submission.c (the submission CSV reader: header, CRLF, blank
 * lines, malformed lines with their line and column, lenient mode).
 */
#include "check.h"
#include "or_labels.h"
#include "or_metrics.h"
#include "or_submission.h"

static void test_kernels(void)
{
	int64_t p[25];
	for (int i = 0; i < 25; i++)
		p[i] = 100 + i;
	CHECK_INT(or_metrics_click_hit(100, p, 25), 1);
	CHECK_INT(or_metrics_click_hit(119, p, 25), 1);
	CHECK_INT(or_metrics_click_hit(120, p, 25), 0); /* 21st: cut off */
	CHECK_INT(or_metrics_click_hit(100, p, 0), 0);
	uint32_t truth[4] = { 119, 120, 100, 5 };
	CHECK_INT(or_metrics_set_hits(truth, 4, p, 25), 2);
	int64_t dup[5] = { 5, 5, 5, 100, -1 };
	CHECK_INT(or_metrics_set_hits(truth, 4, dup, 5), 2); /* repeats count once */
	CHECK_INT(or_metrics_set_hits(truth, 0, dup, 5), 0);
	int64_t big[2] = { (int64_t)5 + ((int64_t)1 << 32), 5 };
	CHECK_INT(or_metrics_set_hits(truth, 4, big, 2), 1); /* no uint32 wrap */
}

/* Labels for the hand-worked case. */
static void make_labels(or_labels *l)
{
	const char *text =
		"{\"session\":1,\"labels\":{\"clicks\":5,\"carts\":[1,2,3],\"orders\":[2]}}\n"
		"{\"session\":2,\"labels\":{\"clicks\":0,\"carts\":[7]}}\n"
		"{\"session\":3,\"labels\":{}}\n"
		"{\"session\":4,\"labels\":{\"clicks\":9,\"orders\":[100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124]}}\n"
		"{\"session\":5,\"labels\":{\"carts\":[4]}}\n";
	const char *path = check_write_file("m_labels.jsonl", text, strlen(text));
	or_err err;
	or_labels_init(l);
	if (or_labels_read(l, path, 0, NULL, &err))
		fprintf(stderr, "  %s\n", err.msg);
}

/*
 * By hand (evaluate.py's rules):
 *   clicks: truth s1, s4 (s2's label 0 is falsy) = 2; s1 hits (5 in 1 2 5),
 *           s4 misses (9 is 21st) -> 1/2
 *   carts:  truth 3 (s1) + 1 (s2) + 1 (s5, no row) = 5; s1 {3,1} = 2, s2's
 *           row "7" replaced by "8" -> 0 -> 2/5
 *   orders: truth 1 (s1) + min(25, 20) (s4) = 21; s1 has no orders row
 *           (a miss; Python: KeyError), s4 first 20 of 100..124 -> 20/21
 *   score = ((0.0 + 0.5*0.1) + 0.4*0.3) + (20/21)*0.6 = 0.7414285714285713
 *   (CPython repr).
 */
static const char SUB[] =
	"session_type,labels\r\n"
	"1_clicks,1 2 5\r\n"
	"1_carts,3 3 1 9\r\n"
	"2_clicks,0\r\n"
	"2_carts,7\r\n"
	"\r\n"
	"4_clicks,1 2 3 4 5 6 7 8 10 11 12 13 14 15 16 17 18 19 20 21 9\r\n"
	"4_orders,100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123 124\r\n"
	"99_clicks,5\r\n"
	"2_carts,8\r\n"
	"3_orders,\r\n";

static void test_hand_case(void)
{
	or_labels l;
	make_labels(&l);
	CHECK_INT(l.n, 5);
	const char *path = check_write_file("m_sub.csv", SUB, strlen(SUB));
	or_recall r;
	or_submission_stats st;
	or_err err;
	int rc = or_metrics_evaluate(&l, path, NULL, &r, &st, NULL, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK_INT(rc, OR_OK);
	CHECK_INT(r.truth[0], 2);
	CHECK_INT(r.truth[1], 5);
	CHECK_INT(r.truth[2], 21);
	CHECK_INT(r.hits[0], 1);
	CHECK_INT(r.hits[1], 2);
	CHECK_INT(r.hits[2], 20);
	CHECK(r.recall[0] == 0.5);
	CHECK(r.recall[1] == 0.4);
	CHECK(r.recall[2] == 20.0 / 21.0);
	CHECK(r.score == 0.7414285714285713);
	CHECK_INT(r.sessions, 5);
	CHECK_INT(r.sessions_predicted, 4);
	CHECK_INT(r.missing[1], 1); /* s5 */
	CHECK_INT(r.missing[2], 1); /* s1 orders */
	CHECK_INT(r.rows, 9);
	CHECK_INT(r.rows_unknown, 1);
	CHECK_INT(r.rows_replaced, 1);
	CHECK_INT(st.blank, 1);
	CHECK_INT(st.header_is_row, 0);
	CHECK_INT(st.lines, 11);
	or_labels_release(&l);
}

/* The hand case by groups: session 4 (label row 3) alone, rows 0-2 in
   group 1, row 4 in none; the groups' hits and truths add up. */
static void test_groups(void)
{
	or_labels l;
	make_labels(&l);
	const char *path = check_write_file("m_sub.csv", SUB, strlen(SUB));
	uint8_t group[5] = { 1, 1, 1, 0, 9 };
	or_recall all, g[2];
	or_err err;
	CHECK_INT(or_metrics_evaluate_groups(&l, path, NULL, group, 2, g, &all, NULL, NULL, &err), OR_OK);
	CHECK_INT(g[0].sessions, 1);
	CHECK_INT(g[1].sessions, 3);
	CHECK_INT(g[0].truth[2], 20); /* 25 orders, capped */
	for (int t = 0; t < 3; t++) {
		CHECK(g[0].hits[t] + g[1].hits[t] <= all.hits[t]);
		CHECK(g[0].truth[t] + g[1].truth[t] <= all.truth[t]);
	}
	CHECK_INT(g[0].hits[2] + g[1].hits[2], all.hits[2]); /* s5 has no orders */
	CHECK(g[0].score == or_metrics_score(g[0].recall));
	or_labels_release(&l);
	/* the length buckets */
	static const uint64_t len[] = { 1, 2, 3, 4, 5, 9, 10, 19, 20, 49, 50, 1000000 };
	static const unsigned want[] = { 0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6 };
	for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++)
		CHECK_INT(or_length_bucket(len[i]), want[i]);
	CHECK(!strcmp(or_length_bucket_names[2], "3-4") && !strcmp(or_length_bucket_names[6], "50+"));
}

static void test_no_rows_and_zero_truth(void)
{
	or_labels l;
	or_labels_init(&l);
	const char *text = "{\"session\":1,\"labels\":{\"clicks\":3}}\n";
	const char *lp = check_write_file("z_labels.jsonl", text, strlen(text));
	or_err err;
	CHECK_INT(or_labels_read(&l, lp, 0, NULL, &err), OR_OK);
	/* an empty submission: every label is a miss; carts/orders have no
	   truth (Python: ZeroDivisionError), recall 0 */
	const char *sp = check_write_file("z_sub.csv", "", 0);
	or_recall r;
	CHECK_INT(or_metrics_evaluate(&l, sp, NULL, &r, NULL, NULL, &err), OR_OK);
	CHECK(r.recall[0] == 0.0 && r.recall[1] == 0.0 && r.recall[2] == 0.0 && r.score == 0.0);
	CHECK_INT(r.truth[0], 1);
	CHECK_INT(r.missing[0], 1);
	/* no header: the first row is lost, as evaluate.py loses it */
	sp = check_write_file("z_sub2.csv", "1_clicks,3\n", 11);
	or_submission_stats st;
	CHECK_INT(or_metrics_evaluate(&l, sp, NULL, &r, &st, NULL, &err), OR_OK);
	CHECK_INT(st.header_is_row, 1);
	CHECK_INT(r.hits[0], 0);
	sp = check_write_file("z_sub3.csv", "x\n1_clicks,3", 12); /* no final newline */
	CHECK_INT(or_metrics_evaluate(&l, sp, NULL, &r, &st, NULL, &err), OR_OK);
	CHECK_INT(st.header_is_row, 0);
	CHECK(r.score == 0.1);
	or_labels_release(&l);
}

static void test_parse_line(void)
{
	int64_t a[20];
	or_sub_row row;
	or_err err;
	const char *ok = "  12_orders,1 -2 +3 99999999999999999999\r";
	CHECK_INT(or_submission_parse_line(ok, strlen(ok), a, 20, &row, &err), OR_OK);
	CHECK_INT(row.session, 12);
	CHECK_INT(row.type, 2);
	CHECK_INT(row.n, 4);
	CHECK_INT(a[1], -2);
	CHECK_INT(a[2], 3);
	CHECK_INT(a[3], -1); /* beyond int64: matches nothing */
	const char *empty = "5_carts,";
	CHECK_INT(or_submission_parse_line(empty, strlen(empty), a, 20, &row, &err), OR_OK);
	CHECK_INT(row.n, 0);
	const char *many = "5_clicks,1 2 3 4 5";
	CHECK_INT(or_submission_parse_line(many, strlen(many), a, 3, &row, &err), OR_OK);
	CHECK_INT(row.n, 5);
	CHECK_INT(row.n_kept, 3);
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "5_clicks", "col 9: expected SESSION_TYPE,AIDS" },
		{ "5_clicks,1,2", "col 11: a second ','" },
		{ "5clicks,1", "col 1: expected SESSION_TYPE such as 42_clicks" },
		{ "5_click_s,1", "col 8: a second '_'" },
		{ "x_clicks,1", "col 1: session id is not an integer" },
		{ "99999999999999999999_clicks,1", "col 1: session id out of range" },
		{ "5_click,1", "col 3: type must be clicks, carts or orders" },
		{ "5_clicks,1  2", "col 12: empty aid" },
		{ "5_clicks, 1", "col 10: empty aid" },
		{ "5_clicks,1 x", "col 12: aid is not an integer" },
		{ "5_clicks,1.0", "col 10: aid is not an integer" },
		{ "5_clicks,1\t2", "col 10: aid is not an integer" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		or_err_clear(&err);
		CHECK_INT(or_submission_parse_line(bad[i].line, strlen(bad[i].line), a, 20, &row, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, bad[i].msg);
	}
}

static int count_row(void *ctx, const or_sub_row *row, or_err *err)
{
	(void)err;
	(*(uint64_t *)ctx) += row->line;
	return 0;
}

static void test_reader_errors_and_lenient(void)
{
	const char *text = "session_type,labels\n1_clicks,1\n2_clicks,1 x\n3_carts,2\n4_cart,1\n";
	const char *path = check_write_file("bad_sub.csv", text, strlen(text));
	or_submission_config cfg;
	or_submission_config_default(&cfg);
	or_submission_stats st;
	or_err err;
	uint64_t sum = 0;
	CHECK_INT(or_submission_read(path, &cfg, count_row, &sum, &st, NULL, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "bad_sub.csv:3:12: aid is not an integer");
	cfg.lenient = 1;
	sum = 0;
	CHECK_INT(or_submission_read(path, &cfg, count_row, &sum, &st, NULL, &err), OR_OK);
	CHECK_INT(st.malformed, 2);
	CHECK_INT(st.rows, 2);
	CHECK_INT(sum, 2 + 4); /* lines of the good rows */
	CHECK_INT(st.first_malformed_line, 3);
	CHECK_STR_CONTAINS(st.first_malformed, "bad_sub.csv:3:12: aid is not an integer");
	CHECK_INT(or_submission_read("/nonexistent/sub.csv", &cfg, count_row, &sum, &st, NULL, &err), OR_EIO);
	CHECK_STR_CONTAINS(err.msg, "cannot open /nonexistent/sub.csv");
}

static void test_eval_duplicate_labels(void)
{
	or_labels l;
	or_labels_init(&l);
	uint32_t aid[2] = { 1, 2 };
	int64_t ts[2] = { 1, 2 };
	uint8_t type[2] = { 0, 0 };
	or_session s = { 7, 2, aid, ts, type };
	or_err err;
	or_labels_add_cut(&l, &s, 1, &err);
	or_labels_add_cut(&l, &s, 1, &err);
	or_eval *ev = NULL;
	CHECK_INT(or_eval_new(&l, &ev, &err), OR_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "session 7 twice");
	CHECK(ev == NULL);
	or_labels_release(&l);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_kernels);
	RUN_TEST(test_hand_case);
	RUN_TEST(test_groups);
	RUN_TEST(test_no_rows_and_zero_truth);
	RUN_TEST(test_parse_line);
	RUN_TEST(test_reader_errors_and_lenient);
	RUN_TEST(test_eval_duplicate_labels);
	CHECK_MAIN_END
}
