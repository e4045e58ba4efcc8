/*
 * or_cand_internal.h - what or_cand.c needs of or_cand_stats.c: the
 * training period's item features and popular lists.
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

#endif
