/*
 * or_recommend_seed.c - the "seed" strategy: the rule of the OTTO
 * matrix-factorisation notebook (long sessions rank their own history,
 * short ones list their aids and then the embedding neighbours of the most
 * recent one); rules in or_recommend.h.  Three passes: every session's
 * history part in parallel (each short session noting the item to ask
 * neighbours of); the distinct such items asked once each, in batches, of
 * the ANN index (which parallelises them itself); the short lists completed
 * in parallel.  Every row depends on its session alone, so the output does
 * not depend on the thread count.  The index works in its rows: a session's
 * aid is looked up in the index's dictionary (or_ann_items), and the
 * neighbour rows are turned back into aids.
 */
#include "or_recommend.h"
#include "or_par.h"

#include <stdlib.h>
#include <string.h>

#define SEED_BATCH 65536 /* items per index search call */
#define SEED_BLOCK 4096  /* sessions per parallel work item */

void or_recommend_seed_config_default(or_recommend_seed_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->k = 20;
	cfg->long_threshold = 20;
	cfg->type_weight[0] = 1;
	cfg->type_weight[1] = 6;
	cfg->type_weight[2] = 3;
	cfg->log_lo = 0.1;
	cfg->threads = 0;
}

/* The history part of session s into row (k entries, padded with -1); the
   index row to ask neighbours of, or -1 when the row is complete or the
   most recent aid has no row in the index (dict: the index's aids, NULL
   without an index). */
static int seed_history(or_history *h, const or_session *s, const or_recommend_seed_config *cfg,
			const or_items *dict, int64_t *row, int64_t *query)
{
	size_t k = cfg->k;
	for (size_t j = 0; j < k; j++)
		row[j] = -1;
	*query = -1;
	if (s->n >= cfg->long_threshold) {
		if (or_history_score(h, s, cfg->log_lo, cfg->type_weight))
			return -1;
		or_history_top(h, k, row);
		return 0;
	}
	if (or_history_recent(h, s))
		return -1;
	size_t u = or_history_size(h);
	const uint32_t *aids = or_history_aids(h);
	for (size_t j = 0; j < u && j < k; j++)
		row[j] = aids[j];
	if (u < k && s->n > 0 && dict) {
		uint32_t r = or_items_index(dict, s->aid[s->n - 1]);
		if (r != OR_ITEM_NONE)
			*query = r;
	}
	return 0;
}

/* Append the neighbours nb[0..k) (-1 = none) that are not in row yet, up
   to k. */
static void seed_fill(int64_t *row, size_t k, const int32_t *nb)
{
	size_t at = 0;
	while (at < k && row[at] >= 0)
		at++;
	for (size_t j = 0; j < k && at < k; j++) {
		int64_t a = nb[j];
		if (a < 0)
			break;
		int seen = 0;
		for (size_t i = 0; i < at; i++)
			if (row[i] == a) {
				seen = 1;
				break;
			}
		if (!seen)
			row[at++] = a;
	}
}

/* Phase 1: every session's history part into out, its query item into
   query[i]. */
static int seed_histories(const or_store *test, const or_recommend_seed_config *cfg,
			  const or_items *dict, int T, or_history **hs, int64_t *out,
			  int64_t *query, const or_log *log, or_err *err)
{
	size_t ns = or_store_n_sessions(test), k = cfg->k, done = 0;
	int failed = OR_PAR_OK;
	/* the one pass over the test store: its checksums as it goes */
	or_store_check *chk = or_store_check_new(&test, 1, OR_STORE_CHECK_ALL);
	OMP(omp parallel num_threads(T))
	{
		int tid = or_par_thread_num();
		OMP(omp for schedule(dynamic, 1))
		for (size_t b = 0; b < ns; b += SEED_BLOCK) {
			if (or_par_stop(&failed, log))
				continue;
			size_t e = ns - b < SEED_BLOCK ? ns : b + SEED_BLOCK;
			for (size_t i = b; i < e; i++) {
				or_session s;
				or_store_session(test, i, &s);
				if (seed_history(hs[tid], &s, cfg, dict, out + i * k, &query[i])) {
					or_par_fail(&failed, OR_PAR_FAILED);
					break;
				}
			}
			or_store_check_read(chk, 0, e);
			or_par_done(&done, e - b, tid, log, "recommend", ns, "sessions");
		}
	}
	int rc = OR_OK;
	if (failed == OR_PAR_CANCELLED)
		rc = or_err_set(err, OR_ECANCELLED, "cancelled");
	else if (failed)
		rc = or_err_set(err, OR_ENOMEM, "out of memory (recommendation scratch)");
	return or_store_check_end(chk, rc, err);
}

int or_recommend_seed(const or_store *test, const or_ann *index,
		      const or_ann_search_params *p,
		      const or_recommend_seed_config *cfg, int64_t *out,
		      const or_log *log, or_err *err)
{
	if (!cfg || cfg->k < 1 || cfg->k > OR_RECOMMEND_K_MAX)
		return or_err_set(err, OR_EINVAL, "list length must be 1..%d", OR_RECOMMEND_K_MAX);
	size_t k = cfg->k;
	size_t ns = or_store_n_sessions(test); /* offsets: checked at open */
	or_ann_search_params sp;
	if (p) {
		sp = *p;
	} else {
		or_ann_search_params_default(&sp);
		sp.threads = cfg->threads;
	}
	/* the index's own progress would interleave with ours: cancellation only */
	or_log quiet = { 0 };
	if (log)
		quiet.cancel = log->cancel;
	size_t n_index = index ? or_ann_n(index) : 0;
	const or_items *dict = n_index ? or_ann_items(index) : NULL;
	int T = or_par_threads(cfg->threads);
	int rc = OR_OK;
	int64_t *query = malloc((ns ? ns : 1) * sizeof(*query));
	or_history **hs = calloc((size_t)T, sizeof(*hs));
	uint32_t *pos = NULL;  /* index row -> its place in items, or UINT32_MAX */
	int64_t *items = NULL; /* distinct query rows, in order of first need */
	int64_t *ids = NULL;   /* one batch of answers (rows) */
	int32_t *nb = NULL;    /* k neighbour aids of each of items, -1 none */
	size_t nq = 0;
	if (!query || !hs)
		rc = or_err_set(err, OR_ENOMEM, "out of memory (seed strategy, %zu sessions)", ns);
	for (int t = 0; !rc && t < T; t++)
		rc = or_history_new(&hs[t], err);
	if (!rc)
		rc = seed_histories(test, cfg, dict, T, hs, out, query, log, err);
	/* Phase 2: each distinct item asked once (sessions share their most
	   recent aid: at OTTO scale 1.6 M queries are 0.6 M items). */
	if (!rc && n_index) {
		pos = malloc(n_index * sizeof(*pos));
		items = malloc((ns ? ns : 1) * sizeof(*items));
		if (!pos || !items)
			rc = or_err_set(err, OR_ENOMEM, "out of memory (seed strategy, %zu index rows)", n_index);
	}
	if (!rc && n_index) {
		memset(pos, 0xff, n_index * sizeof(*pos));
		for (size_t i = 0; i < ns; i++) {
			int64_t a = query[i];
			if (a >= 0 && pos[a] == UINT32_MAX) {
				pos[a] = (uint32_t)nq;
				items[nq++] = a;
			}
		}
		size_t batch = nq < SEED_BATCH ? nq : SEED_BATCH;
		nb = malloc((nq ? nq : 1) * k * sizeof(*nb));
		ids = malloc((batch ? batch : 1) * k * sizeof(*ids));
		if (!nb || !ids)
			rc = or_err_set(err, OR_ENOMEM, "out of memory (seed strategy, %zu neighbour lists)", nq);
		for (size_t b = 0; !rc && b < nq; b += batch) {
			size_t bn = nq - b < batch ? nq - b : batch;
			rc = or_ann_search_items(index, items + b, bn, k, &sp, ids, NULL, &quiet, err);
			for (size_t j = 0; !rc && j < bn * k; j++)
				nb[b * k + j] = ids[j] < 0 ? -1 : (int32_t)or_items_aid(dict, (uint32_t)ids[j]);
			or_log_progress(log, "neighbours", (double)(b + bn), (double)nq, "items");
		}
	}
	/* Phase 3: complete the short lists. */
	if (!rc && nq) {
		OMP(omp parallel for num_threads(T) schedule(static, 4096))
		for (size_t i = 0; i < ns; i++)
			if (query[i] >= 0)
				seed_fill(out + i * k, k, nb + (size_t)pos[query[i]] * k);
	}
	for (int t = 0; hs && t < T; t++)
		or_history_free(hs[t]);
	free(hs);
	free(query);
	free(pos);
	free(items);
	free(ids);
	free(nb);
	return rc;
}
