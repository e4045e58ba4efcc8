/*
 * or_split.h - the local validation split of the OTTO organiser
 * (github.com/otto-de/recsys-dataset, src/testset.py + src/labels.py),
 * reproduced exactly, and the CPython `random` generator it draws its cut
 * points from.  This module owns both.
 *
 * The rule, on a store whose sessions are taken in store order:
 *   1. max_ts = the largest last-event ts of any session;
 *      split_ts = max_ts - days * 86400000 (ms).
 *   2. A session whose FIRST event has ts > split_ts is a test candidate,
 *      whole.  Any other session is trimmed to its events with
 *      ts < split_ts (a prefix, events being in time order) and kept for
 *      train when at least 2 events remain; the aids of kept train sessions
 *      are the train items.
 *   3. Each test candidate loses the events whose aid is not a train item;
 *      it is dropped when fewer than 2 events remain.
 *   4. For each remaining test session in order (n events), with Python's
 *      `random` seeded by random.seed(seed) before the first draw:
 *      cut = random.randint(1, n - 1); the test store gets its first cut
 *      events, and its labels come from events [cut, n) by
 *      or_labels_add_cut (the organiser's ground_truth, aid-0 quirk
 *      included; see or_labels.h).
 *
 * Where the outputs differ from testset.py's files: the sessions are
 * stores, not JSONL (`ottorec export` gives the JSONL back); the labels
 * JSONL is compact (no spaces after ':' and ','); and the carts/orders
 * lists are in first-seen order after the cut, where Python writes a set in
 * CPython's hash-table order.  Sets are what the metric compares, so scores
 * are the same.  The sessions, cut points and label sets are identical.
 */
#ifndef OR_SPLIT_H
#define OR_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_labels.h"
#include "or_log.h"
#include "or_store.h"

/* ---- CPython's random module (MT19937), bit for bit -------------------- */

typedef struct or_pyrandom {
	uint32_t mt[624];
	int mti;
} or_pyrandom;

/* random.seed(seed) for an integer seed: init_by_array over the 32-bit
   words of |seed|, least significant first (key [0] for seed 0). */
void or_pyrandom_seed(or_pyrandom *r, int64_t seed);
/* The generator's next 32-bit output (genrand_uint32). */
uint32_t or_pyrandom_u32(or_pyrandom *r);
/* random.getrandbits(k), 1 <= k <= 64 (k outside that range gives 0). */
uint64_t or_pyrandom_getrandbits(or_pyrandom *r, unsigned k);
/* random.randint(a, b) for a <= b, b - a < 2^63: a + _randbelow(b - a + 1),
   _randbelow drawing getrandbits(bit_length(n)) until the value is < n. */
int64_t or_pyrandom_randint(or_pyrandom *r, int64_t a, int64_t b);

/* ---- the split ----------------------------------------------------------- */

typedef struct or_split_config {
	int64_t days; /* test window in days, 0..100000 (default 2) */
	int64_t seed; /* random.seed(seed) (default 42); Python uses |seed| */
} or_split_config;

void or_split_config_default(or_split_config *cfg);

typedef struct or_split_stats {
	int64_t max_ts, split_ts;          /* ms */
	uint64_t in_sessions, in_events;
	uint64_t train_sessions, train_events;
	uint64_t train_dropped;            /* < 2 events left after trimming */
	uint64_t test_candidates;          /* first event after split_ts */
	uint64_t test_unknown_events;      /* events removed: aid not in train */
	uint64_t test_dropped;             /* < 2 events left after that */
	uint64_t test_sessions, test_events; /* after the cut */
	uint64_t label_events;             /* events after the cuts */
	uint64_t labels_clicks, labels_carts, labels_orders; /* sessions with one */
	uint64_t train_items;              /* distinct aids of train */
} or_split_stats;

/*
 * Split `in` by the rule above.  Train sessions are appended to `train`,
 * cut test sessions to `test`, their labels to `labels` (rows in test
 * order); all three must be empty and are owned by the caller.  `stats`
 * may be NULL.  Memory: the builders' columns (13 bytes per output event),
 * one bit per aid, the test candidates' indices; the input pages already
 * read are released as the scan goes (the input is read twice at most).
 * Progress is stage "split" in sessions; cancellation gives OR_ECANCELLED.
 * A damaged store (offsets out of order) gives OR_EFORMAT, never a crash.
 */
int or_split_store(const or_store *in, const or_split_config *cfg,
		   or_store_builder *train, or_store_builder *test,
		   or_labels *labels, or_split_stats *stats,
		   const or_log *log, or_err *err);

#endif
