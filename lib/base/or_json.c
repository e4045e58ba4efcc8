/* or_json.c - the strict one-line JSON scanner (see or_json.h). */
#include "or_json.h"

#include <string.h>

int or_json_fail(or_json *j, const char *at, const char *what)
{
	if (!j->err_what) {
		j->err_at = at;
		j->err_what = what;
	}
	return -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int or_json_string_slow(or_json *j, char *buf, size_t cap, int *fits)
{
	size_t n = 0;
	*fits = 1;
	for (;;) {
		if (j->p >= j->end)
			return or_json_fail(j, j->p, "unterminated string");
		unsigned char ch = (unsigned char)*j->p;
		if (ch == '"') {
			j->p++;
			break;
		}
		if (ch < 0x20)
			return or_json_fail(j, j->p, "control character in string");
		int out = ch;
		if (ch == '\\') {
			if (j->end - j->p < 2)
				return or_json_fail(j, j->p, "unterminated string");
			char e = j->p[1];
			switch (e) {
			case '"': case '\\': case '/': out = e; break;
			case 'b': out = '\b'; break;
			case 'f': out = '\f'; break;
			case 'n': out = '\n'; break;
			case 'r': out = '\r'; break;
			case 't': out = '\t'; break;
			case 'u': {
				if (j->end - j->p < 6)
					return or_json_fail(j, j->p, "truncated \\u escape");
				int v = 0;
				for (int k = 2; k < 6; k++) {
					int h = hexval(j->p[k]);
					if (h < 0)
						return or_json_fail(j, j->p, "bad \\u escape");
					v = v * 16 + h;
				}
				out = v < 0x80 ? v : -1;
				j->p += 4;
				break;
			}
			default:
				return or_json_fail(j, j->p, "bad escape in string");
			}
			j->p += 2;
		} else {
			j->p++;
		}
		if (out <= 0 || n + 1 >= cap)
			*fits = 0;
		else
			buf[n++] = (char)out;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return 0;
}

static inline int is_digit(const or_json *j, const char *p)
{
	return p < j->end && *p >= '0' && *p <= '9';
}

int or_json_literal(or_json *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return or_json_fail(j, j->p, "expected a JSON value");
	j->p += n;
	return 0;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at the cursor. */
static int number(or_json *j)
{
	if (*j->p == '-')
		j->p++;
	if (!is_digit(j, j->p))
		return or_json_fail(j, j->p, "bad number");
	if (*j->p == '0' && is_digit(j, j->p + 1))
		return or_json_fail(j, j->p, "leading zero in a number");
	while (is_digit(j, j->p))
		j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!is_digit(j, j->p))
			return or_json_fail(j, j->p, "bad number");
		while (is_digit(j, j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!is_digit(j, j->p))
			return or_json_fail(j, j->p, "bad number");
		while (is_digit(j, j->p))
			j->p++;
	}
	return 0;
}

static int skip(or_json *j, int depth)
{
	if (depth > OR_JSON_MAX_DEPTH)
		return or_json_fail(j, j->p, "JSON nested too deeply");
	int ch = or_json_peek(j), fits;
	char none[1];
	if (ch < 0)
		return or_json_fail(j, j->p, "expected a JSON value");
	if (ch == '"')
		return or_json_string(j, none, 0, &fits);
	if (ch == 't')
		return or_json_literal(j, "true");
	if (ch == 'f')
		return or_json_literal(j, "false");
	if (ch == 'n')
		return or_json_literal(j, "null");
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return number(j);
	if (ch != '{' && ch != '[')
		return or_json_fail(j, j->p, "expected a JSON value");
	char close = ch == '{' ? '}' : ']';
	j->p++;
	if (or_json_eat(j, close))
		return 0;
	for (;;) {
		if (ch == '{' && (or_json_string(j, none, 0, &fits) ||
				  or_json_expect(j, ':', "expected ':' after a key")))
			return -1;
		if (skip(j, depth + 1))
			return -1;
		if (or_json_eat(j, ','))
			continue;
		return or_json_expect(j, close, ch == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

int or_json_skip(or_json *j) { return skip(j, 1); }
