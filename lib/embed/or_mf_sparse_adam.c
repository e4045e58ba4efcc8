/*
 * or_mf_sparse_adam.c - PyTorch's torch.optim.SparseAdam on one coalesced
 * gradient row, operation for operation in float32 as
 * torch/optim/_functional.py (sparse_adam) does it:
 *
 *   m_upd = (g - m) * (1 - b1);        m += m_upd
 *   v_upd = (g*g - v) * (1 - b2);      v += v_upd
 *   numer = m_upd + m_old;  denom = sqrt(v_upd + v_old) + eps
 *   step_size = lr * sqrt(1 - b2^t) / (1 - b1^t)     (double)
 *   p += -step_size * (numer / denom)
 *
 * Only rows present in the batch's gradient are touched (lazy Adam); t is
 * the optimiser's global step count.
 */
#include "or_mf_internal.h"

#include <math.h>

void or_mf_sparse_adam_init(or_mf_sparse_adam *o, const or_mf_config *cfg)
{
	o->lr = cfg->lr;
	o->beta1 = cfg->beta1;
	o->beta2 = cfg->beta2;
	o->eps = (float)cfg->eps;
	o->one_minus_b1 = (float)(1.0 - cfg->beta1);
	o->one_minus_b2 = (float)(1.0 - cfg->beta2);
	o->neg_step_size = 0;
}

void or_mf_sparse_adam_begin(or_mf_sparse_adam *o, uint64_t step)
{
	/* Python: 1 - beta ** step, lr * math.sqrt(bc2) / bc1, in double */
	double bc1 = 1.0 - pow(o->beta1, (double)step);
	double bc2 = 1.0 - pow(o->beta2, (double)step);
	double step_size = o->lr * sqrt(bc2) / bc1;
	o->neg_step_size = (float)(-step_size);
}

void or_mf_sparse_adam_row(const or_mf_sparse_adam *o, float *p, float *m,
			   float *v, const float *g, size_t d)
{
	const float c1 = o->one_minus_b1, c2 = o->one_minus_b2;
	const float eps = o->eps, ns = o->neg_step_size;
	for (size_t j = 0; j < d; j++) {
		float gj = g[j];
		float m_old = m[j], v_old = v[j];
		float m_upd = (gj - m_old) * c1;
		float v_upd = (gj * gj - v_old) * c2;
		float m_new = m_old + m_upd;
		float v_new = v_old + v_upd;
		m[j] = m_new;
		v[j] = v_new;
		float denom = sqrtf(v_new) + eps;
		p[j] += ns * (m_new / denom);
	}
}
