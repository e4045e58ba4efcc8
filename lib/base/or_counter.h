/*
 * or_counter.h - an insertion-ordered aid -> double map: Python's dict /
 * Counter with its iteration order, the scratch of the recommenders (covisit
 * rule, session history).  The entries are arrays in insertion order, found
 * through an or_aidmap, so emptying it between sessions costs nothing.
 * Internal to the library; one thread per counter.
 */
#ifndef OR_COUNTER_H
#define OR_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "or_aidmap.h"

typedef struct or_counter {
	or_aidmap map;                 /* aid -> entry index */
	uint32_t *aid;                 /* entries in insertion order */
	double *val;
	size_t n, cap;
} or_counter;

void or_counter_free(or_counter *c); /* back to all zero */

/* Empty the counter with room for max_items entries; -1 when out of memory
   (the counter is then empty and still valid to free or reset). */
int or_counter_reset(or_counter *c, size_t max_items);

/* c[aid] += v (inserted at the end when new); room was reserved by reset. */
static inline void or_counter_add(or_counter *c, uint32_t aid, double v)
{
	size_t i = or_aidmap_slot(&c->map, c->aid, aid);
	if (or_aidmap_used(&c->map, i)) {
		c->val[or_aidmap_entry(&c->map, i)] += v;
		return;
	}
	or_aidmap_claim(&c->map, i, c->n);
	c->aid[c->n] = aid;
	c->val[c->n] = 0.0 + v;
	c->n++;
}

static inline int or_counter_has(const or_counter *c, uint32_t aid)
{
	return c->map.mask && or_aidmap_used(&c->map, or_aidmap_slot(&c->map, c->aid, aid));
}

/* Counter.most_common(k): entry indices of the k largest values, ties by
   insertion order, into idx[0..k); returns the count. */
size_t or_counter_most_common(const or_counter *c, size_t k, uint32_t *idx);

#endif
