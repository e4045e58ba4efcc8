/*
 * or_metrics.c - Recall@20 per type and the weighted score, as the OTTO
 * organiser's evaluate.py computes them (rules in or_metrics.h): a map
 * from session id to label row (or_idset), one small hit slot per row and
 * type.
 */
#include "or_metrics.h"
#include "or_idset.h"
#include "or_store.h"

#include <stdlib.h>
#include <string.h>

const double or_metrics_weights[3] = { 0.10, 0.30, 0.60 };

#define NO_ROW (-1)

struct or_eval {
	const or_labels *labels;
	or_idset row_of; /* session id -> label row index */
	int8_t *hit;    /* 3 per label row: hits of the latest row, or NO_ROW */
	uint64_t rows, rows_unknown, rows_replaced;
};

double or_metrics_score(const double recall[3])
{
	/* evaluate.py: result = 0.0; result += recall * weight in the order
	   clicks, carts, orders.  The products go through volatile so that no
	   compiler fuses them into the sums. */
	volatile double prod[3];
	for (int t = 0; t < 3; t++)
		prod[t] = recall[t] * or_metrics_weights[t];
	double score = 0.0;
	for (int t = 0; t < 3; t++)
		score = score + prod[t];
	return score;
}

int or_metrics_click_hit(int64_t click, const int64_t *preds, size_t n)
{
	if (n > OR_RECALL_K)
		n = OR_RECALL_K;
	for (size_t i = 0; i < n; i++)
		if (preds[i] == click)
			return 1;
	return 0;
}

uint32_t or_metrics_set_hits(const uint32_t *truth, uint32_t n_truth,
			     const int64_t *preds, size_t n)
{
	if (n > OR_RECALL_K)
		n = OR_RECALL_K;
	uint32_t hits = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t a = preds[i];
		if (a < 0 || a > (int64_t)UINT32_MAX)
			continue;
		int in_truth = 0;
		for (uint32_t j = 0; j < n_truth && !in_truth; j++)
			in_truth = truth[j] == (uint32_t)a;
		if (!in_truth)
			continue;
		int repeat = 0; /* set(P): count an aid once */
		for (size_t j = 0; j < i && !repeat; j++)
			repeat = preds[j] == a;
		hits += !repeat;
	}
	return hits;
}

int or_eval_new(const or_labels *labels, or_eval **out, or_err *err)
{
	*out = NULL;
	if (labels->n >= UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "too many label rows (%zu)", labels->n);
	or_eval *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	ev->labels = labels;
	ev->hit = malloc(labels->n * 3 + 1);
	if (or_idset_init_map(&ev->row_of, labels->n) || !ev->hit) {
		or_eval_free(ev);
		return or_err_set(err, OR_ENOMEM, "out of memory for %zu labels", labels->n);
	}
	memset(ev->hit, NO_ROW, labels->n * 3 + 1);
	for (size_t r = 0; r < labels->n; r++) {
		int64_t s = labels->rows[r].session;
		int added;
		uint64_t *row = or_idset_put(&ev->row_of, s, &added);
		if (!row || !added) {
			or_eval_free(ev);
			if (!row)
				return or_err_set(err, OR_ENOMEM, "out of memory for %zu labels", labels->n);
			return or_err_set(err, OR_EINVAL, "labels hold session %lld twice", (long long)s);
		}
		*row = r;
	}
	*out = ev;
	return OR_OK;
}

void or_eval_free(or_eval *ev)
{
	if (!ev)
		return;
	or_idset_release(&ev->row_of);
	free(ev->hit);
	free(ev);
}

int or_eval_add(or_eval *ev, int64_t session, unsigned type,
		const int64_t *aids, size_t n)
{
	ev->rows++;
	uint64_t r;
	if (!or_idset_get(&ev->row_of, session, &r)) {
		ev->rows_unknown++;
		return 0;
	}
	if (type >= OR_N_TYPES)
		return 1;
	const or_label *lab = &ev->labels->rows[r];
	const uint32_t *all = ev->labels->aids;
	int h;
	if (type == OR_CLICKS)
		h = or_metrics_click_hit(lab->click, aids, n);
	else if (type == OR_CARTS)
		h = (int)or_metrics_set_hits(all + lab->carts_at, lab->n_carts, aids, n);
	else
		h = (int)or_metrics_set_hits(all + lab->orders_at, lab->n_orders, aids, n);
	int8_t *slot = &ev->hit[(size_t)r * 3 + type];
	ev->rows_replaced += *slot != NO_ROW;
	*slot = (int8_t)h;
	return 1;
}

/* The result over the label rows whose group[r] == g (all when group is NULL). */
static void result_of(const or_eval *ev, const uint8_t *group, unsigned g, or_recall *out)
{
	memset(out, 0, sizeof(*out));
	const or_labels *l = ev->labels;
	for (size_t r = 0; r < l->n; r++) {
		if (group && group[r] != g)
			continue;
		const or_label *lab = &l->rows[r];
		const int8_t *h = &ev->hit[r * 3];
		out->sessions++;
		out->sessions_predicted += h[0] != NO_ROW || h[1] != NO_ROW || h[2] != NO_ROW;
		uint32_t n_truth[3] = { lab->click > 0, lab->n_carts, lab->n_orders };
		for (int t = 0; t < 3; t++) {
			if (!n_truth[t])
				continue;
			out->truth[t] += n_truth[t] < OR_RECALL_K ? n_truth[t] : OR_RECALL_K;
			if (h[t] == NO_ROW)
				out->missing[t]++;
			else
				out->hits[t] += (uint64_t)h[t];
		}
	}
	/* evaluate.py: hits / total per type (a correctly rounded division of
	   integers below 2^53) */
	for (int t = 0; t < 3; t++)
		out->recall[t] = out->truth[t] ? (double)out->hits[t] / (double)out->truth[t] : 0.0;
	out->score = or_metrics_score(out->recall);
	out->rows = ev->rows;
	out->rows_unknown = ev->rows_unknown;
	out->rows_replaced = ev->rows_replaced;
}

void or_eval_result(const or_eval *ev, or_recall *out)
{
	result_of(ev, NULL, 0, out);
}

void or_eval_result_groups(const or_eval *ev, const uint8_t *group, size_t n_groups,
			   or_recall *out)
{
	for (size_t g = 0; g < n_groups; g++)
		result_of(ev, group, (unsigned)g, &out[g]);
}

const char *const or_length_bucket_names[OR_LENGTH_BUCKETS] = {
	"1", "2", "3-4", "5-9", "10-19", "20-49", "50+"
};

unsigned or_length_bucket(uint64_t events)
{
	static const uint64_t lo[OR_LENGTH_BUCKETS] = { 1, 2, 3, 5, 10, 20, 50 };
	unsigned b = 0;
	while (b + 1 < OR_LENGTH_BUCKETS && events >= lo[b + 1])
		b++;
	return b;
}

static int add_row(void *ctx, const or_sub_row *row, or_err *err)
{
	(void)err;
	or_eval_add(ctx, row->session, row->type, row->aids, row->n_kept);
	return OR_OK;
}

int or_metrics_evaluate(const or_labels *labels, const char *submission,
			const or_submission_config *cfg, or_recall *out,
			or_submission_stats *stats, const or_log *log, or_err *err)
{
	return or_metrics_evaluate_groups(labels, submission, cfg, NULL, 0, NULL, out, stats, log,
					  err);
}

int or_metrics_evaluate_groups(const or_labels *labels, const char *submission,
			       const or_submission_config *cfg, const uint8_t *group,
			       size_t n_groups, or_recall *groups_out, or_recall *out,
			       or_submission_stats *stats, const or_log *log, or_err *err)
{
	or_submission_config c;
	if (cfg)
		c = *cfg;
	else
		or_submission_config_default(&c);
	if (c.keep == 0 || c.keep > OR_RECALL_K)
		c.keep = OR_RECALL_K;
	or_eval *ev = NULL;
	int rc = or_eval_new(labels, &ev, err);
	if (rc)
		return rc;
	rc = or_submission_read(submission, &c, add_row, ev, stats, log, err);
	if (!rc)
		or_eval_result(ev, out);
	if (!rc && group)
		or_eval_result_groups(ev, group, n_groups, groups_out);
	or_eval_free(ev);
	return rc;
}
