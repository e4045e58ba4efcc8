/*
 * cli_models.c - opening the co-visitation tables of a directory for the
 * commands that use them (see cli_models.h): the set of lib/covisit's
 * or_covisit_set.h, manifest checked; and the ranker's training-period
 * stores with their item statistics, built or opened from a file.
 */
#include "cli.h"
#include "cli_models.h"

#include "or_cand_stats_file.h"
#include "or_covisit_set.h"

void cli_free_covisit(or_covisit *tab[3])
{
	for (int i = 3; i-- > 0;) { /* 1 and 2 use the dictionary of 0 */
		or_covisit_free(tab[i]);
		tab[i] = NULL;
	}
}

int cli_open_covisit_dir(const char *dir, or_covisit *tab[3], or_err *err)
{
	return or_covisit_set_open(dir, tab, err);
}

int cli_train_add(const char *cmd, cli_train *t, const char *path)
{
	if (t->n == CLI_MAX_TRAIN)
		return cli_usage_error(cmd, "at most %d --train stores", CLI_MAX_TRAIN);
	t->path[t->n++] = path;
	return CLI_OK;
}

int cli_train_open(cli_train *t, or_err *err)
{
	int rc = OR_OK;
	for (size_t i = 0; !rc && i < t->n; i++)
		rc = or_store_open(t->path[i], &t->store[i], err);
	if (!rc && t->stats_path) {
		rc = or_cand_stats_open(t->stats_path, &t->stats, err);
		if (!rc)
			rc = t->n ? or_cand_stats_match(t->stats, t->stats_path, t->store, t->n, err)
				  : or_cand_stats_check_sources(t->stats, t->stats_path, err);
		for (size_t i = 0; i < t->n; i++) { /* their statistics are the file's */
			or_store_free(t->store[i]);
			t->store[i] = NULL;
		}
	} else if (!rc && t->n) {
		rc = or_cand_stats_build(t->store, t->n, &t->stats, cli_log(), err);
	}
	return rc;
}

void cli_train_inputs(const cli_train *t, cli_input *ins, size_t *n)
{
	for (size_t i = 0; i < t->n; i++)
		ins[(*n)++] = (cli_input){ t->path[i], 0 };
	if (t->stats_path)
		ins[(*n)++] = (cli_input){ t->stats_path, 0 };
}

void cli_train_free(cli_train *t)
{
	or_cand_stats_free(t->stats);
	t->stats = NULL;
	for (size_t i = 0; i < t->n; i++) {
		or_store_free(t->store[i]);
		t->store[i] = NULL;
	}
}
