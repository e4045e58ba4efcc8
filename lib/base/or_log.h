/*
 * or_log.h - how library code talks to its caller: messages, progress and
 * cancellation.  The library never prints; it calls these hooks, which the
 * caller owns (the CLI draws a progress line on a terminal and installs the
 * signal handler that sets *cancel).  Every hook may be NULL, and so may the
 * or_log pointer itself.
 */
#ifndef OR_LOG_H
#define OR_LOG_H

#include <signal.h>
#include <stdint.h>

enum { OR_LOG_INFO = 0, OR_LOG_WARN = 1 };

typedef struct or_log {
	/* a finished line of text, without trailing newline */
	void (*message)(void *ctx, int level, const char *text);
	/* stage name, work done so far, total work (0 when unknown), unit
	   ("events", "bytes", ...); called at most every few milliseconds */
	void (*progress)(void *ctx, const char *stage, double done,
			 double total, const char *unit);
	void *ctx;
	/* when non-NULL and non-zero, long loops stop with OR_ECANCELLED */
	volatile sig_atomic_t *cancel;
} or_log;

void or_log_msg(const or_log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void or_log_progress(const or_log *log, const char *stage,
				   double done, double total, const char *unit)
{
	if (log && log->progress)
		log->progress(log->ctx, stage, done, total, unit);
}

static inline int or_log_cancelled(const or_log *log)
{
	return log && log->cancel && *log->cancel;
}

#endif
