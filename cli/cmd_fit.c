/*
 * cmd_fit.c - `ottorec fit`: the gbt ranker's model (one XGBoost booster per
 * type) fitted on a candidates directory, and `--evaluate` of a model on
 * one.  Owns the command's options, usage text and report; the fitting is
 * lib/rec/or_fit.c, the model file lib/rec/or_ranker_file.c.
 */
#include "cli.h"
#include "or_cand_dir.h"
#include "or_fit.h"
#include "or_ranker.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "fit";

static const char usage_text[] =
	"usage: ottorec fit --candidates DIR -o MODEL [options]\n"
	"       ottorec fit --candidates DIR --evaluate MODEL [--threads N] [--json]\n"
	"\n"
	"Fit the ranker of `recommend --strategy ranker`: one gradient-boosted\n"
	"tree model (XGBoost) per type (clicks, carts, orders) on the candidates\n"
	"directory of `ottorec candidates` (docs/ranker.md), sessions as groups.\n"
	"Per type: the sessions with a candidate labelled with the type (the\n"
	"others are dropped), at most --max-groups of them, --valid-share of those\n"
	"held out; of the others every positive and at most --negatives negatives\n"
	"a session are fitted on.  Every sample follows --seed.  A type without\n"
	"any positive uses another type's model (carts -> orders -> clicks,\n"
	"orders -> carts -> clicks, clicks -> carts -> orders), with a warning.\n"
	"Prints per type what was fitted on, the validation metric (the mean over\n"
	"held-out sessions of positives among the model's 20 best of all their\n"
	"candidates / min(20, positives); beside it the same for the stage-1\n"
	"order, a sanity line), the time and the 10 features of most gain.\n"
	"The same directory, options, seed and --threads give the same model\n"
	"bytes; XGBoost's trees depend on its thread count, which the model\n"
	"records.  --evaluate prints the metric of MODEL on every session of DIR\n"
	"with a positive (for a directory it was not fitted on).\n"
	"\n"
	"options:\n"
	"      --candidates DIR      the candidates directory\n"
	"  -o, --output MODEL        write the model there (atomically)\n"
	"      --evaluate MODEL      score MODEL on DIR instead of fitting\n"
	"      --negatives N         negatives kept per session (default 20)\n"
	"      --seed S              samples and XGBoost's seed (default 42)\n"
	"      --max-groups G        sessions per type, sampled (default: all)\n"
	"      --valid-share S       share of sessions held out, 0..0.9 (default 0.1)\n"
	"      --objective O         rank:pairwise (default), rank:ndcg or\n"
	"                            binary:logistic\n"
	"      --rounds R            boosting rounds (default 20)\n"
	"      --depth D             tree depth, 1..32 (default 6)\n"
	"      --eta E               learning rate (default 0.4)\n"
	"      --min-child-weight W  XGBoost's min_child_weight (default 1)\n"
	"      --subsample F         rows per tree, (0, 1] (default 1)\n"
	"      --colsample F         features per tree, (0, 1] (default 1)\n"
	"      --threads N           XGBoost's threads (default: all cores, at most\n"
	"                            one per 100,000 rows; the model depends on it)\n"
	"      --quiet               no progress line\n"
	"      --json                print a one-line JSON summary on stdout\n"
	"  -h, --help                this text\n";

static const char *const type_names[3] = { "clicks", "carts", "orders" };

static void print_metric(double v)
{
	if (isnan(v))
		printf("n/a");
	else
		printf("%.6f", v);
}

/* The 10 features of most gain (ties: the earlier feature). */
static void print_top_gain(const or_cand_dir *d, const double *gain)
{
	unsigned char *done = calloc(d->n_features, 1);
	if (!done)
		return;
	printf("  gain:");
	for (int k = 0; k < 10; k++) {
		size_t best = d->n_features;
		for (size_t f = 0; f < d->n_features; f++)
			if (!done[f] && gain[f] > 0 && (best == d->n_features || gain[f] > gain[best]))
				best = f;
		if (best == d->n_features)
			break;
		done[best] = 1;
		printf("%s %s %.4g", k ? "," : "", d->names[best], gain[best]);
	}
	printf("\n");
	free(done);
}

static int evaluate(const char *dir, const or_cand_dir *d, const char *model_path, int threads,
		    int json, double t0)
{
	or_err err;
	or_err_clear(&err);
	or_ranker *r = NULL;
	double metric[3] = { NAN, NAN, NAN }, base[3] = { NAN, NAN, NAN };
	size_t n[3] = { 0, 0, 0 };
	int rc = or_ranker_open(model_path, &r, &err);
	if (!rc)
		rc = or_ranker_check_features(r, (const char *const *)d->names, d->n_features, &err);
	if (!rc)
		or_ranker_set_threads(r, threads);
	for (unsigned t = 0; !rc && t < 3; t++) {
		size_t *g = NULL;
		rc = or_fit_positive_groups(d, t, &g, &n[t], &err);
		if (!rc)
			rc = or_fit_metric(r, d, t, g, n[t], &metric[t], &err);
		if (!rc)
			rc = or_fit_metric(NULL, d, t, g, n[t], &base[t], &err);
		free(g);
	}
	cli_progress_done();
	if (rc) {
		or_ranker_free(r);
		return cli_fail(CMD, &err);
	}
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "candidates", dir);
		cli_json_str(&j, "model", model_path);
		for (unsigned t = 0; t < 3; t++) {
			char key[40];
			snprintf(key, sizeof(key), "%s_groups", type_names[t]);
			cli_json_int(&j, key, (long long)n[t]);
			snprintf(key, sizeof(key), "%s_metric", type_names[t]);
			cli_json_num(&j, key, metric[t]);
			snprintf(key, sizeof(key), "%s_baseline", type_names[t]);
			cli_json_num(&j, key, base[t]);
			snprintf(key, sizeof(key), "%s_uses", type_names[t]);
			cli_json_str(&j, key, type_names[or_ranker_type_uses(r, t)]);
		}
		cli_json_num(&j, "wall_seconds", cli_now() - t0);
		cli_json_print(&j);
	} else {
		for (unsigned t = 0; t < 3; t++) {
			printf("%-7s %zu sessions with a positive: metric@20 ", type_names[t], n[t]);
			print_metric(metric[t]);
			double sign;
			printf(" (baseline by %s: ", d->names[or_fit_baseline_column(d, &sign)]);
			print_metric(base[t]);
			printf(")%s%s%s\n", or_ranker_type_fitted(r, t) ? "" : "; uses the ",
			       or_ranker_type_fitted(r, t) ? "" : type_names[or_ranker_type_uses(r, t)],
			       or_ranker_type_fitted(r, t) ? "" : " model");
		}
	}
	or_ranker_free(r);
	return cli_finish_stdout(CMD);
}

int cmd_fit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "candidates", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "evaluate", required_argument, NULL, 'E' },
		{ "negatives", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "max-groups", required_argument, NULL, 'G' },
		{ "valid-share", required_argument, NULL, 'v' },
		{ "objective", required_argument, NULL, 'O' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'd' },
		{ "eta", required_argument, NULL, 'e' },
		{ "min-child-weight", required_argument, NULL, 'w' },
		{ "subsample", required_argument, NULL, 'u' },
		{ "colsample", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	or_fit_config cfg;
	or_fit_config_default(&cfg);
	const char *dir = NULL, *out = NULL, *eval = NULL;
	int quiet = 0, json = 0, c;
	int64_t v, threads = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'E': eval = optarg; break;
		case 'n':
			if (cli_parse_i64(optarg, 0, 1000000, &v))
				return cli_usage_error(CMD, "--negatives must be an integer in 0..1000000, not '%s'", optarg);
			cfg.negatives = (size_t)v;
			break;
		case 's':
			if (cli_parse_i64(optarg, 0, INT32_MAX, &v))
				return cli_usage_error(CMD, "--seed must be an integer in 0..2147483647, not '%s'", optarg);
			cfg.seed = (uint64_t)v;
			break;
		case 'G':
			if (cli_parse_i64(optarg, 1, INT64_MAX, &v))
				return cli_usage_error(CMD, "--max-groups must be a positive integer, not '%s'", optarg);
			cfg.max_groups = (size_t)v;
			break;
		case 'v':
			if (cli_parse_double(optarg, 0, 0.9, &cfg.valid_share))
				return cli_usage_error(CMD, "--valid-share must be a number in 0..0.9, not '%s'", optarg);
			break;
		case 'O':
			if (strcmp(optarg, "rank:pairwise") && strcmp(optarg, "rank:ndcg") &&
			    strcmp(optarg, "binary:logistic"))
				return cli_usage_error(CMD, "--objective must be rank:pairwise, rank:ndcg or binary:logistic, not '%s'", optarg);
			cfg.objective = optarg;
			break;
		case 'r':
			if (cli_parse_i64(optarg, 1, 100000, &v))
				return cli_usage_error(CMD, "--rounds must be an integer in 1..100000, not '%s'", optarg);
			cfg.rounds = (int)v;
			break;
		case 'd':
			if (cli_parse_i64(optarg, 1, 32, &v))
				return cli_usage_error(CMD, "--depth must be an integer in 1..32, not '%s'", optarg);
			cfg.depth = (int)v;
			break;
		case 'e':
			if (cli_parse_double(optarg, 1e-6, 10, &cfg.eta))
				return cli_usage_error(CMD, "--eta must be a number in 1e-6..10, not '%s'", optarg);
			break;
		case 'w':
			if (cli_parse_double(optarg, 0, 1e9, &cfg.min_child_weight))
				return cli_usage_error(CMD, "--min-child-weight must be a number in 0..1e9, not '%s'", optarg);
			break;
		case 'u':
			if (cli_parse_double(optarg, 1e-6, 1, &cfg.subsample))
				return cli_usage_error(CMD, "--subsample must be a number in (0, 1], not '%s'", optarg);
			break;
		case 'c':
			if (cli_parse_double(optarg, 1e-6, 1, &cfg.colsample))
				return cli_usage_error(CMD, "--colsample must be a number in (0, 1], not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &threads))
				return CLI_USAGE;
			cfg.threads = (int)threads;
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
	if (!dir)
		return cli_usage_error(CMD, "give the candidates directory with --candidates DIR");
	if (!out && !eval)
		return cli_usage_error(CMD, "give the model's path with -o MODEL (or --evaluate MODEL)");
	if (out && eval)
		return cli_usage_error(CMD, "-o and --evaluate exclude each other");
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_cand_dir d;
	int rc = or_cand_dir_open(dir, &d, &err);
	if (rc)
		return cli_fail(CMD, &err);
	if (eval) {
		rc = evaluate(dir, &d, eval, (int)threads, json, t0);
		or_cand_dir_release(&d);
		return rc;
	}
	or_fit_result res;
	rc = or_fit_run(&d, dir, &cfg, out, &res, NULL, cli_log(), &err);
	cli_progress_done();
	if (rc) {
		or_fit_result_release(&res);
		or_cand_dir_release(&d);
		return cli_fail(CMD, &err);
	}
	if (json) {
		char *summary = or_fit_json(&d, &cfg, &res, 1);
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "candidates", dir);
		cli_json_str(&j, "output", out);
		cli_json_int(&j, "rows", (long long)d.n_rows);
		cli_json_int(&j, "groups", (long long)d.n_groups);
		cli_json_num(&j, "wall_seconds", cli_now() - t0);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		/* the model's meta (with the times) is too long for cli_json's
		   buffer: appended to its object here */
		printf("%s,\"model\":%s}\n", j.buf, summary ? summary : "null");
		free(summary);
	} else {
		for (unsigned t = 0; t < 3; t++) {
			const or_fit_type *ft = &res.type[t];
			if (!ft->fitted) {
				printf("%-7s no positives: uses the %s model\n", type_names[t], type_names[ft->uses]);
				continue;
			}
			printf("%-7s %zu sessions with a positive; fitted on %zu (%zu rows, %zu positives), held out %zu: metric@20 ",
			       type_names[t], ft->groups_with_positives, ft->groups, ft->rows, ft->positives,
			       ft->valid_groups);
			print_metric(ft->valid_metric);
			double sign;
			printf(" (baseline by %s: ", d.names[or_fit_baseline_column(&d, &sign)]);
			print_metric(ft->baseline_metric);
			printf("); %.1f s\n", ft->seconds);
			print_top_gain(&d, ft->gain);
		}
		printf("wrote %s (XGBoost %d.%d.%d, %d threads)\n", out, res.xgb_version[0], res.xgb_version[1],
		       res.xgb_version[2], res.nthread);
	}
	or_fit_result_release(&res);
	or_cand_dir_release(&d);
	return cli_finish_stdout(CMD);
}
