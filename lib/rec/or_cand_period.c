/*
 * or_cand_period.c - the once-computed summary of a period that the
 * ranker's candidates and the blend strategy read (or_cand_period.h): one counting pass over the
 * period's events, the top lists taken from the counts.
 */
#include "or_cand_internal.h"
#include "or_cand_period.h"
#include "or_rec_neighbours.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct or_cand_period {
	or_items *items;
	float *log[2];
	float *pop[2];   /* log1p(count) / log1p(largest count): blend's */
	int64_t ts_end;
	uint32_t top[6][OR_CAND_PERIOD_TOP];
	size_t n_top[6];
};

/* The k best items by cnt (count descending, item ascending, counts > 0)
   as aids: or_recommend_popular's rule. */
static size_t top_of(const uint32_t *cnt, const or_items *items, size_t k, uint32_t *out)
{
	uint32_t best[OR_CAND_PERIOD_TOP];
	size_t m = 0, n = or_items_count(items);
	for (size_t a = 0; a < n; a++) {
		uint32_t c = cnt[a];
		if (!c || (m == k && c <= cnt[best[m - 1]]))
			continue;
		size_t i = m < k ? m++ : k - 1;
		while (i > 0 && c > cnt[best[i - 1]]) {
			best[i] = best[i - 1];
			i--;
		}
		best[i] = (uint32_t)a;
	}
	for (size_t i = 0; i < m; i++)
		out[i] = or_items_aid(items, best[i]);
	return m;
}

int or_cand_period_build(const or_store *period, const or_cand_stats *stats, or_cand_period **out,
			 or_err *err)
{
	*out = NULL;
	or_cand_period *p = calloc(1, sizeof(*p));
	if (!p)
		return or_err_set(err, OR_ENOMEM, "out of memory (period summary)");
	uint32_t *cnt[3];
	/* aid and type read in one pass: their checksums too (as
	   or_recommend_popular does), so damage is named by its section */
	or_store_check *chk = or_store_check_new(&period, 1, OR_STORE_CHECK_AIDS_TYPES);
	int rc = or_rec_item_counts(period, &p->items, cnt, err);
	or_store_check_events(chk, 0, or_store_n_events(period));
	rc = or_store_check_end(chk, rc, err);
	if (rc) {
		if (p->items)
			for (int t = 0; t < 3; t++)
				free(cnt[t]);
		or_items_free(p->items);
		free(p);
		return rc;
	}
	size_t n = or_items_count(p->items);
	p->log[0] = malloc((n ? n : 1) * sizeof(float));
	p->log[1] = malloc((n ? n : 1) * sizeof(float));
	p->pop[0] = malloc((n ? n : 1) * sizeof(float));
	p->pop[1] = malloc((n ? n : 1) * sizeof(float));
	if (!p->log[0] || !p->log[1] || !p->pop[0] || !p->pop[1]) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory (period summary)");
	} else {
		uint64_t mc = 0, mb = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t b = (uint64_t)cnt[1][i] + cnt[2][i];
			mc = cnt[0][i] > mc ? cnt[0][i] : mc;
			mb = b > mb ? b : mb;
		}
		double lc = log1p((double)mc), lb = log1p((double)mb);
		for (size_t i = 0; i < n; i++) {
			double l0 = log1p((double)cnt[0][i]);
			double l1 = log1p((double)((uint64_t)cnt[1][i] + cnt[2][i]));
			p->log[0][i] = (float)l0;
			p->log[1][i] = (float)l1;
			p->pop[0][i] = mc ? (float)(l0 / lc) : 0.0f;
			p->pop[1][i] = mb ? (float)(l1 / lb) : 0.0f;
		}
		for (unsigned t = 0; t < 3; t++) {
			p->n_top[t] = top_of(cnt[t], p->items, OR_CAND_PERIOD_TOP, p->top[t]);
			if (stats)
				p->n_top[3 + t] = or_cand_stats_top_week(stats, t, OR_CAND_PERIOD_TOP, p->top[3 + t]);
		}
		p->ts_end = or_store_ts_max(period);
	}
	for (int t = 0; t < 3; t++)
		free(cnt[t]);
	if (rc) {
		or_cand_period_free(p);
		return rc;
	}
	*out = p;
	return OR_OK;
}

void or_cand_period_free(or_cand_period *p)
{
	if (!p)
		return;
	or_items_free(p->items);
	free(p->log[0]);
	free(p->log[1]);
	free(p->pop[0]);
	free(p->pop[1]);
	free(p);
}

const or_items *or_cand_period_items(const or_cand_period *p) { return p->items; }
const float *or_cand_period_log(const or_cand_period *p, int which) { return p->log[which != 0]; }
const float *or_cand_period_pop(const or_cand_period *p, int which) { return p->pop[which != 0]; }
int64_t or_cand_period_ts_end(const or_cand_period *p) { return p->ts_end; }

size_t or_cand_period_top(const or_cand_period *p, unsigned l, size_t k, uint32_t *out)
{
	if (l >= 6)
		return 0;
	size_t n = p->n_top[l] < k ? p->n_top[l] : k;
	memcpy(out, p->top[l], n * sizeof(*out));
	return n;
}
