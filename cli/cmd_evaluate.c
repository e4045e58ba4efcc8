/*
 * cmd_evaluate.c - `ottorec evaluate`: Recall@20 per type and the weighted
 * score of a submission CSV against labels JSONL, exactly as the OTTO
 * organiser's evaluate.py.  Owns the command's options, usage text and
 * report; the metric is lib/rec/or_metrics.c, the reader lib/io/or_submission.c.
 */
#include "cli.h"
#include "or_labels.h"
#include "or_metrics.h"
#include "or_submission.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const CMD = "evaluate";

static const char usage_text[] =
	"usage: ottorec evaluate --labels LABELS [--lenient] [--json] SUBMISSION.csv\n"
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

int cmd_evaluate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "labels", required_argument, NULL, 'l' },
		{ "lenient", no_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *labels_path = NULL;
	int json = 0, quiet = 0, c;
	or_submission_config scfg;
	or_submission_config_default(&scfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'l': labels_path = optarg; break;
		case 'L': scfg.lenient = 1; break;
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
	or_recall res;
	or_submission_stats st;
	memset(&st, 0, sizeof(st));
	if (!rc)
		rc = or_metrics_evaluate(&labels, sub_path, &scfg, &res, &st, cli_log(), &err);
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
	}
	return cli_finish_stdout(CMD);
}
