/*
 * or_stats.h - statistics of an event store (the table the OTTO dataset's
 * README shows) and a describe helper, reusable on any count array, that
 * gives what pandas' Series.describe() gives.
 *
 * This module owns: distinct-item counting (dense count array or radix sort),
 * the describe numbers (mean, sample std, min, percentiles, max) and the UTC
 * timestamp text.  It reads a store through its public column views only.
 *
 * Conventions, chosen so that numbers agree with pandas/numpy:
 * - std is the sample standard deviation (ddof = 1); NaN when n < 2;
 * - percentiles use linear interpolation between closest ranks (numpy's
 *   default method "linear", also pandas' describe): with the values sorted
 *   x[0] <= ... <= x[n-1], q-th quantile at pos = (n - 1) * q,
 *   x[floor(pos)] + (x[floor(pos) + 1] - x[floor(pos)]) * (pos - floor(pos)),
 *   computed as numpy does it (from the upper end when the fraction >= 0.5);
 * - with n == 0 every floating field is NaN and min = max = 0.
 */
#ifndef OR_STATS_H
#define OR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

typedef struct or_describe {
	uint64_t n;          /* number of values */
	double mean;
	double std;          /* sample standard deviation, ddof = 1 */
	uint64_t min, max;
	double p50, p75, p90, p95; /* linear interpolation (numpy default) */
} or_describe;

/* How a describe or an item count gets its values in order. */
typedef enum or_stats_method {
	OR_STATS_AUTO = 0,  /* dense when the value range is small, else sort */
	OR_STATS_DENSE = 1, /* histogram / count array indexed by value */
	OR_STATS_SORT = 2   /* radix sort of a copy */
} or_stats_method;

/*
 * Describe n counts (the array is not changed; a histogram or a sorted copy
 * is made internally, at most 8 bytes per value or per value of the range).
 * Fails only with OR_ENOMEM.  The _ex forms choose the method (for tests and
 * special cases); every method gives the same numbers.
 */
int or_describe_u64(const uint64_t *x, size_t n, or_describe *out, or_err *err);
int or_describe_u32(const uint32_t *x, size_t n, or_describe *out, or_err *err);
int or_describe_u64_ex(const uint64_t *x, size_t n, or_stats_method method,
		       or_describe *out, or_err *err);
int or_describe_u32_ex(const uint32_t *x, size_t n, or_stats_method method,
		       or_describe *out, or_err *err);

/* The q-quantile (0 <= q <= 1) of sorted values, numpy's "linear" method;
   NaN when n == 0. */
double or_quantile_sorted_u64(const uint64_t *sorted, size_t n, double q);

/*
 * Events per item: count how often each distinct aid occurs among aid[0..n)
 * and return the counts of the aids that occur, in ascending aid order, in a
 * new array (*counts, n_items of them; the caller frees it with free()).
 * aid_bound must exceed every aid (OR_EFORMAT otherwise: damaged store).
 * OR_STATS_AUTO uses a dense count array when
 * aid_bound <= max(2^26, 2 * n) and else sorts a copy of the aids (radix
 * sort, 8 bytes per event), so a store with an aid of 2,000,000,000 does not
 * allocate gigabytes.  Both give identical output.  Uses OpenMP threads when
 * built with it.  Progress stage "count items"; cancellable.
 */
int or_stats_item_counts(const uint32_t *aid, size_t n, uint32_t aid_bound,
			 or_stats_method method, uint64_t **counts,
			 size_t *n_items, const or_log *log, or_err *err);

/* Log-2 histogram buckets: bucket k counts values in [2^k, 2^(k+1)). */
#define OR_STATS_HIST 64

typedef struct or_stats {
	uint64_t n_sessions;
	uint64_t n_events;
	uint64_t n_items;               /* distinct aids */
	uint64_t n_type[OR_N_TYPES];    /* events by type */
	int64_t ts_min, ts_max;         /* ms since the epoch; 0 when empty */
	uint32_t aid_bound;             /* largest aid + 1 */
	or_describe per_session;        /* events per session */
	or_describe per_item;           /* events per item (aids that occur) */
	uint64_t hist_session[OR_STATS_HIST]; /* sessions by events, log-2 buckets */
	uint64_t hist_item[OR_STATS_HIST];    /* items by events, likewise */
} or_stats;

/* Compute every statistic of st (reads the offsets and the aid column;
   seconds at the full OTTO scale). */
int or_stats_compute(const or_store *st, or_stats *out, const or_log *log, or_err *err);

/* "2022-07-31T22:00:00.025Z" for ms since the epoch (proleptic Gregorian,
   UTC; negative times and years past 9999 are written too).  buf of at
   least 40 bytes; returns buf. */
char *or_stats_utc_iso(int64_t ms, char *buf, size_t n);

#endif
