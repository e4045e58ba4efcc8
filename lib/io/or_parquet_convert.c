/*
 * or_parquet_convert.c - one Parquet event file straight into an event
 * store file (`ottorec convert` with a single Parquet input), on every core.
 *
 * The store's columns lie where the session count puts them, so it goes in
 * two passes over the row groups, each spread over the threads:
 *   1. the session column alone (about 6 % of an OTTO file): runs of equal
 *      ids per row group; joined across row groups they give the session
 *      count and where each row group's sessions go, with the ids-once
 *      rule checked;
 *   2. aid, ts and type of each row group, checked as the builder checks
 *      them (ranges, time order inside each session), converted in
 *      batches that stay in cache and written (pwrite) into their places
 *      in the sized output file (or_store_direct), with the row group's
 *      session ids and offsets from its runs; the sections are
 *      checksummed in file order as row groups are done, while their
 *      bytes are still in cache.
 * No column is held in memory whole (13 bytes per event less than
 * or_store_builder), nothing is copied twice, and the result is byte for
 * byte the store the builder writes.  Whenever the file breaks a rule or
 * cannot be read this way, the reader of or_parquet_ingest.c runs instead,
 * so errors (and their messages, naming the first bad row) are exactly
 * its.  Hand-written for the reasons in or_parquet.h.
 */
#include "or_parquet.h"
#include "or_parquet_internal.h"
#include "or_cpu.h"
#include "or_idset.h"
#include "or_par.h"
#include "or_store_direct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* small enough that the batch's 64-bit values stay in L2 between decoding
   and conversion */
#define CV_BATCH ((size_t)1 << 14)
#define CV_FALLBACK (-1) /* not an or_err code: run the builder's reader */

/* The loops declared CV_LOOP are built twice where or_cpu.h builds SIMD
   code (baseline x86-64 has no 64-bit vector compares; AVX2 has): as they
   are, and inlined into name_avx2, built for AVX2 by CV_AVX2; CV(name,
   args) calls the one this CPU runs.  The same integers either way. */
#define CV_LOOP static inline __attribute__((always_inline))
#ifdef OR_SIMD_X86
#define CV_AVX2(type, name, params, args) \
	OR_TARGET("avx2") static type name##_avx2 params { return name args; }
#define CV_AVX2_VOID(name, params, args) \
	OR_TARGET("avx2") static void name##_avx2 params { name args; }
#define CV(name, args) (or_cpu_has(OR_CPU_AVX2) ? name##_avx2 args : name args)
#else
#define CV_AVX2(type, name, params, args)
#define CV_AVX2_VOID(name, params, args)
#define CV(name, args) (name args)
#endif

enum { S = OR_PQ_EV_SESSION, A = OR_PQ_EV_AID, T = OR_PQ_EV_TS, Y = OR_PQ_EV_TYPE };

/* runs of equal session ids in one row group: their lengths while pass 1
   reads them, then the file row each starts at */
typedef struct cv_runs {
	int64_t *id;
	uint64_t *start;
	size_t n, cap;
	int increasing;      /* each run's id above the one before */
} cv_runs;

typedef struct cv {
	const or_parquet_file *f;
	const char *path;
	int li[OR_PQ_N_EVCOLS];
	int ts_unit;
	int64_t ts_div, mul, ts_hi;
	uint64_t *row0;      /* [n_rg + 1]: first row of each row group */
	cv_runs *runs;       /* [n_rg], from pass 1 */
	uint8_t *cont;       /* [n_rg]: its first run goes on with the session before */
	size_t *sfirst;      /* [n_rg + 1]: the first session that starts in it */
	int64_t *first_ts, *last_ts; /* [n_rg], ms */
	uint8_t *done;       /* [n_rg]: pass 2 wrote the row group (atomic) */
	size_t hash_next;    /* the row groups before it are checksummed (atomic) */
	uint8_t hashing;     /* a thread is checksumming (atomic flag) */
	size_t ns;
	or_store_direct *w;
	/* totals, under the critical section */
	uint64_t n_type[3];
	int64_t ts_min, ts_max;
	uint32_t aid_max;
} cv;

/* thread-local buffers: decoded values or dictionary indices, the
   dictionaries in the store's types, and a batch's rows as the store holds
   them (written to the file from here) */
typedef struct cv_buf {
	or_parquet_col col[OR_PQ_N_EVCOLS];
	int64_t *v[OR_PQ_N_EVCOLS];
	uint8_t *def[OR_PQ_N_EVCOLS];
	uint32_t *idx;
	uint8_t *flag;       /* CV_BATCH + 64 bytes of flags, one per row */
	void *tdict[OR_PQ_N_EVCOLS];
	size_t tcap[OR_PQ_N_EVCOLS];
	uint64_t tgen[OR_PQ_N_EVCOLS]; /* the col's dict_gen tdict was made from */
	int tok[OR_PQ_N_EVCOLS];       /* every entry of tdict keeps the rules */
	uint32_t *aid;
	int64_t *ts;
	uint8_t *type;
} cv_buf;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void buf_free(cv_buf *b)
{
	for (int k = 0; k < OR_PQ_N_EVCOLS; k++) {
		or_parquet_col_release(&b->col[k]);
		free(b->v[k]);
		free(b->def[k]);
		free(b->tdict[k]);
	}
	free(b->idx);
	free(b->flag);
	free(b->aid);
	free(b->ts);
	free(b->type);
}

static int buf_init(cv_buf *b)
{
	memset(b, 0, sizeof(*b));
	int bad = 0;
	for (int k = 0; k < OR_PQ_N_EVCOLS; k++) {
		b->v[k] = malloc(CV_BATCH * sizeof(int64_t));
		b->def[k] = malloc(CV_BATCH);
		bad |= !b->v[k] || !b->def[k];
	}
	b->aid = malloc(CV_BATCH * sizeof(*b->aid));
	b->ts = malloc(CV_BATCH * sizeof(*b->ts));
	b->type = malloc(CV_BATCH);
	b->idx = malloc(CV_BATCH * sizeof(*b->idx));
	b->flag = calloc(CV_BATCH + 64, 1);
	bad |= !b->aid || !b->ts || !b->type || !b->idx || !b->flag;
	if (bad) {
		buf_free(b);
		return -1;
	}
	return 0;
}

/* 1 when column k handed out a null slot in the current row group (the
   column reader counts them; no pass over the levels needed) */
static int has_nulls(const cv_buf *b, int k)
{
	return b->col[k].nulls != 0;
}

static int open_col(cv *c, cv_buf *b, int k, size_t rg)
{
	or_err e;
	return or_parquet_col_open(&b->col[k], c->f, rg, (size_t)c->li[k],
				   k == Y ? or_parquet_type_word : NULL, &e) ? CV_FALLBACK : OR_OK;
}

/* ---- pass 1: the session column --------------------------------------------- */

static int runs_push(cv_runs *r, int64_t id, uint64_t len)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		int64_t *a = realloc(r->id, cap * sizeof(*a));
		if (!a)
			return -1;
		r->id = a;
		uint64_t *l = realloc(r->start, cap * sizeof(*l));
		if (!l)
			return -1;
		r->start = l;
		r->cap = cap;
	}
	r->id[r->n] = id;
	r->start[r->n] = len;
	r->n++;
	return 0;
}

/* The runs' lengths into the rows they start at (the row group's first
   row is row0); whether their ids go up. */
static void runs_finish(cv_runs *r, uint64_t row0)
{
	uint64_t at = row0;
	r->increasing = 1;
	for (size_t i = 0; i < r->n; i++) {
		uint64_t len = r->start[i];
		r->start[i] = at;
		at += len;
		if (i && r->id[i] <= r->id[i - 1])
			r->increasing = 0;
	}
}

/* flag[i] = 1 where row i's key differs from row i - 1's (i >= 1), and 64
   zero bytes after flag[n - 1]; keys are the ids (v) or their dictionary
   indices (idx) */
CV_LOOP void flag_changes64(const int64_t *restrict v, size_t n, uint8_t *restrict flag)
{
	OMP(omp simd)
	for (size_t i = 1; i < n; i++)
		flag[i] = v[i] != v[i - 1];
	memset(flag + n, 0, 64);
}
CV_AVX2_VOID(flag_changes64, (const int64_t *restrict v, size_t n, uint8_t *restrict flag),
	     (v, n, flag))

CV_LOOP void flag_changes32(const uint32_t *restrict idx, size_t n, uint8_t *restrict flag)
{
	OMP(omp simd)
	for (size_t i = 1; i < n; i++)
		flag[i] = idx[i] != idx[i - 1];
	memset(flag + n, 0, 64);
}
CV_AVX2_VOID(flag_changes32, (const uint32_t *restrict idx, size_t n, uint8_t *restrict flag),
	     (idx, n, flag))

/* len rows of id `id` onto r: a run of their own, or more
   of r's last run when it has the same id.  CV_FALLBACK for a negative id. */
static inline int runs_put(cv_runs *r, int64_t id, size_t len)
{
	if (id < 0)
		return CV_FALLBACK;
	if (r->n && r->id[r->n - 1] == id) {
		r->start[r->n - 1] += len;
		return OR_OK;
	}
	return runs_push(r, id, len) ? OR_ENOMEM : OR_OK;
}

/* 64 flags (bytes 0 or 1) as the bits of a word, flag i as bit i: a
   multiply gathers each byte's low bit into the top byte */
static inline uint64_t flag_bits(const uint8_t *f)
{
	uint64_t m = 0;
	for (int q = 0; q < 8; q++) {
		uint64_t x;
		memcpy(&x, f + 8 * q, 8);
		m |= (x * 0x0102040810204080ULL) >> 56 << (8 * q);
	}
	return m;
}

/* The runs of n rows onto r, each row's id being v[i], or dict[idx[i]]
   when idx is given.  The changes of key are flagged in one vectorised
   loop, then found 64 flags at a time; equal ids under different indices
   still make one run (runs_put). */
static int runs_add(cv_runs *r, const int64_t *v, const uint32_t *idx, const int64_t *dict,
		    size_t n, uint8_t *flag)
{
	if (idx)
		CV(flag_changes32, (idx, n, flag));
	else
		CV(flag_changes64, (v, n, flag));
	flag[0] = 0;
	size_t from = 0;
	int rc;
	for (size_t w = 0; w < n; w += 64) {
		for (uint64_t bits = flag_bits(flag + w); bits; bits &= bits - 1) {
			size_t at = w + (size_t)__builtin_ctzll(bits);
			if ((rc = runs_put(r, idx ? dict[idx[from]] : v[from], at - from)))
				return rc;
			from = at;
		}
	}
	return runs_put(r, idx ? dict[idx[from]] : v[from], n - from);
}

static int pass_sessions(cv *c, cv_buf *b, size_t rg)
{
	int rc = open_col(c, b, S, rg);
	if (rc)
		return rc;
	cv_runs *r = &c->runs[rg];
	or_parquet_col *col = &b->col[S];
	uint64_t rows = 0;
	for (;;) {
		size_t got;
		or_err e;
		/* dictionary pages by their indices, others by value */
		if (or_parquet_col_read_idx(col, b->idx, CV_BATCH, &got, &e))
			return CV_FALLBACK;
		if (got) {
			rc = runs_add(r, NULL, b->idx, col->dict, got, b->flag);
		} else {
			if (or_parquet_col_read(col, b->v[S], b->def[S], NULL, CV_BATCH, &got, &e))
				return CV_FALLBACK;
			if (got == 0)
				break;
			if (has_nulls(b, S))
				return CV_FALLBACK;
			rc = runs_add(r, b->v[S], NULL, NULL, got, b->flag);
		}
		if (rc)
			return rc;
		rows += got;
	}
	if (rows != (uint64_t)c->f->rg_rows[rg])
		return CV_FALLBACK;
	runs_finish(r, c->row0[rg]);
	return OR_OK;
}

/* Every session id once (ids that do not go up); CV_FALLBACK when one is
   repeated. */
static int ids_once(const cv *c)
{
	or_idset seen;
	memset(&seen, 0, sizeof(seen));
	if (or_idset_init(&seen, c->ns * 2))
		return OR_ENOMEM;
	int rc = OR_OK;
	for (size_t rg = 0; rg < c->f->n_rg && !rc; rg++) {
		const cv_runs *r = &c->runs[rg];
		for (size_t i = c->cont[rg]; i < r->n && !rc; i++) {
			int added = or_idset_add(&seen, r->id[i]);
			rc = added < 0 ? OR_ENOMEM : added == 0 ? CV_FALLBACK : OR_OK;
		}
	}
	or_idset_release(&seen);
	return rc;
}

/* Lay the sessions out from the runs of all row groups: a row group's
   first run goes on with the session before when its id is the same; every
   other run starts a session.  Ids must appear once: while they go up a
   comparison shows it, else a set of them. */
static int layout_sessions(cv *c)
{
	const or_parquet_file *f = c->f;
	size_t ns = 0;
	int have = 0, increasing = 1;
	int64_t last = 0;
	for (size_t rg = 0; rg < f->n_rg; rg++) {
		const cv_runs *r = &c->runs[rg];
		c->sfirst[rg] = ns;
		if (r->n == 0)
			continue;
		c->cont[rg] = have && r->id[0] == last;
		if (have && !c->cont[rg] && r->id[0] <= last)
			increasing = 0;
		increasing &= r->increasing;
		ns += r->n - c->cont[rg];
		have = 1;
		last = r->id[r->n - 1];
	}
	c->sfirst[f->n_rg] = ns;
	c->ns = ns;
	return increasing ? OR_OK : ids_once(c);
}

/* ---- pass 2: aid, ts, type -------------------------------------------------- */

typedef struct cv_stats {
	uint64_t n_type[3];
	int64_t ts_min, ts_max;
	uint32_t aid_max;
} cv_stats;

/* ---- values into the store's types: 1 when one breaks the builder's rules -- */

CV_LOOP int conv_aid(const int64_t *restrict v, size_t n, uint32_t *restrict out)
{
	uint64_t acc = 0;
	OMP(omp simd reduction(|:acc))
	for (size_t i = 0; i < n; i++) {
		acc |= (uint64_t)v[i];
		out[i] = (uint32_t)v[i];
	}
	return acc > OR_AID_MAX; /* negative ones too */
}
CV_AVX2(int, conv_aid, (const int64_t *restrict v, size_t n, uint32_t *restrict out), (v, n, out))

CV_LOOP int conv_type(const int64_t *restrict v, size_t n, uint8_t *restrict out)
{
	uint64_t bad = 0;
	OMP(omp simd reduction(|:bad))
	for (size_t i = 0; i < n; i++) {
		bad |= (uint64_t)v[i] > 2;
		out[i] = (uint8_t)v[i];
	}
	return bad != 0;
}
CV_AVX2(int, conv_type, (const int64_t *restrict v, size_t n, uint8_t *restrict out), (v, n, out))

CV_LOOP int conv_ts_mul(const int64_t *restrict v, size_t n, uint64_t mul, uint64_t hi,
			int64_t *restrict out)
{
	uint64_t bad = 0;
	OMP(omp simd reduction(|:bad))
	for (size_t i = 0; i < n; i++) {
		bad |= (uint64_t)v[i] > hi; /* negative ones too */
		out[i] = (int64_t)((uint64_t)v[i] * mul);
	}
	return bad != 0;
}
CV_AVX2(int, conv_ts_mul, (const int64_t *restrict v, size_t n, uint64_t mul, uint64_t hi,
			   int64_t *restrict out), (v, n, mul, hi, out))

/* ts: seconds times 1000, micro- and nanoseconds divided down (whole
   milliseconds only) */
static int conv_ts(const cv *c, const int64_t *v, size_t n, int64_t *out)
{
	if (CV(conv_ts_mul, (v, n, (uint64_t)c->mul, (uint64_t)c->ts_hi, out)))
		return 1;
	if (c->ts_div > 1)
		for (size_t i = 0; i < n; i++) {
			if (v[i] % c->ts_div)
				return 1;
			out[i] = v[i] / c->ts_div;
		}
	return 0;
}

/* bytes of a value of column k in the store */
static const size_t cv_elem[OR_PQ_N_EVCOLS] = { 8, 4, 8, 1 };

static int conv(const cv *c, int k, const int64_t *v, size_t n, void *out)
{
	return k == A ? CV(conv_aid, (v, n, out)) : k == Y ? CV(conv_type, (v, n, out)) : conv_ts(c, v, n, out);
}

/* ---- column k of a batch, straight into the store's type ------------------ */

/* Column k's current dictionary in the store's type (made once per
   dictionary); b->tok[k] says whether every entry keeps the rules. */
static int typed_dict(const cv *c, cv_buf *b, int k)
{
	const or_parquet_col *col = &b->col[k];
	if (b->tgen[k] == col->dict_gen)
		return OR_OK;
	size_t need = col->dict_n ? col->dict_n : 1;
	if (need > b->tcap[k]) {
		void *t = realloc(b->tdict[k], need * cv_elem[k]);
		if (!t)
			return OR_ENOMEM;
		b->tdict[k] = t;
		b->tcap[k] = need;
	}
	b->tok[k] = !conv(c, k, col->dict, col->dict_n, b->tdict[k]);
	b->tgen[k] = col->dict_gen;
	return OR_OK;
}

/* out[i] = dict[idx[i]] for values of e bytes */
static void gather(size_t e, const void *dict, const uint32_t *restrict idx, size_t n,
		   void *out)
{
	if (e == 1) {
		const uint8_t *d = dict;
		uint8_t *o = out;
		for (size_t i = 0; i < n; i++)
			o[i] = d[idx[i]];
	} else if (e == 4) {
		const uint32_t *d = dict;
		uint32_t *o = out;
		for (size_t i = 0; i < n; i++)
			o[i] = d[idx[i]];
	} else {
		const int64_t *d = dict;
		int64_t *o = out;
		for (size_t i = 0; i < n; i++)
			o[i] = d[idx[i]];
	}
}

/* got values of column k by their dictionary indices (b->idx) into out */
static int from_dict(const cv *c, cv_buf *b, int k, size_t got, void *out)
{
	int rc = typed_dict(c, b, k);
	if (rc)
		return rc;
	if (b->tok[k]) {
		gather(cv_elem[k], b->tdict[k], b->idx, got, out);
		return OR_OK;
	}
	/* an entry breaks a rule: only those in use count */
	const int64_t *d = b->col[k].dict;
	for (size_t i = 0; i < got; i++)
		b->v[k][i] = d[b->idx[i]];
	return conv(c, k, b->v[k], got, out) ? CV_FALLBACK : OR_OK;
}

CV_LOOP int any_above2(const uint8_t *restrict v, size_t n)
{
	unsigned bad = 0;
	OMP(omp simd reduction(|:bad))
	for (size_t i = 0; i < n; i++)
		bad |= v[i] > 2;
	return bad != 0;
}
CV_AVX2(int, any_above2, (const uint8_t *restrict v, size_t n), (v, n))

/* The next n rows of column k into out, in the store's type: type pages
   with a small dictionary as bytes straight away, other pages with a
   dictionary through the typed dictionary, the rest value by value.
   CV_FALLBACK when a value breaks a rule or is null, or the column ends
   early. */
static int col_fill(const cv *c, cv_buf *b, int k, size_t n, void *out)
{
	or_parquet_col *col = &b->col[k];
	uint8_t *o = out;
	size_t have = 0;
	while (have < n) {
		size_t got = 0;
		or_err e;
		if (k == Y) {
			if (or_parquet_col_read_u8(col, o + have, n - have, &got, &e))
				return CV_FALLBACK;
			if (got && CV(any_above2, (o + have, got)))
				return CV_FALLBACK; /* 0xff: a bad index or value */
			have += got;
			if (got)
				continue;
		}
		if (or_parquet_col_read_idx(col, b->idx, n - have, &got, &e))
			return CV_FALLBACK;
		int rc;
		if (got) {
			rc = from_dict(c, b, k, got, o + have * cv_elem[k]);
		} else {
			if (or_parquet_col_read(col, b->v[k], b->def[k], NULL, n - have, &got, &e))
				return CV_FALLBACK;
			rc = got == 0 || has_nulls(b, k) ? CV_FALLBACK
			     : conv(c, k, b->v[k], got, o + have * cv_elem[k]) ? CV_FALLBACK : OR_OK;
		}
		if (rc)
			return rc;
		have += got;
	}
	return OR_OK;
}

/* ---- a batch: totals, time order, writing --------------------------------- */

/* what a batch adds to the totals (ts's extremes are found from the
   session bounds, check_batch) */
typedef struct cv_sums {
	uint64_t n1, n2;
	uint32_t amax;
} cv_sums;

CV_LOOP void batch_sums(const uint32_t *restrict aid, const uint8_t *restrict type, size_t n,
			cv_sums *m)
{
	uint32_t n1 = 0, n2 = 0; /* n <= CV_BATCH */
	uint32_t amax = m->amax;
	OMP(omp simd reduction(max:amax))
	for (size_t i = 0; i < n; i++)
		amax = aid[i] > amax ? aid[i] : amax;
	OMP(omp simd reduction(+:n1, n2))
	for (size_t i = 0; i < n; i++) {
		n1 += type[i] == 1;
		n2 += type[i] == 2;
	}
	m->n1 = n1;
	m->n2 = n2;
	m->amax = amax;
}
CV_AVX2_VOID(batch_sums, (const uint32_t *restrict aid, const uint8_t *restrict type, size_t n,
			  cv_sums *m), (aid, type, n, m))

/* 1 when ts goes back from one row to the next where no session starts
   (start[i] flags row i) */
CV_LOOP int goes_back(const int64_t *restrict ts, const uint8_t *restrict start, size_t n)
{
	int bad = 0;
	OMP(omp simd reduction(|:bad))
	for (size_t i = 1; i < n; i++)
		bad |= (ts[i] < ts[i - 1]) & !start[i];
	return bad;
}
CV_AVX2(int, goes_back, (const int64_t *restrict ts, const uint8_t *restrict start, size_t n),
	(ts, start, n))

/* The batch of n rows at file row `row` (in b, converted): time order
   inside each session, and the totals.  Run *j of r holds row `row`; each
   later run starts a session.  b->flag is all zeros between calls.  With
   the order checked, each stretch of a session in the batch has its
   smallest ts first and its largest last, so only those are compared. */
static int check_batch(cv_buf *b, size_t n, uint64_t row, size_t *j, int *has_prev,
		       int64_t *prev, cv_stats *st, const cv_runs *r)
{
	const int64_t *ts = b->ts;
	size_t j0 = *j;
	for (; *j + 1 < r->n && r->start[*j + 1] < row + n; ++*j)
		b->flag[r->start[*j + 1] - row] = 1;
	int bad = CV(goes_back, (ts, b->flag, n));
	if (*has_prev && !b->flag[0])
		bad |= ts[0] < *prev;
	int64_t tmin = ts[0] < st->ts_min ? ts[0] : st->ts_min;
	int64_t tmax = ts[n - 1] > st->ts_max ? ts[n - 1] : st->ts_max;
	for (size_t k = j0 + 1; k <= *j; k++) {
		size_t at = (size_t)(r->start[k] - row);
		b->flag[at] = 0;
		tmin = ts[at] < tmin ? ts[at] : tmin;
		if (at)
			tmax = ts[at - 1] > tmax ? ts[at - 1] : tmax;
	}
	if (bad)
		return CV_FALLBACK;
	*has_prev = 1;
	*prev = ts[n - 1];
	cv_sums m = { 0, 0, st->aid_max };
	CV(batch_sums, (b->aid, b->type, n, &m));
	st->n_type[0] += n - m.n1 - m.n2;
	st->n_type[1] += m.n1;
	st->n_type[2] += m.n2;
	st->aid_max = m.amax;
	st->ts_min = tmin;
	st->ts_max = tmax;
	return OR_OK;
}

/* The sessions that start in row group rg into the store file: their ids
   and first rows (the runs, less one that goes on with the session
   before); the last offset, the row count, comes with the layout. */
static int write_sessions(cv *c, size_t rg)
{
	const cv_runs *r = &c->runs[rg];
	size_t skip = c->cont[rg], n = r->n - skip;
	or_err e;
	if (n == 0)
		return OR_OK;
	return or_store_direct_put(c->w, 0, c->sfirst[rg], r->id + skip, n, &e) ||
	       or_store_direct_put(c->w, 1, c->sfirst[rg], r->start + skip, n, &e) ? CV_FALLBACK
											: OR_OK;
}

/* The batch of n rows at file row `row` into the store file. */
static int write_batch(cv *c, const cv_buf *b, size_t rg, size_t n, uint64_t row)
{
	or_err e;
	if (or_store_direct_put(c->w, 2, row, b->aid, n, &e) ||
	    or_store_direct_put(c->w, 3, row, b->ts, n, &e) ||
	    or_store_direct_put(c->w, 4, row, b->type, n, &e))
		return CV_FALLBACK;
	/* the next row group in file order: checksummed from the batch while
	   it is in cache (hash_ready then finds it done) */
	if (__atomic_load_n(&c->hash_next, __ATOMIC_SEQ_CST) == rg &&
	    !__atomic_test_and_set(&c->hashing, __ATOMIC_SEQ_CST)) {
		or_store_direct_hash_data(c->w, 2, row, b->aid, n);
		or_store_direct_hash_data(c->w, 3, row, b->ts, n);
		or_store_direct_hash_data(c->w, 4, row, b->type, n);
		__atomic_clear(&c->hashing, __ATOMIC_SEQ_CST);
	}
	return OR_OK;
}

static int pass_events(cv *c, cv_buf *b, size_t rg, cv_stats *st)
{
	for (int k = A; k <= Y; k++) {
		int rc = open_col(c, b, k, rg);
		if (rc)
			return rc;
	}
	uint64_t row = c->row0[rg], end = c->row0[rg + 1];
	const cv_runs *r = &c->runs[rg];
	size_t j = 0;
	int has_prev = 0;
	int64_t prev = 0;
	while (row < end) {
		size_t n = end - row < CV_BATCH ? (size_t)(end - row) : CV_BATCH;
		int rc = col_fill(c, b, A, n, b->aid);
		if (!rc)
			rc = col_fill(c, b, T, n, b->ts);
		if (!rc)
			rc = col_fill(c, b, Y, n, b->type);
		if (!rc)
			rc = check_batch(b, n, row, &j, &has_prev, &prev, st, r);
		if (!rc)
			rc = write_batch(c, b, rg, n, row);
		if (rc)
			return rc;
		if (row == c->row0[rg])
			c->first_ts[rg] = b->ts[0];
		row += n;
	}
	/* no column holds more values than the row group has rows */
	for (int k = A; k <= Y; k++)
		if (b->col[k].values_left || b->col[k].page_left)
			return CV_FALLBACK;
	c->last_ts[rg] = prev;
	return write_sessions(c, rg);
}

/* Checksum the row groups that are written and follow those checksummed
   already, while they are still in cache: whichever thread finishes the
   next row group in file order does it (the section checksums run over
   the file in order).  A thread that finds another at it leaves; that one
   looks again before it stops, so no row group is left for commit. */
static void hash_ready(cv *c)
{
	const size_t n_rg = c->f->n_rg;
	for (;;) {
		if (__atomic_test_and_set(&c->hashing, __ATOMIC_SEQ_CST))
			return;
		size_t from = __atomic_load_n(&c->hash_next, __ATOMIC_SEQ_CST), n = from;
		while (n < n_rg && __atomic_load_n(&c->done[n], __ATOMIC_SEQ_CST))
			n++;
		if (n > from) {
			or_store_direct_hash(c->w, 0, c->sfirst[n]);
			or_store_direct_hash(c->w, 1, n == n_rg ? c->ns + 1 : c->sfirst[n]);
			for (int k = 2; k <= 4; k++)
				or_store_direct_hash(c->w, k, c->row0[n]);
			__atomic_store_n(&c->hash_next, n, __ATOMIC_SEQ_CST);
		}
		__atomic_clear(&c->hashing, __ATOMIC_SEQ_CST);
		if (n == n_rg || !__atomic_load_n(&c->done[n], __ATOMIC_SEQ_CST))
			return;
	}
}

/* Sessions that run across row groups: in time order there too. */
static int check_joins(const cv *c)
{
	const or_parquet_file *f = c->f;
	int have = 0;
	int64_t last = 0;
	for (size_t rg = 0; rg < f->n_rg; rg++) {
		if (c->row0[rg + 1] == c->row0[rg])
			continue;
		if (have && c->cont[rg] && c->first_ts[rg] < last)
			return CV_FALLBACK;
		have = 1;
		last = c->last_ts[rg];
	}
	return OR_OK;
}

/* ---- the two passes ------------------------------------------------------------ */

/* Run pass (1 sessions, 2 events) over every row group on every thread. */
static int run_pass(cv *c, int pass, const or_log *log)
{
	const or_parquet_file *f = c->f;
	int failed = OR_PAR_OK, code = OR_OK; /* code: of the failure recorded */
	size_t done = 0;
	int threads = or_par_threads(0);
	(void)threads; /* unused without OpenMP */
	OMP(omp parallel num_threads(threads) if (threads > 1))
	{
		int tid = or_par_thread_num();
		cv_buf b;
		int ok = buf_init(&b) == 0;
		if (!ok && or_par_fail(&failed, OR_PAR_FAILED))
			code = OR_ENOMEM;
		cv_stats st = { { 0, 0, 0 }, INT64_MAX, INT64_MIN, 0 };
		OMP(omp for schedule(dynamic, 1))
		for (size_t rg = 0; rg < f->n_rg; rg++) {
			if (!ok || or_par_stop(&failed, log))
				continue;
			int rc = pass == 1 ? pass_sessions(c, &b, rg) : pass_events(c, &b, rg, &st);
			if (pass == 2)
				or_parquet_drop_pages(f, rg);
			if (pass == 2 && !rc) {
				__atomic_store_n(&c->done[rg], 1, __ATOMIC_SEQ_CST);
				hash_ready(c);
			}
			if (rc) {
				if (or_par_fail(&failed, OR_PAR_FAILED))
					code = rc;
				continue;
			}
			or_par_done(&done, (size_t)(c->row0[rg + 1] - c->row0[rg]), tid, log,
				    pass == 1 ? "read sessions" : "convert", (size_t)c->row0[f->n_rg], "rows");
		}
		if (ok)
			buf_free(&b);
		OMP(omp critical(cv_stats))
		{
			for (int k = 0; k < 3; k++)
				c->n_type[k] += st.n_type[k];
			c->ts_min = st.ts_min < c->ts_min ? st.ts_min : c->ts_min;
			c->ts_max = st.ts_max > c->ts_max ? st.ts_max : c->ts_max;
			c->aid_max = st.aid_max > c->aid_max ? st.aid_max : c->aid_max;
		}
	}
	if (failed == OR_PAR_CANCELLED)
		return OR_ECANCELLED;
	return failed ? (code ? code : CV_FALLBACK) : OR_OK;
}

/* The ts unit under auto: the first row's ts decides, as for CSV. */
static int decide_unit(cv *c)
{
	const or_parquet_file *f = c->f;
	if (c->ts_unit != OR_TS_AUTO)
		return OR_OK;
	for (size_t rg = 0; rg < f->n_rg; rg++) {
		if (f->rg_rows[rg] <= 0)
			continue;
		or_parquet_col col;
		memset(&col, 0, sizeof(col));
		int64_t v;
		uint8_t d;
		size_t got = 0;
		or_err e;
		int rc = or_parquet_col_open(&col, f, rg, (size_t)c->li[T], NULL, &e);
		if (!rc)
			rc = or_parquet_col_read(&col, &v, &d, NULL, 1, &got, &e);
		or_parquet_col_release(&col);
		if (rc || got != 1 || (f->leaf[c->li[T]].max_def && d != f->leaf[c->li[T]].max_def))
			return CV_FALLBACK;
		c->ts_unit = or_ts_unit_guess(v);
		return OR_OK;
	}
	return CV_FALLBACK; /* no rows */
}

static int convert_fast(cv *c, const char *out_path, const or_ingest_config *cfg,
			const or_log *log, double *t_cols, or_err *err)
{
	const or_parquet_file *f = c->f;
	or_err e;
	if (or_parquet_events_columns(f, c->path, cfg, c->li, &c->ts_unit, &c->ts_div, &e))
		return CV_FALLBACK;
	c->row0 = calloc(f->n_rg + 1, sizeof(*c->row0));
	c->runs = calloc(f->n_rg ? f->n_rg : 1, sizeof(*c->runs));
	c->cont = calloc(f->n_rg ? f->n_rg : 1, 1);
	c->sfirst = calloc(f->n_rg + 1, sizeof(*c->sfirst));
	c->first_ts = calloc(f->n_rg ? f->n_rg : 1, sizeof(*c->first_ts));
	c->last_ts = calloc(f->n_rg ? f->n_rg : 1, sizeof(*c->last_ts));
	c->done = calloc(f->n_rg ? f->n_rg : 1, 1);
	if (!c->row0 || !c->runs || !c->cont || !c->sfirst || !c->first_ts || !c->last_ts || !c->done)
		return CV_FALLBACK;
	for (size_t rg = 0; rg < f->n_rg; rg++) {
		if (f->rg_rows[rg] < 0)
			return CV_FALLBACK;
		c->row0[rg + 1] = c->row0[rg] + (uint64_t)f->rg_rows[rg];
	}
	if (c->row0[f->n_rg] == 0 || c->row0[f->n_rg] > ((uint64_t)1 << 40))
		return CV_FALLBACK;
	int rc = decide_unit(c);
	if (rc)
		return rc;
	c->mul = c->ts_unit == OR_TS_S ? 1000 : 1;
	c->ts_hi = OR_TS_MAX_MS / c->mul > INT64_MAX / c->ts_div ? INT64_MAX
		   : OR_TS_MAX_MS / c->mul * c->ts_div;
	double t0 = now_s();
	if ((rc = run_pass(c, 1, log)) || (rc = layout_sessions(c)))
		return rc == OR_ECANCELLED ? rc : CV_FALLBACK;
	if (or_store_direct_open(&c->w, out_path, c->ns, c->row0[f->n_rg], &e))
		return CV_FALLBACK;
	/* the offsets end with the row count; pass 2 writes the rest */
	if (or_store_direct_put(c->w, 1, c->ns, &c->row0[f->n_rg], 1, &e))
		return CV_FALLBACK;
	c->ts_min = INT64_MAX;
	c->ts_max = INT64_MIN;
	if ((rc = run_pass(c, 2, log)) || (rc = check_joins(c)))
		return rc == OR_ECANCELLED ? rc : CV_FALLBACK;
	*t_cols = now_s() - t0;
	or_store_direct *w = c->w;
	c->w = NULL;
	return or_store_direct_commit(w, c->n_type, c->ts_min, c->ts_max, c->aid_max + 1, log, err);
}

int or_parquet_is_file(const char *path)
{
	unsigned char head[4];
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	size_t n = fread(head, 1, sizeof(head), fp);
	fclose(fp);
	return or_parquet_magic(head, n);
}

int or_parquet_convert(const char *path, const char *out_path, const or_ingest_config *cfg,
		       const or_log *log, or_parquet_convert_info *info, or_err *err)
{
	memset(info, 0, sizeof(*info));
	double t0 = now_s();
	or_parquet_file *f;
	int rc = or_parquet_open(path, &f, err);
	if (rc)
		return rc;
	cv c;
	memset(&c, 0, sizeof(c));
	c.f = f;
	c.path = path;
	double t_cols = 0;
	rc = convert_fast(&c, out_path, cfg, log, &t_cols, err);
	or_store_direct_abort(c.w);
	for (size_t rg = 0; c.runs && rg < f->n_rg; rg++) {
		free(c.runs[rg].id);
		free(c.runs[rg].start);
	}
	free(c.runs);
	free(c.row0);
	free(c.cont);
	free(c.sfirst);
	free(c.first_ts);
	free(c.last_ts);
	free(c.done);
	or_parquet_close(f);
	if (rc == OR_OK) {
		info->n_sessions = c.ns;
		info->n_events = (size_t)(c.n_type[0] + c.n_type[1] + c.n_type[2]);
		info->read_seconds = t_cols;
		info->direct = 1;
		return OR_OK;
	}
	if (rc == OR_ECANCELLED)
		return or_err_set(err, OR_ECANCELLED, "interrupted");
	if (rc != CV_FALLBACK)
		return rc; /* writing the store failed; err says why */
	/* the reader that names the first bad row, into the builder */
	or_store_builder *b;
	if ((rc = or_store_builder_new(&b, err)))
		return rc;
	rc = or_parquet_ingest(b, path, cfg, log, err);
	info->read_seconds = now_s() - t0;
	if (!rc)
		rc = or_store_builder_write(b, out_path, log, err);
	info->n_sessions = or_store_builder_n_sessions(b);
	info->n_events = or_store_builder_n_events(b);
	or_store_builder_free(b);
	return rc;
}
