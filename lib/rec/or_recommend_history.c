/*
 * or_recommend_history.c - a session's own history as recommendations, the
 * part shared by the seed strategy (or_recommend_seed.c) and any strategy
 * that ranks a session's past aids (blend): an insertion-ordered aid -> value
 * map (Python's dict / Counter with its iteration order), the notebooks'
 * recency weights numpy.logspace(lo, 1, n, base=2) - 1, the distinct aids
 * most recent first, and the k best entries with Python's tie rule (stable
 * sort / Counter.most_common: first inserted wins).  Rules in or_recommend.h.
 * The map itself is or_counter.h.
 */
#include "or_recommend.h"

#include "or_counter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct or_history {
	or_counter c;
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
	or_counter_free(&h->c);
	free(h);
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
	if (or_counter_reset(&h->c, s->n))
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		unsigned ty = s->type[i] < 3 ? s->type[i] : 0;
		or_counter_add(&h->c, s->aid[i], or_history_log_weight(log_lo, s->n, i) * type_weight[ty]);
	}
	return 0;
}

int or_history_recent(or_history *h, const or_session *s)
{
	if (or_counter_reset(&h->c, s->n))
		return -1;
	for (size_t i = s->n; i-- > 0;)
		or_counter_add(&h->c, s->aid[i], 0.0);
	return 0;
}

size_t or_history_size(const or_history *h)
{
	return h->c.n;
}

const uint32_t *or_history_aids(const or_history *h)
{
	return h->c.aid;
}

const double *or_history_values(const or_history *h)
{
	return h->c.val;
}

int or_history_contains(const or_history *h, uint32_t aid)
{
	return or_counter_has(&h->c, aid);
}

size_t or_history_top(const or_history *h, size_t k, int64_t *out)
{
	uint32_t idx[OR_RECOMMEND_K_MAX];
	size_t m = or_counter_most_common(&h->c, k < OR_RECOMMEND_K_MAX ? k : OR_RECOMMEND_K_MAX, idx);
	for (size_t j = 0; j < m; j++)
		out[j] = h->c.aid[idx[j]];
	return m;
}
