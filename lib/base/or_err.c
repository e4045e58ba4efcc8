/* or_err.c - recording error messages for the caller (see or_err.h). */
#include "or_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void or_err_clear(or_err *err)
{
	if (!err)
		return;
	err->code = OR_OK;
	err->msg[0] = '\0';
}

static void set_message(or_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int or_err_set(or_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	set_message(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int or_err_errno(or_err *err, int errno_value, const char *fmt, ...)
{
	if (!err)
		return OR_EIO;
	va_list ap;
	va_start(ap, fmt);
	set_message(err, OR_EIO, fmt, ap);
	va_end(ap);
	size_t len = strlen(err->msg);
	if (len < sizeof(err->msg))
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
			 strerror(errno_value));
	return OR_EIO;
}

const char *or_err_name(int code)
{
	switch (code) {
	case OR_OK: return "ok";
	case OR_EIO: return "i/o error";
	case OR_EFORMAT: return "format error";
	case OR_ENOMEM: return "out of memory";
	case OR_EINVAL: return "invalid argument";
	case OR_EUNSUPPORTED: return "unsupported";
	case OR_ECANCELLED: return "cancelled";
	default: return "error";
	}
}
