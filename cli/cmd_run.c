/*
 * cmd_run.c - `ottorec run`: the whole pipeline from event files to a scored
 * submission (convert, pairs, train, index, covisit, recommend, evaluate),
 * each stage the matching command run as a child (cli_pipeline.h says why),
 * the fit on an internal split of TRAIN (split, covisit, candidates, fit,
 * the local validation; tune for blend), and the stage table at the end.  Also owns the model-stage plan that
 * `ottorec demo` reuses.
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_pipeline.h"
#include "cli_report.h"
#include "or_file.h"
#include "or_npy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "run";

const char *const cli_strategy_names[CLI_N_STRATEGIES] = { "seed", "covisit", "blend", "ranker" };

static const char usage_text[] =
	"usage: ottorec run --train TRAIN --test TEST [--labels LABELS] -o OUTDIR\n"
	"                   [options]\n"
	"\n"
	"The whole pipeline, each stage the ottorec command of the same name:\n"
	"  convert    TRAIN and TEST into stores (skipped for inputs that are stores)\n"
	"  info-train, info-test   the info table of each store (for the report)\n"
	"  split-fit  the organiser's split of TRAIN (--valid-days) (ranker, blend)\n"
	"  covisit-fit    the matrices of the split               (ranker, blend)\n"
	"  stats-fit  the item statistics of the split (`ottorec stats`), read by\n"
	"             candidates-fit and recommend-valid          (ranker)\n"
	"  candidates-fit the ranker's candidates of a share of the split's test\n"
	"             sessions with their labels                  (ranker)\n"
	"  fit        the ranker model (XGBoost, per type)        (ranker)\n"
	"  recommend-valid, evaluate-valid   the model on the split's other test\n"
	"             sessions: the local-validation score        (ranker)\n"
	"  tune       blend weights on 50000 of the split's test sessions\n"
	"             (unless --weights)                          (blend)\n"
	"  pairs      aid -> next aid pairs of train + test      (seed, blend)\n"
	"  train      matrix-factorisation embeddings (.npy)     (seed, blend)\n"
	"  item2vec   instead of pairs + train with --embeddings item2vec\n"
	"  index      nearest-neighbour index of the embeddings  (seed, blend)\n"
	"  covisit    the three co-visitation matrices of train + test\n"
	"                                                         (covisit, blend, ranker)\n"
	"  stats      the item statistics of train + test         (ranker)\n"
	"  recommend  20 aids per session and type -> submission CSV, per strategy\n"
	"  evaluate   Recall@20 and score against LABELS, when given, also by\n"
	"             session length\n"
	"then a table of each stage's wall time, peak RSS and outputs, and the page\n"
	"of `ottorec report OUTDIR` (OUTDIR/report.html).  Files in\n"
	"OUTDIR: train.store, test.store (when converted), pairs.bin,\n"
	"embeddings.npy with the aid of each row in embeddings.ids.npy, index.ann,\n"
	"covisit/, ranker.model, ranker.stats, fit/ (the internal split, its\n"
	"matrices, statistics, candidates, tuned blend weights, validation\n"
	"submission), submission.csv\n"
	"(one strategy) or submission_<strategy>.csv (several), logs/ (each\n"
	"stage's summary, pipeline.txt the stage table), report.html.  Nothing\n"
	"is fitted on TEST or LABELS: LABELS only adds the test score.\n"
	"Every output is written atomically; when a stage fails, the finished\n"
	"stages' outputs are kept and --resume skips them on the next run.\n"
	"\n"
	"options:\n"
	"      --train FILE       train events: store, OTTO JSONL (.gz), CSV, Parquet\n"
	"      --test FILE        test sessions, same formats\n"
	"      --labels FILE      test labels (labels JSONL or Parquet): adds evaluate\n"
	"  -o, --output OUTDIR    output directory (created if missing)\n"
	"      --strategy S       seed | covisit | blend | ranker | all (default ranker)\n"
	"      --mode M           train mode: exact (the notebook's model) | fast\n"
	"      --embeddings E     mf (pairs + train, default) | item2vec (skip-gram\n"
	"                         of train + test sessions, index --metric cos)\n"
	"      --weights FILE     blend weights (from `ottorec tune`; default: tuned\n"
	"                         on the internal split)\n"
	"      --valid-days D     test window of the internal split (default 7)\n"
	"      --fit-sessions N   split test sessions the ranker is fitted on, at\n"
	"                         most (default 200000; the rest validate it)\n"
	"      --seed N           seed of pairs, train and index (their default 42)\n"
	"      --threads N        threads of every stage (default: all cores)\n"
	"      --mem-gib G        covisit memory per pass (default 8)\n"
	"      --resume           skip stages an earlier run finished whose command\n"
	"                         line, inputs and outputs are unchanged (size, mtime,\n"
	"                         checksum of ottorec's files)\n"
	"  -q, --quiet            no stage lines, no progress lines\n"
	"      --json             print a one-line JSON summary on stdout\n"
	"  -h, --help             this text\n";

static void common_args(cli_argv *a, const cli_pipeline *p, const cli_run_config *cfg, int seeded)
{
	if (p->quiet)
		cli_argv_add(a, "--quiet");
	if (cfg->threads)
		cli_argv_opt(a, "--threads", cfg->threads);
	if (seeded && cfg->seed)
		cli_argv_opt(a, "--seed", cfg->seed);
}

/* Convert one input unless it is a store already; *store gets the path to use. */
static int convert_stage(cli_pipeline *p, const cli_run_config *cfg, const char *what,
			 const char *input, char **store)
{
	if (cli_is_store(input)) {
		*store = strdup(input);
		return *store ? CLI_OK : CLI_FAIL;
	}
	char name[32], file[32];
	snprintf(name, sizeof(name), "convert-%s", what);
	snprintf(file, sizeof(file), "%s.store", what);
	*store = cli_path_join(cfg->out_dir, file);
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "convert");
	cli_argv_add(&a, "--json");
	if (p->quiet)
		cli_argv_add(&a, "--quiet");
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, *store ? *store : "");
	cli_argv_add(&a, input);
	const char *outs[] = { *store };
	int rc = *store ? cli_pipeline_stage(p, name, &a, outs, 1) : CLI_FAIL;
	cli_argv_free(&a);
	return rc;
}

typedef struct run_paths {
	char *train, *test, *pairs, *emb, *emb_ids, *index, *covisit, *stats;
	char *fit_dir, *fit_split, *fit_train, *fit_test, *fit_labels, *fit_covisit, *fit_cand, *fit_rest;
	char *fit_stats;
	char *fit_sub, *fit_valid, *model, *blend_weights;
} run_paths;

static void paths_free(run_paths *rp)
{
	free(rp->fit_dir);
	free(rp->fit_split);
	free(rp->fit_train);
	free(rp->fit_test);
	free(rp->fit_labels);
	free(rp->fit_covisit);
	free(rp->fit_cand);
	free(rp->fit_rest);
	free(rp->fit_stats);
	free(rp->stats);
	free(rp->fit_sub);
	free(rp->fit_valid);
	free(rp->model);
	free(rp->blend_weights);
	free(rp->train);
	free(rp->test);
	free(rp->pairs);
	free(rp->emb);
	free(rp->emb_ids);
	free(rp->index);
	free(rp->covisit);
}

/* --embeddings item2vec: skip-gram vectors of train + test sessions, in
   place of pairs + train (the index over them is then cosine: what
   word2vec similarities are) */
static int item2vec_stage(cli_pipeline *p, const cli_run_config *cfg, const run_paths *rp)
{
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "item2vec");
	cli_argv_add(&a, "--json");
	common_args(&a, p, cfg, 1);
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, rp->emb);
	cli_argv_add(&a, rp->train);
	cli_argv_add(&a, rp->test);
	int rc = cli_pipeline_stage(p, "item2vec", &a, (const char *const[]){ rp->emb, rp->emb_ids }, 2);
	cli_argv_free(&a);
	return rc;
}

static int embedding_stages(cli_pipeline *p, const cli_run_config *cfg, const run_paths *rp)
{
	const int i2v = cfg->embeddings && !strcmp(cfg->embeddings, "item2vec");
	cli_argv a;
	cli_argv_init(&a);
	int rc;
	if (i2v) {
		rc = item2vec_stage(p, cfg, rp);
		if (rc)
			return rc;
		goto index;
	}
	cli_argv_add(&a, "pairs");
	cli_argv_add(&a, "--json");
	common_args(&a, p, cfg, 1);
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, rp->pairs);
	cli_argv_add(&a, rp->train);
	cli_argv_add(&a, rp->test);
	rc = cli_pipeline_stage(p, "pairs", &a, (const char *const[]){ rp->pairs }, 1);
	cli_argv_free(&a);
	if (rc)
		return rc;

	cli_argv_add(&a, "train");
	cli_argv_add(&a, "--json");
	common_args(&a, p, cfg, 1);
	if (cfg->mode)
		cli_argv_opt(&a, "--mode", cfg->mode);
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, rp->emb);
	cli_argv_add(&a, rp->pairs);
	/* the ids file travels with the matrix: index build reads it */
	rc = cli_pipeline_stage(p, "train", &a, (const char *const[]){ rp->emb, rp->emb_ids }, 2);
	cli_argv_free(&a);
	if (rc)
		return rc;

index:
	cli_argv_add(&a, "index");
	cli_argv_add(&a, "build");
	cli_argv_add(&a, "--json");
	common_args(&a, p, cfg, 1);
	if (i2v)
		cli_argv_opt(&a, "--metric", "cos");
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, rp->index);
	cli_argv_add(&a, rp->emb);
	rc = cli_pipeline_stage(p, "index", &a, (const char *const[]){ rp->index }, 1);
	cli_argv_free(&a);
	return rc;
}

/* info of a store (the report's data section): seconds at full scale */
static int info_stage(cli_pipeline *p, const char *name, const char *store)
{
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "info");
	cli_argv_add(&a, "--json");
	if (p->quiet)
		cli_argv_add(&a, "--quiet");
	cli_argv_add(&a, store);
	int rc = cli_pipeline_stage(p, name, &a, NULL, 0);
	cli_argv_free(&a);
	return rc;
}

/* covisit of train + test into dir, as stage `name`. */
static int covisit_stage(cli_pipeline *p, const cli_run_config *cfg, const char *name,
			 const char *dir, const char *train, const char *test)
{
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "covisit");
	cli_argv_add(&a, "--json");
	common_args(&a, p, cfg, 0);
	if (cfg->mem_gib)
		cli_argv_opt(&a, "--mem-gib", cfg->mem_gib);
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, dir);
	cli_argv_add(&a, train);
	cli_argv_add(&a, test);
	int rc = cli_pipeline_stage(p, name, &a, (const char *const[]){ dir }, 1);
	cli_argv_free(&a);
	return rc;
}

/* The item statistics of train + test into file out (`ottorec stats`), as
   stage `name`: built once, read by the ranker's stages that follow. */
static int stats_stage(cli_pipeline *p, const char *name, const char *out, const char *train,
		       const char *test)
{
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "stats");
	cli_argv_add(&a, "--json");
	if (p->quiet)
		cli_argv_add(&a, "--quiet");
	cli_argv_opt(&a, "--train", train);
	cli_argv_opt(&a, "--train", test);
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, out);
	int rc = cli_pipeline_stage(p, name, &a, (const char *const[]){ out }, 1);
	cli_argv_free(&a);
	return rc;
}

/* The recommend stage of a ranker model (any store, its period's
   statistics). */
static void ranker_args(cli_argv *a, const char *covisit, const char *model, const char *stats)
{
	cli_argv_opt(a, "--covisit", covisit);
	cli_argv_opt(a, "--model", model);
	cli_argv_opt(a, "--stats", stats);
}

/* evaluate, with the scores by length of the sessions of store `test` */
static int evaluate_stage(cli_pipeline *p, const char *stage, const char *labels,
			  const char *sub, const char *test, double out[4])
{
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "evaluate");
	cli_argv_add(&a, "--json");
	if (p->quiet)
		cli_argv_add(&a, "--quiet");
	cli_argv_opt(&a, "--labels", labels);
	cli_argv_add(&a, "--by-length");
	cli_argv_opt(&a, "--test", test);
	cli_argv_add(&a, sub);
	int rc = cli_pipeline_stage(p, stage, &a, NULL, 0);
	cli_argv_free(&a);
	static const char *const keys[4] = { "clicks", "carts", "orders", "total" };
	for (int t = 0; !rc && t < 4; t++)
		if (cli_pipeline_json_number(p, stage, keys[t], &out[t])) {
			fprintf(stderr, "ottorec %s: no \"%s\" in the summary of stage %s\n", p->cmd,
				keys[t], stage);
			rc = CLI_FAIL;
		}
	return rc;
}

/*
 * What is fitted, on an internal split of TRAIN only: the split, its
 * matrices, then for the ranker the candidates of a share of the split's
 * test sessions (with labels), the fit, and the model's local-validation
 * score on the split's other test sessions; for blend without --weights
 * the tuned weights.
 */
static int fit_stages(cli_pipeline *p, const cli_run_config *cfg, run_paths *rp,
		      cli_run_scores *scores)
{
	rp->fit_dir = cli_path_join(cfg->out_dir, "fit");
	if (!rp->fit_dir)
		return CLI_FAIL;
	/* split writes a directory of its own: --resume keys a stage on its
	   arguments' identities, and fit/ changes with every later stage */
	rp->fit_split = cli_path_join(rp->fit_dir, "split");
	rp->fit_train = rp->fit_split ? cli_path_join(rp->fit_split, "train.store") : NULL;
	rp->fit_test = rp->fit_split ? cli_path_join(rp->fit_split, "test.store") : NULL;
	rp->fit_labels = rp->fit_split ? cli_path_join(rp->fit_split, "test_labels.jsonl") : NULL;
	rp->fit_covisit = cli_path_join(rp->fit_dir, "covisit");
	rp->fit_cand = cli_path_join(rp->fit_dir, "candidates");
	rp->fit_stats = cli_path_join(rp->fit_dir, "ranker.stats");
	rp->fit_rest = cli_path_join(rp->fit_dir, "valid_labels.jsonl");
	rp->fit_sub = cli_path_join(rp->fit_dir, "submission_valid.csv");
	rp->fit_valid = cli_path_join(rp->fit_dir, "valid.store");
	rp->model = cli_path_join(cfg->out_dir, "ranker.model");
	rp->blend_weights = cli_path_join(rp->fit_dir, "blend.weights");
	if (!rp->fit_train || !rp->fit_test || !rp->fit_labels || !rp->fit_covisit || !rp->fit_cand ||
	    !rp->fit_rest || !rp->fit_sub || !rp->fit_valid || !rp->model || !rp->blend_weights ||
	    !rp->fit_stats)
		return CLI_FAIL;
	or_err err;
	if (or_dir_make_all(rp->fit_dir, &err))
		return cli_fail(p->cmd, &err);
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "split");
	cli_argv_add(&a, "--json");
	if (p->quiet)
		cli_argv_add(&a, "--quiet");
	cli_argv_opt(&a, "--days", cfg->valid_days ? cfg->valid_days : "7");
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, rp->fit_split);
	cli_argv_add(&a, rp->train);
	int rc = cli_pipeline_stage(p, "split-fit", &a,
				    (const char *const[]){ rp->fit_train, rp->fit_test, rp->fit_labels }, 3);
	cli_argv_free(&a);
	if (!rc)
		rc = covisit_stage(p, cfg, "covisit-fit", rp->fit_covisit, rp->fit_train, rp->fit_test);
	if (!rc && (cfg->strategies & CLI_STRATEGY_RANKER))
		rc = stats_stage(p, "stats-fit", rp->fit_stats, rp->fit_train, rp->fit_test);
	if (!rc && (cfg->strategies & CLI_STRATEGY_RANKER)) {
		cli_argv_add(&a, "candidates");
		cli_argv_add(&a, "--json");
		common_args(&a, p, cfg, 1);
		cli_argv_opt(&a, "--test", rp->fit_test);
		cli_argv_opt(&a, "--labels", rp->fit_labels);
		cli_argv_opt(&a, "--covisit", rp->fit_covisit);
		cli_argv_opt(&a, "--stats", rp->fit_stats);
		cli_argv_opt(&a, "--share", "0.5");
		cli_argv_opt(&a, "--max-sessions", cfg->fit_sessions ? cfg->fit_sessions : "200000");
		cli_argv_opt(&a, "--negatives", "20");
		cli_argv_opt(&a, "--rest-store", rp->fit_valid);
		cli_argv_opt(&a, "--rest-labels", rp->fit_rest);
		cli_argv_add(&a, "-o");
		cli_argv_add(&a, rp->fit_cand);
		rc = cli_pipeline_stage(p, "candidates-fit", &a,
					(const char *const[]){ rp->fit_cand, rp->fit_valid, rp->fit_rest }, 3);
		cli_argv_free(&a);
	}
	if (!rc && (cfg->strategies & CLI_STRATEGY_RANKER)) {
		cli_argv_add(&a, "fit");
		cli_argv_add(&a, "--json");
		common_args(&a, p, cfg, 1);
		cli_argv_opt(&a, "--candidates", rp->fit_cand);
		cli_argv_add(&a, "-o");
		cli_argv_add(&a, rp->model);
		rc = cli_pipeline_stage(p, "fit", &a, (const char *const[]){ rp->model }, 1);
		cli_argv_free(&a);
	}
	if (!rc && (cfg->strategies & CLI_STRATEGY_RANKER)) {
		cli_argv_add(&a, "recommend");
		cli_argv_add(&a, "--json");
		common_args(&a, p, cfg, 0);
		cli_argv_opt(&a, "--strategy", "ranker");
		cli_argv_opt(&a, "--test", rp->fit_valid);
		cli_argv_opt(&a, "--period", rp->fit_test);
		ranker_args(&a, rp->fit_covisit, rp->model, rp->fit_stats);
		cli_argv_add(&a, "-o");
		cli_argv_add(&a, rp->fit_sub);
		rc = cli_pipeline_stage(p, "recommend-valid", &a, (const char *const[]){ rp->fit_sub }, 1);
		cli_argv_free(&a);
		int s = 3; /* ranker */
		if (!rc)
			rc = evaluate_stage(p, "evaluate-valid", rp->fit_rest, rp->fit_sub, rp->fit_valid,
					    scores->valid[s]);
		scores->have_valid[s] = !rc;
	}
	if (!rc && (cfg->strategies & CLI_STRATEGY_BLEND) && !cfg->weights) {
		cli_argv_add(&a, "tune");
		cli_argv_add(&a, "--json");
		common_args(&a, p, cfg, 0);
		cli_argv_opt(&a, "--test", rp->fit_test);
		cli_argv_opt(&a, "--labels", rp->fit_labels);
		cli_argv_opt(&a, "--covisit", rp->fit_covisit);
		/* tune holds every candidate of the sessions it tunes on: a cap
		   keeps the full OTTO scale in minutes and memory */
		cli_argv_opt(&a, "--sessions", "50000");
		cli_argv_add(&a, "-o");
		cli_argv_add(&a, rp->blend_weights);
		rc = cli_pipeline_stage(p, "tune", &a, (const char *const[]){ rp->blend_weights }, 1);
		cli_argv_free(&a);
	}
	return rc;
}

static int strategy_stages(cli_pipeline *p, const cli_run_config *cfg, const run_paths *rp,
			   int s, int several, cli_run_scores *scores)
{
	const char *name = cli_strategy_names[s];
	char file[64], stage[64];
	snprintf(file, sizeof(file), several ? "submission_%s.csv" : "submission.csv", name);
	char *sub = cli_path_join(cfg->out_dir, file);
	if (!sub)
		return CLI_FAIL;
	cli_argv a;
	cli_argv_init(&a);
	cli_argv_add(&a, "recommend");
	cli_argv_add(&a, "--json");
	common_args(&a, p, cfg, 0);
	cli_argv_opt(&a, "--strategy", name);
	cli_argv_opt(&a, "--test", rp->test);
	const unsigned bit = 1u << s;
	if (bit & (CLI_STRATEGY_COVISIT | CLI_STRATEGY_BLEND)) {
		cli_argv_opt(&a, "--covisit", rp->covisit);
	}
	if (bit & (CLI_STRATEGY_SEED | CLI_STRATEGY_BLEND)) {
		cli_argv_opt(&a, "--index", rp->index);
	}
	if (bit == CLI_STRATEGY_BLEND) {
		cli_argv_opt(&a, "--weights", cfg->weights ? cfg->weights : rp->blend_weights);
	}
	if (bit == CLI_STRATEGY_RANKER) {
		ranker_args(&a, rp->covisit, rp->model, rp->stats);
	}
	cli_argv_add(&a, "-o");
	cli_argv_add(&a, sub);
	snprintf(stage, sizeof(stage), "recommend-%s", name);
	int rc = cli_pipeline_stage(p, stage, &a, (const char *const[]){ sub }, 1);
	cli_argv_free(&a);
	if (!rc && cfg->labels) {
		snprintf(stage, sizeof(stage), "evaluate-%s", name);
		rc = evaluate_stage(p, stage, cfg->labels, sub, rp->test, scores->recall[s]);
		scores->have[s] = !rc;
	}
	free(sub);
	return rc;
}

int cli_run_model_stages(cli_pipeline *p, const cli_run_config *cfg, cli_run_scores *scores)
{
	memset(scores, 0, sizeof(*scores));
	run_paths rp;
	memset(&rp, 0, sizeof(rp));
	or_err err;
	or_err_clear(&err);
	if (or_dir_make_all(cfg->out_dir, &err))
		return cli_fail(p->cmd, &err);
	const int need_emb = (cfg->strategies & (CLI_STRATEGY_SEED | CLI_STRATEGY_BLEND)) != 0;
	const int need_cov = (cfg->strategies & (CLI_STRATEGY_COVISIT | CLI_STRATEGY_BLEND |
						  CLI_STRATEGY_RANKER)) != 0;
	const int need_fit = (cfg->strategies & CLI_STRATEGY_RANKER) ||
			     ((cfg->strategies & CLI_STRATEGY_BLEND) && !cfg->weights);
	int rc = convert_stage(p, cfg, "train", cfg->train, &rp.train);
	if (!rc)
		rc = convert_stage(p, cfg, "test", cfg->test, &rp.test);
	if (!rc)
		rc = info_stage(p, "info-train", rp.train);
	if (!rc)
		rc = info_stage(p, "info-test", rp.test);
	if (!rc && need_fit)
		rc = fit_stages(p, cfg, &rp, scores);
	if (!rc && need_emb) {
		rp.pairs = cli_path_join(cfg->out_dir, "pairs.bin");
		rp.emb = cli_path_join(cfg->out_dir, "embeddings.npy");
		rp.emb_ids = rp.emb ? or_npy_ids_path(rp.emb) : NULL;
		rp.index = cli_path_join(cfg->out_dir, "index.ann");
		rc = rp.pairs && rp.emb && rp.emb_ids && rp.index ? embedding_stages(p, cfg, &rp) : CLI_FAIL;
	}
	if (!rc && need_cov) {
		rp.covisit = cli_path_join(cfg->out_dir, "covisit");
		rc = rp.covisit ? covisit_stage(p, cfg, "covisit", rp.covisit, rp.train, rp.test) : CLI_FAIL;
	}
	if (!rc && (cfg->strategies & CLI_STRATEGY_RANKER)) {
		rp.stats = cli_path_join(cfg->out_dir, "ranker.stats");
		rc = rp.stats ? stats_stage(p, "stats", rp.stats, rp.train, rp.test) : CLI_FAIL;
	}
	int several = (cfg->strategies & (cfg->strategies - 1)) != 0;
	for (int s = 0; !rc && s < CLI_N_STRATEGIES; s++)
		if (cfg->strategies & (1u << s))
			rc = strategy_stages(p, cfg, &rp, s, several, scores);
	paths_free(&rp);
	return rc;
}

void cli_run_print_scores(const cli_run_scores *scores, FILE *out)
{
	int any = 0;
	for (int s = 0; s < CLI_N_STRATEGIES; s++)
		any |= scores->have[s] | scores->have_valid[s];
	if (!any)
		return;
	fprintf(out, "%-26s %9s %9s %9s %9s   (Recall@20; total = 0.1 clicks + 0.3 carts + 0.6 orders)\n",
		"strategy", "clicks", "carts", "orders", "total");
	for (int s = 0; s < CLI_N_STRATEGIES; s++) {
		char name[64];
		if (scores->have_valid[s]) {
			snprintf(name, sizeof(name), "%s (local validation)", cli_strategy_names[s]);
			fprintf(out, "%-26s %9.4f %9.4f %9.4f %9.4f\n", name, scores->valid[s][0],
				scores->valid[s][1], scores->valid[s][2], scores->valid[s][3]);
		}
		if (scores->have[s]) {
			snprintf(name, sizeof(name), "%s%s", cli_strategy_names[s],
				 scores->have_valid[s] ? " (test)" : "");
			fprintf(out, "%-26s %9.4f %9.4f %9.4f %9.4f\n", name, scores->recall[s][0],
				scores->recall[s][1], scores->recall[s][2], scores->recall[s][3]);
		}
	}
}

/* Scores as a JSON object {"seed":{"clicks":..},...} into buf. */
static void scores_json(const cli_run_scores *scores, char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n, "{");
	int first = 1;
	for (int v = 0; v < 2; v++)
		for (int s = 0; s < CLI_N_STRATEGIES && len < n; s++) {
			if (!(v ? scores->have_valid[s] : scores->have[s]))
				continue;
			const double *r = v ? scores->valid[s] : scores->recall[s];
			len += (size_t)snprintf(buf + len, n - len,
						"%s\"%s%s\":{\"clicks\":%.17g,\"carts\":%.17g,\"orders\":%.17g,\"total\":%.17g}",
						first ? "" : ",", cli_strategy_names[s], v ? "_valid" : "", r[0],
						r[1], r[2], r[3]);
			first = 0;
		}
	if (len < n)
		snprintf(buf + len, n - len, "}");
}

/* The one-line JSON summary of the whole run (malloc'd, with its newline). */
static char *run_json(const char *cmd, const cli_pipeline *p, const cli_run_scores *scores, int rc,
		      const char *report)
{
	char sc[1024];
	scores_json(scores, sc, sizeof(sc));
	char *stages = cli_pipeline_json(p), *s = NULL;
	cli_json r; /* ,"report":"PATH" (escaped), after the '{' cli_json starts with */
	cli_json_begin(&r);
	if (report)
		cli_json_str(&r, "report", report);
	/* built directly: the stage array can outgrow cli_json's buffer */
	if (asprintf(&s, "{\"command\":\"%s\",\"status\":\"%s\",\"scores\":%s,\"stages\":%s,"
		     "\"wall_seconds\":%.3f%s%s}\n", cmd, rc ? "failed" : "ok", sc,
		     stages ? stages : "[]", cli_now() - p->t0, report ? "," : "", r.buf + 1) < 0)
		s = NULL;
	free(stages);
	return s;
}

/* LOGDIR/pipeline.txt: the summary line (the report's stage timeline). */
static int write_pipeline_log(const char *cmd, const cli_pipeline *p, const char *line)
{
	char *path = cli_path_join(p->log_dir, CLI_REPORT_PIPELINE);
	or_err err;
	or_err_clear(&err);
	or_file f;
	int rc = path && line ? or_file_open(&f, path, &err) : or_err_set(&err, OR_ENOMEM, "out of memory");
	if (!rc && ((rc = or_file_write(&f, line, strlen(line), &err)) || (rc = or_file_commit(&f, &err))))
		or_file_abort(&f);
	free(path);
	return rc ? cli_fail(cmd, &err) : CLI_OK;
}

/* Print the tables (or the JSON line), and after a run whose stages all
   succeeded write report_dir/report.html; the command's exit status. */
int cli_run_report(const char *cmd, const cli_pipeline *p, const cli_run_scores *scores,
		   int rc, int json, const char *report_dir)
{
	char *report = !rc && report_dir ? cli_path_join(report_dir, "report.html") : NULL;
	char *line = run_json(cmd, p, scores, rc, report);
	int wrc = write_pipeline_log(cmd, p, line);
	if (report && !wrc) {
		size_t bytes = 0;
		double t0 = cli_now();
		wrc = cli_report_write(cmd, report_dir, report, &bytes);
		if (!wrc && !p->quiet) {
			cli_progress_done();
			fprintf(stderr, "ottorec %s: wrote %s (%zu KiB) in %.3f s\n", cmd, report,
				(bytes + 1023) / 1024, cli_now() - t0);
		}
	}
	free(report);
	if (json) {
		fputs(line ? line : "{}\n", stdout);
	} else {
		if (!rc) {
			cli_run_print_scores(scores, stdout);
			putchar('\n');
		}
		cli_pipeline_table(p, stdout);
	}
	free(line);
	int out = cli_finish_stdout(cmd);
	return rc ? rc : wrc ? wrc : out;
}

int cli_parse_strategies(const char *cmd, const char *arg, unsigned *out)
{
	if (!strcmp(arg, "all")) {
		*out = CLI_STRATEGY_SEED | CLI_STRATEGY_COVISIT | CLI_STRATEGY_BLEND | CLI_STRATEGY_RANKER;
		return CLI_OK;
	}
	for (int s = 0; s < CLI_N_STRATEGIES; s++)
		if (!strcmp(arg, cli_strategy_names[s])) {
			*out = 1u << s;
			return CLI_OK;
		}
	return cli_usage_error(cmd, "--strategy must be seed, covisit, blend, ranker or all, not '%s'", arg);
}

/* The inputs must not be among the files the stages write in OUTDIR (a
   store input is not converted, so OUTDIR/train.store may be one). */
static int check_outputs(const cli_run_config *cfg)
{
	const char *names[24];
	size_t n = 0;
	if (!cli_is_store(cfg->train))
		names[n++] = "train.store";
	if (!cli_is_store(cfg->test))
		names[n++] = "test.store";
	static const char *const always[] = {
		"pairs.bin", "embeddings.npy", "embeddings.ids.npy", "index.ann", "covisit",
		"submission.csv", "submission_seed.csv", "submission_covisit.csv",
		"submission_blend.csv", "submission_ranker.csv", "ranker.model", "ranker.stats", "fit", "logs",
		"report.html", NULL
	};
	for (const char *const *a = always; *a; a++)
		names[n++] = *a;
	names[n] = NULL;
	cli_input ins[] = { { cfg->train, 0 }, { cfg->test, 0 }, { cfg->labels, 0 }, { cfg->weights, 0 } };
	return cli_check_output(CMD, cfg->out_dir, names, ins, 4);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "train", required_argument, NULL, 'T' },
		{ "test", required_argument, NULL, 'S' },
		{ "labels", required_argument, NULL, 'L' },
		{ "output", required_argument, NULL, 'o' },
		{ "strategy", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "embeddings", required_argument, NULL, 'E' },
		{ "weights", required_argument, NULL, 'W' },
		{ "seed", required_argument, NULL, 'e' },
		{ "threads", required_argument, NULL, 't' },
		{ "mem-gib", required_argument, NULL, 'g' },
		{ "valid-days", required_argument, NULL, 'V' },
		{ "fit-sessions", required_argument, NULL, 'F' },
		{ "resume", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	cli_run_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.strategies = CLI_STRATEGY_RANKER;
	int quiet = 0, json = 0, resume = 0, c;
	int64_t num;
	double dnum;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'T': cfg.train = optarg; break;
		case 'S': cfg.test = optarg; break;
		case 'L': cfg.labels = optarg; break;
		case 'o': cfg.out_dir = optarg; break;
		case 's':
			if (cli_parse_strategies(CMD, optarg, &cfg.strategies))
				return CLI_USAGE;
			break;
		case 'm':
			if (strcmp(optarg, "exact") && strcmp(optarg, "fast"))
				return cli_usage_error(CMD, "--mode must be exact or fast, not '%s'", optarg);
			cfg.mode = optarg;
			break;
		case 'E':
			if (strcmp(optarg, "mf") && strcmp(optarg, "item2vec"))
				return cli_usage_error(CMD, "--embeddings must be mf or item2vec, not '%s'", optarg);
			cfg.embeddings = optarg;
			break;
		case 'W': cfg.weights = optarg; break;
		case 'e':
			if (cli_parse_i64(optarg, 0, INT64_MAX, &num))
				return cli_usage_error(CMD, "--seed must be an integer >= 0, not '%s'", optarg);
			cfg.seed = optarg;
			break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &num))
				return CLI_USAGE;
			cfg.threads = optarg;
			break;
		case 'g':
			if (cli_parse_double(optarg, 0.0625, 1024, &dnum))
				return cli_usage_error(CMD, "--mem-gib must be a number of GiB in 0.0625..1024, not '%s'", optarg);
			cfg.mem_gib = optarg;
			break;
		case 'V':
			if (cli_parse_i64(optarg, 1, 365, &num))
				return cli_usage_error(CMD, "--valid-days must be an integer in 1..365, not '%s'", optarg);
			cfg.valid_days = optarg;
			break;
		case 'F':
			if (cli_parse_i64(optarg, 1, INT64_MAX, &num))
				return cli_usage_error(CMD, "--fit-sessions must be a positive integer, not '%s'", optarg);
			cfg.fit_sessions = optarg;
			break;
		case 'r': resume = 1; break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return cli_finish_stdout(CMD);
		default: return cli_bad_option(CMD, argv, "o:qh", opts);
		}
	}
	if (optind != argc)
		return cli_usage_error(CMD, "unexpected argument '%s' (inputs are --train and --test)", argv[optind]);
	if (!cfg.train || !cfg.test)
		return cli_usage_error(CMD, "give both --train and --test");
	if (!cfg.out_dir)
		return cli_usage_error(CMD, "give the output directory with -o OUTDIR");
	if (check_outputs(&cfg))
		return CLI_USAGE;
	cli_log_setup(quiet);
	char *logs = cli_path_join(cfg.out_dir, "logs");
	cli_pipeline p;
	int rc = logs ? cli_pipeline_init(&p, CMD, logs, quiet, resume) : CLI_FAIL;
	free(logs);
	if (rc)
		return rc;
	if (cli_lock_dir(CMD, cfg.out_dir)) {
		cli_pipeline_free(&p);
		return CLI_FAIL;
	}
	cli_run_scores scores;
	rc = cli_run_model_stages(&p, &cfg, &scores);
	rc = cli_run_report(CMD, &p, &scores, rc, json, cfg.out_dir);
	cli_pipeline_free(&p);
	return rc;
}
