/*
 * or_labels.h - ground truth of a local test set in the organiser's sense:
 * for each test session, the next click after the cut, the set of aids
 * carted after it and the set of aids ordered after it; and writing them as
 * the organiser's labels JSONL:
 *   {"session":42,"labels":{"clicks":7,"carts":[1,2],"orders":[2]}}
 * with a key left out when it has no label (as the organiser's labels.py
 * does).  Aid lists keep first-seen order after the cut.
 */
#ifndef OR_LABELS_H
#define OR_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_store.h"

typedef struct or_label {
	int64_t session;
	int64_t click;      /* -1 when no click follows the cut */
	size_t carts_at;    /* index into or_labels.aids */
	uint32_t n_carts;
	size_t orders_at;
	uint32_t n_orders;
} or_label;

typedef struct or_labels {
	or_label *rows;
	size_t n, cap;
	uint32_t *aids;      /* the carts and orders lists, back to back */
	size_t n_aids, cap_aids;
} or_labels;

void or_labels_init(or_labels *l);
void or_labels_release(or_labels *l);

/* Label the events of s after its first `cut` events (1 <= cut < s->n). */
int or_labels_add_cut(or_labels *l, const or_session *s, size_t cut, or_err *err);

/* Write every row in order as labels JSONL, atomically ("-" = stdout). */
int or_labels_write_jsonl(const or_labels *l, const char *path, or_err *err);

#endif
