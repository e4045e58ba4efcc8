/*
 * or_rec_topk.h - the k best (score, aid) pairs of a stream, the rule every
 * score-ranked strategy lists by (blend, ranker): score descending, ties
 * broken by the smaller aid, the list padded with -1.  Insertion into a
 * sorted array of at most k: k is small (<= OR_RECOMMEND_K_MAX) and most
 * candidates are rejected by one compare with the current k-th.
 */
#ifndef OR_REC_TOPK_H
#define OR_REC_TOPK_H

#include <stddef.h>
#include <stdint.h>

/* Offer (s, a) to the list out/best of *m entries (at most k). */
static inline void or_rec_topk_push(int64_t *out, double *best, size_t *m, size_t k, double s,
				    uint32_t a)
{
	size_t n = *m;
	if (n == k && !(s > best[n - 1] || (s == best[n - 1] && a < (uint32_t)out[n - 1])))
		return;
	size_t j = n < k ? n : k - 1;
	while (j > 0 && (s > best[j - 1] || (s == best[j - 1] && a < (uint32_t)out[j - 1]))) {
		best[j] = best[j - 1];
		out[j] = out[j - 1];
		j--;
	}
	best[j] = s;
	out[j] = a;
	if (n < k)
		*m = n + 1;
}

/* Pad out[m..k) with -1. */
static inline void or_rec_topk_pad(int64_t *out, size_t m, size_t k)
{
	for (size_t j = m; j < k; j++)
		out[j] = -1;
}

#endif
