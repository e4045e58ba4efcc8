/*
 * or_mf_adagrad.c - row-wise Adagrad (as PyTorch-BigGraph uses for
 * embedding tables): one accumulator per row holding the sum of the mean
 * squared gradient of that row; the step of the row is lr / sqrt(acc).
 * One float per row instead of two tables of moments keeps fast mode's
 * memory at the table itself, and the update is a single scalar.
 */
#include "or_mf_internal.h"

#include <math.h>

float or_mf_adagrad_scale(float *acc_row, const float *g, size_t d, float lr)
{
	float s = 0;
	for (size_t j = 0; j < d; j++)
		s += g[j] * g[j];
	return or_mf_adagrad_scale_sq(acc_row, s / (float)d, lr);
}

float or_mf_adagrad_scale_sq(float *acc_row, float mean_sq, float lr)
{
	float a = *acc_row + mean_sq;
	*acc_row = a; /* Hogwild: a lost update only delays the decay */
	return lr / sqrtf(a + 1e-10f);
}
