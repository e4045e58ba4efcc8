/*
 * or_item2vec.h - item2vec: skip-gram (default) or CBOW with negative
 * sampling (word2vec, Mikolov et al. 2013) over sessions as sentences and
 * aids as words, the public API of the item2vec module.  Every option
 * means what it means in the word2vec paper and in gensim's
 * Word2Vec(sg=1, hs=0) (or sg=0 with cbow):
 *
 *  - vocabulary: the items (of the union of the stores' dictionaries,
 *    or_items.h) occurring at least min_count times; rarer ones are
 *    dropped from the sentences before anything else;
 *  - frequent-item downsampling (`sample`): an occurrence of an item of
 *    count c is kept with probability (sqrt(c / t) + 1) t / c, t = sample
 *    x (words of the vocabulary), redrawn at every epoch (sample 0: off);
 *  - the reduced window: for each kept position a b uniform in
 *    0..window-1 is drawn and the neighbours within window - b on either
 *    side (same session, after downsampling) are its contexts;
 *  - each (center, context) pair: the context's input vector predicts the
 *    center (label 1) and `negative` items drawn from the unigram
 *    distribution count^ns_exponent (label 0; a draw equal to the center is
 *    skipped; a negative exponent favours rare items, as in gensim), with
 *    a logistic loss; dot products beyond +-6 give no update (gensim's rule);
 *  - cbow (gensim's sg=0): each kept position with its reduced window is
 *    one update instead: l1 = the sum of its contexts' input vectors
 *    (divided by their count when cbow_mean) predicts the center (label 1)
 *    and `negative` draws (a draw equal to the center skipped), with the
 *    same logistic loss and +-6 rule; each target's output vector moves by
 *    g l1, and the sum of g x (target's output vector), divided by the
 *    count when not cbow_mean, is added to every context's input vector
 *    (each occurrence) - gensim's fast_sentence_cbow_neg;
 *  - the learning rate decays linearly from alpha to min_alpha over all
 *    epochs' words;
 *  - input vectors start uniform in +-1/dim (gensim 4's; word2vec.c and
 *    gensim 3 used +-0.5/dim, which scores lower here: docs/item2vec.md),
 *    output vectors at 0.
 *
 * Differences, by choice: the random numbers are this library's (per
 * block of sentences, or_prng.h), so results are not gensim's bits; the
 * dot products of a pair's (or CBOW position's) 1 + negative targets are
 * all taken before any of them is updated (they differ from sequential updates only when a
 * negative is drawn twice); negatives come from an alias table (exact
 * probabilities; per row, or over the runs of rows of equal count past
 * neg_rows_max rows) rather than a cumulative table;
 * sentences are cut at 10000 kept words (gensim's limit).
 *
 * One opt-in departure from word2vec, off by default: shared_negatives
 * draws a center's negatives once and uses them for each of its pairs
 * (pWord2Vec, Ji et al. 2016), fetching fewer rows; docs/item2vec.md has
 * its quality.
 *
 * Threads: Hogwild (lock-free updates of shared rows).  The corpus is cut
 * into fixed blocks of sentences (~10000 words each); a block's random
 * stream is (seed, epoch, block) and its learning rate follows its
 * position in the corpus, so with threads = 1 the result depends on the
 * seed only, byte for byte; with more threads on scheduling too.
 *
 * Memory: the corpus as item ranks (4 bytes an event, after dropping rare
 * items and collapsing), sentence offsets (8 bytes a session), two tables
 * of n_vocab x dim floats.  The library never prints: progress and
 * cancellation through or_log, figures through the progress callback.
 */
#ifndef OR_ITEM2VEC_H
#define OR_ITEM2VEC_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

struct or_store;

#define OR_I2V_MAX_NEGATIVE 64
#define OR_I2V_MAX_SENTENCE 10000
/* Rows above which negatives are drawn from the runs of equal count: past
   it the per-row table (8 bytes a row) no longer stays in cache beside the
   training rows and its misses compete with theirs (docs/item2vec.md). */
#define OR_I2V_NEG_ROWS_MAX ((size_t)1 << 19)

typedef struct or_i2v_config {
	size_t dim;            /* vector width (32) */
	int window;            /* max distance of a context (5) */
	int negative;          /* negatives per pair, 1..OR_I2V_MAX_NEGATIVE (5) */
	double ns_exponent;    /* negatives ~ count^ns_exponent (0.75) */
	double sample;         /* downsampling threshold (1e-3; 0 off) */
	uint64_t min_count;    /* items rarer than this are dropped (1) */
	int epochs;            /* passes over the corpus (5) */
	double alpha;          /* initial learning rate (0.025) */
	double min_alpha;      /* final learning rate (0.0001) */
	int collapse_repeats;  /* 1: a run of the same aid counts once (0) */
	int shared_negatives;  /* 1: a center's negatives drawn once for all its
				  contexts (pWord2Vec's approximation; 0: per pair,
				  word2vec's and gensim's rule); skip-gram only
				  (with cbow: OR_EINVAL, CBOW draws a center's
				  negatives once already) */
	int cbow;              /* 1: CBOW (gensim's sg=0); 0: skip-gram (0) */
	int cbow_mean;         /* with cbow: 1 the contexts' mean, 0 their sum
				  (gensim's cbow_mean; 1) */
	uint64_t seed;         /* initial vectors and every draw (1) */
	int threads;           /* 0: all cores */
	int simd;              /* 1: AVX2/FMA or AVX-512 kernels where the CPU has them (1) */
	size_t neg_rows_max;   /* negatives from a table per row up to this many
				  rows, from one over the runs of rows of equal
				  count above (OR_I2V_NEG_ROWS_MAX; 0: always the
				  runs): the same distribution, other draws */
} or_i2v_config;

void or_i2v_config_default(or_i2v_config *cfg);

/* Figures of a run so far (progress) or of the whole run (at the end). */
typedef struct or_i2v_stats {
	size_t items;            /* distinct items of the stores */
	size_t vocab;            /* items kept (count >= min_count) */
	size_t sentences;        /* sessions with at least one vocabulary item */
	uint64_t corpus_words;   /* vocabulary words of one epoch */
	int epoch;               /* the epoch being trained (1-based) / done */
	int epochs;
	int epoch_end;           /* 1 in the progress call after an epoch */
	uint64_t words;          /* corpus words trained so far, all epochs */
	uint64_t words_total;    /* corpus_words x epochs */
	uint64_t effective_words; /* of them kept by downsampling */
	uint64_t pairs;          /* updates trained: skip-gram's (center,
	                            context) pairs; CBOW's positions (one
	                            center update each, its contexts together) */
	double loss;             /* mean loss per update (its positive +
	                            negatives terms, -log sigmoid(+-f) of the
	                            targets updated): of the last epoch at the
	                            end, of the current epoch so far in
	                            progress */
	double epoch_loss[16];   /* mean loss of each of the first 16 epochs */
	double alpha;            /* learning rate now */
	double seconds;          /* training time (after building the corpus) */
	double words_per_s;      /* words / seconds */
	double corpus_seconds;   /* building the vocabulary and the corpus */
	const char *kernels;     /* "scalar", "avx2" or "avx512" */
	const char *negatives_table; /* "rows" (one alias entry per row) or
					"runs" (per run of rows of equal count) */
} or_i2v_stats;

/* Called from one thread every few blocks and once after each epoch (may
   be NULL). */
typedef void (*or_i2v_progress_fn)(void *ctx, const or_i2v_stats *st);

/* The result: one row per vocabulary item in increasing aid order. */
typedef struct or_i2v_model {
	size_t n_rows, dim;
	uint32_t *aids;  /* n_rows aids, strictly increasing (owned) */
	float *vectors;  /* n_rows x dim, the input vectors (owned) */
} or_i2v_model;

/*
 * Train on every session of the n_stores stores (in order).  On success
 * *out holds the vectors (release with or_i2v_model_release) and *st the
 * run's figures (st may be NULL).  OR_EINVAL for a bad config, OR_EFORMAT
 * when no item reaches min_count, OR_ECANCELLED through log.
 */
int or_i2v_train(struct or_store *const *stores, size_t n_stores, const or_i2v_config *cfg,
		 const or_log *log, or_i2v_progress_fn progress, void *ctx,
		 or_i2v_model *out, or_i2v_stats *st, or_err *err);
void or_i2v_model_release(or_i2v_model *m); /* a zeroed model is fine */

/*
 * The model in word2vec's text format ("<rows> <dim>", then one line per
 * row: the aid and its dim values, space-separated), which gensim's
 * KeyedVectors.load_word2vec_format reads; floats printed with 9
 * significant digits, so they read back as the same float32.  Atomic.
 */
int or_i2v_write_text(const char *path, const or_i2v_model *m, or_err *err);

#endif
