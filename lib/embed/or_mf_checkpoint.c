/*
 * or_mf_checkpoint.c - save and resume the whole training state (layout in
 * or_mf.h): an or_sfile whose fields are the counts and whose sections are
 * the float32 slab views, written atomically; loading verifies every
 * section before copying it into a fresh model.
 */
#include "or_mf_internal.h"
#include "or_sfile.h"

#include <string.h>

/* The file's fields (or_mf.h gives their offsets: 32 + these). */
typedef struct ck_meta {
	uint32_t mode, reserved;
	uint64_t n_rows, dim, step, epoch, seed;
} ck_meta;
OR_SFILE_META_FITS(ck_meta);
_Static_assert(offsetof(ck_meta, n_rows) == 40 - 32 && offsetof(ck_meta, seed) == 72 - 32,
	       "or_mf.h's layout");

enum { SEC_EMB, SEC_M, SEC_V, SEC_ACC, N_SECTIONS };
static const char *const sec_names[N_SECTIONS] = {
	"table", "first moments", "second moments", "accumulators"
};
static const or_sfile_format ck_format = {
	.magic = "OTTOMFCK", .version = 2, .align = 64, .n_sections = N_SECTIONS,
	.section_names = sec_names, .what = "checkpoint",
	.rebuild = "train without --resume to start a new one",
};

/* The model's slab views by section (NULL: empty in this mode), and their
   sizes. */
static void views(const or_mf_model *m, float *v[N_SECTIONS], uint64_t sz[N_SECTIONS])
{
	uint64_t table = (uint64_t)m->n_rows * m->dim * sizeof(float);
	int exact = m->mode == OR_MF_EXACT;
	v[SEC_EMB] = m->emb;
	sz[SEC_EMB] = table;
	v[SEC_M] = exact ? m->m : NULL;
	v[SEC_V] = exact ? m->v : NULL;
	sz[SEC_M] = sz[SEC_V] = exact ? table : 0;
	v[SEC_ACC] = exact ? NULL : m->acc;
	sz[SEC_ACC] = exact ? 0 : (uint64_t)m->n_rows * sizeof(float);
}

int or_mf_checkpoint_save(const or_mf_model *m, const char *path, or_err *err)
{
	float *v[N_SECTIONS];
	uint64_t sz[N_SECTIONS];
	views(m, v, sz);
	ck_meta meta = {
		.mode = (uint32_t)m->mode, .n_rows = m->n_rows, .dim = m->dim, .step = m->step,
		.epoch = m->epoch, .seed = m->seed,
	};
	or_sfile_writer *w;
	int rc = or_sfile_writer_open(&w, path, &ck_format, sz, OR_SFILE_STREAM, err);
	for (unsigned s = 0; s < N_SECTIONS && !rc; s++)
		if (sz[s])
			rc = or_sfile_writer_append(w, s, v[s], (size_t)sz[s], err);
	if (!rc)
		return or_sfile_writer_commit(w, &meta, sizeof(meta), NULL, err);
	or_sfile_writer_abort(w);
	return rc;
}

int or_mf_checkpoint_load(or_mf_model *m, const char *path,
			  const or_mf_config *cfg, size_t expect_rows,
			  or_err *err)
{
	memset(m, 0, sizeof(*m));
	or_sfile f;
	int rc = or_sfile_open(&f, path, &ck_format, err);
	if (rc)
		return rc;
	ck_meta h;
	or_sfile_meta(&f, &h, sizeof(h));
	if ((h.mode != OR_MF_EXACT && h.mode != OR_MF_FAST) || h.dim == 0 || h.dim > 65536 ||
	    h.n_rows > ((uint64_t)1 << 40)) {
		rc = or_sfile_damaged(&f, err, "mode, dim or rows out of range");
		goto out;
	}
	if ((int)h.mode != cfg->mode || h.dim != cfg->dim) {
		rc = or_err_set(err, OR_EINVAL, "%s: checkpoint is mode %s dim %llu, the run asks for mode %s dim %zu", path,
				h.mode == OR_MF_EXACT ? "exact" : "fast", (unsigned long long)h.dim,
				cfg->mode == OR_MF_EXACT ? "exact" : "fast", cfg->dim);
		goto out;
	}
	if (expect_rows && h.n_rows != expect_rows) {
		rc = or_err_set(err, OR_EINVAL, "%s: checkpoint has %llu rows, the pairs need %zu", path,
				(unsigned long long)h.n_rows, expect_rows);
		goto out;
	}
	/* the sizes the counts give, before any allocation */
	or_mf_model shape = { .n_rows = (size_t)h.n_rows, .dim = (size_t)h.dim, .mode = (int)h.mode };
	float *v[N_SECTIONS];
	uint64_t sz[N_SECTIONS];
	views(&shape, v, sz);
	for (unsigned s = 0; s < N_SECTIONS && !rc; s++)
		rc = or_sfile_expect(&f, s, sz[s], 1, err);
	if (!rc)
		rc = or_mf_model_alloc(m, (size_t)h.n_rows, (size_t)h.dim, (int)h.mode, err);
	if (rc)
		goto out;
	/* one pass: each piece checksummed as it is copied (or_sfile_check),
	   the model kept only when every section matched */
	or_sfile_check *chk = or_sfile_check_new(&f, OR_SFILE_ALL_SECTIONS);
	views(m, v, sz);
	const size_t piece = (size_t)4 << 20;
	for (unsigned s = 0; chk && s < N_SECTIONS; s++)
		for (size_t at = 0; at < sz[s]; at += piece) {
			size_t n = sz[s] - at < piece ? (size_t)sz[s] - at : piece;
			memcpy((char *)v[s] + at, (const char *)or_sfile_section_data(&f, s) + at, n);
			or_sfile_check_to(chk, s, at + n);
		}
	rc = or_sfile_check_end(chk, err);
	if (rc)
		goto out;
	m->step = h.step;
	m->epoch = h.epoch;
	m->seed = h.seed;
out:
	or_sfile_release(&f);
	if (rc)
		or_mf_model_free(m);
	return rc;
}
