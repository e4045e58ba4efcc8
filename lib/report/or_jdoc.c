/* or_jdoc.c - the JSON tree of or_jdoc.h over or_json's scanner. */
#include "or_jdoc.h"

#include "or_json.h"

#include <stdlib.h>
#include <string.h>

typedef struct parser {
	or_json j;
	int depth;
	int oom;
} parser;

static int value(parser *p, or_jv *out);

/* A string value: decoded into a buffer as long as the raw text (enough). */
static int string(parser *p, char **out)
{
	size_t cap = (size_t)(p->j.end - p->j.p) + 1;
	char *buf = malloc(cap);
	if (!buf) {
		p->oom = 1;
		return or_json_fail(&p->j, p->j.p, "out of memory");
	}
	int fits;
	if (or_json_string(&p->j, buf, cap, &fits)) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static int digits(const char **q, const char *e)
{
	const char *s = *q;
	while (*q < e && (unsigned)(**q - '0') <= 9)
		(*q)++;
	return *q > s;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? then strtod of a copy. */
static int number(parser *p, or_jv *out)
{
	const char *s = p->j.p, *q = s, *e = p->j.end;
	if (q < e && *q == '-')
		q++;
	if (q < e && *q == '0')
		q++;
	else if (!digits(&q, e))
		return or_json_fail(&p->j, s, "expected a value");
	if (q < e && (unsigned)(*q - '0') <= 9)
		return or_json_fail(&p->j, q, "a number must not have a leading zero");
	if (q < e && *q == '.') {
		q++;
		if (!digits(&q, e))
			return or_json_fail(&p->j, q, "expected a digit after '.'");
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (!digits(&q, e))
			return or_json_fail(&p->j, q, "expected a digit in the exponent");
	}
	char buf[64];
	size_t len = (size_t)(q - s);
	if (len >= sizeof(buf))
		return or_json_fail(&p->j, s, "a number longer than 63 characters");
	memcpy(buf, s, len);
	buf[len] = '\0';
	out->kind = OR_JV_NUM;
	out->num = strtod(buf, NULL);
	p->j.p = q;
	return 0;
}

/* Append a member to a container (keys NULL for arrays). */
static or_jv *push(parser *p, or_jv *c, size_t *cap, int keyed)
{
	if (c->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 4;
		or_jv *it = realloc(c->items, nc * sizeof(*it));
		if (it)
			c->items = it;
		char **k = keyed && it ? realloc(c->keys, nc * sizeof(*k)) : NULL;
		if (keyed && k)
			c->keys = k;
		if (!it || (keyed && !k)) {
			p->oom = 1;
			or_json_fail(&p->j, p->j.p, "out of memory");
			return NULL;
		}
		*cap = nc;
	}
	or_jv *v = &c->items[c->n];
	memset(v, 0, sizeof(*v));
	if (keyed)
		c->keys[c->n] = NULL;
	c->n++;
	return v;
}

static int container(parser *p, or_jv *out, int obj)
{
	if (++p->depth > OR_JSON_MAX_DEPTH)
		return or_json_fail(&p->j, p->j.p, "nested too deep");
	out->kind = obj ? OR_JV_OBJ : OR_JV_ARR;
	p->j.p++;
	size_t cap = 0;
	const char close = obj ? '}' : ']';
	if (or_json_eat(&p->j, close)) {
		p->depth--;
		return 0;
	}
	for (;;) {
		or_jv *v = push(p, out, &cap, obj);
		if (!v)
			return -1;
		if (obj) {
			if (string(p, &out->keys[out->n - 1]) ||
			    or_json_expect(&p->j, ':', "expected ':' after a key"))
				return -1;
		}
		if (value(p, v))
			return -1;
		if (or_json_eat(&p->j, close))
			break;
		if (or_json_expect(&p->j, ',', obj ? "expected ',' or '}'" : "expected ',' or ']'"))
			return -1;
	}
	p->depth--;
	return 0;
}

static int value(parser *p, or_jv *out)
{
	int c = or_json_peek(&p->j);
	switch (c) {
	case '{': return container(p, out, 1);
	case '[': return container(p, out, 0);
	case '"':
		out->kind = OR_JV_STR;
		return string(p, &out->str);
	case 't':
	case 'f':
		out->kind = OR_JV_BOOL;
		out->num = c == 't';
		return or_json_literal(&p->j, c == 't' ? "true" : "false");
	case 'n':
		out->kind = OR_JV_NULL;
		return or_json_literal(&p->j, "null");
	case -1: return or_json_fail(&p->j, p->j.p, "expected a value, found the end");
	default: return number(p, out);
	}
}

int or_jdoc_parse(const char *text, size_t len, const char *what, or_jv *out, or_err *err)
{
	memset(out, 0, sizeof(*out));
	parser p;
	memset(&p, 0, sizeof(p));
	or_json_init(&p.j, text, text + len);
	int rc = value(&p, out);
	if (!rc && or_json_peek(&p.j) != -1)
		rc = or_json_fail(&p.j, p.j.p, "expected the end after the value");
	if (!rc)
		return OR_OK;
	or_jdoc_release(out);
	return or_err_set(err, p.oom ? OR_ENOMEM : OR_EFORMAT, "%s:%zu: %s", what,
			  (size_t)(p.j.err_at - p.j.begin) + 1, p.j.err_what);
}

void or_jdoc_release(or_jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		or_jdoc_release(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const or_jv *or_jdoc_get(const or_jv *v, const char *key)
{
	if (!v || v->kind != OR_JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (v->keys[i] && !strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

int or_jdoc_num(const or_jv *v, const char *key, double *out)
{
	const or_jv *m = or_jdoc_get(v, key);
	if (!m || m->kind != OR_JV_NUM)
		return 0;
	*out = m->num;
	return 1;
}

const char *or_jdoc_str(const or_jv *v, const char *key)
{
	const or_jv *m = or_jdoc_get(v, key);
	return m && m->kind == OR_JV_STR ? m->str : NULL;
}

const or_jv *or_jdoc_arr(const or_jv *v, const char *key)
{
	const or_jv *m = or_jdoc_get(v, key);
	return m && m->kind == OR_JV_ARR ? m : NULL;
}
