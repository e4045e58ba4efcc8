/*
 * or_store.h - the event store: one little-endian, versioned, checksummed,
 * mmap-able file holding every event of a data set, sessions contiguous and
 * each session's events in non-decreasing time order.
 *
 * File layout (all integers little-endian; sections start on 4096-byte
 * boundaries so that each column is page-aligned when mapped):
 *
 *   offset  size  field
 *   0       8     magic "OTTOSTOR"
 *   8       4     format version (OR_STORE_VERSION)
 *   12      4     header size in bytes (4096)
 *   16      8     n_sessions
 *   24      8     n_events
 *   32      24    events by type: clicks, carts, orders (3 x u64)
 *   56      8     ts_min, milliseconds since the epoch (0 when no events)
 *   64      8     ts_max
 *   72      4     aid_bound: largest aid + 1 (0 when no events)
 *   76      4     n_items: distinct aids (0 when no events)
 *   80      192   section table, 6 entries of {u64 offset, u64 bytes,
 *                 u64 XXH3-64 of the section's bytes, u64 reserved}, in order:
 *                   0 session ids  int64[n_sessions]
 *                   1 offsets      uint64[n_sessions + 1]; session i owns
 *                                  events [offsets[i], offsets[i+1])
 *                   2 aid          uint32[n_events], each <= INT32_MAX
 *                   3 ts           int64[n_events], milliseconds
 *                   4 type         uint8[n_events], 0 clicks 1 carts 2 orders
 *                   5 items        uint32[n_items], the distinct aids in
 *                                  increasing order: the item dictionary
 *                                  (or_items.h)
 *   272     8     XXH3-64 of bytes [0, 272)
 *   280..4095     zero
 *
 * Opening checks the header checksum, the magic, the version and that every
 * section lies inside the file with the size its counts imply, and that the
 * dictionary's last aid is aid_bound - 1: O(1), so a 220 M-event store opens
 * in well under a millisecond.  or_store_verify reads everything: section
 * checksums, offsets, time order, type values, and that the dictionary holds
 * exactly the aids of the events.  Version 1 (no dictionary) is refused with
 * a hint to rebuild it.
 */
#ifndef OR_STORE_H
#define OR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

#define OR_STORE_VERSION 2u
#define OR_STORE_HEADER_SIZE 4096u
#define OR_AID_MAX 2147483647u

enum { OR_CLICKS = 0, OR_CARTS = 1, OR_ORDERS = 2, OR_N_TYPES = 3 };

/* "clicks", "carts", "orders" for 0, 1, 2; NULL for anything else */
const char *or_type_name(unsigned type);

/* One session, viewed in place (no copies); valid while the store is open. */
typedef struct or_session {
	int64_t id;
	size_t n;
	const uint32_t *aid;
	const int64_t *ts;
	const uint8_t *type;
} or_session;

typedef struct or_store or_store; /* opaque, read-only, mmap-backed */

int or_store_open(const char *path, or_store **out, or_err *err);
void or_store_free(or_store *st); /* NULL is fine */

size_t or_store_n_sessions(const or_store *st);
size_t or_store_n_events(const or_store *st);
uint64_t or_store_n_type(const or_store *st, unsigned type);
int64_t or_store_ts_min(const or_store *st);
int64_t or_store_ts_max(const or_store *st);
uint32_t or_store_aid_bound(const or_store *st);
/* The item dictionary: the store's distinct aids, increasing (or_items.h). */
size_t or_store_n_items(const or_store *st);
const uint32_t *or_store_items(const or_store *st);
const char *or_store_path(const or_store *st);

/* Column views, valid until or_store_free. */
const int64_t *or_store_session_ids(const or_store *st);
const uint64_t *or_store_offsets(const or_store *st);
const uint32_t *or_store_aids(const or_store *st);
const int64_t *or_store_ts(const or_store *st);
const uint8_t *or_store_types(const or_store *st);

/* Fill *s with session i (0 <= i < n_sessions). */
void or_store_session(const or_store *st, size_t i, or_session *s);

/*
 * Hint that events [from, to) will not be read again soon: their pages of
 * the aid, ts and type columns leave this process's resident set (they are
 * read back from the page cache if touched later).  For scans over a whole
 * store that build large outputs beside it.  Only whole pages inside the
 * range are released; the data stays valid and unchanged.
 */
void or_store_release(const or_store *st, size_t from, size_t to);

/* Full integrity check (reads every byte). */
int or_store_verify(const or_store *st, const or_log *log, or_err *err);

/*
 * Building a store.  Sessions are appended in the order they will be stored;
 * each must have at least one event, non-decreasing ts, type 0..2, aid <=
 * OR_AID_MAX, ts >= 0, and an id not used before.  Errors are OR_EFORMAT with
 * a message saying what was wrong, for the caller to prefix with its own
 * position (file:line).  The builder keeps the columns in memory
 * (13 bytes per event + 16 per session).
 */
typedef struct or_store_builder or_store_builder;

int or_store_builder_new(or_store_builder **out, or_err *err);
void or_store_builder_free(or_store_builder *b); /* NULL is fine */

int or_store_builder_add(or_store_builder *b, int64_t session_id, size_t n,
			 const uint32_t *aid, const int64_t *ts,
			 const uint8_t *type, or_err *err);

size_t or_store_builder_n_sessions(const or_store_builder *b);
size_t or_store_builder_n_events(const or_store_builder *b);

/* Write the store atomically to path (tmp + rename).  The builder stays
   usable (it may be written again or freed). */
int or_store_builder_write(or_store_builder *b, const char *path,
			   const or_log *log, or_err *err);

/*
 * Writing a store whose session and event counts are known before its
 * columns (the Parquet reader's fast path): the file is sized and mapped
 * when opened, and the sections are written in place, by any thread, in any
 * order, with or_store_direct_put (pwrite: a fresh page is filled by the
 * copy alone, where a store through the mapping has the kernel zero it
 * first) or through or_store_direct_section;
 * or_store_direct_commit then checksums each section
 * (reading it back from the mapping), writes the header and renames the
 * file into place.  The bytes are those or_store_builder_write writes for
 * the same sessions.  The caller is responsible for the store's rules
 * (order, ranges, ids once) and for the counts passed to commit.  Sections
 * are numbered as in the section table: 0 session ids (int64), 1 offsets
 * (uint64, n_sessions + 1), 2 aid (uint32), 3 ts (int64), 4 type (uint8).
 */
typedef struct or_store_direct or_store_direct;

int or_store_direct_open(or_store_direct **out, const char *path, uint64_t n_sessions,
			 uint64_t n_events, or_err *err);
/* Elements [at, at + n) of section sec (thread-safe; regions must not
   overlap). */
int or_store_direct_put(or_store_direct *w, int sec, uint64_t at, const void *data,
			size_t n, or_err *err);
/* Section sec, mapped writable (valid until commit or abort); threads may
   fill disjoint parts of it. */
void *or_store_direct_section(or_store_direct *w, int sec);
/* Carry section sec's checksum on up to element `to`: elements before it
   are all written and stay as they are.  One thread at a time per section;
   commit checksums what is left. */
void or_store_direct_hash(or_store_direct *w, int sec, uint64_t to);
/* The same over n elements at element `at` that were just written from
   data, when the checksum has got exactly to `at`: 1, or 0 (nothing done;
   they are read back later). */
int or_store_direct_hash_data(or_store_direct *w, int sec, uint64_t at, const void *data,
			      size_t n);
/* Checksum, write the header, rename into place, free w (also on error). */
int or_store_direct_commit(or_store_direct *w, const uint64_t n_type[3], int64_t ts_min,
			   int64_t ts_max, uint32_t aid_bound, const or_log *log, or_err *err);
/* Remove the temporary and free w; NULL is fine. */
void or_store_direct_abort(or_store_direct *w);

#endif
