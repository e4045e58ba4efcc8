/* or_aidmap.c - the aid -> entry index slots (see or_aidmap.h). */
#include "or_aidmap.h"

#include <stdlib.h>
#include <string.h>

void or_aidmap_free(or_aidmap *m)
{
	free(m->slot_gen);
	free(m->slot_pos);
	memset(m, 0, sizeof(*m));
}

int or_aidmap_reset(or_aidmap *m, size_t entries)
{
	size_t slots = m->mask ? m->mask + 1 : 0;
	if (slots < 2 * entries || !slots) {
		size_t s = 512;
		while (s < 2 * entries)
			s *= 2;
		or_aidmap_free(m);
		m->slot_gen = calloc(s, sizeof(*m->slot_gen));
		m->slot_pos = malloc(s * sizeof(*m->slot_pos));
		if (!m->slot_gen || !m->slot_pos) {
			or_aidmap_free(m);
			return -1;
		}
		m->mask = s - 1;
		m->gen = 0;
	}
	if (++m->gen == 0) {
		memset(m->slot_gen, 0, (m->mask + 1) * sizeof(*m->slot_gen));
		m->gen = 1;
	}
	return 0;
}
