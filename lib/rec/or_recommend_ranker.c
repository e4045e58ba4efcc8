/*
 * or_recommend_ranker.c - the ranker strategy (or_strategy.h): or_cand's
 * candidate blocks scored by an or_ranker per type and cut to the k best.
 */
#include "or_par.h"
#include "or_rec_topk.h"
#include "or_recommend.h"
#include "or_strategy.h"

#include <stdlib.h>
#include <string.h>

typedef struct sink_ctx {
	const or_ranker *r;
	size_t k;
	int threads;
	int64_t *const *out;
	double *score[3];
	size_t cap;
} sink_ctx;

/* The k best rows by score into dst (or_rec_topk.h's rule). */
static void top_k(const uint32_t *aid, const double *sc, size_t n, size_t k, int64_t *dst)
{
	double best[OR_RECOMMEND_K_MAX];
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		or_rec_topk_push(dst, best, &m, k, sc[i], aid[i]);
	or_rec_topk_pad(dst, m, k);
}

static int rank_block(void *ctx, const or_cand_chunk *c, or_err *err)
{
	sink_ctx *s = ctx;
	if (c->n_rows > s->cap) {
		for (int t = 0; t < 3; t++) {
			free(s->score[t]);
			s->score[t] = malloc((c->n_rows ? c->n_rows : 1) * sizeof(double));
			if (!s->score[t]) {
				s->cap = 0;
				return or_err_set(err, OR_ENOMEM, "out of memory (scores of %zu candidates)", c->n_rows);
			}
		}
		s->cap = c->n_rows;
	}
	const double *sc[3];
	for (unsigned t = 0; t < 3; t++) {
		unsigned u = or_ranker_type_uses(s->r, t);
		if (u < t && u < 3) { /* the same booster as an earlier type: same scores */
			sc[t] = sc[u];
			continue;
		}
		int rc = or_ranker_score_threads(s->r, t, c->x, c->n_rows, OR_CF_N, s->threads, s->score[t], err);
		if (rc)
			return rc;
		sc[t] = s->score[t];
	}
	int T = or_par_threads(s->threads);
	(void)T; /* unused without OpenMP */
	OMP(omp parallel for num_threads(T) schedule(dynamic, 256))
	for (size_t j = 0; j < c->n_sessions; j++) {
		uint64_t lo = c->off[j], hi = c->off[j + 1];
		size_t si = c->session[j];
		for (int t = 0; t < 3; t++)
			top_k(c->aid + lo, sc[t] + lo, (size_t)(hi - lo), s->k, s->out[t] + si * s->k);
	}
	return OR_OK;
}

int or_recommend_ranker(const or_store *test, const or_cand_model *m, const or_cand_config *cfg,
			const or_ranker *ranker, size_t k, int64_t *const out[3], const or_log *log,
			or_err *err)
{
	if (k < 1 || k > OR_RECOMMEND_K_MAX)
		return or_err_set(err, OR_EINVAL, "list length must be 1..%d", OR_RECOMMEND_K_MAX);
	int rc = or_ranker_check_features(ranker, or_cand_feature_names(), OR_CF_N, err);
	if (rc)
		return rc;
	size_t ns = or_store_n_sessions(test);
	for (int t = 0; t < 3; t++)
		for (size_t i = 0; i < ns * k; i++)
			out[t][i] = -1;
	sink_ctx s = { ranker, k, cfg->threads, out, { NULL, NULL, NULL }, 0 };
	rc = or_cand_generate(test, m, cfg, NULL, rank_block, &s, log, err);
	for (int t = 0; t < 3; t++)
		free(s.score[t]);
	return rc;
}
