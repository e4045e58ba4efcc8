/*
 * or_recommend.c - the covisit strategy (rules in or_recommend.h), the
 * popular-items fallback and the submission CSV writer.  The strategy
 * works in the tables' items: a session's distinct aids are mapped to
 * items once (cold aids, absent from the tables' dictionary, have no rows
 * but still count in the history), the candidate counter is keyed by
 * item, and only the listed items are mapped back to aids.
 */
#include "or_recommend.h"

#include "or_counter.h"
#include "or_file.h"
#include "or_fmt.h"
#include "or_par.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void or_recommend_config_default(or_recommend_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->k = 20;
	cfg->long_threshold = 20;
	cfg->type_weight[0] = 1;
	cfg->type_weight[1] = 6;
	cfg->type_weight[2] = 3;
	cfg->clicks_log_lo = 0.1;
	cfg->buys_log_lo = 0.5;
	cfg->buy2buy_bonus = 0.1;
	cfg->threads = 0;
}

/* ---- per-thread work ------------------------------------------------------ */

typedef struct worker {
	or_counter score, uniq, buys, cand; /* cand: by item, the others by aid */
	uint32_t *uitem, *bitem;            /* items of uniq / buys (OR_ITEM_NONE: cold) */
	size_t cap_items;
	uint32_t idx[OR_RECOMMEND_K_MAX];
} worker;

static void worker_free(worker *w)
{
	or_counter_free(&w->score);
	or_counter_free(&w->uniq);
	or_counter_free(&w->buys);
	or_counter_free(&w->cand);
	free(w->uitem);
	free(w->bitem);
}

/* items of the session's distinct aids and bought aids into uitem/bitem */
static int map_items(worker *w, const or_items *items)
{
	size_t nu = w->uniq.n, nb = w->buys.n;
	if (nu > w->cap_items) {
		size_t c = w->cap_items ? w->cap_items : 256;
		while (c < nu)
			c *= 2;
		free(w->uitem);
		free(w->bitem);
		w->uitem = malloc(c * sizeof(*w->uitem));
		w->bitem = malloc(c * sizeof(*w->bitem));
		w->cap_items = w->uitem && w->bitem ? c : 0;
		if (!w->cap_items)
			return -1;
	}
	if (!items) {
		memset(w->uitem, 0xff, nu * sizeof(*w->uitem));
		memset(w->bitem, 0xff, nb * sizeof(*w->bitem));
		return 0;
	}
	or_items_index_many(items, w->uniq.aid, nu, w->uitem);
	or_items_index_many(items, w->buys.aid, nb, w->bitem);
	return 0;
}

/* The length of item's row of t, its neighbours asked into the cache: the
   rows of all the session's aids are asked for before any is read, so
   their memory misses overlap instead of coming one after another. */
static size_t row_len(const or_covisit *t, uint32_t item)
{
	return t ? or_covisit_prefetch_row(t, item, SIZE_MAX, 0) : 0;
}

/* Fill out[at..k) from pop skipping aids already in out[0..at). */
static size_t fill_popular(int64_t *out, size_t at, size_t k, const int64_t *pop, size_t n_pop)
{
	for (size_t p = 0; p < n_pop && at < k; p++) {
		int seen = 0;
		for (size_t j = 0; j < at; j++)
			if (out[j] == pop[p]) {
				seen = 1;
				break;
			}
		if (!seen)
			out[at++] = pop[p];
	}
	return at;
}

/* items: the tables' dictionary (NULL when there are no tables) */
static int recommend_one(worker *wk, const or_session *s, const or_recommend_covisit_model *m,
			 const or_items *items, const or_recommend_config *cfg,
			 int64_t *out_clicks, int64_t *out_buys)
{
	size_t k = cfg->k, n = s->n;
	for (size_t j = 0; j < k; j++)
		out_clicks[j] = out_buys[j] = -1;
	/* unique aids and unique buys, most recent first */
	if (or_counter_reset(&wk->uniq, n) || or_counter_reset(&wk->buys, n))
		return -1;
	for (size_t i = n; i-- > 0;) {
		or_counter_add(&wk->uniq, s->aid[i], 0);
		if (s->type[i] != OR_CLICKS)
			or_counter_add(&wk->buys, s->aid[i], 0);
	}
	size_t nu = wk->uniq.n;
	if (map_items(wk, items))
		return -1;
	const uint32_t *item_aid = items ? or_items_aids(items) : NULL;
	for (int pass = 0; pass < 2; pass++) {
		int buys = pass == 1;
		int64_t *out = buys ? out_buys : out_clicks;
		size_t at = 0;
		if (nu >= cfg->long_threshold) {
			size_t extra = 0;
			if (buys && m->buy2buy)
				for (size_t b = 0; b < wk->buys.n; b++)
					extra += row_len(m->buy2buy, wk->bitem[b]);
			if (or_counter_reset(&wk->score, n + extra))
				return -1;
			double lo = buys ? cfg->buys_log_lo : cfg->clicks_log_lo;
			for (size_t i = 0; i < n; i++) {
				unsigned ty = s->type[i] < 3 ? s->type[i] : 0;
				or_counter_add(&wk->score, s->aid[i], or_history_log_weight(lo, n, i) * cfg->type_weight[ty]);
			}
			if (buys && m->buy2buy) {
				for (size_t b = 0; b < wk->buys.n; b++) {
					const uint32_t *nb;
					const double *w;
					size_t r = or_covisit_row(m->buy2buy, wk->bitem[b], &nb, &w);
					for (size_t j = 0; j < r; j++)
						or_counter_add(&wk->score, item_aid[nb[j]], cfg->buy2buy_bonus);
				}
			}
			size_t got = or_counter_most_common(&wk->score, k, wk->idx);
			for (size_t j = 0; j < got; j++)
				out[at++] = wk->score.aid[wk->idx[j]];
		} else {
			const or_covisit *t1 = buys ? m->carts_orders : m->clicks;
			size_t total = 0;
			for (size_t u = 0; u < nu; u++)
				total += row_len(t1, wk->uitem[u]);
			if (buys)
				for (size_t b = 0; b < wk->buys.n; b++)
					total += row_len(m->buy2buy, wk->bitem[b]);
			if (or_counter_reset(&wk->cand, total))
				return -1;
			for (size_t u = 0; t1 && u < nu; u++) {
				const uint32_t *nb;
				const double *w;
				size_t r = or_covisit_row(t1, wk->uitem[u], &nb, &w);
				for (size_t j = 0; j < r; j++)
					or_counter_add(&wk->cand, nb[j], 1.0);
			}
			for (size_t b = 0; buys && m->buy2buy && b < wk->buys.n; b++) {
				const uint32_t *nb;
				const double *w;
				size_t r = or_covisit_row(m->buy2buy, wk->bitem[b], &nb, &w);
				for (size_t j = 0; j < r; j++)
					or_counter_add(&wk->cand, nb[j], 1.0);
			}
			for (size_t u = 0; u < nu && at < k; u++)
				out[at++] = wk->uniq.aid[u];
			size_t got = or_counter_most_common(&wk->cand, k, wk->idx);
			for (size_t j = 0; j < got && at < k; j++) {
				uint32_t a = item_aid[wk->cand.aid[wk->idx[j]]];
				if (!or_counter_has(&wk->uniq, a))
					out[at++] = a;
			}
		}
		if (buys)
			fill_popular(out, at, k, m->top_orders, m->n_top_orders);
		else
			fill_popular(out, at, k, m->top_clicks, m->n_top_clicks);
	}
	return 0;
}

int or_recommend_covisit(const or_store *test, const or_recommend_covisit_model *m,
			 const or_recommend_config *cfg, int64_t *clicks,
			 int64_t *buys, const or_log *log, or_err *err)
{
	if (!cfg || cfg->k < 1 || cfg->k > OR_RECOMMEND_K_MAX)
		return or_err_set(err, OR_EINVAL, "list length must be 1..%d", OR_RECOMMEND_K_MAX);
	size_t ns = or_store_n_sessions(test); /* offsets: checked at open */
	const or_covisit *tabs[3] = { m->clicks, m->carts_orders, m->buy2buy };
	const or_items *items = NULL;
	int rc = or_covisit_shared_items(tabs, 3, &items, err);
	if (rc)
		return rc;
	/* the test store's checksums as the sessions are read */
	or_store_check *chk = or_store_check_new(&test, 1, OR_STORE_CHECK_ALL);
	int failed = OR_PAR_OK;
	int T = or_par_threads(cfg->threads);
	(void)T;
	OMP(omp parallel num_threads(T))
	{
		worker wk;
		memset(&wk, 0, sizeof(wk));
		int tid = or_par_thread_num();
		OMP(omp for schedule(dynamic, 4096))
		for (size_t i = 0; i < ns; i++) {
			if (or_par_failed(&failed))
				continue;
			if ((i & 4095) == 0) {
				if (or_par_stop(&failed, log))
					continue;
				if (tid == 0)
					or_log_progress(log, "recommend", (double)i, (double)ns, "sessions");
				or_store_check_read(chk, 0, i);
			}
			if (cfg->keep && !cfg->keep[i]) {
				for (size_t j = 0; j < cfg->k; j++)
					clicks[i * cfg->k + j] = buys[i * cfg->k + j] = -1;
				continue;
			}
			or_session s;
			or_store_session(test, i, &s);
			if (recommend_one(&wk, &s, m, items, cfg, clicks + i * cfg->k, buys + i * cfg->k))
				or_par_fail(&failed, OR_PAR_FAILED);
		}
		worker_free(&wk);
	}
	if (failed == OR_PAR_CANCELLED)
		rc = or_err_set(err, OR_ECANCELLED, "cancelled");
	else if (failed)
		rc = or_err_set(err, OR_ENOMEM, "out of memory (recommendation scratch)");
	rc = or_store_check_end(chk, rc, err);
	if (!rc)
		or_log_progress(log, "recommend", (double)ns, (double)ns, "sessions");
	return rc;
}

int or_recommend_popular(const or_store *st, unsigned type, size_t k,
			 int64_t *out, size_t *n_out, or_err *err)
{
	*n_out = 0;
	or_items *items = NULL;
	size_t n_items = or_store_n_items(st);
	int rc = or_items_new(or_store_items(st), n_items, 0, or_store_path(st), &items, err);
	if (rc)
		return rc;
	uint64_t *cnt = calloc(n_items ? n_items : 1, sizeof(*cnt));
	if (!cnt) {
		or_items_free(items);
		return or_err_set(err, OR_ENOMEM, "out of memory (popular items)");
	}
	const uint32_t *aid = or_store_aids(st);
	const uint8_t *ty = or_store_types(st);
	size_t ne = or_store_n_events(st);
	/* aid and type read in one pass: their checksums as it goes */
	or_store_check *chk = or_store_check_new(&st, 1, OR_STORE_CHECK_AIDS_TYPES);
	for (size_t i = 0; i < ne; i++) {
		if ((i & 0xfffff) == 0)
			or_store_check_events(chk, 0, i);
		if (ty[i] != type)
			continue;
		uint32_t it = or_items_index(items, aid[i]);
		if (it == OR_ITEM_NONE) {
			rc = or_err_set(err, OR_EFORMAT, "%s: event %zu has aid %u, not in the store's item dictionary (damaged store)",
					or_store_path(st), i, aid[i]);
			break;
		}
		cnt[it]++;
	}
	rc = or_store_check_end(chk, rc, err);
	/* the k best items (count descending, item = aid ascending), held as
	   items in out until the end */
	size_t m = 0;
	for (size_t a = 0; !rc && a < n_items && k > 0; a++) {
		uint64_t c = cnt[a];
		if (!c || (m == k && c <= cnt[out[m - 1]]))
			continue;
		size_t i = m < k ? m : k - 1;
		while (i > 0 && c > cnt[out[i - 1]]) {
			out[i] = out[i - 1];
			i--;
		}
		out[i] = (int64_t)a;
		if (m < k)
			m++;
	}
	for (size_t i = 0; !rc && i < m; i++)
		out[i] = or_items_aid(items, (uint32_t)out[i]);
	free(cnt);
	or_items_free(items);
	*n_out = rc ? 0 : m;
	return rc;
}

/* ---- the submission CSV -------------------------------------------------------- */

int or_recommend_write_csv(const char *path, const int64_t *session_ids, size_t n,
			   size_t k, const int64_t *clicks, const int64_t *carts,
			   const int64_t *orders, or_err *err)
{
	static const char *const names[3] = { "_clicks,", "_carts,", "_orders," };
	const int64_t *rows[3] = { clicks, carts, orders };
	or_file f;
	memset(&f, 0, sizeof(f));
	int rc = or_file_open(&f, path, err);
	if (!rc)
		rc = or_file_write(&f, "session_type,labels\n", 20, err);
	for (size_t i = 0; !rc && i < n; i++) {
		for (int t = 0; t < 3 && !rc; t++) {
			char *p = or_file_reserve(&f, 32 + k * 21, err);
			if (!p) {
				rc = err ? err->code : OR_ENOMEM;
				if (!rc)
					rc = OR_ENOMEM;
				break;
			}
			size_t o = or_fmt_i64(p, session_ids[i]);
			size_t nl = strlen(names[t]);
			memcpy(p + o, names[t], nl);
			o += nl;
			o += or_fmt_id_list(p + o, rows[t] + i * k, k, ' ');
			p[o++] = '\n';
			or_file_advance(&f, o);
		}
	}
	if (!rc)
		rc = or_file_commit(&f, err);
	or_file_abort(&f);
	return rc;
}
