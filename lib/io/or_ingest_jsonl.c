/*
 * or_ingest_jsonl.c - the OTTO JSONL reader: one session per line,
 *   {"session":42,"events":[{"aid":0,"ts":1661200010000,"type":"clicks"},...]}
 *
 * Written by hand rather than with a JSON library: the schema is fixed, and a
 * general DOM parser would allocate per value and run several times slower
 * than the 300 MB/s this reader is held to.  Each event is first tried in the
 * publisher's exact byte layout (the fast path); anything else (whitespace,
 * another key order, extra keys, type as 0/1/2) goes through the general
 * parser, which also produces the error messages.  Unknown keys are skipped.
 */
#include "or_ingest_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct jl_line {
	const char *path;
	uint64_t line;
	const char *begin; /* first byte of the line */
	const char *end;   /* one past the last byte (before '\n') */
	int ts_seconds;    /* multiply ts by 1000 */
	or_err *err;
} jl_line;

static int jl_fail(const jl_line *l, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int jl_fail(const jl_line *l, const char *at, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char found[24];
	if (at >= l->end)
		snprintf(found, sizeof(found), "end of line");
	else if ((unsigned char)*at >= 0x20 && (unsigned char)*at < 0x7f)
		snprintf(found, sizeof(found), "'%c'", *at);
	else
		snprintf(found, sizeof(found), "byte 0x%02x", (unsigned char)*at);
	return or_err_set(l->err, OR_EFORMAT, "%s:%llu:%zu: %s, found %s", l->path,
			  (unsigned long long)l->line, (size_t)(at - l->begin) + 1, what, found);
}

static inline const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/*
 * Parse a JSON integer at *pp.  what names the field for messages.
 * Returns OR_OK and advances *pp, or an error.
 */
static int parse_int(const jl_line *l, const char **pp, const char *what,
		     int64_t lo, int64_t hi, int64_t *out)
{
	const char *p = *pp, *start = p;
	int neg = 0;
	if (p < l->end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= l->end || (unsigned)(*p - '0') > 9)
		return jl_fail(l, start, "expected an integer %s", what);
	uint64_t v = 0;
	while (p < l->end && (unsigned)(*p - '0') <= 9) {
		if (v > (UINT64_MAX - 9) / 10)
			return jl_fail(l, start, "%s is too large", what);
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (p < l->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return jl_fail(l, start, "%s must be an integer (no fraction or exponent)", what);
	if (neg && v != 0)
		return jl_fail(l, start, "%s must not be negative", what);
	if (v > (uint64_t)hi || (int64_t)v < lo)
		return jl_fail(l, start, "%s out of range %lld..%lld", what, (long long)lo,
			       (long long)hi);
	*out = (int64_t)v;
	*pp = p;
	return OR_OK;
}

static int expect_char(const jl_line *l, const char **pp, char c, const char *what)
{
	const char *p = skip_ws(*pp, l->end);
	if (p >= l->end || *p != c)
		return jl_fail(l, p, "expected %s", what);
	*pp = p + 1;
	return OR_OK;
}

/* Parse a string without interpreting escapes; *s, *n view its bytes. */
static int parse_string(const jl_line *l, const char **pp, const char **s, size_t *n)
{
	const char *p = skip_ws(*pp, l->end);
	if (p >= l->end || *p != '"')
		return jl_fail(l, p, "expected a string");
	const char *q = ++p;
	while (q < l->end && *q != '"') {
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= l->end)
		return jl_fail(l, l->end, "unterminated string");
	*s = p;
	*n = (size_t)(q - p);
	*pp = q + 1;
	return OR_OK;
}

/* Skip any JSON value (for keys we do not know). */
static int skip_value(const jl_line *l, const char **pp, int depth)
{
	const char *p = skip_ws(*pp, l->end);
	if (depth > 64)
		return jl_fail(l, p, "values nested too deeply");
	if (p >= l->end)
		return jl_fail(l, p, "expected a value");
	if (*p == '"') {
		const char *s;
		size_t n;
		int rc = parse_string(l, &p, &s, &n);
		*pp = p;
		return rc;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int is_obj = *p == '{';
		p = skip_ws(p + 1, l->end);
		if (p < l->end && *p == close) {
			*pp = p + 1;
			return OR_OK;
		}
		for (;;) {
			int rc;
			if (is_obj) {
				const char *s;
				size_t n;
				if ((rc = parse_string(l, &p, &s, &n)) ||
				    (rc = expect_char(l, &p, ':', "':'")))
					return rc;
			}
			if ((rc = skip_value(l, &p, depth + 1)))
				return rc;
			p = skip_ws(p, l->end);
			if (p < l->end && *p == ',') {
				p++;
				continue;
			}
			if (p < l->end && *p == close) {
				*pp = p + 1;
				return OR_OK;
			}
			return jl_fail(l, p, "expected ',' or '%c'", close);
		}
	}
	const char *q = p;
	while (q < l->end && (strchr("+-.eE", *q) || (*q >= '0' && *q <= '9') ||
			      (*q >= 'a' && *q <= 'z')))
		q++;
	if (q == p)
		return jl_fail(l, p, "expected a value");
	*pp = q;
	return OR_OK;
}

static int key_is(const char *s, size_t n, const char *key)
{
	return strlen(key) == n && memcmp(s, key, n) == 0;
}

static int64_t ts_to_ms(const jl_line *l, int64_t ts)
{
	return l->ts_seconds ? ts * 1000 : ts;
}

/* The general event parser: any key order, whitespace, unknown keys. */
static int parse_event(const jl_line *l, const char **pp, size_t index, or_evbuf *ev)
{
	const char *p = *pp;
	int rc = expect_char(l, &p, '{', "'{' starting an event");
	if (rc)
		return rc;
	int64_t aid = -1, ts = -1, type = -1;
	const char *obj = p - 1;
	p = skip_ws(p, l->end);
	if (p < l->end && *p == '}')
		return jl_fail(l, p, "event %zu: expected keys \"aid\", \"ts\" and \"type\"", index);
	for (;;) {
		const char *s, *key_at = skip_ws(p, l->end);
		size_t n;
		if ((rc = parse_string(l, &p, &s, &n)) ||
		    (rc = expect_char(l, &p, ':', "':' after a key")))
			return rc;
		p = skip_ws(p, l->end);
		if (key_is(s, n, "aid") || key_is(s, n, "ts") || key_is(s, n, "type")) {
			int64_t *slot = s[0] == 'a' ? &aid : s[1] == 's' ? &ts : &type;
			if (*slot != -1)
				return jl_fail(l, key_at, "event %zu: key \"%.*s\" given twice", index,
					       (int)n, s);
		}
		if (key_is(s, n, "aid")) {
			rc = parse_int(l, &p, "aid", 0, OR_AID_MAX, &aid);
		} else if (key_is(s, n, "ts")) {
			int64_t hi = l->ts_seconds ? OR_TS_MAX_MS / 1000 : OR_TS_MAX_MS;
			rc = parse_int(l, &p, "ts", 0, hi, &ts);
		} else if (key_is(s, n, "type")) {
			if (p < l->end && *p == '"') {
				const char *w;
				size_t wn;
				const char *at = p;
				rc = parse_string(l, &p, &w, &wn);
				if (!rc && (type = or_type_from_word(w, wn)) < 0)
					return jl_fail(l, at, "event %zu: type must be \"clicks\", \"carts\" or \"orders\"",
						       index);
			} else {
				rc = parse_int(l, &p, "type (0, 1 or 2)", 0, 2, &type);
			}
		} else {
			rc = skip_value(l, &p, 0);
		}
		if (rc)
			return rc;
		p = skip_ws(p, l->end);
		if (p < l->end && *p == ',') {
			p++;
			continue;
		}
		if (p < l->end && *p == '}') {
			p++;
			break;
		}
		return jl_fail(l, p, "event %zu: expected ',' or '}'", index);
	}
	const char *missing = aid < 0 ? "aid" : ts < 0 ? "ts" : type < 0 ? "type" : NULL;
	if (missing)
		return jl_fail(l, obj, "event %zu: key \"%s\" is missing", index, missing);
	if (or_evbuf_push(ev, (uint32_t)aid, ts_to_ms(l, ts), (uint8_t)type))
		return or_err_set(l->err, OR_ENOMEM, "out of memory");
	*pp = p;
	return OR_OK;
}

/* Up to 19 digits at p, no bounds check beyond `limit`; NULL if none. */
static inline const char *fast_digits(const char *p, const char *limit, uint64_t *out)
{
	const char *s = p;
	uint64_t v = 0;
	while (p < limit && (unsigned)(*p - '0') <= 9) {
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*out = v;
	return p > s && p - s <= 15 ? p : NULL;
}

/*
 * The publisher's exact layout: {"aid":N,"ts":N,"type":"clicks"}.
 * Returns the byte after '}' or NULL to fall back to the general parser
 * (which then gives any error message).
 */
static inline const char *fast_event(const char *p, const char *end, or_evbuf *ev,
				     int ts_seconds)
{
	if (end - p < 56 || memcmp(p, "{\"aid\":", 7) != 0)
		return NULL;
	uint64_t aid, ts;
	p = fast_digits(p + 7, end, &aid);
	if (!p || aid > OR_AID_MAX || memcmp(p, ",\"ts\":", 6) != 0)
		return NULL;
	p = fast_digits(p + 6, end, &ts);
	if (!p || end - p < 18 || memcmp(p, ",\"type\":\"", 9) != 0)
		return NULL;
	p += 9;
	int type;
	if (memcmp(p, "clicks\"}", 8) == 0) {
		type = 0;
		p += 8;
	} else if (memcmp(p, "carts\"}", 7) == 0) {
		type = 1;
		p += 7;
	} else if (memcmp(p, "orders\"}", 8) == 0) {
		type = 2;
		p += 8;
	} else {
		return NULL;
	}
	if (ts_seconds)
		ts *= 1000;
	if (ts > (uint64_t)OR_TS_MAX_MS)
		return NULL;
	if (or_evbuf_push(ev, (uint32_t)aid, (int64_t)ts, (uint8_t)type))
		return NULL;
	return p;
}

static int parse_events(const jl_line *l, const char **pp, or_evbuf *ev)
{
	const char *p = *pp;
	int rc = expect_char(l, &p, '[', "'[' starting the events list");
	if (rc)
		return rc;
	p = skip_ws(p, l->end);
	if (p < l->end && *p == ']') {
		*pp = p + 1;
		return OR_OK;
	}
	for (size_t index = 1;; index++) {
		const char *q = fast_event(p, l->end, ev, l->ts_seconds);
		if (q) {
			p = q;
		} else if ((rc = parse_event(l, &p, index, ev))) {
			return rc;
		}
		if (p < l->end && *p == ',') {
			p++;
			continue;
		}
		p = skip_ws(p, l->end);
		if (p < l->end && *p == ',') {
			p = skip_ws(p + 1, l->end);
			continue;
		}
		if (p < l->end && *p == ']') {
			*pp = p + 1;
			return OR_OK;
		}
		return jl_fail(l, p, "expected ',' or ']' after event %zu", index);
	}
}

/* Parse one whole line into *session and ev. */
static int parse_line(const jl_line *l, int64_t *session, or_evbuf *ev)
{
	const char *p = l->begin;
	int rc = expect_char(l, &p, '{', "'{' starting a session object");
	if (rc)
		return rc;
	int have_session = 0, have_events = 0;
	const char *obj = p - 1;
	for (;;) {
		const char *s, *key_at = skip_ws(p, l->end);
		size_t n;
		if ((rc = parse_string(l, &p, &s, &n)) ||
		    (rc = expect_char(l, &p, ':', "':' after a key")))
			return rc;
		p = skip_ws(p, l->end);
		if (key_is(s, n, "session")) {
			if (have_session++)
				return jl_fail(l, key_at, "key \"session\" given twice");
			rc = parse_int(l, &p, "session id", 0, INT64_MAX, session);
		} else if (key_is(s, n, "events")) {
			if (have_events++)
				return jl_fail(l, key_at, "key \"events\" given twice");
			rc = parse_events(l, &p, ev);
		} else {
			rc = skip_value(l, &p, 0);
		}
		if (rc)
			return rc;
		p = skip_ws(p, l->end);
		if (p < l->end && *p == ',') {
			p++;
			continue;
		}
		if (p < l->end && *p == '}')
			break;
		return jl_fail(l, p, "expected ',' or '}' in the session object");
	}
	p = skip_ws(p + 1, l->end);
	if (p < l->end)
		return jl_fail(l, p, "expected the end of the line after the session object");
	if (!have_session)
		return jl_fail(l, obj, "key \"session\" is missing");
	if (!have_events)
		return jl_fail(l, obj, "key \"events\" is missing");
	if (ev->n == 0)
		return jl_fail(l, obj, "session %lld has no events (\"events\" is empty)",
			       (long long)*session);
	return OR_OK;
}

static int is_blank(const char *p, const char *end)
{
	return skip_ws(p, end) == end;
}

int or_ingest_jsonl(or_store_builder *b, or_input *in,
		    const or_ingest_config *cfg, const or_log *log, or_err *err)
{
	or_evbuf ev = { 0 };
	jl_line l = { .path = or_input_path(in), .err = err,
		      .ts_seconds = cfg->ts_unit == OR_TS_S };
	or_line_reader lines;
	or_line_reader_init(&lines, in, "read", log);
	or_line line;
	uint64_t sessions = 0;
	int rc;
	while (!(rc = or_line_next(&lines, &line, err)) && line.begin) {
		if (is_blank(line.begin, line.end))
			continue;
		l.line = line.no;
		l.begin = line.begin;
		l.end = line.end;
		int64_t session = 0;
		ev.n = 0;
		rc = parse_line(&l, &session, &ev);
		if (!rc)
			rc = or_ingest_add(b, l.path, l.line, session, &ev, err);
		if (rc)
			break;
		sessions++;
	}
	if (!rc && sessions == 0)
		rc = or_err_set(err, OR_EFORMAT, "%s: no sessions in the input", l.path);
	or_evbuf_release(&ev);
	return rc;
}
