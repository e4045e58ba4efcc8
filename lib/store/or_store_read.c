/*
 * or_store_read.c - opening an event store with mmap, column views, session
 * views and the full integrity check (layout in or_store.h); and the
 * same handle over a caller's columns in memory (or_store_from_columns).
 */
#include "or_store.h"
#include "or_store_internal.h"
#include "or_items.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const sec_names[OR_STORE_N_SECTIONS] = {
	"session ids", "offsets", "aid", "ts", "type", "item dictionary"
};
const or_sfile_format or_store_format = {
	.magic = "OTTOSTOR", .version = OR_STORE_VERSION, .align = OR_STORE_ALIGN,
	.n_sections = OR_STORE_N_SECTIONS, .section_names = sec_names, .what = "event store",
	.rebuild = "rebuild it with `ottorec convert` or `ottorec synth`",
};

struct or_store {
	or_sfile f;
	or_store_meta h;
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

/* Every session's offsets (the only section whose values are addresses):
   its checksum, and each session non-empty and inside the events, so that
   no reader can be sent outside the columns by them; and the dictionary's
   checksum (readers build their lookups from it first). */
static int check_offsets(const or_store *st, or_err *err)
{
	int rc = or_sfile_verify_section(&st->f, SEC_OFFSETS, err);
	if (!rc)
		rc = or_sfile_verify_section(&st->f, SEC_ITEMS, err);
	if (rc)
		return rc;
	const uint64_t *off = st->off;
	for (uint64_t i = 0; i < st->h.n_sessions; i++)
		if (off[i + 1] <= off[i])
			return or_sfile_damaged(&st->f, err, "session %llu has bad offsets",
						(unsigned long long)i);
	return OR_OK;
}

/* The sizes the counts give, the header's own checks and the offsets. */
static int check_store(or_store *st, or_err *err)
{
	const or_sfile *f = &st->f;
	const or_store_meta *h = &st->h;
	if (h->n_sessions > (UINT64_MAX / 16) || h->n_events > (UINT64_MAX / 16))
		return or_sfile_damaged(f, err, "impossible counts in header");
	if (h->n_items > h->n_events || (h->n_items == 0) != (h->n_events == 0))
		return or_sfile_damaged(f, err, "impossible item count in header");
	const uint64_t count[OR_STORE_N_SECTIONS] = {
		h->n_sessions, h->n_sessions + 1, h->n_events, h->n_events, h->n_events, h->n_items
	};
	static const size_t elem[OR_STORE_N_SECTIONS] = { 8, 8, 4, 8, 1, 4 };
	for (unsigned s = 0; s < OR_STORE_N_SECTIONS; s++) {
		int rc = or_sfile_expect(f, s, count[s], elem[s], err);
		if (rc)
			return rc;
	}
	st->sid = or_sfile_section_data(f, SEC_SESSION_IDS);
	st->off = or_sfile_section_data(f, SEC_OFFSETS);
	st->aid = or_sfile_section_data(f, SEC_AID);
	st->ts = or_sfile_section_data(f, SEC_TS);
	st->type = or_sfile_section_data(f, SEC_TYPE);
	st->items = or_sfile_section_data(f, SEC_ITEMS);
	if (h->n_items && st->items[h->n_items - 1] + 1 != h->aid_bound)
		return or_sfile_damaged(f, err, "item dictionary disagrees with the header");
	if (st->off[0] != 0 || st->off[h->n_sessions] != h->n_events)
		return or_sfile_damaged(f, err, "session offsets do not cover the events");
	return check_offsets(st, err);
}

int or_store_open(const char *path, or_store **out, or_err *err)
{
	*out = NULL;
	or_store *st = calloc(1, sizeof(*st));
	if (!st)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	int rc = or_sfile_open(&st->f, path, &or_store_format, err);
	if (!rc) {
		or_sfile_meta(&st->f, &st->h, sizeof(st->h));
		rc = check_store(st, err);
	}
	if (rc) {
		or_store_free(st);
		return rc;
	}
	*out = st;
	return OR_OK;
}

int or_store_from_columns(const or_store_columns *c, const char *name, or_store **out, or_err *err)
{
	*out = NULL;
	if (!c->offsets || c->offsets[0] != 0 || c->offsets[c->n_sessions] != c->n_events ||
	    (c->n_items == 0) != (c->n_events == 0))
		return or_err_set(err, OR_EINVAL, "%s: offsets do not cover the events", name);
	for (size_t i = 0; i < c->n_sessions; i++)
		if (c->offsets[i + 1] <= c->offsets[i])
			return or_err_set(err, OR_EINVAL, "%s: session %zu has no events", name, i);
	or_store *st = calloc(1, sizeof(*st));
	if (!st || !(st->f.path = strdup(name))) {
		free(st);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	st->f.fmt = &or_store_format; /* f.map NULL: not a file */
	or_store_meta *h = &st->h;
	h->n_sessions = c->n_sessions;
	h->n_events = c->n_events;
	h->n_items = (uint32_t)c->n_items;
	h->aid_bound = c->n_items ? c->items[c->n_items - 1] + 1 : 0;
	h->ts_min = INT64_MAX;
	h->ts_max = c->n_events ? INT64_MIN : 0;
	for (size_t i = 0; i < c->n_events; i++) {
		if (c->type[i] < OR_N_TYPES)
			h->n_type[c->type[i]]++;
		if (c->ts[i] < h->ts_min)
			h->ts_min = c->ts[i];
		if (c->ts[i] > h->ts_max)
			h->ts_max = c->ts[i];
	}
	if (!c->n_events)
		h->ts_min = 0;
	st->sid = c->session_ids;
	st->off = c->offsets;
	st->aid = c->aid;
	st->ts = c->ts;
	st->type = c->type;
	st->items = c->items;
	*out = st;
	return OR_OK;
}

void or_store_free(or_store *st)
{
	if (!st)
		return;
	or_sfile_release(&st->f);
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
const char *or_store_path(const or_store *st) { return st->f.path; }
uint64_t or_store_file_checksum(const or_store *st) { return st->f.map ? st->f.h.header_checksum : 0; }
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

static void evict_range(const void *base, size_t elem, size_t from, size_t to)
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

void or_store_evict(const or_store *st, size_t from, size_t to)
{
	if (to > st->h.n_events)
		to = (size_t)st->h.n_events;
	if (from >= to)
		return;
	evict_range(st->aid, sizeof(*st->aid), from, to);
	evict_range(st->ts, sizeof(*st->ts), from, to);
	evict_range(st->type, 1, from, to);
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
		rc = or_sfile_damaged(&st->f, err,
				      "the item dictionary does not hold exactly the aids of the events");
	free(items);
	return rc;
}

int or_store_verify(const or_store *st, const or_log *log, or_err *err)
{
	int rc = or_sfile_verify(&st->f, log, err);
	if (rc)
		return rc;
	uint64_t n_type[OR_N_TYPES] = { 0, 0, 0 };
	uint32_t aid_bound = 0;
	for (size_t i = 0; i < st->h.n_sessions; i++) {
		uint64_t a = st->off[i], b = st->off[i + 1]; /* checked at open */
		for (uint64_t j = a; j < b; j++) {
			if (st->type[j] >= OR_N_TYPES || st->aid[j] > OR_AID_MAX ||
			    (j > a && st->ts[j] < st->ts[j - 1]) ||
			    st->ts[j] < st->h.ts_min || st->ts[j] > st->h.ts_max)
				return or_sfile_damaged(&st->f, err, "event %llu of session %lld is invalid",
							(unsigned long long)(j - a), (long long)st->sid[i]);
			n_type[st->type[j]]++;
			if (st->aid[j] >= aid_bound)
				aid_bound = st->aid[j] + 1;
		}
	}
	if (memcmp(n_type, st->h.n_type, sizeof(n_type)) != 0 || aid_bound != st->h.aid_bound)
		return or_sfile_damaged(&st->f, err, "header counts disagree with the data");
	return verify_items(st, err);
}

/* ---- the streaming check of a sequential pass (or_sfile_check) ---- */

struct or_store_check {
	size_t n;
	struct {
		const or_store *st; /* copied: the caller's array may go */
		or_sfile_check *c;
	} s[];
};

or_store_check *or_store_check_new(const or_store *const *stores, size_t n, int what)
{
	/* the offsets and the dictionary were verified at open */
	unsigned mask = 1u << SEC_SESSION_IDS | 1u << SEC_AID | 1u << SEC_TS | 1u << SEC_TYPE;
	if (what == OR_STORE_CHECK_AIDS)
		mask = 1u << SEC_AID;
	else if (what == OR_STORE_CHECK_AIDS_TYPES)
		mask = 1u << SEC_AID | 1u << SEC_TYPE;
	or_store_check *c = calloc(1, sizeof(*c) + n * sizeof(c->s[0]));
	if (!c)
		return NULL;
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		c->s[i].st = stores[i];
		if (!stores[i]->f.map) /* a store in memory: nothing to check */
			continue;
		if (!(c->s[i].c = or_sfile_check_new(&stores[i]->f, mask))) {
			or_store_check_free(c);
			return NULL;
		}
	}
	return c;
}

void or_store_check_read(or_store_check *c, size_t store, size_t s1)
{
	if (!c || store >= c->n)
		return;
	const or_store *st = c->s[store].st;
	if (s1 > st->h.n_sessions)
		s1 = (size_t)st->h.n_sessions;
	or_sfile_check_to(c->s[store].c, SEC_SESSION_IDS, (uint64_t)s1 * 8);
	or_store_check_events(c, store, (size_t)st->off[s1]);
}

void or_store_check_events(or_store_check *c, size_t store, size_t e1)
{
	if (!c || store >= c->n)
		return;
	or_sfile_check *sc = c->s[store].c; /* sections not checked are no-ops */
	or_sfile_check_to(sc, SEC_AID, (uint64_t)e1 * 4);
	or_sfile_check_to(sc, SEC_TS, (uint64_t)e1 * 8);
	or_sfile_check_to(sc, SEC_TYPE, e1);
}

int or_store_check_end(or_store_check *c, int rc, or_err *err)
{
	if (rc != OR_OK && rc != OR_EFORMAT) {
		or_store_check_free(c);
		return rc;
	}
	if (!c)
		return rc ? rc : or_err_set(err, OR_ENOMEM, "out of memory for a store's checksum check");
	int bad = OR_OK;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->s[i].st->f.map)
			continue;
		if (bad)
			or_sfile_check_free(c->s[i].c);
		else
			bad = or_sfile_check_end(c->s[i].c, err);
	}
	free(c);
	return bad ? bad : rc;
}

void or_store_check_free(or_store_check *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		or_sfile_check_free(c->s[i].c);
	free(c);
}
