/*
 * or_idset.h - a set of int64 ids (open addressing, linear probing), used to
 * find repeated session ids.  Written by hand: libc has no hash set and the
 * job is forty lines.
 */
#ifndef OR_IDSET_H
#define OR_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct or_idset {
	int64_t *slot; /* OR_IDSET_EMPTY marks a free slot */
	size_t mask;   /* capacity - 1, capacity a power of two */
	size_t n;
	int has_empty_key; /* the key equal to the sentinel is kept aside */
} or_idset;

/* returns 0, or -1 when out of memory */
int or_idset_init(or_idset *s, size_t expected);
void or_idset_release(or_idset *s);
/* 1 if added, 0 if it was already there, -1 when out of memory */
int or_idset_add(or_idset *s, int64_t id);

#endif
