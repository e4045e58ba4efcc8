/*
 * or_item2vec_internal.h - private parts of the item2vec module shared by
 * its files and its test: the sigmoid and log-sigmoid tables, the
 * skip-gram pair and CBOW position kernels (or_item2vec_kernels.c: scalar
 * reference, AVX2/FMA, AVX-512), the
 * downsampling rule, the alias table and the negatives' sampler (per row,
 * or over runs of equal count; or_item2vec.c).
 */
#ifndef OR_ITEM2VEC_INTERNAL_H
#define OR_ITEM2VEC_INTERNAL_H

#include "or_item2vec.h"

/* The logistic function tabulated over (-MAX_EXP, MAX_EXP), as word2vec.c
   and gensim do (their table has 1000 entries; ours 1024). */
#define OR_I2V_MAX_EXP 6.0f
#define OR_I2V_TABLE 1024

typedef struct or_i2v_tables {
	float sigmoid[OR_I2V_TABLE];  /* sigmoid at the bin's centre */
	float logsig[OR_I2V_TABLE];   /* -log(sigmoid), same bins */
	float logsig_neg[OR_I2V_TABLE]; /* -log(1 - sigmoid) */
} or_i2v_tables;

void or_i2v_tables_init(or_i2v_tables *t);

/* The bin of f, for |f| < OR_I2V_MAX_EXP. */
static inline int or_i2v_bin(float f)
{
	int b = (int)((f + OR_I2V_MAX_EXP) * ((float)OR_I2V_TABLE / (2.0f * OR_I2V_MAX_EXP)));
	return b < 0 ? 0 : b >= OR_I2V_TABLE ? OR_I2V_TABLE - 1 : b;
}

/*
 * One skip-gram pair: h (d floats) is the context's input vector, syn1 the
 * output table (rows of d floats), tgt[0..nt) the rows of the targets:
 * tgt[0] the center (label 1), the others negatives (label 0).  Every dot
 * product h . syn1[tgt[i]] is taken first; then for each target with
 * |dot| < MAX_EXP, g = (label - sigmoid(dot)) alpha, work += g syn1[tgt],
 * syn1[tgt] += g h, in target order; finally h += work.  Returns the
 * pair's loss (the sum of -log sigmoid(+-dot) over the targets updated).
 * work is d floats of scratch, dots nt floats.
 */
typedef float (*or_i2v_pair_fn)(float *h, float *syn1, const uint32_t *tgt, int nt, size_t d,
				float alpha, const or_i2v_tables *tab, float *work, float *dots);

/*
 * One CBOW position (gensim's fast_sentence_cbow_neg): ctx[0..nc) (nc >= 1)
 * are the rows of syn0 of its contexts (a row may repeat), tgt[0..nt) the
 * rows of syn1 of its targets as for a pair.  neu1 = the sum of the
 * contexts' rows, times 1/nc when mean; every dot product neu1 .
 * syn1[tgt[i]] first; then the targets' updates as for a pair with neu1
 * for h (work accumulating g syn1[tgt]); when not mean, work *= 1/nc; then
 * every context's row += work (each occurrence).  Returns the loss of the
 * targets updated.  neu1 and work are d floats of scratch, dots nt floats.
 */
typedef float (*or_i2v_cbow_fn)(float *syn0, const uint32_t *ctx, int nc, int mean, float *syn1,
				const uint32_t *tgt, int nt, size_t d, float alpha,
				const or_i2v_tables *tab, float *neu1, float *work, float *dots);

typedef struct or_i2v_kernels {
	or_i2v_pair_fn pair;
	or_i2v_cbow_fn cbow;
	const char *name; /* "scalar", "avx2" or "avx512" */
} or_i2v_kernels;

const or_i2v_kernels *or_i2v_kernels_scalar(void);
/* NULL when the CPU (or the build, or OTTOREC_NO_SIMD) does not allow them;
   the AVX-512 one handles width 32 itself and hands others to AVX2 */
const or_i2v_kernels *or_i2v_kernels_avx2(void);
const or_i2v_kernels *or_i2v_kernels_avx512(void);
/* The fastest allowed for width dim (simd 0: the scalar ones). */
const or_i2v_kernels *or_i2v_kernels_pick(int simd, size_t dim);

/* gensim's downsampling: the 32-bit threshold below which a uniform
   32-bit draw keeps an occurrence of an item of count c, given
   threshold_count = sample x total (UINT32_MAX + 1 = always kept). */
uint64_t or_i2v_keep_threshold(uint64_t c, double threshold_count);

/* Vose's alias table over n weights: entry k is chosen uniformly, then
   k itself when a 32-bit draw is below thr, else alias. */
typedef struct or_i2v_alias {
	uint32_t thr;
	uint32_t alias;
} or_i2v_alias;

/* tab[0..n) from w[0..n) (each > 0); deterministic. */
int or_i2v_alias_build(const double *w, size_t n, or_i2v_alias *tab, or_err *err);

/* One draw from the table with the 64 random bits r: entry k, or its
   alias, chosen without a branch (a coin toss that a branch would
   mispredict about half the time). */
static inline uint32_t or_i2v_alias_draw(const or_i2v_alias *tab, uint32_t n, uint64_t r)
{
	uint32_t k = (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
	or_i2v_alias e = tab[k];
	uint32_t other = 0u - (uint32_t)((uint32_t)r >= e.thr);
	return k ^ ((k ^ e.alias) & other);
}

/* The negatives' distribution over rows sorted by count, count ^ exponent
   / total per row, from an alias table in one of two forms chosen by the
   number of rows:
   - few rows: over the rows (span NULL), one random number a draw; its
     8 bytes a row stay in cache (prefetched ahead);
   - many rows (past row_table_max): rows of equal count have equal
     weight, so the table is over the runs of rows of one count (a run's
     weight: its length x its count ^ exponent), and a draw picks a run,
     then a row of the run uniformly (two random numbers).  One entry per
     distinct count (some thousands, in cache) rather than one per row
     (15 MB at full OTTO scale, whose prefetches compete with the training
     rows' for the line-fill buffers).  Measured in docs/item2vec.md. */
typedef struct or_i2v_neg_span {
	uint32_t start, len; /* a run's rows [start, start + len) */
} or_i2v_neg_span;

typedef struct or_i2v_negs {
	or_i2v_alias *tab;     /* over the rows, or over the runs */
	or_i2v_neg_span *span; /* the runs' rows, or NULL: tab is over the rows */
	uint32_t n;            /* entries of tab */
} or_i2v_negs;

/* From count[0..n), non-increasing, each > 0; the per-row form when n <=
   row_table_max, else the runs; deterministic. */
int or_i2v_negs_build(const uint64_t *count, size_t n, double exponent, size_t row_table_max,
		      or_i2v_negs *out, or_err *err);
void or_i2v_negs_release(or_i2v_negs *s);

/* One negative of the runs form from two 64-bit random numbers: r1 picks
   the run, r2 the row. */
static inline uint32_t or_i2v_negs_draw_runs(const or_i2v_negs *s, uint64_t r1, uint64_t r2)
{
	const or_i2v_neg_span e = s->span[or_i2v_alias_draw(s->tab, s->n, r1)];
	return e.start + (uint32_t)(((r2 >> 32) * (uint64_t)e.len) >> 32);
}

#endif
