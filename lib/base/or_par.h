/*
 * or_par.h - what the OpenMP loops of the library share: the OMP(...)
 * pragma macro that vanishes without OpenMP (NO_OMP=1), and the check at the
 * top of a parallel loop body that skips the remaining iterations once one
 * has failed or the caller has cancelled, and the error that ends such a
 * loop.
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

/*
 * In a parallel loop body: 1 when *failed is already set (skip this
 * iteration), or when the caller cancelled (then *failed becomes 2);
 * 0 to go on.  *failed is shared by the team: 0 fine, 1 out of memory or an
 * error, 2 cancelled.
 */
static inline int or_par_stop(int *failed, const or_log *log)
{
	int f;
	OMP(omp atomic read)
	f = *failed;
	if (f)
		return 1;
	if (or_log_cancelled(log)) {
		OMP(omp atomic write)
		*failed = 2;
		return 1;
	}
	return 0;
}

/* After a block of `add` items: count them into the team's shared *done
   and let thread 0 report progress. */
static inline void or_par_done(size_t *done, size_t add, int tid, const or_log *log,
			       const char *stage, size_t total, const char *unit)
{
	size_t dn;
	OMP(omp atomic capture)
	dn = *done += add;
	if (tid == 0 && stage)
		or_log_progress(log, stage, (double)dn, (double)total, unit);
}

/* After the team: what *failed says, as the error of `what` ("index
   search: out of memory", "...: cancelled"), or OR_OK. */
static inline int or_par_result(int failed, or_err *err, const char *what)
{
	if (failed == 1)
		return or_err_set(err, OR_ENOMEM, "%s: out of memory", what);
	if (failed == 2)
		return or_err_set(err, OR_ECANCELLED, "%s: cancelled", what);
	return OR_OK;
}

#endif
