/*
 * or_parquet_thrift.c - the Thrift compact protocol, read side only: the
 * encoding of Parquet's footer and page headers.  Owns varints, zigzag,
 * field headers with delta ids, lists, binaries and skipping unknown
 * values.  Hand-written (no Thrift C library is needed for ~200 lines); all
 * input is untrusted: every read is bounds-checked, nesting is limited to
 * OR_PQ_THRIFT_DEPTH, and list sizes are checked against the bytes left.
 */
#include "or_parquet_internal.h"

#include <string.h>

static int fail(or_parquet_thrift *t, const char *why)
{
	if (!t->why)
		t->why = why;
	return -1;
}

void or_parquet_thrift_init(or_parquet_thrift *t, const uint8_t *p, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->p = p;
	t->end = p + n;
}

int or_parquet_thrift_varint(or_parquet_thrift *t, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (t->p >= t->end)
			return fail(t, "truncated varint");
		uint8_t b = *t->p++;
		if (shift == 63 && (b & 0x7e))
			return fail(t, "varint overflows 64 bits");
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return fail(t, "varint longer than 10 bytes");
}

int or_parquet_thrift_i64(or_parquet_thrift *t, int64_t *v)
{
	uint64_t u;
	if (or_parquet_thrift_varint(t, &u))
		return -1;
	*v = or_parquet_unzigzag(u);
	return 0;
}

int or_parquet_thrift_i32(or_parquet_thrift *t, int32_t *v)
{
	int64_t x;
	if (or_parquet_thrift_i64(t, &x))
		return -1;
	if (x < INT32_MIN || x > INT32_MAX)
		return fail(t, "i32 out of range");
	*v = (int32_t)x;
	return 0;
}

int or_parquet_thrift_int(or_parquet_thrift *t, int type, int32_t *v)
{
	if (type == OR_PQ_T_BYTE) {
		if (t->p >= t->end)
			return fail(t, "truncated byte");
		*v = (int8_t)*t->p++;
		return 0;
	}
	if (type == OR_PQ_T_I16 || type == OR_PQ_T_I32)
		return or_parquet_thrift_i32(t, v);
	return fail(t, "expected an integer field");
}

int or_parquet_thrift_binary(or_parquet_thrift *t, const uint8_t **s, size_t *n)
{
	uint64_t len;
	if (or_parquet_thrift_varint(t, &len))
		return -1;
	if (len > (uint64_t)(t->end - t->p))
		return fail(t, "binary longer than the bytes left");
	*s = t->p;
	*n = (size_t)len;
	t->p += len;
	return 0;
}

int or_parquet_thrift_begin(or_parquet_thrift *t)
{
	if (t->depth >= OR_PQ_THRIFT_DEPTH)
		return fail(t, "structures nested too deeply");
	t->last_id[t->depth++] = 0;
	return 0;
}

int or_parquet_thrift_field(or_parquet_thrift *t, int *type, int *id)
{
	if (t->depth <= 0)
		return fail(t, "field outside a struct");
	if (t->p >= t->end)
		return fail(t, "truncated field header");
	uint8_t b = *t->p++;
	*type = b & 0x0f;
	if (*type == OR_PQ_T_STOP) {
		if (b != 0)
			return fail(t, "bad field header");
		t->depth--;
		*id = 0;
		return 0;
	}
	if (*type > OR_PQ_T_STRUCT)
		return fail(t, "unknown field type");
	int delta = b >> 4;
	int16_t *last = &t->last_id[t->depth - 1];
	if (delta) {
		*id = *last + delta;
	} else {
		int32_t v;
		if (or_parquet_thrift_i32(t, &v))
			return -1;
		if (v < INT16_MIN || v > INT16_MAX)
			return fail(t, "field id out of range");
		*id = v;
	}
	if (*id > INT16_MAX || *id < INT16_MIN)
		return fail(t, "field id out of range");
	*last = (int16_t)*id;
	return 0;
}

int or_parquet_thrift_list(or_parquet_thrift *t, int *elem_type, uint64_t *n)
{
	if (t->p >= t->end)
		return fail(t, "truncated list header");
	uint8_t b = *t->p++;
	*elem_type = b & 0x0f;
	uint64_t size = b >> 4;
	if (size == 15 && or_parquet_thrift_varint(t, &size))
		return -1;
	if (*elem_type == OR_PQ_T_STOP || *elem_type > OR_PQ_T_STRUCT)
		return fail(t, "bad list element type");
	/* every element takes at least one byte */
	if (size > (uint64_t)(t->end - t->p))
		return fail(t, "list longer than the bytes left");
	*n = size;
	return 0;
}

int or_parquet_thrift_skip(or_parquet_thrift *t, int type)
{
	uint64_t u;
	switch (type) {
	case OR_PQ_T_TRUE:
	case OR_PQ_T_FALSE:
		return 0; /* a bool field: the value was in the header */
	case OR_PQ_T_BYTE:
		if (t->p >= t->end)
			return fail(t, "truncated byte");
		t->p++;
		return 0;
	case OR_PQ_T_I16:
	case OR_PQ_T_I32:
	case OR_PQ_T_I64:
		return or_parquet_thrift_varint(t, &u);
	case OR_PQ_T_DOUBLE:
		if (t->end - t->p < 8)
			return fail(t, "truncated double");
		t->p += 8;
		return 0;
	case OR_PQ_T_BINARY: {
		const uint8_t *s;
		size_t n;
		return or_parquet_thrift_binary(t, &s, &n);
	}
	case OR_PQ_T_LIST:
	case OR_PQ_T_SET: {
		int et;
		uint64_t n;
		if (or_parquet_thrift_list(t, &et, &n))
			return -1;
		if (t->depth >= OR_PQ_THRIFT_DEPTH)
			return fail(t, "structures nested too deeply");
		t->depth++;
		for (uint64_t i = 0; i < n; i++) {
			if (et == OR_PQ_T_TRUE || et == OR_PQ_T_FALSE) {
				/* bools in a list are one byte each */
				if (t->p >= t->end)
					return fail(t, "truncated list");
				t->p++;
			} else if (or_parquet_thrift_skip(t, et)) {
				return -1;
			}
		}
		t->depth--;
		return 0;
	}
	case OR_PQ_T_MAP: {
		uint64_t n;
		if (or_parquet_thrift_varint(t, &n))
			return -1;
		if (n == 0)
			return 0;
		if (t->p >= t->end)
			return fail(t, "truncated map");
		uint8_t kv = *t->p++;
		int kt = kv >> 4, vt = kv & 0x0f;
		if (kt == 0 || kt > OR_PQ_T_STRUCT || vt == 0 || vt > OR_PQ_T_STRUCT)
			return fail(t, "bad map types");
		if (n > (uint64_t)(t->end - t->p))
			return fail(t, "map longer than the bytes left");
		if (t->depth >= OR_PQ_THRIFT_DEPTH)
			return fail(t, "structures nested too deeply");
		t->depth++;
		for (uint64_t i = 0; i < n; i++)
			for (int k = 0; k < 2; k++) {
				int ty = k ? vt : kt;
				if (ty == OR_PQ_T_TRUE || ty == OR_PQ_T_FALSE) {
					if (t->p >= t->end)
						return fail(t, "truncated map");
					t->p++;
				} else if (or_parquet_thrift_skip(t, ty)) {
					return -1;
				}
			}
		t->depth--;
		return 0;
	}
	case OR_PQ_T_STRUCT: {
		if (or_parquet_thrift_begin(t))
			return -1;
		for (;;) {
			int ft, id;
			if (or_parquet_thrift_field(t, &ft, &id))
				return -1;
			if (ft == OR_PQ_T_STOP)
				return 0;
			if (or_parquet_thrift_skip(t, ft))
				return -1;
		}
	}
	default:
		return fail(t, "unknown value type");
	}
}
