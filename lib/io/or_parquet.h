/*
 * or_parquet.h - reading Apache Parquet files: the OTTO event columns into an
 * event store builder, and local-validation labels into or_labels.
 *
 * Why hand-written: Debian packages no Parquet library for C (Arrow's C++
 * library is not in Debian), and the files people hold are a small, fixed
 * subset of the format.  This reader covers that subset and refuses the
 * rest with "unsupported: <what>", never with wrong numbers:
 *   - footer + Thrift compact protocol metadata, any number of row groups;
 *   - data pages v1 and v2, dictionary pages;
 *   - PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, RLE/bit-packed levels,
 *     DELTA_BINARY_PACKED;
 *   - UNCOMPRESSED, SNAPPY, GZIP, ZSTD;
 *   - INT32/INT64 physical columns with int8/16/32/64, unsigned and
 *     TIMESTAMP logical types, BYTE_ARRAY strings, one level of list<int>,
 *     optional columns (nulls are decoded; a null where a value is needed
 *     is an error naming the row).
 * Only the needed columns are read (projection); the file is mapped with
 * mmap, so it must be a regular file (not stdin, not gzip-wrapped).
 * Every length and offset read from the file is untrusted and checked; every
 * error names the file and the byte offset or row group / column / row.
 *
 * Events: top-level columns session, aid, ts, type (others ignored), with
 * session an integer >= 0, aid 0..2147483647, type 0/1/2 or the words
 * clicks/carts/orders.  ts unit: a TIMESTAMP logical (or converted) type
 * decides (MILLIS as is; MICROS/NANOS divided down, an error unless a whole
 * millisecond); otherwise --ts-unit, and under auto the CSV rule (seconds
 * when the first ts is below 1e11, else milliseconds).  Rows of a session
 * must be contiguous and in time order, exactly as for CSV.
 *
 * Labels: one row per (session, type): session (integer), type (string
 * clicks/carts/orders, or 0/1/2), ground_truth (list of integer aids).  The
 * clicks label is the first element of the clicks list (none when empty);
 * carts and orders lists are read as sets (a repeated aid kept once).  Rows
 * of one session need not be adjacent; a (session, type) pair given twice,
 * or a session already in l, is an error.
 */
#ifndef OR_PARQUET_H
#define OR_PARQUET_H

#include "or_err.h"
#include "or_ingest.h"
#include "or_labels.h"
#include "or_log.h"
#include "or_store.h"

/* 1 when the n bytes at head begin with the Parquet magic "PAR1". */
int or_parquet_magic(const void *head, size_t n);

/* Append every session of the Parquet file at path to b (cfg->ts_unit is
   used as described above; the other fields are ignored).  On error b may
   hold part of the file; the caller discards it. */
int or_parquet_ingest(or_store_builder *b, const char *path,
		      const or_ingest_config *cfg, const or_log *log, or_err *err);

/* Append the labels of the Parquet file at path to l (rules above). */
int or_parquet_labels_read(or_labels *l, const char *path, const or_log *log,
			   or_err *err);

/* 1 when the file at path begins with the Parquet magic. */
int or_parquet_is_file(const char *path);

typedef struct or_parquet_convert_info {
	size_t n_sessions, n_events;
	double read_seconds; /* reading, checking and writing the columns */
	int direct;          /* 1: written in place; 0: through the builder */
} or_parquet_convert_info;

/*
 * The events of the Parquet file at path into a new event store at
 * out_path (atomic), the same bytes as or_parquet_ingest into a builder and
 * or_store_builder_write, with the same errors, but in place and on every
 * core (OpenMP threads): see or_parquet_convert.c.
 */
int or_parquet_convert(const char *path, const char *out_path, const or_ingest_config *cfg,
		       const or_log *log, or_parquet_convert_info *info, or_err *err);

#endif
