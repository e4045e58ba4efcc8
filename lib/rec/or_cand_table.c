/*
 * or_cand_table.c - the labelled candidate table and its directory (see
 * or_cand_table.h).
 */
#include "or_cand_table.h"
#include "or_file.h"
#include "or_npy.h"
#include "or_prng.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NF OR_CF_N
#define RECALL_K 20

const size_t or_cand_cuts[OR_CAND_N_CUTS] = { 20, 50, 100, 200, 1000 };

static int by_session_cmp(const void *a, const void *b, void *ctx)
{
	const or_labels *l = ctx;
	int64_t x = l->rows[*(const size_t *)a].session;
	int64_t y = l->rows[*(const size_t *)b].session;
	return x < y ? -1 : x > y;
}

int or_cand_table_init(or_cand_table *t, const or_labels *labels, or_err *err)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 3; i++)
		t->out_[i].f.fd = -1;
	t->seed = 42;
	t->labels_ = labels;
	if (!labels)
		return OR_OK;
	t->by_session_ = malloc((labels->n ? labels->n : 1) * sizeof(size_t));
	if (!t->by_session_)
		return or_err_set(err, OR_ENOMEM, "out of memory (labels)");
	for (size_t i = 0; i < labels->n; i++)
		t->by_session_[i] = i;
	qsort_r(t->by_session_, labels->n, sizeof(size_t), by_session_cmp, (void *)labels);
	for (size_t i = 1; i < labels->n; i++)
		if (labels->rows[t->by_session_[i]].session == labels->rows[t->by_session_[i - 1]].session)
			return or_err_set(err, OR_EINVAL, "session %lld is labelled twice",
					  (long long)labels->rows[t->by_session_[i]].session);
	return OR_OK;
}

static void remove_dir(const char *dir);

void or_cand_table_release(or_cand_table *t)
{
	for (int i = 0; i < 3; i++)
		or_npy_writer_abort(&t->out_[i]);
	if (t->tmp_dir_) {
		remove_dir(t->tmp_dir_);
		or_dir_pending_remove(t->tmp_dir_);
	}
	free(t->tmp_dir_);
	free(t->x);
	free(t->label);
	free(t->aid);
	free(t->group_size);
	free(t->session);
	free(t->by_session_);
	free(t->scratch_);
	memset(t, 0, sizeof(*t));
}

static const or_label *find_label(const or_cand_table *t, int64_t session)
{
	size_t lo = 0, hi = t->labels_->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t s = t->labels_->rows[t->by_session_[mid]].session;
		if (s == session)
			return &t->labels_->rows[t->by_session_[mid]];
		if (s < session)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int in_list(const uint32_t *a, uint32_t n, uint32_t aid)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] == aid)
			return 1;
	return 0;
}

static int reserve(or_cand_table *t, size_t rows, size_t groups, or_err *err)
{
	if (!t->streaming_ && t->n_rows + rows > t->cap_rows) {
		size_t c = t->cap_rows ? t->cap_rows : 65536;
		while (c < t->n_rows + rows)
			c *= 2;
		float *x = realloc(t->x, c * NF * sizeof(float));
		if (x)
			t->x = x;
		float *l = realloc(t->label, c * 3 * sizeof(float));
		if (l)
			t->label = l;
		int64_t *a = realloc(t->aid, c * sizeof(int64_t));
		if (a)
			t->aid = a;
		if (!x || !l || !a)
			return or_err_set(err, OR_ENOMEM, "out of memory (candidate table of %zu rows)", c);
		t->cap_rows = c;
	}
	if (t->n_groups + groups > t->cap_groups) {
		size_t c = t->cap_groups ? t->cap_groups : 16384;
		while (c < t->n_groups + groups)
			c *= 2;
		int64_t *g = realloc(t->group_size, c * sizeof(int64_t));
		if (g)
			t->group_size = g;
		int64_t *s = realloc(t->session, c * sizeof(int64_t));
		if (s)
			t->session = s;
		if (!g || !s)
			return or_err_set(err, OR_ENOMEM, "out of memory (candidate groups)");
		t->cap_groups = c;
	}
	return OR_OK;
}

/* Rows [r0, r0 + n) of a block (features x, labels lb of the session's
   rows, aids): into the directory's files when streaming, else memory. */
static int add_rows(or_cand_table *t, const float *x, const float *lb, const uint32_t *aid,
		    size_t n, or_err *err)
{
	if (!n)
		return OR_OK;
	if (t->streaming_) {
		int64_t a[64];
		int rc = or_npy_writer_rows(&t->out_[0], x, n, err);
		if (!rc)
			rc = or_npy_writer_rows(&t->out_[1], lb, n, err);
		for (size_t i = 0; !rc && i < n; i += 64) {
			size_t m = n - i < 64 ? n - i : 64;
			for (size_t j = 0; j < m; j++)
				a[j] = aid[i + j];
			rc = or_npy_writer_rows(&t->out_[2], a, m, err);
		}
		t->n_rows += rc ? 0 : n;
		return rc;
	}
	memcpy(t->x + t->n_rows * NF, x, n * NF * sizeof(float));
	memcpy(t->label + t->n_rows * 3, lb, n * 3 * sizeof(float));
	for (size_t i = 0; i < n; i++)
		t->aid[t->n_rows + i] = aid[i];
	t->n_rows += n;
	return OR_OK;
}

int or_cand_table_add(void *ctx, const or_cand_chunk *c, or_err *err)
{
	or_cand_table *t = ctx;
	int rc = reserve(t, t->streaming_ ? 0 : c->n_rows, c->n_sessions, err);
	if (rc)
		return rc;
	if (c->n_rows > t->cap_scratch_) {
		free(t->scratch_);
		t->cap_scratch_ = c->n_rows;
		if (!(t->scratch_ = malloc(c->n_rows * 3 * sizeof(float))))
			return or_err_set(err, OR_ENOMEM, "out of memory (labels of a block)");
	}
	const int64_t *ids = c->session_ids;
	for (size_t j = 0; j < c->n_sessions; j++) {
		uint64_t lo = c->off[j], hi = c->off[j + 1];
		size_t n = (size_t)(hi - lo);
		int64_t sid = ids[j];
		const or_label *lab = t->labels_ ? find_label(t, sid) : NULL;
		float *lb = t->scratch_;
		memset(lb, 0, n * 3 * sizeof(float));
		size_t pos[3] = { 0, 0, 0 };
		t->sessions++;
		if (lab) {
			t->labelled++;
			const uint32_t *ca = t->labels_->aids + lab->carts_at;
			const uint32_t *oa = t->labels_->aids + lab->orders_at;
			for (size_t r = 0; r < n; r++) {
				uint32_t a = c->aid[lo + r];
				lb[r * 3 + 0] = lab->click > 0 && (int64_t)a == lab->click;
				lb[r * 3 + 1] = (float)in_list(ca, lab->n_carts, a);
				lb[r * 3 + 2] = (float)in_list(oa, lab->n_orders, a);
			}
			uint64_t tr[3] = { lab->click > 0 ? 1u : 0u, lab->n_carts, lab->n_orders };
			for (int ty = 0; ty < 3; ty++) {
				if (!tr[ty])
					continue;
				t->truth[ty] += tr[ty] < RECALL_K ? tr[ty] : RECALL_K;
				for (int q = 0; q < OR_CAND_N_CUTS; q++) {
					uint64_t h = 0;
					for (size_t r = 0; r < n && r < or_cand_cuts[q]; r++)
						h += lb[r * 3 + ty] > 0;
					t->hits[ty][q] += h < RECALL_K ? h : RECALL_K;
				}
				uint64_t h = 0;
				for (size_t r = 0; r < OR_CAND_CURVE; r++) {
					h += r < n && lb[r * 3 + ty] > 0;
					t->curve_hits[ty][r] += h < RECALL_K ? h : RECALL_K;
				}
				for (size_t r = 0; r < n; r++)
					pos[ty] += lb[r * 3 + ty] > 0;
			}
		}
		int any = pos[0] || pos[1] || pos[2];
		if (!any && !t->keep_unlabelled && t->labels_)
			continue;
		/* rows: every positive, and `negatives` of the rest (seeded per session) */
		size_t kept = 0;
		size_t n_neg = 0;
		for (size_t r = 0; r < n; r++)
			n_neg += !(lb[r * 3] > 0 || lb[r * 3 + 1] > 0 || lb[r * 3 + 2] > 0);
		size_t want = t->negatives && t->negatives < n_neg ? t->negatives : n_neg;
		or_prng rng;
		or_prng_seed(&rng, t->seed, (uint64_t)sid);
		size_t left_neg = n_neg, left_want = want;
		size_t run = 0; /* kept rows [run, r) not yet added */
		for (size_t r = 0; r < n; r++) {
			int pos_row = lb[r * 3] > 0 || lb[r * 3 + 1] > 0 || lb[r * 3 + 2] > 0;
			if (!pos_row) {
				/* selection sampling (Knuth's algorithm S): exactly `want` of n_neg */
				int take = or_prng_below(&rng, left_neg) < left_want;
				left_neg--;
				if (!take) {
					rc = add_rows(t, c->x + (lo + run) * NF, lb + run * 3, c->aid + lo + run,
						      r - run, err);
					if (rc)
						return rc;
					kept += r - run;
					run = r + 1;
					continue;
				}
				left_want--;
			}
		}
		rc = add_rows(t, c->x + (lo + run) * NF, lb + run * 3, c->aid + lo + run, n - run, err);
		if (rc)
			return rc;
		kept += n - run;
		t->group_size[t->n_groups] = (int64_t)kept;
		t->session[t->n_groups++] = sid;
	}
	return OR_OK;
}

double or_cand_table_recall(const or_cand_table *t, unsigned type, size_t cut)
{
	return type < 3 && cut < OR_CAND_N_CUTS && t->truth[type]
		       ? (double)t->hits[type][cut] / (double)t->truth[type]
		       : 0.0;
}

double or_cand_table_curve(const or_cand_table *t, unsigned type, size_t n)
{
	return type < 3 && n >= 1 && n <= OR_CAND_CURVE && t->truth[type]
		       ? (double)t->curve_hits[type][n - 1] / (double)t->truth[type]
		       : 0.0;
}

/* ---- the directory ---------------------------------------------------------------- */

/* printf onto f (one piece of at most 511 bytes); rc carried through. */
static int put(or_file *f, int rc, or_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int put(or_file *f, int rc, or_err *err, const char *fmt, ...)
{
	if (rc)
		return rc;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return or_err_set(err, OR_EINVAL, "candidates.json: a value is too long");
	return or_file_write(f, buf, (size_t)n, err);
}

static int write_json(const or_cand_table *t, const char *path, const or_cand_config *cfg,
		      const char *extra, or_err *err)
{
	or_file f;
	memset(&f, 0, sizeof(f));
	int rc = or_file_open(&f, path, err);
	rc = put(&f, rc, err, "{\"format\":\"ottorec-candidates\",\"version\":1,\"features\":[");
	for (unsigned i = 0; i < NF; i++)
		rc = put(&f, rc, err, "%s\"%s\"", i ? "," : "", or_cand_feature_name(i));
	char settings[512];
	if (or_cand_config_json(cfg, settings, sizeof(settings)) >= sizeof(settings) && !rc)
		rc = or_err_set(err, OR_EINVAL, "candidates.json: the settings are too long");
	rc = put(&f, rc, err, "],\"n_rows\":%zu,\"n_groups\":%zu,\"settings\":%s", t->n_rows,
		 t->n_groups, settings);
	rc = put(&f, rc, err, ",\"sessions\":%llu,\"labelled\":%llu,\"recall\":{",
		 (unsigned long long)t->sessions, (unsigned long long)t->labelled);
	for (unsigned ty = 0; ty < 3; ty++) {
		rc = put(&f, rc, err, "%s\"%s\":{", ty ? "," : "", or_type_name(ty));
		for (int q = 0; q < OR_CAND_N_CUTS; q++)
			rc = put(&f, rc, err, "%s\"%zu\":%.6f", q ? "," : "", or_cand_cuts[q],
				 or_cand_table_recall(t, ty, (size_t)q));
		rc = put(&f, rc, err, "}");
	}
	rc = put(&f, rc, err, "}%s", extra && *extra ? "," : "");
	if (!rc && extra && *extra)
		rc = or_file_write(&f, extra, strlen(extra), err);
	rc = put(&f, rc, err, "}\n");
	if (!rc)
		rc = or_file_commit(&f, err);
	or_file_abort(&f);
	return rc;
}

static const char *const dir_files[] = { "features.npy", "labels.npy", "group_sizes.npy",
					 "session.npy", "aid.npy", "candidates.json" };
#define N_DIR_FILES (sizeof(dir_files) / sizeof(dir_files[0]))

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Remove a candidates directory we wrote (only our files; then rmdir). */
static void remove_dir(const char *dir)
{
	for (size_t i = 0; i < N_DIR_FILES; i++) {
		char *p = join(dir, dir_files[i]);
		if (p)
			unlink(p);
		free(p);
	}
	rmdir(dir);
}

int or_cand_table_begin(or_cand_table *t, const char *dir, or_err *err)
{
	if (t->tmp_dir_)
		return or_err_set(err, OR_EINVAL, "%s: the candidate table is already being written", dir);
	struct stat sb;
	t->replace_ = stat(dir, &sb) == 0;
	if (t->replace_) {
		char *j = join(dir, "candidates.json");
		int ours = S_ISDIR(sb.st_mode) && j && access(j, F_OK) == 0;
		free(j);
		if (!ours)
			return or_err_set(err, OR_EINVAL,
					  "%s exists and is not a candidates directory: not replacing it", dir);
	}
	size_t n = strlen(dir) + 32;
	if (!(t->tmp_dir_ = malloc(n)))
		return or_err_set(err, OR_ENOMEM, "out of memory");
	snprintf(t->tmp_dir_, n, "%s.tmp-%ld", dir, (long)getpid());
	remove_dir(t->tmp_dir_);
	if (mkdir(t->tmp_dir_, 0777) != 0) {
		int rc = or_err_errno(err, errno, "cannot create %s", t->tmp_dir_);
		free(t->tmp_dir_);
		t->tmp_dir_ = NULL;
		return rc;
	}
	or_dir_pending_add(t->tmp_dir_); /* a second signal removes it (or_file.h) */
	static const size_t cols[3] = { NF, 3, 0 };
	int rc = OR_OK;
	for (int i = 0; !rc && i < 3; i++) {
		char *p = join(t->tmp_dir_, dir_files[i == 2 ? 4 : i]);
		rc = p ? or_npy_writer_open(&t->out_[i], p, i == 2 ? "<i8" : "<f4",
					    i == 2 ? sizeof(int64_t) : sizeof(float), cols[i], err)
		       : or_err_set(err, OR_ENOMEM, "out of memory");
		free(p);
	}
	t->streaming_ = !rc;
	return rc; /* on failure, or_cand_table_release removes what was made */
}

int or_cand_table_write(or_cand_table *t, const char *dir, const or_cand_config *cfg,
			const char *extra_json, or_err *err)
{
	int in_memory = !t->streaming_;
	int rc = in_memory ? or_cand_table_begin(t, dir, err) : OR_OK;
	if (!rc && in_memory) /* the rows kept in memory, into the files */
		rc = or_npy_writer_rows(&t->out_[0], t->x, t->n_rows, err);
	if (!rc && in_memory)
		rc = or_npy_writer_rows(&t->out_[1], t->label, t->n_rows, err);
	if (!rc && in_memory)
		rc = or_npy_writer_rows(&t->out_[2], t->aid, t->n_rows, err);
	for (int i = 0; !rc && i < 3; i++)
		rc = or_npy_writer_commit(&t->out_[i], err);
	t->streaming_ = 0;
	char *p[3] = { NULL, NULL, NULL };
	static const int rest[3] = { 2, 3, 5 }; /* group_sizes, session, candidates.json */
	for (int i = 0; !rc && i < 3; i++)
		if (!(p[i] = join(t->tmp_dir_, dir_files[rest[i]])))
			rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = or_npy_write_i64(p[0], t->group_size, t->n_groups, err);
	if (!rc)
		rc = or_npy_write_i64(p[1], t->session, t->n_groups, err);
	if (!rc)
		rc = write_json(t, p[2], cfg, extra_json, err);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	const char *tmp = t->tmp_dir_;
	if (!rc && t->replace_) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) != 0)
			rc = or_err_errno(err, errno, "cannot replace %s", dir);
		else
			remove_dir(tmp); /* now the old table */
	} else if (!rc && rename(tmp, dir) != 0) {
		rc = or_err_errno(err, errno, "cannot rename %s to %s", tmp, dir);
	}
	if (!rc) { /* nothing of ours is left at tmp */
		or_dir_pending_remove(t->tmp_dir_);
		free(t->tmp_dir_);
		t->tmp_dir_ = NULL;
	}
	return rc; /* on failure, or_cand_table_release removes tmp */
}
