/*
 * or_covisit.c - counting co-visitation matrices by item-range parts with
 * per-thread hash tables, the top-K cut, and the table file with its item
 * dictionary (write, mmap open, verify).  The rule and the format are
 * documented in or_covisit.h.
 */
#include "or_covisit.h"
#include "or_par.h"
#include "or_sfile.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define EMPTY_KEY UINT64_MAX
#define AID_MASK 0x7fffffffull

struct or_covisit {
	unsigned kind;
	uint32_t n_items, top_k, last_n;
	int64_t window_s;
	uint64_t n_entries;
	double type_weight[3];
	int64_t ts_min_s, ts_max_s;
	uint32_t flags;
	const uint64_t *off;
	const uint32_t *nb;
	const double *w;
	const or_items *items; /* own_items, or another table's (or_covisit_open_like) */
	or_items *own_items;   /* over its own copy (built) or the mapped section */
	/* owned storage (built) or the file (opened: f.map set) */
	uint64_t *own_off;
	uint32_t *own_nb;
	double *own_w;
	or_sfile f;
};

const char *or_covisit_kind_name(unsigned kind)
{
	static const char *const names[] = { "clicks", "carts_orders", "buy2buy" };
	return kind < OR_COVISIT_N_KINDS ? names[kind] : NULL;
}

void or_covisit_config_default(or_covisit_config *cfg, unsigned kind)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = kind;
	cfg->last_n = 30;
	cfg->window_s = kind == OR_COVISIT_BUY2BUY ? 14 * 86400 : 86400;
	cfg->top_k = kind == OR_COVISIT_CLICKS ? 20 : 15;
	cfg->type_weight[0] = 1;
	cfg->type_weight[1] = 6;
	cfg->type_weight[2] = 3;
	cfg->mem_budget = (size_t)8 << 30;
	cfg->threads = 0;
}

/* ---- the session window --------------------------------------------------- */

/* The session's events in ts-descending order (seconds; equal seconds keep
   store order), buy2buy keeping carts and orders only, cut to last_n.
   Returns the count written to wa/wt/wy (room for last_n). */
static size_t session_window(const or_session *s, int buys_only, uint32_t last_n,
			     uint32_t *wa, int64_t *wt, uint8_t *wy)
{
	size_t L = 0, end = s->n;
	while (end > 0 && L < last_n) {
		int64_t t = s->ts[end - 1] / 1000;
		size_t beg = end - 1;
		while (beg > 0 && s->ts[beg - 1] / 1000 == t)
			beg--;
		for (size_t k = beg; k < end && L < last_n; k++) {
			if (buys_only && s->type[k] == OR_CLICKS)
				continue;
			wa[L] = s->aid[k];
			wt[L] = t;
			wy[L] = s->type[k];
			L++;
		}
		end = beg;
	}
	return L;
}

/* ---- per-thread scratch: the per-session dedup set ------------------------- */

typedef struct scratch {
	uint64_t *set_key;
	uint32_t *set_gen;
	size_t set_mask;
	uint32_t gen;
} scratch;

static void scratch_free(scratch *sc)
{
	free(sc->set_key);
	free(sc->set_gen);
	memset(sc, 0, sizeof(*sc));
}

static int scratch_init(scratch *sc, uint32_t last_n)
{
	memset(sc, 0, sizeof(*sc));
	size_t need = (size_t)last_n * last_n * 2, cap = 64;
	while (cap < need)
		cap <<= 1;
	sc->set_key = malloc(cap * sizeof(*sc->set_key));
	sc->set_gen = calloc(cap, sizeof(*sc->set_gen));
	sc->set_mask = cap - 1;
	if (!sc->set_key || !sc->set_gen) {
		scratch_free(sc);
		return -1;
	}
	return 0;
}

static inline uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* 1 when key is new in this session's set (then it is added). */
static inline int set_insert(scratch *sc, uint64_t key)
{
	size_t i = (size_t)mix64(key) & sc->set_mask;
	for (;;) {
		if (sc->set_gen[i] != sc->gen) {
			sc->set_gen[i] = sc->gen;
			sc->set_key[i] = key;
			return 1;
		}
		if (sc->set_key[i] == key)
			return 0;
		i = (i + 1) & sc->set_mask;
	}
}

static inline void set_reset(scratch *sc)
{
	if (++sc->gen == 0) {
		memset(sc->set_gen, 0, (sc->set_mask + 1) * sizeof(*sc->set_gen));
		sc->gen = 1;
	}
}

/* ---- the pair table: open addressing, (a << 31 | b) -> up to 2 weights ------ */

typedef struct slot {
	uint64_t key;
	double w[2];
} slot;

typedef struct pair_table {
	slot *s;
	size_t mask, n, limit, bytes;
} pair_table;

/* Tables and rows are big and touched at random: map them with transparent
   huge pages where the kernel allows (fewer TLB misses).  Zero-filled. */
static void *big_alloc(size_t b)
{
	if (b == 0)
		b = 1;
	void *p = mmap(NULL, b, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (b >= ((size_t)4 << 20))
		madvise(p, b, MADV_HUGEPAGE);
#endif
	return p;
}

static void big_free(void *p, size_t b)
{
	if (p)
		munmap(p, b ? b : 1);
}

static slot *slots_alloc(size_t n, size_t *bytes)
{
	*bytes = n * sizeof(slot);
	return big_alloc(*bytes);
}

static void table_free(pair_table *t)
{
	big_free(t->s, t->bytes);
	t->s = NULL;
}

static int table_init(pair_table *t, size_t cap)
{
	size_t c = 1024;
	while (c < cap)
		c <<= 1;
	t->s = slots_alloc(c, &t->bytes);
	if (!t->s)
		return -1;
	memset(t->s, 0xff, c * sizeof(slot)); /* every key EMPTY_KEY */
	t->mask = c - 1;
	t->n = 0;
	t->limit = c / 4 * 3;
	return 0;
}

static inline size_t table_hash(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static int table_grow(pair_table *t)
{
	pair_table nt;
	if (table_init(&nt, (t->mask + 1) * 2))
		return -1;
	for (size_t i = 0; i <= t->mask; i++) {
		if (t->s[i].key == EMPTY_KEY)
			continue;
		size_t j = table_hash(t->s[i].key, nt.mask);
		while (nt.s[j].key != EMPTY_KEY)
			j = (j + 1) & nt.mask;
		nt.s[j] = t->s[i];
	}
	nt.n = t->n;
	table_free(t);
	*t = nt;
	return 0;
}

static inline int table_add(pair_table *t, uint64_t key, double w0, double w1)
{
	size_t i = table_hash(key, t->mask);
	for (;;) {
		slot *p = &t->s[i];
		if (p->key == key) {
			p->w[0] += w0;
			p->w[1] += w1;
			return 0;
		}
		if (p->key == EMPTY_KEY) {
			p->key = key;
			p->w[0] = w0;
			p->w[1] = w1;
			if (++t->n > t->limit)
				return table_grow(t);
			return 0;
		}
		i = (i + 1) & t->mask;
	}
}

/* ---- the top-K rows ------------------------------------------------------ */

static inline int better(double w1, uint32_t b1, double w2, uint32_t b2)
{
	return w1 > w2 || (w1 == w2 && b1 < b2);
}

/* Offer (b, w) to row a kept sorted best-first in nb/w with room for k. */
static inline void row_offer(uint32_t *cnt, uint32_t *nb, double *wt, uint32_t k,
			     uint32_t b, double w)
{
	uint32_t n = *cnt;
	if (n == k && !better(w, b, wt[n - 1], nb[n - 1]))
		return;
	uint32_t i = n < k ? n : k - 1;
	while (i > 0 && better(w, b, wt[i - 1], nb[i - 1])) {
		nb[i] = nb[i - 1];
		wt[i] = wt[i - 1];
		i--;
	}
	nb[i] = b;
	wt[i] = w;
	if (n < k)
		*cnt = n + 1;
}

/* ---- building ------------------------------------------------------------ */

/* the rows under construction of one kind: n_items x top_k */
typedef struct top_rows {
	uint32_t k;
	size_t cells;
	uint32_t *n, *b;
	double *w;
} top_rows;

/* the windows of all sessions, compact (see build_windows) */
typedef struct windows {
	uint64_t *off;   /* n + 1 */
	uint32_t *aid;   /* item indices */
	int32_t *ts;     /* seconds since ts_min */
	uint8_t *type;
	size_t n, cap;
} windows;

#define BATCH 4096
#define PREFETCH_AHEAD 12

typedef struct build_ctx {
	or_store *const *stores;
	size_t n_stores;
	const or_covisit_config *cfg[2]; /* kinds counted in this pass (1 or 2) */
	int nk;
	int buys_only, per_type;
	uint32_t last_n;
	int64_t window_s;
	int64_t ts_min_s;
	double span;     /* ts_max_s - ts_min_s, 0 when empty */
	const or_items *items;
	uint32_t n_items;
	uint64_t total_sessions;
	top_rows top[2];
	windows win;
	int failed; /* the team's failure flag (or_par.h) */
	const or_log *log;
} build_ctx;

static inline double pair_weight(const build_ctx *bc, const or_covisit_config *cfg,
				 int64_t ts_i, uint8_t type_j)
{
	switch (cfg->kind) {
	case OR_COVISIT_CLICKS:
		if (bc->span <= 0)
			return 1.0;
		return 1.0 + (double)(3 * (ts_i - bc->ts_min_s)) / bc->span;
	case OR_COVISIT_CARTS_ORDERS:
		return cfg->type_weight[type_j];
	default:
		return 1.0;
	}
}

typedef struct pending {
	uint64_t key;
	double w0, w1;
} pending;

/* Add the batched pairs in order, prefetching the slots a few pairs ahead. */
static int flush(pair_table *t, pending *pb, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(&t->s[table_hash(pb[i + PREFETCH_AHEAD].key, t->mask)], 1, 3);
		if (table_add(t, pb[i].key, pb[i].w0, pb[i].w1))
			return -1;
	}
	return 0;
}

/* Scan every window and add the pairs whose a is in [lo, hi) to t.
   Returns 0, or -1 on allocation failure / cancellation (bc->failed set). */
static int scan_range(build_ctx *bc, scratch *sc, pending *pb, pair_table *t, uint32_t lo,
		      uint32_t hi, int report, uint64_t *n_pairs)
{
	uint64_t pairs = 0;
	size_t np = 0;
	const windows *W = &bc->win;
	for (size_t i = 0; i < W->n; i++) {
		if ((i & 4095) == 0) {
			if (or_par_stop(&bc->failed, bc->log))
				return -1;
			if (report)
				or_log_progress(bc->log, "covisit", (double)i, (double)W->n, "windows");
		}
		const uint32_t *wa = W->aid + W->off[i];
		const int32_t *wt = W->ts + W->off[i];
		const uint8_t *wy = W->type + W->off[i];
		size_t L = (size_t)(W->off[i + 1] - W->off[i]);
		int any = 0;
		for (size_t x = 0; x < L; x++)
			if (wa[x] >= lo && wa[x] < hi) {
				any = 1;
				break;
			}
		if (!any)
			continue;
		set_reset(sc);
		for (size_t x = 0; x < L; x++) {
			uint32_t a = wa[x];
			if (a < lo || a >= hi)
				continue;
			int64_t tx = wt[x];
			for (size_t y = 0; y < L; y++) {
				uint32_t b = wa[y];
				if (b == a)
					continue;
				int64_t d = tx - wt[y];
				if (d < 0)
					d = -d;
				if (d >= bc->window_s)
					continue;
				uint64_t key = (uint64_t)a << 31 | b;
				uint64_t skey = bc->per_type ? key | (uint64_t)wy[y] << 62 : key;
				if (!set_insert(sc, skey))
					continue;
				if (np == BATCH) {
					if (flush(t, pb, np)) {
						or_par_fail(&bc->failed, OR_PAR_FAILED);
						return -1;
					}
					np = 0;
				}
				pb[np].key = key;
				pb[np].w0 = pair_weight(bc, bc->cfg[0], tx + bc->ts_min_s, wy[y]);
				pb[np].w1 = bc->nk > 1 ? pair_weight(bc, bc->cfg[1], tx + bc->ts_min_s, wy[y]) : 0.0;
				np++;
				pairs++;
			}
		}
	}
	if (flush(t, pb, np)) {
		or_par_fail(&bc->failed, OR_PAR_FAILED);
		return -1;
	}
	*n_pairs += pairs;
	return 0;
}

static void extract_topk(build_ctx *bc, const pair_table *t)
{
	for (int q = 0; q < bc->nk; q++) {
		top_rows *r = &bc->top[q];
		uint32_t k = r->k;
		for (size_t i = 0; i <= t->mask; i++) {
			/* rows are met in hash order: prefetch the row of a slot
			   a few places ahead */
			if (i + PREFETCH_AHEAD <= t->mask) {
				uint64_t k2 = t->s[i + PREFETCH_AHEAD].key;
				if (k2 != EMPTY_KEY) {
					size_t a2 = (size_t)(k2 >> 31);
					__builtin_prefetch(&r->n[a2], 1, 3);
					__builtin_prefetch(r->w + a2 * k + k - 1, 1, 3);
					__builtin_prefetch(r->b + a2 * k + k - 1, 1, 3);
				}
			}
			uint64_t key = t->s[i].key;
			if (key == EMPTY_KEY)
				continue;
			uint32_t a = (uint32_t)(key >> 31), b = (uint32_t)(key & AID_MASK);
			row_offer(&r->n[a], r->b + (size_t)a * k, r->w + (size_t)a * k, k, b, t->s[i].w[q]);
		}
	}
}

static int nomem(or_err *err, const char *what)
{
	return or_err_set(err, OR_ENOMEM, "out of memory (%s)", what);
}

/* A table's own dictionary over a copy of aids[0..n) (NULL: 0..n-1). */
static int items_own(const uint32_t *aids, size_t n, or_items **out, or_err *err)
{
	uint32_t *copy = malloc((n ? n : 1) * sizeof(*copy));
	if (!copy)
		return nomem(err, "item dictionary");
	for (size_t i = 0; i < n; i++)
		copy[i] = aids ? aids[i] : (uint32_t)i;
	return or_items_new(copy, n, 1, "co-visitation table", out, err);
}

static int items_copy(const or_items *it, or_items **out, or_err *err)
{
	return items_own(or_items_aids(it), or_items_count(it), out, err);
}

/* The windows of every session with at least 2 (store order), compact:
   item, ts in seconds since ts_min, type.  Also checks offsets, aids, types. */
static int build_windows(build_ctx *bc, or_err *err)
{
	windows *W = &bc->win;
	size_t cap = 0, ns_all = 0;
	for (size_t si = 0; si < bc->n_stores; si++) {
		const or_store *st = bc->stores[si];
		size_t ns = or_store_n_sessions(st);
		const uint64_t *off = or_store_offsets(st); /* checked at open */
		for (size_t i = 0; i < ns; i++) {
			size_t n = (size_t)(off[i + 1] - off[i]);
			cap += n < bc->last_n ? n : bc->last_n;
		}
		ns_all += ns;
	}
	W->off = malloc((ns_all + 1) * sizeof(*W->off));
	W->aid = big_alloc(cap * sizeof(*W->aid));
	W->ts = big_alloc(cap * sizeof(*W->ts));
	W->type = big_alloc(cap);
	W->cap = cap;
	uint32_t *wa = malloc(bc->last_n * sizeof(*wa));
	uint32_t *wi = malloc(bc->last_n * sizeof(*wi));
	int64_t *wt = malloc(bc->last_n * sizeof(*wt));
	uint8_t *wy = malloc(bc->last_n);
	int rc = OR_OK;
	if (!W->off || !W->aid || !W->ts || !W->type || !wa || !wi || !wt || !wy)
		rc = nomem(err, "windows");
	size_t at = 0, nw = 0;
	if (!rc)
		W->off[0] = 0;
	/* the one pass over the stores: their checksums as it goes */
	or_store_check *chk = rc ? NULL : or_store_check_new((const or_store *const *)bc->stores, bc->n_stores, OR_STORE_CHECK_ALL);
	for (size_t si = 0; !rc && si < bc->n_stores; si++) {
		const or_store *st = bc->stores[si];
		size_t ns = or_store_n_sessions(st);
		for (size_t i = 0; i < ns; i++) {
			if ((i & 65535) == 0 && or_log_cancelled(bc->log)) {
				rc = or_err_set(err, OR_ECANCELLED, "cancelled");
				break;
			}
			if ((i & 4095) == 0)
				or_store_check_read(chk, si, i);
			or_session s;
			or_store_session(st, i, &s);
			size_t L = session_window(&s, bc->buys_only, bc->last_n, wa, wt, wy);
			if (L < 2)
				continue;
			or_items_index_many(bc->items, wa, L, wi);
			for (size_t x = 0; x < L; x++) {
				if (wi[x] == OR_ITEM_NONE || wy[x] > 2) {
					rc = wy[x] > 2 ? or_err_set(err, OR_EFORMAT,
								    "%s: session %zu has type %u out of range (damaged store)",
								    or_store_path(st), i, wy[x])
						       : or_err_set(err, OR_EFORMAT,
								    "%s: session %zu has aid %u, not in the store's item dictionary (damaged store)",
								    or_store_path(st), i, wa[x]);
					break;
				}
				W->aid[at] = wi[x];
				W->ts[at] = (int32_t)(wt[x] - bc->ts_min_s);
				W->type[at] = wy[x];
				at++;
			}
			if (rc)
				break;
			W->off[++nw] = at;
		}
		or_store_check_read(chk, si, ns);
		or_store_evict(st, 0, or_store_n_events(st));
	}
	rc = or_store_check_end(chk, rc, err);
	W->n = nw;
	free(wa);
	free(wi);
	free(wt);
	free(wy);
	return rc;
}

static void windows_free(windows *W)
{
	free(W->off);
	big_free(W->aid, W->cap * sizeof(*W->aid));
	big_free(W->ts, W->cap * sizeof(*W->ts));
	big_free(W->type, W->cap);
	memset(W, 0, sizeof(*W));
}

/* Upper bound of the kept pairs of each item: the pairs (x, y) of its
   windows with a != b inside the time window (before the per-session
   dedup).  Threads count disjoint windows into their own arrays. */
static int bound_pairs(build_ctx *bc, uint64_t *bound, int T, or_err *err)
{
	const windows *W = &bc->win;
	size_t nb = (size_t)bc->n_items + 1;
	uint64_t *tb = calloc(nb * (size_t)T, sizeof(*tb));
	if (!tb)
		return nomem(err, "pair bounds");
	OMP(omp parallel num_threads(T))
	{
		uint64_t *my = tb + (size_t)or_par_thread_num() * nb;
		OMP(omp for schedule(dynamic, 4096))
		for (size_t i = 0; i < W->n; i++) {
			const uint32_t *wa = W->aid + W->off[i];
			const int32_t *wt = W->ts + W->off[i];
			size_t L = (size_t)(W->off[i + 1] - W->off[i]);
			for (size_t x = 0; x < L; x++) {
				uint64_t c = 0;
				for (size_t y = 0; y < L; y++) {
					int64_t d = (int64_t)wt[x] - wt[y];
					c += wa[y] != wa[x] && d < bc->window_s && -d < bc->window_s;
				}
				my[wa[x]] += c;
			}
		}
	}
	for (int t = 0; t < T; t++)
		for (size_t a = 0; a < nb; a++)
			bound[a] += tb[(size_t)t * nb + a];
	free(tb);
	return or_log_cancelled(bc->log) ? or_err_set(err, OR_ECANCELLED, "cancelled") : OR_OK;
}

static int check_config(const or_covisit_config *cfg, or_err *err)
{
	if (!cfg || cfg->kind >= OR_COVISIT_N_KINDS || cfg->last_n < 1 || cfg->last_n > 4096 ||
	    cfg->top_k < 1 || cfg->top_k > 100000 || cfg->window_s < 0)
		return or_err_set(err, OR_EINVAL, "bad co-visitation configuration");
	for (int i = 0; i < 3; i++)
		if (!(cfg->type_weight[i] == cfg->type_weight[i]))
			return or_err_set(err, OR_EINVAL, "type weight is not a number");
	return OR_OK;
}

static int pairing_dedup_type(const or_covisit_config *c)
{
	return c->kind == OR_COVISIT_CARTS_ORDERS && c->dedup_per_type;
}

/* Count nk (1 or 2) kinds that pair sessions the same way in one pass,
   in the items of `items` (the union of the stores' dictionaries). */
static int build_pass(or_store *const *stores, size_t n_stores, const or_items *items,
		      const or_covisit_config **cfgs, int nk, or_covisit **outs,
		      or_covisit_stats *stats, const or_log *log, or_err *err)
{
	build_ctx bc;
	memset(&bc, 0, sizeof(bc));
	bc.stores = stores;
	bc.n_stores = n_stores;
	bc.items = items;
	bc.n_items = (uint32_t)or_items_count(items);
	bc.nk = nk;
	for (int q = 0; q < nk; q++)
		bc.cfg[q] = cfgs[q];
	bc.buys_only = cfgs[0]->kind == OR_COVISIT_BUY2BUY;
	bc.per_type = pairing_dedup_type(cfgs[0]);
	bc.last_n = cfgs[0]->last_n;
	bc.window_s = cfgs[0]->window_s;
	bc.log = log;
	int have_ts = 0;
	int64_t tmin = 0, tmax = 0;
	for (size_t i = 0; i < n_stores; i++) {
		const or_store *st = stores[i];
		bc.total_sessions += or_store_n_sessions(st);
		if (or_store_n_events(st) == 0)
			continue;
		int64_t a = or_store_ts_min(st) / 1000, b = or_store_ts_max(st) / 1000;
		if (!have_ts || a < tmin)
			tmin = a;
		if (!have_ts || b > tmax)
			tmax = b;
		have_ts = 1;
	}
	bc.ts_min_s = tmin;
	bc.span = (double)(tmax - tmin);

	or_covisit *tabs_out[2] = { NULL, NULL };
	uint64_t *bound = calloc((size_t)bc.n_items + 1, sizeof(*bound));
	int rc = bound ? OR_OK : nomem(err, "pair bounds");
	for (int q = 0; !rc && q < nk; q++) {
		size_t cells = 0;
		top_rows *r = &bc.top[q];
		r->k = cfgs[q]->top_k;
		tabs_out[q] = calloc(1, sizeof(or_covisit));
		if (!tabs_out[q] || or_size_mul((size_t)bc.n_items, r->k, &cells)) {
			rc = nomem(err, "co-visitation rows");
			break;
		}
		r->cells = cells;
		r->n = big_alloc(((size_t)bc.n_items + 1) * sizeof(*r->n));
		r->b = big_alloc(cells * sizeof(*r->b));
		r->w = big_alloc(cells * sizeof(*r->w));
		if (!r->n || !r->b || !r->w)
			rc = nomem(err, "co-visitation rows");
	}
	int T = or_par_threads(cfgs[0]->threads);
	if (!rc && tmax - tmin > INT32_MAX)
		rc = or_err_set(err, OR_EUNSUPPORTED, "the data span more than 68 years");
	if (!rc)
		rc = build_windows(&bc, err);
	if (!rc)
		rc = bound_pairs(&bc, bound, T, err);

	/* parts: consecutive item ranges whose tables fit the budget: a table
	   starts at the next power of two >= 3/4 of its bound, 24-byte slots,
	   so at most 36 bytes per bounded pair until it would have to grow */
	uint64_t per_part = cfgs[0]->mem_budget / 36;
	if (per_part < 1024)
		per_part = 1024;
	uint32_t parts = 0;
	uint64_t n_pairs = 0, n_distinct = 0, max_table = 0;
	uint32_t lo = 0;
	while (!rc && lo < bc.n_items) {
		uint32_t hi = lo;
		uint64_t sum = 0;
		while (hi < bc.n_items && (hi == lo || sum + bound[hi] <= per_part))
			sum += bound[hi++];
		parts++;
		/* split [lo, hi) into T sub-ranges of about equal bound */
		uint32_t *cut = malloc(((size_t)T + 1) * sizeof(*cut));
		uint64_t *sub_bound = calloc((size_t)T, sizeof(*sub_bound));
		if (!cut || !sub_bound) {
			free(cut);
			free(sub_bound);
			rc = nomem(err, "parts");
			break;
		}
		cut[0] = lo;
		uint64_t acc = 0;
		int c = 1;
		for (uint32_t a = lo; a < hi && c < T; a++) {
			acc += bound[a];
			if (acc * (uint64_t)T >= sum * (uint64_t)c)
				cut[c++] = a + 1;
		}
		while (c <= T)
			cut[c++] = hi;
		for (int s = 0; s < T; s++)
			for (uint32_t a = cut[s]; a < cut[s + 1]; a++)
				sub_bound[s] += bound[a];
		uint64_t part_pairs = 0, part_distinct = 0, part_bytes = 0;
		OMP(omp parallel num_threads(T) reduction(+ : part_pairs, part_distinct, part_bytes))
		{
			int tid = or_par_thread_num(), nth = or_par_num_threads();
			scratch sc;
			pending *pb = malloc(BATCH * sizeof(*pb));
			if (!pb || scratch_init(&sc, bc.last_n)) {
				or_par_fail(&bc.failed, OR_PAR_FAILED);
			} else {
				for (int s = tid; s < T && !or_par_failed(&bc.failed); s += nth) {
					if (cut[s] == cut[s + 1])
						continue;
					pair_table tab;
					memset(&tab, 0, sizeof(tab));
					/* sized to need no growth when the distinct pairs
					   are <= 3/4 of the bound (usual: repeats) */
					if (table_init(&tab, (size_t)(sub_bound[s] / 4 * 3))) {
						or_par_fail(&bc.failed, OR_PAR_FAILED);
						break;
					}
					uint64_t p = 0;
					if (scan_range(&bc, &sc, pb, &tab, cut[s], cut[s + 1], tid == 0, &p) == 0) {
						part_pairs += p;
						part_distinct += tab.n;
						part_bytes += tab.bytes;
						extract_topk(&bc, &tab);
					}
					table_free(&tab);
				}
				scratch_free(&sc);
			}
			free(pb);
		}
		free(cut);
		free(sub_bound);
		if (bc.failed) {
			rc = bc.failed == OR_PAR_CANCELLED ? or_err_set(err, OR_ECANCELLED, "cancelled")
							   : nomem(err, "pair tables");
			break;
		}
		n_pairs += part_pairs;
		n_distinct += part_distinct;
		if (part_bytes > max_table)
			max_table = part_bytes;
		lo = hi;
	}
	free(bound);
	windows_free(&bc.win);

	/* compact the rows */
	for (int q = 0; !rc && q < nk; q++) {
		top_rows *r = &bc.top[q];
		or_covisit *t = tabs_out[q];
		const or_covisit_config *cfg = cfgs[q];
		uint64_t n = 0;
		for (uint32_t a = 0; a < bc.n_items; a++)
			n += r->n[a];
		t->own_off = malloc(((size_t)bc.n_items + 1) * sizeof(*t->own_off));
		t->own_nb = malloc((n ? n : 1) * sizeof(*t->own_nb));
		t->own_w = malloc((n ? n : 1) * sizeof(*t->own_w));
		if (!t->own_off || !t->own_nb || !t->own_w) {
			rc = nomem(err, "table");
			break;
		}
		rc = items_copy(items, &t->own_items, err);
		if (rc)
			break;
		t->items = t->own_items;
		uint64_t at = 0;
		for (uint32_t a = 0; a < bc.n_items; a++) {
			t->own_off[a] = at;
			uint32_t m = r->n[a];
			if (m) {
				memcpy(t->own_nb + at, r->b + (size_t)a * r->k, m * sizeof(uint32_t));
				memcpy(t->own_w + at, r->w + (size_t)a * r->k, m * sizeof(double));
			}
			at += m;
		}
		t->own_off[bc.n_items] = at;
		t->n_entries = n;
		t->kind = cfg->kind;
		t->n_items = bc.n_items;
		t->top_k = cfg->top_k;
		t->last_n = cfg->last_n;
		t->window_s = cfg->window_s;
		memcpy(t->type_weight, cfg->type_weight, sizeof(t->type_weight));
		t->ts_min_s = tmin;
		t->ts_max_s = tmax;
		t->flags = pairing_dedup_type(cfg) ? 1u : 0u;
		t->off = t->own_off;
		t->nb = t->own_nb;
		t->w = t->own_w;
		if (stats) {
			stats[q].sessions = bc.total_sessions;
			stats[q].pairs = n_pairs;
			stats[q].distinct = n_distinct;
			stats[q].entries = n;
			stats[q].parts = parts;
			stats[q].table_bytes = max_table;
		}
	}
	for (int q = 0; q < nk; q++) {
		big_free(bc.top[q].n, ((size_t)bc.n_items + 1) * sizeof(uint32_t));
		big_free(bc.top[q].b, bc.top[q].cells * sizeof(uint32_t));
		big_free(bc.top[q].w, bc.top[q].cells * sizeof(double));
		if (rc)
			or_covisit_free(tabs_out[q]);
		else
			outs[q] = tabs_out[q];
	}
	return rc;
}

int or_covisit_build(or_store *const *stores, size_t n_stores,
		     const or_covisit_config *cfg, or_covisit **out,
		     or_covisit_stats *stats, const or_log *log, or_err *err)
{
	*out = NULL;
	return or_covisit_build_many(stores, n_stores, cfg, 1, out, stats, log, err);
}

/* two kinds pair sessions identically (same pairs, other weights) */
static int same_pairing(const or_covisit_config *x, const or_covisit_config *y)
{
	return x->last_n == y->last_n && x->window_s == y->window_s &&
	       (x->kind == OR_COVISIT_BUY2BUY) == (y->kind == OR_COVISIT_BUY2BUY) &&
	       pairing_dedup_type(x) == pairing_dedup_type(y) && x->threads == y->threads &&
	       x->mem_budget == y->mem_budget;
}

int or_covisit_build_many(or_store *const *stores, size_t n_stores,
			  const or_covisit_config *cfgs, size_t n_cfgs, or_covisit **outs,
			  or_covisit_stats *stats, const or_log *log, or_err *err)
{
	for (size_t i = 0; i < n_cfgs; i++)
		outs[i] = NULL;
	int rc = OR_OK;
	for (size_t i = 0; !rc && i < n_cfgs; i++)
		rc = check_config(&cfgs[i], err);
	int *done = calloc(n_cfgs ? n_cfgs : 1, sizeof(*done));
	if (!rc && !done)
		rc = nomem(err, "configurations");
	/* one dictionary for every table of the call */
	or_items *items = NULL;
	if (!rc)
		rc = or_items_from_stores(stores, n_stores, &items, err);
	for (size_t i = 0; !rc && i < n_cfgs; i++) {
		if (done[i])
			continue;
		const or_covisit_config *pass[2] = { &cfgs[i], NULL };
		size_t idx[2] = { i, 0 };
		int nk = 1;
		for (size_t j = i + 1; j < n_cfgs && nk < 2; j++)
			if (!done[j] && same_pairing(&cfgs[i], &cfgs[j])) {
				pass[1] = &cfgs[j];
				idx[1] = j;
				nk = 2;
			}
		or_covisit *o[2] = { NULL, NULL };
		or_covisit_stats st[2];
		memset(st, 0, sizeof(st));
		rc = build_pass(stores, n_stores, items, pass, nk, o, st, log, err);
		for (int q = 0; !rc && q < nk; q++) {
			outs[idx[q]] = o[q];
			done[idx[q]] = 1;
			if (stats)
				stats[idx[q]] = st[q];
		}
	}
	free(done);
	or_items_free(items);
	if (rc)
		for (size_t i = 0; i < n_cfgs; i++) {
			or_covisit_free(outs[i]);
			outs[i] = NULL;
		}
	return rc;
}

int or_covisit_from_rows(unsigned kind, const uint32_t *aids, uint32_t n_items, uint32_t top_k,
			 const uint64_t *off, const uint32_t *nb, const double *w,
			 or_covisit **out, or_err *err)
{
	*out = NULL;
	if (kind >= OR_COVISIT_N_KINDS || top_k < 1 || off[0] != 0)
		return or_err_set(err, OR_EINVAL, "bad table rows");
	for (uint32_t a = 0; a < n_items; a++)
		if (off[a + 1] < off[a] || off[a + 1] - off[a] > top_k)
			return or_err_set(err, OR_EINVAL, "row %u: bad offsets", a);
	uint64_t n = off[n_items];
	for (uint64_t j = 0; j < n; j++)
		if (nb[j] >= n_items)
			return or_err_set(err, OR_EINVAL, "entry %llu: item %u beyond the table",
					  (unsigned long long)j, nb[j]);
	or_covisit *t = calloc(1, sizeof(*t));
	if (!t)
		return nomem(err, "table");
	int rc = items_own(aids, n_items, &t->own_items, err);
	if (rc) {
		free(t);
		return rc;
	}
	t->items = t->own_items;
	t->own_off = malloc(((size_t)n_items + 1) * sizeof(*t->own_off));
	t->own_nb = malloc((n ? n : 1) * sizeof(*t->own_nb));
	t->own_w = malloc((n ? n : 1) * sizeof(*t->own_w));
	if (!t->own_off || !t->own_nb || !t->own_w) {
		or_covisit_free(t);
		return nomem(err, "table");
	}
	memcpy(t->own_off, off, ((size_t)n_items + 1) * sizeof(*off));
	if (n) {
		memcpy(t->own_nb, nb, n * sizeof(*nb));
		memcpy(t->own_w, w, n * sizeof(*w));
	}
	t->kind = kind;
	t->n_items = n_items;
	t->top_k = top_k;
	t->n_entries = n;
	t->off = t->own_off;
	t->nb = t->own_nb;
	t->w = t->own_w;
	*out = t;
	return OR_OK;
}

/* ---- accessors ------------------------------------------------------------ */

unsigned or_covisit_kind(const or_covisit *t) { return t->kind; }
uint32_t or_covisit_n_items(const or_covisit *t) { return t->n_items; }
uint32_t or_covisit_top_k(const or_covisit *t) { return t->top_k; }
uint64_t or_covisit_n_entries(const or_covisit *t) { return t->n_entries; }

uint64_t or_covisit_file_checksum(const or_covisit *t)
{
	return t->f.map ? t->f.h.header_checksum : 0;
}
const or_items *or_covisit_items(const or_covisit *t) { return t->items; }

int or_covisit_shared_items(const or_covisit *const *t, size_t n, const or_items **out,
			    or_err *err)
{
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!t[i])
			continue;
		if (!*out)
			*out = t[i]->items;
		else if (!or_items_equal(*out, t[i]->items))
			return or_err_set(err, OR_EINVAL,
					  "the co-visitation tables hold different item dictionaries (tables of different `ottorec covisit` runs)");
	}
	return OR_OK;
}

size_t or_covisit_row(const or_covisit *t, uint64_t i, const uint32_t **nb,
		      const double **w)
{
	if (i >= t->n_items) {
		*nb = NULL;
		*w = NULL;
		return 0;
	}
	uint64_t b = t->off[i], e = t->off[i + 1];
	*nb = t->nb + b;
	*w = t->w + b;
	return (size_t)(e - b);
}

size_t or_covisit_prefetch_row(const or_covisit *t, uint64_t i, size_t max, int with_weights)
{
	const uint32_t *nb;
	const double *w;
	size_t len = or_covisit_row(t, i, &nb, &w), n = len < max ? len : max;
	for (size_t j = 0; j < n; j += 16) /* 16 items a cache line */
		__builtin_prefetch(nb + j);
	for (size_t j = 0; with_weights && j < n; j += 8)
		__builtin_prefetch(w + j);
	return len;
}

void or_covisit_free(or_covisit *t)
{
	if (!t)
		return;
	or_items_free(t->own_items); /* before the mapping it may borrow */
	or_sfile_release(&t->f);
	free(t->own_off);
	free(t->own_nb);
	free(t->own_w);
	free(t);
}

/* ---- the file ------------------------------------------------------------- */

/* The file's fields (or_covisit.h gives their offsets: 32 + these). */
typedef struct covisit_meta {
	uint32_t kind, n_items, top_k, last_n;
	int64_t window_s;
	uint64_t n_entries;
	double type_weight[3];
	int64_t ts_min_s, ts_max_s;
	uint32_t flags, reserved;
} covisit_meta;
OR_SFILE_META_FITS(covisit_meta);
_Static_assert(offsetof(covisit_meta, n_items) == 36 - 32 &&
	       offsetof(covisit_meta, window_s) == 48 - 32 &&
	       offsetof(covisit_meta, type_weight) == 64 - 32 &&
	       offsetof(covisit_meta, flags) == 104 - 32, "or_covisit.h's layout");

enum { SEC_OFF, SEC_NB, SEC_W, SEC_ITEMS, N_SECTIONS };
static const char *const sec_names[N_SECTIONS] = { "row offsets", "neighbours", "weights",
						   "item dictionary" };
static const or_sfile_format covisit_format = {
	.magic = "OTTOCOVI", .version = OR_COVISIT_VERSION, .align = 4096,
	.n_sections = N_SECTIONS, .section_names = sec_names, .what = "co-visitation table",
	.rebuild = "rebuild it with `ottorec covisit`",
};

int or_covisit_write(const or_covisit *t, const char *path, or_err *err)
{
	const void *data[N_SECTIONS] = { t->off, t->nb, t->w, or_items_aids(t->items) };
	const uint64_t bytes[N_SECTIONS] = { ((uint64_t)t->n_items + 1) * 8, t->n_entries * 4,
					     t->n_entries * 8, (uint64_t)t->n_items * 4 };
	covisit_meta m = {
		.kind = t->kind, .n_items = t->n_items, .top_k = t->top_k, .last_n = t->last_n,
		.window_s = t->window_s, .n_entries = t->n_entries, .ts_min_s = t->ts_min_s,
		.ts_max_s = t->ts_max_s, .flags = t->flags,
	};
	memcpy(m.type_weight, t->type_weight, sizeof(m.type_weight));
	or_sfile_writer *w;
	int rc = or_sfile_writer_open(&w, path, &covisit_format, bytes, OR_SFILE_STREAM, err);
	if (rc)
		return rc;
	for (unsigned i = 0; !rc && i < N_SECTIONS; i++)
		rc = or_sfile_writer_append(w, i, data[i], (size_t)bytes[i], err);
	if (rc) {
		or_sfile_writer_abort(w);
		return rc;
	}
	return or_sfile_writer_commit(w, &m, sizeof(m), NULL, err);
}

/* The dictionary of t (its mapped section): like's when given and equal,
   else its own over the section.  A dictionary that fails either check is
   named by its section's checksum when that is what is wrong. */
static int open_items(or_covisit *t, const or_covisit *like, or_err *err)
{
	const uint32_t *aids = or_sfile_section_data(&t->f, SEC_ITEMS);
	int rc;
	if (!like) {
		rc = or_items_new(aids, t->n_items, 0, t->f.path, &t->own_items, err);
		t->items = t->own_items;
	} else if (t->n_items != like->n_items ||
		   (t->n_items &&
		    memcmp(aids, or_items_aids(like->items), (size_t)t->n_items * 4) != 0)) {
		rc = or_err_set(err, OR_EFORMAT,
				"%s: its item dictionary differs from that of the tables it is opened with (tables of different `ottorec covisit` runs); rebuild them together with `ottorec covisit`",
				t->f.path);
	} else {
		t->items = like->items;
		rc = OR_OK;
	}
	if (rc == OR_EFORMAT) {
		int v = or_sfile_verify_section(&t->f, SEC_ITEMS, err);
		if (v)
			return v;
	}
	return rc;
}

int or_covisit_open(const char *path, or_covisit **out, or_err *err)
{
	return or_covisit_open_like(path, NULL, out, err);
}

int or_covisit_open_like(const char *path, const or_covisit *like, or_covisit **out, or_err *err)
{
	*out = NULL;
	or_covisit *t = calloc(1, sizeof(*t));
	if (!t)
		return nomem(err, "table");
	int rc = or_sfile_open(&t->f, path, &covisit_format, err);
	covisit_meta m;
	if (!rc) {
		or_sfile_meta(&t->f, &m, sizeof(m));
		if (m.kind >= OR_COVISIT_N_KINDS || m.top_k < 1 || m.n_entries > ((uint64_t)1 << 40) ||
		    m.n_items > (uint64_t)OR_AID_MAX + 1)
			rc = or_sfile_damaged(&t->f, err, "bad kind, top_k, entry or item count");
	}
	if (!rc)
		rc = or_sfile_expect(&t->f, SEC_OFF, (uint64_t)m.n_items + 1, 8, err);
	if (!rc)
		rc = or_sfile_expect(&t->f, SEC_NB, m.n_entries, 4, err);
	if (!rc)
		rc = or_sfile_expect(&t->f, SEC_W, m.n_entries, 8, err);
	if (!rc)
		rc = or_sfile_expect(&t->f, SEC_ITEMS, m.n_items, 4, err);
	if (!rc) {
		t->kind = m.kind;
		t->n_items = m.n_items;
		t->top_k = m.top_k;
		t->last_n = m.last_n;
		t->window_s = m.window_s;
		t->n_entries = m.n_entries;
		memcpy(t->type_weight, m.type_weight, sizeof(t->type_weight));
		t->ts_min_s = m.ts_min_s;
		t->ts_max_s = m.ts_max_s;
		t->flags = m.flags;
		t->off = or_sfile_section_data(&t->f, SEC_OFF);
		t->nb = or_sfile_section_data(&t->f, SEC_NB);
		t->w = or_sfile_section_data(&t->f, SEC_W);
		if (t->off[0] != 0 || t->off[t->n_items] != t->n_entries)
			rc = or_sfile_damaged(&t->f, err, "row offsets do not run from 0 to the entry count");
	}
	if (!rc)
		rc = open_items(t, like, err);
	if (rc) {
		or_covisit_free(t);
		return rc;
	}
	*out = t;
	return OR_OK;
}

int or_covisit_verify(const or_covisit *t, or_err *err)
{
	if (!t->f.map)
		return OR_OK;
	int rc = or_sfile_verify(&t->f, NULL, err);
	if (rc)
		return rc;
	for (uint32_t a = 0; a < t->n_items; a++) {
		if (t->off[a] > t->off[a + 1] || t->off[a + 1] - t->off[a] > t->top_k)
			return or_sfile_damaged(&t->f, err, "row %u has bad offsets", a);
		for (uint64_t j = t->off[a]; j < t->off[a + 1]; j++)
			if (t->nb[j] >= t->n_items)
				return or_sfile_damaged(&t->f, err, "row %u names item %u beyond the table", a, t->nb[j]);
	}
	or_sfile_drop_resident(&t->f); /* read back as rows are asked for */
	return OR_OK;
}
