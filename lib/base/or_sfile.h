/*
 * or_sfile.h - the sectioned file: the one container of every binary file
 * ottorec owns (event store, pairs, co-visitation tables, ANN index, MF
 * checkpoint).  A fixed header names the format (magic, version), carries a
 * few per-format fields (counts, parameters) and a table of sections, each a
 * contiguous array of bytes with its XXH3-64; the sections follow, aligned as
 * the format asks.  This module owns the header, the atomic write (tmp +
 * rename), the O(1) mmap open with bounds checks and the verify; each format
 * owns the meaning of its fields and sections and its semantic checks.
 *
 * Why hand-written: no Debian library gives mmap-able raw arrays with
 * per-section checksums at O(1) open.  HDF5 (libhdf5) has its own chunked
 * allocator and reads through its API, not views of the file; LMDB is a
 * B-tree of keys; Cap'n Proto and FlatBuffers frame messages, not page-
 * aligned columns written in place by several threads; Arrow IPC (libarrow)
 * is not packaged by Debian.  What is needed is about 600 lines.
 *
 * File layout (little-endian):
 *
 *   offset  size  field
 *   0       8     magic, 8 characters naming the format ("OTTOSTOR", ...)
 *   8       4     format version (the format's own number)
 *   12      4     header bytes: 680, the size of or_sfile_header
 *   16      4     n_sections (the format's count, <= 16)
 *   20      4     section alignment (a power of two, 8..4096)
 *   24      8     file bytes: the exact size of the file
 *   32      128   the format's fields (its own struct, zero-padded)
 *   160     512   section table, 16 entries of {u64 offset, u64 bytes,
 *                 u64 XXH3-64 of the section's bytes, u64 reserved 0};
 *                 entries past n_sections are zero
 *   672     8     XXH3-64 of bytes [0, 672)
 *   680..4095     zero
 *   4096          section 0; section i + 1 at the first multiple of the
 *                 alignment at or after the end of section i (the gap is
 *                 zero); the file ends where the last section ends
 *
 * Every format keeps magic and version at offsets 0 and 8 (its files of
 * earlier versions did too), so an old file is told apart by its version and
 * refused with the format's rebuild hint.
 *
 * Opening (or_sfile_open) maps the file and checks, reading the header page
 * only (O(1) whatever the file's size): size at least one header, magic,
 * version, header checksum, the header's fixed fields and zero padding, that
 * the sections lie where the layout puts them and that the file has exactly
 * the size the header gives (so truncation and appended bytes are both
 * errors).  The format then checks each section's size against its counts
 * (or_sfile_expect).  or_sfile_verify reads every section and compares its
 * checksum.  Every error names the file and what is wrong; those of a
 * damaged, truncated or other-version file end with the format's rebuild
 * hint.
 *
 * Verification: every reader checks the checksums of what it reads.  A
 * sequential reader does it while it reads (or_sfile_check, below: the
 * XXH3 of each section carried along as the reader walks it, compared at
 * the end of its pass and before it writes anything as a result), so
 * there is no second pass over the file: the event store's passes (pairs,
 * covisit, split, info's aids, export, recommend's test sessions: through
 * or_store_check), train on the pairs (or_pairs_check), the MF checkpoint
 * (checked as it is copied into the model).  Small sections that a reader
 * needs before its pass, or whose values are offsets into the others, are
 * verified at open (the store's session offsets and dictionary, the pairs'
 * and covisit tables' dictionaries, the index's list offsets).
 * Random-access readers cannot check streaming: what a lookup reads is a
 * scattered part of the file, and a damaged byte would be used before a
 * check got to it.  They verify the whole file at open instead, which is
 * cheap relative to what follows: the ANN index (every reader: neighbors,
 * index eval, recommend's seed and blend strategies; its sections are the
 * size of the vectors, which each of those scans or samples, and open
 * also checks every vector's norm), the co-visitation tables (recommend
 * and tune, cli_models.c: row offsets, neighbours and checksums, read
 * once; they are smaller than the stores they score).  No `--verify`
 * option is needed for them; `info --verify` remains for the store's
 * semantic checks (time order, types, dictionary against the events).
 *
 * Adding a format: one static const or_sfile_format (magic, version,
 * alignment, section names, what the file is, how to rebuild it); its fields
 * as a struct with OR_SFILE_META_FITS and _Static_asserts on the offsets its
 * header comment documents (the offset table there is the format's spec);
 * the writer opens with the section sizes, appends or fills in place and
 * commits with the fields; the reader opens, copies the fields, checks each
 * section with or_sfile_expect and does its own O(1) checks, and verifies
 * (or_sfile_verify plus its semantic checks) where a damaged section could
 * do harm; and a line in tests/cli/test_damaged.sh runs every damage case
 * against each command that reads it.  A new layout of a format's fields or
 * sections is a new version.
 */
#ifndef OR_SFILE_H
#define OR_SFILE_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

#define OR_SFILE_MAX_SECTIONS 16
#define OR_SFILE_META_BYTES 128
#define OR_SFILE_HEADER_AREA 4096u /* header page: section 0 starts here */

typedef struct or_sfile_section {
	uint64_t offset, bytes, checksum, reserved;
} or_sfile_section;

typedef struct or_sfile_header {
	char magic[8];
	uint32_t version;
	uint32_t header_bytes;
	uint32_t n_sections;
	uint32_t align;
	uint64_t file_bytes;
	unsigned char meta[OR_SFILE_META_BYTES];
	or_sfile_section section[OR_SFILE_MAX_SECTIONS];
	uint64_t header_checksum; /* XXH3-64 of the bytes before it */
} or_sfile_header;

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "ottorec's files are little-endian; this build would need byte swaps");
_Static_assert(offsetof(or_sfile_header, version) == 8, "sfile header: version");
_Static_assert(offsetof(or_sfile_header, file_bytes) == 24, "sfile header: file bytes");
_Static_assert(offsetof(or_sfile_header, meta) == 32, "sfile header: meta");
_Static_assert(offsetof(or_sfile_header, section) == 160, "sfile header: section table");
_Static_assert(offsetof(or_sfile_header, header_checksum) == 672, "sfile header: checksum");
_Static_assert(sizeof(or_sfile_header) == 680, "sfile header: size");

/* A format's own fields: a struct that must fit the header's meta area. */
#define OR_SFILE_META_FITS(type) \
	_Static_assert(sizeof(type) <= OR_SFILE_META_BYTES, #type " must fit the sfile header")

/* What a format is; one static const instance per format. */
typedef struct or_sfile_format {
	const char *magic;      /* exactly 8 characters */
	uint32_t version;
	uint32_t align;         /* section alignment: a power of two, 8..4096 */
	unsigned n_sections;    /* 0..OR_SFILE_MAX_SECTIONS */
	const char *const *section_names; /* n_sections names, for messages */
	const char *what;       /* "event store": what a message calls the file */
	const char *rebuild;    /* "rebuild it with `ottorec convert`" */
} or_sfile_format;

/* ---- reading ---------------------------------------------------------- */

/* An open file: read-only, mapped.  Fields are read-only for callers. */
typedef struct or_sfile {
	const or_sfile_format *fmt;
	char *path;                /* owned */
	const unsigned char *map;  /* the whole file */
	size_t bytes;
	or_sfile_header h;         /* a copy of the header */
} or_sfile;

/*
 * Open and map path as a file of format fmt and check its header (O(1), see
 * above).  On failure f is left released (or_sfile_release is still safe).
 * Errors: OR_EIO (cannot open/map), OR_EFORMAT (not this format, damaged,
 * truncated, bytes appended), OR_EUNSUPPORTED (another format version).
 */
int or_sfile_open(or_sfile *f, const char *path, const or_sfile_format *fmt, or_err *err);
/* Unmap and free; f may be zeroed or already released. */
void or_sfile_release(or_sfile *f);

/*
 * The identity of a file of any format, reading its header alone (no
 * mapping, O(1)): OR_OK when path holds a whole sectioned file (header of
 * 680 bytes with a matching checksum, file exactly as long as the header
 * says) with *magic (8 characters and a NUL) and *checksum, the header's
 * checksum: it covers every section's checksum, so it names the content.
 * OR_EFORMAT (truncated, damaged, not a sectioned file) or OR_EIO with err
 * set otherwise.  For `run --resume` and the covisit manifest.
 */
int or_sfile_identity(const char *path, char magic[9], uint64_t *checksum, or_err *err);

/* The format's fields: copies min(n, OR_SFILE_META_BYTES) bytes. */
void or_sfile_meta(const or_sfile *f, void *out, size_t n);
/* Section sec's bytes in the mapping (valid until release), its size. */
const void *or_sfile_section_data(const or_sfile *f, unsigned sec);
uint64_t or_sfile_section_bytes(const or_sfile *f, unsigned sec);

/* OR_OK when section sec holds exactly count elements of elem bytes (no
   overflow whatever count is); else OR_EFORMAT naming file and section. */
int or_sfile_expect(const or_sfile *f, unsigned sec, uint64_t count, size_t elem, or_err *err);

/* Checksum of section sec, or of every section (progress as stage
   "verify", in sections; cancellable): OR_EFORMAT naming the section on a
   mismatch. */
int or_sfile_verify_section(const or_sfile *f, unsigned sec, or_err *err);
int or_sfile_verify(const or_sfile *f, const or_log *log, or_err *err);
/* Take the mapping's pages out of this process's resident set (they stay
   in the page cache; the next read of a page maps it back, a minor fault):
   after a whole-file check, so that a verified file counts in the process's
   memory only as far as it is then read (serve's RSS before traffic). */
void or_sfile_drop_resident(const or_sfile *f);

/*
 * Streaming verification (see the header comment): the reader tells the
 * check how far it has read each section (or_sfile_check_to, in bytes, any
 * thread, in any order: the check hashes each section's bytes in order
 * from the mapping, up to the furthest point it was told, while those
 * pages are still in memory); or_sfile_check_end hashes whatever was not
 * read (the rest of a section, the sections it did not touch), compares
 * each checked section's checksum and zero gap, and fails naming the
 * first damaged section.  What open does not verify, readers must not
 * trust in the meantime: no value read from a file is used as an index or
 * a shift count before it is bounds-checked.
 */
typedef struct or_sfile_check or_sfile_check; /* opaque */

/* A check of the sections of f in the bit mask `sections` (bit s: section
   s; those that the reader has verified otherwise are left out); f must
   outlive it.  NULL when out of memory. */
#define OR_SFILE_ALL_SECTIONS 0xffffu
or_sfile_check *or_sfile_check_new(const or_sfile *f, unsigned sections);
/* Bytes [0, to) of section sec have been read: hash them (thread-safe;
   to is clamped to the section; a point already reached is a no-op). */
void or_sfile_check_to(or_sfile_check *c, unsigned sec, uint64_t to);
/* Hash what is left and compare: OR_OK, or OR_EFORMAT naming the file and
   the first damaged section (as or_sfile_verify_section).  Frees c (NULL:
   OR_ENOMEM, for a check that could not be made). */
int or_sfile_check_end(or_sfile_check *c, or_err *err);
/* Free without comparing (a pass that failed for another reason). */
void or_sfile_check_free(or_sfile_check *c);

/* A format's own check failed: sets "PATH: damaged <what>: <message>;
   <rebuild>" and returns OR_EFORMAT. */
int or_sfile_damaged(const or_sfile *f, or_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- writing ---------------------------------------------------------- */

/*
 * A file is written to a temporary beside path (or_file.h) and renamed into
 * place by or_sfile_writer_commit, which writes the header last; a failed
 * or abandoned write leaves nothing under path.  Section sizes are given at
 * open, so the layout is fixed from the start.  Two ways to fill it:
 *
 *  OR_SFILE_STREAM: or_sfile_writer_append, sections in order, each in one
 *    or more pieces (written with pwrite straight from the caller's memory,
 *    checksummed as they go);
 *  OR_SFILE_MAPPED: the whole file is reserved (posix_fallocate: a full disk
 *    is an error here, not a SIGBUS when a page of the mapping is first
 *    touched) and mapped writable; sections are filled in any order, by any
 *    thread, through or_sfile_writer_map or with or_sfile_writer_put.  Their
 *    checksums may be carried along (or_sfile_writer_hash,
 *    or_sfile_writer_hash_data); commit checksums what is left, reading it
 *    back from the mapping (two threads), and releases pages as it goes.
 */
enum { OR_SFILE_STREAM = 0, OR_SFILE_MAPPED = 1 };

typedef struct or_sfile_writer or_sfile_writer; /* opaque */

/* bytes: fmt->n_sections section sizes. */
int or_sfile_writer_open(or_sfile_writer **out, const char *path, const or_sfile_format *fmt,
			 const uint64_t *bytes, int mode, or_err *err);
/* Report progress of appends as `stage` in bytes of the whole file, and
   stop them with OR_ECANCELLED when log says so (STREAM). */
void or_sfile_writer_progress(or_sfile_writer *w, const or_log *log, const char *stage);
/* STREAM: the next n bytes of section sec.  Sections go in order; moving
   to a later one needs every earlier one complete. */
int or_sfile_writer_append(or_sfile_writer *w, unsigned sec, const void *data, size_t n,
			   or_err *err);
/* MAPPED: section sec, writable, valid until commit or abort (NULL for a
   bad sec).  Threads may fill disjoint parts. */
void *or_sfile_writer_map(or_sfile_writer *w, unsigned sec);
/* MAPPED: bytes [at, at + n) of section sec from data, by pwrite
   (thread-safe; regions must not overlap).  A fresh page is then filled by
   the copy alone, where a store through the mapping has the kernel zero it
   first. */
int or_sfile_writer_put(or_sfile_writer *w, unsigned sec, uint64_t at, const void *data,
			size_t n, or_err *err);
/* MAPPED: carry section sec's checksum on up to byte `to` (its bytes before
   `to` are written and stay as they are), reading them back from the
   mapping.  One thread at a time per section. */
void or_sfile_writer_hash(or_sfile_writer *w, unsigned sec, uint64_t to);
/* MAPPED: the same over n bytes at byte `at` just written from data, when
   the checksum has got exactly to `at`: 1, or 0 (nothing done; they are
   read back later). */
int or_sfile_writer_hash_data(or_sfile_writer *w, unsigned sec, uint64_t at, const void *data,
			      size_t n);
/* Called with every piece of section bytes as its checksum is carried
   (append, hash, hash_data, hash_rest), in order within a section, by one
   thread at a time per section: lets a caller gather something from the
   bytes in the same pass (the store's dictionary from its aids).  Pieces
   start at multiples of the section's element size when the caller's
   positions are. */
typedef void (*or_sfile_observe_fn)(void *ctx, unsigned sec, const void *data, size_t n);
void or_sfile_writer_observe(or_sfile_writer *w, or_sfile_observe_fn fn, void *ctx);
/* MAPPED: checksum what is left of every section now (commit would). */
void or_sfile_writer_hash_rest(or_sfile_writer *w);
/* The last section's size, when it is known only at the end (the store's
   dictionary), before any of it is written or checksummed.  MAPPED: the
   new end of the file is reserved and the mapping moved (pointers from
   or_sfile_writer_map are then invalid). */
int or_sfile_writer_resize_last(or_sfile_writer *w, uint64_t bytes, or_err *err);
/* Checksum what is left, write the header with the format's fields (meta,
   n <= OR_SFILE_META_BYTES bytes), rename into place, free w (also on
   error).  Cancellable through log. */
int or_sfile_writer_commit(or_sfile_writer *w, const void *meta, size_t n, const or_log *log,
			   or_err *err);
/* Remove the temporary and free w; NULL is fine. */
void or_sfile_writer_abort(or_sfile_writer *w);

#endif
