/*
 * or_cand_stats_internal.h - the layout of or_cand_stats (or_cand.h), for
 * the two files that make one: or_cand_stats.c (built from the stores) and
 * or_cand_stats_file.c (written to / mapped from a file).  Whichever made
 * it, the readers in or_cand_stats.c see the same arrays.
 */
#ifndef OR_CAND_STATS_INTERNAL_H
#define OR_CAND_STATS_INTERNAL_H

#include "or_cand_internal.h"
#include "or_cand_stats_file.h"
#include "or_sfile.h"

/* Counts per item: events of each type over the whole period (0..2), its
   last week (3..5) and its last day (6..8). */
enum { OR_CS_ALL = 0, OR_CS_WEEK = 3, OR_CS_DAY = 6, OR_CS_N_CNT = 9 };
/* Per-item features: x[OR_CF_I_CLICKS .. OR_CF_I_TREND]. */
#define OR_CS_N_FEAT (OR_CF_I_TREND - OR_CF_I_CLICKS + 1)

struct or_cand_stats {
	or_items *items;
	const uint32_t *cnt;  /* n_items x OR_CS_N_CNT */
	const float *feat;    /* n_items x OR_CS_N_FEAT */
	double period_days;   /* at least 7 */
	int64_t ts_min, ts_max; /* the period (INT64_MAX, INT64_MIN: no events) */
	or_cand_next next;    /* the period's next-item table */
	size_t n_src;         /* the stores it was built from */
	or_cand_stats_source *src; /* n_src, paths owned (malloc'd) */
	/* built: the arrays above are these; mapped: f holds them */
	uint32_t *own_cnt;
	float *own_feat;
	int mapped;           /* cnt, feat, next and items' aids are f's */
	or_sfile f;
};

#endif
