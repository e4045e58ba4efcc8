/*
 * or_cand_internal.h - what or_cand.c needs of or_cand_stats.c: the
 * training period's item features, popular lists and next-item table
 * (or_cand_next.c).
 */
#ifndef OR_CAND_INTERNAL_H
#define OR_CAND_INTERNAL_H

#include "or_cand.h"

/* x[OR_CF_I_*] of aid (left as they are, 0, when the period has no event on it). */
void or_cand_stats_features(const or_cand_stats *s, uint32_t aid, float *x);
/* The k (<= 100) aids with the most events of type t in the period's last
   week (count descending, aid ascending; only aids with events) into out;
   returns how many. */
size_t or_cand_stats_top_week(const or_cand_stats *s, unsigned t, size_t k, uint32_t *out);

/* The next-item table (or_cand_next.c): per item of a dictionary its
   OR_CAND_NEXT_K most frequent next items (as aids) with P(next | item). */
#define OR_CAND_NEXT_K 20
typedef struct or_cand_next {
	size_t n;      /* items */
	uint32_t *aid; /* n x OR_CAND_NEXT_K */
	float *p;      /* n x OR_CAND_NEXT_K */
	uint8_t *len;  /* n: entries used */
} or_cand_next;

int or_cand_next_build(or_store *const *stores, size_t n_stores, const or_items *items,
		       or_cand_next *out, const or_log *log, or_err *err);
void or_cand_next_free(or_cand_next *t);
/* Item `item`'s row: its length, *aid and *p set (0 when out of range). */
size_t or_cand_next_row(const or_cand_next *t, uint32_t item, const uint32_t **aid, const float **p);

/* The next-item row of aid in the period (0 when the period never saw it). */
size_t or_cand_stats_next(const or_cand_stats *s, uint32_t aid, const uint32_t **next,
			  const float **p);

#endif
