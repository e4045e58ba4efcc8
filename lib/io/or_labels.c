/*
 * or_labels.c - the organiser's ground truth (labels.py) and labels JSONL:
 * building rows from cut sessions, writing them, reading them back over the
 * strict JSON scanner of or_json.h (see or_labels.h for the rules).
 */
#include "or_labels.h"
#include "or_file.h"
#include "or_fmt.h"
#include "or_idset.h"
#include "or_json.h"
#include "or_input.h"
#include "or_parquet.h"

#include <stdlib.h>
#include <string.h>

void or_labels_init(or_labels *l) { memset(l, 0, sizeof(*l)); }

void or_labels_release(or_labels *l)
{
	free(l->rows);
	free(l->aids);
	memset(l, 0, sizeof(*l));
}

int or_labels_reserve_rows(or_labels *l, or_err *err)
{
	if (l->n < l->cap)
		return OR_OK;
	size_t cap = l->cap ? l->cap * 2 : 1024, bytes;
	if (or_size_mul(cap, sizeof(or_label), &bytes))
		return or_err_set(err, OR_ENOMEM, "too many label rows");
	or_label *r = realloc(l->rows, bytes);
	if (!r)
		return or_err_set(err, OR_ENOMEM, "out of memory for labels");
	l->rows = r;
	l->cap = cap;
	return OR_OK;
}

int or_labels_reserve_aids(or_labels *l, size_t more, or_err *err)
{
	size_t need;
	if (or_size_add(l->n_aids, more, &need))
		return or_err_set(err, OR_ENOMEM, "too many label aids");
	if (need <= l->cap_aids)
		return OR_OK;
	size_t cap = l->cap_aids ? l->cap_aids : 4096, bytes;
	while (cap < need)
		cap = cap / 2 * 3;
	if (or_size_mul(cap, sizeof(uint32_t), &bytes))
		return or_err_set(err, OR_ENOMEM, "too many label aids");
	uint32_t *a = realloc(l->aids, bytes);
	if (!a)
		return or_err_set(err, OR_ENOMEM, "out of memory for labels");
	l->aids = a;
	l->cap_aids = cap;
	return OR_OK;
}

int or_labels_copy_row(or_labels *dst, const or_labels *src, size_t r, or_err *err)
{
	const or_label *from = &src->rows[r];
	size_t n = (size_t)from->n_carts + from->n_orders;
	int rc = or_labels_reserve_rows(dst, err);
	if (!rc)
		rc = or_labels_reserve_aids(dst, n, err);
	if (rc)
		return rc;
	or_label *to = &dst->rows[dst->n++];
	*to = *from;
	to->carts_at = dst->n_aids;
	if (from->n_carts)
		memcpy(dst->aids + dst->n_aids, src->aids + from->carts_at, from->n_carts * sizeof(uint32_t));
	dst->n_aids += from->n_carts;
	to->orders_at = dst->n_aids;
	if (from->n_orders)
		memcpy(dst->aids + dst->n_aids, src->aids + from->orders_at, from->n_orders * sizeof(uint32_t));
	dst->n_aids += from->n_orders;
	return OR_OK;
}

/* ---- ground truth ------------------------------------------------------ */

/* Append the distinct aids of events [from, n) of the given type. */
static uint32_t collect(or_labels *l, const or_session *s, size_t from, unsigned type)
{
	size_t start = l->n_aids;
	for (size_t i = from; i < s->n; i++) {
		if (s->type[i] != type)
			continue;
		int seen = 0;
		for (size_t j = start; j < l->n_aids && !seen; j++)
			seen = l->aids[j] == s->aid[i];
		if (!seen)
			l->aids[l->n_aids++] = s->aid[i];
	}
	return (uint32_t)(l->n_aids - start);
}

int or_labels_add_cut(or_labels *l, const or_session *s, size_t cut, or_err *err)
{
	if (cut < 1 || cut >= s->n)
		return or_err_set(err, OR_EINVAL, "cut %zu outside session of %zu events", cut, s->n);
	if (s->n - cut > UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "session of %zu events is too long to label", s->n);
	int rc = or_labels_reserve_rows(l, err);
	if (!rc)
		rc = or_labels_reserve_aids(l, s->n - cut, err);
	if (rc)
		return rc;
	or_label *r = &l->rows[l->n++];
	r->session = s->id;
	r->click = -1;
	for (size_t i = cut; i < s->n; i++)
		if (s->type[i] == OR_CLICKS) {
			/* labels.py: `if prev_labels["clicks"]:` - the nearest
			   later click decides, and aid 0 is falsy: no label */
			if (s->aid[i] != 0)
				r->click = s->aid[i];
			break;
		}
	r->carts_at = l->n_aids;
	r->n_carts = collect(l, s, cut, OR_CARTS);
	r->orders_at = l->n_aids;
	r->n_orders = collect(l, s, cut, OR_ORDERS);
	return OR_OK;
}

/* ---- writing ------------------------------------------------------------ */

static size_t put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return n;
}

static size_t put_list(char *p, const char *key, const uint32_t *a, uint32_t n, int first)
{
	size_t len = 0;
	if (!first)
		p[len++] = ',';
	len += put_str(p + len, key);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			p[len++] = ',';
		len += or_fmt_u64(p + len, a[i]);
	}
	p[len++] = ']';
	return len;
}

int or_labels_write_jsonl(const or_labels *l, const char *path, or_err *err)
{
	or_file f;
	int rc = or_file_open(&f, path, err);
	for (size_t i = 0; i < l->n && !rc; i++) {
		const or_label *r = &l->rows[i];
		/* fixed text < 64 bytes, two int64 <= 20 bytes each, at most
		   11 bytes per aid (10 digits and a comma) */
		size_t need = 128 + 11 * ((size_t)r->n_carts + r->n_orders);
		char *p = or_file_reserve(&f, need, err);
		if (!p) {
			rc = err ? err->code : OR_ENOMEM;
			break;
		}
		size_t len = put_str(p, "{\"session\":");
		len += or_fmt_i64(p + len, r->session);
		len += put_str(p + len, ",\"labels\":{");
		int first = 1;
		if (r->click >= 0) {
			len += put_str(p + len, "\"clicks\":");
			len += or_fmt_i64(p + len, r->click);
			first = 0;
		}
		if (r->n_carts) {
			len += put_list(p + len, "\"carts\":[", l->aids + r->carts_at, r->n_carts, first);
			first = 0;
		}
		if (r->n_orders)
			len += put_list(p + len, "\"orders\":[", l->aids + r->orders_at, r->n_orders, first);
		memcpy(p + len, "}}\n", 3);
		or_file_advance(&f, len + 3);
	}
	if (rc) {
		or_file_abort(&f);
		return rc;
	}
	return or_file_commit(&f, err);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct jcur {
	or_json j;
	const char *path;
	uint64_t line;
	or_err *err;
} jcur;

/* The error "path:line:col: what" at the cursor. */
static int jfail(jcur *c, const char *what)
{
	return or_err_set(c->err, OR_EFORMAT, "%s:%llu:%zu: %s", c->path,
			  (unsigned long long)c->line, (size_t)(c->j.p - c->j.begin) + 1, what);
}

/* The scanner's error (or_json.h), as jfail words it. */
static int jscan_fail(jcur *c)
{
	c->j.p = c->j.err_at;
	return jfail(c, c->j.err_what);
}

static int jexpect(jcur *c, char ch, const char *what)
{
	return or_json_expect(&c->j, ch, what) ? jscan_fail(c) : OR_OK;
}

static int jstring(jcur *c, char *buf, size_t cap, int *fits)
{
	return or_json_string(&c->j, buf, cap, fits) ? jscan_fail(c) : OR_OK;
}

static int jskip(jcur *c)
{
	return or_json_skip(&c->j) ? jscan_fail(c) : OR_OK;
}

/* A JSON integer within int64 (after whitespace). */
static int jint(jcur *c, int64_t *out, const char *what)
{
	or_json_ws(&c->j);
	const char *start = c->j.p;
	int neg;
	uint64_t v;
	switch (or_json_int(&c->j, &neg, &v)) {
	case OR_JSON_INT_OK:
		break;
	case OR_JSON_INT_NONE:
		return jfail(c, what);
	case OR_JSON_INT_LEADING_ZERO:
		return jfail(c, "leading zero in a number");
	case OR_JSON_INT_FRACTION:
		return jfail(c, "expected an integer, found a fraction or exponent");
	default:
		return jfail(c, "integer out of range");
	}
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg) {
		c->j.p = start;
		return jfail(c, "integer out of range");
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return OR_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Remove repeats from a[0..n), keeping first places; the new count, or
   (size_t)-1 when out of memory. */
size_t or_labels_dedup(uint32_t *a, size_t n)
{
	if (n <= 64) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;
			while (j < m && a[j] != a[i])
				j++;
			if (j == m)
				a[m++] = a[i];
		}
		return m;
	}
	uint32_t *sorted = malloc(n * sizeof(*sorted));
	unsigned char *used = calloc(n, 1);
	if (!sorted || !used) {
		free(sorted);
		free(used);
		return (size_t)-1;
	}
	memcpy(sorted, a, n * sizeof(*a));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || sorted[i] != sorted[u - 1])
			sorted[u++] = sorted[i];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = u;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (sorted[mid] <= a[i])
				lo = mid;
			else
				hi = mid;
		}
		if (!used[lo]) {
			used[lo] = 1;
			a[m++] = a[i];
		}
	}
	free(sorted);
	free(used);
	return m;
}


/* An array of aids, appended to l->aids; at and n say where. */
static int jaid_list(jcur *c, or_labels *l, size_t *at, uint32_t *n)
{
	int rc = jexpect(c, '[', "expected an array of aids");
	if (rc)
		return rc;
	*at = l->n_aids;
	if (or_json_eat(&c->j, ']')) {
		*n = 0;
		return OR_OK;
	}
	for (;;) {
		int64_t v;
		or_json_ws(&c->j);
		const char *start = c->j.p;
		if ((rc = jint(c, &v, "expected an aid (an integer)")))
			return rc;
		if (v < 0 || v > (int64_t)UINT32_MAX) {
			c->j.p = start;
			return jfail(c, "aid outside 0..4294967295");
		}
		if ((rc = or_labels_reserve_aids(l, 1, c->err)))
			return rc;
		l->aids[l->n_aids++] = (uint32_t)v;
		if (or_json_eat(&c->j, ',')) {
			continue;
		}
		if ((rc = jexpect(c, ']', "expected ',' or ']' in an array of aids")))
			return rc;
		break;
	}
	size_t count = l->n_aids - *at;
	if (count > UINT32_MAX)
		return jfail(c, "more than 4294967295 aids in one list");
	size_t m = or_labels_dedup(l->aids + *at, count);
	if (m == (size_t)-1)
		return or_err_set(c->err, OR_ENOMEM, "out of memory");
	l->n_aids = *at + m;
	*n = (uint32_t)m;
	return OR_OK;
}

enum { K_SESSION = 1, K_LABELS = 2, K_CLICKS = 4, K_CARTS = 8, K_ORDERS = 16 };

static int key_id(const char *k, int fits)
{
	if (!fits)
		return 0;
	switch (k[0]) {
	case 's': return !strcmp(k, "session") ? K_SESSION : 0;
	case 'l': return !strcmp(k, "labels") ? K_LABELS : 0;
	case 'c': return !strcmp(k, "clicks") ? K_CLICKS : !strcmp(k, "carts") ? K_CARTS : 0;
	case 'o': return !strcmp(k, "orders") ? K_ORDERS : 0;
	default: return 0;
	}
}

/* The "labels" object into r. */
static int jlabels(jcur *c, or_labels *l, or_label *r)
{
	int rc = jexpect(c, '{', "expected an object after \"labels\"");
	if (rc)
		return rc;
	int seen = 0;
	if (or_json_eat(&c->j, '}')) {
		return OR_OK;
	}
	for (;;) {
		char key[16];
		int fits;
		or_json_ws(&c->j);
		const char *key_pos = c->j.p;
		if ((rc = jstring(c, key, sizeof(key), &fits)))
			return rc;
		int id = key_id(key, fits);
		if (id == K_SESSION || id == K_LABELS)
			id = 0;
		if (id & seen) {
			c->j.p = key_pos;
			return jfail(c, "key repeated in \"labels\"");
		}
		seen |= id;
		if ((rc = jexpect(c, ':', "expected ':' after a key")))
			return rc;
		if (id == K_CLICKS) {
			if (or_json_peek(&c->j) == 'n') {
				if (or_json_literal(&c->j, "null"))
					return jscan_fail(c);
				r->click = -1;
			} else {
				const char *at = c->j.p;
				if ((rc = jint(c, &r->click, "expected the click label: an aid or null")))
					return rc;
				if (r->click < 0) {
					c->j.p = at;
					return jfail(c, "negative click aid");
				}
			}
		} else if (id == K_CARTS) {
			if ((rc = jaid_list(c, l, &r->carts_at, &r->n_carts)))
				return rc;
		} else if (id == K_ORDERS) {
			if ((rc = jaid_list(c, l, &r->orders_at, &r->n_orders)))
				return rc;
		} else if ((rc = jskip(c))) {
			return rc;
		}
		if (or_json_eat(&c->j, ',')) {
			continue;
		}
		return jexpect(c, '}', "expected ',' or '}' in \"labels\"");
	}
}

static int parse_line(jcur *c, or_labels *l, or_label *r)
{
	r->session = -1;
	r->click = -1;
	r->carts_at = r->orders_at = l->n_aids;
	r->n_carts = r->n_orders = 0;
	int rc = jexpect(c, '{', "expected '{' (a labels object per line)");
	if (rc)
		return rc;
	int seen = 0;
	if (or_json_peek(&c->j) == '}')
		return jfail(c, "missing \"session\"");
	for (;;) {
		char key[16];
		int fits;
		or_json_ws(&c->j);
		const char *key_pos = c->j.p;
		if ((rc = jstring(c, key, sizeof(key), &fits)))
			return rc;
		int id = key_id(key, fits);
		if (id != K_SESSION && id != K_LABELS)
			id = 0;
		if (id & seen) {
			c->j.p = key_pos;
			return jfail(c, id == K_SESSION ? "key \"session\" repeated" : "key \"labels\" repeated");
		}
		seen |= id;
		if ((rc = jexpect(c, ':', "expected ':' after a key")))
			return rc;
		if (id == K_SESSION)
			rc = jint(c, &r->session, "expected the session id (an integer)");
		else if (id == K_LABELS)
			rc = jlabels(c, l, r);
		else
			rc = jskip(c);
		if (rc)
			return rc;
		if (or_json_eat(&c->j, ',')) {
			continue;
		}
		if ((rc = jexpect(c, '}', "expected ',' or '}'")))
			return rc;
		break;
	}
	if (or_json_peek(&c->j) >= 0)
		return jfail(c, "unexpected text after the object");
	if (!(seen & K_SESSION))
		return jfail(c, "missing \"session\"");
	if (!(seen & K_LABELS))
		return jfail(c, "missing \"labels\"");
	return OR_OK;
}

/* A set of the sessions of l's rows. */
static int start_idset(or_idset *ids, const or_labels *l, or_err *err)
{
	if (or_idset_init(ids, l->n > 1024 ? l->n : 1024))
		return or_err_set(err, OR_ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		if (or_idset_add(ids, l->rows[i].session) < 0)
			return or_err_set(err, OR_ENOMEM, "out of memory");
	return OR_OK;
}

int or_labels_read(or_labels *l, const char *path, size_t max_line,
		   const or_log *log, or_err *err)
{
	if (!max_line)
		max_line = (size_t)64 << 20;
	or_input *in = NULL;
	int rc = or_input_open(path, max_line, &in, err);
	if (rc)
		return rc;
	char head[4];
	if (or_parquet_magic(head, or_input_peek(in, head, sizeof(head), err))) {
		/* labels Parquet (lib/io/or_parquet_labels.c) reads the file itself */
		if (!strcmp(path, "-") || or_input_is_gzip(in))
			rc = or_err_set(err, OR_EUNSUPPORTED,
					"%s: unsupported: Parquet labels from standard input or inside gzip (give the plain file)",
					or_input_path(in));
		or_input_close(in);
		return rc ? rc : or_parquet_labels_read(l, path, log, err);
	}
	/* repeated sessions: while ids only grow (as split writes them), a
	   comparison suffices; after the first step back, a set of all ids */
	or_idset ids;
	memset(&ids, 0, sizeof(ids));
	int increasing = 1;
	for (size_t i = 1; i < l->n && increasing; i++)
		increasing = l->rows[i].session > l->rows[i - 1].session;
	if (!increasing)
		rc = start_idset(&ids, l, err);
	const char *name = or_input_path(in);
	or_line_reader lines;
	or_line_reader_init(&lines, in, "read labels", log);
	or_line ln;
	while (!(rc = or_line_next(&lines, &ln, err)) && ln.begin) {
		jcur c = { .path = name, .line = ln.no, .err = err };
		or_json_init(&c.j, ln.begin, ln.end);
		if (or_json_peek(&c.j) < 0)
			continue; /* blank line */
		if ((rc = or_labels_reserve_rows(l, err)))
			break;
		or_label *r = &l->rows[l->n];
		if ((rc = parse_line(&c, l, r)))
			break;
		if (increasing && l->n && r->session <= l->rows[l->n - 1].session) {
			increasing = 0;
			if ((rc = start_idset(&ids, l, err)))
				break;
		}
		if (!increasing) {
			int added = or_idset_add(&ids, r->session);
			if (added < 0)
				rc = or_err_set(err, OR_ENOMEM, "out of memory");
			else if (added == 0)
				rc = or_err_set(err, OR_EFORMAT, "%s:%llu: session %lld appears a second time",
						name, (unsigned long long)ln.no, (long long)r->session);
			if (rc)
				break;
		}
		l->n++;
	}
	or_idset_release(&ids);
	or_input_close(in);
	return rc;
}
