/*
 * or_synth.h - an OTTO-like synthetic data generator: the embedded default
 * data set.  This module owns the generative model (docs/synth.md): a
 * catalogue of items in groups with heavy-tailed, weekly drifting
 * popularity and "next item" affinities; sessions of several visits that
 * browse a few groups, follow affinities, revisit earlier items, cart
 * mostly clicked items and order mostly carted items in same-ts batches.
 *
 * At scale 1.0 the output has OTTO's size and shape: 12,899,779 train
 * sessions over the four weeks from 2022-07-31 22:00 UTC, then 1,671,803
 * test sessions (ids continue) in the following week, each truncated at a
 * random point, whose rest becomes the organiser-style labels; 1,855,603
 * items.  Scale multiplies sessions and items alike.
 *
 * Determinism: sessions are made in fixed-size chunks, each with its own RNG
 * state derived from (seed, chunk index), and merged in order, so the same
 * config gives the same bytes whatever the thread count.
 */
#ifndef OR_SYNTH_H
#define OR_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_labels.h"
#include "or_log.h"
#include "or_store.h"

/* OTTO's figures at scale 1.0 */
#define OR_SYNTH_OTTO_TRAIN_SESSIONS 12899779u
#define OR_SYNTH_OTTO_TEST_SESSIONS 1671803u
#define OR_SYNTH_OTTO_ITEMS 1855603u
#define OR_SYNTH_TS_START 1659304800000LL /* 2022-07-31 22:00:00 UTC, ms */
#define OR_SYNTH_WEEK_MS 604800000LL
#define OR_SYNTH_TRAIN_WEEKS 4
#define OR_SYNTH_MAX_SESSION 500 /* events per session, as in OTTO */

#define OR_SYNTH_SCALE_MIN 0.0001
#define OR_SYNTH_SCALE_MAX 1.0

typedef struct or_synth_config {
	double scale;  /* fraction of OTTO's size, OR_SYNTH_SCALE_MIN..MAX */
	uint64_t seed;
	int threads;   /* 0: all cores (OpenMP); ignored without OpenMP */

	/* Model knobs; or_synth_config_default sets the values that give
	   OTTO's shape (docs/synth.md).  Probabilities are in [0, 1]. */
	double train_len_median; /* session length: lognormal, clipped 2..500 */
	double train_len_sigma;
	double test_len_median;  /* test sessions before truncation */
	double test_len_sigma;
	double group_size;       /* mean items per group */
	double pop_spread;       /* log popularity above the median item: 1 is
				    OTTO's curve, 0 flat, 2 twice as steep */
	double pop_sigma_low;    /* ... below the median: sd of log popularity */
	double group_share;      /* share of the popularity rank common to a group */
	double drift_sigma;      /* weekly random-walk step of log popularity */
	double p_repeat;         /* a step re-clicks the item just seen */
	double p_revisit;        /* ... goes back to an earlier item */
	double p_follow;         /* ... follows the item's "next item" affinity */
	double p_switch;         /* a fresh pick moves to another group */
	double p_cart;           /* a click is followed by a cart */
	double p_order;          /* a visit with open carts ends in an order */
	int item_landings;       /* train sessions that start on each item, so
				    every item has at least this many events
				    (while there are sessions enough: the
				    default 3 uses 43% of them) */
} or_synth_config;

void or_synth_config_default(or_synth_config *cfg);

/* OR_EINVAL with a message naming the bad field when cfg is out of range. */
int or_synth_config_check(const or_synth_config *cfg, or_err *err);

/* Sizes implied by a scale (each at least 1; items at least 2). */
size_t or_synth_n_train_sessions(double scale);
size_t or_synth_n_test_sessions(double scale);
size_t or_synth_n_items(double scale);

/* What a run produced. */
typedef struct or_synth_result {
	size_t n_items;         /* catalogue size (= aid bound) */
	size_t train_sessions, train_events;
	size_t test_sessions, test_events; /* after truncation */
	size_t labels;          /* label rows (one per test session) */
	uint64_t train_type[OR_N_TYPES], test_type[OR_N_TYPES];
} or_synth_result;

/*
 * Generate the data set: append every train session to `train`, every
 * truncated test session to `test` and one label row per test session to
 * `labels` (all caller-owned; they should be empty).  `res` may be NULL.
 * Progress goes to log as stages "synth train" / "synth test" in sessions;
 * the caller's cancel flag stops it with OR_ECANCELLED.  On error the
 * builders and labels hold a partial result for the caller to discard.
 * Memory: about 13 bytes per event held by the builders, plus ~90 bytes per
 * item for the catalogue (3.3 GB peak at scale 1.0).
 */
int or_synth_generate(const or_synth_config *cfg, or_store_builder *train,
		      or_store_builder *test, or_labels *labels,
		      const or_log *log, or_synth_result *res, or_err *err);

/* The same, also appending every test session before its cut to
   `test_full` (when not NULL): the ground truth the labels come from, for
   tests and for evaluating on whole sessions. */
int or_synth_generate_full(const or_synth_config *cfg, or_store_builder *train,
			   or_store_builder *test, or_store_builder *test_full,
			   or_labels *labels, const or_log *log,
			   or_synth_result *res, or_err *err);

/*
 * Convenience: generate and write, each file atomically, into directory dir
 * (created with its missing parents): train.store, test.store and
 * test_labels.jsonl, and with `jsonl` also train.jsonl and test.jsonl
 * (OTTO's format, via or_export_jsonl on the written stores).  The builders
 * are freed before the JSONL export, so peak memory is that of generation.
 * Without `jsonl`, train.jsonl and test.jsonl already in dir are kept (they
 * may be the user's own; a warning says they are not this run's): nothing
 * this run did not write is ever deleted.  When a write fails or is
 * cancelled, every file this run wrote is removed.  A failure before writing (bad
 * config, cancelled generation) leaves the directory as it was.  `res` may
 * be NULL.  Progress also has the stages of the writers.
 */
int or_synth_write_dir(const or_synth_config *cfg, const char *dir, int jsonl,
		       const or_log *log, or_synth_result *res, or_err *err);

#endif
