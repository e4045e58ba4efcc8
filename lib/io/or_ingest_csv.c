/*
 * or_ingest_csv.c - the CSV reader: rows `session,aid,ts,type`, type as a word
 * (clicks/carts/orders) or a digit (0/1/2), ts in milliseconds or seconds.
 *
 * A header line naming the columns is optional; with one (the first line,
 * as RFC 4180 has it: a header after blank lines is an error), the columns
 * may be in any order and extra columns are ignored.  Fields may be
 * double-quoted as RFC 4180 quotes them (commas inside quotes do not
 * split; an unterminated quote or text after the closing one is an error;
 * pandas' to_csv quotes nothing of OTTO's columns by default, and quotes
 * words with QUOTE_NONNUMERIC or QUOTE_ALL); CRLF line ends are accepted;
 * blank lines between rows are skipped.  Rows of a session must be contiguous and in
 * time order (see or_ingest.h).  Hand-written: one integer per field in a
 * fixed schema is all there is, and a general CSV library would only add
 * copies on a path that runs 216 M times at full scale.
 */
#include "or_ingest_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { COL_SESSION, COL_AID, COL_TS, COL_TYPE, N_COLS };
static const char *const col_names[N_COLS] = { "session", "aid", "ts", "type" };
#define MAX_FIELDS 64

typedef struct csv_state {
	const char *path;
	or_err *err;
	int col_of[N_COLS]; /* field index of each column */
	int n_fields;       /* fields per row */
	int canonical;      /* exactly session,aid,ts,type */
	int ts_unit;        /* OR_TS_MS or OR_TS_S once decided */
} csv_state;

static int csv_fail(const csv_state *c, uint64_t line, const char *begin,
		    const char *at, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int csv_fail(const csv_state *c, uint64_t line, const char *begin,
		    const char *at, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return or_err_set(c->err, OR_EFORMAT, "%s:%llu:%zu: %s", c->path,
			  (unsigned long long)line, (size_t)(at - begin) + 1, what);
}

/* split's failures; *bad is where */
enum { SPLIT_TOO_MANY = -1, SPLIT_UNTERMINATED = -2, SPLIT_AFTER_QUOTE = -3 };

/* Split [p, end) at commas into at most MAX_FIELDS fields, as RFC 4180
   reads them: a field that starts with a double quote (after blanks) runs
   to the matching quote ("" inside is a quote), commas in it included, and
   only blanks may follow it; its quotes are stripped (a "" stays two
   characters: no value of ours holds one, so it is refused as the value).
   The field count, or a SPLIT_ failure with *bad where it is. */
static int split(const char *p, const char *end, const char **fs, const char **fe,
		 const char **bad)
{
	int n = 0;
	for (;;) {
		const char *s = p, *e;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s < end && *s == '"') {
			const char *q = s + 1;
			while (q < end && !(*q == '"' && (q + 1 >= end || q[1] != '"')))
				q += *q == '"' ? 2 : 1;
			if (q >= end) {
				*bad = s;
				return SPLIT_UNTERMINATED;
			}
			p = q + 1;
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
				p++;
			if (p < end && *p != ',') {
				*bad = p;
				return SPLIT_AFTER_QUOTE;
			}
			s++;
			e = q;
		} else {
			p = s;
			while (p < end && *p != ',')
				p++;
			e = p;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
		}
		if (n == MAX_FIELDS) {
			*bad = s;
			return SPLIT_TOO_MANY;
		}
		fs[n] = s;
		fe[n] = e;
		n++;
		if (p >= end)
			return n;
		p++;
	}
}

/* The message of a failed split of line `line` ([begin, ...)). */
static int split_fail(const csv_state *c, uint64_t line, const char *begin, int why,
		      const char *bad, const char *what)
{
	if (why == SPLIT_UNTERMINATED)
		return csv_fail(c, line, begin, bad,
				"quoted field without its closing quote (a line break inside quotes is not supported)");
	if (why == SPLIT_AFTER_QUOTE)
		return csv_fail(c, line, begin, bad, "text after a quoted field's closing quote");
	return csv_fail(c, line, begin, bad, "%s has more than %d columns", what, MAX_FIELDS);
}

static int parse_header(csv_state *c, const char *p, const char *end)
{
	const char *fs[MAX_FIELDS], *fe[MAX_FIELDS], *bad = p;
	int n = split(p, end, fs, fe, &bad);
	if (n < 0)
		return split_fail(c, 1, p, n, bad, "header");
	for (int k = 0; k < N_COLS; k++)
		c->col_of[k] = -1;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < N_COLS; k++)
			if ((size_t)(fe[i] - fs[i]) == strlen(col_names[k]) &&
			    memcmp(fs[i], col_names[k], strlen(col_names[k])) == 0) {
				if (c->col_of[k] >= 0)
					return csv_fail(c, 1, p, fs[i], "header names column \"%s\" twice",
							col_names[k]);
				c->col_of[k] = i;
			}
	for (int k = 0; k < N_COLS; k++)
		if (c->col_of[k] < 0)
			return csv_fail(c, 1, p, p,
					"header lacks a \"%s\" column (expected columns session,aid,ts,type)",
					col_names[k]);
	c->n_fields = n;
	c->canonical = n == 4 && c->col_of[0] == 0 && c->col_of[1] == 1 &&
		       c->col_of[2] == 2 && c->col_of[3] == 3;
	return OR_OK;
}

/* An unsigned decimal filling [s, e) exactly; -1 if not one. */
static int parse_u64(const char *s, const char *e, uint64_t *out)
{
	if (s == e || e - s > 19)
		return -1;
	uint64_t v = 0;
	for (; s < e; s++) {
		if ((unsigned)(*s - '0') > 9)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

typedef struct csv_row {
	int64_t session;
	uint32_t aid;
	int64_t ts_raw;
	uint8_t type;
} csv_row;

static int field_error(const csv_state *c, uint64_t line, const char *begin,
		       const char *s, const char *e, int col)
{
	static const char *const expect[N_COLS] = {
		"a non-negative integer session id",
		"an integer aid in 0..2147483647",
		"a non-negative integer ts",
		"type clicks, carts, orders or 0, 1, 2",
	};
	return csv_fail(c, line, begin, s, "column %s: expected %s, found \"%.*s\"",
			col_names[col], expect[col], (int)(e - s > 40 ? 40 : e - s), s);
}

static int parse_row(const csv_state *c, uint64_t line, const char *p,
		     const char *end, csv_row *r)
{
	const char *fs[MAX_FIELDS], *fe[MAX_FIELDS], *bad = p;
	int n = split(p, end, fs, fe, &bad);
	if (n < 0 && n != SPLIT_TOO_MANY)
		return split_fail(c, line, p, n, bad, "row");
	if (n != c->n_fields)
		return csv_fail(c, line, p, p, "expected %d comma-separated fields, found %s%d",
				c->n_fields, n < 0 ? "more than " : "", n < 0 ? MAX_FIELDS : n);
	uint64_t v;
	int k = c->col_of[COL_SESSION];
	if (parse_u64(fs[k], fe[k], &v) || v > (uint64_t)INT64_MAX)
		return field_error(c, line, p, fs[k], fe[k], COL_SESSION);
	r->session = (int64_t)v;
	k = c->col_of[COL_AID];
	if (parse_u64(fs[k], fe[k], &v) || v > OR_AID_MAX)
		return field_error(c, line, p, fs[k], fe[k], COL_AID);
	r->aid = (uint32_t)v;
	k = c->col_of[COL_TS];
	if (parse_u64(fs[k], fe[k], &v) || v > (uint64_t)OR_TS_MAX_MS)
		return field_error(c, line, p, fs[k], fe[k], COL_TS);
	r->ts_raw = (int64_t)v;
	k = c->col_of[COL_TYPE];
	int t = or_type_from_word(fs[k], (size_t)(fe[k] - fs[k]));
	if (t < 0 && fe[k] - fs[k] == 1 && *fs[k] >= '0' && *fs[k] <= '2')
		t = *fs[k] - '0';
	if (t < 0)
		return field_error(c, line, p, fs[k], fe[k], COL_TYPE);
	r->type = (uint8_t)t;
	return OR_OK;
}

/* The common layout `123,456,789,clicks` (or digit type) without splitting.
   Returns 1 when it parsed the row, 0 to fall back to parse_row. */
static inline int fast_row(const char *p, const char *end, csv_row *r)
{
	uint64_t v[3];
	for (int i = 0; i < 3; i++) {
		const char *s = p;
		uint64_t x = 0;
		while (p < end && (unsigned)(*p - '0') <= 9) {
			x = x * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p == s || p - s > 15 || p >= end || *p != ',')
			return 0;
		v[i] = x;
		p++;
	}
	if (end > p && end[-1] == '\r')
		end--;
	int t = or_type_from_word(p, (size_t)(end - p));
	if (t < 0 && end - p == 1 && *p >= '0' && *p <= '2')
		t = *p - '0';
	if (t < 0 || v[1] > OR_AID_MAX || v[2] > (uint64_t)OR_TS_MAX_MS)
		return 0;
	r->session = (int64_t)v[0];
	r->aid = (uint32_t)v[1];
	r->ts_raw = (int64_t)v[2];
	r->type = (uint8_t)t;
	return 1;
}

static int has_letter(const char *p, const char *end)
{
	for (; p < end; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			return 1;
	return 0;
}

int or_ingest_csv(or_store_builder *b, or_input *in,
		  const or_ingest_config *cfg, const or_log *log, or_err *err)
{
	csv_state c = { .path = or_input_path(in), .err = err, .n_fields = 4,
			.canonical = 1, .ts_unit = cfg->ts_unit };
	for (int k = 0; k < N_COLS; k++)
		c.col_of[k] = k;
	or_evbuf ev = { 0 };
	or_line_reader lines;
	or_line_reader_init(&lines, in, "read", log);
	or_line line;
	int64_t cur = -1;           /* session being gathered */
	uint64_t cur_line = 0;      /* its first line */
	uint64_t rows = 0;
	int rc, first = 1; /* the first line that is not blank: a header? */
	while (!(rc = or_line_next(&lines, &line, err)) && line.begin) {
		const char *row_begin = line.begin, *le = line.end;
		uint64_t ln = line.no;
		if (le == row_begin || (le - row_begin == 1 && *row_begin == '\r'))
			continue; /* blank line */
		if (first) {
			first = 0;
			if (ln == 1 && le - row_begin >= 3 && memcmp(row_begin, "\xEF\xBB\xBF", 3) == 0)
				row_begin += 3;
			if (has_letter(row_begin, le) && !fast_row(row_begin, le, &(csv_row){ 0 })) {
				/* RFC 4180: the header is the first line; after blank
				   lines it would be taken for a row */
				if (ln != 1) {
					rc = csv_fail(&c, ln, row_begin, row_begin,
						      "header after %llu blank line%s: a CSV header must be the first line",
						      (unsigned long long)(ln - 1), ln == 2 ? "" : "s");
					break;
				}
				if ((rc = parse_header(&c, row_begin, le)))
					break;
				continue;
			}
		}
		csv_row r = { 0 };
		if (!(c.canonical && fast_row(row_begin, le, &r)) &&
		    (rc = parse_row(&c, ln, row_begin, le, &r)))
			break;
		if (c.ts_unit == OR_TS_AUTO)
			c.ts_unit = or_ts_unit_guess(r.ts_raw);
		int64_t ts = r.ts_raw;
		if (c.ts_unit == OR_TS_S) {
			if (ts > OR_TS_MAX_MS / 1000) {
				rc = csv_fail(&c, ln, row_begin, row_begin,
					      "ts %lld seconds is out of range", (long long)ts);
				break;
			}
			ts *= 1000;
		}
		if (r.session != cur) {
			if (ev.n && (rc = or_ingest_add(b, c.path, cur_line, cur, &ev, err)))
				break;
			ev.n = 0;
			cur = r.session;
			cur_line = ln;
		} else if (ts < ev.ts[ev.n - 1]) {
			rc = csv_fail(&c, ln, row_begin, row_begin,
				      "ts %lld is earlier than the previous row of session %lld; rows must be grouped by session and in time order (sort -t, -k1,1n -k3,3n)",
				      (long long)r.ts_raw, (long long)cur);
			break;
		}
		if (or_evbuf_push(&ev, r.aid, ts, r.type)) {
			rc = or_err_set(err, OR_ENOMEM, "out of memory");
			break;
		}
		rows++;
	}
	if (!rc && ev.n)
		rc = or_ingest_add(b, c.path, cur_line, cur, &ev, err);
	if (!rc && rows == 0)
		rc = or_err_set(err, OR_EFORMAT, "%s: no events in the input", c.path);
	or_evbuf_release(&ev);
	return rc;
}
