/*
 * or_rec_neighbours.h - the embedding neighbours that candidate generators
 * (the blend strategy, the ranker's candidates) need: for the `recent` most
 * recent distinct aids of each kept session of a store, their k nearest
 * other items in an ANN index, each needed aid searched once (in ascending
 * index row order, in batches), as aids.  Which rows were searched is kept
 * as a flag per index row when many sessions ask, or as a sorted list when
 * few do (a `serve` request: no pass over the index's rows per call).  Also the per-item event counts of
 * a store that the popularity features read.  Shared so both generators see
 * the same neighbours for the same settings.
 */
#ifndef OR_REC_NEIGHBOURS_H
#define OR_REC_NEIGHBOURS_H

#include <stddef.h>
#include <stdint.h>

#include "or_ann.h"
#include "or_err.h"
#include "or_items.h"
#include "or_log.h"
#include "or_store.h"

#define OR_REC_MAX_RECENT 16

typedef struct or_rec_neighbours {
	const or_items *items; /* the index's rows' aids (owned by the index) */
	size_t n_rows;         /* index rows */
	size_t k;              /* neighbours per searched aid */
	uint32_t *row;         /* n_rows: row of nn for index row i, UINT32_MAX: not searched;
				  NULL when few were searched (then `searched`) */
	uint32_t *searched;    /* with row NULL: the n_searched index rows searched,
				  ascending; row of nn = position here */
	size_t n_searched;
	uint32_t *nn;          /* searched x k neighbour aids, UINT32_MAX pad */
} or_rec_neighbours;

/*
 * Search the neighbours (k 1..100, recent 0..OR_REC_MAX_RECENT).  nprobe
 * rule: p->nprobe when non-zero, else min(cap_nprobe, the index's default)
 * when cap_nprobe is non-zero, else the index's default.  keep NULL = all
 * sessions.  index NULL or recent 0 leaves nb empty (row NULL).  Progress
 * stage "neighbours" in aids.  nb must be zeroed or released.
 */
int or_rec_neighbours_search(or_rec_neighbours *nb, const or_store *st, const uint8_t *keep,
			     const or_ann *index, const or_ann_search_params *p,
			     size_t cap_nprobe, size_t recent, size_t k, int threads,
			     const or_log *log, or_err *err);
void or_rec_neighbours_release(or_rec_neighbours *nb);

/* The k neighbour aids of aid (UINT32_MAX pads), or NULL when aid was not
   searched or is not in the index. */
static inline const uint32_t *or_rec_neighbours_of(const or_rec_neighbours *nb, uint32_t aid)
{
	if (!nb->row && !nb->n_searched)
		return NULL;
	uint32_t r = or_items_index(nb->items, aid);
	if (r == OR_ITEM_NONE)
		return NULL;
	if (nb->row)
		return nb->row[r] == UINT32_MAX ? NULL : nb->nn + (size_t)nb->row[r] * nb->k;
	size_t lo = 0, hi = nb->n_searched;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nb->searched[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nb->n_searched && nb->searched[lo] == r ? nb->nn + lo * nb->k : NULL;
}

/*
 * Event counts of st per item of its own dictionary: *items gets the
 * dictionary (free with or_items_free), counts[t] (t = clicks, carts,
 * orders; malloc'd, free them) the events of type t on each item.
 * OR_EFORMAT for an aid missing from the dictionary (damaged store).
 */
int or_rec_item_counts(const or_store *st, or_items **items, uint32_t *counts[3], or_err *err);

#endif
