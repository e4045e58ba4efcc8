/*
 * or_covisit.h - co-visitation matrices (the three of Chris Deotte's OTTO
 * "candidate rerank" notebook) and their table files.  This module owns the
 * counting rule, the top-K cut, the in-memory table and the file format.
 *
 * The rule, for each input store in turn and each of its sessions in store
 * order (sessions of different stores are never merged, even when their ids
 * are equal):
 *   1. ts are taken in whole SECONDS (ms / 1000, truncated), as the notebook
 *      does (`(df.ts/1000).astype('int32')`); windows and the clicks weight
 *      use seconds.
 *   2. buy2buy keeps only carts and orders events first.
 *   3. The events are ordered by ts descending, events of equal ts keeping
 *      their store order (pandas' stable lexsort in
 *      sort_values(['session','ts'], ascending=[True,False])), and the first
 *      last_n (30) are kept (the notebook's cumcount < 30).  No dedup of
 *      (session, aid, type) before pairing: the notebook does none.
 *   4. Pairs (i, j) are enumerated i-major, j-minor over that order (the row
 *      order of pandas' self-merge), kept when aid_i != aid_j and
 *      |ts_i - ts_j| < window_s; of the pairs with the same (aid_i, aid_j)
 *      only the FIRST is kept (drop_duplicates(['session','aid_x','aid_y'])
 *      keeps the first row), or with dedup_per_type the first per
 *      (aid_i, aid_j, type_j).
 *   5. Its weight: clicks 1 + 3 * (ts_i - ts_min) / (ts_max - ts_min) of the
 *      kept pair (ts_min/ts_max: the seconds range of all input stores; 1
 *      when the range is empty), computed as (double)(3 * d) / (double)span
 *      (one correctly rounded division, as Python/pandas on integers);
 *      carts-orders type_weight[type_j] (1, 6, 3); buy2buy 1.
 *   6. weight(a, b) = the sum over sessions, added in session order in
 *      double precision (the notebook sums float32 per chunk; doubles keep
 *      the result independent of chunking and exact for integer weights).
 *   7. Row a keeps its top_k b by weight descending, ties broken by the
 *      smaller b first (pandas' stable sort after groupby's (aid_x, aid_y)
 *      order gives the same).
 *
 * Memory and passes: the windows of all sessions are first copied into
 * compact arrays (9 bytes per window event: item, ts in seconds since
 * ts_min, type), and each item's pairs are bounded by its window pairs before the
 * per-session dedup.  The pair sums live in open-addressing hash tables
 * keyed by (a, b) with 24-byte slots (key and two weights: clicks and
 * carts-orders pair sessions alike and are counted in ONE pass), mapped
 * with transparent huge pages and filled in batches with prefetching.  The
 * item range is cut into PARTS (the notebook's PART loop) so that the
 * tables of one part, sized from the bounds, stay within mem_budget; in a
 * part each thread owns a contiguous item sub-range and scans every window,
 * so a sum is always added in session order: the tables are the same bytes
 * for any thread count and any number of parts.  Top-K rows are kept in
 * n_items x top_k arrays (12 bytes a cell) per kind.
 *
 * Items: the tables' item dictionary (or_items.h) is the union of the
 * input stores' dictionaries; rows and neighbours are dense item indices
 * 0..n_items-1, so every size above follows the number of distinct aids,
 * never the largest aid.  Item order is aid order, so "the smaller b" is
 * the smaller item and the smaller aid alike.  Each window event's aid is
 * mapped to its item once, when the windows are copied.  The three tables
 * of one `ottorec covisit` run have the same dictionary; each file carries
 * it (section 3), and readers map aids with or_covisit_items.
 *
 * Table file: a sectioned file (or_sfile.h: magic, version, fields, section
 * table, header checksum; 4096-byte header page), little-endian, sections
 * 4096-aligned:
 *
 *   offset  size  field
 *   0       8     magic "OTTOCOVI"
 *   8       4     format version (OR_COVISIT_VERSION; 1 had its own header,
 *                 2 no dictionary and aid_bound rows)
 *   12      148   or_sfile.h's header fields: 4 sections aligned to 4096
 *   32      4     kind: 0 clicks, 1 carts-orders, 2 buy2buy
 *   36      4     n_items: rows (distinct aids of the inputs)
 *   40      4     top_k
 *   44      4     last_n
 *   48      8     window_s
 *   56      8     n_entries
 *   64      24    type weights (3 x f64; carts-orders)
 *   88      8     ts_min_s   (clicks time weight)
 *   96      8     ts_max_s
 *   104     4     flags: bit 0 dedup_per_type
 *   108     4     reserved, 0
 *   160     128   section table (or_sfile.h):
 *                   0 row offsets uint64[n_items + 1]; row i is
 *                     entries [off[i], off[i+1])
 *                   1 neighbours  uint32[n_entries] (items), best first
 *                   2 weights     f64[n_entries]
 *                   3 item dictionary uint32[n_items]: the aid of item
 *                     i, strictly increasing
 *   672     8     header checksum
 *   4096          the sections
 */
#ifndef OR_COVISIT_H
#define OR_COVISIT_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_items.h"
#include "or_log.h"
#include "or_store.h"

#define OR_COVISIT_VERSION 3u

enum {
	OR_COVISIT_CLICKS = 0,
	OR_COVISIT_CARTS_ORDERS = 1,
	OR_COVISIT_BUY2BUY = 2,
	OR_COVISIT_N_KINDS = 3
};

/* "clicks", "carts_orders", "buy2buy"; NULL for others. */
const char *or_covisit_kind_name(unsigned kind);

typedef struct or_covisit_config {
	unsigned kind;
	uint32_t last_n;       /* most recent events kept per session (30) */
	int64_t window_s;      /* |dt| < window_s (86400; buy2buy 14 days) */
	uint32_t top_k;        /* 20 clicks, 15 others */
	double type_weight[3]; /* carts-orders: 1, 6, 3 */
	int dedup_per_type;    /* carts-orders: once per (session, a, b, type b) */
	size_t mem_budget;     /* bytes for the pair tables of a part (8 GiB) */
	int threads;           /* 0 = OpenMP default */
} or_covisit_config;

void or_covisit_config_default(or_covisit_config *cfg, unsigned kind);

typedef struct or_covisit_stats {
	uint64_t sessions;     /* sessions scanned */
	uint64_t pairs;        /* kept (session, a, b) pairs */
	uint64_t distinct;     /* distinct (a, b) */
	uint64_t entries;      /* after the top-K cut */
	uint32_t parts;        /* item-range passes */
	uint64_t table_bytes;  /* largest pair-table memory of a part */
} or_covisit_stats;

typedef struct or_covisit or_covisit; /* opaque; built or mmap-opened */

/*
 * Count one matrix over the sessions of stores[0..n_stores) by the rule
 * above.  *out is owned by the caller (or_covisit_free).  stats may be
 * NULL.  Progress: stage "covisit" in windows scanned (once per part);
 * cancellation gives OR_ECANCELLED.  An aid missing from its store's item
 * dictionary gives OR_EFORMAT (damaged store).
 */
int or_covisit_build(or_store *const *stores, size_t n_stores,
		     const or_covisit_config *cfg, or_covisit **out,
		     or_covisit_stats *stats, const or_log *log, or_err *err);

/*
 * Several matrices at once (outs[i] for cfgs[i]; stats may be NULL, else
 * n_cfgs entries): kinds that pair sessions the same way (same last_n,
 * window, threads and budget, neither buy2buy-only nor per-type dedup
 * apart) are counted in ONE pass over the data with two weights per pair
 * -- clicks and carts-orders by default.  Same tables as one build each.
 */
int or_covisit_build_many(or_store *const *stores, size_t n_stores,
			  const or_covisit_config *cfgs, size_t n_cfgs, or_covisit **outs,
			  or_covisit_stats *stats, const or_log *log, or_err *err);

/*
 * A table from rows given by the caller (tests, other strategies): the
 * dictionary aids[0..n_items) (strictly increasing; NULL = the identity,
 * item i is aid i), row i is nb/w[off[i] .. off[i+1]) with neighbours as
 * item indices, off has n_items + 1 entries starting at 0, each row at most
 * top_k long and best first.  The arrays are copied.
 */
int or_covisit_from_rows(unsigned kind, const uint32_t *aids, uint32_t n_items, uint32_t top_k,
			 const uint64_t *off, const uint32_t *nb, const double *w,
			 or_covisit **out, or_err *err);

/* Write atomically (tmp + rename). */
int or_covisit_write(const or_covisit *t, const char *path, or_err *err);
/* Map a table file; checks its header, the section sizes, that the row
   offsets end at the entry count (O(1)) and that the dictionary increases
   (O(items); a damaged one is named by its section's checksum);
   or_covisit_verify checks the section checksums and every row (offsets
   in order, at most top_k long, neighbours inside the table). */
int or_covisit_open(const char *path, or_covisit **out, or_err *err);
/* As or_covisit_open, for a table of the same run as `like` (NULL: plain
   open): its dictionary must hold like's aids (else OR_EFORMAT naming the
   file: a checksum mismatch, or a table of another run), and the table
   then uses like's dictionary and lookup instead of building its own, so
   that one lookup serves the tables of a run.  like must outlive it. */
int or_covisit_open_like(const char *path, const or_covisit *like, or_covisit **out,
			 or_err *err);
int or_covisit_verify(const or_covisit *t, or_err *err);
void or_covisit_free(or_covisit *t); /* NULL is fine */

unsigned or_covisit_kind(const or_covisit *t);
uint32_t or_covisit_n_items(const or_covisit *t);
uint32_t or_covisit_top_k(const or_covisit *t);
uint64_t or_covisit_n_entries(const or_covisit *t);
/* The checksum of the header of the file t was opened from (it names the
   content: or_sfile_identity); 0 for a table built in memory. */
uint64_t or_covisit_file_checksum(const or_covisit *t);
/* The table's item dictionary (valid while t is alive): aid -> item with
   or_items_index(_many), item -> aid with or_items_aid(s). */
const or_items *or_covisit_items(const or_covisit *t);

/*
 * The dictionary that the non-NULL tables of t[0..n) share (NULL in *out
 * when all are NULL); OR_EINVAL when two differ (tables of different
 * `ottorec covisit` runs).
 */
int or_covisit_shared_items(const or_covisit *const *t, size_t n, const or_items **out,
			    or_err *err);

/* Row of item i: *nb (items) and *w point at its entries (best first),
   valid while t is alive; returns the count (0 for i >= n_items, so for
   OR_ITEM_NONE too). */
size_t or_covisit_row(const or_covisit *t, uint64_t i, const uint32_t **nb,
		      const double **w);
/* Ask the first `max` entries of item i's row (items, and weights when
   with_weights) into the cache without waiting for them: a reader asks for
   all the rows it will read first, so that their memory misses overlap.
   Returns the row's count (as or_covisit_row). */
size_t or_covisit_prefetch_row(const or_covisit *t, uint64_t i, size_t max, int with_weights);

#endif
