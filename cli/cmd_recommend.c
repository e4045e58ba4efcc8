/*
 * cmd_recommend.c - `ottorec recommend`: 20 aids per test session for
 * clicks, carts and orders, written as the organiser's submission CSV, by
 * one of the strategies of lib/rec/or_strategy.h (covisit, seed, blend,
 * ranker), looked up in its table with what each needs.  Owns the
 * command's options and usage text.
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_models.h"
#include "or_ann.h"
#include "or_blend.h"
#include "or_covisit.h"
#include "or_cand.h"
#include "or_recommend.h"
#include "or_store.h"
#include "or_strategy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "recommend";

static const char usage_text[] =
	"usage: ottorec recommend [--strategy covisit|seed|blend|ranker] --test TEST\n"
	"                         [--covisit DIR] [--index IDX] [--weights FILE]\n"
	"                         [--model MODEL --train STORE... | --stats FILE]\n"
	"                         -o SUBMISSION.csv [options]\n"
	"\n"
	"Recommend aids for every session of TEST_STORE and write the organiser's\n"
	"submission CSV (header session_type,labels; rows 42_clicks,1 2 3).\n"
	"\n"
	"Strategy covisit (the default; the OTTO \"candidate rerank\" notebook's\n"
	"rules), with the matrices of `ottorec covisit` in DIR:\n"
	"  clicks: a session with >= 20 distinct aids ranks its history by recency\n"
	"    (logspace(0.1, 1, n, base 2) - 1) times type weight (1, 6, 3); otherwise\n"
	"    its distinct aids, most recent first, then the most frequent aids of\n"
	"    their clicks-matrix rows;\n"
	"  carts and orders (one list): the same with logspace(0.5, 1, ...) plus 0.1\n"
	"    per appearance in the buy2buy rows of its carted/ordered aids; the short\n"
	"    branch counts the carts_orders rows of all its aids and the buy2buy rows\n"
	"    of its bought aids;\n"
	"  lists are filled up from the test period's (--period, default TEST) most\n"
	"  clicked / most ordered aids (repeats skipped).  Ties: first seen wins\n"
	"  (Counter.most_common).\n"
	"\n"
	"Strategy seed (the OTTO matrix-factorisation notebook's rule), with the\n"
	"ANN index of `ottorec index build` (--index, required):\n"
	"  a session with >= 20 events ranks its history as above (clicks weights);\n"
	"  a shorter one lists its distinct aids, most recent first, then the\n"
	"  nearest neighbours of its most recent aid; one list for all three types.\n"
	"\n"
	"Strategy blend (docs/blend.md): per session one candidate table (history,\n"
	"co-visitation rows, embedding neighbours of the 3 most recent aids, the\n"
	"covisit lists, popular aids) with 16 features, ranked per type by a\n"
	"weighted sum; weights from --weights FILE (`ottorec tune` writes one) or\n"
	"built in.  Needs --covisit; without --index it runs with a warning and the\n"
	"embedding features are 0.  Popularity from --period (default TEST).\n"
	"\n"
	"Strategy ranker (docs/ranker.md): the candidates and features of\n"
	"`ottorec candidates` (with the settings the model was fitted on), ranked\n"
	"per type by the model of `ottorec fit` (--model).  Needs --covisit and the\n"
	"training period's stores (--train, for the item features: the stores the\n"
	"matrices were counted on) or their statistics (--stats, from `ottorec\n"
	"stats`: the same lists); --index when the model was fitted with one.\n"
	"\n"
	"options:\n"
	"      --strategy S     covisit (default), seed, blend or ranker\n"
	"      --test STORE     the sessions to recommend for\n"
	"      --covisit DIR    directory with clicks/carts_orders/buy2buy.covisit\n"
	"                       (covisit, blend)\n"
	"      --index IDX      ANN index of item embeddings (seed, blend)\n"
	"      --nprobe N       lists scanned per index query (default: the index's;\n"
	"                       blend: at most 8, see docs/blend.md)\n"
	"      --weights FILE   blend weights (`ottorec tune -o FILE`)\n"
	"      --model MODEL    ranker model (`ottorec fit -o MODEL`)\n"
	"      --train STORE    a store of the training period (ranker; repeatable)\n"
	"      --stats FILE     their item statistics (`ottorec stats`; ranker),\n"
	"                       instead of building them; with --train, refused\n"
	"                       unless built from those stores\n"
	"      --period STORE   the test period whose popularity the ranker's and\n"
	"                       blend's features and popular lists and covisit's\n"
	"                       fill-ups read (default:\n"
	"                       --test; give the whole test period when --test\n"
	"                       holds only some of it, or what `serve` uses)\n"
	"  -o, --output FILE   the submission (\"-\" = stdout)\n"
	"  -k, --k K           aids per row (default 20)\n"
	"      --threads N     threads (default: all cores)\n"
	"  -q, --quiet         no progress line or summary\n"
	"      --json          print a one-line JSON summary on stdout\n"
	"  -h, --help          this text\n";

int cmd_recommend(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "strategy", required_argument, NULL, 's' },
		{ "test", required_argument, NULL, 'T' },
		{ "covisit", required_argument, NULL, 'c' },
		{ "index", required_argument, NULL, 'i' },
		{ "nprobe", required_argument, NULL, 'n' },
		{ "weights", required_argument, NULL, 'w' },
		{ "model", required_argument, NULL, 'm' },
		{ "train", required_argument, NULL, 'R' },
		{ "stats", required_argument, NULL, 'Z' },
		{ "period", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "k", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *strategy = "covisit", *test_path = NULL, *cv_dir = NULL, *out = NULL;
	const char *index_path = NULL, *weights_path = NULL, *model_path = NULL, *period_path = NULL;
	cli_train tr;
	memset(&tr, 0, sizeof(tr));
	int quiet = 0, json = 0, c;
	int64_t k = 20, threads = 0, nprobe = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:k:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': strategy = optarg; break;
		case 'T': test_path = optarg; break;
		case 'c': cv_dir = optarg; break;
		case 'i': index_path = optarg; break;
		case 'w': weights_path = optarg; break;
		case 'm': model_path = optarg; break;
		case 'P': period_path = optarg; break;
		case 'R':
			if (cli_train_add(CMD, &tr, optarg))
				return CLI_USAGE;
			break;
		case 'Z': tr.stats_path = optarg; break;
		case 'o': out = optarg; break;
		case 'n':
			if (cli_parse_i64(optarg, 1, 65536, &nprobe))
				return cli_usage_error(CMD, "--nprobe must be an integer in 1..65536, not '%s'", optarg);
			break;
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
			return cli_bad_option(CMD, argv, "o:k:qh", opts);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	const or_strategy *st = or_strategy_find(strategy);
	if (!st)
		return cli_usage_error(CMD, "--strategy must be %s, not '%s'", or_strategy_names(), strategy);
	unsigned needs = st->needs;
	if (!test_path)
		return cli_usage_error(CMD, "give the test sessions with --test STORE");
	if ((needs & OR_NEEDS_COVISIT) && !cv_dir)
		return cli_usage_error(CMD, "give the matrices' directory with --covisit DIR (strategy %s)", strategy);
	if ((needs & OR_NEEDS_INDEX) && !index_path)
		return cli_usage_error(CMD, "give the nearest-neighbour index with --index IDX (strategy %s)", strategy);
	if ((needs & OR_NEEDS_MODEL) && !model_path)
		return cli_usage_error(CMD, "give the ranker model with --model MODEL (strategy %s)", strategy);
	if ((needs & OR_NEEDS_TRAIN) && !tr.n && !tr.stats_path)
		return cli_usage_error(CMD, "give the training period's stores with --train STORE or their statistics with --stats FILE (strategy %s)", strategy);
	if (weights_path && !(needs & OR_USES_WEIGHTS))
		return cli_usage_error(CMD, "--weights is for --strategy blend");
	if (model_path && !(needs & OR_NEEDS_MODEL))
		return cli_usage_error(CMD, "--model is for --strategy ranker");
	if (period_path && !(needs & OR_USES_PERIOD))
		return cli_usage_error(CMD, "--period is for --strategy covisit, blend or ranker");
	if (tr.n && !(needs & OR_NEEDS_TRAIN))
		return cli_usage_error(CMD, "--train is for --strategy ranker");
	if (tr.stats_path && !(needs & OR_NEEDS_TRAIN))
		return cli_usage_error(CMD, "--stats is for --strategy ranker");
	if (!out)
		return cli_usage_error(CMD, "give the submission file with -o FILE");
	cli_input ins[6 + 1 + CLI_MAX_TRAIN] = { { test_path, 0 }, { cv_dir, 1 }, { index_path, 0 },
					     { weights_path, 0 }, { model_path, 0 }, { period_path, 0 } };
	size_t n_ins = 6;
	cli_train_inputs(&tr, ins, &n_ins);
	if (cli_check_output(CMD, out, NULL, ins, n_ins))
		return CLI_USAGE;
	cli_log_setup(quiet);
	if ((needs & OR_USES_INDEX) && !index_path && !(needs & OR_NEEDS_MODEL))
		or_log_msg(cli_log(), OR_LOG_WARN,
			   "%s without --index: no embedding neighbours (emb features are 0)", strategy);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_store *test = NULL, *period = NULL;
	or_covisit *tab[3] = { NULL, NULL, NULL };
	or_ann *ix = NULL;
	or_ranker *ranker = NULL;
	or_blend_weights w;
	size_t ns = 0;
	int64_t *rows[3] = { NULL, NULL, NULL };
	int rc = or_store_open(test_path, &test, &err);
	/* what the strategy does not use is not opened (a script may pass all) */
	if (!rc && cv_dir && (needs & OR_NEEDS_COVISIT))
		rc = cli_open_covisit_dir(cv_dir, tab, &err);
	if (!rc && index_path && (needs & (OR_NEEDS_INDEX | OR_USES_INDEX)))
		rc = or_ann_open(index_path, &ix, &err);
	if (!rc && weights_path)
		rc = or_blend_weights_read(weights_path, w, &err);
	if (!rc && model_path)
		rc = or_ranker_open(model_path, &ranker, &err);
	if (!rc)
		rc = cli_train_open(&tr, &err);
	if (!rc && period_path)
		rc = or_store_open(period_path, &period, &err);
	double t_load = cli_now() - t0;
	size_t cells = 0;
	if (!rc) {
		ns = or_store_n_sessions(test);
		if (or_size_mul(ns, (size_t)k, &cells) || or_size_mul(cells, sizeof(int64_t), &cells))
			rc = or_err_set(&err, OR_ENOMEM, "too many sessions");
	}
	for (int a = 0; !rc && a < 3; a++)
		if (!(rows[a] = malloc(cells ? cells : 1)))
			rc = or_err_set(&err, OR_ENOMEM, "out of memory (recommendations)");
	double t1 = cli_now();
	if (!rc) {
		or_strategy_inputs in;
		memset(&in, 0, sizeof(in));
		in.test = test;
		in.clicks = tab[0];
		in.carts_orders = tab[1];
		in.buy2buy = tab[2];
		in.index = ix;
		or_ann_search_params_default(&in.search);
		in.search.nprobe = (size_t)nprobe;
		in.search.threads = (int)threads;
		in.weights = weights_path ? (const double (*)[OR_BLEND_N_FEATURES])w : NULL;
		in.ranker = ranker;
		in.stats = tr.stats;
		in.period = period;
		in.k = (size_t)k;
		in.threads = (int)threads;
		rc = st->run(&in, rows, cli_log(), &err);
	}
	double t_rec = cli_now() - t1;
	t1 = cli_now();
	if (!rc)
		rc = or_recommend_write_csv(out, or_store_session_ids(test), ns, (size_t)k, rows[0], rows[1],
					    rows[2], &err);
	double t_write = cli_now() - t1;
	for (int a = 0; a < 3; a++)
		free(rows[a]);
	cli_free_covisit(tab);
	or_ann_free(ix);
	or_ranker_free(ranker);
	cli_train_free(&tr);
	or_store_free(period);
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
		if (needs & OR_USES_WEIGHTS)
			cli_json_str(&j, "weights", weights_path ? weights_path : "built-in");
		if (model_path)
			cli_json_str(&j, "model", model_path);
		cli_json_int(&j, "sessions", (long long)ns);
		cli_json_num(&j, "load_seconds", t_load);
		cli_json_num(&j, "recommend_seconds", t_rec);
		cli_json_num(&j, "write_seconds", t_write);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet && strcmp(out, "-") != 0) {
		fprintf(stderr, "recommended (%s) for %zu sessions in %.2f s (%.2f s ranking), wrote %s\n",
			strategy, ns, wall, t_rec, out);
	}
	return cli_finish_stdout(CMD);
}
