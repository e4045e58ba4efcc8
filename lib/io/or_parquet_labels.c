/*
 * or_parquet_labels.c - local-validation labels from Parquet (one row per
 * (session, type) with a ground_truth list of aids, as the community's
 * test_labels.parquet) into or_labels rows: merges the rows of a session
 * wherever they are in the file, takes the first clicks element as the
 * click label, keeps carts/orders lists as sets.  Merging goes through a
 * session -> (row index << 4 | types seen) map (or_idset).  Hand-written
 * for the reasons in or_parquet.h.
 */
#include "or_parquet.h"
#include "or_parquet_internal.h"
#include "or_ingest_internal.h"
#include "or_idset.h"

#include <stdlib.h>
#include <string.h>

#define BATCH ((size_t)1 << 16)
#define FOREIGN 8u /* mask bit: the session was in l before this file */
/* values of one column chunk held at once (labels are small: the full OTTO
   test labels hold a few million aids) */
#define MAX_SLOTS ((size_t)1 << 26)

/* ---- or_labels storage --------------------------------------------------- */

/* ---- reading --------------------------------------------------------------- */

static int type_word(const uint8_t *s, size_t n, int64_t *out)
{
	int t = or_type_from_word((const char *)s, n);
	if (t < 0 && n == 1 && s[0] >= '0' && s[0] <= '2')
		t = s[0] - '0';
	*out = t;
	return t < 0 ? -1 : 0;
}

/* A whole column chunk in memory. */
typedef struct col_all {
	int64_t *v;
	uint8_t *def, *rep;
	size_t n, cap;
} col_all;

static void col_all_release(col_all *a)
{
	free(a->v);
	free(a->def);
	free(a->rep);
	memset(a, 0, sizeof(*a));
}

static int read_all(const or_parquet_file *f, size_t rg, int li, or_parquet_str_fn fn,
		    col_all *a, or_err *err)
{
	or_parquet_col c;
	memset(&c, 0, sizeof(c));
	a->n = 0;
	int rc = or_parquet_col_open(&c, f, rg, (size_t)li, fn, err);
	while (!rc) {
		if (a->n > MAX_SLOTS) {
			rc = or_err_set(err, OR_EUNSUPPORTED,
					"%s: unsupported: row group %zu, column \"%s\": more than %zu values in one labels column chunk",
					f->path, rg, f->leaf[li].path, MAX_SLOTS);
			break;
		}
		if (a->cap - a->n < BATCH) {
			size_t cap = a->cap ? a->cap * 2 : BATCH;
			int64_t *v = realloc(a->v, cap * sizeof(*v));
			if (v)
				a->v = v;
			uint8_t *d = realloc(a->def, cap);
			if (d)
				a->def = d;
			uint8_t *r = realloc(a->rep, cap);
			if (r)
				a->rep = r;
			if (!v || !d || !r) {
				rc = or_err_set(err, OR_ENOMEM, "out of memory");
				break;
			}
			a->cap = cap;
		}
		size_t got;
		rc = or_parquet_col_read(&c, a->v + a->n, a->def + a->n, a->rep + a->n, BATCH, &got, err);
		if (rc || got == 0)
			break;
		a->n += got;
	}
	or_parquet_col_release(&c);
	return rc;
}

typedef struct lab_ctx {
	const or_parquet_file *f;
	const char *path;
	or_labels *l;
	or_idset map; /* session -> row << 4 | FOREIGN | 1 << type seen */
	or_err *err;
} lab_ctx;

/* One (session, type, list) row; the list is vals[0..k). */
static int add_row(lab_ctx *x, uint64_t row, int64_t session, int type,
		   const int64_t *vals, size_t k)
{
	or_labels *l = x->l;
	for (size_t i = 0; i < k; i++)
		if (vals[i] < 0 || vals[i] > (int64_t)UINT32_MAX)
			return or_err_set(x->err, OR_EFORMAT, "%s: row %llu: ground_truth: aid %lld outside 0..4294967295",
					  x->path, (unsigned long long)row, (long long)vals[i]);
	int added;
	uint64_t *val = or_idset_put(&x->map, session, &added);
	if (!val)
		return or_err_set(x->err, OR_ENOMEM, "out of memory");
	or_label *r;
	if (added) {
		int rc = or_labels_reserve_rows(l, x->err);
		if (rc)
			return rc;
		r = &l->rows[l->n];
		r->session = session;
		r->click = -1;
		r->carts_at = r->orders_at = l->n_aids;
		r->n_carts = r->n_orders = 0;
		*val = (uint64_t)l->n << 4;
		l->n++;
	} else {
		uint64_t mask = *val & 15;
		if (mask & FOREIGN)
			return or_err_set(x->err, OR_EFORMAT, "%s: row %llu: session %lld appears a second time (it was read before)",
					  x->path, (unsigned long long)row, (long long)session);
		if (mask & (1u << type))
			return or_err_set(x->err, OR_EFORMAT, "%s: row %llu: session %lld has a second \"%s\" row",
					  x->path, (unsigned long long)row, (long long)session,
					  or_type_name((unsigned)type));
	}
	r = &l->rows[*val >> 4];
	*val |= 1u << type;
	if (type == OR_CLICKS) {
		r->click = k ? vals[0] : -1;
		return OR_OK;
	}
	if (k > UINT32_MAX)
		return or_err_set(x->err, OR_EFORMAT, "%s: row %llu: more than 4294967295 aids in one list",
				  x->path, (unsigned long long)row);
	size_t at = l->n_aids;
	if (k == 0) { /* an empty list: no label of this type */
		if (type == OR_CARTS) {
			r->carts_at = at;
			r->n_carts = 0;
		} else {
			r->orders_at = at;
			r->n_orders = 0;
		}
		return OR_OK;
	}
	int rc = or_labels_reserve_aids(l, k, x->err);
	if (rc)
		return rc;
	for (size_t i = 0; i < k; i++)
		l->aids[at + i] = (uint32_t)vals[i];
	size_t m = or_labels_dedup(l->aids + at, k);
	if (m == (size_t)-1)
		return or_err_set(x->err, OR_ENOMEM, "out of memory");
	l->n_aids = at + m;
	if (type == OR_CARTS) {
		r->carts_at = at;
		r->n_carts = (uint32_t)m;
	} else {
		r->orders_at = at;
		r->n_orders = (uint32_t)m;
	}
	return OR_OK;
}

static int check_scalar(lab_ctx *x, const col_all *a, int max_def, size_t rows, const char *name,
			uint64_t row0)
{
	if (a->n != rows)
		return or_err_set(x->err, OR_EFORMAT, "%s: column \"%s\" holds %zu values for %zu rows",
				  x->path, name, a->n, rows);
	if (max_def)
		for (size_t i = 0; i < rows; i++)
			if (a->def[i] != max_def)
				return or_err_set(x->err, OR_EFORMAT, "%s: row %llu: column %s is null",
						  x->path, (unsigned long long)(row0 + i + 1), name);
	return OR_OK;
}

int or_parquet_labels_read(or_labels *l, const char *path, const or_log *log, or_err *err)
{
	or_parquet_file *f;
	int rc = or_parquet_open(path, &f, err);
	if (rc)
		return rc;
	lab_ctx x = { .f = f, .path = path, .l = l, .err = err };
	col_all cs = { 0 }, ct = { 0 }, cg = { 0 };
	int li_s = or_parquet_find(f, "session"), li_t = or_parquet_find(f, "type");
	int li_g = or_parquet_find(f, "ground_truth");
	if (li_s < 0 || li_t < 0 || li_g < 0) {
		rc = or_err_set(err, OR_EFORMAT,
				"%s: no column \"%s\" (expected labels columns session, type, ground_truth)",
				path, li_s < 0 ? "session" : li_t < 0 ? "type" : "ground_truth");
		goto out;
	}
	const or_parquet_leaf *ls = &f->leaf[li_s], *lt = &f->leaf[li_t], *lg = &f->leaf[li_g];
	if (ls->max_rep || lt->max_rep || strcmp(ls->path, "session") || strcmp(lt->path, "type")) {
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: session or type is nested or a list",
				path);
		goto out;
	}
	if (lg->max_rep != 1) {
		rc = or_err_set(err, OR_EUNSUPPORTED,
				"%s: unsupported: ground_truth is %s; expected one level of list<int>",
				path, lg->max_rep ? "a nested list" : "not a list");
		goto out;
	}
	if (or_idset_init_map(&x.map, l->n + 1024)) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n && !rc; i++) {
		int added;
		uint64_t *val = or_idset_put(&x.map, l->rows[i].session, &added);
		if (!val)
			rc = or_err_set(err, OR_ENOMEM, "out of memory");
		else if (added)
			*val = (uint64_t)i << 4 | FOREIGN;
	}
	uint64_t row0 = 0;
	for (size_t rg = 0; rg < f->n_rg && !rc; rg++) {
		size_t rows = (size_t)f->rg_rows[rg];
		if ((rc = read_all(f, rg, li_s, NULL, &cs, err)) ||
		    (rc = read_all(f, rg, li_t, type_word, &ct, err)) ||
		    (rc = read_all(f, rg, li_g, NULL, &cg, err)) ||
		    (rc = check_scalar(&x, &cs, ls->max_def, rows, "session", row0)) ||
		    (rc = check_scalar(&x, &ct, lt->max_def, rows, "type", row0)))
			break;
		size_t s = 0;
		for (size_t r = 0; r < rows && !rc; r++) {
			uint64_t row = row0 + r + 1;
			if (s >= cg.n || cg.rep[s] != 0) {
				rc = or_err_set(err, OR_EFORMAT, "%s: row %llu: column ground_truth has fewer rows than session",
						path, (unsigned long long)row);
				break;
			}
			size_t e = s + 1;
			while (e < cg.n && cg.rep[e] != 0)
				e++;
			/* compact the row's values in place */
			size_t k = 0;
			for (size_t i = s; i < e; i++) {
				if (cg.def[i] == lg->max_def) {
					cg.v[s + k++] = cg.v[i];
				} else if (cg.def[i] >= lg->list_def) {
					rc = or_err_set(err, OR_EFORMAT, "%s: row %llu: null aid in ground_truth",
							path, (unsigned long long)row);
					break;
				}
			}
			if (rc)
				break;
			if (cs.v[r] < 0) {
				rc = or_err_set(err, OR_EFORMAT, "%s: row %llu: negative session id %lld",
						path, (unsigned long long)row, (long long)cs.v[r]);
				break;
			}
			if (ct.v[r] < 0 || ct.v[r] > 2) {
				rc = or_err_set(err, OR_EFORMAT, "%s: row %llu: type %lld is not 0, 1, 2 (clicks, carts, orders)",
						path, (unsigned long long)row, (long long)ct.v[r]);
				break;
			}
			rc = add_row(&x, row, cs.v[r], (int)ct.v[r], cg.v + s, k);
			s = e;
		}
		if (!rc && s != cg.n)
			rc = or_err_set(err, OR_EFORMAT, "%s: row group %zu: column ground_truth has more rows than session",
					path, rg);
		row0 += rows;
		if (!rc && or_log_cancelled(log))
			rc = or_err_set(err, OR_ECANCELLED, "interrupted");
		or_log_progress(log, "read labels", (double)(rg + 1), (double)f->n_rg, "row groups");
	}
out:
	col_all_release(&cs);
	col_all_release(&ct);
	col_all_release(&cg);
	or_idset_release(&x.map);
	or_parquet_close(f);
	return rc;
}
