/*
 * or_par.h - the library's one OpenMP wrapper: the OMP(...) pragma macro
 * that vanishes without OpenMP (NO_OMP=1), the thread-count rule, the
 * thread number inside a team, and the team's failure flag (set, read, the
 * check at the top of a loop body, the error after the team), with the
 * progress count of a team.  No other file includes <omp.h> or tests
 * _OPENMP.
 *
 * The failure flag is an int shared by the team, only ever touched through
 * these functions (atomics, so no data race): OR_PAR_OK, OR_PAR_FAILED (out
 * of memory, or an error the thread that recorded the failure described),
 * OR_PAR_CANCELLED (the caller's cancel flag, or_log_cancelled).  The first
 * failure recorded stays.
 */
#ifndef OR_PAR_H
#define OR_PAR_H

#include <stddef.h>

#include "or_err.h"
#include "or_log.h"

#ifdef _OPENMP
#include <omp.h>
#define OMP(x) _Pragma(#x)
#else
#define OMP(x)
#endif

enum { OR_PAR_OK = 0, OR_PAR_FAILED = 1, OR_PAR_CANCELLED = 2 };

/* The threads of a team: requested when > 0, else OpenMP's default
   (OMP_NUM_THREADS, or every core); 1 without OpenMP. */
static inline int or_par_threads(int requested)
{
#ifdef _OPENMP
	return requested > 0 ? requested : omp_get_max_threads();
#else
	(void)requested;
	return 1;
#endif
}

/* This thread's number in its team (0 outside a team), and the team's
   size (1 outside). */
static inline int or_par_thread_num(void)
{
#ifdef _OPENMP
	return omp_get_thread_num();
#else
	return 0;
#endif
}

static inline int or_par_num_threads(void)
{
#ifdef _OPENMP
	return omp_get_num_threads();
#else
	return 1;
#endif
}

/* What *failed says now. */
static inline int or_par_failed(const int *failed)
{
	return __atomic_load_n(failed, __ATOMIC_RELAXED);
}

/* Record a failure (OR_PAR_FAILED or OR_PAR_CANCELLED) unless one is
   recorded already.  1 when this call recorded it: only then may the
   thread write the details (its error message, an errno) that the code
   after the team reads. */
static inline int or_par_fail(int *failed, int why)
{
	int none = OR_PAR_OK;
	return __atomic_compare_exchange_n(failed, &none, why, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_RELAXED);
}

/*
 * At the top of a parallel loop body: 1 when the team has failed (skip
 * this iteration), or when the caller cancelled (recorded as
 * OR_PAR_CANCELLED); 0 to go on.
 */
static inline int or_par_stop(int *failed, const or_log *log)
{
	if (or_par_failed(failed))
		return 1;
	if (or_log_cancelled(log)) {
		or_par_fail(failed, OR_PAR_CANCELLED);
		return 1;
	}
	return 0;
}

/* After a block of `add` items: count them into the team's shared *done
   and let thread 0 report progress. */
static inline void or_par_done(size_t *done, size_t add, int tid, const or_log *log,
			       const char *stage, size_t total, const char *unit)
{
	size_t dn = __atomic_add_fetch(done, add, __ATOMIC_RELAXED);
	if (tid == 0 && stage)
		or_log_progress(log, stage, (double)dn, (double)total, unit);
}

/* After a team whose only failures are out of memory and cancellation:
   the error of `what` ("index search: out of memory", "...: cancelled"),
   or OR_OK. */
static inline int or_par_result(int failed, or_err *err, const char *what)
{
	if (failed == OR_PAR_FAILED)
		return or_err_set(err, OR_ENOMEM, "%s: out of memory", what);
	if (failed == OR_PAR_CANCELLED)
		return or_err_set(err, OR_ECANCELLED, "%s: cancelled", what);
	return OR_OK;
}

#endif
