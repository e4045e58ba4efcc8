/* or_idset.c - int64 hash set (see or_idset.h). */
#include "or_idset.h"

#include <stdlib.h>

#define OR_IDSET_EMPTY INT64_MIN

static size_t hash64(int64_t x)
{
	uint64_t z = (uint64_t)x * 0x9E3779B97F4A7C15ull;
	return (size_t)(z ^ (z >> 29));
}

static int alloc_slots(or_idset *s, size_t cap)
{
	s->slot = malloc(cap * sizeof(*s->slot));
	if (!s->slot)
		return -1;
	for (size_t i = 0; i < cap; i++)
		s->slot[i] = OR_IDSET_EMPTY;
	s->mask = cap - 1;
	return 0;
}

int or_idset_init(or_idset *s, size_t expected)
{
	size_t cap = 16;
	while (cap < expected * 2)
		cap <<= 1;
	s->n = 0;
	s->has_empty_key = 0;
	return alloc_slots(s, cap);
}

void or_idset_release(or_idset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->n = 0;
}

static void insert_new(or_idset *s, int64_t id)
{
	size_t i = hash64(id) & s->mask;
	while (s->slot[i] != OR_IDSET_EMPTY)
		i = (i + 1) & s->mask;
	s->slot[i] = id;
}

int or_idset_add(or_idset *s, int64_t id)
{
	if (id == OR_IDSET_EMPTY) {
		if (s->has_empty_key)
			return 0;
		s->has_empty_key = 1;
		return 1;
	}
	size_t i = hash64(id) & s->mask;
	while (s->slot[i] != OR_IDSET_EMPTY) {
		if (s->slot[i] == id)
			return 0;
		i = (i + 1) & s->mask;
	}
	if ((s->n + 1) * 2 > s->mask + 1) {
		int64_t *old = s->slot;
		size_t oldcap = s->mask + 1;
		if (alloc_slots(s, oldcap * 2)) {
			s->slot = old;
			return -1;
		}
		for (size_t j = 0; j < oldcap; j++)
			if (old[j] != OR_IDSET_EMPTY)
				insert_new(s, old[j]);
		free(old);
	}
	insert_new(s, id);
	s->n++;
	return 1;
}
