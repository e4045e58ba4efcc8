/*
 * or_aidmap.h - the hash index of an insertion-ordered array of aids: aid ->
 * its entry index, for the per-session scratch tables of the recommenders
 * (or_counter's aid -> score entries, the blend strategy's candidate rows).
 * The entries (the aids, and whatever the caller keeps beside them) live in
 * the caller's arrays; this module owns only the slots.  Open addressing
 * with generation-stamped slots, so emptying it between sessions costs
 * nothing.  Written by hand: the entries must keep their insertion order
 * (Python's dict order), which no C hash table offers.  One thread per map.
 */
#ifndef OR_AIDMAP_H
#define OR_AIDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct or_aidmap {
	uint32_t *slot_gen, *slot_pos; /* per slot: generation, entry index */
	size_t mask;                   /* slots - 1; 0 before the first reset */
	uint32_t gen;                  /* slots of another generation are free */
} or_aidmap;

void or_aidmap_free(or_aidmap *m); /* back to all zero */

/* Empty the map, with at least 2 * entries slots.  -1 when out of memory
   (the map is then back to all zero, still valid to free or reset). */
int or_aidmap_reset(or_aidmap *m, size_t entries);

/* The slot of aid, given the caller's entries aids[]: the slot holding it,
   or the free slot where it goes. */
static inline size_t or_aidmap_slot(const or_aidmap *m, const uint32_t *aids, uint32_t aid)
{
	size_t i = (size_t)(((uint64_t)aid * 0x9E3779B97F4A7C15ull) >> 24) & m->mask;
	while (m->slot_gen[i] == m->gen && aids[m->slot_pos[i]] != aid)
		i = (i + 1) & m->mask;
	return i;
}

/* Whether slot i holds an entry. */
static inline int or_aidmap_used(const or_aidmap *m, size_t i)
{
	return m->slot_gen[i] == m->gen;
}

/* The entry index of used slot i. */
static inline size_t or_aidmap_entry(const or_aidmap *m, size_t i)
{
	return m->slot_pos[i];
}

/* Make free slot i point at entry (the caller stores the aid there). */
static inline void or_aidmap_claim(or_aidmap *m, size_t i, size_t entry)
{
	m->slot_gen[i] = m->gen;
	m->slot_pos[i] = (uint32_t)entry;
}

#endif
