/*
 * or_input.h - reading an input file as a stream of complete lines, whether
 * it is plain or gzip-compressed (zlib, detected by magic bytes), from a path
 * or from standard input ("-").  Memory is bounded by the chunk size plus the
 * longest allowed line; a line longer than the limit is an error naming the
 * line, never an unbounded allocation.
 */
#ifndef OR_INPUT_H
#define OR_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

typedef struct or_input or_input; /* opaque */

/* Open path ("-" = stdin) for reading lines no longer than max_line bytes. */
int or_input_open(const char *path, size_t max_line, or_input **out, or_err *err);
void or_input_close(or_input *in); /* NULL is fine */

/*
 * The next run of complete lines: *data points at *len bytes holding one or
 * more whole lines, the last ending in '\n' except possibly at end of input
 * (it only notices lines longer than its whole buffer: callers check the
 * limit per line, as or_line_next does);
 * *first_line is the 1-based number of the first of them.  Returns OR_OK
 * with *len == 0 at end of input.  The bytes stay valid until the next call.
 */
int or_input_lines(or_input *in, const char **data, size_t *len,
		   uint64_t *first_line, or_err *err);

/* The first bytes of the (decompressed) content, for format detection:
   up to n bytes copied into buf; returns the count.  Only before the first
   or_input_lines call. */
size_t or_input_peek(or_input *in, char *buf, size_t n, or_err *err);

/* The same from the first byte that is not blank (space, tab, CR, LF) of
   what is buffered (up to the first 8 MiB): for content after a long run
   of blank lines. */
size_t or_input_peek_past_blank(or_input *in, char *buf, size_t n);

const char *or_input_path(const or_input *in);
int or_input_is_gzip(const or_input *in);
/* Progress: bytes of the file consumed so far (compressed bytes for gzip)
   and the file's size (0 when unknown, as for a pipe). */
uint64_t or_input_consumed(const or_input *in);
uint64_t or_input_size(const or_input *in);

/*
 * Reading an or_input one line at a time, the loop every text reader
 * shares.  A line is [begin, end) without its '\n' ('\r' is left to the
 * reader); no is its 1-based number.  A line longer than the input's
 * max_line is an error naming the line.  Between read chunks, progress is
 * reported as `stage` (bytes of the file) and cancellation is checked.
 */
typedef struct or_line {
	const char *begin, *end;
	uint64_t no;
} or_line;

typedef struct or_line_reader {
	or_input *in;
	const or_log *log;
	const char *stage;
	size_t max_line;
	const char *p, *end; /* the unread part of the current chunk */
	uint64_t next_no;
} or_line_reader;

void or_line_reader_init(or_line_reader *r, or_input *in, const char *stage,
			 const or_log *log);
/* The slow path of or_line_next: read the next chunk. */
int or_line_reader_refill(or_line_reader *r, or_err *err);
int or_line_too_long(const or_line_reader *r, const or_line *line, or_err *err);

/* The next line: OR_OK with line->begin == NULL at the end of input. */
static inline int or_line_next(or_line_reader *r, or_line *line, or_err *err)
{
	if (r->p >= r->end) {
		int rc = or_line_reader_refill(r, err);
		if (rc || r->p >= r->end) {
			line->begin = line->end = NULL;
			return rc;
		}
	}
	const char *nl = (const char *)__builtin_memchr(r->p, '\n', (size_t)(r->end - r->p));
	line->begin = r->p;
	line->end = nl ? nl : r->end;
	line->no = r->next_no++;
	r->p = nl ? nl + 1 : r->end;
	if ((size_t)(line->end - line->begin) > r->max_line)
		return or_line_too_long(r, line, err);
	return OR_OK;
}

#endif
