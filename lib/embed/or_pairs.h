/*
 * or_pairs.h - aid -> aid_next pairs from consecutive events of sessions
 * (the OTTO notebook's training data for matrix factorisation), and the
 * pairs file that holds them.
 *
 * Pairs hold dense item indices, not aids: the file carries the models'
 * item dictionary, the union of the stores' dictionaries (or_items.h),
 * and item i is its i-th smallest aid.  Every model trained on the file
 * has one row per item (n_items rows, however large the aids); on data
 * whose aids are 0..n-1 the dictionary is the identity and the pairs are
 * the aids themselves.
 *
 * Pairs come from every session of the given stores (train and test
 * together, as the notebook does).  Within a session, after dropping the
 * events whose type is not in type_mask, event j pairs with each of the next
 * `window` events l (window 1: consecutive events, the notebook's
 * aid_next), as long as ts[l] - ts[j] <= max_gap_ms (0: no limit).  Pairs
 * of a deterministic fraction of sessions (chosen by a hash of seed, store
 * and session id) are held out for validation; or, with valid_last = N, the
 * last N pairs in store order, as the notebook's pairs[-10_000_000:].  The
 * training pairs are shuffled by seed (a uniform permutation computed by
 * fixed chunks and buckets, so the bytes depend on the seed only, not on the
 * thread count); validation pairs keep store order.
 *
 * File layout: a sectioned file (or_sfile.h: magic, version, fields,
 * section table, header checksum; 4096-byte header page), little-endian:
 *
 *   offset  size  field
 *   0       8     magic "OTTOPAIR"
 *   8       4     format version (OR_PAIRS_VERSION; 1 had its own header,
 *                 2 held aids and no dictionary)
 *   12      148   or_sfile.h's header fields: 3 sections aligned to 8 bytes
 *   32      8     n_train pairs
 *   40      8     n_valid pairs
 *   48      4     n_items: distinct aids of the stores (rows of a model)
 *   52      4     window
 *   56      4     type_mask (bit t: events of type t used)
 *   60      4     flags: bit 0 shuffled, bit 1 valid = last N pairs
 *   64      8     max_gap_ms (0: none)
 *   72      8     seed
 *   80      8     valid_fraction (IEEE double) or, with flag bit 1, N
 *   88      8     n_valid_sessions (0 with flag bit 1)
 *   160     96    section table (or_sfile.h):
 *                   0 train pairs  uint32[n_train][2] (item, item_next)
 *                   1 valid pairs  uint32[n_valid][2]
 *                   2 items        uint32[n_items]: the aid of each item,
 *                                  strictly increasing (the dictionary)
 *   672     8     header checksum
 *   4096          train pairs, then valid pairs, then the items, each
 *                 right after the one before
 *
 * Opening checks the header and that the sections have the sizes the
 * counts give, and the dictionary (its checksum and order: O(n_items), a
 * few milliseconds at OTTO's 1.86 M items); or_pairs_verify checks the
 * pair sections' checksums and that every item is below n_items.  Earlier
 * versions (1: its own header; 2: pairs of aids, sized by the largest aid)
 * are refused with a hint to rebuild the file.
 */
#ifndef OR_PAIRS_H
#define OR_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

#define OR_PAIRS_VERSION 3u

typedef struct or_pairs_config {
	int window;             /* pairs up to this many steps apart, 1..64 (1) */
	unsigned type_mask;     /* event types used, 1..7 (7: all) */
	int64_t max_gap_ms;     /* largest ts difference in a pair, 0: none (0) */
	int shuffle;            /* shuffle the training pairs (1) */
	uint64_t seed;          /* shuffle and session hold-out (42) */
	double valid_fraction;  /* sessions held out, 0..1 (0.05) */
	uint64_t valid_last;    /* > 0: hold out the last N pairs instead (0) */
	int threads;            /* 0: all cores */
} or_pairs_config;

void or_pairs_config_default(or_pairs_config *cfg);

typedef struct or_pairs_stats {
	uint64_t n_train, n_valid, n_valid_sessions, n_sessions;
	uint32_t n_items;
} or_pairs_stats;

/* Build the pairs of the stores and write them atomically to path. */
int or_pairs_build(or_store *const *stores, size_t n_stores,
		   const or_pairs_config *cfg, const char *path,
		   const or_log *log, or_pairs_stats *st, or_err *err);

typedef struct or_pairs or_pairs; /* opaque, read-only, mmap-backed */

int or_pairs_open(const char *path, or_pairs **out, or_err *err);
void or_pairs_free(or_pairs *p); /* NULL is fine */
/* Checksums of the sections and every item < n_items. */
int or_pairs_verify(const or_pairs *p, or_err *err);

/*
 * The checksums of the pairs a pass reads, as it reads them (or_sfile.h's
 * streaming check; the dictionary is checked whole at open):
 * or_pairs_check_train after each stretch (training pairs [0, n) read, any
 * thread); or_pairs_check_end at the end of the pass with its own status
 * rc: after OR_OK or OR_EFORMAT it hashes what was not read (the
 * validation pairs, read by the validation after the epoch, are hashed
 * there) and returns OR_EFORMAT naming the file and section on a mismatch,
 * else rc.  Frees c; NULL from _new (out of memory) makes _end OR_ENOMEM.
 */
typedef struct or_pairs_check or_pairs_check;
or_pairs_check *or_pairs_check_new(const or_pairs *p);
void or_pairs_check_train(or_pairs_check *c, size_t n);
int or_pairs_check_end(or_pairs_check *c, int rc, or_err *err);

size_t or_pairs_n_train(const or_pairs *p);
size_t or_pairs_n_valid(const or_pairs *p);
/* The dictionary: n_items aids, increasing; item i is aid items[i]. */
size_t or_pairs_n_items(const or_pairs *p);
const uint32_t *or_pairs_items(const or_pairs *p);
/* Interleaved (item, item_next), valid until or_pairs_free. */
const uint32_t *or_pairs_train(const or_pairs *p);
const uint32_t *or_pairs_valid(const or_pairs *p);

#endif
