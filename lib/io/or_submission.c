/*
 * or_submission.c - the submission CSV reader (rules in or_submission.h):
 * a hand-written line parser over or_input's chunks, no allocation per row.
 */
#include "or_submission.h"
#include "or_input.h"
#include "or_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void or_submission_config_default(or_submission_config *cfg)
{
	cfg->lenient = 0;
	cfg->keep = 20;
	cfg->max_line = (size_t)1 << 20;
}

/* What Python's str.strip() removes, in ASCII. */
static int is_strip(unsigned char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= 0x1c && ch <= 0x1f);
}

static int bad(or_err *err, const char *line, const char *at, const char *what)
{
	return or_err_set(err, OR_EFORMAT, "col %zu: %s", (size_t)(at - line) + 1, what);
}

/* [+-]?[0-9]+ from p to end exactly; 1 if it fits int64, 0 if it does not,
   -1 if it is not an integer at all. */
static int parse_int(const char *p, const char *end, int64_t *out)
{
	int neg = 0;
	if (p < end && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	if (p >= end)
		return -1;
	uint64_t v = 0;
	int fits = 1;
	for (; p < end; p++) {
		unsigned d = (unsigned)(unsigned char)*p - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_C(9223372036854775808) - d) / 10)
			fits = 0;
		else
			v = v * 10 + d;
	}
	if (!fits || (!neg && v > (uint64_t)INT64_MAX))
		return 0;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

int or_submission_parse_line(const char *s, size_t len, int64_t *aids,
			     size_t keep, or_sub_row *row, or_err *err)
{
	const char *p = s, *end = s + len;
	while (p < end && is_strip((unsigned char)*p))
		p++;
	while (end > p && is_strip((unsigned char)end[-1]))
		end--;
	if (p == end)
		return bad(err, s, p, "empty line");
	const char *comma = memchr(p, ',', (size_t)(end - p));
	if (!comma)
		return bad(err, s, end, "expected SESSION_TYPE,AIDS (no ',')");
	const char *us = memchr(p, '_', (size_t)(comma - p));
	if (!us)
		return bad(err, s, p, "expected SESSION_TYPE such as 42_clicks (no '_')");
	const char *us2 = memchr(us + 1, '_', (size_t)(comma - us - 1));
	if (us2)
		return bad(err, s, us2, "a second '_' in SESSION_TYPE");
	int r = parse_int(p, us, &row->session);
	if (r < 0)
		return bad(err, s, p, "session id is not an integer");
	if (r == 0)
		return bad(err, s, p, "session id out of range");
	size_t tl = (size_t)(comma - us - 1);
	const char *t = us + 1;
	if (tl == 6 && !memcmp(t, "clicks", 6))
		row->type = OR_CLICKS;
	else if (tl == 5 && !memcmp(t, "carts", 5))
		row->type = OR_CARTS;
	else if (tl == 6 && !memcmp(t, "orders", 6))
		row->type = OR_ORDERS;
	else
		return bad(err, s, t, "type must be clicks, carts or orders");
	/* the aids: one pass, digits accumulated without a division; only a
	   token of more than 18 digits goes through the checked parser */
	size_t n = 0;
	const char *q = comma + 1;
	while (q < end) {
		if (end - q >= 8) {
			/* fast path: up to 7 digits read as one 8-byte word */
			uint64_t w;
			memcpy(&w, q, 8);
			uint64_t dv = w ^ 0x3030303030303030ull; /* digits -> 0..9 */
			/* top bit of a byte set for its first non-digit: no carry
			   reaches a byte from the digit bytes below it */
			uint64_t nd = (dv | (dv + 0x7676767676767676ull)) & 0x8080808080808080ull;
			if (nd) {
				unsigned dl = (unsigned)__builtin_ctzll(nd) >> 3;
				char after = q[dl];
				if (dl > 0 && after == ' ') {
					uint64_t v = (dv & 0x0F0F0F0F0F0F0F0Full) << (8 * (8 - dl));
					v = (v * 2561) >> 8;
					v = ((v & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
					v = ((v & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
					if (n < keep)
						aids[n] = (int64_t)v;
					n++;
					q += dl + 1;
					if (q == end)
						return bad(err, s, q, "empty aid after a space");
					continue;
				}
			}
		}
		const char *x = q;
		if (*x == '+' || *x == '-')
			x++;
		const char *digits = x;
		uint64_t v = 0;
		for (; x < end; x++) {
			unsigned d = (unsigned)(unsigned char)*x - '0';
			if (d > 9)
				break;
			v = v * 10 + d;
		}
		if (x < end && *x != ' ')
			return bad(err, s, *x == ',' ? x : q,
				   *x == ',' ? "a second ',' (expected SESSION_TYPE,AIDS with aids separated by spaces)"
					     : "aid is not an integer");
		if (x == digits)
			return bad(err, s, q, "empty aid (two spaces in a row, or a space at the start)");
		int64_t a;
		if (x - digits <= 18)
			a = *q == '-' ? -(int64_t)v : (int64_t)v;
		else if (parse_int(q, x, &a) != 1)
			a = -1; /* beyond int64: matches no label */
		if (n < keep)
			aids[n] = a;
		n++;
		if (x == end)
			break;
		q = x + 1;
		if (q == end)
			return bad(err, s, q, "empty aid after a space");
	}
	row->n = n;
	row->n_kept = n < keep ? n : keep;
	row->aids = aids;
	return OR_OK;
}

static int blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!is_strip((unsigned char)*p))
			return 0;
	return 1;
}

int or_submission_read(const char *path, const or_submission_config *cfg,
		       or_sub_row_fn fn, void *ctx, or_submission_stats *stats,
		       const or_log *log, or_err *err)
{
	or_submission_config def;
	if (!cfg) {
		or_submission_config_default(&def);
		cfg = &def;
	}
	or_submission_stats st;
	memset(&st, 0, sizeof(st));
	size_t max_line = cfg->max_line ? cfg->max_line : (size_t)1 << 20;
	size_t keep = cfg->keep;
	size_t cap = keep ? keep : max_line / 2 + 1;
	int64_t *aids = malloc(cap * sizeof(*aids));
	if (!aids)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	or_input *in = NULL;
	int rc = or_input_open(path, max_line, &in, err);
	if (rc) {
		free(aids);
		return rc;
	}
	const char *name = or_input_path(in);
	or_err perr;
	or_line_reader lines;
	or_line_reader_init(&lines, in, "read submission", log);
	or_line ln;
	while (!(rc = or_line_next(&lines, &ln, err)) && ln.begin) {
		const char *p = ln.begin, *le = ln.end;
		uint64_t line = ln.no;
		st.lines++;
		or_sub_row row;
		if (line == 1) {
			/* the header: skipped whatever it is, as evaluate.py does */
			st.header_is_row = !blank(p, le) &&
				or_submission_parse_line(p, (size_t)(le - p), aids, cap, &row, &perr) == OR_OK;
			continue;
		}
		if (blank(p, le)) {
			st.blank++;
			continue;
		}
		if (or_submission_parse_line(p, (size_t)(le - p), aids, cap, &row, &perr)) {
			if (!cfg->lenient) {
				rc = or_err_set(err, OR_EFORMAT, "%s:%llu:%s (use --lenient to skip such lines)",
						name, (unsigned long long)line, perr.msg + 4);
				break;
			}
			if (st.malformed++ == 0) {
				st.first_malformed_line = line;
				snprintf(st.first_malformed, sizeof(st.first_malformed), "%.80s:%llu:%.150s",
					 name, (unsigned long long)line, perr.msg + 4);
			}
			continue;
		}
		row.line = line;
		st.rows++;
		if ((rc = fn(ctx, &row, err)))
			break;
	}
	or_input_close(in);
	free(aids);
	if (stats)
		*stats = st;
	return rc;
}
