/*
 * or_store_read.c - opening an event store with mmap, column views, session
 * views and the full integrity check (layout in or_store.h).
 */
#include "or_store.h"
#include "or_store_internal.h"
#include "or_items.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

struct or_store {
	char *path;
	const unsigned char *map;
	size_t map_bytes;
	or_store_header h;
	const int64_t *sid;
	const uint64_t *off;
	const uint32_t *aid;
	const int64_t *ts;
	const uint8_t *type;
	const uint32_t *items;
};

static const char *const type_names[OR_N_TYPES] = { "clicks", "carts", "orders" };

const char *or_type_name(unsigned type)
{
	return type < OR_N_TYPES ? type_names[type] : NULL;
}

#define HINT "; rebuild it with `ottorec convert` or `ottorec synth`"

static int check_header(const or_store_header *h, uint64_t file_bytes,
			const char *path, or_err *err)
{
	if (memcmp(h->magic, OR_STORE_MAGIC, 8) != 0)
		return or_err_set(err, OR_EFORMAT, "%s: not an ottorec event store (bad magic)", path);
	if (h->version != OR_STORE_VERSION)
		return or_err_set(err, OR_EFORMAT,
				  "%s: store format version %u, this ottorec reads version %u" HINT,
				  path, h->version, OR_STORE_VERSION);
	uint64_t sum = XXH3_64bits(h, offsetof(or_store_header, header_checksum));
	if (sum != h->header_checksum)
		return or_err_set(err, OR_EFORMAT, "%s: header checksum mismatch (file damaged)" HINT, path);
	if (h->header_size != OR_STORE_HEADER_SIZE)
		return or_err_set(err, OR_EFORMAT, "%s: header size %u, expected %u",
				  path, h->header_size, OR_STORE_HEADER_SIZE);
	if (h->n_sessions > (UINT64_MAX / 16) || h->n_events > (UINT64_MAX / 16))
		return or_err_set(err, OR_EFORMAT, "%s: impossible counts in header", path);
	if (h->n_items > h->n_events || (h->n_items == 0) != (h->n_events == 0))
		return or_err_set(err, OR_EFORMAT, "%s: impossible item count in header" HINT, path);
	const uint64_t want[OR_STORE_N_SECTIONS] = {
		h->n_sessions * 8, (h->n_sessions + 1) * 8, h->n_events * 4,
		h->n_events * 8, h->n_events, (uint64_t)h->n_items * 4
	};
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++) {
		const or_store_section *sec = &h->section[s];
		if (sec->bytes != want[s] || sec->offset % OR_STORE_ALIGN != 0 ||
		    sec->offset < OR_STORE_HEADER_SIZE || sec->offset > file_bytes ||
		    sec->bytes > file_bytes - sec->offset)
			return or_err_set(err, OR_EFORMAT,
					  "%s: section %d does not fit the file (truncated or damaged: file has %llu bytes)",
					  path, s, (unsigned long long)file_bytes);
	}
	return OR_OK;
}

int or_store_open(const char *path, or_store **out, or_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return or_err_errno(err, errno, "cannot open store %s", path);
	struct stat stt;
	if (fstat(fd, &stt) != 0) {
		int e = errno;
		close(fd);
		return or_err_errno(err, e, "cannot stat %s", path);
	}
	if (!S_ISREG(stt.st_mode) || (uint64_t)stt.st_size < OR_STORE_HEADER_SIZE) {
		close(fd);
		return or_err_set(err, OR_EFORMAT,
				  "%s: not an ottorec event store (%s)", path,
				  S_ISREG(stt.st_mode) ? "shorter than a store header" : "not a regular file");
	}
	size_t bytes = (size_t)stt.st_size;
	void *map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return or_err_errno(err, e, "cannot map %s", path);

	or_store *st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		munmap(map, bytes);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	st->map = map;
	st->map_bytes = bytes;
	memcpy(&st->h, map, sizeof(st->h));
	int rc = check_header(&st->h, bytes, path, err);
	if (rc) {
		or_store_free(st);
		return rc;
	}
	st->sid = (const int64_t *)(st->map + st->h.section[SEC_SESSION_IDS].offset);
	st->off = (const uint64_t *)(st->map + st->h.section[SEC_OFFSETS].offset);
	st->aid = (const uint32_t *)(st->map + st->h.section[SEC_AID].offset);
	st->ts = (const int64_t *)(st->map + st->h.section[SEC_TS].offset);
	st->type = st->map + st->h.section[SEC_TYPE].offset;
	st->items = (const uint32_t *)(st->map + st->h.section[SEC_ITEMS].offset);
	if (st->h.n_items && st->items[st->h.n_items - 1] + 1 != st->h.aid_bound) {
		or_store_free(st);
		return or_err_set(err, OR_EFORMAT, "%s: item dictionary disagrees with the header (damaged)" HINT, path);
	}
	if (st->off[0] != 0 || st->off[st->h.n_sessions] != st->h.n_events) {
		or_store_free(st);
		return or_err_set(err, OR_EFORMAT, "%s: session offsets do not cover the events (damaged)" HINT, path);
	}
	*out = st;
	return OR_OK;
}

void or_store_free(or_store *st)
{
	if (!st)
		return;
	if (st->map)
		munmap((void *)st->map, st->map_bytes);
	free(st->path);
	free(st);
}

size_t or_store_n_sessions(const or_store *st) { return (size_t)st->h.n_sessions; }
size_t or_store_n_events(const or_store *st) { return (size_t)st->h.n_events; }
uint64_t or_store_n_type(const or_store *st, unsigned type)
{
	return type < OR_N_TYPES ? st->h.n_type[type] : 0;
}
int64_t or_store_ts_min(const or_store *st) { return st->h.ts_min; }
int64_t or_store_ts_max(const or_store *st) { return st->h.ts_max; }
uint32_t or_store_aid_bound(const or_store *st) { return st->h.aid_bound; }
size_t or_store_n_items(const or_store *st) { return st->h.n_items; }
const uint32_t *or_store_items(const or_store *st) { return st->items; }
const char *or_store_path(const or_store *st) { return st->path; }
const int64_t *or_store_session_ids(const or_store *st) { return st->sid; }
const uint64_t *or_store_offsets(const or_store *st) { return st->off; }
const uint32_t *or_store_aids(const or_store *st) { return st->aid; }
const int64_t *or_store_ts(const or_store *st) { return st->ts; }
const uint8_t *or_store_types(const or_store *st) { return st->type; }

void or_store_session(const or_store *st, size_t i, or_session *s)
{
	uint64_t a = st->off[i], b = st->off[i + 1];
	s->id = st->sid[i];
	s->n = (size_t)(b - a);
	s->aid = st->aid + a;
	s->ts = st->ts + a;
	s->type = st->type + a;
}

static void release_range(const void *base, size_t elem, size_t from, size_t to)
{
	static size_t page;
	if (!page) {
		long p = sysconf(_SC_PAGESIZE);
		page = p > 0 ? (size_t)p : 4096;
	}
	uintptr_t lo = (uintptr_t)base + from * elem, hi = (uintptr_t)base + to * elem;
	lo = (lo + page - 1) & ~(uintptr_t)(page - 1);
	hi &= ~(uintptr_t)(page - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void or_store_release(const or_store *st, size_t from, size_t to)
{
	if (to > st->h.n_events)
		to = (size_t)st->h.n_events;
	if (from >= to)
		return;
	release_range(st->aid, sizeof(*st->aid), from, to);
	release_range(st->ts, sizeof(*st->ts), from, to);
	release_range(st->type, 1, from, to);
}

static int verify_checksums(const or_store *st, const or_log *log, or_err *err)
{
	static const char *const names[OR_STORE_N_SECTIONS] = {
		"session ids", "offsets", "aid", "ts", "type", "item dictionary"
	};
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++) {
		if (or_log_cancelled(log))
			return or_err_set(err, OR_ECANCELLED, "interrupted");
		const or_store_section *sec = &st->h.section[s];
		uint64_t sum = XXH3_64bits(st->map + sec->offset, (size_t)sec->bytes);
		if (sum != sec->checksum)
			return or_err_set(err, OR_EFORMAT, "%s: checksum mismatch in the %s section (file damaged)" HINT,
					  st->path, names[s]);
		or_log_progress(log, "verify", s + 1, OR_STORE_N_SECTIONS, "sections");
	}
	return OR_OK;
}

/* The dictionary holds exactly the events' distinct aids, in order. */
static int verify_items(const or_store *st, or_err *err)
{
	or_aid_marks m;
	int rc = or_aid_marks_init(&m, err);
	if (rc)
		return rc;
	or_aid_marks_add(&m, st->aid, (size_t)st->h.n_events);
	uint32_t *items;
	size_t n;
	rc = or_aid_marks_sorted(&m, &items, &n, err);
	or_aid_marks_release(&m);
	if (rc)
		return rc;
	if (n != st->h.n_items || (n && memcmp(items, st->items, n * sizeof(*items)) != 0))
		rc = or_err_set(err, OR_EFORMAT,
				"%s: the item dictionary does not hold exactly the aids of the events (damaged)" HINT,
				st->path);
	free(items);
	return rc;
}

int or_store_verify(const or_store *st, const or_log *log, or_err *err)
{
	int rc = verify_checksums(st, log, err);
	if (rc)
		return rc;
	uint64_t n_type[OR_N_TYPES] = { 0, 0, 0 };
	uint32_t aid_bound = 0;
	for (size_t i = 0; i < st->h.n_sessions; i++) {
		uint64_t a = st->off[i], b = st->off[i + 1];
		if (b <= a || b > st->h.n_events)
			return or_err_set(err, OR_EFORMAT, "%s: session %zu has bad offsets", st->path, i);
		for (uint64_t j = a; j < b; j++) {
			if (st->type[j] >= OR_N_TYPES || st->aid[j] > OR_AID_MAX ||
			    (j > a && st->ts[j] < st->ts[j - 1]) ||
			    st->ts[j] < st->h.ts_min || st->ts[j] > st->h.ts_max)
				return or_err_set(err, OR_EFORMAT, "%s: event %llu of session %lld is invalid",
						  st->path, (unsigned long long)(j - a), (long long)st->sid[i]);
			n_type[st->type[j]]++;
			if (st->aid[j] >= aid_bound)
				aid_bound = st->aid[j] + 1;
		}
	}
	if (memcmp(n_type, st->h.n_type, sizeof(n_type)) != 0 || aid_bound != st->h.aid_bound)
		return or_err_set(err, OR_EFORMAT, "%s: header counts disagree with the data", st->path);
	return verify_items(st, err);
}
