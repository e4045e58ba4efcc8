/* or_npy.c - reading and writing float32 .npy matrices and int64 id
   vectors (see or_npy.h). */
#include "or_npy.h"
#include "or_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_MAGIC "\x93NUMPY"

/* The header of an array of descr and shape text ("3, 4" or "5,") into
   head (cap bytes), at least min_total bytes long (padded with spaces, so
   that a header rewritten at the end keeps its length); its length, or 0
   when it does not fit. */
static size_t npy_header(char *head, size_t cap, const char *descr, const char *shape,
			 size_t min_total)
{
	char dict[160];
	int dl = snprintf(dict, sizeof(dict),
			  "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
			  descr, shape);
	if (dl < 0 || (size_t)dl >= sizeof(dict))
		return 0;
	/* magic(6) version(2) len(2; 4 from version 2) dict, spaces, '\n' */
	size_t prefix = 10, total = (prefix + (size_t)dl + 1 + 63) & ~(size_t)63;
	if (total < min_total)
		total = min_total;
	int v2 = total - prefix > 65535;
	if (v2) {
		prefix = 12;
		total = (prefix + (size_t)dl + 1 + 63) & ~(size_t)63;
	}
	if (total > cap)
		return 0;
	memset(head, ' ', total);
	memcpy(head, NPY_MAGIC, 6);
	head[6] = v2 ? 2 : 1;
	head[7] = 0;
	uint32_t hl = (uint32_t)(total - prefix);
	head[8] = (char)(hl & 0xff);
	head[9] = (char)((hl >> 8) & 0xff);
	if (v2) {
		head[10] = (char)((hl >> 16) & 0xff);
		head[11] = (char)((hl >> 24) & 0xff);
	}
	memcpy(head + prefix, dict, (size_t)dl);
	head[total - 1] = '\n';
	return total;
}

/* The shape text of rows x cols (cols 0: a 1-D array of rows). */
static void shape_text(char *buf, size_t cap, size_t rows, size_t cols)
{
	if (cols)
		snprintf(buf, cap, "%zu, %zu", rows, cols);
	else
		snprintf(buf, cap, "%zu,", rows);
}

#define NPY_HEAD_MAX 256

int or_npy_writer_open(or_npy_writer *w, const char *path, const char *descr, size_t elem,
		       size_t cols, or_err *err)
{
	memset(w, 0, sizeof(*w));
	w->f.fd = -1;
	w->descr = descr;
	w->elem = elem;
	w->cols = cols;
	/* room for the largest shape: the real header is padded to this */
	char head[NPY_HEAD_MAX], shape[48];
	shape_text(shape, sizeof(shape), SIZE_MAX, cols ? SIZE_MAX : 0);
	w->head_len = npy_header(head, sizeof(head), descr, shape, 0);
	if (!w->head_len)
		return or_err_set(err, OR_EINVAL, "%s: header too long", path);
	int rc = or_file_open(&w->f, path, err);
	if (!rc)
		rc = or_file_write(&w->f, head, w->head_len, err);
	if (rc)
		or_npy_writer_abort(w);
	return rc;
}

int or_npy_writer_rows(or_npy_writer *w, const void *data, size_t rows, or_err *err)
{
	size_t n;
	if (or_size_mul(rows, w->cols ? w->cols : 1, &n) || or_size_mul(n, w->elem, &n))
		return or_err_set(err, OR_EINVAL, "%s: %zu rows are too many", w->f.path, rows);
	w->rows += rows;
	return or_file_write(&w->f, data, n, err);
}

int or_npy_writer_commit(or_npy_writer *w, or_err *err)
{
	char head[NPY_HEAD_MAX], shape[48];
	shape_text(shape, sizeof(shape), w->rows, w->cols);
	size_t len = npy_header(head, sizeof(head), w->descr, shape, w->head_len);
	int rc = len == w->head_len ? or_file_patch(&w->f, 0, head, len, err)
				    : or_err_set(err, OR_EINVAL, "%s: header too long", w->f.path);
	if (!rc)
		rc = or_file_commit(&w->f, err);
	or_npy_writer_abort(w);
	return rc;
}

void or_npy_writer_abort(or_npy_writer *w)
{
	or_file_abort(&w->f);
}

/* One whole array to path. */
static int npy_write(const char *path, const char *descr, size_t elem, const void *data,
		     size_t rows, size_t cols, or_err *err)
{
	or_npy_writer w;
	int rc = or_npy_writer_open(&w, path, descr, elem, cols, err);
	if (!rc)
		rc = or_npy_writer_rows(&w, data, rows, err);
	if (!rc)
		return or_npy_writer_commit(&w, err);
	or_npy_writer_abort(&w);
	return rc;
}

int or_npy_write_f32(const char *path, const float *data, size_t rows,
		     size_t cols, or_err *err)
{
	size_t n;
	if (or_size_mul(rows, cols, &n) || or_size_mul(n, sizeof(float), &n))
		return or_err_set(err, OR_EINVAL, "%s: matrix of %zu x %zu is too large", path, rows, cols);
	return npy_write(path, "<f4", sizeof(float), data, rows, cols, err);
}

int or_npy_write_i64(const char *path, const int64_t *data, size_t n, or_err *err)
{
	size_t bytes;
	if (or_size_mul(n, sizeof(int64_t), &bytes))
		return or_err_set(err, OR_EINVAL, "%s: vector of %zu is too large", path, n);
	return npy_write(path, "<i8", sizeof(int64_t), data, n, 0, err);
}

char *or_npy_ids_path(const char *emb_path)
{
	size_t len = strlen(emb_path);
	if (len >= 4 && !strcmp(emb_path + len - 4, ".npy"))
		len -= 4;
	char *s = malloc(len + sizeof(".ids.npy"));
	if (!s)
		return NULL;
	memcpy(s, emb_path, len);
	memcpy(s + len, ".ids.npy", sizeof(".ids.npy"));
	return s;
}

/* The text after 'key': in the header dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "'%s'", key);
	const char *p = strstr(dict, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

/* The text of one header value for a message: a bracketed value through
   its closing bracket, else up to the next ',' or '}'; shortened with "..."
   when it does not fit out (n >= 8). */
static void value_text(const char *v, char *out, size_t n)
{
	size_t len = 0;
	if (*v == '(' || *v == '[') {
		int depth = 0;
		for (; v[len]; len++) {
			depth += v[len] == '(' || v[len] == '[';
			depth -= v[len] == ')' || v[len] == ']';
			if (depth == 0) {
				len++;
				break;
			}
		}
	} else {
		len = strcspn(v, ",}");
		while (len > 0 && v[len - 1] == ' ')
			len--;
	}
	if (len < n)
		snprintf(out, n, "%.*s", (int)len, v);
	else
		snprintf(out, n, "%.*s...", (int)(n - 4), v);
}

static int parse_shape(const char *p, size_t *rows, size_t *cols, int *ndim)
{
	if (*p++ != '(')
		return -1;
	size_t dims[2] = { 0, 1 };
	int nd = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			break;
		if (nd == 2 || *p < '0' || *p > '9')
			return -1;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if (errno || end == p)
			return -1;
		dims[nd++] = (size_t)v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
	}
	if (nd == 0)
		return -1;
	*rows = dims[0];
	*cols = dims[1];
	*ndim = nd;
	return 0;
}

/* A mapped .npy file: its C-order data, dtype text ("'<f4'", quotes kept) and
   shape. */
typedef struct npy_file {
	void *map;
	size_t bytes;
	const unsigned char *data;
	size_t avail; /* bytes from data to the end of the file */
	char descr[72]; /* the dtype's text, for messages (value_text) */
	size_t rows, cols;
	int ndim; /* 1 or 2 */
} npy_file;

/* Map path and read its header (versions 1.0-3.0, C order, 1-D or 2-D);
   the caller checks the dtype and the data size and munmaps f->map. */
static int npy_map(const char *path, npy_file *f, or_err *err)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "cannot open %s", path);
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 16) {
		close(fd);
		return or_err_set(err, OR_EFORMAT, "%s: not a .npy file (too short or not a regular file)", path);
	}
	size_t bytes = (size_t)st.st_size;
	void *map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return or_err_errno(err, e, "cannot map %s", path);
	f->map = map;
	f->bytes = bytes;
	const unsigned char *b = map;
	int rc = OR_OK;
	if (memcmp(b, NPY_MAGIC, 6) != 0) {
		rc = or_err_set(err, OR_EFORMAT, "%s: not a .npy file (bad magic)", path);
		goto fail;
	}
	size_t prefix, hl;
	if (b[6] == 1) {
		prefix = 10;
		hl = (size_t)b[8] | (size_t)b[9] << 8;
	} else if (b[6] == 2 || b[6] == 3) {
		prefix = 12;
		hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
	} else {
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: .npy format version %u", path, b[6]);
		goto fail;
	}
	if (hl > bytes - prefix || hl > 1u << 20) {
		rc = or_err_set(err, OR_EFORMAT, "%s: .npy header runs past the end of the file", path);
		goto fail;
	}
	char *dict = malloc(hl + 1);
	if (!dict) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(dict, b + prefix, hl);
	dict[hl] = '\0';
	const char *descr = dict_value(dict, "descr");
	const char *fo = dict_value(dict, "fortran_order");
	const char *shape = dict_value(dict, "shape");
	if (!descr || !fo || !shape)
		rc = or_err_set(err, OR_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape", path);
	else if (strncmp(fo, "False", 5) != 0)
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: Fortran-order array (save it with np.ascontiguousarray)", path);
	else if (parse_shape(shape, &f->rows, &f->cols, &f->ndim)) {
		char text[72];
		value_text(shape, text, sizeof(text));
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: shape %s (expected 1-D or 2-D)", path, text);
	} else
		value_text(descr, f->descr, sizeof(f->descr));
	free(dict);
	if (rc)
		goto fail;
	f->data = b + prefix + hl;
	f->avail = bytes - prefix - hl;
	return OR_OK;
fail:
	munmap(map, bytes);
	memset(f, 0, sizeof(*f));
	return rc;
}

/* rows x cols elements of elem bytes fit in the file. */
static int npy_size_ok(const npy_file *f, size_t elem, size_t *n)
{
	size_t need;
	return !or_size_mul(f->rows, f->cols, n) && !or_size_mul(*n, elem, &need) && need <= f->avail;
}

int or_npy_open_f32(const char *path, or_npy *out, or_err *err)
{
	memset(out, 0, sizeof(*out));
	npy_file nf;
	int rc = npy_map(path, &nf, err);
	if (rc)
		return rc;
	out->map_ = nf.map;
	out->map_bytes_ = nf.bytes;
	out->rows = nf.rows;
	out->cols = nf.cols;
	int f8 = 0;
	if (strncmp(nf.descr, "'<f4'", 5) != 0 && !(f8 = strncmp(nf.descr, "'<f8'", 5) == 0)) {
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: dtype %s (expected float32 '<f4' or float64 '<f8')", path, nf.descr);
		goto fail;
	}
	size_t n, elem = f8 ? 8 : 4;
	if (!npy_size_ok(&nf, elem, &n)) {
		rc = or_err_set(err, OR_EFORMAT, "%s: .npy data shorter than its shape %zu x %zu says (truncated?)",
				path, out->rows, out->cols);
		goto fail;
	}
	const unsigned char *data = nf.data;
	if (!f8 && ((uintptr_t)data % sizeof(float)) == 0) {
		out->data = (const float *)data;
		return OR_OK;
	}
	out->owned_ = malloc(n ? n * sizeof(float) : 1);
	if (!out->owned_) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory converting %s", path);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (f8) {
			double d;
			memcpy(&d, data + 8 * i, 8);
			out->owned_[i] = (float)d;
		} else {
			memcpy(&out->owned_[i], data + 4 * i, 4);
		}
	}
	munmap(out->map_, out->map_bytes_);
	out->map_ = NULL;
	out->data = out->owned_;
	return OR_OK;
fail:
	or_npy_close(out);
	return rc;
}

int or_npy_read_ids(const char *path, size_t rows, uint32_t **ids, or_err *err)
{
	*ids = NULL;
	npy_file nf;
	int rc = npy_map(path, &nf, err);
	if (rc)
		return rc;
	int i8 = strncmp(nf.descr, "'<i8'", 5) == 0, i4 = strncmp(nf.descr, "'<i4'", 5) == 0;
	size_t n = 0;
	uint32_t *out = NULL;
	if (!i8 && !i4)
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: dtype %s (expected int64 '<i8' or int32 '<i4' aids)", path, nf.descr);
	else if (nf.cols != 1)
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: shape %zu x %zu, expected a vector of aids", path, nf.rows, nf.cols);
	else if (!npy_size_ok(&nf, i8 ? 8 : 4, &n))
		rc = or_err_set(err, OR_EFORMAT, "%s: .npy data shorter than its shape %zu says (truncated?)", path, nf.rows);
	else if (n != rows)
		rc = or_err_set(err, OR_EFORMAT, "%s: %zu aids for a matrix of %zu rows (one aid per row expected)", path, n, rows);
	else if (!(out = malloc((n ? n : 1) * sizeof(*out))))
		rc = or_err_set(err, OR_ENOMEM, "out of memory reading %s", path);
	for (size_t i = 0; !rc && i < n; i++) {
		int64_t v;
		if (i8) {
			memcpy(&v, nf.data + 8 * i, 8);
		} else {
			int32_t w;
			memcpy(&w, nf.data + 4 * i, 4);
			v = w;
		}
		if (v < 0 || v > INT32_MAX)
			rc = or_err_set(err, OR_EFORMAT, "%s: aid %lld at row %zu is outside 0..2147483647", path, (long long)v, i);
		else if (i > 0 && (uint32_t)v <= out[i - 1])
			rc = or_err_set(err, OR_EFORMAT, "%s: aids are not strictly increasing at row %zu (%lld after %u)",
					path, i, (long long)v, out[i - 1]);
		else
			out[i] = (uint32_t)v;
	}
	munmap(nf.map, nf.bytes);
	if (rc) {
		free(out);
		return rc;
	}
	*ids = out;
	return OR_OK;
}

int or_npy_read_i64(const char *path, int64_t **out, size_t *n, or_err *err)
{
	*out = NULL;
	*n = 0;
	npy_file nf;
	int rc = npy_map(path, &nf, err);
	if (rc)
		return rc;
	size_t count = 0;
	int64_t *v = NULL;
	if (strncmp(nf.descr, "'<i8'", 5) != 0)
		rc = or_err_set(err, OR_EUNSUPPORTED, "%s: unsupported: dtype %.8s (expected int64 '<i8')", path, nf.descr);
	else if (nf.ndim != 1)
		rc = or_err_set(err, OR_EFORMAT, "%s: shape (%zu, %zu), expected a 1-D array", path, nf.rows, nf.cols);
	else if (!npy_size_ok(&nf, 8, &count))
		rc = or_err_set(err, OR_EFORMAT, "%s: .npy data shorter than its shape %zu says (truncated?)", path, nf.rows);
	else if (!(v = malloc((count ? count : 1) * sizeof(*v))))
		rc = or_err_set(err, OR_ENOMEM, "out of memory reading %s", path);
	else
		memcpy(v, nf.data, count * sizeof(*v));
	munmap(nf.map, nf.bytes);
	if (rc)
		return rc;
	*out = v;
	*n = count;
	return OR_OK;
}

void or_npy_close(or_npy *m)
{
	if (m->map_)
		munmap(m->map_, m->map_bytes_);
	free(m->owned_);
	memset(m, 0, sizeof(*m));
}
