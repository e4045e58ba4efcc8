/*
 * or_parquet_meta.c - a Parquet file's frame and footer: mmap, the "PAR1"
 * magic at both ends, the footer length, and the FileMetaData (schema tree
 * flattened to leaves with their definition/repetition levels and types, row
 * groups, column chunk metadata).  Hand-written for the reasons in
 * or_parquet.h.  Fields we do not use are skipped; fields that would change
 * the meaning of the data (encrypted footers, column chunks in other files)
 * are refused as unsupported.
 */
#include "or_parquet_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SCHEMA_DEPTH 16

typedef struct schema_el {
	int type;        /* -1 when absent (a group) */
	int repetition;  /* 0 required, 1 optional, 2 repeated; -1 absent */
	int n_children;
	int converted;   /* -1 absent */
	int logical;     /* LogicalType union field id, 0 absent */
	int int_bits, int_signed;
	int ts_unit;
	const uint8_t *name;
	size_t name_n;
} schema_el;

typedef struct meta_ctx {
	or_parquet_file *f;
	or_parquet_thrift t;
	or_err *err;
	const uint8_t *footer;
	size_t footer_at; /* file offset of the footer */
} meta_ctx;

static int tfail(meta_ctx *m)
{
	size_t off = m->footer_at + (size_t)(m->t.p - m->footer);
	return or_err_set(m->err, OR_EFORMAT, "%s: byte %zu: bad file metadata: %s",
			  m->f->path, off, m->t.why ? m->t.why : "unexpected value");
}

static int tbad(meta_ctx *m, const char *why)
{
	if (!m->t.why)
		m->t.why = why;
	return -1;
}

/* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS */
static int read_time_unit(meta_ctx *m, int *unit)
{
	int ft, id;
	if (or_parquet_thrift_begin(&m->t))
		return -1;
	for (;;) {
		if (or_parquet_thrift_field(&m->t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			return 0;
		if (ft == OR_PQ_T_STRUCT && id >= 1 && id <= 3)
			*unit = id;
		if (or_parquet_thrift_skip(&m->t, ft))
			return -1;
	}
}

static int read_logical(meta_ctx *m, schema_el *e)
{
	int ft, id;
	if (or_parquet_thrift_begin(&m->t))
		return -1;
	for (;;) {
		if (or_parquet_thrift_field(&m->t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			return 0;
		if (ft != OR_PQ_T_STRUCT)
			return tbad(m, "logical type is not a struct");
		e->logical = id;
		if (id == 10 || id == 8) { /* INTEGER, TIMESTAMP */
			int gt, gid;
			if (or_parquet_thrift_begin(&m->t))
				return -1;
			for (;;) {
				if (or_parquet_thrift_field(&m->t, &gt, &gid))
					return -1;
				if (gt == OR_PQ_T_STOP)
					break;
				if (id == 10 && gid == 1) {
					int32_t v;
					if (or_parquet_thrift_int(&m->t, gt, &v))
						return -1;
					e->int_bits = v;
				} else if (id == 10 && gid == 2 && (gt == OR_PQ_T_TRUE || gt == OR_PQ_T_FALSE)) {
					e->int_signed = gt == OR_PQ_T_TRUE;
				} else if (id == 8 && gid == 2 && gt == OR_PQ_T_STRUCT) {
					if (read_time_unit(m, &e->ts_unit))
						return -1;
				} else if (or_parquet_thrift_skip(&m->t, gt)) {
					return -1;
				}
			}
		} else if (or_parquet_thrift_skip(&m->t, ft)) {
			return -1;
		}
	}
}

static int read_schema_el(meta_ctx *m, schema_el *e)
{
	memset(e, 0, sizeof(*e));
	e->type = e->repetition = e->converted = -1;
	e->int_signed = 1;
	int ft, id;
	if (or_parquet_thrift_begin(&m->t))
		return -1;
	for (;;) {
		if (or_parquet_thrift_field(&m->t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			return 0;
		int32_t v;
		switch (id) {
		case 1: case 3: case 5: case 6:
			if (or_parquet_thrift_int(&m->t, ft, &v))
				return -1;
			if (v < 0)
				return tbad(m, "negative enum or count in the schema");
			if (id == 1) e->type = v;
			else if (id == 3) e->repetition = v;
			else if (id == 5) e->n_children = v;
			else e->converted = v;
			break;
		case 4:
			if (ft != OR_PQ_T_BINARY)
				return tbad(m, "schema name is not a string");
			if (or_parquet_thrift_binary(&m->t, &e->name, &e->name_n))
				return -1;
			break;
		case 10:
			if (ft != OR_PQ_T_STRUCT)
				return tbad(m, "logical type is not a struct");
			if (read_logical(m, e))
				return -1;
			break;
		default:
			if (or_parquet_thrift_skip(&m->t, ft))
				return -1;
		}
	}
}

static const char *phys_name(int t)
{
	static const char *const n[] = { "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT",
					 "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY" };
	return t >= 0 && t < 8 ? n[t] : "unknown physical type";
}

/* Decide what a leaf's values are from its physical, converted and logical
   types. */
static void classify(or_parquet_leaf *l, const schema_el *e)
{
	l->phys = e->type;
	l->kind = OR_PQ_KIND_OTHER;
	l->other = phys_name(e->type);
	if (e->type == OR_PQ_BYTE_ARRAY) {
		/* STRING/ENUM/JSON logical, UTF8/ENUM converted, or plain bytes */
		if ((e->logical == 0 || e->logical == 1 || e->logical == 4) &&
		    (e->converted == -1 || e->converted == 0 || e->converted == 4)) {
			l->kind = OR_PQ_KIND_STRING;
		} else {
			l->other = "BYTE_ARRAY with a non-string logical type";
		}
		return;
	}
	if (e->type != OR_PQ_INT32 && e->type != OR_PQ_INT64)
		return;
	int c = e->converted;
	if (e->logical == 5 || c == 5) {
		l->other = "DECIMAL";
		return;
	}
	if (e->logical == 6 || c == 6 || e->logical == 7 || c == 7 || c == 8) {
		l->other = "DATE/TIME";
		return;
	}
	if (e->logical != 0 && e->logical != 10 && e->logical != 8) {
		l->other = "integer with an unknown logical type";
		return;
	}
	if (c > 18 || (c >= 0 && c <= 4)) {
		l->other = "integer with an unknown converted type";
		return;
	}
	l->kind = OR_PQ_KIND_INT;
	if (e->logical == 10)
		l->is_unsigned = !e->int_signed;
	else if (c >= 11 && c <= 14)
		l->is_unsigned = 1;
	if (e->logical == 8)
		l->ts_unit = e->ts_unit ? e->ts_unit : -1;
	else if (c == 9)
		l->ts_unit = 1;
	else if (c == 10)
		l->ts_unit = 2;
	if (l->ts_unit < 0) {
		l->kind = OR_PQ_KIND_OTHER;
		l->other = "TIMESTAMP of an unknown unit";
	}
}

/* Flatten the schema (depth-first list with child counts) into leaves. */
static int build_leaves(meta_ctx *m, const schema_el *el, size_t n)
{
	or_parquet_file *f = m->f;
	if (n == 0 || el[0].n_children <= 0)
		return or_err_set(m->err, OR_EFORMAT, "%s: bad file metadata: the schema has no columns",
				  f->path);
	size_t n_leaves = 0;
	for (size_t i = 1; i < n; i++)
		n_leaves += el[i].n_children == 0;
	f->leaf = calloc(n_leaves ? n_leaves : 1, sizeof(*f->leaf));
	if (!f->leaf)
		return or_err_set(m->err, OR_ENOMEM, "out of memory");
	/* a stack of open groups: children left, def, rep, name length */
	struct { int left; int def, rep; size_t name_end; int list_def; } st[MAX_SCHEMA_DEPTH];
	char name[1024];
	int sp = 0;
	st[0].left = el[0].n_children;
	st[0].def = st[0].rep = 0;
	st[0].name_end = 0;
	st[0].list_def = 0;
	size_t top = (size_t)-1;
	size_t i = 1;
	for (; i < n; i++) {
		while (sp > 0 && st[sp].left == 0)
			sp--;
		if (st[sp].left == 0)
			break; /* the root is complete */
		st[sp].left--;
		const schema_el *e = &el[i];
		if (sp == 0)
			top++;
		int def = st[sp].def, rep = st[sp].rep, list_def = st[sp].list_def;
		if (e->repetition == 1) {
			def++;
		} else if (e->repetition == 2) {
			def++;
			rep++;
			list_def = def;
		}
		size_t at = st[sp].name_end;
		size_t need = at + (at ? 1 : 0) + e->name_n;
		if (need >= sizeof(name))
			return or_err_set(m->err, OR_EUNSUPPORTED, "%s: unsupported: column path longer than %zu bytes",
					  f->path, sizeof(name) - 1);
		if (at)
			name[at++] = '.';
		if (e->name_n)
			memcpy(name + at, e->name, e->name_n);
		at += e->name_n;
		name[at] = '\0';
		if (e->n_children > 0) {
			if (sp + 1 >= MAX_SCHEMA_DEPTH)
				return or_err_set(m->err, OR_EUNSUPPORTED, "%s: unsupported: schema nested deeper than %d",
						  f->path, MAX_SCHEMA_DEPTH - 1);
			sp++;
			st[sp].left = e->n_children;
			st[sp].def = def;
			st[sp].rep = rep;
			st[sp].name_end = at;
			st[sp].list_def = list_def;
			continue;
		}
		if (e->type < 0)
			return or_err_set(m->err, OR_EFORMAT, "%s: bad file metadata: schema leaf \"%s\" has no type",
					  f->path, name);
		or_parquet_leaf *l = &f->leaf[f->n_leaves++];
		l->path = strdup(name);
		if (!l->path)
			return or_err_set(m->err, OR_ENOMEM, "out of memory");
		l->top = top;
		l->max_def = def;
		l->max_rep = rep;
		l->list_def = list_def;
		classify(l, e);
	}
	while (sp > 0 && st[sp].left == 0)
		sp--;
	if (i != n || st[sp].left != 0)
		return or_err_set(m->err, OR_EFORMAT,
				  "%s: bad file metadata: schema child counts do not match its %zu elements",
				  f->path, n);
	f->n_top = (size_t)el[0].n_children;
	return OR_OK;
}

static int read_schema(meta_ctx *m)
{
	int et;
	uint64_t n;
	if (or_parquet_thrift_list(&m->t, &et, &n))
		return tfail(m);
	if (et != OR_PQ_T_STRUCT) {
		tbad(m, "schema is not a list of structs");
		return tfail(m);
	}
	schema_el *el = calloc(n ? (size_t)n : 1, sizeof(*el));
	if (!el)
		return or_err_set(m->err, OR_ENOMEM, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		if (read_schema_el(m, &el[i])) {
			free(el);
			return tfail(m);
		}
	int rc = build_leaves(m, el, (size_t)n);
	free(el);
	return rc;
}

static int read_column_meta(meta_ctx *m, or_parquet_chunk *c)
{
	int ft, id;
	int64_t data_off = -1, dict_off = -1;
	c->codec = -1;
	c->phys = -1;
	if (or_parquet_thrift_begin(&m->t))
		return -1;
	for (;;) {
		if (or_parquet_thrift_field(&m->t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			break;
		int32_t v;
		switch (id) {
		case 1: case 4:
			if (or_parquet_thrift_int(&m->t, ft, &v))
				return -1;
			if (id == 1) c->phys = v;
			else c->codec = v;
			break;
		case 5: case 7: case 9: case 11: {
			int64_t x;
			if (ft != OR_PQ_T_I64 && ft != OR_PQ_T_I32)
				return tbad(m, "expected an integer in column metadata");
			if (or_parquet_thrift_i64(&m->t, &x))
				return -1;
			if (x < 0)
				return tbad(m, "negative size or offset in column metadata");
			if (id == 5) c->num_values = x;
			else if (id == 7) c->bytes = x;
			else if (id == 9) data_off = x;
			else dict_off = x;
			break;
		}
		default:
			if (or_parquet_thrift_skip(&m->t, ft))
				return -1;
		}
	}
	if (data_off < 0 || c->codec < 0 || c->phys < 0)
		return tbad(m, "column metadata lacks type, codec or data page offset");
	/* some writers set dictionary_page_offset to 0 when there is none */
	c->start = dict_off > 0 && dict_off < data_off ? dict_off : data_off;
	return 0;
}

static int read_column_chunk(meta_ctx *m, or_parquet_chunk *c)
{
	int ft, id, have_meta = 0;
	if (or_parquet_thrift_begin(&m->t))
		return -1;
	for (;;) {
		if (or_parquet_thrift_field(&m->t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			break;
		if (id == 1 && ft == OR_PQ_T_BINARY) {
			c->unsupported = "column chunk stored in another file";
			if (or_parquet_thrift_skip(&m->t, ft))
				return -1;
		} else if (id == 3 && ft == OR_PQ_T_STRUCT) {
			if (read_column_meta(m, c))
				return -1;
			have_meta = 1;
		} else if (id == 8 || id == 9) {
			c->unsupported = "encrypted column";
			if (or_parquet_thrift_skip(&m->t, ft))
				return -1;
		} else if (or_parquet_thrift_skip(&m->t, ft)) {
			return -1;
		}
	}
	if (!have_meta && !c->unsupported)
		return tbad(m, "column chunk without metadata");
	return 0;
}

static int read_row_group(meta_ctx *m, size_t rg)
{
	or_parquet_file *f = m->f;
	int ft, id, have_cols = 0, have_rows = 0;
	if (or_parquet_thrift_begin(&m->t))
		return -1;
	for (;;) {
		if (or_parquet_thrift_field(&m->t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			break;
		if (id == 1 && ft == OR_PQ_T_LIST) {
			int et;
			uint64_t n;
			if (or_parquet_thrift_list(&m->t, &et, &n))
				return -1;
			if (et != OR_PQ_T_STRUCT || n != f->n_leaves || have_cols)
				return tbad(m, "row group's column count differs from the schema's leaves");
			for (size_t k = 0; k < f->n_leaves; k++)
				if (read_column_chunk(m, &f->chunk[rg * f->n_leaves + k]))
					return -1;
			have_cols = 1;
		} else if (id == 3 && ft == OR_PQ_T_I64) {
			if (or_parquet_thrift_i64(&m->t, &f->rg_rows[rg]))
				return -1;
			if (f->rg_rows[rg] < 0)
				return tbad(m, "negative row count");
			have_rows = 1;
		} else if (or_parquet_thrift_skip(&m->t, ft)) {
			return -1;
		}
	}
	if (!have_cols || !have_rows)
		return tbad(m, "row group lacks its columns or row count");
	return 0;
}

static int read_row_groups(meta_ctx *m)
{
	or_parquet_file *f = m->f;
	int et;
	uint64_t n;
	if (or_parquet_thrift_list(&m->t, &et, &n))
		return tfail(m);
	if (et != OR_PQ_T_STRUCT) {
		tbad(m, "row groups are not a list of structs");
		return tfail(m);
	}
	size_t cells;
	if (f->n_leaves == 0 || or_size_mul((size_t)n, f->n_leaves, &cells) ||
	    cells > (size_t)(m->t.end - m->t.p)) {
		tbad(m, "more row groups x columns than the metadata can hold");
		return tfail(m);
	}
	f->rg_rows = calloc(n ? (size_t)n : 1, sizeof(*f->rg_rows));
	f->chunk = calloc(cells ? cells : 1, sizeof(*f->chunk));
	if (!f->rg_rows || !f->chunk)
		return or_err_set(m->err, OR_ENOMEM, "out of memory");
	f->n_rg = (size_t)n;
	for (size_t rg = 0; rg < n; rg++)
		if (read_row_group(m, rg))
			return tfail(m);
	return OR_OK;
}

int or_parquet_parse(or_parquet_file *f, or_err *err)
{
	if (f->size < 12 || memcmp(f->map, "PAR1", 4) != 0)
		return or_err_set(err, OR_EFORMAT, "%s: byte 0: not a Parquet file (no \"PAR1\" magic)", f->path);
	if (memcmp(f->map + f->size - 4, "PARE", 4) == 0)
		return or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: encrypted Parquet footer", f->path);
	if (memcmp(f->map + f->size - 4, "PAR1", 4) != 0)
		return or_err_set(err, OR_EFORMAT,
				  "%s: byte %zu: no \"PAR1\" magic at the end of the file (truncated or damaged Parquet file)",
				  f->path, f->size - 4);
	const uint8_t *q = f->map + f->size - 8;
	uint32_t len = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
	if (len == 0 || len > f->size - 12)
		return or_err_set(err, OR_EFORMAT, "%s: byte %zu: footer length %u does not fit in the file of %zu bytes",
				  f->path, f->size - 8, len, f->size);
	meta_ctx m = { .f = f, .err = err };
	m.footer_at = f->size - 8 - len;
	m.footer = f->map + m.footer_at;
	or_parquet_thrift_init(&m.t, m.footer, len);
	int have_schema = 0, have_rg = 0, have_rows = 0, rc = OR_OK, ft, id;
	if (or_parquet_thrift_begin(&m.t))
		return tfail(&m);
	for (;;) {
		if (or_parquet_thrift_field(&m.t, &ft, &id))
			return tfail(&m);
		if (ft == OR_PQ_T_STOP)
			break;
		if (id == 2 && ft == OR_PQ_T_LIST && !have_schema) {
			if ((rc = read_schema(&m)))
				return rc;
			have_schema = 1;
		} else if (id == 3 && ft == OR_PQ_T_I64) {
			if (or_parquet_thrift_i64(&m.t, &f->num_rows))
				return tfail(&m);
			have_rows = 1;
		} else if (id == 4 && ft == OR_PQ_T_LIST && have_schema && !have_rg) {
			if ((rc = read_row_groups(&m)))
				return rc;
			have_rg = 1;
		} else if (id == 4 || id == 2) {
			tbad(&m, "schema missing before the row groups, or given twice");
			return tfail(&m);
		} else if (or_parquet_thrift_skip(&m.t, ft)) {
			return tfail(&m);
		}
	}
	if (!have_schema || !have_rows || !have_rg)
		return or_err_set(err, OR_EFORMAT, "%s: byte %zu: bad file metadata: no schema, row count or row groups",
				  f->path, m.footer_at);
	int64_t total = 0;
	for (size_t rg = 0; rg < f->n_rg; rg++) {
		if (__builtin_add_overflow(total, f->rg_rows[rg], &total))
			break;
		for (size_t k = 0; k < f->n_leaves; k++) {
			or_parquet_chunk *c = &f->chunk[rg * f->n_leaves + k];
			int64_t chunk_end;
			if (c->unsupported)
				continue;
			if (c->start < 4 || __builtin_add_overflow(c->start, c->bytes, &chunk_end) ||
			    (uint64_t)chunk_end > (uint64_t)m.footer_at)
				return or_err_set(err, OR_EFORMAT,
						  "%s: row group %zu, column \"%s\": column chunk [%lld, +%lld) lies outside the data part of the file (%zu bytes)",
						  f->path, rg, f->leaf[k].path, (long long)c->start,
						  (long long)c->bytes, m.footer_at);
		}
	}
	if (total != f->num_rows)
		return or_err_set(err, OR_EFORMAT, "%s: bad file metadata: row groups hold %lld rows, the footer says %lld",
				  f->path, (long long)total, (long long)f->num_rows);
	return OR_OK;
}

void or_parquet_release(or_parquet_file *f)
{
	for (size_t i = 0; i < f->n_leaves; i++)
		free(f->leaf[i].path);
	free(f->leaf);
	free(f->rg_rows);
	free(f->chunk);
	f->leaf = NULL;
	f->rg_rows = NULL;
	f->chunk = NULL;
	f->n_leaves = f->n_rg = 0;
}

int or_parquet_open(const char *path, or_parquet_file **out, or_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "%s: cannot open", path);
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return or_err_errno(err, e, "%s: cannot stat", path);
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return or_err_set(err, OR_EUNSUPPORTED,
				  "%s: unsupported: Parquet from a pipe or device (it needs a regular file: its footer is at the end)",
				  path);
	}
	if (sb.st_size < 12) {
		close(fd);
		return or_err_set(err, OR_EFORMAT, "%s: byte %lld: truncated Parquet file (%lld bytes; at least 12 needed)",
				  path, (long long)sb.st_size, (long long)sb.st_size);
	}
	or_parquet_file *f = calloc(1, sizeof(*f));
	if (!f) {
		close(fd);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	f->path = path;
	f->size = (size_t)sb.st_size;
	void *map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED) {
		free(f);
		return or_err_errno(err, e, "%s: cannot map", path);
	}
	f->map = map;
	int rc = or_parquet_parse(f, err);
	if (rc) {
		or_parquet_close(f);
		return rc;
	}
	*out = f;
	return OR_OK;
}

void or_parquet_close(or_parquet_file *f)
{
	if (!f)
		return;
	or_parquet_release(f);
	if (f->map)
		munmap((void *)f->map, f->size);
	free(f);
}

int or_parquet_find(const or_parquet_file *f, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < f->n_leaves; i++) {
		const char *p = f->leaf[i].path;
		if (strncmp(p, name, n) == 0 && (p[n] == '\0' || p[n] == '.'))
			return (int)i;
	}
	return -1;
}

void or_parquet_drop_pages(const or_parquet_file *f, size_t rg)
{
	long pg = sysconf(_SC_PAGESIZE);
	if (pg <= 0 || !f->chunk || rg >= f->n_rg)
		return;
	for (size_t k = 0; k < f->n_leaves; k++) {
		const or_parquet_chunk *c = &f->chunk[rg * f->n_leaves + k];
		if (c->unsupported)
			continue;
		uint64_t a = ((uint64_t)c->start + (uint64_t)pg - 1) / (uint64_t)pg * (uint64_t)pg;
		uint64_t b = (uint64_t)(c->start + c->bytes) / (uint64_t)pg * (uint64_t)pg;
		if (b > a)
			madvise((void *)(f->map + a), (size_t)(b - a), MADV_DONTNEED);
	}
}
