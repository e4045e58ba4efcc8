/*
 * or_cand_stats.c - the training period's item statistics that the ranker's
 * item features read (or_cand.h: counts per type over the whole period, its
 * last week and last day, per item of the stores' union dictionary; the
 * next-item table of or_cand_next.c), and
 * the candidate settings as JSON (recorded in the ranker's model so that
 * ranking uses the candidates the model was fitted on).  The statistics'
 * file is or_cand_stats_file.c; the layout both share
 * or_cand_stats_internal.h.
 */
#include "or_cand_stats_internal.h"
#include "or_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

enum { ALL = OR_CS_ALL, WEEK = OR_CS_WEEK, DAY = OR_CS_DAY, N_CNT = OR_CS_N_CNT };

#define N_ITEM_F OR_CS_N_FEAT

void or_cand_stats_free(or_cand_stats *s)
{
	if (!s)
		return;
	or_items_free(s->items); /* before the mapping it may borrow */
	if (s->mapped)
		or_sfile_release(&s->f);
	else
		or_cand_next_free(&s->next);
	for (size_t i = 0; i < s->n_src; i++)
		free(s->src[i].path);
	free(s->src);
	free(s->own_cnt);
	free(s->own_feat);
	free(s);
}

/* x[OR_CF_I_*] from an item's counts c (x is indexed by feature). */
static void item_features(const or_cand_stats *s, const uint32_t *c, float *x)
{
	x[OR_CF_I_CLICKS] = (float)log1p((double)c[ALL + 0]);
	x[OR_CF_I_CARTS] = (float)log1p((double)c[ALL + 1]);
	x[OR_CF_I_ORDERS] = (float)log1p((double)c[ALL + 2]);
	x[OR_CF_I_CLICKS_WEEK] = (float)log1p((double)c[WEEK + 0]);
	x[OR_CF_I_CARTS_WEEK] = (float)log1p((double)c[WEEK + 1]);
	x[OR_CF_I_ORDERS_WEEK] = (float)log1p((double)c[WEEK + 2]);
	x[OR_CF_I_CLICKS_DAY] = (float)log1p((double)c[DAY + 0]);
	x[OR_CF_I_BUYS_DAY] = (float)log1p((double)c[DAY + 1] + (double)c[DAY + 2]);
	x[OR_CF_I_CART_CLICK] = (float)((double)c[ALL + 1] / (1.0 + (double)c[ALL + 0]));
	x[OR_CF_I_ORDER_CART] = (float)((double)c[ALL + 2] / (1.0 + (double)c[ALL + 1]));
	x[OR_CF_I_TREND] = (float)(log1p((double)c[WEEK + 0]) -
				   log1p((double)c[ALL + 0] * 7.0 / s->period_days));
}

/* What s was built from: each store's path, header checksum and counts. */
static int record_sources(or_cand_stats *s, or_store *const *stores, size_t n_stores, or_err *err)
{
	if (n_stores > OR_CAND_STATS_MAX_SOURCES)
		return or_err_set(err, OR_EINVAL, "item statistics of at most %d stores, not %zu",
				  OR_CAND_STATS_MAX_SOURCES, n_stores);
	if (!(s->src = calloc(n_stores ? n_stores : 1, sizeof(*s->src))))
		return or_err_set(err, OR_ENOMEM, "out of memory (item statistics)");
	for (size_t k = 0; k < n_stores; k++) {
		or_cand_stats_source *r = &s->src[s->n_src++];
		const char *p = or_store_path(stores[k]);
		r->path = realpath(p, NULL);
		if (!r->path && !(r->path = strdup(p)))
			return or_err_set(err, OR_ENOMEM, "out of memory (item statistics)");
		r->checksum = or_store_file_checksum(stores[k]);
		r->n_events = or_store_n_events(stores[k]);
		r->n_sessions = or_store_n_sessions(stores[k]);
	}
	return OR_OK;
}

int or_cand_stats_build(or_store *const *stores, size_t n_stores, or_cand_stats **out,
			const or_log *log, or_err *err)
{
	*out = NULL;
	or_cand_stats *s = calloc(1, sizeof(*s));
	if (!s)
		return or_err_set(err, OR_ENOMEM, "out of memory (item statistics)");
	int rc = record_sources(s, stores, n_stores, err);
	if (!rc)
		rc = or_items_from_stores(stores, n_stores, &s->items, err);
	size_t n = rc ? 0 : or_items_count(s->items);
	if (!rc && !(s->own_cnt = calloc((n ? n : 1) * N_CNT, sizeof(uint32_t))))
		rc = or_err_set(err, OR_ENOMEM, "out of memory (item statistics)");
	s->cnt = s->own_cnt;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t k = 0; k < n_stores; k++) {
		if (!or_store_n_events(stores[k]))
			continue;
		if (or_store_ts_min(stores[k]) < lo)
			lo = or_store_ts_min(stores[k]);
		if (or_store_ts_max(stores[k]) > hi)
			hi = or_store_ts_max(stores[k]);
	}
	s->ts_min = lo;
	s->ts_max = hi;
	s->period_days = hi > lo ? (double)(hi - lo) / (double)DAY_MS : 0;
	if (s->period_days < 7)
		s->period_days = 7;
	size_t total = 0, done = 0;
	for (size_t k = 0; k < n_stores; k++)
		total += or_store_n_events(stores[k]);
	uint32_t idx[4096];
	for (size_t k = 0; !rc && k < n_stores; k++) {
		const uint32_t *aid = or_store_aids(stores[k]);
		const uint8_t *ty = or_store_types(stores[k]);
		const int64_t *ts = or_store_ts(stores[k]);
		size_t ne = or_store_n_events(stores[k]);
		for (size_t b = 0; b < ne; b += 4096) {
			size_t m = ne - b < 4096 ? ne - b : 4096;
			or_items_index_many(s->items, aid + b, m, idx);
			for (size_t i = 0; i < m; i++) {
				if (idx[i] == OR_ITEM_NONE)
					continue; /* or_items_from_stores holds every aid */
				unsigned t = ty[b + i] < 3 ? ty[b + i] : 0;
				uint32_t *c = s->own_cnt + (size_t)idx[i] * N_CNT;
				c[ALL + t]++;
				if (ts[b + i] > hi - 7 * DAY_MS)
					c[WEEK + t]++;
				if (ts[b + i] > hi - DAY_MS)
					c[DAY + t]++;
			}
			done += m;
			if (!(b & ((1u << 24) - 1)))
				or_log_progress(log, "item statistics", (double)done, (double)total, "events");
		}
	}
	if (!rc)
		rc = or_cand_next_build(stores, n_stores, s->items, &s->next, log, err);
	if (!rc && !(s->own_feat = malloc((n ? n : 1) * N_ITEM_F * sizeof(float))))
		rc = or_err_set(err, OR_ENOMEM, "out of memory (item statistics)");
	if (rc) {
		or_cand_stats_free(s);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		float x[OR_CF_N];
		item_features(s, s->cnt + i * N_CNT, x);
		memcpy(s->own_feat + i * N_ITEM_F, x + OR_CF_I_CLICKS, N_ITEM_F * sizeof(float));
	}
	s->feat = s->own_feat;
	or_log_progress(log, "item statistics", (double)total, (double)total, "events");
	*out = s;
	return OR_OK;
}

void or_cand_stats_features(const or_cand_stats *s, uint32_t aid, float *x)
{
	uint32_t it = or_items_index(s->items, aid);
	if (it != OR_ITEM_NONE)
		memcpy(x + OR_CF_I_CLICKS, s->feat + (size_t)it * N_ITEM_F, N_ITEM_F * sizeof(float));
}

size_t or_cand_stats_next(const or_cand_stats *s, uint32_t aid, const uint32_t **next,
			  const float **p)
{
	return or_cand_next_row(&s->next, or_items_index(s->items, aid), next, p);
}

size_t or_cand_stats_top_week(const or_cand_stats *s, unsigned t, size_t k, uint32_t *out)
{
	uint32_t best[100];
	size_t m = 0, n = or_items_count(s->items);
	if (k > 100)
		k = 100;
	for (size_t i = 0; i < n && k; i++) {
		uint32_t v = s->cnt[i * N_CNT + WEEK + t];
		if (!v || (m == k && v <= s->cnt[(size_t)best[m - 1] * N_CNT + WEEK + t]))
			continue; /* items ascend by aid: an equal count later loses */
		size_t j = m < k ? m++ : k - 1;
		while (j > 0 && v > s->cnt[(size_t)best[j - 1] * N_CNT + WEEK + t]) {
			best[j] = best[j - 1];
			j--;
		}
		best[j] = (uint32_t)i;
	}
	for (size_t j = 0; j < m; j++)
		out[j] = or_items_aid(s->items, best[j]);
	return m;
}

/* ---- settings JSON -------------------------------------------------------------- */

static const struct {
	const char *key;
	size_t off, lo, hi;
} keys[] = {
	{ "max_candidates", offsetof(or_cand_config, max_candidates), 1, OR_CAND_MAX },
	{ "max_history", offsetof(or_cand_config, max_history), 1, 1000 },
	{ "n_recent_emb", offsetof(or_cand_config, n_recent_emb), 0, 16 },
	{ "emb_k", offsetof(or_cand_config, emb_k), 1, 100 },
	{ "emb_nprobe", offsetof(or_cand_config, emb_nprobe), 0, 65536 },
	{ "n_popular", offsetof(or_cand_config, n_popular), 0, 100 },
	{ "n_recent_next", offsetof(or_cand_config, n_recent_next), 0, 30 },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

size_t or_cand_config_json(const or_cand_config *cfg, char *buf, size_t cap)
{
	char tmp[512];
	size_t n = 0;
	n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "{");
	for (size_t i = 0; i < N_KEYS; i++)
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "\"%s\":%zu,", keys[i].key,
				      *(const size_t *)((const char *)cfg + keys[i].off));
	n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "\"sources\":\"");
	int first = 1;
	for (unsigned bit = 1; bit <= OR_CAND_SRC_ALL; bit <<= 1)
		if (cfg->sources & bit) {
			n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%s%s", first ? "" : ",",
					      or_cand_source_name(bit));
			first = 0;
		}
	n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "\"}");
	if (cap) {
		size_t c = n < cap ? n : cap - 1;
		memcpy(buf, tmp, c);
		buf[c] = '\0';
	}
	return n;
}

/* One "key":value member at the cursor into cfg: 0, 1 (OR_EFORMAT set in
   err), or -1 (a JSON error recorded in j). */
static int parse_member(or_json *j, const char *what, or_cand_config *cfg, or_err *err)
{
	char key[64], val[256];
	int fits;
	if (or_json_string(j, key, sizeof(key), &fits) || or_json_expect(j, ':', "expected ':'"))
		return -1;
	if (fits && !strcmp(key, "sources")) {
		if (or_json_string(j, val, sizeof(val), &fits))
			return -1;
		or_err e2;
		if (!fits)
			return or_err_set(err, OR_EFORMAT, "%s: candidate sources too long", what), 1;
		if (or_cand_sources_parse(val, &cfg->sources, &e2))
			return or_err_set(err, OR_EFORMAT, "%s: %s", what, e2.msg), 1;
		return 0;
	}
	size_t k = N_KEYS;
	for (size_t i = 0; fits && i < N_KEYS && k == N_KEYS; i++)
		if (!strcmp(key, keys[i].key))
			k = i;
	if (k == N_KEYS)
		return or_err_set(err, OR_EFORMAT, "%s: unknown candidate setting \"%s\"", what, key), 1;
	int neg;
	uint64_t v;
	or_json_ws(j);
	if (or_json_int(j, &neg, &v) != OR_JSON_INT_OK || neg || v < keys[k].lo || v > keys[k].hi)
		return or_err_set(err, OR_EFORMAT, "%s: candidate setting \"%s\" must be an integer in %zu..%zu",
				  what, key, keys[k].lo, keys[k].hi), 1;
	*(size_t *)((char *)cfg + keys[k].off) = (size_t)v;
	return 0;
}

int or_cand_config_from_json(const char *json, size_t len, const char *what, or_cand_config *cfg,
			     or_err *err)
{
	or_json j;
	or_json_init(&j, json, json + len);
	int r = or_json_expect(&j, '{', "expected '{'");
	if (!r && !or_json_eat(&j, '}')) {
		do
			r = parse_member(&j, what, cfg, err);
		while (!r && or_json_eat(&j, ','));
		if (!r)
			r = or_json_expect(&j, '}', "expected ',' or '}'");
	}
	if (r > 0)
		return OR_EFORMAT;
	if (r < 0)
		return or_err_set(err, OR_EFORMAT, "%s: candidate settings: %s at byte %zu", what,
				  j.err_what ? j.err_what : "bad JSON",
				  (size_t)(j.err_at ? j.err_at - json : 0));
	if (or_json_peek(&j) != -1)
		return or_err_set(err, OR_EFORMAT, "%s: text after the candidate settings", what);
	return OR_OK;
}
