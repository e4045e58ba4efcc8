/*
 * serve_request.c - parsing `ottorec serve`'s request bodies into a batch
 * of sessions and writing the answer lines (see serve_request.h).  The
 * JSON is lib/io's OTTO JSONL line parser; the event rules are the store
 * builder's (or_store_check_session).
 */
#include "serve_request.h"
#include "or_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void serve_limits_default(serve_limits *l)
{
	l->max_body = 1u << 20;
	l->max_sessions = 1000;
	l->max_events = 10000;
}

void serve_batch_release(serve_batch *b)
{
	or_evbuf_release(&b->ev);
	free(b->sid);
	free(b->off);
	free(b->items);
	memset(b, 0, sizeof(*b));
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Room for n sessions: sid[n], off[n + 1] (one capacity for both). */
static int reserve_sessions(serve_batch *b, size_t n, or_err *err)
{
	if (n + 1 <= b->cap_s)
		return OR_OK;
	size_t c = b->cap_s ? b->cap_s : 16;
	while (c < n + 1)
		c *= 2;
	int64_t *sid = realloc(b->sid, c * sizeof(*sid));
	if (sid)
		b->sid = sid;
	uint64_t *off = sid ? realloc(b->off, c * sizeof(*off)) : NULL;
	if (!off)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	b->off = off;
	b->cap_s = c;
	return OR_OK;
}

static int add_session(serve_batch *b, int64_t id, or_err *err)
{
	int rc = reserve_sessions(b, b->ns + 1, err);
	if (rc)
		return rc;
	b->sid[b->ns++] = id;
	b->off[b->ns] = b->ev.n;
	return OR_OK;
}

int serve_batch_parse(serve_batch *b, const char *body, size_t len, const serve_limits *lim,
		      or_err *err)
{
	b->ev.n = 0;
	b->ns = 0;
	b->n_items = 0;
	int rc = reserve_sessions(b, 1, err);
	if (rc)
		return rc;
	b->off[0] = 0;
	const char *p = body, *end = body + len;
	for (uint64_t line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *q = p;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e) {
			if (b->ns == lim->max_sessions)
				return or_err_set(err, OR_EFORMAT,
						  "request:%llu: more than %zu sessions in one request (--max-sessions)",
						  (unsigned long long)line, lim->max_sessions);
			int64_t id = 0;
			size_t e0 = b->ev.n;
			rc = or_ingest_jsonl_line(p, e, "request", line, &id, &b->ev, err);
			if (rc)
				return rc;
			size_t n = b->ev.n - e0;
			if (n > lim->max_events)
				return or_err_set(err, OR_EFORMAT,
						  "request:%llu: session %lld has %zu events, more than %zu (--max-events)",
						  (unsigned long long)line, (long long)id, n, lim->max_events);
			or_err inner;
			if (or_store_check_session(n, b->ev.aid + e0, b->ev.ts + e0, b->ev.type + e0, &inner))
				return or_err_set(err, OR_EFORMAT, "request:%llu: session %lld: %s",
						  (unsigned long long)line, (long long)id, inner.msg);
			if ((rc = add_session(b, id, err)))
				return rc;
		}
		p = nl ? nl + 1 : end;
	}
	if (b->ns == 0)
		return or_err_set(err, OR_EFORMAT, "request: no session line in the body");
	return OR_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int serve_batch_store(serve_batch *b, or_store **out, or_err *err)
{
	size_t ne = b->ev.n;
	if (grow((void **)&b->items, &b->cap_items, ne ? ne : 1, sizeof(*b->items)))
		return or_err_set(err, OR_ENOMEM, "out of memory");
	memcpy(b->items, b->ev.aid, ne * sizeof(*b->items));
	qsort(b->items, ne, sizeof(*b->items), cmp_u32);
	size_t m = 0;
	for (size_t i = 0; i < ne; i++)
		if (m == 0 || b->items[i] != b->items[m - 1])
			b->items[m++] = b->items[i];
	b->n_items = m;
	or_store_columns c = { b->ns, ne, m, b->sid, b->off, b->ev.aid, b->ev.ts, b->ev.type, b->items };
	return or_store_from_columns(&c, "request", out, err);
}

int serve_answer_line(char **buf, size_t *len, size_t *cap, int64_t session,
		      int64_t *const rows[3], size_t i, size_t k)
{
	static const char *const keys[3] = { ",\"clicks\":[", "],\"carts\":[", "],\"orders\":[" };
	size_t need = *len + 64 + 3 * k * 21;
	if (grow((void **)buf, cap, need, 1))
		return -1;
	char *p = *buf + *len;
	memcpy(p, "{\"session\":", 11);
	p += 11;
	p += or_fmt_i64(p, session);
	for (int t = 0; t < 3; t++) {
		size_t kl = strlen(keys[t]);
		memcpy(p, keys[t], kl);
		p += kl;
		p += or_fmt_id_list(p, rows[t] + i * k, k, ',');
	}
	memcpy(p, "]}\n", 3);
	p += 3;
	*len = (size_t)(p - *buf);
	return 0;
}

char *serve_error_json(const char *msg)
{
	size_t n = strlen(msg);
	char *s = malloc(n * 6 + 16);
	if (!s)
		return NULL;
	char *p = s;
	memcpy(p, "{\"error\":\"", 10);
	p += 10;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) { /* bytes quoted from a request */
			p += snprintf(p, 7, "\\u%04x", c);
		} else {
			*p++ = (char)c;
		}
	}
	memcpy(p, "\"}\n", 4);
	return s;
}
