/*
 * or_recommend_history.c - a session's own history as recommendations, the
 * part shared by the seed strategy (or_recommend_seed.c) and any strategy
 * that ranks a session's past aids (blend): an insertion-ordered aid -> value
 * map (Python's dict / Counter with its iteration order), the notebooks'
 * recency weights numpy.logspace(lo, 1, n, base=2) - 1, the distinct aids
 * most recent first, and the k best entries with Python's tie rule (stable
 * sort / Counter.most_common: first inserted wins).  Rules in or_recommend.h.
 * Written by hand: a few lines over open addressing, and the iteration order
 * must be Python's, which no C hash table offers.
 */
#include "or_recommend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct or_history {
	uint32_t *slot_gen, *slot_pos; /* hash slots: generation, entry index */
	size_t mask;
	uint32_t gen;
	uint32_t *aid; /* entries in insertion order */
	double *val;
	size_t n, cap;
};

int or_history_new(or_history **out, or_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return or_err_set(err, OR_ENOMEM, "out of memory (history scratch)");
	return OR_OK;
}

void or_history_free(or_history *h)
{
	if (!h)
		return;
	free(h->slot_gen);
	free(h->slot_pos);
	free(h->aid);
	free(h->val);
	free(h);
}

/* Empty the map with room for max_items entries; -1 when out of memory. */
static int history_reset(or_history *h, size_t max_items)
{
	if (max_items > h->cap) {
		size_t cap = h->cap ? h->cap : 64;
		while (cap < max_items)
			cap *= 2;
		uint32_t *a = realloc(h->aid, cap * sizeof(*a));
		if (a)
			h->aid = a;
		double *v = realloc(h->val, cap * sizeof(*v));
		if (v)
			h->val = v;
		if (!a || !v)
			return -1;
		h->cap = cap;
	}
	size_t slots = h->mask ? h->mask + 1 : 0;
	if (slots < 2 * h->cap) {
		size_t s = 128;
		while (s < 2 * h->cap)
			s *= 2;
		free(h->slot_gen);
		free(h->slot_pos);
		h->slot_gen = calloc(s, sizeof(*h->slot_gen));
		h->slot_pos = malloc(s * sizeof(*h->slot_pos));
		if (!h->slot_gen || !h->slot_pos) {
			free(h->slot_gen);
			free(h->slot_pos);
			h->slot_gen = h->slot_pos = NULL;
			h->mask = 0;
			return -1;
		}
		h->mask = s - 1;
		h->gen = 0;
	}
	if (++h->gen == 0) {
		memset(h->slot_gen, 0, (h->mask + 1) * sizeof(*h->slot_gen));
		h->gen = 1;
	}
	h->n = 0;
	return 0;
}

static inline size_t history_slot(const or_history *h, uint32_t aid)
{
	size_t i = (size_t)(((uint64_t)aid * 0x9E3779B97F4A7C15ull) >> 24) & h->mask;
	while (h->slot_gen[i] == h->gen && h->aid[h->slot_pos[i]] != aid)
		i = (i + 1) & h->mask;
	return i;
}

/* h[aid] += v, a new aid appended; room was reserved by history_reset. */
static inline void history_add(or_history *h, uint32_t aid, double v)
{
	size_t i = history_slot(h, aid);
	if (h->slot_gen[i] == h->gen) {
		h->val[h->slot_pos[i]] += v;
		return;
	}
	h->slot_gen[i] = h->gen;
	h->slot_pos[i] = (uint32_t)h->n;
	h->aid[h->n] = aid;
	h->val[h->n] = 0.0 + v;
	h->n++;
}

double or_history_log_weight(double lo, size_t n, size_t i)
{
	double y;
	if (n == 1) {
		y = lo;
	} else if (i == n - 1) {
		y = 1.0;
	} else {
		double step = (1.0 - lo) / (double)(n - 1);
		volatile double p = (double)i * step; /* numpy: i * step + lo, no FMA */
		y = p + lo;
	}
	return pow(2.0, y) - 1.0;
}

int or_history_score(or_history *h, const or_session *s, double log_lo,
		     const double type_weight[3])
{
	if (history_reset(h, s->n))
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		unsigned ty = s->type[i] < 3 ? s->type[i] : 0;
		history_add(h, s->aid[i], or_history_log_weight(log_lo, s->n, i) * type_weight[ty]);
	}
	return 0;
}

int or_history_recent(or_history *h, const or_session *s)
{
	if (history_reset(h, s->n))
		return -1;
	for (size_t i = s->n; i-- > 0;)
		history_add(h, s->aid[i], 0.0);
	return 0;
}

size_t or_history_size(const or_history *h)
{
	return h->n;
}

const uint32_t *or_history_aids(const or_history *h)
{
	return h->aid;
}

const double *or_history_values(const or_history *h)
{
	return h->val;
}

int or_history_contains(const or_history *h, uint32_t aid)
{
	return h->mask && h->slot_gen[history_slot(h, aid)] == h->gen;
}

size_t or_history_top(const or_history *h, size_t k, int64_t *out)
{
	uint32_t idx[OR_RECOMMEND_K_MAX];
	if (k > OR_RECOMMEND_K_MAX)
		k = OR_RECOMMEND_K_MAX;
	size_t m = 0;
	for (size_t e = 0; e < h->n && k > 0; e++) {
		double v = h->val[e];
		if (m == k && !(v > h->val[idx[m - 1]]))
			continue;
		size_t i = m < k ? m : k - 1;
		while (i > 0 && v > h->val[idx[i - 1]]) {
			idx[i] = idx[i - 1];
			i--;
		}
		idx[i] = (uint32_t)e;
		if (m < k)
			m++;
	}
	for (size_t j = 0; j < m; j++)
		out[j] = h->aid[idx[j]];
	return m;
}
