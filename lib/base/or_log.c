/* or_log.c - formatting helper for the caller-owned logger (see or_log.h). */
#include "or_log.h"

#include <stdarg.h>
#include <stdio.h>

void or_log_msg(const or_log *log, int level, const char *fmt, ...)
{
	if (!log || !log->message)
		return;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log->message(log->ctx, level, text);
}
