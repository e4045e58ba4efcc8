/*
 * pq_mini.h - a minimal Parquet writer for the tests: four REQUIRED INT32
 * columns session, aid, ts, type, uncompressed data pages v1, PLAIN, or
 * (one chosen column) a PLAIN dictionary page with RLE_DICTIONARY indices
 * bit-packed in the narrowest of 1, 2, 4 or 8 bits, row
 * groups of given sizes.  Enough to build the shapes the committed
 * fixtures lack (session ids that go down or come back, sessions across
 * several row groups, dictionary entries that break a rule); the reader is
 * checked against polars' and hyparquet's files elsewhere, so this writer
 * is not what shows the reader right.  Written by hand: the fixtures'
 * writers (node) are not part of the test build.
 */
#ifndef PQ_MINI_H
#define PQ_MINI_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pq_buf {
	uint8_t *b;
	size_t n, cap;
} pq_buf;

static void pq_put(pq_buf *w, const void *p, size_t n)
{
	if (w->n + n > w->cap) {
		w->cap = (w->n + n) * 2 + 256;
		w->b = realloc(w->b, w->cap);
		if (!w->b)
			abort();
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void pq_byte(pq_buf *w, unsigned v)
{
	uint8_t c = (uint8_t)v;
	pq_put(w, &c, 1);
}

static void pq_varint(pq_buf *w, uint64_t v)
{
	while (v >= 0x80) {
		pq_byte(w, (unsigned)(v & 0x7f) | 0x80);
		v >>= 7;
	}
	pq_byte(w, (unsigned)v);
}

static void pq_le32(pq_buf *w, int32_t v)
{
	uint32_t u = (uint32_t)v;
	uint8_t b[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };
	pq_put(w, b, 4);
}

/* Thrift compact: field headers with ids that go up by 1..15 */
enum { PQ_I32 = 5, PQ_I64 = 6, PQ_BIN = 8, PQ_LIST = 9, PQ_STRUCT = 12 };

static void pq_field(pq_buf *w, int *last, int id, int type)
{
	pq_byte(w, (unsigned)((id - *last) << 4 | type));
	*last = id;
}

static void pq_int(pq_buf *w, int *last, int id, int type, int64_t v)
{
	pq_field(w, last, id, type);
	pq_varint(w, (uint64_t)v << 1 ^ (uint64_t)(v >> 63)); /* zigzag */
}

static void pq_bin(pq_buf *w, int *last, int id, const char *s)
{
	pq_field(w, last, id, PQ_BIN);
	pq_varint(w, strlen(s));
	pq_put(w, s, strlen(s));
}

static void pq_list(pq_buf *w, int n, int elem)
{
	pq_byte(w, (unsigned)(n < 15 ? n << 4 | elem : 0xf0 | elem));
	if (n >= 15)
		pq_varint(w, (uint64_t)n);
}

/* a page header: type 0 data (v1), 2 dictionary */
static void pq_page_header(pq_buf *w, int type, size_t bytes, size_t n_values, int enc)
{
	int last = 0, sub = 0;
	pq_int(w, &last, 1, PQ_I32, type);
	pq_int(w, &last, 2, PQ_I32, (int64_t)bytes);
	pq_int(w, &last, 3, PQ_I32, (int64_t)bytes);
	pq_field(w, &last, type == 2 ? 7 : 5, PQ_STRUCT);
	pq_int(w, &sub, 1, PQ_I32, (int64_t)n_values);
	pq_int(w, &sub, 2, PQ_I32, enc);
	if (type == 0) {
		pq_int(w, &sub, 3, PQ_I32, 3); /* RLE levels (none: REQUIRED) */
		pq_int(w, &sub, 4, PQ_I32, 3);
	}
	pq_byte(w, 0);
	pq_byte(w, 0);
}

typedef struct pq_chunk {
	int64_t data_at, dict_at, bytes, n;
} pq_chunk;

/* One column chunk of n values; dict (n_dict entries, at most 256) makes
   it dictionary-encoded, with v[i] the index into it. */
static pq_chunk pq_column(pq_buf *w, const int32_t *v, size_t n, const int32_t *dict,
			  size_t n_dict)
{
	pq_chunk c = { (int64_t)w->n, -1, 0, (int64_t)n };
	if (dict) {
		c.dict_at = (int64_t)w->n;
		pq_page_header(w, 2, n_dict * 4, n_dict, 0);
		for (size_t i = 0; i < n_dict; i++)
			pq_le32(w, dict[i]);
		/* one bit-packed run, padded to groups of 8, lowest bits first */
		unsigned bw = n_dict <= 2 ? 1 : n_dict <= 4 ? 2 : n_dict <= 16 ? 4 : 8;
		size_t groups = (n + 7) / 8;
		pq_buf run = { 0 };
		pq_byte(&run, bw);
		pq_varint(&run, groups << 1 | 1);
		unsigned acc = 0, bits = 0;
		for (size_t i = 0; i < groups * 8; i++) {
			acc |= (i < n ? (unsigned)v[i] : 0) << bits;
			bits += bw;
			if (bits == 8) {
				pq_byte(&run, acc);
				acc = bits = 0;
			}
		}
		c.data_at = (int64_t)w->n;
		pq_page_header(w, 0, run.n, n, 8);
		pq_put(w, run.b, run.n);
		free(run.b);
	} else {
		pq_page_header(w, 0, n * 4, n, 0);
		for (size_t i = 0; i < n; i++)
			pq_le32(w, v[i]);
	}
	c.bytes = (int64_t)w->n - (c.dict_at >= 0 ? c.dict_at : c.data_at);
	return c;
}

static void pq_column_meta(pq_buf *w, const char *name, const pq_chunk *c)
{
	int last = 0, sub = 0;
	pq_int(w, &last, 2, PQ_I64, c->data_at);
	pq_field(w, &last, 3, PQ_STRUCT);
	pq_int(w, &sub, 1, PQ_I32, 1); /* INT32 */
	pq_field(w, &sub, 2, PQ_LIST);
	pq_list(w, c->dict_at >= 0 ? 2 : 1, PQ_I32);
	pq_varint(w, 0); /* PLAIN */
	if (c->dict_at >= 0)
		pq_varint(w, 16); /* RLE_DICTIONARY, zigzag */
	pq_field(w, &sub, 3, PQ_LIST);
	pq_list(w, 1, PQ_BIN);
	pq_varint(w, strlen(name));
	pq_put(w, name, strlen(name));
	pq_int(w, &sub, 4, PQ_I32, 0); /* UNCOMPRESSED */
	pq_int(w, &sub, 5, PQ_I64, c->n);
	pq_int(w, &sub, 6, PQ_I64, c->bytes);
	pq_int(w, &sub, 7, PQ_I64, c->bytes);
	pq_int(w, &sub, 9, PQ_I64, c->data_at);
	if (c->dict_at >= 0)
		pq_int(w, &sub, 11, PQ_I64, c->dict_at);
	pq_byte(w, 0);
	pq_byte(w, 0);
}

static const char *const pq_names[4] = { "session", "aid", "ts", "type" };

/* Write rows (cols[k][row]) in row groups of rg_rows[0..n_rg) rows to path;
   dict non-NULL: column dict_col holds indices into it.  0 on success. */
static int pq_write(const char *path, int32_t *const cols[4], const size_t *rg_rows,
		    size_t n_rg, int dict_col, const int32_t *dict, size_t n_dict)
{
	pq_buf w = { 0 };
	pq_put(&w, "PAR1", 4);
	pq_chunk *ch = calloc(n_rg * 4, sizeof(*ch));
	size_t row = 0, total = 0;
	for (size_t g = 0; g < n_rg; g++) {
		for (int k = 0; k < 4; k++)
			ch[g * 4 + k] = pq_column(&w, cols[k] + row, rg_rows[g],
						  k == dict_col ? dict : NULL, n_dict);
		row += rg_rows[g];
	}
	total = row;
	size_t footer = w.n;
	int last = 0, sub;
	pq_int(&w, &last, 1, PQ_I32, 1);
	pq_field(&w, &last, 2, PQ_LIST);
	pq_list(&w, 5, PQ_STRUCT);
	sub = 0;
	pq_bin(&w, &sub, 4, "schema");
	pq_int(&w, &sub, 5, PQ_I32, 4);
	pq_byte(&w, 0);
	for (int k = 0; k < 4; k++) {
		sub = 0;
		pq_int(&w, &sub, 1, PQ_I32, 1);
		pq_int(&w, &sub, 3, PQ_I32, 0); /* REQUIRED */
		pq_bin(&w, &sub, 4, pq_names[k]);
		pq_byte(&w, 0);
	}
	pq_int(&w, &last, 3, PQ_I64, (int64_t)total);
	pq_field(&w, &last, 4, PQ_LIST);
	pq_list(&w, (int)n_rg, PQ_STRUCT);
	for (size_t g = 0; g < n_rg; g++) {
		sub = 0;
		pq_field(&w, &sub, 1, PQ_LIST);
		pq_list(&w, 4, PQ_STRUCT);
		for (int k = 0; k < 4; k++)
			pq_column_meta(&w, pq_names[k], &ch[g * 4 + k]);
		pq_int(&w, &sub, 2, PQ_I64, 0);
		pq_int(&w, &sub, 3, PQ_I64, (int64_t)rg_rows[g]);
		pq_byte(&w, 0);
	}
	pq_byte(&w, 0);
	pq_le32(&w, (int32_t)(w.n - footer));
	pq_put(&w, "PAR1", 4);
	free(ch);
	FILE *fp = fopen(path, "wb");
	int rc = !fp || fwrite(w.b, 1, w.n, fp) != w.n;
	if (fp && fclose(fp))
		rc = 1;
	free(w.b);
	return rc;
}

#endif
