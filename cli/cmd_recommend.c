/*
 * cmd_recommend.c - `ottorec recommend`: 20 aids per test session for
 * clicks, carts and orders, written as the organiser's submission CSV.
 * Owns the command's options and usage text; strategies and the writer are
 * lib/or_recommend.c.
 */
#include "cli.h"
#include "or_covisit.h"
#include "or_recommend.h"
#include "or_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "recommend";

static const char usage_text[] =
	"usage: ottorec recommend --strategy covisit --test TEST_STORE --covisit DIR\n"
	"                         -o SUBMISSION.csv [options]\n"
	"\n"
	"Recommend aids for every session of TEST_STORE and write the organiser's\n"
	"submission CSV (header session_type,labels; rows 42_clicks,1 2 3).\n"
	"\n"
	"Strategy covisit (the OTTO \"candidate rerank\" notebook's rules), with the\n"
	"matrices of `ottorec covisit` in DIR:\n"
	"  clicks: a session with >= 20 distinct aids ranks its history by recency\n"
	"    (logspace(0.1, 1, n, base 2) - 1) times type weight (1, 6, 3); otherwise\n"
	"    its distinct aids, most recent first, then the most frequent aids of\n"
	"    their clicks-matrix rows;\n"
	"  carts and orders (one list): the same with logspace(0.5, 1, ...) plus 0.1\n"
	"    per appearance in the buy2buy rows of its carted/ordered aids; the short\n"
	"    branch counts the carts_orders rows of all its aids and the buy2buy rows\n"
	"    of its bought aids;\n"
	"  lists are filled up from the test period's most clicked / most ordered\n"
	"  aids (repeats skipped).  Ties: first seen wins (Counter.most_common).\n"
	"\n"
	"options:\n"
	"      --strategy S     covisit (the only one for now)\n"
	"      --test STORE     the sessions to recommend for\n"
	"      --covisit DIR    directory with clicks/carts_orders/buy2buy.covisit\n"
	"  -o, --output FILE   the submission (\"-\" = stdout)\n"
	"      --k K           aids per row (default 20)\n"
	"      --threads N     threads (default: all cores)\n"
	"      --quiet         no progress line or summary\n"
	"      --json          print a one-line JSON summary on stdout\n"
	"  -h, --help          this text\n";

static int open_table(const char *dir, unsigned kind, or_covisit **t, or_err *err)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s.covisit", dir, or_covisit_kind_name(kind));
	if (n < 0 || (size_t)n >= sizeof(path))
		return or_err_set(err, OR_EINVAL, "--covisit path too long");
	int rc = or_covisit_open(path, t, err);
	if (!rc && or_covisit_kind(*t) != kind)
		rc = or_err_set(err, OR_EFORMAT, "%s: holds the %s matrix, not %s", path,
				or_covisit_kind_name(or_covisit_kind(*t)), or_covisit_kind_name(kind));
	if (!rc)
		rc = or_covisit_verify(*t, err);
	if (rc && *t) {
		or_covisit_free(*t);
		*t = NULL;
	}
	return rc;
}

int cmd_recommend(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "strategy", required_argument, NULL, 's' },
		{ "test", required_argument, NULL, 'T' },
		{ "covisit", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "k", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *strategy = "covisit", *test_path = NULL, *cv_dir = NULL, *out = NULL;
	int quiet = 0, json = 0, c;
	int64_t k = 20, threads = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': strategy = optarg; break;
		case 'T': test_path = optarg; break;
		case 'c': cv_dir = optarg; break;
		case 'o': out = optarg; break;
		case 'k':
			if (cli_parse_i64(optarg, 1, OR_RECOMMEND_K_MAX, &k))
				return cli_usage_error(CMD, "--k must be an integer in 1..%d, not '%s'", OR_RECOMMEND_K_MAX, optarg);
			break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &threads))
				return CLI_USAGE;
			break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_usage_error(CMD, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (strcmp(strategy, "covisit") != 0)
		return cli_usage_error(CMD, "--strategy must be covisit, not '%s'", strategy);
	if (!test_path)
		return cli_usage_error(CMD, "give the test sessions with --test STORE");
	if (!cv_dir)
		return cli_usage_error(CMD, "give the matrices' directory with --covisit DIR");
	if (!out)
		return cli_usage_error(CMD, "give the submission file with -o FILE");
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_store *test = NULL;
	or_covisit *tab[3] = { NULL, NULL, NULL };
	int64_t top_clicks[OR_RECOMMEND_K_MAX], top_orders[OR_RECOMMEND_K_MAX];
	size_t n_tc = 0, n_to = 0, ns = 0;
	int64_t *clicks = NULL, *buys = NULL;
	int rc = or_store_open(test_path, &test, &err);
	for (unsigned kind = 0; !rc && kind < OR_COVISIT_N_KINDS; kind++)
		rc = open_table(cv_dir, kind, &tab[kind], &err);
	if (!rc)
		rc = or_recommend_popular(test, OR_CLICKS, (size_t)k, top_clicks, &n_tc, &err);
	if (!rc)
		rc = or_recommend_popular(test, OR_ORDERS, (size_t)k, top_orders, &n_to, &err);
	double t_load = cli_now() - t0;
	size_t cells = 0;
	if (!rc) {
		ns = or_store_n_sessions(test);
		if (or_size_mul(ns, (size_t)k, &cells) || or_size_mul(cells, sizeof(int64_t), &cells))
			rc = or_err_set(&err, OR_ENOMEM, "too many sessions");
	}
	if (!rc) {
		clicks = malloc(cells ? cells : 1);
		buys = malloc(cells ? cells : 1);
		if (!clicks || !buys)
			rc = or_err_set(&err, OR_ENOMEM, "out of memory (recommendations)");
	}
	double t1 = cli_now();
	if (!rc) {
		or_recommend_config cfg;
		or_recommend_config_default(&cfg);
		cfg.k = (size_t)k;
		cfg.threads = (int)threads;
		or_recommend_covisit_model m = { tab[0], tab[1], tab[2], top_clicks, n_tc, top_orders, n_to };
		rc = or_recommend_covisit(test, &m, &cfg, clicks, buys, cli_log(), &err);
	}
	double t_rec = cli_now() - t1;
	t1 = cli_now();
	if (!rc)
		rc = or_recommend_write_csv(out, or_store_session_ids(test), ns, (size_t)k, clicks,
					    buys, buys, &err);
	double t_write = cli_now() - t1;
	free(clicks);
	free(buys);
	for (int i = 0; i < 3; i++)
		or_covisit_free(tab[i]);
	or_store_free(test);
	cli_progress_done();
	if (rc)
		return cli_fail(CMD, &err);
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "strategy", strategy);
		cli_json_str(&j, "output", out);
		cli_json_int(&j, "sessions", (long long)ns);
		cli_json_num(&j, "load_seconds", t_load);
		cli_json_num(&j, "recommend_seconds", t_rec);
		cli_json_num(&j, "write_seconds", t_write);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet && strcmp(out, "-") != 0) {
		fprintf(stderr, "recommended for %zu sessions in %.2f s (%.2f s ranking), wrote %s\n",
			ns, wall, t_rec, out);
	}
	return cli_finish_stdout(CMD);
}
