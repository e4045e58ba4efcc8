/*
 * serve_models.h - the model set `ottorec serve` answers from: one
 * strategy of lib/rec/or_strategy.h with the files of a `run -o OUTDIR`
 * (co-visitation tables, ANN index, ranker model, blend weights; the training period's
 * item statistics, from their file or its stores, and the test period's
 * summary), opened read-only (mmap) once and shared by every worker thread
 * (the ranker too: or_ranker_score only reads it); reference-counted, so
 * that a reload swaps in a new set while requests in flight finish on the
 * old one.  Owns what is loaded from where and the per-request call.
 */
#ifndef OR_SERVE_MODELS_H
#define OR_SERVE_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "cli_models.h"
#include "or_err.h"
#include "or_store.h"
#include "or_strategy.h"

typedef struct serve_config {
	const char *dir;      /* OUTDIR */
	const char *strategy; /* a strategy with OR_PER_SESSION */
	const char *train[CLI_MAX_TRAIN]; /* ranker's item statistics: built */
	size_t n_train;
	const char *stats;    /* or mapped from this file (checked against train) */
	const char *period;   /* the test period (popular fill-ups, t_* and pop_* features) */
	const char *weights;  /* blend's weights file; NULL: OUTDIR/fit/blend.weights
				 when it exists (what `run` tunes), else built-in */
	size_t workers;       /* the server's worker threads */
} serve_config;

typedef struct serve_models serve_models;

/* Open everything the strategy needs (errors name the file). */
int serve_models_load(const serve_config *cfg, unsigned version, serve_models **out, or_err *err);
/* Reference counting: load returns one reference; the last unref frees. */
void serve_models_ref(serve_models *m);
void serve_models_unref(serve_models *m);

unsigned serve_models_version(const serve_models *m);
double serve_models_loaded_at(const serve_models *m); /* unix seconds */
const char *serve_models_strategy(const serve_models *m);
/* What the set was loaded with beyond the strategy's fixed files, for the
   log ("" or e.g. ", weights DIR/fit/blend.weights, index DIR/index.ann"). */
const char *serve_models_detail(const serve_models *m);

/* The strategy's k lists for every session of st (rows[t]: n_sessions *
   k, caller-owned), on the calling thread. */
int serve_models_recommend(serve_models *m, const or_store *st, size_t k, int64_t *const rows[3],
			   or_err *err);

#endif
