/* or_labels.c - building ground truth and writing labels JSONL (see or_labels.h). */
#include "or_labels.h"
#include "or_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void or_labels_init(or_labels *l) { memset(l, 0, sizeof(*l)); }

void or_labels_release(or_labels *l)
{
	free(l->rows);
	free(l->aids);
	memset(l, 0, sizeof(*l));
}

static int reserve(or_labels *l, size_t more_aids, or_err *err)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		or_label *r = realloc(l->rows, cap * sizeof(*r));
		if (!r)
			return or_err_set(err, OR_ENOMEM, "out of memory for labels");
		l->rows = r;
		l->cap = cap;
	}
	if (l->n_aids + more_aids > l->cap_aids) {
		size_t cap = l->cap_aids ? l->cap_aids * 2 : 4096;
		while (cap < l->n_aids + more_aids)
			cap *= 2;
		uint32_t *a = realloc(l->aids, cap * sizeof(*a));
		if (!a)
			return or_err_set(err, OR_ENOMEM, "out of memory for labels");
		l->aids = a;
		l->cap_aids = cap;
	}
	return OR_OK;
}

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
	int rc = reserve(l, 2 * (s->n - cut), err);
	if (rc)
		return rc;
	or_label *r = &l->rows[l->n++];
	r->session = s->id;
	r->click = -1;
	for (size_t i = cut; i < s->n; i++)
		if (s->type[i] == OR_CLICKS) {
			r->click = s->aid[i];
			break;
		}
	r->carts_at = l->n_aids;
	r->n_carts = collect(l, s, cut, OR_CARTS);
	r->orders_at = l->n_aids;
	r->n_orders = collect(l, s, cut, OR_ORDERS);
	return OR_OK;
}

static size_t put_list(char *p, const char *key, const uint32_t *a, uint32_t n, int *first)
{
	size_t len = (size_t)sprintf(p, "%s\"%s\":[", *first ? "" : ",", key);
	*first = 0;
	for (uint32_t i = 0; i < n; i++)
		len += (size_t)sprintf(p + len, "%s%u", i ? "," : "", a[i]);
	p[len++] = ']';
	return len;
}

int or_labels_write_jsonl(const or_labels *l, const char *path, or_err *err)
{
	or_file f;
	int rc = or_file_open(&f, path, err);
	for (size_t i = 0; i < l->n && !rc; i++) {
		const or_label *r = &l->rows[i];
		/* at most 11 bytes per aid plus fixed text */
		size_t need = 96 + 11 * ((size_t)r->n_carts + r->n_orders);
		char *p = or_file_reserve(&f, need, err);
		if (!p) {
			rc = err ? err->code : OR_ENOMEM;
			break;
		}
		size_t len = (size_t)sprintf(p, "{\"session\":%lld,\"labels\":{", (long long)r->session);
		int first = 1;
		if (r->click >= 0) {
			len += (size_t)sprintf(p + len, "\"clicks\":%lld", (long long)r->click);
			first = 0;
		}
		if (r->n_carts)
			len += put_list(p + len, "carts", l->aids + r->carts_at, r->n_carts, &first);
		if (r->n_orders)
			len += put_list(p + len, "orders", l->aids + r->orders_at, r->n_orders, &first);
		memcpy(p + len, "}}\n", 3);
		or_file_advance(&f, len + 3);
	}
	if (rc) {
		or_file_abort(&f);
		return rc;
	}
	return or_file_commit(&f, err);
}
