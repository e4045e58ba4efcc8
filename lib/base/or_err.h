/*
 * or_err.h - the one error model of libottorec.
 *
 * Every fallible library function returns an int status (OR_OK == 0) and,
 * when it fails, fills a caller-owned or_err with a message that names the
 * file, line/column or byte offset, and what was expected.  The library never
 * prints and never exits; the caller decides what to do with the message.
 */
#ifndef OR_ERR_H
#define OR_ERR_H

#include <stddef.h>

enum {
	OR_OK = 0,
	OR_EIO = 1,          /* open/read/write/rename failed */
	OR_EFORMAT = 2,      /* input does not follow its format */
	OR_ENOMEM = 3,       /* allocation failed or size overflow */
	OR_EINVAL = 4,       /* bad argument from the caller */
	OR_EUNSUPPORTED = 5, /* valid input using a feature we do not read */
	OR_ECANCELLED = 6    /* interrupted by the caller (signal) */
};

#define OR_ERR_MSG_MAX 1024

typedef struct or_err {
	int code;
	char msg[OR_ERR_MSG_MAX];
} or_err;

/* Clear an error record (code OR_OK, empty message).  err may be NULL. */
void or_err_clear(or_err *err);

/*
 * Record an error and return its code, so a caller can write
 * `return or_err_set(err, OR_EFORMAT, "%s:%zu: ...", path, line);`.
 * err may be NULL (the code is still returned).  The message is truncated to
 * OR_ERR_MSG_MAX - 1 bytes.
 */
int or_err_set(or_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like or_err_set, appending ": strerror(errno_value)". */
int or_err_errno(or_err *err, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A short name for a status code ("format error", ...). */
const char *or_err_name(int code);

/* Overflow-checked size arithmetic (git's st_mult): 0 on success. */
static inline int or_size_mul(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}
static inline int or_size_add(size_t a, size_t b, size_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

#endif
