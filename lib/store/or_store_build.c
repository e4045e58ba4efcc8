/*
 * or_store_build.c - accumulating sessions in memory and writing them as an
 * event store file (layout in or_store.h).  Validation of each session
 * (order, ranges, repeated ids) happens here so that every reader of text
 * formats gets the same rules.  Also the in-place writer (or_store_direct)
 * for readers that know the counts first and write the columns straight
 * into the file.
 */
#include "or_store.h"
#include "or_store_internal.h"
#include "or_file.h"
#include "or_items.h"
#include "or_idset.h"

#include "or_par.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>
#if defined(__x86_64__)
/* libxxhash's run-time choice of SSE2/AVX2/AVX-512 for the streaming
   checksums of or_store_direct (the plain entry points are built for
   SSE2); the same hashes either way */
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>
#define direct_hash_update XXH3_64bits_update_dispatch
#else
#define direct_hash_update XXH3_64bits_update
#endif

struct or_store_builder {
	int64_t *sid;
	uint64_t *off;
	size_t ns, cap_s;
	uint32_t *aid;
	int64_t *ts;
	uint8_t *type;
	size_t ne, cap_e;
	uint64_t n_type[3];
	int64_t ts_min, ts_max;
	uint32_t aid_bound;
	/* repeated-id detection: while ids only grow, a comparison suffices;
	   after the first step back, a hash set of every id seen */
	int ids_increasing;
	or_idset seen;
};

int or_store_builder_new(or_store_builder **out, or_err *err)
{
	or_store_builder *b = calloc(1, sizeof(*b));
	if (!b)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	b->ids_increasing = 1;
	b->ts_min = INT64_MAX;
	b->ts_max = INT64_MIN;
	b->cap_s = 1024;
	b->cap_e = 16384;
	b->sid = malloc(b->cap_s * sizeof(*b->sid));
	b->off = malloc((b->cap_s + 1) * sizeof(*b->off));
	b->aid = malloc(b->cap_e * sizeof(*b->aid));
	b->ts = malloc(b->cap_e * sizeof(*b->ts));
	b->type = malloc(b->cap_e);
	if (!b->sid || !b->off || !b->aid || !b->ts || !b->type) {
		or_store_builder_free(b);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	b->off[0] = 0;
	*out = b;
	return OR_OK;
}

void or_store_builder_free(or_store_builder *b)
{
	if (!b)
		return;
	free(b->sid);
	free(b->off);
	free(b->aid);
	free(b->ts);
	free(b->type);
	or_idset_release(&b->seen);
	free(b);
}

size_t or_store_builder_n_sessions(const or_store_builder *b) { return b->ns; }
size_t or_store_builder_n_events(const or_store_builder *b) { return b->ne; }

static int grow(void **p, size_t elem, size_t cap)
{
	size_t bytes;
	if (or_size_mul(elem, cap, &bytes))
		return -1;
	void *np = realloc(*p, bytes);
	if (!np)
		return -1;
	*p = np;
	return 0;
}

static int reserve_events(or_store_builder *b, size_t n, or_err *err)
{
	if (b->ne + n <= b->cap_e)
		return OR_OK;
	size_t cap = b->cap_e;
	while (cap < b->ne + n)
		cap += cap / 2;
	if (grow((void **)&b->aid, sizeof(*b->aid), cap) ||
	    grow((void **)&b->ts, sizeof(*b->ts), cap) ||
	    grow((void **)&b->type, 1, cap))
		return or_err_set(err, OR_ENOMEM, "out of memory holding %zu events", cap);
	b->cap_e = cap;
	return OR_OK;
}

static int reserve_session(or_store_builder *b, or_err *err)
{
	if (b->ns < b->cap_s)
		return OR_OK;
	size_t cap = b->cap_s * 2;
	if (grow((void **)&b->sid, sizeof(*b->sid), cap) ||
	    grow((void **)&b->off, sizeof(*b->off), cap + 1))
		return or_err_set(err, OR_ENOMEM, "out of memory holding %zu sessions", cap);
	b->cap_s = cap;
	return OR_OK;
}

static int check_new_id(or_store_builder *b, int64_t id, or_err *err)
{
	if (id < 0)
		return or_err_set(err, OR_EFORMAT, "session id %lld is negative",
				  (long long)id);
	if (b->ids_increasing) {
		if (b->ns == 0 || id > b->sid[b->ns - 1])
			return OR_OK;
		/* first step back: remember every id so far */
		b->ids_increasing = 0;
		if (or_idset_init(&b->seen, b->ns * 2))
			return or_err_set(err, OR_ENOMEM, "out of memory");
		for (size_t i = 0; i < b->ns; i++)
			if (or_idset_add(&b->seen, b->sid[i]) < 0)
				return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	int added = or_idset_add(&b->seen, id);
	if (added < 0)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	if (added == 0)
		return or_err_set(err, OR_EFORMAT,
				  "session id %lld appears a second time (each session must be one line / one contiguous block of rows)",
				  (long long)id);
	return OR_OK;
}

static int check_events(size_t n, const uint32_t *aid, const int64_t *ts,
			const uint8_t *type, or_err *err)
{
	if (n == 0)
		return or_err_set(err, OR_EFORMAT, "session has no events");
	for (size_t i = 0; i < n; i++) {
		if (aid[i] > OR_AID_MAX)
			return or_err_set(err, OR_EFORMAT, "event %zu: aid %u is above %u",
					  i + 1, aid[i], OR_AID_MAX);
		if (ts[i] < 0)
			return or_err_set(err, OR_EFORMAT, "event %zu: negative ts %lld",
					  i + 1, (long long)ts[i]);
		if (type[i] >= OR_N_TYPES)
			return or_err_set(err, OR_EFORMAT, "event %zu: type %u is not 0, 1 or 2",
					  i + 1, type[i]);
		if (i > 0 && ts[i] < ts[i - 1])
			return or_err_set(err, OR_EFORMAT,
					  "event %zu: ts %lld is earlier than the event before it (%lld); events of a session must be in time order",
					  i + 1, (long long)ts[i], (long long)ts[i - 1]);
	}
	return OR_OK;
}

int or_store_builder_add(or_store_builder *b, int64_t session_id, size_t n,
			 const uint32_t *aid, const int64_t *ts,
			 const uint8_t *type, or_err *err)
{
	int rc = check_events(n, aid, ts, type, err);
	if (!rc)
		rc = check_new_id(b, session_id, err);
	if (!rc)
		rc = reserve_events(b, n, err);
	if (!rc)
		rc = reserve_session(b, err);
	if (rc)
		return rc;
	memcpy(b->aid + b->ne, aid, n * sizeof(*aid));
	memcpy(b->ts + b->ne, ts, n * sizeof(*ts));
	memcpy(b->type + b->ne, type, n);
	for (size_t i = 0; i < n; i++) {
		b->n_type[type[i]]++;
		if (aid[i] >= b->aid_bound)
			b->aid_bound = aid[i] + 1;
	}
	if (ts[0] < b->ts_min)
		b->ts_min = ts[0];
	if (ts[n - 1] > b->ts_max)
		b->ts_max = ts[n - 1];
	b->ne += n;
	b->sid[b->ns] = session_id;
	b->off[b->ns + 1] = b->ne;
	b->ns++;
	return OR_OK;
}

static uint64_t align_up(uint64_t x)
{
	return (x + OR_STORE_ALIGN - 1) & ~(uint64_t)(OR_STORE_ALIGN - 1);
}

/* Write a section in pieces so that progress and cancellation are seen. */
static int write_section(or_file *f, const void *data, uint64_t bytes,
			 uint64_t *done, uint64_t total, const or_log *log,
			 or_err *err)
{
	static const char zeros[OR_STORE_ALIGN];
	const char *p = data;
	const uint64_t piece = 64u << 20;
	for (uint64_t at = 0; at < bytes; at += piece) {
		if (or_log_cancelled(log))
			return or_err_set(err, OR_ECANCELLED, "interrupted");
		uint64_t n = bytes - at < piece ? bytes - at : piece;
		int rc = or_file_write(f, p + at, (size_t)n, err);
		if (rc)
			return rc;
		*done += n;
		or_log_progress(log, "write store", (double)*done, (double)total, "bytes");
	}
	uint64_t pad = align_up(bytes) - bytes;
	return pad ? or_file_write(f, zeros, (size_t)pad, err) : OR_OK;
}

/* The header for the given counts; sections' offsets and sizes filled,
   checksums left to the caller (then seal_header). */
static void layout_header(or_store_header *h, uint64_t ns, uint64_t ne, const uint64_t n_type[3],
			  int64_t ts_min, int64_t ts_max, uint32_t aid_bound, uint32_t n_items)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, OR_STORE_MAGIC, 8);
	h->version = OR_STORE_VERSION;
	h->header_size = OR_STORE_HEADER_SIZE;
	h->n_sessions = ns;
	h->n_events = ne;
	memcpy(h->n_type, n_type, sizeof(h->n_type));
	h->ts_min = ne ? ts_min : 0;
	h->ts_max = ne ? ts_max : 0;
	h->aid_bound = aid_bound;
	h->n_items = n_items;
	uint64_t bytes[OR_STORE_N_SECTIONS] = {
		ns * sizeof(int64_t), (ns + 1) * sizeof(uint64_t),
		ne * sizeof(uint32_t), ne * sizeof(int64_t), ne, (uint64_t)n_items * sizeof(uint32_t)
	};
	uint64_t at = OR_STORE_HEADER_SIZE;
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++) {
		h->section[s].offset = at;
		h->section[s].bytes = bytes[s];
		at = align_up(at + bytes[s]);
	}
}

/* The file's size: the last section padded to the alignment. */
static uint64_t file_size(const or_store_header *h)
{
	const or_store_section *last = &h->section[OR_STORE_N_SECTIONS - 1];
	return align_up(last->offset + last->bytes);
}

static void seal_header(or_store_header *h, char header[OR_STORE_HEADER_SIZE])
{
	h->header_checksum = XXH3_64bits(h, offsetof(or_store_header, header_checksum));
	memset(header, 0, OR_STORE_HEADER_SIZE);
	memcpy(header, h, sizeof(*h));
}

/* The sorted distinct aids of aid[0..n). */
static int dictionary_of(const uint32_t *aid, size_t n, uint32_t **items, size_t *n_items,
			 or_err *err)
{
	or_aid_marks m;
	int rc = or_aid_marks_init(&m, err);
	if (rc)
		return rc;
	or_aid_marks_add(&m, aid, n);
	rc = or_aid_marks_sorted(&m, items, n_items, err);
	or_aid_marks_release(&m);
	return rc;
}

int or_store_builder_write(or_store_builder *b, const char *path,
			   const or_log *log, or_err *err)
{
	uint32_t *items;
	size_t n_items;
	int rc = dictionary_of(b->aid, b->ne, &items, &n_items, err);
	if (rc)
		return rc;
	or_store_header h;
	layout_header(&h, b->ns, b->ne, b->n_type, b->ts_min, b->ts_max, b->aid_bound,
		      (uint32_t)n_items);
	const void *data[OR_STORE_N_SECTIONS] = { b->sid, b->off, b->aid, b->ts, b->type, items };
	uint64_t total = 0;
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++) {
		h.section[s].checksum = XXH3_64bits(data[s], (size_t)h.section[s].bytes);
		total += h.section[s].bytes;
	}
	char header[OR_STORE_HEADER_SIZE];
	seal_header(&h, header);

	or_file f;
	rc = or_file_open(&f, path, err);
	if (rc) {
		free(items);
		return rc;
	}
	rc = or_file_write(&f, header, sizeof(header), err);
	uint64_t done = 0;
	for (int s = 0; s < OR_STORE_N_SECTIONS && !rc; s++)
		rc = write_section(&f, data[s], h.section[s].bytes, &done, total, log, err);
	free(items);
	if (!rc)
		rc = or_file_commit(&f, err);
	else
		or_file_abort(&f);
	return rc;
}

/* ---- writing in place (or_store_direct) ------------------------------------ */

struct or_store_direct {
	or_file f;
	or_store_header h;   /* layout; counts and checksums at commit */
	uint64_t size;
	uint8_t *map;        /* the whole file, shared and writable */
	/* each section's checksum so far, over its first hashed[s] bytes */
	XXH3_state_t *hs[OR_STORE_N_SECTIONS];
	uint64_t hashed[OR_STORE_N_SECTIONS];
	/* the aids seen while the aid section is checksummed: the dictionary */
	or_aid_marks marks;
};

static void direct_free(or_store_direct *w)
{
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++)
		XXH3_freeState(w->hs[s]);
	or_aid_marks_release(&w->marks);
	free(w);
}

static const size_t sec_elem[OR_STORE_N_SECTIONS] = { 8, 8, 4, 8, 1, 4 };

/* Sections the caller writes; the dictionary (SEC_ITEMS) is written at
   commit, after the type section, from the aids seen while checksumming. */
#define DIRECT_SECTIONS SEC_ITEMS

int or_store_direct_open(or_store_direct **out, const char *path, uint64_t n_sessions,
			 uint64_t n_events, or_err *err)
{
	*out = NULL;
	/* 13 bytes per event and 16 per session must fit the file offsets */
	if (n_events > ((uint64_t)1 << 58) || n_sessions > ((uint64_t)1 << 58))
		return or_err_set(err, OR_ENOMEM, "%s: a store of %llu events is too large", path,
				  (unsigned long long)n_events);
	or_store_direct *w = calloc(1, sizeof(*w));
	if (!w)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	const uint64_t zero[3] = { 0, 0, 0 };
	layout_header(&w->h, n_sessions, n_events, zero, 0, 0, 0, 0);
	w->size = file_size(&w->h);
	int rc = or_aid_marks_init(&w->marks, err);
	if (rc) {
		direct_free(w);
		return rc;
	}
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++) {
		w->hs[s] = XXH3_createState();
		if (!w->hs[s] || XXH3_64bits_reset(w->hs[s]) != XXH_OK) {
			direct_free(w);
			return or_err_set(err, OR_ENOMEM, "out of memory");
		}
	}
	rc = or_file_open(&w->f, path, err);
	if (rc) {
		direct_free(w);
		return rc;
	}
	/* blocks reserved now: a full disk is an error here, not a SIGBUS
	   when a page of the mapping is first written */
	if (fallocate(w->f.fd, 0, 0, (off_t)w->size) != 0) {
		rc = or_err_errno(err, errno, "cannot reserve %llu bytes for %s",
				  (unsigned long long)w->size, path);
		or_store_direct_abort(w);
		return rc;
	}
	w->map = mmap(NULL, (size_t)w->size, PROT_READ | PROT_WRITE, MAP_SHARED, w->f.fd, 0);
	if (w->map == MAP_FAILED) {
		w->map = NULL;
		rc = or_err_errno(err, errno, "cannot map %s", path);
		or_store_direct_abort(w);
		return rc;
	}
	*out = w;
	return OR_OK;
}

int or_store_direct_put(or_store_direct *w, int sec, uint64_t at, const void *data,
			size_t n, or_err *err)
{
	if (sec < 0 || sec >= DIRECT_SECTIONS)
		return or_err_set(err, OR_EINVAL, "no store section %d", sec);
	const or_store_section *s = &w->h.section[sec];
	uint64_t e = sec_elem[sec];
	if (at > s->bytes / e || n > s->bytes / e - at)
		return or_err_set(err, OR_EINVAL, "elements %llu..%llu outside store section %d",
				  (unsigned long long)at, (unsigned long long)(at + n), sec);
	/* written, not stored through the mapping: a fresh page of the file
	   is then filled by the copy alone, where a store through the mapping
	   first has the kernel zero it (a fallocated range reads as zeros) */
	const uint8_t *p = data;
	size_t left = n * (size_t)e;
	off_t pos = (off_t)(s->offset + at * e);
	while (left) {
		ssize_t k = pwrite(w->f.fd, p, left, pos);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return or_err_errno(err, k < 0 ? errno : EIO, "cannot write %s", w->f.path);
		p += k;
		pos += k;
		left -= (size_t)k;
	}
	return OR_OK;
}

void *or_store_direct_section(or_store_direct *w, int sec)
{
	return sec >= 0 && sec < DIRECT_SECTIONS ? w->map + w->h.section[sec].offset : NULL;
}

static void release_bytes(uint8_t *map, uint64_t a, uint64_t b)
{
	a = align_up(a);
	b &= ~(uint64_t)(OR_STORE_ALIGN - 1);
	if (b > a)
		madvise(map + a, (size_t)(b - a), MADV_DONTNEED);
}

/* Section sec's checksum carried on over its bytes up to `to`, read back
   from the mapping and released as it goes. */
static void hash_on(or_store_direct *w, int sec, uint64_t to)
{
	const uint64_t piece = 32u << 20;
	const uint64_t off = w->h.section[sec].offset;
	for (uint64_t at = w->hashed[sec]; at < to; at += piece) {
		uint64_t k = to - at < piece ? to - at : piece;
		direct_hash_update(w->hs[sec], w->map + off + at, (size_t)k);
		if (sec == SEC_AID) /* at and k are multiples of 4 */
			or_aid_marks_add(&w->marks, (const uint32_t *)(w->map + off + at),
					 (size_t)k / 4);
		/* pages read so far leave the resident set */
		release_bytes(w->map, (off + at) & ~(uint64_t)(OR_STORE_ALIGN - 1), off + at + k);
	}
	if (to > w->hashed[sec])
		w->hashed[sec] = to;
}

int or_store_direct_hash_data(or_store_direct *w, int sec, uint64_t at, const void *data,
			      size_t n)
{
	if (sec < 0 || sec >= DIRECT_SECTIONS)
		return 0;
	uint64_t e = sec_elem[sec], bytes = w->h.section[sec].bytes;
	if (at * e != w->hashed[sec] || n > bytes / e - at)
		return 0;
	direct_hash_update(w->hs[sec], data, n * e);
	if (sec == SEC_AID)
		or_aid_marks_add(&w->marks, data, n);
	w->hashed[sec] += n * e;
	return 1;
}

void or_store_direct_hash(or_store_direct *w, int sec, uint64_t to)
{
	if (sec < 0 || sec >= DIRECT_SECTIONS)
		return;
	uint64_t e = sec_elem[sec], bytes = w->h.section[sec].bytes;
	hash_on(w, sec, to > bytes / e ? bytes : to * e);
}

/* Write the dictionary at the end of the file (grown to hold it, blocks
   reserved first) and fill its section's entry. */
static int direct_write_items(or_store_direct *w, or_store_header *h, const uint32_t *items,
			      or_err *err)
{
	or_store_section *s = &h->section[SEC_ITEMS];
	uint64_t size = file_size(h);
	if (size > w->size && fallocate(w->f.fd, 0, (off_t)w->size, (off_t)(size - w->size)) != 0)
		return or_err_errno(err, errno, "cannot reserve %llu bytes for %s",
				    (unsigned long long)(size - w->size), w->f.path);
	const uint8_t *p = (const uint8_t *)items;
	uint64_t left = s->bytes;
	off_t pos = (off_t)s->offset;
	while (left) {
		ssize_t k = pwrite(w->f.fd, p, (size_t)left, pos);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return or_err_errno(err, k < 0 ? errno : EIO, "cannot write %s", w->f.path);
		p += k;
		pos += k;
		left -= (uint64_t)k;
	}
	s->checksum = XXH3_64bits(items, (size_t)s->bytes);
	return OR_OK;
}

int or_store_direct_commit(or_store_direct *w, const uint64_t n_type[3], int64_t ts_min,
			   int64_t ts_max, uint32_t aid_bound, const or_log *log, or_err *err)
{
	uint8_t *map = w->map;
	or_log_progress(log, "checksum store", 0, 1, "");
	/* what is left: ts (more than half the bytes) on one thread, the
	   rest on another */
	OMP(omp parallel sections num_threads(2))
	{
		OMP(omp section)
		hash_on(w, SEC_TS, w->h.section[SEC_TS].bytes);
		OMP(omp section)
		for (int s = 0; s < DIRECT_SECTIONS; s++)
			if (s != SEC_TS)
				hash_on(w, s, w->h.section[s].bytes);
	}
	uint32_t *items = NULL;
	size_t n_items = 0;
	int rc = or_aid_marks_sorted(&w->marks, &items, &n_items, err);
	or_store_header h;
	layout_header(&h, w->h.n_sessions, w->h.n_events, n_type, ts_min, ts_max, aid_bound,
		      (uint32_t)n_items);
	for (int s = 0; s < DIRECT_SECTIONS; s++)
		h.section[s].checksum = XXH3_64bits_digest(w->hs[s]);
	if (!rc)
		rc = direct_write_items(w, &h, items, err);
	free(items);
	char header[OR_STORE_HEADER_SIZE];
	seal_header(&h, header);
	memcpy(map, header, sizeof(header));
	/* a write-back error of the mapping shows here rather than never */
	if (!rc && msync(map, OR_STORE_HEADER_SIZE, MS_ASYNC) != 0)
		rc = or_err_errno(err, errno, "cannot write %s", w->f.path);
	munmap(map, (size_t)w->size);
	w->map = NULL;
	if (!rc && or_log_cancelled(log))
		rc = or_err_set(err, OR_ECANCELLED, "interrupted");
	if (!rc)
		rc = or_file_commit(&w->f, err);
	else
		or_file_abort(&w->f);
	direct_free(w);
	return rc;
}

void or_store_direct_abort(or_store_direct *w)
{
	if (!w)
		return;
	if (w->map)
		munmap(w->map, (size_t)w->size);
	or_file_abort(&w->f);
	direct_free(w);
}
