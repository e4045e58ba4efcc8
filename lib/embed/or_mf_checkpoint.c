/*
 * or_mf_checkpoint.c - save and resume the whole training state (layout in
 * or_mf.h): header with counts and XXH3 checksums, then the float32 slab
 * views; written atomically through or_file.
 */
#include "or_file.h"
#include "or_mf_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define CK_MAGIC "OTTOMFCK"
#define CK_VERSION 1u
#define CK_HEADER 80

static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* the payload views in order, and their sizes */
static int views(const or_mf_model *m, float *v[3], size_t sz[3])
{
	size_t table = m->n_rows * m->dim * sizeof(float);
	v[0] = m->emb;
	sz[0] = table;
	if (m->mode == OR_MF_EXACT) {
		v[1] = m->m; sz[1] = table;
		v[2] = m->v; sz[2] = table;
		return 3;
	}
	v[1] = m->acc;
	sz[1] = m->n_rows * sizeof(float);
	return 2;
}

int or_mf_checkpoint_save(const or_mf_model *m, const char *path, or_err *err)
{
	float *v[3];
	size_t sz[3];
	int nv = views(m, v, sz);
	XXH3_state_t *xs = XXH3_createState();
	if (!xs)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	XXH3_64bits_reset(xs);
	uint64_t payload = 0;
	for (int i = 0; i < nv; i++) {
		XXH3_64bits_update(xs, v[i], sz[i]);
		payload += sz[i];
	}
	uint64_t sum = XXH3_64bits_digest(xs);
	XXH3_freeState(xs);
	unsigned char h[CK_HEADER] = { 0 };
	memcpy(h, CK_MAGIC, 8);
	uint32_t ver = CK_VERSION, mode = (uint32_t)m->mode;
	memcpy(h + 8, &ver, 4);
	memcpy(h + 12, &mode, 4);
	put64(h + 16, m->n_rows);
	put64(h + 24, m->dim);
	put64(h + 32, m->step);
	put64(h + 40, m->epoch);
	put64(h + 48, m->seed);
	put64(h + 56, sum);
	put64(h + 64, payload);
	put64(h + 72, XXH3_64bits(h, 72));
	or_file f;
	int rc = or_file_open(&f, path, err);
	if (rc)
		return rc;
	rc = or_file_write(&f, h, CK_HEADER, err);
	for (int i = 0; i < nv && !rc; i++)
		rc = or_file_write(&f, v[i], sz[i], err);
	if (rc) {
		or_file_abort(&f);
		return rc;
	}
	return or_file_commit(&f, err);
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int or_mf_checkpoint_load(or_mf_model *m, const char *path,
			  const or_mf_config *cfg, size_t expect_rows,
			  or_err *err)
{
	memset(m, 0, sizeof(*m));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "cannot open checkpoint %s", path);
	unsigned char h[CK_HEADER];
	int rc = OR_OK;
	if (read_all(fd, h, CK_HEADER) || memcmp(h, CK_MAGIC, 8) != 0) {
		rc = or_err_set(err, OR_EFORMAT, "%s: not an ottorec checkpoint (magic OTTOMFCK)", path);
		goto out;
	}
	uint32_t ver, mode;
	memcpy(&ver, h + 8, 4);
	memcpy(&mode, h + 12, 4);
	if (XXH3_64bits(h, 72) != get64(h + 72)) {
		rc = or_err_set(err, OR_EFORMAT, "%s: header checksum mismatch (damaged checkpoint)", path);
		goto out;
	}
	if (ver != CK_VERSION) {
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: checkpoint version %u, this build reads %u (HINT: restart training without --resume)", path, ver, CK_VERSION);
		goto out;
	}
	if ((int)mode != cfg->mode || get64(h + 24) != cfg->dim) {
		rc = or_err_set(err, OR_EINVAL, "%s: checkpoint is mode %s dim %llu, the run asks for mode %s dim %zu", path,
				mode == OR_MF_EXACT ? "exact" : "fast", (unsigned long long)get64(h + 24),
				cfg->mode == OR_MF_EXACT ? "exact" : "fast", cfg->dim);
		goto out;
	}
	uint64_t rows = get64(h + 16);
	if (expect_rows && rows != expect_rows) {
		rc = or_err_set(err, OR_EINVAL, "%s: checkpoint has %llu rows, the pairs need %zu", path, (unsigned long long)rows, expect_rows);
		goto out;
	}
	rc = or_mf_model_alloc(m, (size_t)rows, cfg->dim, (int)mode, err);
	if (rc)
		goto out;
	float *v[3];
	size_t sz[3];
	int nv = views(m, v, sz);
	uint64_t payload = 0;
	XXH3_state_t *xs = XXH3_createState();
	if (!xs) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
		goto out;
	}
	XXH3_64bits_reset(xs);
	for (int i = 0; i < nv && !rc; i++) {
		if (read_all(fd, v[i], sz[i]))
			rc = or_err_set(err, OR_EFORMAT, "%s: truncated checkpoint", path);
		else
			XXH3_64bits_update(xs, v[i], sz[i]);
		payload += sz[i];
	}
	uint64_t sum = XXH3_64bits_digest(xs);
	XXH3_freeState(xs);
	if (!rc && (payload != get64(h + 64) || sum != get64(h + 56)))
		rc = or_err_set(err, OR_EFORMAT, "%s: payload checksum mismatch (damaged checkpoint)", path);
	m->step = get64(h + 32);
	m->epoch = get64(h + 40);
	m->seed = get64(h + 48);
out:
	close(fd);
	if (rc)
		or_mf_model_free(m);
	return rc;
}
