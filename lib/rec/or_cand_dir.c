/* or_cand_dir.c - reading, checking and writing a candidates directory
   (see or_cand_dir.h). */
#include "or_cand_dir.h"
#include "or_file.h"
#include "or_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_BYTES (16u << 20)

/* DIR/name, malloc'd (NULL when out of memory). */
static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *s = malloc(a + b + 2);
	if (!s)
		return NULL;
	memcpy(s, dir, a);
	s[a] = '/';
	memcpy(s + a + 1, name, b + 1);
	return s;
}

/* The whole of a small file, NUL-terminated (malloc'd). */
static int read_small(const char *path, char **out, size_t *len, or_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return or_err_errno(err, errno, "cannot open %s", path);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int rc = buf ? OR_OK : or_err_set(err, OR_ENOMEM, "out of memory reading %s", path);
	while (!rc) {
		if (n + 1 >= cap) {
			if (cap >= JSON_MAX_BYTES) {
				rc = or_err_set(err, OR_EFORMAT, "%s: larger than %u bytes", path, JSON_MAX_BYTES);
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				rc = or_err_set(err, OR_ENOMEM, "out of memory reading %s", path);
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = or_err_set(err, OR_EIO, "cannot read %s", path);
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return OR_OK;
}

static int json_error(const char *where, const or_json *j, or_err *err)
{
	return or_err_set(err, OR_EFORMAT, "%s: column %zu: %s", where,
			  (size_t)(j->err_at - j->begin) + 1, j->err_what ? j->err_what : "malformed JSON");
}

/* A non-negative integer value at the cursor (after whitespace). */
static int json_count(or_json *j, const char *path, const char *key, uint64_t *v, or_err *err)
{
	int neg;
	or_json_ws(j);
	if (or_json_int(j, &neg, v) != OR_JSON_INT_OK || neg)
		return or_err_set(err, OR_EFORMAT, "%s: column %zu: \"%s\" must be a non-negative integer",
				  path, (size_t)(j->p - j->begin) + 1, key);
	return OR_OK;
}

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

int or_cand_names_parse(or_json *j, const char *where, char ***names, size_t *n, or_err *err)
{
	*names = NULL;
	*n = 0;
	if (or_json_expect(j, '[', "\"features\" must be an array of names"))
		return json_error(where, j, err);
	size_t cap = 0;
	if (or_json_eat(j, ']'))
		return OR_OK;
	for (;;) {
		char buf[OR_CAND_NAME_MAX + 1];
		int fits;
		if (or_json_string(j, buf, sizeof(buf), &fits))
			return json_error(where, j, err);
		if (!fits || !name_ok(buf))
			return or_err_set(err, OR_EFORMAT,
					  "%s: feature %zu's name is empty, longer than %d bytes or not printable ASCII (without '\"' and '\\')",
					  where, *n, OR_CAND_NAME_MAX);
		for (size_t f = 0; f < *n; f++)
			if (!strcmp((*names)[f], buf))
				return or_err_set(err, OR_EFORMAT, "%s: feature name '%s' appears twice (features %zu and %zu)",
						  where, buf, f, *n);
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			char **nn = realloc(*names, cap * sizeof(*nn));
			if (!nn)
				return or_err_set(err, OR_ENOMEM, "out of memory");
			*names = nn;
		}
		if (!((*names)[*n] = strdup(buf)))
			return or_err_set(err, OR_ENOMEM, "out of memory");
		++*n;
		if (or_json_eat(j, ']'))
			return OR_OK;
		if (or_json_expect(j, ',', "expected ',' or ']' in \"features\""))
			return json_error(where, j, err);
	}
}

void or_cand_names_free(char **names, size_t n)
{
	for (size_t f = 0; names && f < n; f++)
		free(names[f]);
	free(names);
}

static int parse_json(const char *path, const char *text, size_t len, or_cand_dir *d,
		      uint64_t *n_rows, uint64_t *n_groups, or_err *err)
{
	or_json j;
	or_json_init(&j, text, text + len);
	enum { K_FORMAT = 1, K_VERSION = 2, K_FEATURES = 4, K_ROWS = 8, K_GROUPS = 16, K_SETTINGS = 32 };
	unsigned seen = 0;
	if (or_json_expect(&j, '{', "expected a JSON object"))
		return json_error(path, &j, err);
	int rc = OR_OK;
	if (!or_json_eat(&j, '}')) {
		for (;;) {
			char key[64];
			int fits;
			if (or_json_string(&j, key, sizeof(key), &fits) ||
			    or_json_expect(&j, ':', "expected ':' after a key"))
				return json_error(path, &j, err);
			unsigned bit = !fits ? 0 : !strcmp(key, "format") ? K_FORMAT : !strcmp(key, "version") ? K_VERSION
				: !strcmp(key, "features") ? K_FEATURES : !strcmp(key, "n_rows") ? K_ROWS
				: !strcmp(key, "n_groups") ? K_GROUPS : !strcmp(key, "settings") ? K_SETTINGS : 0;
			if (bit & seen)
				return or_err_set(err, OR_EFORMAT, "%s: key \"%s\" appears twice", path, key);
			seen |= bit;
			uint64_t v = 0;
			if (bit == K_FORMAT) {
				char fmt[64];
				if (or_json_string(&j, fmt, sizeof(fmt), &fits))
					return json_error(path, &j, err);
				if (!fits || strcmp(fmt, "ottorec-candidates"))
					return or_err_set(err, OR_EFORMAT, "%s: \"format\" is not \"ottorec-candidates\"", path);
			} else if (bit == K_VERSION) {
				if ((rc = json_count(&j, path, key, &v, err)))
					return rc;
				if (v != OR_CAND_VERSION)
					return or_err_set(err, OR_EUNSUPPORTED,
							  "%s: candidates format version %llu, this ottorec reads version %d; rebuild the directory with `ottorec candidates`",
							  path, (unsigned long long)v, OR_CAND_VERSION);
			} else if (bit == K_FEATURES) {
				if ((rc = or_cand_names_parse(&j, path, &d->names, &d->n_features, err)))
					return rc;
			} else if (bit == K_ROWS || bit == K_GROUPS) {
				if ((rc = json_count(&j, path, key, bit == K_ROWS ? n_rows : n_groups, err)))
					return rc;
			} else if (bit == K_SETTINGS) {
				if (or_json_peek(&j) != '{')
					return or_err_set(err, OR_EFORMAT, "%s: \"settings\" must be a JSON object", path);
				const char *s0 = j.p;
				if (or_json_skip(&j))
					return json_error(path, &j, err);
				size_t n = (size_t)(j.p - s0);
				if (!(d->settings_json = malloc(n + 1)))
					return or_err_set(err, OR_ENOMEM, "out of memory");
				memcpy(d->settings_json, s0, n);
				d->settings_json[n] = '\0';
			} else if (or_json_skip(&j)) {
				return json_error(path, &j, err);
			}
			if (or_json_eat(&j, '}'))
				break;
			if (or_json_expect(&j, ',', "expected ',' or '}'"))
				return json_error(path, &j, err);
		}
	}
	if (or_json_peek(&j) != -1)
		return or_err_set(err, OR_EFORMAT, "%s: column %zu: text after the JSON object", path,
				  (size_t)(j.p - j.begin) + 1);
	static const char *const need[6] = { "format", "version", "features", "n_rows", "n_groups", "settings" };
	for (int i = 0; i < 6; i++)
		if (!(seen & (1u << i)))
			return or_err_set(err, OR_EFORMAT, "%s: no \"%s\" key", path, need[i]);
	if (d->n_features == 0)
		return or_err_set(err, OR_EFORMAT, "%s: \"features\" is empty", path);
	return OR_OK;
}

/* Open DIR/name as '<i8' of exactly n values. */
static int read_i64(const char *dir, const char *name, size_t n, const char *what, int64_t **out,
		    char **pathp, or_err *err)
{
	char *path = join(dir, name);
	if (!path)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	*pathp = path;
	size_t got;
	int rc = or_npy_read_i64(path, out, &got, err);
	if (!rc && got != n)
		rc = or_err_set(err, OR_EFORMAT, "%s: %zu values, expected %zu (%s, from candidates.json)", path, got, n, what);
	return rc;
}

static int check_floats(const char *dir, const char *name, or_npy *m, size_t rows, size_t cols,
			int labels, or_err *err)
{
	char *path = join(dir, name);
	if (!path)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	int rc = or_npy_open_f32(path, m, err);
	if (!rc && (m->rows != rows || m->cols != cols))
		rc = or_err_set(err, OR_EFORMAT, "%s: shape (%zu, %zu), expected (%zu, %zu) (from candidates.json)",
				path, m->rows, m->cols, rows, cols);
	for (size_t i = 0; !rc && i < rows; i++) {
		const float *r = m->data + i * cols;
		for (size_t c = 0; c < cols; c++) {
			float v = r[c];
			if (labels ? (v != 0.0f && v != 1.0f) : isinf(v)) {
				rc = or_err_set(err, OR_EFORMAT, "%s: row %zu column %zu is %g, %s", path, i, c, (double)v,
						labels ? "expected 0 or 1" : "expected a finite number or NaN (missing)");
				break;
			}
		}
	}
	free(path);
	return rc;
}

int or_cand_dir_open(const char *dir, or_cand_dir *d, or_err *err)
{
	memset(d, 0, sizeof(*d));
	char *path = join(dir, "candidates.json"), *text = NULL;
	size_t len = 0;
	uint64_t n_rows = 0, n_groups = 0;
	int rc = path ? read_small(path, &text, &len, err) : or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = parse_json(path, text, len, d, &n_rows, &n_groups, err);
	free(text);
	free(path);
	path = NULL;
	if (!rc && (n_rows > SIZE_MAX / 64 || n_groups > SIZE_MAX / 64))
		rc = or_err_set(err, OR_EFORMAT, "%s/candidates.json: n_rows or n_groups too large", dir);
	d->n_rows = (size_t)n_rows;
	d->n_groups = (size_t)n_groups;
	if (!rc)
		rc = check_floats(dir, "features.npy", &d->features_, d->n_rows, d->n_features, 0, err);
	if (!rc)
		rc = check_floats(dir, "labels.npy", &d->labels_, d->n_rows, 3, 1, err);
	int64_t *sizes = NULL;
	if (!rc)
		rc = read_i64(dir, "group_sizes.npy", d->n_groups, "n_groups", &sizes, &path, err);
	if (!rc && !(d->group_off = malloc((d->n_groups + 1) * sizeof(*d->group_off))))
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc) {
		uint64_t sum = 0;
		d->group_off[0] = 0;
		for (size_t g = 0; g < d->n_groups && !rc; g++) {
			if (sizes[g] < 0 || (uint64_t)sizes[g] > d->n_rows - sum)
				rc = or_err_set(err, OR_EFORMAT, "%s: group %zu has %lld rows: %s", path, g,
						(long long)sizes[g], sizes[g] < 0 ? "negative" :
						"the sizes add up to more than n_rows");
			else
				d->group_off[g + 1] = sum += (uint64_t)sizes[g];
		}
		if (!rc && sum != d->n_rows)
			rc = or_err_set(err, OR_EFORMAT, "%s: the group sizes add up to %llu, not n_rows %zu", path,
					(unsigned long long)sum, d->n_rows);
	}
	free(sizes);
	free(path);
	path = NULL;
	if (!rc)
		rc = read_i64(dir, "session.npy", d->n_groups, "n_groups", &d->session, &path, err);
	for (size_t g = 0; !rc && g < d->n_groups; g++)
		if (d->session[g] < 0)
			rc = or_err_set(err, OR_EFORMAT, "%s: group %zu has session id %lld, expected >= 0", path, g,
					(long long)d->session[g]);
	free(path);
	path = NULL;
	if (!rc)
		rc = read_i64(dir, "aid.npy", d->n_rows, "n_rows", &d->aid, &path, err);
	for (size_t i = 0; !rc && i < d->n_rows; i++)
		if (d->aid[i] < 0 || d->aid[i] > INT32_MAX)
			rc = or_err_set(err, OR_EFORMAT, "%s: row %zu has aid %lld, outside 0..2147483647", path, i,
					(long long)d->aid[i]);
	free(path);
	if (rc) {
		or_cand_dir_release(d);
		return rc;
	}
	d->x = d->features_.data;
	d->labels = d->labels_.data;
	return OR_OK;
}

void or_cand_dir_release(or_cand_dir *d)
{
	or_cand_names_free(d->names, d->n_features);
	free(d->group_off);
	free(d->session);
	free(d->aid);
	free(d->settings_json);
	or_npy_close(&d->features_);
	or_npy_close(&d->labels_);
	memset(d, 0, sizeof(*d));
}

int or_cand_dir_write(const char *dir, const char *const *names, size_t n_features,
		      const float *x, const float *labels, size_t n_rows,
		      const int64_t *group_sizes, const int64_t *session, size_t n_groups,
		      const int64_t *aid, const char *settings, or_err *err)
{
	int rc = or_dir_make_all(dir, err);
	char *path = NULL;
	if (!rc && !(path = join(dir, "features.npy")))
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = or_npy_write_f32(path, x, n_rows, n_features, err);
	free(path);
	static const char *const vec[3] = { "group_sizes.npy", "session.npy", "aid.npy" };
	const int64_t *vdata[3] = { group_sizes, session, aid };
	size_t vn[3] = { n_groups, n_groups, n_rows };
	for (int i = -1; i < 3 && !rc; i++) {
		if (!(path = join(dir, i < 0 ? "labels.npy" : vec[i])))
			return or_err_set(err, OR_ENOMEM, "out of memory");
		rc = i < 0 ? or_npy_write_f32(path, labels, n_rows, 3, err)
			   : or_npy_write_i64(path, vdata[i], vn[i], err);
		free(path);
	}
	if (rc)
		return rc;
	if (!(path = join(dir, "candidates.json")))
		return or_err_set(err, OR_ENOMEM, "out of memory");
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m) {
		free(path);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	fputs("{\"format\":\"ottorec-candidates\",\"version\":1,\"features\":[", m);
	for (size_t f = 0; f < n_features; f++)
		fprintf(m, "%s\"%s\"", f ? "," : "", names[f]);
	fprintf(m, "],\"n_rows\":%zu,\"n_groups\":%zu,\"settings\":%s}\n", n_rows, n_groups,
		settings ? settings : "{}");
	if (fclose(m) != 0) {
		free(text);
		free(path);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	or_file f;
	rc = or_file_open(&f, path, err);
	if (!rc && (rc = or_file_write(&f, text, len, err)))
		or_file_abort(&f);
	if (!rc)
		rc = or_file_commit(&f, err);
	free(text);
	free(path);
	return rc;
}
