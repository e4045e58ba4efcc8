/*
 * or_mf.h - matrix-factorisation embeddings of aids, trained on aid ->
 * aid_next pairs (see or_pairs.h): the public API of the mf module.
 *
 * The model is the OTTO notebook's: one shared table E[n_rows][dim];
 * score(a, b) = E[a] . E[b]; binary cross-entropy with logits over the
 * positives and one shuffled negative per positive.  Two training modes:
 *
 *  - OR_MF_EXACT: the notebook's model and optimiser, step for step:
 *    batches of `batch` pairs in file order, the negative of pair i being
 *    aid_next[perm[i]] for a uniform permutation of the batch, loss = mean
 *    over the 2B outputs, sparse gradients coalesced (duplicate rows summed)
 *    and PyTorch's SparseAdam (lazy: moments and parameters touched only on
 *    the batch's rows; one global step count for bias correction).
 *    Matches PyTorch to float rounding (tests/ref/mf_exact.py).  Parallel
 *    inside a batch; given the seed the result does not depend on
 *    scheduling (only the printed loss's summation order depends on the
 *    thread count).
 *  - OR_MF_FAST: the same objective by Hogwild SGD (word2vec.c style):
 *    each thread takes a fixed shard of pairs, with its own RNG stream;
 *    `negatives` negatives per positive drawn from the aid_next frequency
 *    distribution (neg_power 1, default: the aid_next of a random one of
 *    the 1024 previous pairs of the shard, which in a shuffled pairs file
 *    is the distribution the notebook's in-batch permutation draws from,
 *    and cache-resident; other powers: a unigram table of counts raised to
 *    `neg_power`), row-wise Adagrad steps, small uniform init by default.  Lock-free updates of shared rows make results depend on
 *    scheduling (documented Hogwild); with threads = 1 runs are exact
 *    repeats.
 *
 * Memory: exact mode holds E, m and v (3 x n_rows x dim floats, in
 * transparent huge pages) plus O(batch x dim) workspace; fast mode E plus
 * one float per row (and the unigram table when neg_power != 1).  The
 * library never prints; progress and cancellation go through or_log.
 */
#ifndef OR_MF_H
#define OR_MF_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

enum { OR_MF_EXACT = 0, OR_MF_FAST = 1 };
/* Initial table: N(0, 1) like nn.Embedding (the notebook's), or
   word2vec.c's uniform(-0.5 / dim, 0.5 / dim). */
enum { OR_MF_INIT_NORMAL = 0, OR_MF_INIT_SMALL = 1 };

typedef struct or_mf_config {
	int mode;            /* OR_MF_EXACT (default) or OR_MF_FAST */
	size_t dim;          /* embedding width (default 32) */
	size_t batch;        /* exact: pairs per step (default 65536) */
	int epochs;          /* default 1 */
	double lr;           /* exact: SparseAdam lr (0.1); fast: Adagrad lr */
	double beta1, beta2, eps;   /* exact: 0.9, 0.999, 1e-8 */
	int negatives;       /* fast: negatives per positive (default 1) */
	double neg_power;    /* fast: negatives ~ count^neg_power (default 1:
	                        recent pairs' aid_next; else a unigram table) */
	int threads;         /* 0 = all cores */
	uint64_t seed;       /* init, permutations, negatives (default 42) */
	int simd;            /* 1: AVX2/FMA kernels when the CPU has them */
	const char *checkpoint; /* write state here after each epoch (NULL: no) */
	double *loss_curve;     /* NULL, or epochs x OR_MF_CURVE slots: exact
	                           mode writes the mean train loss of each
	                           1/OR_MF_CURVE of epoch e at [e * OR_MF_CURVE + w]
	                           (`ottorec report`'s curve); others untouched */
	int init;            /* OR_MF_INIT_NORMAL (default) or OR_MF_INIT_SMALL */
	struct or_pairs_check *check; /* the training pairs' checksums
	                        (or_pairs.h; NULL: none), carried along as the
	                        first epoch reads them and compared when it
	                        ends (after its validation), before a
	                        checkpoint is written: a mismatch stops
	                        training with its error.  or_mf_train ends it. */
} or_mf_config;

void or_mf_config_default(or_mf_config *cfg);
/* The defaults that differ in fast mode (lr 0.3, init small). */
void or_mf_config_default_fast(or_mf_config *cfg);

/* The model and its optimiser state: one 64-byte aligned slab with views. */
typedef struct or_mf_model {
	size_t n_rows, dim;
	int mode;
	float *emb;      /* n_rows * dim */
	float *m, *v;    /* exact: SparseAdam moments, n_rows * dim each */
	float *acc;      /* fast: Adagrad accumulator, one per row */
	uint64_t step;   /* optimiser steps done (exact) */
	uint64_t epoch;  /* whole epochs done */
	uint64_t seed;
	void *slab_;     /* private */
	size_t slab_bytes_;
} or_mf_model;

/* Allocate a model for cfg->mode with E[i][j] ~ N(0, 1), or uniform in
   +-0.5/dim with cfg->init = OR_MF_INIT_SMALL (row i drawn from its own
   stream of cfg->seed, so the table does not depend on threads). */
int or_mf_model_init(or_mf_model *m, size_t n_rows, const or_mf_config *cfg,
		     or_err *err);
void or_mf_model_free(or_mf_model *m); /* zeroed or NULL is fine */

/*
 * One exact step (the notebook's training step) on `batch` pairs
 * (interleaved uint32 aid, aid_next) with the given negative permutation
 * (perm[i] < batch, a permutation).  Needs a workspace made for the model.
 * *loss receives the batch's mean BCE (before the update).
 */
typedef struct or_mf_exact_ws or_mf_exact_ws;
int or_mf_exact_ws_new(or_mf_exact_ws **out, const or_mf_model *m,
		       size_t max_batch, const or_mf_config *cfg, or_err *err);
void or_mf_exact_ws_free(or_mf_exact_ws *ws);
int or_mf_exact_step(or_mf_model *m, or_mf_exact_ws *ws,
		     const uint32_t *pairs, size_t batch,
		     const uint32_t *perm, double *loss, or_err *err);

/* Training statistics of the last epoch (and totals). */
#define OR_MF_CURVE 20 /* loss-curve points per epoch: every 5 % */

typedef struct or_mf_stats {
	double train_loss;      /* mean loss over the last epoch's pairs */
	double valid_accuracy;  /* the notebook's: pos > 0.5, neg < 0.5 */
	double valid_loss;
	uint64_t pairs_trained; /* over all epochs of this run */
	double seconds;         /* wall time of this run (with evaluation) */
	double train_seconds;   /* time in training epochs only */
	double pairs_per_s;     /* pairs_trained / train_seconds */
} or_mf_stats;

/* Called after each epoch (may be NULL): epoch number (1-based), stats. */
typedef void (*or_mf_epoch_fn)(void *ctx, int epoch, const or_mf_stats *st);

/*
 * Train m (fresh from or_mf_model_init, or resumed by or_mf_checkpoint_load)
 * for the epochs from m->epoch up to cfg->epochs on `train` pairs, and
 * evaluate on `valid` after each epoch (nv may be 0).  Writes a checkpoint
 * after every epoch when cfg->checkpoint is set.  Cancellable via log.
 */
int or_mf_train(or_mf_model *m, const or_mf_config *cfg,
		const uint32_t *train, size_t n, const uint32_t *valid,
		size_t nv, const or_log *log, or_mf_epoch_fn on_epoch,
		void *ctx, or_mf_stats *st, or_err *err);

/* The notebook's validation: batches of `batch` pairs, negatives by a
   permutation of each batch drawn from `seed`; accuracy over 2 * nv
   outputs (logit > 0 for positives, < 0 for negatives) and mean BCE. */
int or_mf_evaluate(const or_mf_model *m, const uint32_t *pairs, size_t n,
		   size_t batch, uint64_t seed, int threads, double *accuracy,
		   double *loss, or_err *err);

/*
 * Checkpoint: the whole state (table, moments, step, epoch, seed, mode) in
 * a versioned, checksummed binary file, written atomically: a sectioned file
 * (or_sfile.h; 4096-byte header page, sections aligned to 64 bytes).
 *
 *   offset size field
 *   0      8    magic "OTTOMFCK"
 *   8      4    version (2; 1 had its own header)
 *   12     148  or_sfile.h's header fields: 4 sections
 *   32     4    mode                   36  4  reserved, 0
 *   40     8    n_rows                 48  8  dim
 *   56     8    step                   64  8  epoch
 *   72     8    seed
 *   160    128  section table (or_sfile.h), float32 arrays:
 *                 0 table E[n_rows * dim]
 *                 1 first moments m[n_rows * dim]  (exact; fast: empty)
 *                 2 second moments v[n_rows * dim] (exact; fast: empty)
 *                 3 accumulators acc[n_rows]       (fast; exact: empty)
 *   672    8    header checksum
 *   4096        the sections
 *
 * Loading checks every section's checksum as it copies it (one pass, the
 * model kept only when all match).
 */
int or_mf_checkpoint_save(const or_mf_model *m, const char *path, or_err *err);
/* Load into a zeroed model; fails naming the field when cfg disagrees
   (mode, dim) or n_rows differs from expect_rows (0: any). */
int or_mf_checkpoint_load(or_mf_model *m, const char *path,
			  const or_mf_config *cfg, size_t expect_rows,
			  or_err *err);

#endif
