/*
 * cmd_evaluate.c - `ottorec evaluate`: Recall@20 per type and the weighted
 * score of a submission CSV against labels JSONL, exactly as the OTTO
 * organiser's evaluate.py.  Owns the command's options, usage text and
 * report (with --by-length, the same by session length, the sessions'
 * lengths from the test store); the metric is lib/rec/or_metrics.c, the
 * reader lib/io/or_submission.c.
 */
#include "cli.h"
#include "or_idset.h"
#include "or_labels.h"
#include "or_metrics.h"
#include "or_store.h"
#include "or_submission.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "evaluate";

static const char usage_text[] =
	"usage: ottorec evaluate --labels LABELS [--by-length --test TEST] [--lenient]\n"
	"                        [--json] SUBMISSION.csv\n"
	"\n"
	"Score a submission exactly as the OTTO organiser's evaluate.py does:\n"
	"Recall@20 for clicks, carts and orders and the score\n"
	"0.10 * clicks + 0.30 * carts + 0.60 * orders.\n"
	"  clicks  a session with a click label scores 1 when it is in the first\n"
	"          20 aids (a click label of aid 0 does not count, as in Python);\n"
	"  carts, orders  |set(first 20 aids) & label set| hits over\n"
	"          sum min(|label set|, 20).\n"
	"Sessions without labels are ignored; labelled sessions without a row score\n"
	"0 for it; a later row for the same session and type replaces an earlier one.\n"
	"\n"
	"LABELS is the organiser's labels JSONL (as `ottorec split` writes it).\n"
	"SUBMISSION is session_type,labels CSV: its first line is skipped as the\n"
	"header (as evaluate.py does: a warning says when it looks like a row);\n"
	"rows like 42_clicks,1 2 3.  Either may be gzipped; \"-\" is standard input.\n"
	"\n"
	"options:\n"
	"      --labels LABELS  the ground truth (required)\n"
	"      --by-length      also the recalls and score by session length (events\n"
	"                       in the test session: 1, 2, 3-4, 5-9, 10-19, 20-49, 50+)\n"
	"      --test TEST      the test sessions' store (for --by-length)\n"
	"      --lenient        skip malformed submission lines and report how many\n"
	"                       (default: the first one is an error naming its line)\n"
	"      --json           print a one-line JSON result on stdout\n"
	"  -q, --quiet          no progress line, no warnings about coverage\n"
	"  -h, --help           this text\n";

static const char *const type_names[3] = { "clicks", "carts", "orders" };

static void json_exact(cli_json *j, const char *key, double v)
{
	char num[40];
	snprintf(num, sizeof(num), "%.17g", v);
	cli_json_raw(j, key, num);
}

/* The length bucket of each label row (OR_LENGTH_BUCKETS: not in the
   store) from the sessions of the store at path; *group malloc'd. */
static int length_groups(const or_labels *labels, const char *path, uint8_t **group,
			 size_t *unmatched, or_err *err)
{
	*group = NULL;
	or_store *st = NULL;
	int rc = or_store_open(path, &st, err);
	if (rc)
		return rc;
	or_idset row_of;
	uint8_t *g = malloc(labels->n + 1);
	if (!g || or_idset_init_map(&row_of, labels->n)) {
		free(g);
		or_store_free(st);
		return or_err_set(err, OR_ENOMEM, "out of memory for %zu labels", labels->n);
	}
	memset(g, OR_LENGTH_BUCKETS, labels->n + 1);
	for (size_t r = 0; r < labels->n && !rc; r++) {
		int added;
		uint64_t *v = or_idset_put(&row_of, labels->rows[r].session, &added);
		if (!v)
			rc = or_err_set(err, OR_ENOMEM, "out of memory for %zu labels", labels->n);
		else
			*v = r;
	}
	const int64_t *ids = or_store_session_ids(st);
	const uint64_t *off = or_store_offsets(st);
	for (size_t i = 0; !rc && i < or_store_n_sessions(st); i++) {
		uint64_t r;
		if (or_idset_get(&row_of, ids[i], &r))
			g[r] = (uint8_t)or_length_bucket(off[i + 1] - off[i]);
	}
	*unmatched = 0;
	for (size_t r = 0; r < labels->n; r++)
		*unmatched += g[r] == OR_LENGTH_BUCKETS;
	or_idset_release(&row_of);
	or_store_free(st);
	if (rc)
		free(g);
	else
		*group = g;
	return rc;
}

/* "key":[v of each bucket] (null where the bucket has no truth of the type;
   type 3: the score, null when the bucket has no labelled session). */
static void bucket_array(char *buf, size_t n, const or_recall *b, int type)
{
	size_t len = (size_t)snprintf(buf, n, "[");
	for (int k = 0; k < OR_LENGTH_BUCKETS && len < n; k++) {
		int have = type < 3 ? b[k].truth[type] > 0 : b[k].sessions > 0;
		double v = type < 3 ? b[k].recall[type] : b[k].score;
		len += (size_t)snprintf(buf + len, n - len, have ? "%s%.6g" : "%snull", k ? "," : "", v);
	}
	if (len < n)
		snprintf(buf + len, n - len, "]");
}

int cmd_evaluate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "labels", required_argument, NULL, 'l' },
		{ "lenient", no_argument, NULL, 'L' },
		{ "by-length", no_argument, NULL, 'B' },
		{ "test", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *labels_path = NULL, *test_path = NULL;
	int json = 0, quiet = 0, by_length = 0, c;
	or_submission_config scfg;
	or_submission_config_default(&scfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': labels_path = optarg; break;
		case 'L': scfg.lenient = 1; break;
		case 'B': by_length = 1; break;
		case 'T': test_path = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_bad_option(CMD, argv, "qh", opts);
		}
	}
	if (!labels_path)
		return cli_usage_error(CMD, "give the ground truth with --labels LABELS");
	if (by_length != (test_path != NULL))
		return cli_usage_error(CMD, by_length ? "--by-length needs the test sessions' store: --test TEST"
						      : "--test is for --by-length");
	if (argc - optind != 1)
		return cli_usage_error(CMD, argc - optind < 1 ? "no SUBMISSION given" : "give exactly one SUBMISSION");
	const char *sub_path = argv[optind];
	if (!strcmp(sub_path, "-") && !strcmp(labels_path, "-"))
		return cli_usage_error(CMD, "labels and submission cannot both be standard input");
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_labels labels;
	or_labels_init(&labels);
	int rc = or_labels_read(&labels, labels_path, 0, cli_log(), &err);
	double t_labels = cli_now() - t0;
	or_recall res, bucket[OR_LENGTH_BUCKETS];
	or_submission_stats st;
	memset(&st, 0, sizeof(st));
	uint8_t *group = NULL;
	size_t unmatched = 0;
	if (!rc && by_length)
		rc = length_groups(&labels, test_path, &group, &unmatched, &err);
	if (!rc)
		rc = or_metrics_evaluate_groups(&labels, sub_path, &scfg, group, OR_LENGTH_BUCKETS, bucket,
						&res, &st, cli_log(), &err);
	free(group);
	or_labels_release(&labels);
	cli_progress_done();
	if (rc)
		return cli_fail(CMD, &err);
	double wall = cli_now() - t0;

	if (st.header_is_row)
		fprintf(stderr, "warning: the first line of %s looks like a prediction row; it was skipped as the header (as evaluate.py does)\n", sub_path);
	if (st.malformed)
		fprintf(stderr, "warning: skipped %llu malformed line%s (first: %s)\n",
			(unsigned long long)st.malformed, st.malformed == 1 ? "" : "s", st.first_malformed);
	for (int t = 0; t < 3; t++)
		if (!res.truth[t])
			fprintf(stderr, "warning: no %s labels; %s recall reported as 0 (evaluate.py would stop with ZeroDivisionError)\n",
				type_names[t], type_names[t]);
	if (!quiet) {
		if (res.sessions_predicted < res.sessions)
			fprintf(stderr, "note: %llu of %llu labelled sessions have no row (counted as misses)\n",
				(unsigned long long)(res.sessions - res.sessions_predicted),
				(unsigned long long)res.sessions);
		if (res.rows_unknown)
			fprintf(stderr, "note: %llu rows are for sessions without labels (ignored)\n",
				(unsigned long long)res.rows_unknown);
		if (res.rows_replaced)
			fprintf(stderr, "note: %llu rows repeat a session and type; the later row counts\n",
				(unsigned long long)res.rows_replaced);
	}
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		for (int t = 0; t < 3; t++)
			json_exact(&j, type_names[t], res.recall[t]);
		json_exact(&j, "total", res.score);
		for (int t = 0; t < 3; t++) {
			char key[32];
			snprintf(key, sizeof(key), "%s_hits", type_names[t]);
			cli_json_int(&j, key, (long long)res.hits[t]);
			snprintf(key, sizeof(key), "%s_truth", type_names[t]);
			cli_json_int(&j, key, (long long)res.truth[t]);
			snprintf(key, sizeof(key), "%s_missing", type_names[t]);
			cli_json_int(&j, key, (long long)res.missing[t]);
		}
		cli_json_int(&j, "sessions", (long long)res.sessions);
		cli_json_int(&j, "sessions_predicted", (long long)res.sessions_predicted);
		cli_json_int(&j, "rows", (long long)res.rows);
		cli_json_int(&j, "rows_unknown", (long long)res.rows_unknown);
		cli_json_int(&j, "rows_replaced", (long long)res.rows_replaced);
		cli_json_int(&j, "malformed_lines", (long long)st.malformed);
		cli_json_int(&j, "blank_lines", (long long)st.blank);
		if (by_length) {
			char raw[1024], key[32];
			size_t len = (size_t)snprintf(raw, sizeof(raw), "[");
			for (int k = 0; k < OR_LENGTH_BUCKETS; k++)
				len += (size_t)snprintf(raw + len, sizeof(raw) - len, "%s\"%s\"", k ? "," : "",
							or_length_bucket_names[k]);
			snprintf(raw + len, sizeof(raw) - len, "]");
			cli_json_raw(&j, "length_buckets", raw);
			len = (size_t)snprintf(raw, sizeof(raw), "[");
			for (int k = 0; k < OR_LENGTH_BUCKETS; k++)
				len += (size_t)snprintf(raw + len, sizeof(raw) - len, "%s%llu", k ? "," : "",
							(unsigned long long)bucket[k].sessions);
			snprintf(raw + len, sizeof(raw) - len, "]");
			cli_json_raw(&j, "length_sessions", raw);
			for (int t = 0; t < 4; t++) {
				snprintf(key, sizeof(key), "length_%s", t < 3 ? type_names[t] : "total");
				bucket_array(raw, sizeof(raw), bucket, t);
				cli_json_raw(&j, key, raw);
			}
			cli_json_int(&j, "length_unmatched", (long long)unmatched);
		}
		cli_json_num(&j, "labels_seconds", t_labels);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else {
		for (int t = 0; t < 3; t++)
			printf("%-7s recall@20 %.6f  (%llu / %llu)\n", type_names[t], res.recall[t],
			       (unsigned long long)res.hits[t], (unsigned long long)res.truth[t]);
		printf("score   %.6f  (0.10 clicks + 0.30 carts + 0.60 orders)\n", res.score);
		if (st.malformed)
			printf("skipped %llu malformed lines\n", (unsigned long long)st.malformed);
		if (by_length) {
			printf("\nby session length (events in the test session):\n");
			printf("%-7s %9s %9s %9s %9s %9s\n", "length", "sessions", "clicks", "carts", "orders",
			       "total");
			for (int k = 0; k < OR_LENGTH_BUCKETS; k++) {
				printf("%-7s %9llu", or_length_bucket_names[k],
				       (unsigned long long)bucket[k].sessions);
				for (int t = 0; t < 4; t++) {
					int have = t < 3 ? bucket[k].truth[t] > 0 : bucket[k].sessions > 0;
					if (have)
						printf(" %9.4f", t < 3 ? bucket[k].recall[t] : bucket[k].score);
					else
						printf(" %9s", "-");
				}
				putchar('\n');
			}
			if (unmatched)
				printf("(%zu labelled sessions are not in %s: in no row)\n", unmatched, test_path);
		}
	}
	return cli_finish_stdout(CMD);
}
