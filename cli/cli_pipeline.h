/*
 * cli_pipeline.h - the stage runner behind `ottorec run` and `ottorec demo`.
 *
 * Each stage is this program run again as a child process on one command
 * (git's run_command), rather than the library called in-process, because:
 * a stage's peak RSS is then its own (wait4), which is what the stage table
 * reports; a stage that fails cannot leave the next one a damaged heap; and
 * every stage writes its outputs atomically exactly as the command does when
 * a user runs it alone, so a failed run keeps every finished stage's files
 * and `--resume` can skip them.
 *
 * A stage's standard output goes to LOGDIR/<stage>.txt (commands run with
 * --json, so that is their one-line summary); standard error is inherited,
 * so progress lines and error messages reach the user as usual.  After a
 * stage succeeds, LOGDIR/<stage>.done records its command line and the
 * identity of its inputs (every argument naming an existing file or
 * directory), its outputs and its captured summary: size, mtime, inode and,
 * for ottorec's sectioned files, the header checksum (which also proves the
 * file whole).  With resume on, a stage is skipped only when all of that is
 * the same now: an input replaced under the same name, or an output
 * truncated or rewritten since, makes it run again, and with it every stage
 * that reads its outputs.
 */
#ifndef OR_CLI_PIPELINE_H
#define OR_CLI_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_STAGES_MAX 32
#define CLI_STAGE_OUTPUTS 4

typedef struct cli_stage {
	char name[48];
	double seconds;       /* wall time; 0 when skipped */
	uint64_t peak_rss;    /* bytes, of the child; 0 when skipped */
	int skipped;          /* resumed: outputs were already there */
	size_t n_outputs;
	char *outputs[CLI_STAGE_OUTPUTS];
} cli_stage;

typedef struct cli_pipeline {
	const char *cmd;      /* "run" or "demo", for messages */
	char *self;           /* this program's path */
	char *log_dir;
	int quiet, resume;
	size_t n;
	cli_stage stages[CLI_STAGES_MAX];
	double t0;
} cli_pipeline;

/* A growable argv (NULL-terminated), strings owned. */
typedef struct cli_argv {
	char **v;
	size_t n, cap;
	int oom;
} cli_argv;

void cli_argv_init(cli_argv *a);
void cli_argv_add(cli_argv *a, const char *s);
void cli_argv_addf(cli_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "--name" then its value, as two arguments. */
void cli_argv_opt(cli_argv *a, const char *name, const char *value);
void cli_argv_free(cli_argv *a);

/* log_dir is created (with its parents).  CLI_OK or CLI_FAIL (printed). */
int cli_pipeline_init(cli_pipeline *p, const char *cmd, const char *log_dir,
		      int quiet, int resume);
void cli_pipeline_free(cli_pipeline *p);

/*
 * Run `ottorec <args>` as stage `name` whose outputs (files or directories)
 * are outputs[0..n_outputs).  CLI_OK, or CLI_FAIL after saying on stderr
 * which stage failed and how (exit status, signal, cancelled).
 */
int cli_pipeline_stage(cli_pipeline *p, const char *name, const cli_argv *args,
		       const char *const *outputs, size_t n_outputs);

/* Path of a stage's captured standard output (LOGDIR/<name>.txt), malloc'd. */
char *cli_pipeline_stdout_path(const cli_pipeline *p, const char *name);

/*
 * The number after "key": in the first line of a stage's captured JSON
 * summary; 0 when found.
 */
int cli_pipeline_json_number(const cli_pipeline *p, const char *name,
			     const char *key, double *out);

/* The stage table: wall time, peak RSS, outputs with their sizes. */
void cli_pipeline_table(const cli_pipeline *p, FILE *out);
/* The same as a JSON array (for --json summaries), malloc'd. */
char *cli_pipeline_json(const cli_pipeline *p);

/* 1 when path starts with the event store's magic (an existing store). */
int cli_is_store(const char *path);
/* malloc'd "dir/name". */
char *cli_path_join(const char *dir, const char *name);
/* "dir/name" when that exists, else NULL; *hold gets the malloc'd path
   either way (free it; NULL when out of memory). */
const char *cli_existing_file(const char *dir, const char *name, char **hold);

/*
 * The model stages shared by `run` and `demo` (defined in cmd_run.c):
 * convert (when an input is not a store yet), pairs, train, index, covisit
 * (each only when a chosen strategy needs it), recommend for each strategy,
 * and evaluate when labels are given.  Files go to out_dir.
 */
enum { CLI_STRATEGY_SEED = 1, CLI_STRATEGY_COVISIT = 2, CLI_STRATEGY_BLEND = 4,
       CLI_STRATEGY_RANKER = 8 };
#define CLI_N_STRATEGIES 4

typedef struct cli_run_config {
	const char *train, *test;  /* stores or anything convert reads */
	const char *labels;        /* NULL: no evaluate stage */
	const char *out_dir;
	unsigned strategies;       /* CLI_STRATEGY_* bits */
	const char *mode;          /* train --mode; NULL: train's default */
	const char *embeddings;    /* "item2vec": item2vec + cosine index instead of
	                              pairs + train; NULL or "mf": those */
	const char *weights;       /* recommend --weights; NULL: built-in */
	const char *seed;          /* --seed for pairs/train/index; NULL: theirs */
	const char *threads;       /* --threads for every stage; NULL: all cores */
	const char *mem_gib;       /* covisit --mem-gib; NULL: its default */
	const char *valid_days;    /* split --days of the internal split (fit) */
	const char *fit_sessions;  /* candidates --max-sessions of the fit */
} cli_run_config;

typedef struct cli_run_scores {
	int have[CLI_N_STRATEGIES];
	double recall[CLI_N_STRATEGIES][4]; /* clicks, carts, orders, total */
	int have_valid[CLI_N_STRATEGIES];   /* local validation on the fit's split */
	double valid[CLI_N_STRATEGIES][4];
} cli_run_scores;

extern const char *const cli_strategy_names[CLI_N_STRATEGIES];

int cli_run_model_stages(cli_pipeline *p, const cli_run_config *cfg,
			 cli_run_scores *scores);
void cli_run_print_scores(const cli_run_scores *scores, FILE *out);
/* --strategy seed|covisit|blend|all into CLI_STRATEGY_* bits (usage error
   printed otherwise). */
int cli_parse_strategies(const char *cmd, const char *arg, unsigned *out);
/* The score table and stage table (or one JSON line) on stdout after the
   stages, that line also in LOGDIR/pipeline.txt, and when the stages all
   succeeded report_dir/report.html (`ottorec report report_dir`; NULL:
   none); returns the command's exit status given the stages' rc. */
int cli_run_report(const char *cmd, const cli_pipeline *p, const cli_run_scores *scores,
		   int rc, int json, const char *report_dir);

#endif
