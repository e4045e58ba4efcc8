/*
 * or_stats.c - store statistics, describe (mean, sample std, min,
 * percentiles, max) over count arrays, distinct-item counting, UTC text.
 * See or_stats.h for the conventions (numpy/pandas-compatible numbers).
 *
 * Ordering values for percentiles never uses a comparison sort: a dense
 * histogram over [min, max] when the range is small compared with n (the
 * usual case: session lengths up to 500, item counts up to ~10^5), else an
 * LSD radix sort (11-bit digits, passes only for the bits the range needs).
 */
#include "or_stats.h"
#include "or_par.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RADIX_BITS 11u
#define RADIX_SIZE (1u << RADIX_BITS)
#define BLOCK_EVENTS ((size_t)32 << 20) /* progress / cancel granularity */

static int nomem(or_err *err, const char *what)
{
	return or_err_set(err, OR_ENOMEM, "out of memory (%s)", what);
}

static unsigned bit_width(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* numpy's _lerp: from the upper end when t >= 0.5 (exact at t == 1). */
static double lerp_np(double a, double b, double t)
{
	double d = b - a;
	return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

/* The two ranks numpy reads for quantile q, and the fraction between. */
static void quantile_ranks(size_t n, double q, size_t *lo, size_t *hi, double *t)
{
	double pos = (double)(n - 1) * q;
	if (!(pos > 0))
		pos = 0;
	double fl = floor(pos);
	*t = pos - fl;
	if (pos >= (double)(n - 1)) { /* numpy reads the last value twice */
		*lo = *hi = n - 1;
		return;
	}
	*lo = (size_t)fl;
	*hi = *lo + 1;
}

double or_quantile_sorted_u64(const uint64_t *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	size_t lo, hi;
	double t;
	quantile_ranks(n, q, &lo, &hi, &t);
	return lerp_np((double)sorted[lo], (double)sorted[hi], t);
}

/* ---- radix sorts ------------------------------------------------------ */

/* Sort x[0..n) ascending by its low `bits` bits (higher bits must be 0),
   using tmp[0..n); returns the buffer that holds the result. */
static uint64_t *radix_sort_u64(uint64_t *x, uint64_t *tmp, size_t n, unsigned bits)
{
	size_t cnt[RADIX_SIZE];
	for (unsigned shift = 0; shift < bits; shift += RADIX_BITS) {
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(x[i] >> shift) & (RADIX_SIZE - 1)]++;
		size_t sum = 0, skip = 0;
		for (unsigned d = 0; d < RADIX_SIZE; d++) {
			skip |= cnt[d] == n;
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		if (skip)
			continue; /* every value has the same digit here */
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(x[i] >> shift) & (RADIX_SIZE - 1)]++] = x[i];
		uint64_t *s = x;
		x = tmp;
		tmp = s;
	}
	return x;
}

static uint32_t *radix_sort_u32(uint32_t *x, uint32_t *tmp, size_t n, unsigned bits,
				const or_log *log, int *cancelled)
{
	size_t cnt[RADIX_SIZE];
	*cancelled = 0;
	for (unsigned shift = 0; shift < bits; shift += RADIX_BITS) {
		if (or_log_cancelled(log)) {
			*cancelled = 1;
			return x;
		}
		or_log_progress(log, "sort items", shift, bits, "bits");
		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(x[i] >> shift) & (RADIX_SIZE - 1)]++;
		size_t sum = 0, skip = 0;
		for (unsigned d = 0; d < RADIX_SIZE; d++) {
			skip |= cnt[d] == n;
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		if (skip)
			continue;
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(x[i] >> shift) & (RADIX_SIZE - 1)]++] = x[i];
		uint32_t *s = x;
		x = tmp;
		tmp = s;
	}
	return x;
}

/* ---- describe --------------------------------------------------------- */

/* A read-only view of a u32 or u64 array. */
typedef struct values {
	const void *p;
	size_t n;
	int wide; /* 1: uint64_t, 0: uint32_t */
} values;

static inline uint64_t val(const values *v, size_t i)
{
	return v->wide ? ((const uint64_t *)v->p)[i] : ((const uint32_t *)v->p)[i];
}

static void describe_empty(or_describe *out)
{
	memset(out, 0, sizeof(*out));
	out->mean = out->std = NAN;
	out->p50 = out->p75 = out->p90 = out->p95 = NAN;
}

static const double describe_q[4] = { 0.5, 0.75, 0.9, 0.95 };

static void set_quantiles(or_describe *out, const double q[4])
{
	out->p50 = q[0];
	out->p75 = q[1];
	out->p90 = q[2];
	out->p95 = q[3];
}

/* Smallest k with cum[k] > r (cum ascending, cum[last] = n > r). */
static size_t rank_bucket(const uint64_t *cum, size_t m, uint64_t r)
{
	size_t lo = 0, hi = m - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int describe_dense(const values *v, uint64_t mn, uint64_t mx, double mean,
			  or_describe *out, or_err *err)
{
	size_t m = (size_t)(mx - mn) + 1;
	uint64_t *h = calloc(m, sizeof(*h));
	if (!h)
		return nomem(err, "describe histogram");
	for (size_t i = 0; i < v->n; i++)
		h[val(v, i) - mn]++;
	double ss = 0;
	for (size_t k = 0; k < m; k++)
		if (h[k]) {
			double d = (double)(mn + k) - mean;
			ss += (double)h[k] * d * d;
		}
	out->std = v->n > 1 ? sqrt(ss / (double)(v->n - 1)) : NAN;
	for (size_t k = 1; k < m; k++)
		h[k] += h[k - 1];
	double q[4];
	for (int i = 0; i < 4; i++) {
		size_t lo, hi;
		double t;
		quantile_ranks(v->n, describe_q[i], &lo, &hi, &t);
		double a = (double)(mn + rank_bucket(h, m, lo));
		double b = (double)(mn + rank_bucket(h, m, hi));
		q[i] = lerp_np(a, b, t);
	}
	set_quantiles(out, q);
	free(h);
	return OR_OK;
}

static int describe_sort(const values *v, uint64_t mn, uint64_t mx, double mean,
			 or_describe *out, or_err *err)
{
	size_t bytes;
	if (or_size_mul(v->n, sizeof(uint64_t), &bytes))
		return nomem(err, "describe sort");
	uint64_t *a = malloc(bytes), *tmp = malloc(bytes);
	if (!a || !tmp) {
		free(a);
		free(tmp);
		return nomem(err, "describe sort");
	}
	double ss = 0;
	for (size_t i = 0; i < v->n; i++) {
		uint64_t x = val(v, i);
		double d = (double)x - mean;
		ss += d * d;
		a[i] = x - mn;
	}
	out->std = v->n > 1 ? sqrt(ss / (double)(v->n - 1)) : NAN;
	uint64_t *s = radix_sort_u64(a, tmp, v->n, bit_width(mx - mn));
	double q[4];
	for (int i = 0; i < 4; i++) {
		size_t lo, hi;
		double t;
		quantile_ranks(v->n, describe_q[i], &lo, &hi, &t);
		q[i] = lerp_np((double)(s[lo] + mn), (double)(s[hi] + mn), t);
	}
	set_quantiles(out, q);
	free(a);
	free(tmp);
	return OR_OK;
}

static int describe(const values *v, or_stats_method method, or_describe *out, or_err *err)
{
	if (v->n == 0) {
		describe_empty(out);
		return OR_OK;
	}
	unsigned __int128 sum = 0;
	uint64_t mn = UINT64_MAX, mx = 0;
	for (size_t i = 0; i < v->n; i++) {
		uint64_t x = val(v, i);
		sum += x;
		mn = x < mn ? x : mn;
		mx = x > mx ? x : mx;
	}
	memset(out, 0, sizeof(*out));
	out->n = v->n;
	out->min = mn;
	out->max = mx;
	/* as pandas: the float64 sum (exact below 2^53) over the count */
	out->mean = (double)sum / (double)v->n;
	uint64_t range = mx - mn;
	uint64_t dense_limit = v->n < (1u << 15) ? (1u << 16) : 2 * (uint64_t)v->n;
	if (method == OR_STATS_AUTO)
		method = range < dense_limit ? OR_STATS_DENSE : OR_STATS_SORT;
	if (method == OR_STATS_DENSE && range >= SIZE_MAX / sizeof(uint64_t))
		return nomem(err, "describe histogram");
	return method == OR_STATS_DENSE ? describe_dense(v, mn, mx, out->mean, out, err)
					: describe_sort(v, mn, mx, out->mean, out, err);
}

int or_describe_u64_ex(const uint64_t *x, size_t n, or_stats_method method,
		       or_describe *out, or_err *err)
{
	values v = { x, n, 1 };
	return describe(&v, method, out, err);
}

int or_describe_u32_ex(const uint32_t *x, size_t n, or_stats_method method,
		       or_describe *out, or_err *err)
{
	values v = { x, n, 0 };
	return describe(&v, method, out, err);
}

int or_describe_u64(const uint64_t *x, size_t n, or_describe *out, or_err *err)
{
	return or_describe_u64_ex(x, n, OR_STATS_AUTO, out, err);
}

int or_describe_u32(const uint32_t *x, size_t n, or_describe *out, or_err *err)
{
	return or_describe_u32_ex(x, n, OR_STATS_AUTO, out, err);
}

/* ---- events per item --------------------------------------------------- */

static int bad_aid(or_err *err, size_t j, uint32_t a, uint32_t bound)
{
	return or_err_set(err, OR_EFORMAT,
			  "event %zu has aid %u, not below the store's aid bound %u (damaged store; `ottorec info --verify` checks it)",
			  j, a, bound);
}

/* Gather the non-zero counts in aid order. */
static int compact_counts(const uint32_t *c32, const uint64_t *c64, size_t nb,
			  uint64_t **counts, size_t *n_items, or_err *err)
{
	size_t ni = 0;
	for (size_t a = 0; a < nb; a++)
		ni += c64 ? c64[a] != 0 : c32[a] != 0;
	uint64_t *out = malloc((ni ? ni : 1) * sizeof(*out));
	if (!out)
		return nomem(err, "item counts");
	size_t k = 0;
	for (size_t a = 0; a < nb; a++) {
		uint64_t c = c64 ? c64[a] : c32[a];
		if (c)
			out[k++] = c;
	}
	*counts = out;
	*n_items = ni;
	return OR_OK;
}

static int count_dense(const uint32_t *aid, size_t n, uint32_t bound,
		       uint64_t **counts, size_t *n_items, const or_log *log,
		       or_store_check *chk, or_err *err)
{
	const size_t nb = bound;
	/* private count arrays for threads 1..T-1, within 256 MiB, and only
	   when there is enough work to pay for them */
	int T = or_par_threads(0);
	while (T > 1 && (size_t)(T - 1) * nb * sizeof(uint32_t) > ((size_t)256 << 20))
		T--;
	if (n < ((size_t)1 << 20) || n < 4 * nb)
		T = 1;
	uint32_t *c = calloc(nb ? nb : 1, sizeof(*c));
	uint32_t *priv = T > 1 ? calloc((size_t)(T - 1) * nb, sizeof(*priv)) : NULL;
	/* more events than a uint32 holds: count in epochs of at most
	   UINT32_MAX events and add each epoch into 64-bit totals */
	uint64_t *wide = n > UINT32_MAX ? calloc(nb ? nb : 1, sizeof(*wide)) : NULL;
	if (!c || (T > 1 && !priv) || (n > UINT32_MAX && !wide)) {
		free(c);
		free(priv);
		free(wide);
		return nomem(err, "item count array");
	}
	int rc = OR_OK;
	size_t epoch_left = UINT32_MAX;
	for (size_t at = 0; at < n && !rc;) {
		if (or_log_cancelled(log)) {
			rc = or_err_set(err, OR_ECANCELLED, "interrupted");
			break;
		}
		or_log_progress(log, "count items", (double)at, (double)n, "events");
		size_t end = n - at < BLOCK_EVENTS ? n : at + BLOCK_EVENTS;
		if (end - at > epoch_left)
			end = at + epoch_left;
		size_t bad = SIZE_MAX;
		OMP(omp parallel num_threads(T) if (T > 1) reduction(min : bad))
		{
			int t = or_par_thread_num();
			uint32_t *cc = t ? priv + (size_t)(t - 1) * nb : c;
			OMP(omp for schedule(static))
			for (size_t j = at; j < end; j++) {
				uint32_t a = aid[j];
				if (a < bound)
					cc[a]++;
				else if (j < bad)
					bad = j;
			}
		}
		if (bad != SIZE_MAX) {
			rc = bad_aid(err, bad, aid[bad], bound);
			break;
		}
		or_store_check_events(chk, 0, end);
		epoch_left -= end - at;
		at = end;
		if (epoch_left == 0 || at == n) {
			if (T > 1) {
				OMP(omp parallel for num_threads(T) schedule(static))
				for (size_t a = 0; a < nb; a++) {
					uint32_t s = c[a];
					for (int t = 0; t < T - 1; t++) {
						s += priv[(size_t)t * nb + a];
						priv[(size_t)t * nb + a] = 0;
					}
					c[a] = s;
				}
			}
			if (wide) {
				for (size_t a = 0; a < nb; a++)
					wide[a] += c[a];
				memset(c, 0, nb * sizeof(*c));
			}
			epoch_left = UINT32_MAX;
		}
	}
	if (!rc)
		rc = compact_counts(c, wide, nb, counts, n_items, err);
	free(c);
	free(priv);
	free(wide);
	return rc;
}

static int count_sorted(const uint32_t *aid, size_t n, uint32_t bound,
			uint64_t **counts, size_t *n_items, const or_log *log,
			or_store_check *chk, or_err *err)
{
	size_t bytes;
	if (or_size_mul(n ? n : 1, sizeof(uint32_t), &bytes))
		return nomem(err, "sorting aids");
	uint32_t *a = malloc(bytes), *tmp = malloc(bytes);
	if (!a || !tmp) {
		free(a);
		free(tmp);
		return nomem(err, "sorting aids");
	}
	int rc = OR_OK;
	for (size_t at = 0; at < n && !rc; at += BLOCK_EVENTS) {
		size_t end = n - at < BLOCK_EVENTS ? n : at + BLOCK_EVENTS;
		for (size_t j = at; j < end; j++) {
			if (aid[j] >= bound) {
				rc = bad_aid(err, j, aid[j], bound);
				break;
			}
			a[j] = aid[j];
		}
		or_store_check_events(chk, 0, end);
		if (!rc && or_log_cancelled(log))
			rc = or_err_set(err, OR_ECANCELLED, "interrupted");
	}
	int cancelled = 0;
	uint32_t *s = rc ? a : radix_sort_u32(a, tmp, n, bit_width(bound ? bound - 1 : 0), log, &cancelled);
	if (!rc && cancelled)
		rc = or_err_set(err, OR_ECANCELLED, "interrupted");
	if (!rc) {
		size_t ni = 0;
		for (size_t j = 0; j < n; j++)
			ni += j == 0 || s[j] != s[j - 1];
		uint64_t *out = malloc((ni ? ni : 1) * sizeof(*out));
		if (!out) {
			rc = nomem(err, "item counts");
		} else {
			size_t k = 0;
			for (size_t j = 0; j < n; j++) {
				if (j == 0 || s[j] != s[j - 1])
					out[k++] = 0;
				out[k - 1]++;
			}
			*counts = out;
			*n_items = ni;
		}
	}
	free(a);
	free(tmp);
	return rc;
}

/* or_stats_item_counts, with the checksum of the aids carried along
   (chk: a check of their store, NULL for none) */
static int item_counts(const uint32_t *aid, size_t n, uint32_t aid_bound, or_stats_method method,
		       uint64_t **counts, size_t *n_items, const or_log *log, or_store_check *chk,
		       or_err *err)
{
	*counts = NULL;
	*n_items = 0;
	if (method == OR_STATS_AUTO) {
		uint64_t limit = (uint64_t)1 << 26;
		if (2 * (uint64_t)n > limit)
			limit = 2 * (uint64_t)n;
		method = aid_bound <= limit ? OR_STATS_DENSE : OR_STATS_SORT;
	}
	return method == OR_STATS_DENSE ? count_dense(aid, n, aid_bound, counts, n_items, log, chk, err)
					: count_sorted(aid, n, aid_bound, counts, n_items, log, chk, err);
}

int or_stats_item_counts(const uint32_t *aid, size_t n, uint32_t aid_bound,
			 or_stats_method method, uint64_t **counts,
			 size_t *n_items, const or_log *log, or_err *err)
{
	return item_counts(aid, n, aid_bound, method, counts, n_items, log, NULL, err);
}

/* ---- the store's statistics ---------------------------------------------- */

/* x[0..n) into log-2 buckets (a 0, which no count here is, into bucket 0). */
static void log2_hist(const uint64_t *x, size_t n, uint64_t hist[OR_STATS_HIST])
{
	for (size_t i = 0; i < n; i++)
		hist[x[i] ? 63 - __builtin_clzll(x[i]) : 0]++;
}

int or_stats_compute(const or_store *st, or_stats *out, const or_log *log, or_err *err)
{
	memset(out, 0, sizeof(*out));
	const size_t ns = or_store_n_sessions(st);
	const size_t ne = or_store_n_events(st);
	out->n_sessions = ns;
	out->n_events = ne;
	for (unsigned t = 0; t < OR_N_TYPES; t++)
		out->n_type[t] = or_store_n_type(st, t);
	out->ts_min = or_store_ts_min(st);
	out->ts_max = or_store_ts_max(st);
	out->aid_bound = or_store_aid_bound(st);

	const uint64_t *off = or_store_offsets(st);
	uint64_t *len = malloc((ns ? ns : 1) * sizeof(*len));
	if (!len)
		return nomem(err, "session lengths");
	for (size_t i = 0; i < ns; i++) /* the offsets are checked at open */
		len[i] = off[i + 1] - off[i];
	log2_hist(len, ns, out->hist_session);
	int rc = or_describe_u64(len, ns, &out->per_session, err);
	free(len);
	if (rc)
		return rc;

	uint64_t *counts = NULL;
	size_t ni = 0;
	/* the one pass over the aids: their checksum as it goes */
	or_store_check *chk = or_store_check_new(&st, 1, OR_STORE_CHECK_AIDS);
	rc = item_counts(or_store_aids(st), ne, out->aid_bound, OR_STATS_AUTO, &counts, &ni, log,
			 chk, err);
	if (rc == OR_EFORMAT && err) {
		or_err e2 = *err;
		or_err_set(err, rc, "%s: %s", or_store_path(st), e2.msg);
	}
	rc = or_store_check_end(chk, rc, err);
	if (rc) {
		free(counts);
		return rc;
	}
	out->n_items = ni;
	log2_hist(counts, ni, out->hist_item);
	rc = or_describe_u64(counts, ni, &out->per_item, err);
	free(counts);
	return rc;
}

/* ---- time --------------------------------------------------------------- */

/* Howard Hinnant's civil_from_days: days since 1970-01-01 -> y/m/d. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *or_stats_utc_iso(int64_t ms, char *buf, size_t n)
{
	const int64_t day_ms = 86400000;
	int64_t days = ms / day_ms, rem = ms % day_ms;
	if (rem < 0) {
		days--;
		rem += day_ms;
	}
	int64_t y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	unsigned r = (unsigned)rem;
	snprintf(buf, n, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, mo, d,
		 r / 3600000u, r / 60000u % 60u, r / 1000u % 60u, r % 1000u);
	return buf;
}
