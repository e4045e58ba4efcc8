/*
 * or_mf_model.c - the mf model's memory: configuration defaults, one
 * 64-byte aligned slab holding the table and the optimiser state with
 * named views (llm.c's malloc_and_point_parameters), N(0, 1) initialisation
 * like nn.Embedding's or word2vec.c's small uniform one (row i from its own
 * RNG stream), in transparent huge pages.
 */
#include "or_mf_internal.h"
#include "or_prng.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

void or_mf_config_default(or_mf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = OR_MF_EXACT;
	cfg->dim = 32;
	cfg->batch = 65536;
	cfg->epochs = 1;
	cfg->lr = 0.1;
	cfg->beta1 = 0.9;
	cfg->beta2 = 0.999;
	cfg->eps = 1e-8;
	cfg->negatives = 1;
	cfg->neg_power = 1.0;
	cfg->threads = 0;
	cfg->seed = 42;
	cfg->simd = 1;
	cfg->checkpoint = NULL;
}

void or_mf_config_default_fast(or_mf_config *cfg)
{
	or_mf_config_default(cfg);
	cfg->mode = OR_MF_FAST;
	cfg->lr = 0.3;
	/* the N(0, 1) rows of aids seen in few pairs stay large and random
	   after an epoch and swamp dot products (docs/mf.md, measured) */
	cfg->init = OR_MF_INIT_SMALL;
}

static size_t round64(size_t x) { return (x + 63) & ~(size_t)63; }

#define HUGE_PAGE ((size_t)2 << 20)

void *or_mf_alloc_huge(size_t bytes)
{
	/* 2 MiB aligned and rounded, so the kernel can back it with
	   transparent huge pages: rows are read at random, and 4 KiB pages
	   make nearly every row access a TLB miss */
	if (bytes < HUGE_PAGE)
		return aligned_alloc(64, round64(bytes ? bytes : 1));
	size_t r = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (r < bytes)
		return NULL;
	void *p = aligned_alloc(HUGE_PAGE, r);
#ifdef MADV_HUGEPAGE
	if (p)
		madvise(p, r, MADV_HUGEPAGE);
#endif
	return p;
}

int or_mf_model_alloc(or_mf_model *m, size_t n_rows, size_t dim, int mode,
		      or_err *err)
{
	memset(m, 0, sizeof(*m));
	if (n_rows == 0 || dim == 0 || dim > 4096 || n_rows > UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "mf: bad model shape %zu x %zu (rows 1..2^32-1, dim 1..4096)", n_rows, dim);
	if (mode != OR_MF_EXACT && mode != OR_MF_FAST)
		return or_err_set(err, OR_EINVAL, "mf: unknown mode %d", mode);
	size_t table, acc, total;
	if (or_size_mul(n_rows, dim, &table) || or_size_mul(table, sizeof(float), &table) ||
	    or_size_mul(n_rows, sizeof(float), &acc))
		return or_err_set(err, OR_ENOMEM, "mf: model of %zu x %zu overflows", n_rows, dim);
	table = round64(table);
	acc = round64(acc);
	if (mode == OR_MF_EXACT) {
		if (or_size_mul(table, 3, &total))
			return or_err_set(err, OR_ENOMEM, "mf: model of %zu x %zu overflows", n_rows, dim);
	} else if (or_size_add(table, acc, &total)) {
		return or_err_set(err, OR_ENOMEM, "mf: model of %zu x %zu overflows", n_rows, dim);
	}
	char *slab = or_mf_alloc_huge(total);
	if (!slab)
		return or_err_set(err, OR_ENOMEM, "mf: out of memory for a %zu x %zu model (%zu bytes)", n_rows, dim, total);
	m->slab_ = slab;
	m->slab_bytes_ = total;
	m->n_rows = n_rows;
	m->dim = dim;
	m->mode = mode;
	m->emb = (float *)slab;
	if (mode == OR_MF_EXACT) {
		m->m = (float *)(slab + table);
		m->v = (float *)(slab + 2 * table);
		memset(slab + table, 0, 2 * table);
	} else {
		m->acc = (float *)(slab + table);
		memset(slab + table, 0, acc);
	}
	return OR_OK;
}

int or_mf_model_init(or_mf_model *m, size_t n_rows, const or_mf_config *cfg,
		     or_err *err)
{
	int rc = or_mf_model_alloc(m, n_rows, cfg->dim, cfg->mode, err);
	if (rc)
		return rc;
	m->seed = cfg->seed;
	const size_t d = m->dim;
	float *emb = m->emb;
	const uint64_t seed = cfg->seed;
	const int small = cfg->init == OR_MF_INIT_SMALL;
	const long long nr = (long long)n_rows;
OMP(omp parallel for schedule(static) num_threads(or_par_threads(cfg->threads)))
	for (long long i = 0; i < nr; i++) {
		or_prng r;
		or_prng_seed(&r, seed, (uint64_t)i);
		float *row = emb + (size_t)i * d;
		if (small) {
			for (size_t j = 0; j < d; j++)
				row[j] = (float)((or_prng_unit(&r) - 0.5) / (double)d);
			continue;
		}
		for (size_t j = 0; j < d; j += 2) {
			double z0, z1;
			or_prng_normal2(&r, &z0, &z1);
			row[j] = (float)z0;
			if (j + 1 < d)
				row[j + 1] = (float)z1;
		}
	}
	return OR_OK;
}

void or_mf_model_free(or_mf_model *m)
{
	if (!m)
		return;
	free(m->slab_);
	memset(m, 0, sizeof(*m));
}
