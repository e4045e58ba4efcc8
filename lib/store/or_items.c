/*
 * or_items.c - item dictionaries (or_items.h): collecting the distinct aids
 * of a data set into a sorted array, the union of several stores'
 * dictionaries, and the aid -> item index lookup (a direct table for dense
 * aids, an open-addressing hash table for sparse ones).  Written here
 * because the lookup sits on the hot path of every model stage and its two
 * layouts are chosen by the data; a general hash library would add a call
 * and a hash of 64-bit keys to each event.
 */
#include "or_items.h"
#include "or_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- or_aid_marks ---------------------------------------------------------- */

#define MARK_WORDS (((size_t)OR_AID_MAX + 1) / 64)

int or_aid_marks_init(or_aid_marks *m, or_err *err)
{
	memset(m, 0, sizeof(*m));
	m->bytes = MARK_WORDS * sizeof(uint64_t);
	/* address space only: pages are backed where aids fall */
	void *p = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		m->bytes = 0;
		return or_err_errno(err, errno, "cannot reserve %zu MiB for the item dictionary",
				    (size_t)(MARK_WORDS * sizeof(uint64_t)) >> 20);
	}
	m->words = p;
	m->lo = (uint32_t)MARK_WORDS;
	m->hi = 0;
	return OR_OK;
}

void or_aid_marks_add(or_aid_marks *m, const uint32_t *aid, size_t n)
{
	uint64_t *w = m->words;
	uint32_t lo = m->lo, hi = m->hi;
	for (size_t i = 0; i < n; i++) {
		uint32_t a = aid[i];
		if (a > OR_AID_MAX)
			continue;
		uint32_t k = a >> 6;
		w[k] |= (uint64_t)1 << (a & 63);
		if (k < lo)
			lo = k;
		if (k >= hi)
			hi = k + 1;
	}
	m->lo = lo;
	m->hi = hi;
}

int or_aid_marks_sorted(const or_aid_marks *m, uint32_t **aids, size_t *n, or_err *err)
{
	*aids = NULL;
	*n = 0;
	size_t count = 0;
	for (uint32_t k = m->lo; k < m->hi; k++)
		count += (size_t)__builtin_popcountll(m->words[k]);
	if (!count)
		return OR_OK;
	uint32_t *out = malloc(count * sizeof(*out));
	if (!out)
		return or_err_set(err, OR_ENOMEM, "out of memory (item dictionary of %zu aids)", count);
	size_t at = 0;
	for (uint32_t k = m->lo; k < m->hi; k++)
		for (uint64_t x = m->words[k]; x; x &= x - 1)
			out[at++] = (k << 6) | (uint32_t)__builtin_ctzll(x);
	*aids = out;
	*n = count;
	return OR_OK;
}

void or_aid_marks_release(or_aid_marks *m)
{
	if (m->words)
		munmap(m->words, m->bytes);
	memset(m, 0, sizeof(*m));
}

/* ---- or_items -------------------------------------------------------------- */

struct or_items {
	const uint32_t *aids;
	uint32_t *owned; /* aids, when ours to free */
	size_t n;
	/* identity (aids 0..n-1, as OTTO's): index of aid a is a, a < bound */
	int identity;
	/* direct table: index of aid a at direct[a], a < bound */
	uint32_t *direct;
	uint32_t bound;
	/* hash table: keys (aids, OR_ITEM_NONE empty) and their indices */
	uint32_t *keys, *vals;
	uint32_t mask;
};

static inline uint32_t slot_of(uint32_t aid, uint32_t mask)
{
	return (uint32_t)(((uint64_t)aid * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int build_lookup(or_items *it, or_err *err)
{
	if (!it->n)
		return OR_OK;
	uint64_t bound = (uint64_t)it->aids[it->n - 1] + 1;
	if (bound == it->n) { /* strictly increasing up to n - 1: aids[i] = i */
		it->identity = 1;
		it->bound = (uint32_t)bound;
		return OR_OK;
	}
	if (bound <= 4 * (uint64_t)it->n + (1u << 20)) {
		it->bound = (uint32_t)bound;
		it->direct = malloc((size_t)bound * sizeof(*it->direct));
		if (!it->direct)
			return or_err_set(err, OR_ENOMEM, "out of memory (item lookup of %llu aids)",
					  (unsigned long long)bound);
		memset(it->direct, 0xff, (size_t)bound * sizeof(*it->direct));
		for (size_t i = 0; i < it->n; i++)
			it->direct[it->aids[i]] = (uint32_t)i;
		return OR_OK;
	}
	uint64_t cap = 1024;
	while (cap < 2 * (uint64_t)it->n)
		cap <<= 1;
	it->mask = (uint32_t)(cap - 1);
	it->keys = malloc((size_t)cap * sizeof(*it->keys));
	it->vals = malloc((size_t)cap * sizeof(*it->vals));
	if (!it->keys || !it->vals)
		return or_err_set(err, OR_ENOMEM, "out of memory (item lookup of %zu items)", it->n);
	memset(it->keys, 0xff, (size_t)cap * sizeof(*it->keys));
	for (size_t i = 0; i < it->n; i++) {
		uint32_t s = slot_of(it->aids[i], it->mask);
		while (it->keys[s] != OR_ITEM_NONE)
			s = (s + 1) & it->mask;
		it->keys[s] = it->aids[i];
		it->vals[s] = (uint32_t)i;
	}
	return OR_OK;
}

int or_items_new(const uint32_t *aids, size_t n, int own, const char *what,
		 or_items **out, or_err *err)
{
	*out = NULL;
	int rc = OR_OK;
	if (n > (size_t)OR_AID_MAX + 1)
		rc = or_err_set(err, OR_EFORMAT, "%s: item dictionary of %zu items is impossible", what, n);
	for (size_t i = 0; !rc && i < n; i++)
		if (aids[i] > OR_AID_MAX || (i > 0 && aids[i] <= aids[i - 1]))
			rc = or_err_set(err, OR_EFORMAT,
					"%s: item dictionary is not strictly increasing at item %zu (aid %u; damaged file)",
					what, i, aids[i]);
	or_items *it = rc ? NULL : calloc(1, sizeof(*it));
	if (!rc && !it)
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (rc) {
		if (own)
			free((void *)aids);
		return rc;
	}
	it->aids = aids;
	it->owned = own ? (uint32_t *)aids : NULL;
	it->n = n;
	rc = build_lookup(it, err);
	if (rc) {
		or_items_free(it);
		return rc;
	}
	*out = it;
	return OR_OK;
}

int or_items_from_stores(or_store *const *stores, size_t n_stores, or_items **out, or_err *err)
{
	*out = NULL;
	size_t total = 0;
	for (size_t s = 0; s < n_stores; s++)
		total += or_store_n_items(stores[s]);
	uint32_t *u = malloc((total ? total : 1) * sizeof(*u));
	uint32_t *tmp = n_stores > 1 ? malloc((total ? total : 1) * sizeof(*tmp)) : NULL;
	if (!u || (n_stores > 1 && !tmp)) {
		free(u);
		free(tmp);
		return or_err_set(err, OR_ENOMEM, "out of memory (item dictionary of %zu aids)", total);
	}
	/* merge the stores' sorted dictionaries one after another into u */
	size_t n = 0;
	for (size_t s = 0; s < n_stores; s++) {
		const uint32_t *b = or_store_items(stores[s]);
		size_t nb = or_store_n_items(stores[s]), i = 0, j = 0, k = 0;
		if (n == 0) {
			memcpy(u, b, nb * sizeof(*b));
			n = nb;
			continue;
		}
		while (i < n && j < nb) {
			if (u[i] < b[j])
				tmp[k++] = u[i++];
			else if (b[j] < u[i])
				tmp[k++] = b[j++];
			else {
				tmp[k++] = u[i++];
				j++;
			}
		}
		while (i < n)
			tmp[k++] = u[i++];
		while (j < nb)
			tmp[k++] = b[j++];
		memcpy(u, tmp, k * sizeof(*u));
		n = k;
	}
	free(tmp);
	return or_items_new(u, n, 1, n_stores ? or_store_path(stores[0]) : "item dictionary", out,
			    err);
}

void or_items_free(or_items *it)
{
	if (!it)
		return;
	free(it->owned);
	free(it->direct);
	free(it->keys);
	free(it->vals);
	free(it);
}

size_t or_items_count(const or_items *it) { return it->n; }
const uint32_t *or_items_aids(const or_items *it) { return it->aids; }

uint32_t or_items_index(const or_items *it, uint32_t aid)
{
	if (it->identity)
		return aid < it->bound ? aid : OR_ITEM_NONE;
	if (it->direct)
		return aid < it->bound ? it->direct[aid] : OR_ITEM_NONE;
	if (!it->keys || aid > OR_AID_MAX)
		return OR_ITEM_NONE;
	for (uint32_t s = slot_of(aid, it->mask);; s = (s + 1) & it->mask) {
		uint32_t k = it->keys[s];
		if (k == aid)
			return it->vals[s];
		if (k == OR_ITEM_NONE)
			return OR_ITEM_NONE;
	}
}

void or_items_index_many(const or_items *it, const uint32_t *aid, size_t n, uint32_t *idx)
{
	if (it->identity) {
		for (size_t i = 0; i < n; i++)
			idx[i] = aid[i] < it->bound ? aid[i] : OR_ITEM_NONE;
		return;
	}
	if (it->direct) {
		for (size_t i = 0; i < n; i++)
			idx[i] = aid[i] < it->bound ? it->direct[aid[i]] : OR_ITEM_NONE;
		return;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = or_items_index(it, aid[i]);
}

int or_items_equal(const or_items *a, const or_items *b)
{
	if (a == b) /* one dictionary shared (a covisit set): no pass over it */
		return 1;
	return a->n == b->n && (a->n == 0 || memcmp(a->aids, b->aids, a->n * sizeof(*a->aids)) == 0);
}
