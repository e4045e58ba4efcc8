/*
 * or_rec_neighbours.c - the shared neighbour search and per-item counts of
 * the candidate generators (see or_rec_neighbours.h).
 */
#include "or_rec_neighbours.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void or_rec_neighbours_release(or_rec_neighbours *nb)
{
	free(nb->row);
	free(nb->searched);
	free(nb->nn);
	memset(nb, 0, sizeof(*nb));
}

int or_rec_neighbours_search(or_rec_neighbours *nb, const or_store *st, const uint8_t *keep,
			     const or_ann *index, const or_ann_search_params *p0,
			     size_t cap_nprobe, size_t recent, size_t k, int threads,
			     const or_log *log, or_err *err)
{
	or_rec_neighbours_release(nb);
	if (!index || !recent)
		return OR_OK;
	if (k < 1 || k > 100)
		return or_err_set(err, OR_EINVAL, "embedding neighbours must be 1..100");
	if (recent > OR_REC_MAX_RECENT)
		return or_err_set(err, OR_EINVAL, "searched recent aids must be 0..%d", OR_REC_MAX_RECENT);
	size_t n_rows = or_ann_n(index);
	if (!n_rows)
		return OR_OK;
	if (n_rows >= UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "index has too many rows for candidate generation");
	nb->items = or_ann_items(index);
	nb->n_rows = n_rows;
	nb->k = k;
	size_t ns = or_store_n_sessions(st), bound = 0;
	const uint64_t *off = or_store_offsets(st);
	for (size_t i = 0; i < ns; i++)
		if (!keep || keep[i]) {
			size_t n = (size_t)(off[i + 1] - off[i]);
			bound += n < recent ? n : recent;
		}
	/* few asks (a request's sessions): a sorted list, not a flag per row */
	const int sparse = bound < n_rows / 8;
	if (sparse)
		nb->searched = malloc((bound ? bound : 1) * sizeof(*nb->searched));
	else
		nb->row = malloc(n_rows * sizeof(*nb->row));
	if (sparse ? !nb->searched : !nb->row)
		return or_err_set(err, OR_ENOMEM, "out of memory (neighbour rows)");
	for (size_t a = 0; !sparse && a < n_rows; a++)
		nb->row[a] = UINT32_MAX;
	size_t nq = 0;
	for (size_t i = 0; i < ns; i++) {
		if (keep && !keep[i])
			continue;
		or_session s;
		or_store_session(st, i, &s);
		uint32_t seen[OR_REC_MAX_RECENT];
		size_t n_seen = 0;
		for (size_t r = s.n; r-- > 0 && n_seen < recent;) {
			uint32_t a = s.aid[r];
			int dup = 0;
			for (size_t j = 0; j < n_seen && !dup; j++)
				dup = seen[j] == a;
			if (dup)
				continue;
			seen[n_seen++] = a;
			uint32_t ir = or_items_index(nb->items, a);
			if (ir == OR_ITEM_NONE)
				continue;
			if (sparse)
				nb->searched[nq++] = ir;
			else
				nb->row[ir] = 0;
		}
	}
	if (sparse) {
		qsort(nb->searched, nq, sizeof(*nb->searched), cmp_u32);
		size_t u = 0;
		for (size_t i = 0; i < nq; i++)
			if (!u || nb->searched[i] != nb->searched[u - 1])
				nb->searched[u++] = nb->searched[i];
		nq = nb->n_searched = u;
	} else {
		for (size_t a = 0; a < n_rows; a++)
			if (nb->row[a] != UINT32_MAX)
				nb->row[a] = (uint32_t)nq++;
	}
	if (!nq)
		return OR_OK;
	enum { BATCH = 65536 };
	nb->nn = malloc(nq * k * sizeof(*nb->nn));
	size_t cap = nq < BATCH ? nq : BATCH;
	int64_t *q = malloc(cap * sizeof(*q));
	int64_t *ids = malloc(cap * k * sizeof(*ids));
	int rc = OR_OK;
	if (!nb->nn || !q || !ids)
		rc = or_err_set(err, OR_ENOMEM, "out of memory (neighbours)");
	or_ann_search_params p = *p0;
	p.threads = threads;
	if (!p.nprobe && cap_nprobe) {
		size_t d = or_ann_nprobe(index);
		p.nprobe = cap_nprobe < d ? cap_nprobe : d;
	}
	size_t a = 0, done = 0;
	while (!rc && done < nq) {
		size_t n = 0;
		if (sparse)
			for (; a < nq && n < BATCH; a++)
				q[n++] = (int64_t)nb->searched[a];
		else
			for (; a < n_rows && n < BATCH; a++)
				if (nb->row[a] != UINT32_MAX)
					q[n++] = (int64_t)a;
		if (or_log_cancelled(log)) {
			rc = or_err_set(err, OR_ECANCELLED, "cancelled");
			break;
		}
		rc = or_ann_search_items(index, q, n, k, &p, ids, NULL, NULL, err);
		for (size_t i = 0; !rc && i < n * k; i++)
			nb->nn[done * k + i] = ids[i] < 0 || ids[i] >= (int64_t)n_rows
						       ? UINT32_MAX
						       : or_items_aid(nb->items, (uint32_t)ids[i]);
		done += n;
		or_log_progress(log, "neighbours", (double)done, (double)nq, "aids");
	}
	free(q);
	free(ids);
	if (rc)
		or_rec_neighbours_release(nb);
	return rc;
}

int or_rec_item_counts(const or_store *st, or_items **items, uint32_t *counts[3], or_err *err)
{
	*items = NULL;
	counts[0] = counts[1] = counts[2] = NULL;
	size_t nti = or_store_n_items(st);
	int rc = or_items_new(or_store_items(st), nti, 0, or_store_path(st), items, err);
	if (rc)
		return rc;
	for (int t = 0; t < 3; t++)
		counts[t] = calloc(nti ? nti : 1, sizeof(uint32_t));
	if (!counts[0] || !counts[1] || !counts[2]) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory (item counts)");
		goto fail;
	}
	const uint32_t *aid = or_store_aids(st);
	const uint8_t *ty = or_store_types(st);
	size_t ne = or_store_n_events(st);
	uint32_t idx[4096];
	for (size_t lo = 0; lo < ne; lo += 4096) {
		size_t n = ne - lo < 4096 ? ne - lo : 4096;
		or_items_index_many(*items, aid + lo, n, idx);
		for (size_t i = 0; i < n; i++) {
			if (idx[i] == OR_ITEM_NONE) {
				rc = or_err_set(err, OR_EFORMAT, "%s: aid %u is missing from the item dictionary (damaged store)",
						or_store_path(st), (unsigned)aid[lo + i]);
				goto fail;
			}
			counts[ty[lo + i] < 3 ? ty[lo + i] : 0][idx[i]]++;
		}
	}
	return OR_OK;
fail:
	for (int t = 0; t < 3; t++) {
		free(counts[t]);
		counts[t] = NULL;
	}
	or_items_free(*items);
	*items = NULL;
	return rc;
}
