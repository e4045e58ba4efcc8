/*
 * or_npy.h - NumPy .npy files holding float32 matrices (n x d), the format
 * embeddings are exchanged in, so that Python users can `np.load` them, and
 * the ids file beside an embeddings matrix: the aid of each row, a 1-D
 * int64 array named after the matrix (emb.npy -> emb.ids.npy), and plain
 * 1-D int64 vectors (the candidate tables of lib/rec/or_cand_dir.h).  A matrix
 * without an ids file means row r = aid r.
 *
 * Writing produces format version 1.0 (2.0 when the header needs it),
 * '<f4', C order, the data 64-byte aligned, atomically (tmp + rename).
 * Reading accepts versions 1.0, 2.0 and 3.0, '<f4' or '<f8' (converted to
 * float32), C order, 1-D (read as n x 1) or 2-D shapes; float32 files are
 * memory-mapped, not copied.  Anything else is OR_EUNSUPPORTED naming what.
 * Written by hand: the format is a text header plus raw data, and no Debian
 * C library reads it.
 */
#ifndef OR_NPY_H
#define OR_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_file.h"

/* Write rows x cols floats (row-major) to path. */
int or_npy_write_f32(const char *path, const float *data, size_t rows,
		     size_t cols, or_err *err);
/* Write n int64 values to path as a 1-D '<i8' array. */
int or_npy_write_i64(const char *path, const int64_t *data, size_t n, or_err *err);

/* A .npy file written a block of rows at a time (the row count is known
   only at the end): the header is reserved for the largest shape and
   rewritten by commit; atomic like the writers above. */
typedef struct or_npy_writer {
	or_file f;
	const char *descr; /* "<f4", "<i8": static */
	size_t elem, cols; /* bytes per value; values per row, 0 = a 1-D array */
	size_t rows, head_len;
} or_npy_writer;

int or_npy_writer_open(or_npy_writer *w, const char *path, const char *descr, size_t elem,
		       size_t cols, or_err *err);
/* rows x cols values (rows values of a 1-D array). */
int or_npy_writer_rows(or_npy_writer *w, const void *data, size_t rows, or_err *err);
int or_npy_writer_commit(or_npy_writer *w, or_err *err);
/* Removes the temporary; safe after commit and on a zeroed writer (fd -1). */
void or_npy_writer_abort(or_npy_writer *w);

/* The ids file of an embeddings matrix: emb_path with its trailing ".npy"
   replaced by ".ids.npy" (appended when it has none); malloc'd, NULL when
   out of memory. */
char *or_npy_ids_path(const char *emb_path);
/*
 * Read the ids file of a matrix of `rows` rows: a 1-D (or n x 1) '<i8' or
 * '<i4' array of exactly `rows` aids, strictly increasing, each in
 * 0..2147483647, into a malloc'd array (*ids, free() it).  Anything else
 * is OR_EFORMAT or OR_EUNSUPPORTED naming path and what is wrong.
 */
int or_npy_read_ids(const char *path, size_t rows, uint32_t **ids, or_err *err);

/*
 * Read a 1-D '<i8' array (exactly 1-D: shape (n,)) into a malloc'd copy
 * (*out, free() it; n values).  Another dtype is OR_EUNSUPPORTED, another
 * shape or a short file OR_EFORMAT, naming path.
 */
int or_npy_read_i64(const char *path, int64_t **out, size_t *n, or_err *err);

typedef struct or_npy {
	const float *data; /* rows * cols floats, row-major */
	size_t rows, cols;
	void *map_;        /* private: the mapping, or NULL */
	size_t map_bytes_;
	float *owned_;     /* private: converted copy, or NULL */
} or_npy;

/* Open a matrix; release with or_npy_close (safe on a zeroed or_npy). */
int or_npy_open_f32(const char *path, or_npy *out, or_err *err);
void or_npy_close(or_npy *m);

#endif
