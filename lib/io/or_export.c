/*
 * or_export.c - the JSONL and CSV writers of an event store (see
 * or_export.h).
 *
 * The writers fill the or_file buffer directly (or_file_reserve /
 * or_file_advance) in chunks of CHUNK bytes; every event is at most EV_MAX
 * bytes of text, so one bounds check per event (p > limit) is all the inner
 * loop pays.  Fixed pieces of text are copied with constant-size memcpy from
 * padded tables, numbers are written by or_fmt.h (two digits at a time from
 * the end).
 */
#include "or_export.h"
#include "or_file.h"
#include "or_fmt.h"

#include <string.h>

#define CHUNK (256u << 10)         /* bytes reserved at a time */
#define EV_MAX 128u                /* bound on one event's text, either format */
#define PROGRESS_BYTES (4u << 20)  /* progress / cancellation every 4 MiB */

void or_export_csv_config_default(or_export_csv_config *cfg)
{
	cfg->type_digits = 0;
	cfg->ts_seconds = 0;
}

/* The output side shared by both writers: a chunk of the or_file buffer
   being filled, and the progress bookkeeping. */
typedef struct writer {
	or_file f;
	char *start, *limit; /* current chunk; limit = last safe event start */
	uint64_t bytes, next_progress;
	uint64_t n_events;
	const or_log *log;
	or_store_check *chk; /* the store's checksums, as the pass reads it */
} writer;

static int writer_chunk(writer *w, char *p, uint64_t events_done, or_err *err)
{
	if (w->start) {
		size_t n = (size_t)(p - w->start);
		or_file_advance(&w->f, n);
		w->bytes += n;
	}
	if (w->bytes >= w->next_progress) {
		if (or_log_cancelled(w->log))
			return or_err_set(err, OR_ECANCELLED, "interrupted");
		or_log_progress(w->log, "export", (double)events_done,
				(double)w->n_events, "events");
		w->next_progress = w->bytes + PROGRESS_BYTES;
	}
	w->start = or_file_reserve(&w->f, CHUNK, err);
	if (!w->start)
		return err ? err->code : OR_EIO;
	w->limit = w->start + CHUNK - EV_MAX;
	return OR_OK;
}

static int writer_open(writer *w, const or_store *st, const char *path,
		       const or_log *log, or_err *err)
{
	memset(w, 0, sizeof(*w));
	w->n_events = or_store_n_events(st);
	w->log = log;
	w->next_progress = PROGRESS_BYTES;
	int rc = or_file_open(&w->f, path, err);
	if (rc)
		return rc;
	rc = writer_chunk(w, NULL, 0, err);
	if (rc)
		or_file_abort(&w->f);
	else
		w->chk = or_store_check_new(&st, 1, OR_STORE_CHECK_ALL);
	return rc;
}

/* The pass failed with rc (a damaged value is named by its section's
   checksum first, or_store_check_end): nothing is left under the path. */
static int fail(writer *w, int rc, or_err *err)
{
	rc = or_store_check_end(w->chk, rc, err);
	or_file_abort(&w->f);
	return rc;
}

/* The store's checksums, then the commit (a file appears only when they
   match; on stdout the text is out already and the error comes last). */
static int writer_finish(writer *w, char *p, or_err *err)
{
	or_file_advance(&w->f, (size_t)(p - w->start));
	w->bytes += (uint64_t)(p - w->start);
	int rc = or_store_check_end(w->chk, OR_OK, err);
	if (rc) {
		or_file_abort(&w->f);
		return rc;
	}
	or_log_progress(w->log, "export", (double)w->n_events, (double)w->n_events, "events");
	return or_file_commit(&w->f, err); /* aborts on failure */
}

static int bad_type(const or_store *st, size_t i, uint64_t j, unsigned t, or_err *err)
{
	return or_err_set(err, OR_EFORMAT,
			  "%s: event %llu of session %lld has type %u, not 0, 1 or 2 (damaged store; `ottorec info --verify` checks it)",
			  or_store_path(st), (unsigned long long)(j - or_store_offsets(st)[i] + 1),
			  (long long)or_store_session_ids(st)[i], t);
}

/* Padded so that a fixed 24-byte copy is always in bounds. */
static const char json_tail[OR_N_TYPES][24] = {
	",\"type\":\"clicks\"},", ",\"type\":\"carts\"},", ",\"type\":\"orders\"},"
};
static const unsigned char json_tail_len[OR_N_TYPES] = { 18, 17, 18 };

int or_export_jsonl(const or_store *st, const char *path, const or_log *log, or_err *err)
{
	const size_t ns = or_store_n_sessions(st);
	const int64_t *sid = or_store_session_ids(st);
	const uint64_t *off = or_store_offsets(st);
	const uint32_t *aid = or_store_aids(st);
	const int64_t *ts = or_store_ts(st);
	const uint8_t *type = or_store_types(st);
	writer w;
	int rc = writer_open(&w, st, path, log, err);
	if (rc)
		return rc;
	char *p = w.start;
	for (size_t i = 0; i < ns; i++) {
		const uint64_t a = off[i], b = off[i + 1]; /* checked at open */
		if ((i & 4095) == 0)
			or_store_check_read(w.chk, 0, i);
		if (p > w.limit) {
			if ((rc = writer_chunk(&w, p, a, err)))
				return fail(&w, rc, err);
			p = w.start;
		}
		memcpy(p, "{\"session\":", 11);
		p += 11;
		p += or_fmt_i64(p, sid[i]);
		memcpy(p, ",\"events\":[", 11);
		p += 11;
		for (uint64_t j = a; j < b; j++) {
			if (p > w.limit) {
				if ((rc = writer_chunk(&w, p, j, err)))
					return fail(&w, rc, err);
				p = w.start;
			}
			const unsigned t = type[j];
			if (t >= OR_N_TYPES)
				return fail(&w, bad_type(st, i, j, t, err), err);
			memcpy(p, "{\"aid\":", 7);
			p += 7;
			p += or_fmt_u64(p, aid[j]);
			memcpy(p, ",\"ts\":", 6);
			p += 6;
			p += or_fmt_i64(p, ts[j]);
			memcpy(p, json_tail[t], 24);
			p += json_tail_len[t];
		}
		p -= b > a; /* the last event's comma becomes the closing bracket */
		memcpy(p, "]}\n", 3);
		p += 3;
	}
	return writer_finish(&w, p, err);
}

static const char csv_type_word[OR_N_TYPES][8] = { "clicks\n", "carts\n", "orders\n" };
static const unsigned char csv_type_word_len[OR_N_TYPES] = { 7, 6, 7 };
static const char csv_type_digit[OR_N_TYPES][8] = { "0\n", "1\n", "2\n" };
static const unsigned char csv_type_digit_len[OR_N_TYPES] = { 2, 2, 2 };

/* Index of the session owning event j (offsets ascending: checked at open). */
static size_t session_of(const or_store *st, uint64_t j)
{
	const uint64_t *off = or_store_offsets(st);
	size_t lo = 0, hi = or_store_n_sessions(st); /* off[lo] <= j < off[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (off[mid] <= j)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int check_whole_seconds(const or_store *st, const or_log *log, or_err *err)
{
	const uint64_t ne = or_store_n_events(st);
	const int64_t *ts = or_store_ts(st);
	const uint64_t step = 16u << 20;
	for (uint64_t at = 0; at < ne; at += step) {
		if (or_log_cancelled(log))
			return or_err_set(err, OR_ECANCELLED, "interrupted");
		uint64_t end = ne - at < step ? ne : at + step;
		uint64_t bad = end;
		for (uint64_t j = at; j < end; j++)
			if (ts[j] % 1000 != 0) {
				bad = j;
				break;
			}
		if (bad < end) {
			size_t i = session_of(st, bad);
			return or_err_set(err, OR_EINVAL,
					  "%s: cannot write ts in seconds: event %llu of session %lld has ts %lld ms, not a whole second (write ts in milliseconds to keep it)",
					  or_store_path(st),
					  (unsigned long long)(bad - or_store_offsets(st)[i] + 1),
					  (long long)or_store_session_ids(st)[i], (long long)ts[bad]);
		}
		or_log_progress(log, "check ts", (double)end, (double)ne, "events");
	}
	return OR_OK;
}

int or_export_csv_ex(const or_store *st, const char *path,
		     const or_export_csv_config *cfg, const or_log *log,
		     or_err *err)
{
	or_export_csv_config def;
	if (!cfg) {
		or_export_csv_config_default(&def);
		cfg = &def;
	}
	int rc;
	if (cfg->ts_seconds) {
		/* before anything is written, so stdout gets nothing either */
		if ((rc = check_whole_seconds(st, log, err)))
			return rc;
	}
	const size_t ns = or_store_n_sessions(st);
	const int64_t *sid = or_store_session_ids(st);
	const uint64_t *off = or_store_offsets(st);
	const uint32_t *aid = or_store_aids(st);
	const int64_t *ts = or_store_ts(st);
	const uint8_t *type = or_store_types(st);
	const char(*tail)[8] = cfg->type_digits ? csv_type_digit : csv_type_word;
	const unsigned char *tail_len = cfg->type_digits ? csv_type_digit_len : csv_type_word_len;
	const int seconds = cfg->ts_seconds != 0;

	writer w;
	if ((rc = writer_open(&w, st, path, log, err)))
		return rc;
	char *p = w.start;
	memcpy(p, "session,aid,ts,type\n", 20);
	p += 20;
	char sbuf[32]; /* "<session>," padded for a fixed-size copy */
	memset(sbuf, 0, sizeof(sbuf));
	for (size_t i = 0; i < ns; i++) {
		const uint64_t a = off[i], b = off[i + 1]; /* checked at open */
		if ((i & 4095) == 0)
			or_store_check_read(w.chk, 0, i);
		size_t sl = or_fmt_i64(sbuf, sid[i]);
		sbuf[sl++] = ',';
		for (uint64_t j = a; j < b; j++) {
			if (p > w.limit) {
				if ((rc = writer_chunk(&w, p, j, err)))
					return fail(&w, rc, err);
				p = w.start;
			}
			const unsigned t = type[j];
			if (t >= OR_N_TYPES)
				return fail(&w, bad_type(st, i, j, t, err), err);
			memcpy(p, sbuf, 24);
			p += sl;
			p += or_fmt_u64(p, aid[j]);
			*p++ = ',';
			p += or_fmt_i64(p, seconds ? ts[j] / 1000 : ts[j]);
			*p++ = ',';
			memcpy(p, tail[t], 8);
			p += tail_len[t];
		}
	}
	return writer_finish(&w, p, err);
}

int or_export_csv(const or_store *st, const char *path, const or_log *log, or_err *err)
{
	return or_export_csv_ex(st, path, NULL, log, err);
}
