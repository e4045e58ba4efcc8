/*
 * or_mf_train.c - the epoch loop shared by both modes (train, evaluate,
 * checkpoint, report) and the notebook's validation accuracy.
 */
#include "or_mf_internal.h"
#include "or_pairs.h"
#include "or_prng.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int or_mf_evaluate(const or_mf_model *m, const uint32_t *pairs, size_t n,
		   size_t batch, uint64_t seed, int threads, double *accuracy,
		   double *loss, or_err *err)
{
	*accuracy = 0;
	*loss = 0;
	if (n == 0)
		return OR_OK;
	if (batch == 0)
		batch = 65536;
	size_t bmax = batch < n ? batch : n;
	uint32_t *perm = malloc(bmax * sizeof(uint32_t));
	if (!perm)
		return or_err_set(err, OR_ENOMEM, "mf: out of memory");
	const or_mf_kernels *k = or_mf_kernels_pick(1);
	const size_t d = m->dim, nr = m->n_rows;
	const float *E = m->emb;
	or_prng r;
	or_prng_seed(&r, seed, 0x200000000ull);
	long long correct = 0, bad = 0;
	double lsum = 0;
	int nt = or_par_threads(threads);
	(void)nt;
	for (size_t off = 0; off < n; off += batch) {
		size_t b = n - off < batch ? n - off : batch;
		const uint32_t *p = pairs + 2 * off;
		or_prng_permutation(&r, perm, b);
		long long c = 0, badb = 0;
		double l = 0;
OMP(omp parallel for schedule(static) reduction(+ : c, l, badb) num_threads(nt))
		for (long long i = 0; i < (long long)b; i++) {
			uint32_t a = p[2 * i], bb = p[2 * i + 1], bn = p[2 * (size_t)perm[i] + 1];
			if (a >= nr || bb >= nr || bn >= nr) {
				badb++;
				continue;
			}
			float xp = k->dot(E + (size_t)a * d, E + (size_t)bb * d, d);
			float xn = k->dot(E + (size_t)a * d, E + (size_t)bn * d, d);
			c += (xp > 0) + (xn < 0);
			l += or_mf_bce(xp, 1.0f) + or_mf_bce(xn, 0.0f);
		}
		correct += c;
		bad += badb;
		lsum += l;
	}
	free(perm);
	if (bad)
		return or_err_set(err, OR_EFORMAT, "mf: %lld validation pairs name aids beyond the model's %zu rows", bad, nr);
	*accuracy = (double)correct / (2.0 * (double)n);
	*loss = lsum / (2.0 * (double)n);
	return OR_OK;
}

int or_mf_train(or_mf_model *m, const or_mf_config *cfg,
		const uint32_t *train, size_t n, const uint32_t *valid,
		size_t nv, const or_log *log, or_mf_epoch_fn on_epoch,
		void *ctx, or_mf_stats *st, or_err *err)
{
	or_mf_stats s = { 0 };
	if (cfg->mode != m->mode)
		return or_err_set(err, OR_EINVAL, "mf: model was made for the other mode");
	if (cfg->epochs < 1)
		return or_err_set(err, OR_EINVAL, "mf: epochs must be at least 1");
	int rc = OR_OK;
	double t0 = now_s(), t_train = 0;
	or_pairs_check *check = cfg->check; /* ended after the first epoch */
	while (m->epoch < (uint64_t)cfg->epochs) {
		double loss = 0, te = now_s();
		or_mf_config ecfg = *cfg; /* the epoch's: the check while it lasts */
		ecfg.check = check;
		if (cfg->mode == OR_MF_EXACT)
			rc = or_mf_train_exact_epoch(m, &ecfg, train, n, log, &loss, err);
		else
			rc = or_mf_train_fast_epoch(m, &ecfg, train, n, log, &loss, err);
		if (rc)
			break;
		m->epoch++;
		t_train += now_s() - te;
		s.pairs_trained += n;
		s.train_loss = loss;
		s.train_seconds = t_train;
		s.pairs_per_s = t_train > 0 ? (double)s.pairs_trained / t_train : 0;
		rc = or_mf_evaluate(m, valid, nv, cfg->batch, cfg->seed ^ m->epoch, cfg->threads,
				    &s.valid_accuracy, &s.valid_loss, err);
		if (check) {
			rc = or_pairs_check_end(check, rc, err);
			check = NULL;
		}
		if (rc)
			break;
		if (cfg->checkpoint) {
			rc = or_mf_checkpoint_save(m, cfg->checkpoint, err);
			if (rc)
				break;
		}
		if (on_epoch)
			on_epoch(ctx, (int)m->epoch, &s);
	}
	if (check) /* the first epoch failed or none ran */
		rc = or_pairs_check_end(check, rc, err);
	s.seconds = now_s() - t0;
	if (st)
		*st = s;
	return rc;
}
