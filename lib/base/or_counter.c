/* or_counter.c - the insertion-ordered aid -> double map (see or_counter.h). */
#include "or_counter.h"

#include <stdlib.h>
#include <string.h>

void or_counter_free(or_counter *c)
{
	or_aidmap_free(&c->map);
	free(c->aid);
	free(c->val);
	memset(c, 0, sizeof(*c));
}

int or_counter_reset(or_counter *c, size_t max_items)
{
	c->n = 0;
	if (max_items > c->cap) {
		size_t cap = c->cap ? c->cap : 256;
		while (cap < max_items)
			cap *= 2;
		uint32_t *a = realloc(c->aid, cap * sizeof(*a));
		if (a)
			c->aid = a;
		double *v = realloc(c->val, cap * sizeof(*v));
		if (v)
			c->val = v;
		if (!a || !v)
			return -1;
		c->cap = cap;
	}
	return or_aidmap_reset(&c->map, c->cap);
}

size_t or_counter_most_common(const or_counter *c, size_t k, uint32_t *idx)
{
	size_t m = 0;
	for (size_t e = 0; e < c->n && k > 0; e++) {
		double v = c->val[e];
		if (m == k && !(v > c->val[idx[m - 1]]))
			continue;
		size_t i = m < k ? m : k - 1;
		while (i > 0 && v > c->val[idx[i - 1]]) {
			idx[i] = idx[i - 1];
			i--;
		}
		idx[i] = (uint32_t)e;
		if (m < k)
			m++;
	}
	return m;
}
