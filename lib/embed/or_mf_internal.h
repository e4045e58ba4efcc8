/*
 * or_mf_internal.h - private parts of the mf module shared by its files:
 * the vector kernels (or_mf_kernels.c: scalar reference + AVX2/FMA, chosen
 * at run time), the two optimisers (or_mf_sparse_adam.c, or_mf_adagrad.c),
 * the per-mode training loops (or_mf_exact.c, or_mf_fast.c).
 */
#ifndef OR_MF_INTERNAL_H
#define OR_MF_INTERNAL_H

#include "or_mf.h"
#include "or_par.h"

#include <math.h>

/* ---- kernels ----------------------------------------------------------- */

struct or_mf_sparse_adam;

typedef struct or_mf_kernels {
	/* sum_j a[j] * b[j] */
	float (*dot)(const float *a, const float *b, size_t d);
	/* y[j] += alpha * x[j] */
	void (*axpy)(float alpha, const float *x, float *y, size_t d);
	/* SparseAdam row update (see or_mf_sparse_adam.c); the AVX2 version
	   uses the same correctly rounded operations, no FMA, so both give
	   the same bits */
	void (*adam_row)(const struct or_mf_sparse_adam *o, float *p, float *m,
			 float *v, const float *g, size_t d);
	const char *name; /* "scalar" or "avx2" */
} or_mf_kernels;

/* The scalar reference kernels, and the best ones allowed (simd = 0 gives
   scalar; simd = 1 gives AVX2/FMA when the CPU supports it). */
const or_mf_kernels *or_mf_kernels_scalar(void);
const or_mf_kernels *or_mf_kernels_avx2(void); /* NULL when unsupported */
const or_mf_kernels *or_mf_kernels_pick(int simd);

/* Numerically safe log(1 + exp(-|x|)) + max(x, 0) - x*y (BCE with logits). */
double or_mf_bce(float x, float y);
/* The same in float (for reporting; inner loops). */
static inline float or_mf_bcef(float x, int positive)
{
	float lin = positive ? (x < 0 ? -x : 0.0f) : (x > 0 ? x : 0.0f);
	return lin + log1pf(expf(-fabsf(x)));
}

/* ---- SparseAdam (PyTorch's torch.optim.SparseAdam) --------------------- */

typedef struct or_mf_sparse_adam {
	double lr, beta1, beta2; /* as PyTorch keeps them: Python floats */
	float eps;
	/* per-step constants (set by or_mf_sparse_adam_begin) */
	float one_minus_b1, one_minus_b2, neg_step_size;
} or_mf_sparse_adam;

void or_mf_sparse_adam_init(or_mf_sparse_adam *o, const or_mf_config *cfg);
/* Start step number `step` (1-based: bias correction uses it). */
void or_mf_sparse_adam_begin(or_mf_sparse_adam *o, uint64_t step);
/* Update one row: p, m, v (d floats each) with its coalesced gradient g. */
void or_mf_sparse_adam_row(const or_mf_sparse_adam *o, float *p, float *m,
			   float *v, const float *g, size_t d);

/* ---- row-wise Adagrad (fast mode) -------------------------------------- */

/* Scale of row r's step for gradient g (d floats), updating acc[r]:
   acc += mean(g^2); returns lr / sqrt(acc + 1e-10). */
float or_mf_adagrad_scale(float *acc_row, const float *g, size_t d, float lr);
/* The same given the mean squared gradient of the row. */
float or_mf_adagrad_scale_sq(float *acc_row, float mean_sq, float lr);

/* ---- training loops ---------------------------------------------------- */

int or_mf_train_exact_epoch(or_mf_model *m, const or_mf_config *cfg,
			    const uint32_t *train, size_t n,
			    const or_log *log, double *loss, or_err *err);
int or_mf_train_fast_epoch(or_mf_model *m, const or_mf_config *cfg,
			   const uint32_t *train, size_t n,
			   const or_log *log, double *loss, or_err *err);

/* Allocate the slab for a model (table uninitialised, optimiser state
   zero); used by init and by checkpoint loading. */
/* aligned_alloc'ed memory (free() it) of at least `bytes`; blocks of 2 MiB
   or more are 2 MiB aligned and advised for transparent huge pages. */
void *or_mf_alloc_huge(size_t bytes);

int or_mf_model_alloc(or_mf_model *m, size_t n_rows, size_t dim, int mode,
		      or_err *err);

#endif
