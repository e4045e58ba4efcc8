/*
 * cmd_demo.c - `ottorec demo` (what the README's `make demo` runs): built-in
 * synthetic data, the organiser's local split of it, the whole pipeline with
 * every strategy, then the score table (Recall@20 per strategy) and the
 * stage table.  The stages are run's (cli_run_model_stages).
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_pipeline.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "demo";

static const char usage_text[] =
	"usage: ottorec demo [-o DIR] [--scale X] [--seed N] [options]\n"
	"\n"
	"The main job on built-in synthetic data, end to end:\n"
	"  synth      OTTO-like data at --scale (DIR/data)\n"
	"  split      the organiser's local validation split of its train (DIR/val)\n"
	"  then `ottorec run --strategy all` on the split (DIR/run): pairs, train,\n"
	"  index, covisit, recommend with the seed, covisit, blend and ranker\n"
	"  strategies (blend and ranker fitted on a split of the split's train),\n"
	"  evaluate each against the split's labels,\n"
	"and prints the score table (Recall@20 clicks / carts / orders and the\n"
	"weighted total per strategy) and the stage table (wall time, peak RSS,\n"
	"outputs).  The default scale finishes in about a minute on 2 cores.\n"
	"\n"
	"options:\n"
	"  -o, --output DIR   output directory (default demo-out)\n"
	"      --scale X      synthetic data size as a fraction of OTTO's (default 0.1)\n"
	"      --seed N       seed of the synthetic data (default 42)\n"
	"      --mode M       train mode: exact | fast\n"
	"      --threads N    threads of every stage (default: all cores)\n"
	"      --resume       skip stages an earlier demo in DIR finished\n"
	"  -q, --quiet        no stage lines, no progress lines\n"
	"      --json         print a one-line JSON summary on stdout\n"
	"  -h, --help         this text\n";

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "scale", required_argument, NULL, 'x' },
		{ "seed", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "resume", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *dir = "demo-out", *scale = "0.1", *seed = "42", *threads = NULL, *mode = NULL;
	int quiet = 0, json = 0, resume = 0, c;
	int64_t num;
	double dnum;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 'x':
			if (cli_parse_double(optarg, 0.0001, 1.0, &dnum))
				return cli_usage_error(CMD, "--scale must be a number in 0.0001..1, not '%s'", optarg);
			scale = optarg;
			break;
		case 'e':
			if (cli_parse_i64(optarg, 0, INT64_MAX, &num))
				return cli_usage_error(CMD, "--seed must be an integer >= 0, not '%s'", optarg);
			seed = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "exact") && strcmp(optarg, "fast"))
				return cli_usage_error(CMD, "--mode must be exact or fast, not '%s'", optarg);
			mode = optarg;
			break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &num))
				return CLI_USAGE;
			threads = optarg;
			break;
		case 'r': resume = 1; break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return cli_finish_stdout(CMD);
		default: return cli_bad_option(CMD, argv, "o:qh", opts);
		}
	}
	if (optind != argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	cli_log_setup(quiet);

	char *logs = cli_path_join(dir, "logs");
	char *data = cli_path_join(dir, "data");
	char *val = cli_path_join(dir, "val");
	char *run = cli_path_join(dir, "run");
	char *data_train = data ? cli_path_join(data, "train.store") : NULL;
	char *val_train = val ? cli_path_join(val, "train.store") : NULL;
	char *val_test = val ? cli_path_join(val, "test.store") : NULL;
	char *val_labels = val ? cli_path_join(val, "test_labels.jsonl") : NULL;
	cli_pipeline p;
	int have_p = 0, rc = CLI_FAIL;
	if (!logs || !data || !val || !run || !data_train || !val_train || !val_test || !val_labels) {
		fprintf(stderr, "ottorec %s: out of memory\n", CMD);
		goto done;
	}
	if ((rc = cli_pipeline_init(&p, CMD, logs, quiet, resume)))
		goto done;
	have_p = 1;
	if ((rc = cli_lock_dir(CMD, dir)))
		goto done;

	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "synth");
	cli_argv_add(&a, "--json");
	if (quiet)
		cli_argv_add(&a, "--quiet");
	if (threads)
		cli_argv_opt(&a, "--threads", threads);
	cli_argv_opt(&a, "--scale", scale);
	cli_argv_opt(&a, "--seed", seed);
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, data);
	rc = cli_pipeline_stage(&p, "synth", &a, (const char *const[]){ data_train }, 1);
	cli_argv_free(&a);
	if (!rc) {
		cli_argv_add(&a, "split");
		cli_argv_add(&a, "--json");
		if (quiet)
			cli_argv_add(&a, "--quiet");
		cli_argv_opt(&a, "-o", val);
		cli_argv_add(&a, data_train);
		rc = cli_pipeline_stage(&p, "split", &a,
					(const char *const[]){ val_train, val_test, val_labels }, 3);
		cli_argv_free(&a);
	}
	cli_run_scores scores;
	memset(&scores, 0, sizeof(scores));
	if (!rc) {
		cli_run_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.train = val_train;
		cfg.test = val_test;
		cfg.labels = val_labels;
		cfg.out_dir = run;
		cfg.strategies = CLI_STRATEGY_SEED | CLI_STRATEGY_COVISIT | CLI_STRATEGY_BLEND | CLI_STRATEGY_RANKER;
		cfg.mode = mode;
		cfg.threads = threads;
		rc = cli_run_model_stages(&p, &cfg, &scores);
	}
	rc = cli_run_report(CMD, &p, &scores, rc, json, dir);
done:
	if (have_p)
		cli_pipeline_free(&p);
	free(logs);
	free(data);
	free(val);
	free(run);
	free(data_train);
	free(val_train);
	free(val_test);
	free(val_labels);
	return rc;
}
