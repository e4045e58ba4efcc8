/*
 * or_json.h - a strict JSON scanner over one line of text (RFC 8259's
 * grammar): whitespace, punctuation, strings (escapes decoded far enough
 * to compare keys), integers, and skipping any value.  The lexical half of
 * the library's JSON-lines readers (events JSONL, lib/io/or_ingest_jsonl.c;
 * labels JSONL, lib/io/or_labels.c), which own their schemas and their
 * messages.  Written by hand: both schemas are fixed, and a DOM parser
 * would allocate per value.  No allocation; nesting is bounded by
 * OR_JSON_MAX_DEPTH.
 *
 * Errors: a function that returns -1 has recorded where (err_at) and what
 * (err_what, a static text such as "unterminated string") through
 * or_json_fail; the reader turns that into "path:line:column: what"
 * (column = err_at - begin + 1).  or_json_int reports its own codes so
 * that a reader can name the field ("aid must not be negative").
 */
#ifndef OR_JSON_H
#define OR_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OR_JSON_MAX_DEPTH 64

typedef struct or_json {
	const char *p;        /* the cursor */
	const char *begin;    /* the line: columns count from here */
	const char *end;      /* one past its last byte */
	const char *err_at;   /* the first error: where, */
	const char *err_what; /* and what was expected */
} or_json;

static inline void or_json_init(or_json *j, const char *begin, const char *end)
{
	j->p = j->begin = begin;
	j->end = end;
	j->err_at = j->err_what = NULL;
}

static inline void or_json_ws(or_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

/* After whitespace: the next byte, or -1 at the end of the line. */
static inline int or_json_peek(or_json *j)
{
	or_json_ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

/* After whitespace: 1 and past it when the next byte is ch, else 0. */
static inline int or_json_eat(or_json *j, char ch)
{
	if (or_json_peek(j) != (unsigned char)ch)
		return 0;
	j->p++;
	return 1;
}

/* Record an error at `at` (what: a static text); returns -1. */
int or_json_fail(or_json *j, const char *at, const char *what);

/* After whitespace, the byte ch (what names the error otherwise). */
static inline int or_json_expect(or_json *j, char ch, const char *what)
{
	if (or_json_eat(j, ch))
		return 0;
	return or_json_fail(j, j->p, what);
}

/* or_json_string past the opening quote, for strings with escapes (in
   or_json.c). */
int or_json_string_slow(or_json *j, char *buf, size_t cap, int *fits);

/* A string, after whitespace.  Its decoded bytes go to buf while they fit
   (cap includes the terminator; buf is always terminated when cap > 0);
   *fits says whether all did.  \uXXXX below 0x80 becomes that byte, any
   other code point (and \u0000) makes *fits 0: enough to compare keys.
   Plain strings inline (the readers' keys), the rest in or_json.c. */
static inline int or_json_string(or_json *j, char *buf, size_t cap, int *fits)
{
	if (or_json_peek(j) != '"')
		return or_json_fail(j, j->p, "expected a string");
	const char *q = ++j->p;
	while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q >= j->end || *q != '"')
		return or_json_string_slow(j, buf, cap, fits);
	size_t len = (size_t)(q - j->p);
	*fits = len < cap;
	if (*fits) {
		memcpy(buf, j->p, len);
		buf[len] = '\0';
	} else if (cap) {
		buf[0] = '\0';
	}
	j->p = q + 1;
	return 0;
}

/* or_json_int's results: */
enum {
	OR_JSON_INT_OK = 0,
	OR_JSON_INT_NONE,         /* no digit at the cursor */
	OR_JSON_INT_LEADING_ZERO, /* 0 followed by a digit */
	OR_JSON_INT_OVERFLOW,     /* the magnitude is above UINT64_MAX */
	OR_JSON_INT_FRACTION      /* followed by '.', 'e' or 'E' */
};

/* An integer -?(0|[1-9][0-9]*) at the cursor (no whitespace skipped): its
   sign (*neg, "-0" included) and magnitude.  OR_JSON_INT_OK advances the
   cursor past it; any other result leaves the cursor at the number's start
   and records nothing: the reader words the message. */
static inline int or_json_int(or_json *j, int *neg, uint64_t *mag)
{
	const char *p = j->p, *e = j->end;
	*neg = p < e && *p == '-';
	p += *neg;
	if (p >= e || (unsigned)(*p - '0') > 9)
		return OR_JSON_INT_NONE;
	if (*p == '0' && p + 1 < e && (unsigned)(p[1] - '0') <= 9)
		return OR_JSON_INT_LEADING_ZERO;
	uint64_t v = 0;
	for (; p < e && (unsigned)(*p - '0') <= 9; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return OR_JSON_INT_OVERFLOW;
		v = v * 10 + d;
	}
	if (p < e && (*p == '.' || *p == 'e' || *p == 'E'))
		return OR_JSON_INT_FRACTION;
	*mag = v;
	j->p = p;
	return OR_JSON_INT_OK;
}

/* The literal word (true, false, null) at the cursor. */
int or_json_literal(or_json *j, const char *word);

/* Skip any value (after whitespace), nested at most OR_JSON_MAX_DEPTH. */
int or_json_skip(or_json *j);

#endif
