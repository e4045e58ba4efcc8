/*
 * or_parquet_internal.h - what the Parquet reader's files share (private to
 * lib/io/or_parquet*.c and the tests): the Thrift compact protocol reader
 * (or_parquet_thrift.c), the parsed footer (or_parquet_meta.c), the value
 * and level decoders and decompression (or_parquet_decode.c), and the
 * column reader that walks the pages of one column chunk
 * (or_parquet_column.c).  Hand-written for the reasons in or_parquet.h.
 */
#ifndef OR_PARQUET_INTERNAL_H
#define OR_PARQUET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"

/* ---- Thrift compact protocol ------------------------------------------- */

enum {
	OR_PQ_T_STOP = 0, OR_PQ_T_TRUE = 1, OR_PQ_T_FALSE = 2, OR_PQ_T_BYTE = 3,
	OR_PQ_T_I16 = 4, OR_PQ_T_I32 = 5, OR_PQ_T_I64 = 6, OR_PQ_T_DOUBLE = 7,
	OR_PQ_T_BINARY = 8, OR_PQ_T_LIST = 9, OR_PQ_T_SET = 10, OR_PQ_T_MAP = 11,
	OR_PQ_T_STRUCT = 12
};

#define OR_PQ_THRIFT_DEPTH 32

/* A cursor over Thrift compact bytes.  Every call returns 0, or -1 with
   why set (a static string) and p left at the offending byte. */
typedef struct or_parquet_thrift {
	const uint8_t *p, *end;
	const char *why;
	int depth;
	int16_t last_id[OR_PQ_THRIFT_DEPTH];
} or_parquet_thrift;

void or_parquet_thrift_init(or_parquet_thrift *t, const uint8_t *p, size_t n);
int or_parquet_thrift_varint(or_parquet_thrift *t, uint64_t *v);
int or_parquet_thrift_i32(or_parquet_thrift *t, int32_t *v);   /* zigzag */
int or_parquet_thrift_i64(or_parquet_thrift *t, int64_t *v);   /* zigzag */
int or_parquet_thrift_binary(or_parquet_thrift *t, const uint8_t **s, size_t *n);
/* Enter a struct (before its first field header). */
int or_parquet_thrift_begin(or_parquet_thrift *t);
/* Next field header: *type OR_PQ_T_STOP ends (and leaves) the struct.  A
   bool field's value is its type (OR_PQ_T_TRUE / OR_PQ_T_FALSE). */
int or_parquet_thrift_field(or_parquet_thrift *t, int *type, int *id);
/* A list or set header. */
int or_parquet_thrift_list(or_parquet_thrift *t, int *elem_type, uint64_t *n);
/* Skip one value of the given type (a field's value, or a list element). */
int or_parquet_thrift_skip(or_parquet_thrift *t, int type);
/* Read an integer field of type BYTE/I16/I32 into *v (others: error). */
int or_parquet_thrift_int(or_parquet_thrift *t, int type, int32_t *v);

/* zigzag decoding, exposed for the tests */
static inline int64_t or_parquet_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- metadata ------------------------------------------------------------ */

enum { OR_PQ_BOOLEAN = 0, OR_PQ_INT32 = 1, OR_PQ_INT64 = 2, OR_PQ_INT96 = 3,
       OR_PQ_FLOAT = 4, OR_PQ_DOUBLE = 5, OR_PQ_BYTE_ARRAY = 6, OR_PQ_FIXED = 7 };
enum { OR_PQ_UNCOMPRESSED = 0, OR_PQ_SNAPPY = 1, OR_PQ_GZIP = 2, OR_PQ_ZSTD = 6 };
enum { OR_PQ_PLAIN = 0, OR_PQ_PLAIN_DICTIONARY = 2, OR_PQ_RLE = 3, OR_PQ_BIT_PACKED = 4,
       OR_PQ_DELTA_BINARY_PACKED = 5, OR_PQ_RLE_DICTIONARY = 8 };
/* what a leaf's values mean */
enum { OR_PQ_KIND_INT = 0, OR_PQ_KIND_STRING = 1, OR_PQ_KIND_OTHER = 2 };

typedef struct or_parquet_leaf {
	char *path;       /* dotted path, owned */
	size_t top;       /* index of its top-level field among the root's children */
	int phys;         /* OR_PQ_INT32 ... */
	int kind;         /* OR_PQ_KIND_* */
	int is_unsigned;  /* unsigned integer logical/converted type */
	int ts_unit;      /* 0: not a timestamp; 1 ms, 2 us, 3 ns */
	int max_def, max_rep;
	int list_def;     /* def level at which a list element exists (max_rep 1) */
	const char *other; /* for KIND_OTHER: what it is, for "unsupported: ..." */
} or_parquet_leaf;

typedef struct or_parquet_chunk {
	int codec;
	int phys;
	int64_t num_values;
	int64_t start;   /* first page: the dictionary page when there is one */
	int64_t bytes;   /* total_compressed_size */
	const char *unsupported; /* NULL, or why this chunk cannot be read */
} or_parquet_chunk;

typedef struct or_parquet_file {
	const char *path;     /* borrowed */
	const uint8_t *map;   /* the whole file, read-only */
	size_t size;
	int64_t num_rows;
	or_parquet_leaf *leaf;
	size_t n_leaves;
	size_t n_top;         /* fields of the root */
	size_t n_rg;
	int64_t *rg_rows;       /* [n_rg] */
	or_parquet_chunk *chunk; /* [n_rg * n_leaves] */
} or_parquet_file;

/* Map and parse the file (footer, schema, row groups). */
int or_parquet_open(const char *path, or_parquet_file **out, or_err *err);
void or_parquet_close(or_parquet_file *f); /* NULL is fine */
/* Parse a footer held in memory (the tests and the fuzz target use it with
   a whole file image): f->path/map/size must be set; fills the rest. */
int or_parquet_parse(or_parquet_file *f, or_err *err);
void or_parquet_release(or_parquet_file *f);
/* The leaf of a top-level column named name, or -1. */
int or_parquet_find(const or_parquet_file *f, const char *name);
/* Let the pages of row group rg leave the resident set. */
void or_parquet_drop_pages(const or_parquet_file *f, size_t rg);

/* ---- decoders (or_parquet_decode.c) --------------------------------------- */

/* RLE / bit-packed hybrid of bit width bw (0..32). */
typedef struct or_parquet_rle {
	const uint8_t *p, *end;
	int bw;
	uint32_t run_left;   /* values left in the current run */
	int packed;          /* current run is bit-packed */
	uint32_t value;      /* RLE run value */
	const uint8_t *bits; /* bit-packed run data */
	size_t bits_len;
	uint64_t bit_pos;
} or_parquet_rle;

void or_parquet_rle_init(or_parquet_rle *r, const uint8_t *p, size_t n, int bw);
/* Make sure a run is loaded (run_left > 0); 0, or -1 with *why. */
int or_parquet_rle_fill(or_parquet_rle *r, const char **why);
/* Decode n values; 0, or -1 with *why set when the data runs out or is bad. */
int or_parquet_rle_get(or_parquet_rle *r, uint32_t *out, size_t n, const char **why);
/* Decode n values of width 1, 2 or 4 as the bytes map[value] (0xff for a
   value above 15), a byte of packed data at a time. */
int or_parquet_rle_get_u8(or_parquet_rle *r, uint8_t *out, size_t n, const uint8_t map[16],
			  const char **why);

/* DELTA_BINARY_PACKED */
typedef struct or_parquet_delta {
	const uint8_t *p, *end;
	uint64_t block_size, n_mini, per_mini, total, done;
	int64_t last, min_delta;
	uint8_t widths[256];
	uint64_t mini;       /* miniblock index in the block */
	uint64_t in_mini;    /* values consumed in the current miniblock */
	const uint8_t *mini_data;
	int started;
} or_parquet_delta;

int or_parquet_delta_init(or_parquet_delta *d, const uint8_t *p, size_t n, const char **why);
/* Decode n values (int64 arithmetic modulo 2^64; int32 columns truncate). */
int or_parquet_delta_get(or_parquet_delta *d, int64_t *out, size_t n, const char **why);
/* Bytes consumed so far (valid once every value has been read). */
const uint8_t *or_parquet_delta_end(const or_parquet_delta *d);

/* Decompress src into dst of exactly dst_n bytes; 0, or -1 with *why.
   zctx (may be NULL) keeps a ZSTD context between calls; the caller frees
   it with or_parquet_zstd_free. */
int or_parquet_decompress(int codec, const uint8_t *src, size_t src_n,
			  uint8_t *dst, size_t dst_n, void **zctx, const char **why);
void or_parquet_zstd_free(void *zctx); /* NULL is fine */
const char *or_parquet_codec_name(int codec);
const char *or_parquet_encoding_name(int enc);

/* ---- column reader (or_parquet_column.c) ------------------------------------ */

/* Converts a BYTE_ARRAY value to an integer: 0, or -1 to reject it. */
typedef int (*or_parquet_str_fn)(const uint8_t *s, size_t n, int64_t *out);

typedef struct or_parquet_col {
	const or_parquet_file *f;
	const or_parquet_leaf *leaf;
	const or_parquet_chunk *ch;
	size_t rg, li;
	or_parquet_str_fn str_fn;
	const uint8_t *pos, *end;  /* unread pages of the chunk */
	int64_t values_left;       /* level slots left in the chunk */
	/* dictionary (ints, strings converted by str_fn) */
	int64_t *dict;
	size_t dict_n, dict_cap;
	int has_dict;
	uint64_t dict_gen;         /* dictionaries loaded, over every open */
	uint8_t map8[16];          /* index -> byte value (or_parquet_col_read_u8) */
	uint64_t map8_gen;         /* the dict_gen map8 was made for */
	/* the current data page */
	uint8_t *buf;              /* decompression buffer, owned */
	size_t buf_cap;
	int64_t page_left;         /* slots left in the page */
	size_t page_at;            /* byte offset of the page header in the file */
	int enc;
	int def_all;               /* every slot of the page holds a value */
	uint64_t nulls;            /* null slots handed out so far */
	void *zstd;                /* ZSTD decompression context, owned */
	or_parquet_rle rep, def, idx;
	or_parquet_delta delta;
	const uint8_t *vp, *vend;  /* PLAIN values */
	uint32_t *tmp;             /* index / level scratch, owned */
	size_t tmp_cap;
	or_err err;                /* set when a read fails */
} or_parquet_col;

/* Start reading leaf li of row group rg.  str_fn converts strings (NULL:
   string columns are refused).  Checks the physical and logical type.  c
   must be zeroed before its first open; the buffers of an earlier open are
   reused (or_parquet_col_release frees them). */
int or_parquet_col_open(or_parquet_col *c, const or_parquet_file *f, size_t rg,
			size_t li, or_parquet_str_fn str_fn, or_err *err);
void or_parquet_col_release(or_parquet_col *c);
/*
 * Read up to max level slots: def[i] and rep[i] (either may be NULL when
 * the leaf's max level is 0), and vals[i] where def[i] == max_def (other
 * vals[i] are unspecified).  *got < max only at the end of the chunk.
 * On failure returns the code and fills c->err as well as err.
 */
int or_parquet_col_read(or_parquet_col *c, int64_t *vals, uint8_t *def,
			uint8_t *rep, size_t max, size_t *got, or_err *err);
/*
 * For readers that map the dictionary themselves (c->dict, c->dict_n; a
 * new one whenever c->dict_gen changes): when the next slots of a column
 * without repetition are values of a dictionary-encoded page (no nulls),
 * up to max of their indices, each below dict_n, into idx, *got of them;
 * otherwise *got is 0 and or_parquet_col_read reads on.  The two may be
 * mixed freely.
 */
int or_parquet_col_read_idx(or_parquet_col *c, uint32_t *idx, size_t max, size_t *got,
			    or_err *err);
/*
 * The same for dictionary pages of index width 1, 2 or 4 (small
 * dictionaries, such as OTTO's type column): up to max values as bytes,
 * 0xff for an index outside the dictionary or a value outside 0..254,
 * into out.  *got 0 when the next slots are not such a page's.
 */
int or_parquet_col_read_u8(or_parquet_col *c, uint8_t *out, size_t max, size_t *got,
			   or_err *err);

/* ---- the event columns (or_parquet_ingest.c, or_parquet_convert.c) -------- */

enum { OR_PQ_EV_SESSION, OR_PQ_EV_AID, OR_PQ_EV_TS, OR_PQ_EV_TYPE, OR_PQ_N_EVCOLS };
struct or_ingest_config;

/* Find the session, aid, ts and type leaves (li[OR_PQ_EV_*]) and check
   their shapes; *ts_unit is OR_TS_MS / OR_TS_S, or OR_TS_AUTO when the
   first ts decides; *ts_div divides micro- and nanoseconds down. */
int or_parquet_events_columns(const or_parquet_file *f, const char *path,
			      const struct or_ingest_config *cfg, int li[OR_PQ_N_EVCOLS],
			      int *ts_unit, int64_t *ts_div, or_err *err);
/* The type column's strings: clicks/carts/orders or 0/1/2. */
int or_parquet_type_word(const uint8_t *s, size_t n, int64_t *out);

#endif
