/*
 * or_idset.h - a set of int64 ids, optionally with a uint64 value per id
 * (open addressing, linear probing): the library's one hash table keyed by
 * session ids - repeated-session checks (store builder, label readers),
 * session -> row maps (labels Parquet, the metric).  Written by hand: libc
 * has no hash table and the job is a hundred lines.  One thread per set.
 */
#ifndef OR_IDSET_H
#define OR_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct or_idset {
	int64_t *slot;  /* OR_IDSET_EMPTY (in or_idset.c) marks a free slot */
	uint64_t *val;  /* one per slot with values, NULL for a plain set */
	size_t mask;    /* capacity - 1, capacity a power of two */
	size_t n;
	int has_empty_key; /* the key equal to the sentinel is kept aside, */
	uint64_t empty_key_val; /* with its value */
} or_idset;

/* An empty set (or_idset_init) or map (or_idset_init_map: a value per id)
   with room for `expected` ids before it grows.  0, or -1 when out of
   memory (s is then safe to release). */
int or_idset_init(or_idset *s, size_t expected);
int or_idset_init_map(or_idset *s, size_t expected);
void or_idset_release(or_idset *s);

/* 1 if added, 0 if it was already there, -1 when out of memory */
int or_idset_add(or_idset *s, int64_t id);

/* Maps only.  The value of id, added with value 0 when new (*added = 1,
   else 0); NULL when out of memory.  The pointer is valid until the next
   add or put. */
uint64_t *or_idset_put(or_idset *s, int64_t id, int *added);

/* Maps only.  1 and *val when id is there, else 0. */
int or_idset_get(const or_idset *s, int64_t id, uint64_t *val);

#endif
