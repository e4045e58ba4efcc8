/*
 * or_cand_stats_file.c - the ranker's item statistics as a file (layout
 * and contract in or_cand_stats_file.h): writing them, opening them mapped
 * (the arrays used in place), and checking them against the stores they
 * claim to come from.
 */
#include "or_cand_stats_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The file's fields (or_cand_stats_file.h gives their offsets: 32 + these). */
typedef struct stats_meta {
	uint32_t n_items, n_sources;
	double period_days;
	int64_t ts_min, ts_max;
	uint32_t n_cnt, n_feat, next_k, reserved;
	uint64_t n_events;
} stats_meta;
OR_SFILE_META_FITS(stats_meta);
_Static_assert(offsetof(stats_meta, period_days) == 40 - 32 && offsetof(stats_meta, ts_min) == 48 - 32 &&
	       offsetof(stats_meta, n_cnt) == 64 - 32 && offsetof(stats_meta, next_k) == 72 - 32 &&
	       offsetof(stats_meta, n_events) == 80 - 32, "or_cand_stats_file.h's layout");

/* A source's record (section 6). */
typedef struct source_rec {
	uint64_t checksum, n_events, n_sessions;
	uint32_t path_bytes, reserved;
} source_rec;
_Static_assert(sizeof(source_rec) == 32, "or_cand_stats_file.h's source record");

#define PATH_MAX_BYTES 4096

enum { SEC_ITEMS, SEC_CNT, SEC_FEAT, SEC_NEXT_AID, SEC_NEXT_P, SEC_NEXT_LEN, SEC_SOURCES, SEC_PATHS,
       N_SECTIONS };
static const char *const sec_names[N_SECTIONS] = {
	"item dictionary", "counts", "item features", "next aids", "next probabilities",
	"next lengths", "sources", "source paths",
};
static const or_sfile_format stats_format = {
	.magic = "OTTOSTAT", .version = OR_CAND_STATS_VERSION, .align = 64,
	.n_sections = N_SECTIONS, .section_names = sec_names, .what = "item statistics",
	.rebuild = "rebuild it with `ottorec stats --train STORE... -o FILE`",
};

size_t or_cand_stats_n_sources(const or_cand_stats *s) { return s->n_src; }
const or_cand_stats_source *or_cand_stats_sources(const or_cand_stats *s) { return s->src; }
size_t or_cand_stats_n_items(const or_cand_stats *s) { return or_items_count(s->items); }
double or_cand_stats_period_days(const or_cand_stats *s) { return s->period_days; }
const char *or_cand_stats_file(const or_cand_stats *s) { return s->mapped ? s->f.path : NULL; }

/* ---- writing -------------------------------------------------------------------- */

int or_cand_stats_write(const or_cand_stats *s, const char *path, const or_log *log, or_err *err)
{
	const uint64_t n = or_items_count(s->items);
	source_rec *rec = calloc(s->n_src ? s->n_src : 1, sizeof(*rec));
	size_t path_bytes = 0;
	for (size_t i = 0; i < s->n_src; i++)
		path_bytes += strlen(s->src[i].path);
	char *paths = malloc(path_bytes ? path_bytes : 1);
	if (!rec || !paths) {
		free(rec);
		free(paths);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	uint64_t n_events = 0;
	size_t at = 0;
	for (size_t i = 0; i < s->n_src; i++) {
		size_t len = strlen(s->src[i].path);
		rec[i] = (source_rec){ s->src[i].checksum, s->src[i].n_events, s->src[i].n_sessions,
				       (uint32_t)len, 0 };
		memcpy(paths + at, s->src[i].path, len);
		at += len;
		n_events += s->src[i].n_events;
	}
	const void *data[N_SECTIONS] = { or_items_aids(s->items), s->cnt, s->feat, s->next.aid,
					 s->next.p, s->next.len, rec, paths };
	const uint64_t bytes[N_SECTIONS] = {
		n * 4, n * OR_CS_N_CNT * 4, n * OR_CS_N_FEAT * 4, n * OR_CAND_NEXT_K * 4,
		n * OR_CAND_NEXT_K * 4, n, (uint64_t)s->n_src * sizeof(source_rec), path_bytes,
	};
	stats_meta m = {
		.n_items = (uint32_t)n, .n_sources = (uint32_t)s->n_src, .period_days = s->period_days,
		.ts_min = s->ts_min, .ts_max = s->ts_max, .n_cnt = OR_CS_N_CNT, .n_feat = OR_CS_N_FEAT,
		.next_k = OR_CAND_NEXT_K, .n_events = n_events,
	};
	int rc = OR_OK;
	for (size_t i = 0; !rc && i < s->n_src; i++)
		if (rec[i].path_bytes == 0 || rec[i].path_bytes > PATH_MAX_BYTES)
			rc = or_err_set(err, OR_EINVAL, "%s: a source path of %u bytes (1..%d)", path,
					rec[i].path_bytes, PATH_MAX_BYTES);
	if (!rc && (s->n_src == 0 || s->n_src > OR_CAND_STATS_MAX_SOURCES))
		rc = or_err_set(err, OR_EINVAL, "%s: item statistics of %zu stores (1..%d)", path,
				s->n_src, OR_CAND_STATS_MAX_SOURCES);
	or_sfile_writer *w = NULL;
	if (!rc)
		rc = or_sfile_writer_open(&w, path, &stats_format, bytes, OR_SFILE_STREAM, err);
	if (!rc)
		or_sfile_writer_progress(w, log, "write statistics");
	for (unsigned i = 0; !rc && i < N_SECTIONS; i++)
		if (bytes[i])
			rc = or_sfile_writer_append(w, i, data[i], (size_t)bytes[i], err);
	if (!rc)
		rc = or_sfile_writer_commit(w, &m, sizeof(m), log, err);
	else
		or_sfile_writer_abort(w);
	free(rec);
	free(paths);
	return rc;
}

/* ---- reading -------------------------------------------------------------------- */

/* The recorded sources, checked: each path 1..4096 bytes without a NUL,
   together exactly the paths section. */
static int open_sources(or_cand_stats *s, uint32_t n_src, or_err *err)
{
	const source_rec *rec = or_sfile_section_data(&s->f, SEC_SOURCES);
	const char *paths = or_sfile_section_data(&s->f, SEC_PATHS);
	uint64_t left = or_sfile_section_bytes(&s->f, SEC_PATHS), at = 0;
	if (!(s->src = calloc(n_src, sizeof(*s->src))))
		return or_err_set(err, OR_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n_src; i++) {
		source_rec r;
		memcpy(&r, rec + i, sizeof(r));
		if (r.path_bytes == 0 || r.path_bytes > PATH_MAX_BYTES || r.path_bytes > left || r.reserved ||
		    memchr(paths + at, '\0', r.path_bytes))
			return or_sfile_damaged(&s->f, err, "source %u has a bad path", i);
		or_cand_stats_source *d = &s->src[s->n_src++];
		if (!(d->path = malloc((size_t)r.path_bytes + 1)))
			return or_err_set(err, OR_ENOMEM, "out of memory");
		memcpy(d->path, paths + at, r.path_bytes);
		d->path[r.path_bytes] = '\0';
		d->checksum = r.checksum;
		d->n_events = r.n_events;
		d->n_sessions = r.n_sessions;
		at += r.path_bytes;
		left -= r.path_bytes;
	}
	if (left)
		return or_sfile_damaged(&s->f, err, "%llu bytes of source paths no source names",
					(unsigned long long)left);
	return OR_OK;
}

/* What the readers index with: the dictionary, the next-item rows. */
static int check_tables(or_cand_stats *s, size_t n, or_err *err)
{
	const uint32_t *aids = or_sfile_section_data(&s->f, SEC_ITEMS);
	for (size_t i = 0; i < n; i++)
		if (aids[i] > OR_AID_MAX || (i > 0 && aids[i] <= aids[i - 1]))
			return or_sfile_damaged(&s->f, err,
						"the item dictionary is not strictly increasing at item %zu", i);
	int rc = or_items_new(aids, n, 0, s->f.path, &s->items, err);
	if (rc)
		return rc;
	uint32_t idx[OR_CAND_NEXT_K];
	for (size_t i = 0; i < n; i++) {
		size_t len = s->next.len[i];
		if (len > OR_CAND_NEXT_K)
			return or_sfile_damaged(&s->f, err, "next-item row %zu has %zu entries (at most %d)", i,
						len, OR_CAND_NEXT_K);
		const uint32_t *a = s->next.aid + i * OR_CAND_NEXT_K;
		const float *p = s->next.p + i * OR_CAND_NEXT_K;
		or_items_index_many(s->items, a, len, idx);
		for (size_t j = 0; j < len; j++)
			if (idx[j] == OR_ITEM_NONE || !(p[j] > 0.0f && p[j] <= 1.0f))
				return or_sfile_damaged(&s->f, err,
							"next-item row %zu, entry %zu: aid %u not in the dictionary or probability out of (0, 1]",
							i, j, a[j]);
	}
	return OR_OK;
}

int or_cand_stats_open(const char *path, or_cand_stats **out, or_err *err)
{
	*out = NULL;
	or_cand_stats *s = calloc(1, sizeof(*s));
	if (!s)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	s->mapped = 1;
	stats_meta m;
	memset(&m, 0, sizeof(m));
	int rc = or_sfile_open(&s->f, path, &stats_format, err);
	if (!rc) {
		or_sfile_meta(&s->f, &m, sizeof(m));
		if ((uint64_t)m.n_items > (uint64_t)OR_AID_MAX + 1 || m.n_sources < 1 ||
		    m.n_sources > OR_CAND_STATS_MAX_SOURCES || m.n_cnt != OR_CS_N_CNT ||
		    m.n_feat != OR_CS_N_FEAT || m.next_k != OR_CAND_NEXT_K || m.reserved ||
		    !(m.period_days >= 7 && m.period_days < 1e9))
			rc = or_sfile_damaged(&s->f, err, "bad item, source or column count, or period");
	}
	const uint64_t n = m.n_items;
	const struct {
		uint64_t count;
		size_t elem;
	} want[SEC_PATHS] = { { n, 4 }, { n * OR_CS_N_CNT, 4 }, { n * OR_CS_N_FEAT, 4 },
			      { n * OR_CAND_NEXT_K, 4 }, { n * OR_CAND_NEXT_K, 4 }, { n, 1 },
			      { m.n_sources, sizeof(source_rec) } };
	for (unsigned i = 0; !rc && i < SEC_PATHS; i++)
		rc = or_sfile_expect(&s->f, i, want[i].count, want[i].elem, err);
	/* a random-access reader: every checksum now (or_sfile.h) */
	if (!rc)
		rc = or_sfile_verify(&s->f, NULL, err);
	if (!rc) {
		s->cnt = or_sfile_section_data(&s->f, SEC_CNT);
		s->feat = or_sfile_section_data(&s->f, SEC_FEAT);
		/* read-only views of the mapping: never written, never freed
		   (or_cand_stats_free releases the mapping instead) */
		s->next.n = (size_t)n;
		s->next.aid = (uint32_t *)or_sfile_section_data(&s->f, SEC_NEXT_AID);
		s->next.p = (float *)or_sfile_section_data(&s->f, SEC_NEXT_P);
		s->next.len = (uint8_t *)or_sfile_section_data(&s->f, SEC_NEXT_LEN);
		s->period_days = m.period_days;
		s->ts_min = m.ts_min;
		s->ts_max = m.ts_max;
		rc = check_tables(s, (size_t)n, err);
	}
	if (!rc)
		rc = open_sources(s, m.n_sources, err);
	if (rc) {
		or_cand_stats_free(s);
		return rc;
	}
	or_sfile_drop_resident(&s->f); /* read back as items are looked up */
	*out = s;
	return OR_OK;
}

/* ---- provenance ----------------------------------------------------------------- */

/* "PATH (checksum C, N events)" of source r into buf. */
static const char *source_name(const or_cand_stats_source *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s (checksum %016llx, %llu events)", r->path,
		 (unsigned long long)r->checksum, (unsigned long long)r->n_events);
	return buf;
}

int or_cand_stats_match(const or_cand_stats *s, const char *what, or_store *const *stores,
			size_t n, or_err *err)
{
	char a[PATH_MAX_BYTES + 64];
	if (n != s->n_src)
		return or_err_set(err, OR_EINVAL,
				  "%s: item statistics of %zu stores (the first %s), not of the %zu given; %s",
				  what, s->n_src, s->n_src ? source_name(&s->src[0], a, sizeof(a)) : "-", n,
				  stats_format.rebuild);
	uint64_t used = 0; /* n <= OR_CAND_STATS_MAX_SOURCES */
	for (size_t k = 0; k < n; k++) {
		uint64_t sum = or_store_file_checksum(stores[k]);
		size_t j = 0;
		while (j < n && (((used >> j) & 1) || s->src[j].checksum != sum ||
				 s->src[j].n_events != or_store_n_events(stores[k]) ||
				 s->src[j].n_sessions != or_store_n_sessions(stores[k])))
			j++;
		if (j == n)
			return or_err_set(err, OR_EINVAL,
					  "%s: stale item statistics: the store %s (checksum %016llx, %zu events) is not one they were built from (the first: %s); %s",
					  what, or_store_path(stores[k]), (unsigned long long)sum,
					  or_store_n_events(stores[k]), source_name(&s->src[0], a, sizeof(a)),
					  stats_format.rebuild);
		used |= (uint64_t)1 << j;
	}
	return OR_OK;
}

int or_cand_stats_check_sources(const or_cand_stats *s, const char *what, or_err *err)
{
	char a[PATH_MAX_BYTES + 64];
	for (size_t i = 0; i < s->n_src; i++) {
		const or_cand_stats_source *r = &s->src[i];
		struct stat sb;
		if (!r->checksum || stat(r->path, &sb) != 0)
			continue; /* built in memory, or moved away: nothing to compare */
		char magic[9];
		uint64_t sum = 0;
		or_err e2;
		int rc = or_sfile_identity(r->path, magic, &sum, &e2);
		if (rc || strcmp(magic, "OTTOSTOR") || sum != r->checksum)
			return or_err_set(err, OR_EINVAL,
					  "%s: stale item statistics: built from %s, which has changed since (%s); %s",
					  what, source_name(r, a, sizeof(a)),
					  rc ? e2.msg : strcmp(magic, "OTTOSTOR") ? "not an event store now" : "another checksum now",
					  stats_format.rebuild);
	}
	return OR_OK;
}
