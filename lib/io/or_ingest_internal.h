/*
 * or_ingest_internal.h - what the format readers share: the per-session
 * event scratch buffer, error positions, ts-unit handling.  Private to
 * lib/io/or_ingest*.c.
 */
#ifndef OR_INGEST_INTERNAL_H
#define OR_INGEST_INTERNAL_H

#include <stdint.h>

#include "or_ingest.h"
#include "or_input.h"

/* or_evbuf (the events of the session being read): or_ingest.h. */

/* make room for one more event: 0, or -1 when out of memory */
int or_evbuf_grow(or_evbuf *e);
static inline int or_evbuf_push(or_evbuf *e, uint32_t aid, int64_t ts, uint8_t type)
{
	if (e->n == e->cap && or_evbuf_grow(e))
		return -1;
	e->aid[e->n] = aid;
	e->ts[e->n] = ts;
	e->type[e->n] = type;
	e->n++;
	return 0;
}

/* Hand a finished session to the builder, prefixing a builder error with
   "path:line: ". */
int or_ingest_add(or_store_builder *b, const char *path, uint64_t line,
		  int64_t session, const or_evbuf *e, or_err *err);

int or_ingest_jsonl(or_store_builder *b, or_input *in,
		    const or_ingest_config *cfg, const or_log *log, or_err *err);
int or_ingest_csv(or_store_builder *b, or_input *in,
		  const or_ingest_config *cfg, const or_log *log, or_err *err);
/* Parquet (lib/io/or_parquet_ingest.c): reads path itself with mmap; in is
   only used to refuse stdin and gzip-wrapped files. */
int or_ingest_parquet(or_store_builder *b, const char *path, or_input *in,
		      const or_ingest_config *cfg, const or_log *log, or_err *err);

/* "clicks"/"carts"/"orders" at p (len bytes) -> 0/1/2, or -1. */
static inline int or_type_from_word(const char *p, size_t len)
{
	if (len == 6 && p[0] == 'c' && p[1] == 'l' && p[2] == 'i' && p[3] == 'c' &&
	    p[4] == 'k' && p[5] == 's')
		return 0;
	if (len == 5 && p[0] == 'c' && p[1] == 'a' && p[2] == 'r' && p[3] == 't' &&
	    p[4] == 's')
		return 1;
	if (len == 6 && p[0] == 'o' && p[1] == 'r' && p[2] == 'd' && p[3] == 'e' &&
	    p[4] == 'r' && p[5] == 's')
		return 2;
	return -1;
}

#endif
