/*
 * or_store.h - the event store: one little-endian, versioned, checksummed,
 * mmap-able file holding every event of a data set, sessions contiguous and
 * each session's events in non-decreasing time order.
 *
 * File layout: a sectioned file (or_sfile.h: magic, version, fields,
 * section table, header checksum; 4096-byte header page), little-endian;
 * sections start on 4096-byte boundaries so that each column is
 * page-aligned when mapped:
 *
 *   offset  size  field
 *   0       8     magic "OTTOSTOR"
 *   8       4     format version (OR_STORE_VERSION; 1 had no dictionary,
 *                 1 and 2 had their own header)
 *   12      4     or_sfile.h's header bytes (680)
 *   16      4     n_sections (6)
 *   20      4     section alignment (4096)
 *   24      8     file bytes
 *   32      8     n_sessions
 *   40      8     n_events
 *   48      24    events by type: clicks, carts, orders (3 x u64)
 *   72      8     ts_min, milliseconds since the epoch (0 when no events)
 *   80      8     ts_max
 *   88      4     aid_bound: largest aid + 1 (0 when no events)
 *   92      4     n_items: distinct aids (0 when no events)
 *   96..159       zero
 *   160     192   section table, 6 entries of {u64 offset, u64 bytes,
 *                 u64 XXH3-64 of the section's bytes, u64 reserved}, in
 *                 order (then 10 zero entries):
 *                   0 session ids  int64[n_sessions]
 *                   1 offsets      uint64[n_sessions + 1]; session i owns
 *                                  events [offsets[i], offsets[i+1])
 *                   2 aid          uint32[n_events], each <= INT32_MAX
 *                   3 ts           int64[n_events], milliseconds
 *                   4 type         uint8[n_events], 0 clicks 1 carts 2 orders
 *                   5 items        uint32[n_items], the distinct aids in
 *                                  increasing order: the item dictionary
 *                                  (or_items.h)
 *   672     8     XXH3-64 of bytes [0, 672)
 *   680..4095     zero
 *   4096          session ids; each next section at the next multiple of
 *                 4096; the file ends where the dictionary ends
 *
 * Opening checks the header (or_sfile.h: magic, version, checksum, that the
 * sections lie where the layout puts them and the file has exactly the size
 * it gives), that every section has the size its counts imply, that the
 * dictionary's last aid is aid_bound - 1, and two sections whole: the
 * offsets (their checksum, that they start at 0 and end at n_events and
 * that every session is non-empty, offsets strictly increasing) and the
 * dictionary's checksum.  The offsets are the one section whose values
 * are addresses, so once open no reader can be sent outside the columns;
 * the dictionary is what readers build their lookups from before their
 * pass.  Both are small: 8 bytes a session and 4 an item against the 13
 * bytes an event of the columns (a 645 K-session store opens in 0.63 ms
 * warm, was 0.02; OTTO's 12.9 M sessions and 1.86 M items, 110 MB, about
 * 13 ms).  The columns' values (aid, ts, type) are not checked at
 * open: every reader is safe on any value (a type >= 3 or an aid beyond
 * aid_bound is never an index or a shift count unchecked), and every
 * sequential pass checks the checksums of what it reads while it reads
 * (or_store_check below), failing before it writes a result.
 * or_store_verify reads everything: section checksums, time order, type
 * values, and that the dictionary holds exactly the aids of the events
 * (`info --verify`).  Other versions are refused with a hint to rebuild
 * the store.
 */
#ifndef OR_STORE_H
#define OR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

#define OR_STORE_VERSION 3u
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
/* The checksum of the header of the file st was opened from (it names the
   content: or_sfile_identity); 0 for a store over columns in memory. */
uint64_t or_store_file_checksum(const or_store *st);

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
 * the aid, ts and type columns are evicted from this process's resident set
 * (madvise; they are read back from the page cache if touched later).  For
 * scans over a whole store that build large outputs beside it.  Only whole
 * pages inside the range are evicted; nothing is freed, the data stays
 * valid and unchanged.
 */
void or_store_evict(const or_store *st, size_t from, size_t to);

/* Full integrity check (reads every byte). */
int or_store_verify(const or_store *st, const or_log *log, or_err *err);

/*
 * The checksums of a sequential pass over stores[0..n) (every section, or
 * the aid column, or aid and type), computed as it goes (or_sfile.h's streaming check): or_store_check_read after each
 * stretch of sessions, from any thread in any order (sessions [0, s1) of
 * stores[store] and their events have been read); or_store_check_end at
 * the end of the pass, before anything is written, with the pass's own
 * status rc: after OR_OK or OR_EFORMAT (a value the pass refused) it hashes
 * what was not read and returns OR_EFORMAT naming the first damaged store
 * and section if one is (so damage is named by its checksum), else rc;
 * any other rc is returned as it is.  Frees c.  NULL from _new (out of
 * memory) makes _read a no-op and _end OR_ENOMEM.  The stores (not the
 * array) must outlive the check.
 */
typedef struct or_store_check or_store_check;
/* what: the sections the pass reads (the offsets are verified at open) */
enum { OR_STORE_CHECK_ALL = 0, OR_STORE_CHECK_AIDS = 1, OR_STORE_CHECK_AIDS_TYPES = 2 };
or_store_check *or_store_check_new(const or_store *const *stores, size_t n, int what);
void or_store_check_read(or_store_check *c, size_t store, size_t s1);
/* Events [0, e1) of stores[store]'s checked columns have been read (a
   pass over events rather than sessions). */
void or_store_check_events(or_store_check *c, size_t store, size_t e1);
int or_store_check_end(or_store_check *c, int rc, or_err *err);
void or_store_check_free(or_store_check *c); /* without comparing; NULL fine */

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

/* The builder's rules for one session's events (at least one, aid <=
   OR_AID_MAX, ts >= 0, type 0..2, ts non-decreasing): OR_OK, or OR_EFORMAT
   naming the event ("event 3: ts ... is earlier than the event before
   it ..."), for callers that hold sessions without a builder. */
int or_store_check_session(size_t n, const uint32_t *aid, const int64_t *ts,
			   const uint8_t *type, or_err *err);

size_t or_store_builder_n_sessions(const or_store_builder *b);
size_t or_store_builder_n_events(const or_store_builder *b);

/* Write the store atomically to path (tmp + rename).  The builder stays
   usable (it may be written again or freed). */
int or_store_builder_write(or_store_builder *b, const char *path,
			   const or_log *log, or_err *err);

/*
 * A store over the caller's memory instead of a file (a few sessions in
 * hand: `ottorec serve`'s request), for the readers of this header: the
 * columns are borrowed (they must outlive the store and stay unchanged),
 * sessions must have passed or_store_check_session and offsets must start
 * at 0, increase strictly and end at n_events (OR_EINVAL otherwise); items
 * must be the events' distinct aids, increasing.  The header fields are
 * computed; or_store_path gives `name` (copied); the checksum checks of
 * or_store_check_* are no-ops on it (there is no file to be damaged).
 */
typedef struct or_store_columns {
	size_t n_sessions, n_events, n_items;
	const int64_t *session_ids;
	const uint64_t *offsets;
	const uint32_t *aid;
	const int64_t *ts;
	const uint8_t *type;
	const uint32_t *items;
} or_store_columns;

int or_store_from_columns(const or_store_columns *c, const char *name, or_store **out, or_err *err);

/* Writing a store in place when the counts are known first (the Parquet
   reader): or_store_direct.h, private to the library. */

#endif
