/*
 * or_cand_period.h - what the ranker's candidates (and the blend
 * strategy's popularity) read of the "test
 * period" (or_cand_model.period) and of the training period's last week,
 * computed once: per item of the period's dictionary log1p of its clicks
 * and of its carts + orders (the t_* features), the period's last
 * timestamp (s_since_end), its 100 most clicked, carted and ordered aids
 * (the popular source, the rule lists' fill-ups) and the statistics'
 * top-100 of the last week per type.  or_cand_generate computes the same
 * from the stores on every call (a pass over the period); a caller that
 * ranks many small stores against one period (`ottorec serve`, a request
 * at a time) builds this once and hands it over in or_cand_model.summary:
 * the rows are the same, bit for bit.  Popular lists: count descending,
 * aid ascending (or_recommend_popular's order), so a shorter list is a
 * prefix of the 100.
 */
#ifndef OR_CAND_PERIOD_H
#define OR_CAND_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "or_cand.h"
#include "or_err.h"
#include "or_items.h"
#include "or_store.h"

#define OR_CAND_PERIOD_TOP 100

typedef struct or_cand_period or_cand_period;

/* The summary of period (and of stats' last week; stats may be NULL: no
   week lists).  Errors: OR_ENOMEM, OR_EFORMAT (damaged store). */
int or_cand_period_build(const or_store *period, const or_cand_stats *stats, or_cand_period **out,
			 or_err *err);
void or_cand_period_free(or_cand_period *p); /* NULL is fine */

/* The period's dictionary and, per item, log1p(clicks) (which 0) or
   log1p(carts + orders) (which 1), as float; _pop: the same divided by
   that of the item with the most (in doubles, then rounded to float; 0
   when the period has none): blend's pop_clicks and pop_buys. */
const or_items *or_cand_period_items(const or_cand_period *p);
const float *or_cand_period_log(const or_cand_period *p, int which);
const float *or_cand_period_pop(const or_cand_period *p, int which);
int64_t or_cand_period_ts_end(const or_cand_period *p);
/* The up to min(k, 100) best aids of list l (0..2: the period's clicks,
   carts, orders; 3..5: the statistics' last week of each) into out;
   returns how many. */
size_t or_cand_period_top(const or_cand_period *p, unsigned l, size_t k, uint32_t *out);

#endif
