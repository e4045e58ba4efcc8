/*
 * or_cand_next.c - the training period's next-item table (the "sequential
 * rules" of session-based recommendation): for each item a of the period's
 * dictionary, the OR_CAND_NEXT_K items b most often seen right after it
 * within a session (the next event whose aid differs from a's), each with
 * P(b | a) = (a -> b transitions) / (transitions out of a).  The
 * co-visitation matrices count pairs within a time window in both
 * directions; this table keeps the direction and the adjacency, which is
 * what "the product after this one" (a product line, a next step) is.
 *
 * Built in two passes over the stores' events (count the transitions out of
 * each item, then place each transition's target in its source's slice:
 * one uint32 per transition, about 0.9 GB at OTTO's size), then each
 * slice is counted in a hash table of its own and its top entries picked
 * (in parallel; the result does not depend on the thread count).  Ties
 * between equal counts: smaller item (= smaller aid) first.
 */
#include "or_cand_internal.h"
#include "or_par.h"

#include <stdlib.h>
#include <string.h>

void or_cand_next_free(or_cand_next *t)
{
	free(t->aid);
	free(t->p);
	free(t->len);
	memset(t, 0, sizeof(*t));
}

typedef void (*transition_fn)(void *ctx, uint32_t from, uint32_t to);

/* Every transition (item of an event -> item of the session's next event
   with another aid) of the stores, in store and event order. */
static void for_each_transition(or_store *const *stores, size_t n_stores, const or_items *items,
				transition_fn fn, void *ctx)
{
	uint32_t idx[4096];
	for (size_t k = 0; k < n_stores; k++) {
		const uint32_t *aid = or_store_aids(stores[k]);
		const uint64_t *off = or_store_offsets(stores[k]);
		size_t ns = or_store_n_sessions(stores[k]), ne = or_store_n_events(stores[k]);
		size_t s = 0;
		uint32_t prev = OR_ITEM_NONE;
		for (size_t b = 0; b < ne; b += 4096) {
			size_t m = ne - b < 4096 ? ne - b : 4096;
			or_items_index_many(items, aid + b, m, idx);
			for (size_t i = 0; i < m; i++) {
				size_t e = b + i;
				while (s < ns && e >= off[s + 1]) {
					s++;
					prev = OR_ITEM_NONE;
				}
				uint32_t it = idx[i];
				if (it == OR_ITEM_NONE || it == prev)
					continue;
				if (prev != OR_ITEM_NONE)
					fn(ctx, prev, it);
				prev = it;
			}
		}
	}
}

typedef struct build {
	uint64_t *start; /* n + 1: item a's targets at [start[a], start[a + 1]) */
	uint64_t *fill;  /* n: next free place of each slice */
	uint32_t *to;
} build;

static void count_one(void *ctx, uint32_t from, uint32_t to)
{
	(void)to;
	((build *)ctx)->start[from + 1]++;
}

static void place_one(void *ctx, uint32_t from, uint32_t to)
{
	build *b = ctx;
	b->to[b->fill[from]++] = to;
}

/* A thread's scratch hash table: target -> count. */
typedef struct tally {
	uint32_t *key, *cnt;
	size_t cap; /* a power of two */
} tally;

static void tally_free(tally *h)
{
	free(h->key);
	free(h->cnt);
}

/* log2 of the table size for n keys: at most half full, at least 64. */
static unsigned tally_bits(size_t n)
{
	unsigned bits = 6;
	while (((size_t)1 << bits) < 2 * n)
		bits++;
	return bits;
}

/* Room for n distinct keys; -1 when out of memory. */
static int tally_reserve(tally *h, size_t n)
{
	size_t cap = (size_t)1 << tally_bits(n);
	if (cap <= h->cap)
		return 0;
	free(h->key);
	free(h->cnt);
	h->key = malloc(cap * sizeof(uint32_t));
	h->cnt = malloc(cap * sizeof(uint32_t));
	h->cap = h->key && h->cnt ? cap : 0;
	return h->cap ? 0 : -1;
}

/* Whether (c, v) ranks before (d, w): count descending, value ascending. */
static inline int before(uint32_t c, uint32_t v, uint32_t d, uint32_t w)
{
	return c > d || (c == d && v < w);
}

/* The k most frequent values of v[0..n) (count descending, value
   ascending) into top/cnt; how many.  h has room for n keys. */
static size_t top_values(tally *h, const uint32_t *v, size_t n, size_t k, uint32_t *top, uint32_t *cnt)
{
	unsigned bits = tally_bits(n);
	size_t cap = (size_t)1 << bits, mask = cap - 1;
	memset(h->cnt, 0, cap * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		/* Fibonacci hashing: the product's high bits */
		size_t at = (size_t)(((uint64_t)v[i] * 0x9E3779B97F4A7C15ull) >> (64 - bits));
		while (h->cnt[at] && h->key[at] != v[i])
			at = (at + 1) & mask;
		h->key[at] = v[i];
		h->cnt[at]++;
	}
	size_t m = 0;
	for (size_t at = 0; at < cap; at++) {
		uint32_t c = h->cnt[at], x = h->key[at];
		if (!c || (m == k && !before(c, x, cnt[m - 1], top[m - 1])))
			continue;
		size_t q = m < k ? m++ : k - 1;
		while (q > 0 && before(c, x, cnt[q - 1], top[q - 1])) {
			top[q] = top[q - 1];
			cnt[q] = cnt[q - 1];
			q--;
		}
		top[q] = x;
		cnt[q] = c;
	}
	return m;
}

int or_cand_next_build(or_store *const *stores, size_t n_stores, const or_items *items,
		       or_cand_next *out, const or_log *log, or_err *err)
{
	memset(out, 0, sizeof(*out));
	size_t n = or_items_count(items);
	build b = { 0 };
	b.start = calloc(n + 1, sizeof(uint64_t));
	b.fill = malloc((n ? n : 1) * sizeof(uint64_t));
	out->aid = malloc((n ? n : 1) * OR_CAND_NEXT_K * sizeof(uint32_t));
	out->p = malloc((n ? n : 1) * OR_CAND_NEXT_K * sizeof(float));
	out->len = calloc(n ? n : 1, sizeof(uint8_t));
	if (!b.start || !b.fill || !out->aid || !out->p || !out->len)
		goto oom;
	out->n = n;
	or_log_progress(log, "next-item table", 0, 2, "passes");
	for_each_transition(stores, n_stores, items, count_one, &b);
	for (size_t a = 0; a < n; a++)
		b.start[a + 1] += b.start[a];
	size_t total = (size_t)b.start[n];
	if (!(b.to = malloc((total ? total : 1) * sizeof(uint32_t))))
		goto oom;
	memcpy(b.fill, b.start, n * sizeof(uint64_t));
	for_each_transition(stores, n_stores, items, place_one, &b);
	or_log_progress(log, "next-item table", 1, 2, "passes");
	const uint32_t *aids = or_items_aids(items);
	int failed = 0;
	OMP(omp parallel)
	{
		tally h = { 0 };
		OMP(omp for schedule(dynamic, 1024))
		for (size_t a = 0; a < n; a++) {
			const uint32_t *v = b.to + b.start[a];
			size_t len = (size_t)(b.start[a + 1] - b.start[a]);
			uint32_t top[OR_CAND_NEXT_K], cnt[OR_CAND_NEXT_K];
			size_t m = 0;
			if (len && tally_reserve(&h, len) == 0)
				m = top_values(&h, v, len, OR_CAND_NEXT_K, top, cnt);
			else if (len)
				OMP(omp atomic write) failed = 1;
			for (size_t j = 0; j < m; j++) {
				out->aid[a * OR_CAND_NEXT_K + j] = aids[top[j]];
				out->p[a * OR_CAND_NEXT_K + j] = (float)((double)cnt[j] / (double)len);
			}
			out->len[a] = (uint8_t)m;
		}
		tally_free(&h);
	}
	if (failed)
		goto oom;
	or_log_progress(log, "next-item table", 2, 2, "passes");
	free(b.start);
	free(b.fill);
	free(b.to);
	return OR_OK;
oom:
	free(b.start);
	free(b.fill);
	free(b.to);
	or_cand_next_free(out);
	return or_err_set(err, OR_ENOMEM, "out of memory (next-item table of %zu items)", n);
}

size_t or_cand_next_row(const or_cand_next *t, uint32_t item, const uint32_t **aid, const float **p)
{
	if (item >= t->n)
		return 0;
	*aid = t->aid + (size_t)item * OR_CAND_NEXT_K;
	*p = t->p + (size_t)item * OR_CAND_NEXT_K;
	return t->len[item];
}
