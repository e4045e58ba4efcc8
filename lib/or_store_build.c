/*
 * or_store_build.c - accumulating sessions in memory and writing them as an
 * event store file (layout in or_store.h).  Validation of each session
 * (order, ranges, repeated ids) happens here so that every reader of text
 * formats gets the same rules.
 */
#include "or_store.h"
#include "or_store_internal.h"
#include "or_file.h"
#include "or_idset.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

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

int or_store_builder_write(or_store_builder *b, const char *path,
			   const or_log *log, or_err *err)
{
	or_store_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OR_STORE_MAGIC, 8);
	h.version = OR_STORE_VERSION;
	h.header_size = OR_STORE_HEADER_SIZE;
	h.n_sessions = b->ns;
	h.n_events = b->ne;
	memcpy(h.n_type, b->n_type, sizeof(h.n_type));
	h.ts_min = b->ne ? b->ts_min : 0;
	h.ts_max = b->ne ? b->ts_max : 0;
	h.aid_bound = b->aid_bound;

	const void *data[OR_STORE_N_SECTIONS] = { b->sid, b->off, b->aid, b->ts, b->type };
	uint64_t bytes[OR_STORE_N_SECTIONS] = {
		b->ns * sizeof(int64_t), (b->ns + 1) * sizeof(uint64_t),
		b->ne * sizeof(uint32_t), b->ne * sizeof(int64_t), b->ne
	};
	uint64_t at = OR_STORE_HEADER_SIZE, total = 0;
	for (int s = 0; s < OR_STORE_N_SECTIONS; s++) {
		h.section[s].offset = at;
		h.section[s].bytes = bytes[s];
		h.section[s].checksum = XXH3_64bits(data[s], (size_t)bytes[s]);
		at = align_up(at + bytes[s]);
		total += bytes[s];
	}
	h.header_checksum = XXH3_64bits(&h, offsetof(or_store_header, header_checksum));

	char header[OR_STORE_HEADER_SIZE];
	memset(header, 0, sizeof(header));
	memcpy(header, &h, sizeof(h));

	or_file f;
	int rc = or_file_open(&f, path, err);
	if (rc)
		return rc;
	rc = or_file_write(&f, header, sizeof(header), err);
	uint64_t done = 0;
	for (int s = 0; s < OR_STORE_N_SECTIONS && !rc; s++)
		rc = write_section(&f, data[s], bytes[s], &done, total, log, err);
	if (!rc)
		rc = or_file_commit(&f, err);
	else
		or_file_abort(&f);
	return rc;
}
