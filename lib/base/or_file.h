/*
 * or_file.h - atomic output files and a buffered writer over them.
 *
 * An output is written to "<path>.tmp.XXXXXX" in the same directory and
 * renamed over <path> only by or_file_commit, so a failed or interrupted run
 * never leaves a half-written file under the final name.  or_file_abort (also
 * safe after a failed commit) removes the temporary.  Temporary names are
 * also kept in a small process-wide table so that a signal handler can remove
 * them with or_file_unlink_pending() (async-signal-safe) before dying.
 *
 * A writer opened on "-" writes to standard output instead (not atomic).
 */
#ifndef OR_FILE_H
#define OR_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"

typedef struct or_file {
	int fd;
	int is_stdout;
	char *path;     /* final name (owned) */
	char *tmp_path; /* temporary name (owned), NULL for stdout */
	char *buf;      /* write buffer (owned) */
	size_t len, cap;
	uint64_t written; /* bytes handed to write() so far */
} or_file;

/* Open an atomic output for path ("-" = stdout).  On failure f is left
   closed (or_file_abort is still safe to call). */
int or_file_open(or_file *f, const char *path, or_err *err);
/* Buffered append. */
int or_file_write(or_file *f, const void *data, size_t n, or_err *err);
/* Overwrite n bytes at offset of what was written so far (offset + n at
   most the bytes written; not for stdout): for headers whose fields are
   known only at the end. */
int or_file_patch(or_file *f, uint64_t offset, const void *data, size_t n, or_err *err);
/* Flush, check, close and rename into place (stdout: flush only). */
int or_file_commit(or_file *f, or_err *err);
/* Close and remove the temporary, free everything.  Idempotent; f may be a
   zeroed struct. */
void or_file_abort(or_file *f);

/* Make room for at least n bytes in the buffer and return a pointer to it;
   the caller fills some of it and calls or_file_advance with the count. */
char *or_file_reserve(or_file *f, size_t n, or_err *err);
static inline void or_file_advance(or_file *f, size_t n) { f->len += n; }

/* Remove every temporary file still open, then every registered
   temporary directory left empty by that (for signal handlers). */
void or_file_unlink_pending(void);
/* Register / forget a temporary directory of the caller's (the string is
   kept, not copied, until forgotten). */
void or_dir_pending_add(char *path);
void or_dir_pending_remove(const char *path);

/* Size of a regular file, or -1 with err set. */
int64_t or_file_size(const char *path, or_err *err);

/* mkdir of one directory level (an existing directory is fine). */
int or_dir_make(const char *path, or_err *err);
/* mkdir -p: every missing level of path. */
int or_dir_make_all(const char *path, or_err *err);

#endif
