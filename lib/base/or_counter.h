/*
 * or_counter.h - an insertion-ordered aid -> double map: Python's dict /
 * Counter with its iteration order, the scratch of the recommenders (covisit
 * rule, session history).  Open addressing with generation-stamped slots, so
 * emptying it between sessions costs nothing.  Written by hand: the iteration
 * order must be Python's, which no C hash table offers.  Internal to the
 * library; one thread per counter.
 */
#ifndef OR_COUNTER_H
#define OR_COUNTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct or_counter {
	uint32_t *slot_gen, *slot_pos; /* hash slots: generation, entry index */
	size_t mask;
	uint32_t gen;
	uint32_t *aid;                 /* entries in insertion order */
	double *val;
	size_t n, cap;
} or_counter;

void or_counter_free(or_counter *c); /* back to all zero */

/* Empty the counter with room for max_items entries; -1 when out of memory
   (the counter is then empty and still valid to free or reset). */
int or_counter_reset(or_counter *c, size_t max_items);

static inline size_t or_counter_slot(const or_counter *c, uint32_t aid)
{
	size_t i = (size_t)(((uint64_t)aid * 0x9E3779B97F4A7C15ull) >> 24) & c->mask;
	while (c->slot_gen[i] == c->gen && c->aid[c->slot_pos[i]] != aid)
		i = (i + 1) & c->mask;
	return i;
}

/* c[aid] += v (inserted at the end when new); room was reserved by reset. */
static inline void or_counter_add(or_counter *c, uint32_t aid, double v)
{
	size_t i = or_counter_slot(c, aid);
	if (c->slot_gen[i] == c->gen) {
		c->val[c->slot_pos[i]] += v;
		return;
	}
	c->slot_gen[i] = c->gen;
	c->slot_pos[i] = (uint32_t)c->n;
	c->aid[c->n] = aid;
	c->val[c->n] = 0.0 + v;
	c->n++;
}

static inline int or_counter_has(const or_counter *c, uint32_t aid)
{
	return c->mask && c->slot_gen[or_counter_slot(c, aid)] == c->gen;
}

/* Counter.most_common(k): entry indices of the k largest values, ties by
   insertion order, into idx[0..k); returns the count. */
size_t or_counter_most_common(const or_counter *c, size_t k, uint32_t *idx);

#endif
