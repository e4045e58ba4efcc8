/*
 * or_sfile.c - the sectioned file (layout and contracts in or_sfile.h):
 * the layout rule, the O(1) open with its checks, verify, and the writer in
 * its two modes (appending, or in place through a reserved mapping).
 */
#include "or_sfile.h"
#include "or_file.h"
#include "or_par.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t */
#include <xxhash.h>
#if defined(__x86_64__)
/* libxxhash's run-time choice of SSE2/AVX2/AVX-512 (its plain entry points
   are built for SSE2); the same hashes either way */
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>
#define sfile_hash XXH3_64bits_dispatch
#define sfile_hash_update XXH3_64bits_update_dispatch
#else
#define sfile_hash XXH3_64bits
#define sfile_hash_update XXH3_64bits_update
#endif

#define HEADER_SUM_AT offsetof(or_sfile_header, header_checksum)

/* ---- the layout ------------------------------------------------------- */

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

static int format_ok(const or_sfile_format *fmt)
{
	return fmt->n_sections <= OR_SFILE_MAX_SECTIONS && fmt->align >= 8 &&
	       fmt->align <= OR_SFILE_HEADER_AREA && (fmt->align & (fmt->align - 1)) == 0 &&
	       strlen(fmt->magic) == 8;
}

/* Offsets of sections with the given sizes and the file's size, by the one
   layout rule; -1 when they do not fit 63 bits. */
static int layout(const or_sfile_format *fmt, const uint64_t *bytes, uint64_t *offset,
		  uint64_t *file_bytes)
{
	const uint64_t limit = (uint64_t)1 << 62;
	uint64_t at = OR_SFILE_HEADER_AREA, end = OR_SFILE_HEADER_AREA;
	for (unsigned s = 0; s < fmt->n_sections; s++) {
		if (s > 0)
			at = align_up(end, fmt->align);
		if (bytes[s] > limit || at > limit - bytes[s])
			return -1;
		offset[s] = at;
		end = at + bytes[s];
	}
	*file_bytes = end;
	return 0;
}

static const char *sec_name(const or_sfile_format *fmt, unsigned s)
{
	return fmt->section_names && s < fmt->n_sections ? fmt->section_names[s] : "?";
}

/* ---- reading ---------------------------------------------------------- */

static int refuse(or_sfile *f, or_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record "PATH: <message>; <rebuild>" and release f. */
static int refuse(or_sfile *f, or_err *err, int code, const char *fmt, ...)
{
	char msg[OR_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int rc = or_err_set(err, code, "%s: %s; %s", f->path ? f->path : "?", msg, f->fmt->rebuild);
	or_sfile_release(f);
	return rc;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* The header's own fields, once its checksum has matched. */
static int check_header(or_sfile *f, or_err *err)
{
	const or_sfile_format *fmt = f->fmt;
	const or_sfile_header *h = &f->h;
	if (h->header_bytes != sizeof(or_sfile_header) || h->n_sections != fmt->n_sections ||
	    h->align != fmt->align)
		return refuse(f, err, OR_EFORMAT,
			      "damaged %s: its header gives %u sections aligned to %u bytes (header of %u bytes), the format has %u aligned to %u",
			      fmt->what, h->n_sections, h->align, h->header_bytes, fmt->n_sections,
			      fmt->align);
	int clean = all_zero(f->map + sizeof(or_sfile_header),
			     OR_SFILE_HEADER_AREA - sizeof(or_sfile_header)) &&
		    all_zero((const unsigned char *)&h->section[fmt->n_sections],
			     (OR_SFILE_MAX_SECTIONS - fmt->n_sections) * sizeof(or_sfile_section));
	for (unsigned s = 0; clean && s < fmt->n_sections; s++)
		clean = h->section[s].reserved == 0;
	if (!clean)
		return refuse(f, err, OR_EFORMAT, "damaged %s: non-zero bytes where its header has none",
			      fmt->what);
	uint64_t bytes[OR_SFILE_MAX_SECTIONS], offset[OR_SFILE_MAX_SECTIONS], file_bytes;
	for (unsigned s = 0; s < fmt->n_sections; s++)
		bytes[s] = h->section[s].bytes;
	if (layout(fmt, bytes, offset, &file_bytes) != 0 || file_bytes != h->file_bytes)
		return refuse(f, err, OR_EFORMAT, "damaged %s: its section table does not add up",
			      fmt->what);
	for (unsigned s = 0; s < fmt->n_sections; s++)
		if (offset[s] != h->section[s].offset)
			return refuse(f, err, OR_EFORMAT,
				      "damaged %s: the %s section is at byte %llu, the layout puts it at %llu",
				      fmt->what, sec_name(fmt, s),
				      (unsigned long long)h->section[s].offset,
				      (unsigned long long)offset[s]);
	if (f->bytes < file_bytes) {
		unsigned s = 0;
		while (s + 1 < fmt->n_sections && h->section[s].offset + h->section[s].bytes <= f->bytes)
			s++;
		return refuse(f, err, OR_EFORMAT,
			      "truncated %s: %zu bytes of the %llu its header gives (the %s section is cut)",
			      fmt->what, f->bytes, (unsigned long long)file_bytes, sec_name(fmt, s));
	}
	if (f->bytes > file_bytes)
		return refuse(f, err, OR_EFORMAT,
			      "damaged %s: %zu bytes, %llu more than its header gives (bytes appended after the last section)",
			      fmt->what, f->bytes, (unsigned long long)(f->bytes - file_bytes));
	return OR_OK;
}

int or_sfile_open(or_sfile *f, const char *path, const or_sfile_format *fmt, or_err *err)
{
	memset(f, 0, sizeof(*f));
	f->fmt = fmt;
	if (!format_ok(fmt))
		return or_err_set(err, OR_EINVAL, "%s: bad file format description", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "cannot open %s %s", fmt->what, path);
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return or_err_errno(err, e, "cannot stat %s", path);
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return or_err_set(err, OR_EFORMAT, "%s: not a regular file (an ottorec %s is one)",
				  path, fmt->what);
	}
	if (sb.st_size < (off_t)OR_SFILE_HEADER_AREA) {
		close(fd);
		if (sb.st_size == 0)
			return or_err_set(err, OR_EFORMAT, "%s: empty file, not an ottorec %s; %s", path,
					  fmt->what, fmt->rebuild);
		return or_err_set(err, OR_EFORMAT,
				  "%s: %lld bytes, shorter than the %u-byte header of an ottorec %s; %s",
				  path, (long long)sb.st_size, OR_SFILE_HEADER_AREA, fmt->what,
				  fmt->rebuild);
	}
	f->bytes = (size_t)sb.st_size;
	void *map = mmap(NULL, f->bytes, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return or_err_errno(err, e, "cannot map %s", path);
	f->map = map;
	if (!(f->path = strdup(path))) {
		or_sfile_release(f);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	memcpy(&f->h, f->map, sizeof(f->h));
	const or_sfile_header *h = &f->h;
	if (memcmp(h->magic, fmt->magic, 8) != 0) {
		int rc = or_err_set(err, OR_EFORMAT, "%s: not an ottorec %s (no %.8s magic)", path,
				    fmt->what, fmt->magic);
		or_sfile_release(f);
		return rc;
	}
	/* the version before the checksum: another version's header may be
	   laid out (and checksummed) differently */
	if (h->version != fmt->version)
		return refuse(f, err, OR_EUNSUPPORTED, "%s format version %u, this ottorec reads version %u",
			      fmt->what, h->version, fmt->version);
	if (sfile_hash(h, HEADER_SUM_AT) != h->header_checksum)
		return refuse(f, err, OR_EFORMAT, "header checksum mismatch (damaged %s)", fmt->what);
	return check_header(f, err);
}

int or_sfile_identity(const char *path, char magic[9], uint64_t *checksum, or_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "cannot open %s", path);
	or_sfile_header h;
	struct stat sb;
	ssize_t got = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? pread(fd, &h, sizeof(h), 0) : -1;
	close(fd);
	if (got != (ssize_t)sizeof(h) || h.header_bytes != sizeof(h) ||
	    sfile_hash(&h, HEADER_SUM_AT) != h.header_checksum)
		return or_err_set(err, OR_EFORMAT, "%s: not a whole ottorec file (no valid header)", path);
	if ((uint64_t)sb.st_size != h.file_bytes)
		return or_err_set(err, OR_EFORMAT, "%s: %lld bytes, its header says %llu (truncated or appended to)",
				  path, (long long)sb.st_size, (unsigned long long)h.file_bytes);
	memcpy(magic, h.magic, 8);
	magic[8] = '\0';
	*checksum = h.header_checksum;
	return OR_OK;
}

void or_sfile_release(or_sfile *f)
{
	if (f->map)
		munmap((void *)f->map, f->bytes);
	free(f->path);
	const or_sfile_format *fmt = f->fmt;
	memset(f, 0, sizeof(*f));
	f->fmt = fmt;
}

void or_sfile_meta(const or_sfile *f, void *out, size_t n)
{
	memcpy(out, f->h.meta, n < OR_SFILE_META_BYTES ? n : OR_SFILE_META_BYTES);
}

const void *or_sfile_section_data(const or_sfile *f, unsigned sec)
{
	return sec < f->h.n_sections ? f->map + f->h.section[sec].offset : NULL;
}

uint64_t or_sfile_section_bytes(const or_sfile *f, unsigned sec)
{
	return sec < f->h.n_sections ? f->h.section[sec].bytes : 0;
}

int or_sfile_expect(const or_sfile *f, unsigned sec, uint64_t count, size_t elem, or_err *err)
{
	uint64_t b = or_sfile_section_bytes(f, sec);
	if (sec < f->h.n_sections && elem > 0 && b % elem == 0 && b / elem == count)
		return OR_OK;
	return or_err_set(err, OR_EFORMAT,
			  "%s: damaged %s: the %s section holds %llu bytes, its header's counts give %llu x %zu; %s",
			  f->path, f->fmt->what, sec_name(f->fmt, sec), (unsigned long long)b,
			  (unsigned long long)count, elem, f->fmt->rebuild);
}

int or_sfile_verify_section(const or_sfile *f, unsigned sec, or_err *err)
{
	if (sec >= f->h.n_sections)
		return or_err_set(err, OR_EINVAL, "%s: no section %u", f->path, sec);
	const or_sfile_section *s = &f->h.section[sec];
	/* the zero gap up to the next section (or the end) belongs to it */
	uint64_t next = sec + 1 < f->h.n_sections ? f->h.section[sec + 1].offset : f->h.file_bytes;
	if (sfile_hash(f->map + s->offset, (size_t)s->bytes) != s->checksum ||
	    !all_zero(f->map + s->offset + s->bytes, (size_t)(next - s->offset - s->bytes)))
		return or_err_set(err, OR_EFORMAT, "%s: checksum mismatch in the %s section (damaged %s); %s",
				  f->path, sec_name(f->fmt, sec), f->fmt->what, f->fmt->rebuild);
	return OR_OK;
}

int or_sfile_verify(const or_sfile *f, const or_log *log, or_err *err)
{
	for (unsigned s = 0; s < f->h.n_sections; s++) {
		if (or_log_cancelled(log))
			return or_err_set(err, OR_ECANCELLED, "interrupted");
		int rc = or_sfile_verify_section(f, s, err);
		if (rc)
			return rc;
		or_log_progress(log, "verify", s + 1, f->h.n_sections, "sections");
	}
	return OR_OK;
}

void or_sfile_drop_resident(const or_sfile *f)
{
	if (f->map && f->bytes)
		madvise((void *)f->map, (size_t)f->bytes, MADV_DONTNEED);
}

/* ---- streaming verification ------------------------------------------ */

struct or_sfile_check {
	const or_sfile *f;
	pthread_mutex_t mu;
	XXH3_state_t *hs[OR_SFILE_MAX_SECTIONS];
	uint64_t done[OR_SFILE_MAX_SECTIONS]; /* bytes hashed */
};

void or_sfile_check_free(or_sfile_check *c)
{
	if (!c)
		return;
	for (unsigned s = 0; s < OR_SFILE_MAX_SECTIONS; s++)
		XXH3_freeState(c->hs[s]);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

or_sfile_check *or_sfile_check_new(const or_sfile *f, unsigned sections)
{
	or_sfile_check *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->f = f;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	for (unsigned s = 0; s < f->h.n_sections; s++)
		if (((sections >> s) & 1) &&
		    (!(c->hs[s] = XXH3_createState()) || XXH3_64bits_reset(c->hs[s]) != XXH_OK)) {
			or_sfile_check_free(c);
			return NULL;
		}
	return c;
}

/* Section sec hashed on to `to` (the caller holds c->mu). */
static void check_hash(or_sfile_check *c, unsigned sec, uint64_t to)
{
	const or_sfile_section *s = &c->f->h.section[sec];
	if (to > s->bytes)
		to = s->bytes;
	if (to > c->done[sec]) {
		sfile_hash_update(c->hs[sec], c->f->map + s->offset + c->done[sec],
				  (size_t)(to - c->done[sec]));
		c->done[sec] = to;
	}
}

void or_sfile_check_to(or_sfile_check *c, unsigned sec, uint64_t to)
{
	if (!c || sec >= c->f->h.n_sections || !c->hs[sec])
		return;
	/* a thread that finds another hashing goes on with its work: the
	   hash gets to `to` at a later call, or at the end */
	if (pthread_mutex_trylock(&c->mu) != 0)
		return;
	check_hash(c, sec, to);
	pthread_mutex_unlock(&c->mu);
}

int or_sfile_check_end(or_sfile_check *c, or_err *err)
{
	if (!c)
		return or_err_set(err, OR_ENOMEM, "out of memory for a checksum check");
	const or_sfile *f = c->f;
	int rc = OR_OK;
	pthread_mutex_lock(&c->mu);
	for (unsigned sec = 0; !rc && sec < f->h.n_sections; sec++) {
		if (!c->hs[sec])
			continue;
		const or_sfile_section *s = &f->h.section[sec];
		check_hash(c, sec, s->bytes);
		uint64_t next = sec + 1 < f->h.n_sections ? f->h.section[sec + 1].offset : f->h.file_bytes;
		if (XXH3_64bits_digest(c->hs[sec]) != s->checksum ||
		    !all_zero(f->map + s->offset + s->bytes, (size_t)(next - s->offset - s->bytes)))
			rc = or_err_set(err, OR_EFORMAT,
					"%s: checksum mismatch in the %s section (damaged %s); %s", f->path,
					sec_name(f->fmt, sec), f->fmt->what, f->fmt->rebuild);
	}
	pthread_mutex_unlock(&c->mu);
	or_sfile_check_free(c);
	return rc;
}

int or_sfile_damaged(const or_sfile *f, or_err *err, const char *fmt, ...)
{
	char msg[OR_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return or_err_set(err, OR_EFORMAT, "%s: damaged %s: %s; %s", f->path, f->fmt->what, msg,
			  f->fmt->rebuild);
}

/* ---- writing ---------------------------------------------------------- */

struct or_sfile_writer {
	or_file f;
	const or_sfile_format *fmt;
	int mode;
	or_sfile_header h;          /* the layout; checksums and meta at commit */
	unsigned char *map;         /* MAPPED: the whole file, shared, writable */
	size_t page;
	XXH3_state_t *hs[OR_SFILE_MAX_SECTIONS];
	uint64_t hashed[OR_SFILE_MAX_SECTIONS]; /* bytes checksummed so far */
	unsigned cur;               /* STREAM: the section being appended */
	size_t map_bytes;
	const or_log *log;
	const char *stage;
	uint64_t done;              /* STREAM: bytes appended, for progress */
	or_sfile_observe_fn observe;
	void *observe_ctx;
};

static void writer_free(or_sfile_writer *w)
{
	for (unsigned s = 0; s < OR_SFILE_MAX_SECTIONS; s++)
		XXH3_freeState(w->hs[s]);
	free(w);
}

void or_sfile_writer_abort(or_sfile_writer *w)
{
	if (!w)
		return;
	if (w->map)
		munmap(w->map, w->map_bytes);
	or_file_abort(&w->f);
	writer_free(w);
}

int or_sfile_writer_open(or_sfile_writer **out, const char *path, const or_sfile_format *fmt,
			 const uint64_t *bytes, int mode, or_err *err)
{
	*out = NULL;
	if (!format_ok(fmt) || (mode != OR_SFILE_STREAM && mode != OR_SFILE_MAPPED))
		return or_err_set(err, OR_EINVAL, "%s: bad file format description", path);
	if (!strcmp(path, "-"))
		return or_err_set(err, OR_EINVAL,
				  "an ottorec %s is written in place, not to standard output (-); give a file name",
				  fmt->what);
	or_sfile_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	w->fmt = fmt;
	w->mode = mode;
	long pg = sysconf(_SC_PAGESIZE);
	w->page = pg > 0 ? (size_t)pg : 4096;
	or_sfile_header *h = &w->h;
	memcpy(h->magic, fmt->magic, 8);
	h->version = fmt->version;
	h->header_bytes = sizeof(*h);
	h->n_sections = fmt->n_sections;
	h->align = fmt->align;
	uint64_t offset[OR_SFILE_MAX_SECTIONS];
	if (layout(fmt, bytes, offset, &h->file_bytes) != 0 ||
	    (uint64_t)(off_t)h->file_bytes != h->file_bytes || (size_t)h->file_bytes != h->file_bytes) {
		writer_free(w);
		return or_err_set(err, OR_ENOMEM, "%s: a %s of that size is too large", path, fmt->what);
	}
	for (unsigned s = 0; s < fmt->n_sections; s++) {
		h->section[s].offset = offset[s];
		h->section[s].bytes = bytes[s];
		w->hs[s] = XXH3_createState();
		if (!w->hs[s] || XXH3_64bits_reset(w->hs[s]) != XXH_OK) {
			writer_free(w);
			return or_err_set(err, OR_ENOMEM, "out of memory");
		}
	}
	int rc = or_file_open(&w->f, path, err);
	if (rc) {
		writer_free(w);
		return rc;
	}
	if (mode == OR_SFILE_MAPPED) {
		/* blocks reserved now: a full disk is an error here, not a
		   SIGBUS when a page of the mapping is first written */
		int e = posix_fallocate(w->f.fd, 0, (off_t)h->file_bytes);
		if (e != 0) {
			rc = or_err_errno(err, e, "cannot reserve %llu bytes for %s",
					  (unsigned long long)h->file_bytes, path);
			or_sfile_writer_abort(w);
			return rc;
		}
		void *map = mmap(NULL, (size_t)h->file_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
				 w->f.fd, 0);
		if (map == MAP_FAILED) {
			rc = or_err_errno(err, errno, "cannot map %s", path);
			or_sfile_writer_abort(w);
			return rc;
		}
		w->map = map;
		w->map_bytes = (size_t)h->file_bytes;
	}
	*out = w;
	return OR_OK;
}

void or_sfile_writer_progress(or_sfile_writer *w, const or_log *log, const char *stage)
{
	w->log = log;
	w->stage = stage;
}

void or_sfile_writer_observe(or_sfile_writer *w, or_sfile_observe_fn fn, void *ctx)
{
	w->observe = fn;
	w->observe_ctx = ctx;
}

/* The checksum of section sec carried on over n more bytes at p. */
static void carry(or_sfile_writer *w, unsigned sec, const void *p, size_t n)
{
	sfile_hash_update(w->hs[sec], p, n);
	if (w->observe)
		w->observe(w->observe_ctx, sec, p, n);
	w->hashed[sec] += n;
}

static int pwrite_all(or_sfile_writer *w, const void *data, size_t n, uint64_t pos, or_err *err)
{
	const unsigned char *p = data;
	while (n) {
		ssize_t k = pwrite(w->f.fd, p, n, (off_t)pos);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return or_err_errno(err, k < 0 ? errno : EIO, "cannot write %s", w->f.path);
		p += k;
		pos += (uint64_t)k;
		n -= (size_t)k;
	}
	return OR_OK;
}

int or_sfile_writer_append(or_sfile_writer *w, unsigned sec, const void *data, size_t n,
			   or_err *err)
{
	const or_sfile_format *fmt = w->fmt;
	if (w->mode != OR_SFILE_STREAM || sec >= fmt->n_sections || sec < w->cur)
		return or_err_set(err, OR_EINVAL, "%s: appending to section %u out of order", w->f.path,
				  sec);
	for (; w->cur < sec; w->cur++)
		if (w->hashed[w->cur] != w->h.section[w->cur].bytes)
			return or_err_set(err, OR_EINVAL, "%s: the %s section has %llu of its %llu bytes",
					  w->f.path, sec_name(fmt, w->cur),
					  (unsigned long long)w->hashed[w->cur],
					  (unsigned long long)w->h.section[w->cur].bytes);
	const or_sfile_section *s = &w->h.section[sec];
	if (n > s->bytes - w->hashed[sec])
		return or_err_set(err, OR_EINVAL, "%s: more bytes than the %s section holds", w->f.path,
				  sec_name(fmt, sec));
	/* in pieces: each is checksummed and then written while still in
	   cache, and progress and cancellation are seen */
	const size_t piece = (size_t)1 << 20;
	const unsigned char *p = data;
	for (size_t at = 0; at < n; at += piece) {
		if (or_log_cancelled(w->log))
			return or_err_set(err, OR_ECANCELLED, "interrupted");
		size_t k = n - at < piece ? n - at : piece;
		int rc = pwrite_all(w, p + at, k, s->offset + w->hashed[sec], err);
		if (rc)
			return rc;
		carry(w, sec, p + at, k);
		w->done += k;
		if (w->stage && (w->done & ((64u << 20) - 1)) < k)
			or_log_progress(w->log, w->stage, (double)w->done, (double)w->h.file_bytes,
					"bytes");
	}
	return OR_OK;
}

void *or_sfile_writer_map(or_sfile_writer *w, unsigned sec)
{
	return w->map && sec < w->fmt->n_sections ? w->map + w->h.section[sec].offset : NULL;
}

int or_sfile_writer_put(or_sfile_writer *w, unsigned sec, uint64_t at, const void *data,
			size_t n, or_err *err)
{
	if (!w->map || sec >= w->fmt->n_sections)
		return or_err_set(err, OR_EINVAL, "%s: no section %u to write", w->f.path, sec);
	const or_sfile_section *s = &w->h.section[sec];
	if (at > s->bytes || n > s->bytes - at)
		return or_err_set(err, OR_EINVAL, "%s: bytes %llu..%llu outside the %s section",
				  w->f.path, (unsigned long long)at, (unsigned long long)(at + n),
				  sec_name(w->fmt, sec));
	return pwrite_all(w, data, n, s->offset + at, err);
}

/* Pages wholly inside bytes [a, b) of the mapping leave the resident set
   (a shared mapping's data stay in the page cache). */
static void release_bytes(or_sfile_writer *w, uint64_t a, uint64_t b)
{
	a = align_up(a, w->page);
	b &= ~(uint64_t)(w->page - 1);
	if (b > a)
		madvise(w->map + a, (size_t)(b - a), MADV_DONTNEED);
}

/* Section sec's checksum carried on up to byte `to`, read back from the
   mapping and released as it goes. */
static void hash_on(or_sfile_writer *w, unsigned sec, uint64_t to)
{
	const uint64_t piece = 32u << 20;
	const uint64_t off = w->h.section[sec].offset;
	while (w->hashed[sec] < to) {
		uint64_t at = w->hashed[sec], k = to - at < piece ? to - at : piece;
		carry(w, sec, w->map + off + at, (size_t)k);
		release_bytes(w, (off + at) & ~(uint64_t)(w->page - 1), off + at + k);
	}
}

void or_sfile_writer_hash(or_sfile_writer *w, unsigned sec, uint64_t to)
{
	if (!w->map || sec >= w->fmt->n_sections)
		return;
	uint64_t bytes = w->h.section[sec].bytes;
	hash_on(w, sec, to < bytes ? to : bytes);
}

int or_sfile_writer_hash_data(or_sfile_writer *w, unsigned sec, uint64_t at, const void *data,
			      size_t n)
{
	if (!w->map || sec >= w->fmt->n_sections)
		return 0;
	uint64_t bytes = w->h.section[sec].bytes;
	if (at != w->hashed[sec] || at > bytes || n > bytes - at)
		return 0;
	carry(w, sec, data, n);
	return 1;
}

/* MAPPED: checksum what is left of every section, the largest first, on
   two threads (the reads are what costs). */
void or_sfile_writer_hash_rest(or_sfile_writer *w)
{
	if (!w->map)
		return;
	unsigned order[OR_SFILE_MAX_SECTIONS], k = 0;
	for (unsigned s = 0; s < w->fmt->n_sections; s++)
		if (w->hashed[s] < w->h.section[s].bytes)
			order[k++] = s;
	for (unsigned i = 1; i < k; i++)
		for (unsigned j = i; j > 0; j--) {
			unsigned a = order[j - 1], b = order[j];
			if (w->h.section[a].bytes - w->hashed[a] >= w->h.section[b].bytes - w->hashed[b])
				break;
			order[j - 1] = b;
			order[j] = a;
		}
	const int n = (int)k;
	OMP(omp parallel for schedule(dynamic, 1) num_threads(2) if (n > 1))
	for (int i = 0; i < n; i++)
		hash_on(w, order[i], w->h.section[order[i]].bytes);
}

int or_sfile_writer_resize_last(or_sfile_writer *w, uint64_t bytes, or_err *err)
{
	unsigned last = w->fmt->n_sections - 1;
	or_sfile_section *s = &w->h.section[last];
	if (w->fmt->n_sections == 0 || w->hashed[last] != 0 ||
	    (w->mode == OR_SFILE_STREAM && w->cur > last))
		return or_err_set(err, OR_EINVAL, "%s: the last section is already written", w->f.path);
	const uint64_t limit = (uint64_t)1 << 62;
	if (bytes > limit - s->offset || (size_t)(s->offset + bytes) != s->offset + bytes)
		return or_err_set(err, OR_ENOMEM, "%s: a %s of that size is too large", w->f.path,
				  w->fmt->what);
	uint64_t old = w->h.file_bytes, size = s->offset + bytes;
	if (w->map && size != old) {
		int e = size > old ? posix_fallocate(w->f.fd, (off_t)old, (off_t)(size - old))
				   : ftruncate(w->f.fd, (off_t)size) == 0 ? 0 : errno;
		if (e != 0)
			return or_err_errno(err, e, "cannot size %s to %llu bytes", w->f.path,
					    (unsigned long long)size);
		void *map = mremap(w->map, w->map_bytes, (size_t)size, MREMAP_MAYMOVE);
		if (map == MAP_FAILED)
			return or_err_errno(err, errno, "cannot map %s", w->f.path);
		w->map = map;
		w->map_bytes = (size_t)size;
	}
	s->bytes = bytes;
	w->h.file_bytes = size;
	return OR_OK;
}

int or_sfile_writer_commit(or_sfile_writer *w, const void *meta, size_t n, const or_log *log,
			   or_err *err)
{
	const or_sfile_format *fmt = w->fmt;
	int rc = OR_OK;
	if (n > OR_SFILE_META_BYTES)
		rc = or_err_set(err, OR_EINVAL, "%s: %zu bytes of header fields, at most %d", w->f.path,
				n, OR_SFILE_META_BYTES);
	if (!rc)
		or_sfile_writer_hash_rest(w);
	for (unsigned s = 0; !rc && s < fmt->n_sections; s++)
		if (w->hashed[s] != w->h.section[s].bytes)
			rc = or_err_set(err, OR_EINVAL, "%s: the %s section has %llu of its %llu bytes",
					w->f.path, sec_name(fmt, s), (unsigned long long)w->hashed[s],
					(unsigned long long)w->h.section[s].bytes);
	if (!rc && or_log_cancelled(log))
		rc = or_err_set(err, OR_ECANCELLED, "interrupted");
	if (rc) {
		or_sfile_writer_abort(w);
		return rc;
	}
	or_sfile_header *h = &w->h;
	for (unsigned s = 0; s < fmt->n_sections; s++)
		h->section[s].checksum = XXH3_64bits_digest(w->hs[s]);
	if (n)
		memcpy(h->meta, meta, n);
	h->header_checksum = sfile_hash(h, HEADER_SUM_AT);
	unsigned char page[OR_SFILE_HEADER_AREA];
	memset(page, 0, sizeof(page));
	memcpy(page, h, sizeof(*h));
	if (w->map) {
		memcpy(w->map, page, sizeof(page));
		/* a write-back error of the mapping shows here rather than never */
		if (msync(w->map, sizeof(page), MS_ASYNC) != 0)
			rc = or_err_errno(err, errno, "cannot write %s", w->f.path);
		munmap(w->map, w->map_bytes);
		w->map = NULL;
	} else {
		/* STREAM: the gaps and an empty last section are holes up to
		   the file's size; then the header, last */
		if (ftruncate(w->f.fd, (off_t)h->file_bytes) != 0)
			rc = or_err_errno(err, errno, "cannot write %s", w->f.path);
		if (!rc)
			rc = pwrite_all(w, page, sizeof(page), 0, err);
	}
	if (!rc)
		rc = or_file_commit(&w->f, err);
	else
		or_file_abort(&w->f);
	writer_free(w);
	return rc;
}
