/*
 * or_ingest_jsonl.c - the OTTO JSONL reader: one session per line,
 *   {"session":42,"events":[{"aid":0,"ts":1661200010000,"type":"clicks"},...]}
 *
 * Written by hand rather than with a JSON library: the schema is fixed, and a
 * general DOM parser would allocate per value and run several times slower
 * than the 300 MB/s this reader is held to.  Each event is first tried in the
 * publisher's exact byte layout (the fast path); anything else (whitespace,
 * another key order, extra keys, type as 0/1/2) goes through the general
 * parser, which also produces the error messages; its lexing (strings,
 * numbers, skipping the values of unknown keys) is or_json.h's strict
 * scanner.  Unknown keys are skipped.
 */
#include "or_ingest_internal.h"
#include "or_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct jl_line {
	const char *path;
	uint64_t line;
	or_json j;         /* the line and the cursor */
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
	if (at >= l->j.end)
		snprintf(found, sizeof(found), "end of line");
	else if ((unsigned char)*at >= 0x20 && (unsigned char)*at < 0x7f)
		snprintf(found, sizeof(found), "'%c'", *at);
	else
		snprintf(found, sizeof(found), "byte 0x%02x", (unsigned char)*at);
	return or_err_set(l->err, OR_EFORMAT, "%s:%llu:%zu: %s, found %s", l->path,
			  (unsigned long long)l->line, (size_t)(at - l->j.begin) + 1, what, found);
}

/* The scanner's error (or_json.h), as jl_fail words it. */
static int jl_scan_fail(const jl_line *l)
{
	return jl_fail(l, l->j.err_at, "%s", l->j.err_what);
}

/*
 * A JSON integer at the cursor in lo..hi (lo >= 0).  what names the field
 * for messages.  Returns OR_OK and advances the cursor, or an error at the
 * number.  "-0" is refused like every other minus sign: JSON (RFC 8259)
 * allows it, but OTTO's fields are non-negative integers, no writer of
 * integers (Python's json, pandas) produces it, and it only comes from a
 * negative float gone through a cast.  Leading zeros ("01") are not JSON.
 */
static int parse_int(jl_line *l, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
	const char *start = l->j.p;
	int neg;
	uint64_t v;
	switch (or_json_int(&l->j, &neg, &v)) {
	case OR_JSON_INT_OK:
		break;
	case OR_JSON_INT_NONE:
		return jl_fail(l, start, "expected an integer %s", what);
	case OR_JSON_INT_LEADING_ZERO:
		return jl_fail(l, start, "%s has a leading zero", what);
	case OR_JSON_INT_OVERFLOW:
		return jl_fail(l, start, "%s is too large", what);
	default:
		return jl_fail(l, start, "%s must be an integer (no fraction or exponent)", what);
	}
	if (neg)
		return jl_fail(l, start, "%s must not be negative%s", what, v ? "" : " (-0: write 0)");
	if (v > (uint64_t)hi || (int64_t)v < lo)
		return jl_fail(l, start, "%s out of range %lld..%lld", what, (long long)lo,
			       (long long)hi);
	*out = (int64_t)v;
	return OR_OK;
}

static int expect_char(jl_line *l, char c, const char *what)
{
	return or_json_expect(&l->j, c, what) ? jl_scan_fail(l) : OR_OK;
}

/* A key, then ':'; *key_at is where the key starts.  A key longer than
   key's room (or with an escape beyond ASCII) is read as "" (unknown). */
static int parse_key(jl_line *l, char *key, size_t cap, const char **key_at)
{
	int fits;
	or_json_ws(&l->j);
	*key_at = l->j.p;
	if (or_json_string(&l->j, key, cap, &fits) ||
	    or_json_expect(&l->j, ':', "expected ':' after a key"))
		return jl_scan_fail(l);
	if (!fits)
		key[0] = '\0';
	or_json_ws(&l->j);
	return OR_OK;
}

static int64_t ts_to_ms(const jl_line *l, int64_t ts)
{
	return l->ts_seconds ? ts * 1000 : ts;
}

/* The general event parser: any key order, whitespace, unknown keys. */
static int parse_event(jl_line *l, size_t index, or_evbuf *ev)
{
	int rc = expect_char(l, '{', "expected '{' starting an event");
	if (rc)
		return rc;
	int64_t aid = -1, ts = -1, type = -1;
	const char *obj = l->j.p - 1;
	if (or_json_peek(&l->j) == '}')
		return jl_fail(l, l->j.p, "event %zu: expected keys \"aid\", \"ts\" and \"type\"", index);
	for (;;) {
		char key[8];
		const char *key_at;
		if ((rc = parse_key(l, key, sizeof(key), &key_at)))
			return rc;
		int64_t *slot = !strcmp(key, "aid") ? &aid : !strcmp(key, "ts") ? &ts :
				!strcmp(key, "type") ? &type : NULL;
		if (slot && *slot != -1)
			return jl_fail(l, key_at, "event %zu: key \"%s\" given twice", index, key);
		if (slot == &aid) {
			rc = parse_int(l, "aid", 0, OR_AID_MAX, &aid);
		} else if (slot == &ts) {
			int64_t hi = l->ts_seconds ? OR_TS_MAX_MS / 1000 : OR_TS_MAX_MS;
			rc = parse_int(l, "ts", 0, hi, &ts);
		} else if (slot == &type) {
			if (or_json_peek(&l->j) == '"') {
				char w[8];
				int fits;
				const char *at = l->j.p;
				if (or_json_string(&l->j, w, sizeof(w), &fits))
					return jl_scan_fail(l);
				if (!fits || (type = or_type_from_word(w, strlen(w))) < 0)
					return jl_fail(l, at, "event %zu: type must be \"clicks\", \"carts\" or \"orders\"",
						       index);
			} else {
				rc = parse_int(l, "type (0, 1 or 2)", 0, 2, &type);
			}
		} else if (or_json_skip(&l->j)) {
			return jl_scan_fail(l);
		}
		if (rc)
			return rc;
		if (or_json_eat(&l->j, ','))
			continue;
		if (or_json_eat(&l->j, '}'))
			break;
		return jl_fail(l, l->j.p, "event %zu: expected ',' or '}'", index);
	}
	const char *missing = aid < 0 ? "aid" : ts < 0 ? "ts" : type < 0 ? "type" : NULL;
	if (missing)
		return jl_fail(l, obj, "event %zu: key \"%s\" is missing", index, missing);
	if (or_evbuf_push(ev, (uint32_t)aid, ts_to_ms(l, ts), (uint8_t)type))
		return or_err_set(l->err, OR_ENOMEM, "out of memory");
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

static int parse_events(jl_line *l, or_evbuf *ev)
{
	or_json *j = &l->j;
	int rc = expect_char(l, '[', "expected '[' starting the events list");
	if (rc)
		return rc;
	if (or_json_eat(j, ']'))
		return OR_OK;
	for (size_t index = 1;; index++) {
		const char *q = fast_event(j->p, j->end, ev, l->ts_seconds);
		if (q) {
			j->p = q;
		} else if ((rc = parse_event(l, index, ev))) {
			return rc;
		}
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (or_json_eat(j, ',')) {
			or_json_ws(j);
			continue;
		}
		if (or_json_eat(j, ']'))
			return OR_OK;
		return jl_fail(l, j->p, "expected ',' or ']' after event %zu", index);
	}
}

/* Parse the whole line (l->j) into *session and its events appended to ev. */
static int parse_line(jl_line *l, int64_t *session, or_evbuf *ev)
{
	or_json *j = &l->j;
	const size_t n0 = ev->n;
	int rc = expect_char(l, '{', "expected '{' starting a session object");
	if (rc)
		return rc;
	int have_session = 0, have_events = 0;
	const char *obj = j->p - 1;
	for (;;) {
		char key[8];
		const char *key_at;
		if ((rc = parse_key(l, key, sizeof(key), &key_at)))
			return rc;
		if (!strcmp(key, "session")) {
			if (have_session++)
				return jl_fail(l, key_at, "key \"session\" given twice");
			rc = parse_int(l, "session id", 0, INT64_MAX, session);
		} else if (!strcmp(key, "events")) {
			if (have_events++)
				return jl_fail(l, key_at, "key \"events\" given twice");
			rc = parse_events(l, ev);
		} else if (or_json_skip(j)) {
			return jl_scan_fail(l);
		}
		if (rc)
			return rc;
		if (or_json_eat(j, ','))
			continue;
		if (or_json_eat(j, '}'))
			break;
		return jl_fail(l, j->p, "expected ',' or '}' in the session object");
	}
	if (or_json_peek(j) >= 0)
		return jl_fail(l, j->p, "expected the end of the line after the session object");
	if (!have_session)
		return jl_fail(l, obj, "key \"session\" is missing");
	if (!have_events)
		return jl_fail(l, obj, "key \"events\" is missing");
	if (ev->n == n0)
		return jl_fail(l, obj, "session %lld has no events (\"events\" is empty)",
			       (long long)*session);
	return OR_OK;
}

int or_ingest_jsonl_line(const char *begin, const char *end, const char *what, uint64_t line,
			 int64_t *session, or_evbuf *ev, or_err *err)
{
	jl_line l = { .path = what, .line = line, .err = err };
	or_json_init(&l.j, begin, end);
	return parse_line(&l, session, ev);
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
		or_json_init(&l.j, line.begin, line.end);
		if (or_json_peek(&l.j) < 0)
			continue; /* blank line */
		l.j.p = line.begin;
		l.line = line.no;
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
