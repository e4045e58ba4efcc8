/* or_idset.c - int64 hash set / map (see or_idset.h). */
#include "or_idset.h"

#include <stdlib.h>

#define OR_IDSET_EMPTY INT64_MIN
#define NOT_FOUND ((size_t)-1)

static size_t hash64(int64_t x)
{
	uint64_t z = (uint64_t)x * 0x9E3779B97F4A7C15ull;
	return (size_t)(z ^ (z >> 29));
}

/* Fresh slots (and values when with_val) for cap ids; -1 when out of
   memory, s unchanged. */
static int alloc_slots(or_idset *s, size_t cap, int with_val)
{
	int64_t *slot = malloc(cap * sizeof(*slot));
	uint64_t *val = with_val ? malloc(cap * sizeof(*val)) : NULL;
	if (!slot || (with_val && !val)) {
		free(slot);
		free(val);
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		slot[i] = OR_IDSET_EMPTY;
	s->slot = slot;
	s->val = val;
	s->mask = cap - 1;
	return 0;
}

static int init(or_idset *s, size_t expected, int with_val)
{
	size_t cap = 16;
	while (cap < expected * 2)
		cap <<= 1;
	s->slot = NULL;
	s->val = NULL;
	s->mask = 0;
	s->n = 0;
	s->has_empty_key = 0;
	s->empty_key_val = 0;
	return alloc_slots(s, cap, with_val);
}

int or_idset_init(or_idset *s, size_t expected) { return init(s, expected, 0); }
int or_idset_init_map(or_idset *s, size_t expected) { return init(s, expected, 1); }

void or_idset_release(or_idset *s)
{
	free(s->slot);
	free(s->val);
	s->slot = NULL;
	s->val = NULL;
	s->n = 0;
}

/* The slot of id, or NOT_FOUND (id != OR_IDSET_EMPTY). */
static size_t find(const or_idset *s, int64_t id)
{
	size_t i = hash64(id) & s->mask;
	while (s->slot[i] != OR_IDSET_EMPTY) {
		if (s->slot[i] == id)
			return i;
		i = (i + 1) & s->mask;
	}
	return NOT_FOUND;
}

/* Place id (not there yet) in a free slot; returns the slot. */
static size_t insert_new(or_idset *s, int64_t id)
{
	size_t i = hash64(id) & s->mask;
	while (s->slot[i] != OR_IDSET_EMPTY)
		i = (i + 1) & s->mask;
	s->slot[i] = id;
	return i;
}

static int grow(or_idset *s)
{
	int64_t *old = s->slot;
	uint64_t *old_val = s->val;
	size_t oldcap = s->mask + 1;
	if (alloc_slots(s, oldcap * 2, old_val != NULL))
		return -1;
	for (size_t j = 0; j < oldcap; j++)
		if (old[j] != OR_IDSET_EMPTY) {
			size_t i = insert_new(s, old[j]);
			if (old_val)
				s->val[i] = old_val[j];
		}
	free(old);
	free(old_val);
	return 0;
}

/* The slot of id, added when new (*added); NOT_FOUND when out of memory. */
static size_t find_or_add(or_idset *s, int64_t id, int *added)
{
	size_t i = find(s, id);
	*added = i == NOT_FOUND;
	if (!*added)
		return i;
	if ((s->n + 1) * 2 > s->mask + 1 && grow(s))
		return NOT_FOUND;
	i = insert_new(s, id);
	if (s->val)
		s->val[i] = 0;
	s->n++;
	return i;
}

int or_idset_add(or_idset *s, int64_t id)
{
	int added;
	if (id == OR_IDSET_EMPTY) {
		added = !s->has_empty_key;
		s->has_empty_key = 1;
		return added;
	}
	return find_or_add(s, id, &added) == NOT_FOUND ? -1 : added;
}

uint64_t *or_idset_put(or_idset *s, int64_t id, int *added)
{
	if (id == OR_IDSET_EMPTY) {
		*added = !s->has_empty_key;
		if (*added)
			s->empty_key_val = 0;
		s->has_empty_key = 1;
		return &s->empty_key_val;
	}
	size_t i = find_or_add(s, id, added);
	return i == NOT_FOUND ? NULL : &s->val[i];
}

int or_idset_get(const or_idset *s, int64_t id, uint64_t *val)
{
	if (id == OR_IDSET_EMPTY) {
		if (s->has_empty_key)
			*val = s->empty_key_val;
		return s->has_empty_key;
	}
	size_t i = find(s, id);
	if (i == NOT_FOUND)
		return 0;
	*val = s->val[i];
	return 1;
}
