/*
 * or_store_direct.h - writing an event store in place, for readers that know
 * the session and event counts before the columns (the Parquet reader's
 * fast path, lib/io/or_parquet_convert.c).  Not a public header: the
 * caller is responsible for the store's rules, which or_store_builder
 * checks for everyone else.
 *
 * The file is an or_sfile written OR_SFILE_MAPPED: reserved and mapped when
 * opened, the sections written in place, by any thread, in any order, with
 * or_store_direct_put (pwrite: a fresh page is filled by the copy alone,
 * where a store through the mapping has the kernel zero it first) or
 * through or_store_direct_section; or_store_direct_commit then checksums
 * what is left of each section (reading it back from the mapping), gathers
 * the item dictionary from the aids as they are checksummed, writes it and
 * the header, and renames the file into place.  The bytes are those
 * or_store_builder_write writes for the same sessions.  The caller is
 * responsible for the store's rules (order, ranges, ids once) and for the
 * counts passed to commit.  Sections are numbered as in the section table
 * (or_store.h): 0 session ids (int64), 1 offsets (uint64, n_sessions + 1),
 * 2 aid (uint32), 3 ts (int64), 4 type (uint8); the dictionary (5) is the
 * writer's own.
 */
#ifndef OR_STORE_DIRECT_H
#define OR_STORE_DIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

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
   are all written and stay as they are.  One thread at a time (for all
   sections: the aids seen feed one dictionary); commit checksums what is
   left. */
void or_store_direct_hash(or_store_direct *w, int sec, uint64_t to);
/* The same over n elements at element `at` that were just written from
   data, when the checksum has got exactly to `at`: 1, or 0 (nothing done;
   they are read back later). */
int or_store_direct_hash_data(or_store_direct *w, int sec, uint64_t at, const void *data,
			      size_t n);
/* Checksum, write the dictionary and the header, rename into place, free w
   (also on error). */
int or_store_direct_commit(or_store_direct *w, const uint64_t n_type[3], int64_t ts_min,
			   int64_t ts_max, uint32_t aid_bound, const or_log *log, or_err *err);
/* Remove the temporary and free w; NULL is fine. */
void or_store_direct_abort(or_store_direct *w);

#endif
