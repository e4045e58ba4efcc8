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

typedef struct or_input or_input; /* opaque */

/* Open path ("-" = stdin) for reading lines no longer than max_line bytes. */
int or_input_open(const char *path, size_t max_line, or_input **out, or_err *err);
void or_input_close(or_input *in); /* NULL is fine */

/*
 * The next run of complete lines: *data points at *len bytes holding one or
 * more whole lines, the last ending in '\n' except possibly at end of input;
 * *first_line is the 1-based number of the first of them.  Returns OR_OK
 * with *len == 0 at end of input.  The bytes stay valid until the next call.
 */
int or_input_lines(or_input *in, const char **data, size_t *len,
		   uint64_t *first_line, or_err *err);

/* The first bytes of the (decompressed) content, for format detection:
   up to n bytes copied into buf; returns the count.  Only before the first
   or_input_lines call. */
size_t or_input_peek(or_input *in, char *buf, size_t n, or_err *err);

const char *or_input_path(const or_input *in);
/* The line-length limit given to or_input_open: readers must reject longer
   lines (or_input_lines only notices lines longer than its buffer). */
size_t or_input_max_line(const or_input *in);
int or_input_is_gzip(const or_input *in);
/* Progress: bytes of the file consumed so far (compressed bytes for gzip)
   and the file's size (0 when unknown, as for a pipe). */
uint64_t or_input_consumed(const or_input *in);
uint64_t or_input_size(const or_input *in);

#endif
