/*
 * or_cand_stats_file.h - the ranker's item statistics (or_cand.h's
 * or_cand_stats: counts, item features, the next-item table of a training
 * period) as a file, so that the commands that read them (`candidates`,
 * `recommend --strategy ranker`, `serve`) map them in place instead of
 * building them from the stores each time (`ottorec stats` writes one).
 * Statistics opened from a file are the built ones bit for bit: the same
 * dictionary, counts, features and next-item rows, so the candidates'
 * features and the submissions are the same bytes.
 *
 * The file records what it was built from: per source store its path
 * (absolute when it resolved), the checksum of its header (or_sfile.h: it
 * covers every section's checksum, so it names the content), its events
 * and sessions.  or_cand_stats_match checks statistics against the stores
 * a command was given; or_cand_stats_check_sources against the recorded
 * paths that still exist.  Either refuses a stale file naming it, the
 * store that differs and how to rebuild it.
 *
 * File layout: a sectioned file (or_sfile.h: magic, version, fields,
 * section table with XXH3-64 per section, header checksum; 4096-byte
 * header page), little-endian, sections 64-byte aligned:
 *
 *   offset  size  field
 *   0       8     magic "OTTOSTAT"
 *   8       4     format version (OR_CAND_STATS_VERSION)
 *   12      148   or_sfile.h's header fields: 8 sections aligned to 64
 *   32      4     n_items: items of the dictionary (the stores' union)
 *   36      4     n_sources: source stores (1..OR_CAND_STATS_MAX_SOURCES)
 *   40      8     period_days (f64; at least 7)
 *   48      8     ts_min: the period's first timestamp, ms (INT64_MAX: none)
 *   56      8     ts_max: its last (INT64_MIN: none)
 *   64      4     counts per item: 9
 *   68      4     features per item: 11
 *   72      4     next items per item: 20 (OR_CAND_NEXT_K)
 *   76      4     reserved, 0
 *   80      8     events of all sources
 *   160     512   section table (or_sfile.h):
 *                   0 item dictionary uint32[n_items], strictly increasing
 *                   1 counts uint32[n_items x 9]: clicks, carts, orders over
 *                     the period, its last 7 days, its last day
 *                   2 item features f32[n_items x 11]: x[OR_CF_I_CLICKS ..
 *                     OR_CF_I_TREND] of each item, as or_cand_stats_build
 *                     computes them from the counts
 *                   3 next aids uint32[n_items x 20]: row i is item i's
 *                     next items, most frequent first
 *                   4 next probabilities f32[n_items x 20]
 *                   5 next lengths uint8[n_items]: entries used of each row
 *                   6 sources, n_sources records of 32 bytes: u64 header
 *                     checksum, u64 events, u64 sessions, u32 path bytes,
 *                     u32 reserved 0
 *                   7 source paths: the records' paths one after another
 *                     (no NULs)
 *   672     8     header checksum
 *   4096          the sections
 *
 * Opening maps the file and verifies every section's checksum (a random-
 * access reader, or_sfile.h's Verification: a scattered lookup would use a
 * damaged byte before a streaming check got to it), then checks what the
 * readers index with: the dictionary strictly increasing, each row's
 * length at most 20, each used next aid in the dictionary and its
 * probability in (0, 1], the sources' paths.  A damaged, truncated or
 * other-version file is an error naming the file with the rebuild hint.
 */
#ifndef OR_CAND_STATS_FILE_H
#define OR_CAND_STATS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "or_cand.h"
#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

#define OR_CAND_STATS_VERSION 1u
#define OR_CAND_STATS_MAX_SOURCES 64

/* One store the statistics were built from. */
typedef struct or_cand_stats_source {
	char *path;          /* absolute when it resolved, else as opened */
	uint64_t checksum;   /* or_store_file_checksum (0: a store in memory) */
	uint64_t n_events, n_sessions;
} or_cand_stats_source;

size_t or_cand_stats_n_sources(const or_cand_stats *s);
const or_cand_stats_source *or_cand_stats_sources(const or_cand_stats *s);
size_t or_cand_stats_n_items(const or_cand_stats *s);
double or_cand_stats_period_days(const or_cand_stats *s);
/* The file s was opened from, NULL for statistics built from stores. */
const char *or_cand_stats_file(const or_cand_stats *s);

/* Write s to path (atomically: tmp + rename).  Progress as stage "write
   statistics" in bytes; cancellable through log. */
int or_cand_stats_write(const or_cand_stats *s, const char *path, const or_log *log, or_err *err);
/* Open a file written by or_cand_stats_write (see above for what is
   checked).  Errors: OR_EIO, OR_EFORMAT (damaged, truncated, not this
   format), OR_EUNSUPPORTED (another version), OR_ENOMEM. */
int or_cand_stats_open(const char *path, or_cand_stats **out, or_err *err);

/* OR_OK when stores[0..n) are the stores s was built from (in any order:
   the same header checksums and event counts), else OR_EINVAL naming the
   file (what = its name in the message), the store that differs and how
   to rebuild it. */
int or_cand_stats_match(const or_cand_stats *s, const char *what, or_store *const *stores,
			size_t n, or_err *err);
/* OR_OK unless a recorded source path still holds a store (or another
   file) that is no longer the one s was built from: then OR_EINVAL naming
   both.  Paths that no longer exist are not checked. */
int or_cand_stats_check_sources(const or_cand_stats *s, const char *what, or_err *err);

#endif
