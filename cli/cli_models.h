/*
 * cli_models.h - opening the model files that `recommend`, `tune` and
 * `candidates` share: the three co-visitation tables of a `ottorec
 * covisit` directory (kind and section checksums verified), and the
 * training period whose item statistics the ranker's features read: built
 * from its stores, or mapped from the file of `ottorec stats` (checked
 * against the stores when both are given).
 */
#ifndef OR_CLI_MODELS_H
#define OR_CLI_MODELS_H

#include "cli_guard.h"
#include "or_ann.h"
#include "or_cand.h"
#include "or_covisit.h"
#include "or_err.h"

/* tab[kind] = DIR/<kind name>.covisit for the three kinds, which must
   hold the same item dictionary and be the set DIR/covisit.manifest names
   (or_covisit_set.h; tab[1] and tab[2] use tab[0]'s dictionary: free them
   with cli_free_covisit); on error all are freed and NULL. */
int cli_open_covisit_dir(const char *dir, or_covisit *tab[3], or_err *err);
void cli_free_covisit(or_covisit *tab[3]);

/* The training period of the ranker's item features: `--train STORE`
   (repeatable) and `--stats FILE` for `candidates`, `recommend --strategy
   ranker` and `serve`. */
#define CLI_MAX_TRAIN 8
typedef struct cli_train {
	const char *path[CLI_MAX_TRAIN];
	size_t n;
	const char *stats_path; /* --stats FILE, or NULL */
	or_store *store[CLI_MAX_TRAIN];
	or_cand_stats *stats;   /* NULL until opened, or with neither */
} cli_train;

/* Add one --train path: CLI_OK, or the usage error printed (CLI_USAGE). */
int cli_train_add(const char *cmd, cli_train *t, const char *path);
/* The statistics: from --stats (matched against the --train stores when
   there are any, else against the recorded stores that still exist:
   a stale file is refused naming it), else built from the stores (no-op
   without any).  Stores opened only to be matched are closed again. */
int cli_train_open(cli_train *t, or_err *err);
/* The --train paths and --stats of t as inputs ins[*n..] of
   cli_check_output (room for CLI_MAX_TRAIN + 1). */
void cli_train_inputs(const cli_train *t, cli_input *ins, size_t *n);
void cli_train_free(cli_train *t); /* the stores and statistics; paths kept */

#endif
