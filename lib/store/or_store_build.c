/*
 * or_store_build.c - accumulating sessions in memory and writing them as an
 * event store file (layout in or_store.h, an or_sfile written by
 * appending).  Validation of each session (order, ranges, repeated ids)
 * happens here so that every reader of text formats gets the same rules.
 * Also the in-place writer (or_store_direct.h) for readers that know the
 * counts first and write the columns straight into the file.
 */
#include "or_store.h"
#include "or_store_direct.h"
#include "or_store_internal.h"
#include "or_items.h"
#include "or_idset.h"

#include <stdlib.h>
#include <string.h>

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

int or_store_check_session(size_t n, const uint32_t *aid, const int64_t *ts,
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
	int rc = or_store_check_session(n, aid, ts, type, err);
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

/* The fields of a store with these counts. */
static or_store_meta meta_of(uint64_t ns, uint64_t ne, const uint64_t n_type[3], int64_t ts_min,
			     int64_t ts_max, uint32_t aid_bound, uint32_t n_items)
{
	or_store_meta m = {
		.n_sessions = ns, .n_events = ne, .ts_min = ne ? ts_min : 0,
		.ts_max = ne ? ts_max : 0, .aid_bound = aid_bound, .n_items = n_items,
	};
	memcpy(m.n_type, n_type, sizeof(m.n_type));
	return m;
}

/* The sections' sizes for these counts. */
static void section_bytes(uint64_t ns, uint64_t ne, uint64_t n_items,
			  uint64_t bytes[OR_STORE_N_SECTIONS])
{
	bytes[SEC_SESSION_IDS] = ns * sizeof(int64_t);
	bytes[SEC_OFFSETS] = (ns + 1) * sizeof(uint64_t);
	bytes[SEC_AID] = ne * sizeof(uint32_t);
	bytes[SEC_TS] = ne * sizeof(int64_t);
	bytes[SEC_TYPE] = ne;
	bytes[SEC_ITEMS] = n_items * sizeof(uint32_t);
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
	uint64_t bytes[OR_STORE_N_SECTIONS];
	section_bytes(b->ns, b->ne, n_items, bytes);
	const void *data[OR_STORE_N_SECTIONS] = { b->sid, b->off, b->aid, b->ts, b->type, items };
	or_sfile_writer *w;
	rc = or_sfile_writer_open(&w, path, &or_store_format, bytes, OR_SFILE_STREAM, err);
	if (!rc)
		or_sfile_writer_progress(w, log, "write store");
	for (unsigned s = 0; s < OR_STORE_N_SECTIONS && !rc; s++)
		rc = or_sfile_writer_append(w, s, data[s], (size_t)bytes[s], err);
	free(items);
	if (rc) {
		or_sfile_writer_abort(w);
		return rc;
	}
	or_store_meta m = meta_of(b->ns, b->ne, b->n_type, b->ts_min, b->ts_max, b->aid_bound,
				  (uint32_t)n_items);
	return or_sfile_writer_commit(w, &m, sizeof(m), log, err);
}

/* ---- writing in place (or_store_direct) ------------------------------------ */

struct or_store_direct {
	or_sfile_writer *w;
	uint64_t n_sessions, n_events;
	uint64_t bytes[OR_STORE_N_SECTIONS];
	/* the aids seen while the aid section is checksummed: the dictionary */
	or_aid_marks marks;
};

static const size_t sec_elem[OR_STORE_N_SECTIONS] = { 8, 8, 4, 8, 1, 4 };

/* Sections the caller writes; the dictionary (SEC_ITEMS) is written at
   commit, after the type section, from the aids seen while checksumming. */
#define DIRECT_SECTIONS SEC_ITEMS

/* The checksum's observer: the aid section's pieces start at whole aids. */
static void mark_aids(void *ctx, unsigned sec, const void *data, size_t n)
{
	if (sec == SEC_AID)
		or_aid_marks_add(ctx, data, n / sizeof(uint32_t));
}

static void direct_free(or_store_direct *d)
{
	or_aid_marks_release(&d->marks);
	free(d);
}

int or_store_direct_open(or_store_direct **out, const char *path, uint64_t n_sessions,
			 uint64_t n_events, or_err *err)
{
	*out = NULL;
	/* 13 bytes per event and 16 per session must fit the file offsets */
	if (n_events > ((uint64_t)1 << 58) || n_sessions > ((uint64_t)1 << 58))
		return or_err_set(err, OR_ENOMEM, "%s: a store of %llu events is too large", path,
				  (unsigned long long)n_events);
	or_store_direct *d = calloc(1, sizeof(*d));
	if (!d)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	d->n_sessions = n_sessions;
	d->n_events = n_events;
	/* the dictionary's size is known at commit only */
	section_bytes(n_sessions, n_events, 0, d->bytes);
	int rc = or_aid_marks_init(&d->marks, err);
	if (!rc)
		rc = or_sfile_writer_open(&d->w, path, &or_store_format, d->bytes, OR_SFILE_MAPPED, err);
	if (rc) {
		direct_free(d);
		return rc;
	}
	or_sfile_writer_observe(d->w, mark_aids, &d->marks);
	*out = d;
	return OR_OK;
}

int or_store_direct_put(or_store_direct *d, int sec, uint64_t at, const void *data,
			size_t n, or_err *err)
{
	if (sec < 0 || sec >= DIRECT_SECTIONS)
		return or_err_set(err, OR_EINVAL, "no store section %d", sec);
	uint64_t e = sec_elem[sec], elems = d->bytes[sec] / e;
	if (at > elems || n > elems - at)
		return or_err_set(err, OR_EINVAL, "elements %llu..%llu outside store section %d",
				  (unsigned long long)at, (unsigned long long)(at + n), sec);
	return or_sfile_writer_put(d->w, (unsigned)sec, at * e, data, n * (size_t)e, err);
}

void *or_store_direct_section(or_store_direct *d, int sec)
{
	return sec >= 0 && sec < DIRECT_SECTIONS ? or_sfile_writer_map(d->w, (unsigned)sec) : NULL;
}

int or_store_direct_hash_data(or_store_direct *d, int sec, uint64_t at, const void *data,
			      size_t n)
{
	if (sec < 0 || sec >= DIRECT_SECTIONS)
		return 0;
	uint64_t e = sec_elem[sec];
	if (at > d->bytes[sec] / e || n > d->bytes[sec] / e - at)
		return 0;
	return or_sfile_writer_hash_data(d->w, (unsigned)sec, at * e, data, n * (size_t)e);
}

void or_store_direct_hash(or_store_direct *d, int sec, uint64_t to)
{
	if (sec < 0 || sec >= DIRECT_SECTIONS)
		return;
	uint64_t e = sec_elem[sec];
	or_sfile_writer_hash(d->w, (unsigned)sec, to > d->bytes[sec] / e ? d->bytes[sec] : to * e);
}

int or_store_direct_commit(or_store_direct *d, const uint64_t n_type[3], int64_t ts_min,
			   int64_t ts_max, uint32_t aid_bound, const or_log *log, or_err *err)
{
	or_log_progress(log, "checksum store", 0, 1, "");
	/* what is left, read back (ts, more than half the bytes, on one
	   thread, the rest on another); the aids feed the dictionary */
	or_sfile_writer_hash_rest(d->w);
	uint32_t *items = NULL;
	size_t n_items = 0;
	int rc = or_aid_marks_sorted(&d->marks, &items, &n_items, err);
	if (!rc)
		rc = or_sfile_writer_resize_last(d->w, (uint64_t)n_items * 4, err);
	if (!rc)
		rc = or_sfile_writer_put(d->w, SEC_ITEMS, 0, items, n_items * 4, err);
	if (!rc)
		or_sfile_writer_hash_data(d->w, SEC_ITEMS, 0, items, n_items * 4);
	free(items);
	or_sfile_writer *w = d->w;
	d->w = NULL;
	or_store_meta m = meta_of(d->n_sessions, d->n_events, n_type, ts_min, ts_max, aid_bound,
				  (uint32_t)n_items);
	direct_free(d);
	if (rc) {
		or_sfile_writer_abort(w);
		return rc;
	}
	return or_sfile_writer_commit(w, &m, sizeof(m), log, err);
}

void or_store_direct_abort(or_store_direct *d)
{
	if (!d)
		return;
	or_sfile_writer_abort(d->w);
	direct_free(d);
}
