/*
 * cmd_tune.c - `ottorec tune`: the blend strategy's weights per target type
 * that maximise Recall@20 on a local split, written as a weights file for
 * `ottorec recommend --strategy blend --weights FILE`.  Owns the command's
 * options, usage text and report; the search is lib/rec/or_tune.c.
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_models.h"
#include "or_blend.h"
#include "or_labels.h"
#include "or_tune.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "tune";

static const char usage_text[] =
	"usage: ottorec tune --test TEST_STORE --labels LABELS --covisit DIR\n"
	"                    [--index IDX] [-o WEIGHTS] [options]\n"
	"\n"
	"Find the weights of the blend strategy (docs/blend.md) that maximise\n"
	"Recall@20 of each type (clicks, carts, orders; independent) on a local\n"
	"split: the test store and labels of `ottorec split`, the matrices of\n"
	"`ottorec covisit` and the index of `ottorec index build` that recommend\n"
	"will use.  The search is deterministic coordinate ascent: from the start\n"
	"weights, each feature in turn tries +step and -step (range -2..4) and keeps\n"
	"a strictly better hit count; passes repeat until none improves, then the\n"
	"step halves (1, 1/2, .. 1/16).  Prints Recall@20 before and after.\n"
	"\n"
	"options:\n"
	"      --test STORE     the split's test sessions\n"
	"      --labels LABELS  their labels JSONL\n"
	"      --covisit DIR    directory with clicks/carts_orders/buy2buy.covisit\n"
	"      --index IDX      ANN index of item embeddings (without it the\n"
	"                       embedding features are 0; a warning says so)\n"
	"      --nprobe N       lists scanned per index query (default: at most 8)\n"
	"      --start S        start weights: covisit (default: the covisit rule's\n"
	"                       lists), builtin, or a weights FILE\n"
	"      --sessions N     tune on every k-th labelled session, at most N\n"
	"                       (memory: about 70 bytes a candidate, ~100\n"
	"                       candidates a session); default 0 = all\n"
	"  -o, --output FILE   write the tuned weights there (atomically)\n"
	"      --threads N     threads (default: all cores)\n"
	"  -q, --quiet         no progress line\n"
	"      --json          print a one-line JSON summary on stdout\n"
	"  -h, --help          this text\n";

static const char *const type_names[3] = { "clicks", "carts", "orders" };

int cmd_tune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "test", required_argument, NULL, 'T' },
		{ "labels", required_argument, NULL, 'l' },
		{ "covisit", required_argument, NULL, 'c' },
		{ "index", required_argument, NULL, 'i' },
		{ "nprobe", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 's' },
		{ "sessions", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *test_path = NULL, *labels_path = NULL, *cv_dir = NULL, *index_path = NULL;
	const char *start = "covisit", *out = NULL;
	int quiet = 0, json = 0, c;
	int64_t threads = 0, nprobe = 0, max_sessions = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'T': test_path = optarg; break;
		case 'l': labels_path = optarg; break;
		case 'c': cv_dir = optarg; break;
		case 'i': index_path = optarg; break;
		case 's': start = optarg; break;
		case 'S':
			if (cli_parse_i64(optarg, 0, INT64_MAX, &max_sessions))
				return cli_usage_error(CMD, "--sessions must be a non-negative integer, not '%s'", optarg);
			break;
		case 'o': out = optarg; break;
		case 'n':
			if (cli_parse_i64(optarg, 1, 65536, &nprobe))
				return cli_usage_error(CMD, "--nprobe must be an integer in 1..65536, not '%s'", optarg);
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
			return cli_bad_option(CMD, argv, "o:qh", opts);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!test_path)
		return cli_usage_error(CMD, "give the split's test sessions with --test STORE");
	if (!labels_path)
		return cli_usage_error(CMD, "give the split's labels with --labels LABELS");
	if (!cv_dir)
		return cli_usage_error(CMD, "give the matrices' directory with --covisit DIR");
	cli_input ins[] = { { test_path, 0 }, { labels_path, 0 }, { cv_dir, 1 }, { index_path, 0 },
			     { strcmp(start, "covisit") && strcmp(start, "builtin") ? start : NULL, 0 } };
	if (cli_check_output(CMD, out, NULL, ins, 5))
		return CLI_USAGE;
	cli_log_setup(quiet);
	if (!index_path)
		or_log_msg(cli_log(), OR_LOG_WARN, "tune without --index: no embedding neighbours (emb features are 0)");
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_blend_weights w0;
	int rc = OR_OK;
	if (!strcmp(start, "covisit"))
		or_blend_covisit_weights(w0);
	else if (!strcmp(start, "builtin"))
		or_blend_default_weights(w0);
	else
		rc = or_blend_weights_read(start, w0, &err);
	or_store *test = NULL;
	or_covisit *tab[3] = { NULL, NULL, NULL };
	or_ann *ix = NULL;
	or_labels labels;
	or_labels_init(&labels);
	or_blend_table t;
	memset(&t, 0, sizeof(t));
	uint64_t truth[3];
	or_tune_result res;
	memset(&res, 0, sizeof(res));
	if (!rc)
		rc = or_store_open(test_path, &test, &err);
	if (!rc)
		rc = cli_open_covisit_dir(cv_dir, tab, &err);
	if (!rc && index_path)
		rc = or_ann_open(index_path, &ix, &err);
	if (!rc)
		rc = or_labels_read(&labels, labels_path, 0, cli_log(), &err);
	double t1 = cli_now();
	if (!rc) {
		or_blend_config bcfg;
		or_blend_config_default(&bcfg);
		bcfg.threads = (int)threads;
		or_ann_search_params sp;
		or_ann_search_params_default(&sp);
		sp.nprobe = (size_t)nprobe;
		sp.threads = (int)threads;
		or_blend_model m = { tab[0], tab[1], tab[2], ix, sp, NULL, NULL };
		rc = or_tune_table(test, &m, &bcfg, &labels, (size_t)max_sessions, &t, truth, cli_log(), &err);
	}
	double t_table = cli_now() - t1;
	t1 = cli_now();
	if (!rc) {
		or_tune_config tcfg;
		or_tune_config_default(&tcfg);
		tcfg.threads = (int)threads;
		rc = or_tune_run(&t, truth, w0, &tcfg, &res, cli_log(), &err);
	}
	double t_search = cli_now() - t1;
	if (!rc && out) {
		char comment[512];
		snprintf(comment, sizeof(comment),
			 "written by `ottorec tune` on %s (labels %s)\n"
			 "Recall@20 on it: clicks %.6f carts %.6f orders %.6f total %.6f (start %.6f)",
			 test_path, labels_path, res.recall[0], res.recall[1], res.recall[2], res.score,
			 res.score_start);
		rc = or_blend_weights_write(out, (const double (*)[OR_BLEND_N_FEATURES])res.w, comment, &err);
	}
	size_t rows = t.n_rows, cands = t.n_cand;
	or_blend_table_release(&t);
	or_labels_release(&labels);
	cli_free_covisit(tab);
	or_ann_free(ix);
	or_store_free(test);
	cli_progress_done();
	if (rc)
		return cli_fail(CMD, &err);
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		for (int ty = 0; ty < 3; ty++) {
			char key[40];
			snprintf(key, sizeof(key), "%s_before", type_names[ty]);
			cli_json_num(&j, key, res.recall_start[ty]);
			snprintf(key, sizeof(key), "%s_after", type_names[ty]);
			cli_json_num(&j, key, res.recall[ty]);
			snprintf(key, sizeof(key), "%s_reachable", type_names[ty]);
			cli_json_num(&j, key, res.truth[ty] ? (double)res.reachable[ty] / (double)res.truth[ty] : 0.0);
		}
		cli_json_num(&j, "total_before", res.score_start);
		cli_json_num(&j, "total_after", res.score);
		cli_json_int(&j, "sessions", (long long)rows);
		cli_json_int(&j, "candidates", (long long)cands);
		cli_json_int(&j, "evaluations", (long long)(res.evals[0] + res.evals[1] + res.evals[2]));
		if (out)
			cli_json_str(&j, "output", out);
		cli_json_num(&j, "table_seconds", t_table);
		cli_json_num(&j, "search_seconds", t_search);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else {
		printf("%-7s %10s %10s %10s\n", "", "before", "after", "reachable");
		for (int ty = 0; ty < 3; ty++)
			printf("%-7s %10.6f %10.6f %10.6f  (%llu -> %llu / %llu)\n", type_names[ty], res.recall_start[ty],
			       res.recall[ty], res.truth[ty] ? (double)res.reachable[ty] / (double)res.truth[ty] : 0.0,
			       (unsigned long long)res.hits_start[ty],
			       (unsigned long long)res.hits[ty], (unsigned long long)res.truth[ty]);
		printf("%-7s %10.6f %10.6f  (0.10 clicks + 0.30 carts + 0.60 orders)\n", "total",
		       res.score_start, res.score);
		printf("%zu sessions with a label among their %zu candidates; table %.1f s, search %.1f s (%u evaluations)%s%s\n",
		       rows, cands, t_table, t_search, res.evals[0] + res.evals[1] + res.evals[2],
		       out ? "; wrote " : "", out ? out : "");
	}
	return cli_finish_stdout(CMD);
}
