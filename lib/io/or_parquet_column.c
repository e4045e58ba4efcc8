/*
 * or_parquet_column.c - the column reader: walks the pages of one column
 * chunk (dictionary page, data pages v1 and v2, index pages skipped),
 * decompresses each page, and hands out definition/repetition levels and
 * integer values (strings converted through a caller's function) in
 * batches.  Hand-written for the reasons in or_parquet.h.  Page headers,
 * sizes and counts come from the file and are checked before use; every
 * error names the file, row group, column and the byte offset of the page.
 */
#include "or_parquet_internal.h"
#include "or_par.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* A page may not decompress to more than this. */
#define MAX_PAGE_BYTES ((size_t)1 << 30)

enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICT = 2, PAGE_DATA_V2 = 3 };

static int col_fail(or_parquet_col *c, int code, or_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int col_fail(or_parquet_col *c, int code, or_err *err, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	or_err_set(&c->err, code, "%s: row group %zu, column \"%s\", page at byte %zu: %s%s",
		   c->f->path, c->rg, c->leaf->path, c->page_at,
		   code == OR_EUNSUPPORTED ? "unsupported: " : "", what);
	if (err)
		*err = c->err;
	return code;
}

int or_parquet_col_open(or_parquet_col *c, const or_parquet_file *f, size_t rg,
			size_t li, or_parquet_str_fn str_fn, or_err *err)
{
	/* buffers of an earlier chunk are kept for this one, and the count of
	   dictionaries goes on */
	uint64_t dict_gen = c->dict_gen;
	uint8_t *buf = c->buf;
	uint32_t *tmp = c->tmp;
	int64_t *dict = c->dict;
	void *zstd = c->zstd;
	size_t buf_cap = c->buf_cap, tmp_cap = c->tmp_cap, dict_cap = c->dict_cap;
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->tmp = tmp;
	c->dict = dict;
	c->zstd = zstd;
	c->buf_cap = buf_cap;
	c->tmp_cap = tmp_cap;
	c->dict_cap = dict_cap;
	c->dict_gen = dict_gen;
	c->f = f;
	c->rg = rg;
	c->li = li;
	c->leaf = &f->leaf[li];
	c->ch = &f->chunk[rg * f->n_leaves + li];
	c->str_fn = str_fn;
	c->page_at = c->ch->unsupported ? 0 : (size_t)c->ch->start;
	const or_parquet_leaf *l = c->leaf;
	if (c->ch->unsupported)
		return col_fail(c, OR_EUNSUPPORTED, err, "%s", c->ch->unsupported);
	if (l->kind == OR_PQ_KIND_OTHER)
		return col_fail(c, OR_EUNSUPPORTED, err, "column type %s", l->other);
	if (l->kind == OR_PQ_KIND_STRING && !str_fn)
		return col_fail(c, OR_EUNSUPPORTED, err, "a string column where integers are expected");
	if (l->max_rep > 1 || l->max_def > 8)
		return col_fail(c, OR_EUNSUPPORTED, err, "nested lists (repetition level %d)", l->max_rep);
	if (c->ch->phys != l->phys)
		return col_fail(c, OR_EFORMAT, err, "column chunk type %d differs from the schema's %d",
				c->ch->phys, l->phys);
	int codec = c->ch->codec;
	if (codec != OR_PQ_UNCOMPRESSED && codec != OR_PQ_SNAPPY && codec != OR_PQ_GZIP &&
	    codec != OR_PQ_ZSTD)
		return col_fail(c, OR_EUNSUPPORTED, err, "compression %s", or_parquet_codec_name(codec));
	c->pos = f->map + c->ch->start;
	c->end = c->pos + c->ch->bytes;
	c->values_left = c->ch->num_values;
	return OR_OK;
}

void or_parquet_col_release(or_parquet_col *c)
{
	free(c->dict);
	free(c->buf);
	free(c->tmp);
	c->dict = NULL;
	c->buf = NULL;
	c->tmp = NULL;
	c->dict_cap = c->buf_cap = c->tmp_cap = 0;
	or_parquet_zstd_free(c->zstd);
	c->zstd = NULL;
}

typedef struct page_header {
	int type;
	int32_t usize, csize;
	int32_t num_values, num_nulls, num_rows;
	int32_t enc, def_enc, rep_enc;
	int32_t def_len, rep_len;
	int is_compressed;
	int have_sub;
} page_header;

static int read_sub_header(or_parquet_thrift *t, page_header *h, int which)
{
	int ft, id;
	if (or_parquet_thrift_begin(t))
		return -1;
	h->have_sub = 1;
	for (;;) {
		if (or_parquet_thrift_field(t, &ft, &id))
			return -1;
		if (ft == OR_PQ_T_STOP)
			return 0;
		int32_t *slot = NULL;
		if (which == 5) { /* DataPageHeader */
			slot = id == 1 ? &h->num_values : id == 2 ? &h->enc : id == 3 ? &h->def_enc
			       : id == 4 ? &h->rep_enc : NULL;
		} else if (which == 7) { /* DictionaryPageHeader */
			slot = id == 1 ? &h->num_values : id == 2 ? &h->enc : NULL;
		} else { /* DataPageHeaderV2 */
			slot = id == 1 ? &h->num_values : id == 2 ? &h->num_nulls : id == 3 ? &h->num_rows
			       : id == 4 ? &h->enc : id == 5 ? &h->def_len : id == 6 ? &h->rep_len : NULL;
			if (id == 7 && (ft == OR_PQ_T_TRUE || ft == OR_PQ_T_FALSE)) {
				h->is_compressed = ft == OR_PQ_T_TRUE;
				continue;
			}
		}
		if (slot && ft != OR_PQ_T_STRUCT && ft != OR_PQ_T_BINARY) {
			if (or_parquet_thrift_int(t, ft, slot))
				return -1;
			if (*slot < 0) {
				t->why = "negative count, length or enum in a page header";
				return -1;
			}
		} else if (or_parquet_thrift_skip(t, ft)) {
			return -1;
		}
	}
}

static int read_page_header(or_parquet_col *c, page_header *h, size_t *hdr_len, or_err *err)
{
	memset(h, 0, sizeof(*h));
	h->type = -1;
	h->usize = h->csize = -1;
	h->is_compressed = 1;
	or_parquet_thrift t;
	or_parquet_thrift_init(&t, c->pos, (size_t)(c->end - c->pos));
	int ft, id, want = -1;
	if (or_parquet_thrift_begin(&t))
		goto bad;
	for (;;) {
		if (or_parquet_thrift_field(&t, &ft, &id))
			goto bad;
		if (ft == OR_PQ_T_STOP)
			break;
		if (id >= 1 && id <= 3 && ft != OR_PQ_T_STRUCT) {
			int32_t v;
			if (or_parquet_thrift_int(&t, ft, &v))
				goto bad;
			if (id == 1) h->type = v;
			else if (id == 2) h->usize = v;
			else h->csize = v;
		} else if ((id == 5 || id == 7 || id == 8) && ft == OR_PQ_T_STRUCT) {
			if (want >= 0) {
				t.why = "page header has two kinds of page header";
				goto bad;
			}
			want = id;
			if (read_sub_header(&t, h, id))
				goto bad;
		} else if (or_parquet_thrift_skip(&t, ft)) {
			goto bad;
		}
	}
	if (h->type < 0 || h->usize < 0 || h->csize < 0) {
		t.why = "page header lacks its type or sizes";
		goto bad;
	}
	int expect = h->type == PAGE_DATA ? 5 : h->type == PAGE_DICT ? 7 : h->type == PAGE_DATA_V2 ? 8 : -1;
	if (expect >= 0 && want != expect) {
		t.why = "page header lacks the header of its page type";
		goto bad;
	}
	*hdr_len = (size_t)(t.p - c->pos);
	if ((size_t)h->csize > (size_t)(c->end - t.p))
		return col_fail(c, OR_EFORMAT, err, "page of %d bytes runs past the end of its column chunk",
				h->csize);
	return OR_OK;
bad:
	return col_fail(c, OR_EFORMAT, err, "bad page header: %s (byte %zu)",
			t.why ? t.why : "unexpected value", (size_t)(t.p - c->f->map));
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 1024, bytes;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (or_size_mul(n, elem, &bytes))
		return -1;
	void *q = realloc(*p, bytes);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* Decompress [src, src_n) into c->buf (usize bytes). */
static int inflate_page(or_parquet_col *c, const uint8_t *src, size_t src_n, size_t usize,
			int codec, or_err *err)
{
	if (usize > MAX_PAGE_BYTES)
		return col_fail(c, OR_EUNSUPPORTED, err, "page of %zu bytes (more than 1 GiB)", usize);
	if (codec == OR_PQ_UNCOMPRESSED && src_n != usize)
		return col_fail(c, OR_EFORMAT, err, "uncompressed page sizes disagree (%zu and %zu)",
				src_n, usize);
	if (codec == OR_PQ_ZSTD) {
		unsigned long long cs = ZSTD_getFrameContentSize(src, src_n);
		if (cs == ZSTD_CONTENTSIZE_ERROR || (cs != ZSTD_CONTENTSIZE_UNKNOWN && cs != usize))
			return col_fail(c, OR_EFORMAT, err, "damaged ZSTD data, or not of the page's size %zu", usize);
	}
	if (grow((void **)&c->buf, &c->buf_cap, usize + 16, 1))
		return col_fail(c, OR_ENOMEM, err, "out of memory for a page of %zu bytes", usize);
	const char *why = NULL;
	if (or_parquet_decompress(codec, src, src_n, c->buf, usize, &c->zstd, &why))
		return col_fail(c, OR_EFORMAT, err, "%s", why);
	return OR_OK;
}

/* Decode n PLAIN values at *p (n known to be small enough) into out. */
static int plain_values(or_parquet_col *c, const uint8_t **pp, const uint8_t *end,
			int64_t *out, size_t n, or_err *err)
{
	const uint8_t *p = *pp;
	const or_parquet_leaf *l = c->leaf;
	if (l->phys == OR_PQ_INT32) {
		if ((size_t)(end - p) / 4 < n)
			return col_fail(c, OR_EFORMAT, err, "PLAIN values end before the page's %zu values", n);
		if (l->is_unsigned) {
			OMP(omp simd)
			for (size_t i = 0; i < n; i++) {
				uint32_t v;
				memcpy(&v, p + 4 * i, 4);
				out[i] = v;
			}
		} else {
			OMP(omp simd)
			for (size_t i = 0; i < n; i++) {
				int32_t v;
				memcpy(&v, p + 4 * i, 4);
				out[i] = v;
			}
		}
		p += 4 * n;
	} else if (l->phys == OR_PQ_INT64) {
		if ((size_t)(end - p) / 8 < n)
			return col_fail(c, OR_EFORMAT, err, "PLAIN values end before the page's %zu values", n);
		memcpy(out, p, n * 8);
		p += n * 8;
		if (l->is_unsigned)
			for (size_t i = 0; i < n; i++)
				if (out[i] < 0)
					return col_fail(c, OR_EFORMAT, err, "unsigned value %llu above 2^63-1",
							(unsigned long long)out[i]);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (end - p < 4)
				return col_fail(c, OR_EFORMAT, err, "PLAIN strings end before the page's values");
			uint32_t len;
			memcpy(&len, p, 4);
			p += 4;
			if (len > (size_t)(end - p))
				return col_fail(c, OR_EFORMAT, err, "string of %u bytes runs past its page", len);
			if (c->str_fn(p, len, &out[i]))
				return col_fail(c, OR_EFORMAT, err, "unexpected value \"%.*s\"",
						(int)(len > 40 ? 40 : len), (const char *)p);
			p += len;
		}
	}
	*pp = p;
	return OR_OK;
}

static int load_dict(or_parquet_col *c, const page_header *h, const uint8_t *src, or_err *err)
{
	if (c->has_dict)
		return col_fail(c, OR_EFORMAT, err, "a second dictionary page");
	if (h->enc != OR_PQ_PLAIN && h->enc != OR_PQ_PLAIN_DICTIONARY)
		return col_fail(c, OR_EUNSUPPORTED, err, "dictionary page encoding %s",
				or_parquet_encoding_name(h->enc));
	int rc = inflate_page(c, src, (size_t)h->csize, (size_t)h->usize, c->ch->codec, err);
	if (rc)
		return rc;
	size_t n = (size_t)h->num_values;
	/* every value takes at least one byte (4 for strings' lengths) */
	if (n > (size_t)h->usize)
		return col_fail(c, OR_EFORMAT, err, "dictionary of %zu values in %d bytes", n, h->usize);
	if (grow((void **)&c->dict, &c->dict_cap, n ? n : 1, sizeof(*c->dict)))
		return col_fail(c, OR_ENOMEM, err, "out of memory for a dictionary of %zu values", n);
	const uint8_t *p = c->buf;
	if ((rc = plain_values(c, &p, c->buf + h->usize, c->dict, n, err)))
		return rc;
	c->dict_n = n;
	c->has_dict = 1;
	c->dict_gen++;
	return OR_OK;
}

static int level_width(int max)
{
	int w = 0;
	while (max >> w)
		w++;
	return w;
}

/* The next data page: set up levels and the value decoder. */
static int next_page(or_parquet_col *c, or_err *err)
{
	for (;;) {
		if (c->pos >= c->end)
			return col_fail(c, OR_EFORMAT, err,
					"column chunk ends with %lld values still to come",
					(long long)c->values_left);
		c->page_at = (size_t)(c->pos - c->f->map);
		page_header h;
		size_t hl = 0;
		int rc = read_page_header(c, &h, &hl, err);
		if (rc)
			return rc;
		const uint8_t *src = c->pos + hl;
		c->pos = src + h.csize;
		if (h.type == PAGE_DICT) {
			if ((rc = load_dict(c, &h, src, err)))
				return rc;
			continue;
		}
		if (h.type != PAGE_DATA && h.type != PAGE_DATA_V2)
			continue; /* index pages and unknown page types carry no values */
		if (h.num_values == 0)
			continue;
		if (h.num_values > c->values_left)
			return col_fail(c, OR_EFORMAT, err, "page holds %d values, more than the %lld left in its column chunk",
					h.num_values, (long long)c->values_left);
		const or_parquet_leaf *l = c->leaf;
		const uint8_t *rep = NULL, *def = NULL, *vals;
		size_t rep_n = 0, def_n = 0, vals_n;
		if (h.type == PAGE_DATA) {
			if ((rc = inflate_page(c, src, (size_t)h.csize, (size_t)h.usize, c->ch->codec, err)))
				return rc;
			const uint8_t *p = c->buf, *end = c->buf + h.usize;
			for (int k = 0; k < 2; k++) {
				int max = k ? l->max_def : l->max_rep;
				int enc = k ? h.def_enc : h.rep_enc;
				if (!max)
					continue;
				if (enc != OR_PQ_RLE)
					return col_fail(c, OR_EUNSUPPORTED, err, "%s levels encoded as %s",
							k ? "definition" : "repetition", or_parquet_encoding_name(enc));
				if (end - p < 4)
					return col_fail(c, OR_EFORMAT, err, "levels truncated");
				uint32_t len;
				memcpy(&len, p, 4);
				p += 4;
				if (len > (size_t)(end - p))
					return col_fail(c, OR_EFORMAT, err, "levels of %u bytes run past the page", len);
				if (k) {
					def = p;
					def_n = len;
				} else {
					rep = p;
					rep_n = len;
				}
				p += len;
			}
			vals = p;
			vals_n = (size_t)(end - p);
		} else {
			size_t lv = (size_t)h.rep_len + (size_t)h.def_len;
			if (lv > (size_t)h.csize || lv > (size_t)h.usize)
				return col_fail(c, OR_EFORMAT, err, "level lengths %d + %d exceed the page",
						h.rep_len, h.def_len);
			rep = src;
			rep_n = (size_t)h.rep_len;
			def = src + rep_n;
			def_n = (size_t)h.def_len;
			int codec = h.is_compressed ? c->ch->codec : OR_PQ_UNCOMPRESSED;
			if ((rc = inflate_page(c, src + lv, (size_t)h.csize - lv, (size_t)h.usize - lv,
					       codec, err)))
				return rc;
			vals = c->buf;
			vals_n = (size_t)h.usize - lv;
		}
		/* a v2 page without nulls may leave its definition levels out */
		c->def_all = h.type == PAGE_DATA_V2 && def_n == 0 && h.num_nulls == 0;
		or_parquet_rle_init(&c->rep, rep, rep_n, level_width(l->max_rep));
		or_parquet_rle_init(&c->def, def, def_n, level_width(l->max_def));
		c->enc = h.enc;
		c->vp = vals;
		c->vend = vals + vals_n;
		const char *why = NULL;
		switch (h.enc) {
		case OR_PQ_PLAIN:
			break;
		case OR_PQ_PLAIN_DICTIONARY:
		case OR_PQ_RLE_DICTIONARY:
			if (!c->has_dict)
				return col_fail(c, OR_EFORMAT, err, "dictionary-encoded page without a dictionary page");
			if (vals_n < 1 || vals[0] > 32)
				return col_fail(c, OR_EFORMAT, err, "bad dictionary index bit width");
			or_parquet_rle_init(&c->idx, vals + 1, vals_n - 1, vals[0]);
			break;
		case OR_PQ_DELTA_BINARY_PACKED:
			if (l->phys != OR_PQ_INT32 && l->phys != OR_PQ_INT64)
				return col_fail(c, OR_EFORMAT, err, "DELTA_BINARY_PACKED on a non-integer column");
			if (or_parquet_delta_init(&c->delta, vals, vals_n, &why))
				return col_fail(c, OR_EFORMAT, err, "%s", why);
			break;
		default:
			return col_fail(c, OR_EUNSUPPORTED, err, "value encoding %s",
					or_parquet_encoding_name(h.enc));
		}
		c->page_left = h.num_values;
		c->values_left -= h.num_values;
		return OR_OK;
	}
}

/* q dictionary indices of the current page into idx, each checked
   against the dictionary's size. */
static int dict_indices(or_parquet_col *c, uint32_t *idx, size_t q, or_err *err)
{
	const char *why = NULL;
	uint32_t dn = c->dict_n > UINT32_MAX ? UINT32_MAX : (uint32_t)c->dict_n;
	if (or_parquet_rle_get(&c->idx, idx, q, &why))
		return col_fail(c, OR_EFORMAT, err, "dictionary indices: %s", why);
	/* a vectorised test first; the largest index (for the message) only
	   when one is out of range */
	uint32_t bad = 0;
	OMP(omp simd reduction(|:bad))
	for (size_t i = 0; i < q; i++)
		bad |= idx[i] >= dn;
	if (bad) {
		uint32_t hi = 0;
		for (size_t i = 0; i < q; i++)
			hi = idx[i] > hi ? idx[i] : hi;
		return col_fail(c, OR_EFORMAT, err, "dictionary index %u outside the %zu entries",
				hi, c->dict_n);
	}
	return OR_OK;
}

/* Decode m non-null values of the current page into out. */
static int page_values(or_parquet_col *c, int64_t *out, size_t m, or_err *err)
{
	const char *why = NULL;
	const or_parquet_leaf *l = c->leaf;
	switch (c->enc) {
	case OR_PQ_PLAIN:
		return plain_values(c, &c->vp, c->vend, out, m, err);
	case OR_PQ_PLAIN_DICTIONARY:
	case OR_PQ_RLE_DICTIONARY: {
		/* indices in pieces that stay in L1, each gathered at once */
		enum { PIECE = 2048 };
		if (grow((void **)&c->tmp, &c->tmp_cap, PIECE, sizeof(*c->tmp)))
			return col_fail(c, OR_ENOMEM, err, "out of memory");
		const int64_t *d = c->dict;
		uint32_t *idx = c->tmp;
		for (size_t at = 0; at < m; at += PIECE) {
			size_t q = m - at < PIECE ? m - at : PIECE;
			int rc = dict_indices(c, idx, q, err);
			if (rc)
				return rc;
			for (size_t i = 0; i < q; i++)
				out[at + i] = d[idx[i]];
		}
		return OR_OK;
	}
	default: /* DELTA_BINARY_PACKED */
		if (or_parquet_delta_get(&c->delta, out, m, &why))
			return col_fail(c, OR_EFORMAT, err, "%s", why);
		if (l->phys == OR_PQ_INT32) {
			for (size_t i = 0; i < m; i++)
				out[i] = l->is_unsigned ? (int64_t)(uint32_t)out[i] : (int64_t)(int32_t)out[i];
		} else if (l->is_unsigned) {
			for (size_t i = 0; i < m; i++)
				if (out[i] < 0)
					return col_fail(c, OR_EFORMAT, err, "unsigned value %llu above 2^63-1",
							(unsigned long long)out[i]);
		}
		return OR_OK;
	}
}

static int page_levels(or_parquet_col *c, or_parquet_rle *r, int max, uint8_t *out, size_t k,
		       const char *what, or_err *err)
{
	if (grow((void **)&c->tmp, &c->tmp_cap, k, sizeof(*c->tmp)))
		return col_fail(c, OR_ENOMEM, err, "out of memory");
	const char *why = NULL;
	if (or_parquet_rle_get(r, c->tmp, k, &why))
		return col_fail(c, OR_EFORMAT, err, "%s levels: %s", what, why);
	for (size_t i = 0; i < k; i++) {
		if (c->tmp[i] > (uint32_t)max)
			return col_fail(c, OR_EFORMAT, err, "%s level %u above the column's maximum %d",
					what, c->tmp[i], max);
		out[i] = (uint8_t)c->tmp[i];
	}
	return OR_OK;
}

int or_parquet_col_read(or_parquet_col *c, int64_t *vals, uint8_t *def,
			uint8_t *rep, size_t max, size_t *got, or_err *err)
{
	const or_parquet_leaf *l = c->leaf;
	size_t n = 0;
	int rc;
	while (n < max) {
		if (c->page_left == 0) {
			if (c->values_left == 0)
				break;
			if ((rc = next_page(c, err)))
				return rc;
			continue;
		}
		size_t k = max - n;
		if ((uint64_t)k > (uint64_t)c->page_left)
			k = (size_t)c->page_left;
		size_t m = k;
		if (l->max_rep && (rc = page_levels(c, &c->rep, l->max_rep, rep + n, k, "repetition", err)))
			return rc;
		if (l->max_def && !c->def_all) {
			/* the usual case, no nulls: one RLE run of max_def */
			const char *why = NULL;
			if (or_parquet_rle_fill(&c->def, &why))
				return col_fail(c, OR_EFORMAT, err, "definition levels: %s", why);
			if (!c->def.packed && c->def.value == (uint32_t)l->max_def && c->def.run_left >= k) {
				c->def.run_left -= (uint32_t)k;
				memset(def + n, l->max_def, k);
				goto values;
			}
		}
		if (l->max_def && c->def_all) {
			memset(def + n, l->max_def, k);
		} else if (l->max_def) {
			if ((rc = page_levels(c, &c->def, l->max_def, def + n, k, "definition", err)))
				return rc;
			m = 0;
			for (size_t i = 0; i < k; i++)
				m += def[n + i] == l->max_def;
			c->nulls += k - m;
		}
	values:
		if ((rc = page_values(c, vals + n, m, err)))
			return rc;
		if (m < k) {
			/* spread the m values to the slots that hold one */
			size_t j = m;
			for (size_t i = k; i-- > 0 && j > 0;)
				if (def[n + i] == l->max_def)
					vals[n + i] = vals[n + --j];
		}
		c->page_left -= (int64_t)k;
		n += k;
	}
	*got = n;
	return OR_OK;
}

/* How many of the next slots (up to max) are values of a dictionary page
   without nulls, their definition levels taken: 0 when the next slots are
   not (nothing taken).  narrow: only pages of index width 1, 2 or 4. */
static int dict_slots(or_parquet_col *c, size_t max, int narrow, size_t *k, or_err *err)
{
	const or_parquet_leaf *l = c->leaf;
	*k = 0;
	if (l->max_rep)
		return OR_OK;
	while (c->page_left == 0) {
		if (c->values_left == 0)
			return OR_OK;
		int rc = next_page(c, err);
		if (rc)
			return rc;
	}
	if (c->enc != OR_PQ_PLAIN_DICTIONARY && c->enc != OR_PQ_RLE_DICTIONARY)
		return OR_OK;
	if (narrow && c->idx.bw != 1 && c->idx.bw != 2 && c->idx.bw != 4)
		return OR_OK;
	size_t n = (uint64_t)max < (uint64_t)c->page_left ? max : (size_t)c->page_left;
	if (l->max_def && !c->def_all) {
		/* only slots of a run of max_def definition levels */
		const char *why = NULL;
		if (or_parquet_rle_fill(&c->def, &why))
			return col_fail(c, OR_EFORMAT, err, "definition levels: %s", why);
		if (c->def.packed || c->def.value != (uint32_t)l->max_def)
			return OR_OK;
		if (n > c->def.run_left)
			n = c->def.run_left;
		c->def.run_left -= (uint32_t)n;
	}
	*k = n;
	return OR_OK;
}

int or_parquet_col_read_idx(or_parquet_col *c, uint32_t *idx, size_t max, size_t *got,
			    or_err *err)
{
	size_t k;
	*got = 0;
	int rc = dict_slots(c, max, 0, &k, err);
	if (rc || k == 0)
		return rc;
	if ((rc = dict_indices(c, idx, k, err)))
		return rc;
	c->page_left -= (int64_t)k;
	*got = k;
	return OR_OK;
}

int or_parquet_col_read_u8(or_parquet_col *c, uint8_t *out, size_t max, size_t *got,
			   or_err *err)
{
	size_t k;
	*got = 0;
	int rc = dict_slots(c, max, 1, &k, err);
	if (rc || k == 0)
		return rc;
	if (c->map8_gen != c->dict_gen) {
		for (size_t i = 0; i < 16; i++)
			c->map8[i] = i < c->dict_n && c->dict[i] >= 0 && c->dict[i] <= 254
				     ? (uint8_t)c->dict[i] : 0xff;
		c->map8_gen = c->dict_gen;
	}
	const char *why = NULL;
	if (or_parquet_rle_get_u8(&c->idx, out, k, c->map8, &why))
		return col_fail(c, OR_EFORMAT, err, "dictionary indices: %s", why);
	c->page_left -= (int64_t)k;
	*got = k;
	return OR_OK;
}
