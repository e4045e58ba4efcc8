/*
 * or_items.h - item dictionaries: the sorted distinct aids of a data set,
 * and the dense item index 0..n_items-1 that every model works in.
 *
 * Product ids ("aids") are any integers in 0..OR_AID_MAX; real shops' ids
 * are sparse 9- and 10-digit numbers.  Models (pairs, embeddings, the index,
 * co-visitation tables, candidate tables) are sized by the number of
 * distinct items, never by the largest aid: item i of a dictionary is its
 * i-th smallest aid, so the order of items is the order of aids (a model in
 * item indices ranks and breaks ties exactly as one in aids would).
 *
 * Each event store carries its own dictionary (or_store_items).  Train and
 * test stores are built separately, but models span both: a model's
 * dictionary is the union of its input stores' dictionaries
 * (or_items_from_stores), written into the model's own file by the stage
 * that builds it, so that readers map aids to rows with that file alone.
 *
 * Two pieces:
 *  - or_aid_marks: a set of aids being collected (a bitmap over
 *    0..OR_AID_MAX, reserved as address space and touched only where aids
 *    fall: 232 KB resident for OTTO's 1.86 M dense aids), turned into a
 *    sorted dictionary at the end;
 *  - or_items: a dictionary with the aid -> index lookup: none when the
 *    aids are exactly 0..n_items-1 (OTTO's, synth's: the index is the aid),
 *    a direct table when they are dense enough (aid_bound <= 4 n_items +
 *    2^20) and an open-addressing hash table otherwise (16 bytes an item).
 */
#ifndef OR_ITEMS_H
#define OR_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"

struct or_store;

#define OR_ITEM_NONE UINT32_MAX /* or_items_index of an aid not in the dictionary */

/* ---- collecting the aids of a data set ---- */
typedef struct or_aid_marks {
	uint64_t *words; /* (OR_AID_MAX + 1) / 64 words, lazily backed */
	size_t bytes;
	uint32_t lo, hi; /* words [lo, hi) may hold marks */
} or_aid_marks;

int or_aid_marks_init(or_aid_marks *m, or_err *err);
/* Mark n aids (each <= OR_AID_MAX; larger ones are ignored). Not
   thread-safe: one thread at a time per set. */
void or_aid_marks_add(or_aid_marks *m, const uint32_t *aid, size_t n);
/* The marked aids in increasing order: a malloc'd array the caller frees
   (NULL with *n 0 when nothing is marked). */
int or_aid_marks_sorted(const or_aid_marks *m, uint32_t **aids, size_t *n, or_err *err);
void or_aid_marks_release(or_aid_marks *m); /* unmaps; a zeroed one is fine */

/* ---- a dictionary with its lookup ---- */
typedef struct or_items or_items; /* opaque */

/*
 * A dictionary over n strictly increasing aids.  With own = 1 the array is
 * taken over (freed by or_items_free); with own = 0 it is borrowed (e.g. a
 * section of a mapped file) and must outlive the dictionary.  OR_EFORMAT
 * (naming `what`, e.g. the file it came from) when the aids are not
 * strictly increasing or exceed OR_AID_MAX.
 */
int or_items_new(const uint32_t *aids, size_t n, int own, const char *what,
		 or_items **out, or_err *err);
/* The union of the dictionaries of n_stores stores (a merge, O(items)). */
int or_items_from_stores(struct or_store *const *stores, size_t n_stores, or_items **out,
			 or_err *err);
void or_items_free(or_items *it); /* NULL is fine */

size_t or_items_count(const or_items *it);
/* The sorted aids, n_items of them (item i is aids[i]). */
const uint32_t *or_items_aids(const or_items *it);
/* Item index of aid, or OR_ITEM_NONE. */
uint32_t or_items_index(const or_items *it, uint32_t aid);
/* Aid of item i (i < or_items_count). */
static inline uint32_t or_items_aid(const or_items *it, uint32_t i)
{
	return or_items_aids(it)[i];
}
/* Index of every aid of aid[0..n) into idx (OR_ITEM_NONE where absent). */
void or_items_index_many(const or_items *it, const uint32_t *aid, size_t n, uint32_t *idx);
/* 1 when the two dictionaries hold the same aids. */
int or_items_equal(const or_items *a, const or_items *b);

#endif
