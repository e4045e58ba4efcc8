/*
 * cli_report_sections.c - the sections of `ottorec report`'s page
 * (cli_report.h), each from the summaries of the stages that recorded its
 * numbers: scores (evaluate-<strategy>, evaluate-valid), scores by session
 * length (the same, --by-length), the candidate recall curve
 * (candidates-fit), feature gains (fit), training curves (train,
 * item2vec), the stage timeline (pipeline) and the data (info-train,
 * info-test).  A section without its summaries says so in one line.
 */
#include "cli_report.h"

#include "cli_pipeline.h"
#include "or_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[4] = { "clicks", "carts", "orders", "total" };

/* A number member or NaN. */
static double num(const or_jv *v, const char *key)
{
	double d;
	return or_jdoc_num(v, key, &d) ? d : NAN;
}

/* The numbers of an array (anything else NaN), at most cap; the count. */
static size_t nums(const or_jv *arr, double *out, size_t cap)
{
	size_t n = arr && arr->kind == OR_JV_ARR ? arr->n : 0;
	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++)
		out[i] = arr->items[i].kind == OR_JV_NUM ? arr->items[i].num : NAN;
	return n;
}

static void cell(FILE *f, double v, const char *fmt)
{
	if (isfinite(v))
		fprintf(f, fmt, v);
	else
		fputs("<td>-</td>", f);
}

/* ---- scores ------------------------------------------------------------ */

/* The evaluate summaries: test per strategy, and the ranker's local
   validation; names[] and sets[] of each, the count. */
#define MAX_EVALS (CLI_N_STRATEGIES + 1)
static size_t evaluations(const cli_report *r, const or_jv **v, const char **name, const char **set)
{
	size_t n = 0;
	for (int s = 0; s < CLI_N_STRATEGIES; s++) {
		char stage[64];
		if (s == CLI_N_STRATEGIES - 1 && (v[n] = cli_report_get(r, "evaluate-valid"))) {
			name[n] = cli_strategy_names[s];
			set[n++] = "local validation";
		}
		snprintf(stage, sizeof(stage), "evaluate-%s", cli_strategy_names[s]);
		if ((v[n] = cli_report_get(r, stage))) {
			name[n] = cli_strategy_names[s];
			set[n++] = "test";
		}
	}
	return n;
}

void cli_report_scores(const cli_report *r, FILE *f)
{
	const or_jv *v[MAX_EVALS];
	const char *name[MAX_EVALS], *set[MAX_EVALS];
	size_t n = evaluations(r, v, name, set);
	cli_report_open(f, "scores", "Scores (Recall@20)");
	if (!n) {
		cli_report_absent(f, "No scores: the run had no --labels, so no evaluate stage ran.");
		cli_report_close(f);
		return;
	}
	fprintf(f, "<table data-rows=\"%zu\"><tr><th>strategy</th><th>set</th>", n);
	for (int t = 0; t < 4; t++)
		fprintf(f, "<th>%s</th>", types[t]);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<tr data-row=\"\"><td>%s</td><td>%s</td>", name[i], set[i]);
		for (int t = 0; t < 4; t++)
			cell(f, num(v[i], types[t]), "<td>%.4f</td>");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p class=\"note\">total = 0.10 clicks + 0.30 carts + 0.60 orders (the OTTO "
	      "score). Local validation: the ranker on the held-out sessions of the internal split "
	      "of TRAIN (nothing of TEST is fitted on).</p>\n", f);
	cli_report_close(f);
}

/* ---- scores by session length -------------------------------------------------- */

#define BUCKETS 16

void cli_report_by_length(const cli_report *r, FILE *f)
{
	const or_jv *all[MAX_EVALS], *v[MAX_EVALS];
	const char *aname[MAX_EVALS], *aset[MAX_EVALS];
	char label[MAX_EVALS][64];
	const char *series[MAX_EVALS];
	size_t na = evaluations(r, all, aname, aset), ns = 0;
	for (size_t i = 0; i < na; i++)
		if (or_jdoc_arr(all[i], "length_buckets")) {
			v[ns] = all[i];
			snprintf(label[ns], sizeof(label[ns]), "%s%s", aname[i],
				 strcmp(aset[i], "test") ? " (validation)" : "");
			series[ns] = label[ns];
			ns++;
		}
	cli_report_open(f, "by-length", "Recall@20 by session length");
	if (!ns) {
		cli_report_absent(f, "No scores by session length: no evaluate stage ran with --by-length "
				     "(no --labels).");
		cli_report_close(f);
		return;
	}
	const or_jv *cats_v = or_jdoc_arr(v[0], "length_buckets");
	const char *cats[BUCKETS];
	size_t nc = 0;
	for (size_t c = 0; c < cats_v->n && nc < BUCKETS; c++)
		cats[nc++] = cats_v->items[c].kind == OR_JV_STR ? cats_v->items[c].str : "?";
	fputs("<div class=\"charts\">\n", f);
	for (int t = 0; t < 4; t++) {
		double val[MAX_EVALS * BUCKETS];
		char key[32], sec[48], title[64];
		snprintf(key, sizeof(key), "length_%s", types[t]);
		for (size_t s = 0; s < ns; s++) {
			double row[BUCKETS];
			size_t k = nums(or_jdoc_arr(v[s], key), row, nc);
			for (size_t c = 0; c < nc; c++)
				val[s * nc + c] = c < k ? row[c] : NAN;
		}
		snprintf(sec, sizeof(sec), "by-length-%s", types[t]);
		snprintf(title, sizeof(title), t < 3 ? "%s Recall@20" : "%s score", types[t]);
		or_plot p = { .section = sec, .title = title, .xlabel = "events in the test session",
			      .width = 460, .height = 260 };
		or_plot_groups(f, &p, cats, nc, series, ns, val);
	}
	fputs("</div>\n<table><tr><th>length</th><th>labelled sessions</th>", f);
	for (size_t s = 0; s < ns; s++) {
		fputs("<th>", f);
		or_plot_text(f, series[s]);
		fputs(" total</th>", f);
	}
	fputs("</tr>\n", f);
	double sess[BUCKETS], tot[MAX_EVALS][BUCKETS];
	size_t k = nums(or_jdoc_arr(v[0], "length_sessions"), sess, nc);
	for (size_t s = 0; s < ns; s++) {
		size_t m = nums(or_jdoc_arr(v[s], "length_total"), tot[s], nc);
		for (size_t c = m; c < nc; c++)
			tot[s][c] = NAN;
	}
	for (size_t c = 0; c < nc; c++) {
		fputs("<tr><td>", f);
		or_plot_text(f, cats[c]);
		fputs("</td>", f);
		cell(f, c < k ? sess[c] : NAN, "<td>%.0f</td>");
		for (size_t s = 0; s < ns; s++)
			cell(f, tot[s][c], "<td>%.4f</td>");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	cli_report_close(f);
}

/* ---- candidate recall ---------------------------------------------------------- */

#define CURVE_MAX 1000

void cli_report_candidates(const cli_report *r, FILE *f)
{
	const or_jv *curve = or_jdoc_get(cli_report_get(r, "candidates-fit"), "recall_curve");
	cli_report_open(f, "candidates", "Candidate recall at N");
	if (!curve || curve->kind != OR_JV_OBJ) {
		cli_report_absent(f, "No candidate recall curve: no candidates stage with labels ran (the "
				     "ranker strategy records it).");
		cli_report_close(f);
		return;
	}
	static double x[CURVE_MAX], y[3][CURVE_MAX];
	or_plot_series s[3];
	size_t n_max = 0;
	for (int t = 0; t < 3; t++) {
		s[t].name = types[t];
		s[t].n = nums(or_jdoc_arr(curve, types[t]), y[t], CURVE_MAX);
		s[t].x = x;
		s[t].y = y[t];
		n_max = s[t].n > n_max ? s[t].n : n_max;
	}
	for (size_t i = 0; i < n_max; i++)
		x[i] = (double)(i + 1);
	/* the final Recall@20: the ranker's on the local validation (the same
	   split the candidates are of), else on test */
	const or_jv *fin = cli_report_get(r, "evaluate-valid");
	const char *which = "local validation";
	if (!fin) {
		fin = cli_report_get(r, "evaluate-ranker");
		which = "test";
	}
	or_plot_mark marks[3];
	char labels[3][48];
	size_t nm = 0;
	for (int t = 0; fin && t < 3; t++) {
		double v = num(fin, types[t]);
		if (!isfinite(v))
			continue;
		snprintf(labels[t], sizeof(labels[t]), "ranker %.3f", v);
		marks[nm++] = (or_plot_mark){ 20, v, t, labels[t] };
	}
	or_plot p = { .section = "candidates", .title = "share of the labels among the first N candidates",
		      .xlabel = "N (candidates kept per session)", .ylabel = "recall", .y_zero = 1 };
	or_plot_lines(f, &p, s, 3, marks, nm);
	fprintf(f, "<p class=\"note\">Capped at 20 labels per session, as the metric: the ceiling "
		"of a ranker that keeps N candidates. Diamonds: the ranker's final Recall@20 (%s).</p>\n",
		fin ? which : "not evaluated");
	cli_report_close(f);
}

/* ---- feature importance ------------------------------------------------------------ */

#define TOP 20

typedef struct gain {
	const char *name;
	double v;
} gain;

static int by_gain(const void *a, const void *b)
{
	const gain *x = a, *y = b;
	return x->v < y->v ? 1 : x->v > y->v ? -1 : strcmp(x->name, y->name);
}

void cli_report_features(const cli_report *r, FILE *f)
{
	const or_jv *sum = or_jdoc_get(or_jdoc_get(cli_report_get(r, "fit"), "model"), "summary");
	cli_report_open(f, "features", "Ranker feature importance (gain, top 20 per type)");
	if (!sum) {
		cli_report_absent(f, "No feature importance: no ranker was fitted (the fit stage of the "
				     "ranker strategy).");
		cli_report_close(f);
		return;
	}
	fputs("<div class=\"charts\">\n", f);
	for (int t = 0; t < 3; t++) {
		const or_jv *g = or_jdoc_get(or_jdoc_get(sum, types[t]), "gain");
		size_t n = g && g->kind == OR_JV_OBJ ? g->n : 0;
		gain *all = calloc(n + 1, sizeof(*all));
		size_t k = 0;
		for (size_t i = 0; all && i < n; i++)
			if (g->items[i].kind == OR_JV_NUM && g->items[i].num > 0)
				all[k++] = (gain){ g->keys[i], g->items[i].num };
		if (all)
			qsort(all, k, sizeof(*all), by_gain);
		if (k > TOP)
			k = TOP;
		or_plot_bar bars[TOP];
		char notes[TOP][24];
		for (size_t i = 0; i < k; i++) {
			snprintf(notes[i], sizeof(notes[i]), "%.3g", all[i].v);
			bars[i] = (or_plot_bar){ all[i].name, 0, all[i].v, notes[i], t };
		}
		char sec[32], title[48];
		snprintf(sec, sizeof(sec), "features-%s", types[t]);
		snprintf(title, sizeof(title), "%s model", types[t]);
		if (k) {
			or_plot p = { .section = sec, .title = title, .xlabel = "total gain", .width = 460 };
			or_plot_hbars(f, &p, bars, k);
		} else {
			fprintf(f, "<p class=\"absent\" data-absent=\"\">%s: no model fitted (no positives).</p>\n",
				types[t]);
		}
		free(all);
	}
	fputs("</div>\n", f);
	cli_report_close(f);
}

/* ---- training curves ----------------------------------------------------------------- */

#define EPOCH_POINTS 1280

void cli_report_training(const cli_report *r, FILE *f)
{
	const or_jv *mf = cli_report_get(r, "train"), *i2v = cli_report_get(r, "item2vec");
	cli_report_open(f, "training", "Embedding training curves");
	if (!mf && !i2v) {
		cli_report_absent(f, "No training curves: this run trained no embeddings (MF train or "
				     "item2vec: the seed and blend strategies).");
		cli_report_close(f);
		return;
	}
	fputs("<div class=\"charts\">\n", f);
	if (mf) {
		static double lx[EPOCH_POINTS], ly[EPOCH_POINTS], ex[64], vl[64], tl[64], va[64];
		size_t nl = nums(or_jdoc_arr(mf, "loss_curve"), ly, EPOCH_POINTS);
		for (size_t i = 0; i < nl; i++)
			lx[i] = (double)(i + 1) / 20.0;
		size_t ne = nums(or_jdoc_arr(mf, "curve_epoch"), ex, 64);
		size_t nv = nums(or_jdoc_arr(mf, "curve_valid_loss"), vl, ne);
		size_t nt = nums(or_jdoc_arr(mf, "curve_train_loss"), tl, ne);
		size_t na = nums(or_jdoc_arr(mf, "curve_valid_accuracy"), va, ne);
		or_plot_series s[3] = { { "train loss, every 5 %", lx, ly, nl },
					{ "train loss, epoch", ex, tl, nt },
					{ "valid loss, epoch", ex, vl, nv } };
		or_plot p = { .section = "training-mf-loss", .title = "MF loss", .xlabel = "epoch",
			      .ylabel = "loss", .width = 460 };
		or_plot_lines(f, &p, nl ? s : s + 1, nl ? 3 : 2, NULL, 0);
		or_plot_series a = { "valid accuracy", ex, va, na };
		or_plot q = { .section = "training-mf-accuracy", .title = "MF validation accuracy",
			      .xlabel = "epoch", .ylabel = "accuracy", .width = 460 };
		or_plot_lines(f, &q, &a, 1, NULL, 0);
	}
	if (i2v) {
		static double x[64], y[64];
		size_t n = nums(or_jdoc_arr(i2v, "epoch_loss"), y, 64);
		for (size_t i = 0; i < n; i++)
			x[i] = (double)(i + 1);
		or_plot_series s = { "loss, epoch", x, y, n };
		or_plot p = { .section = "training-item2vec", .title = "item2vec loss", .xlabel = "epoch",
			      .ylabel = "mean loss per pair", .width = 460 };
		or_plot_lines(f, &p, &s, 1, NULL, 0);
	}
	fputs("</div>\n", f);
	cli_report_close(f);
}

/* ---- stage timeline --------------------------------------------------------------- */

void cli_report_timeline(const cli_report *r, FILE *f)
{
	const or_jv *st = or_jdoc_arr(cli_report_get(r, "pipeline"), "stages");
	cli_report_open(f, "timeline", "Stage timeline");
	if (!st || !st->n) {
		cli_report_absent(f, "No stage timeline: logs/pipeline.txt is missing (run and demo write "
				     "it at their end).");
		cli_report_close(f);
		return;
	}
	size_t n = st->n < CLI_STAGES_MAX ? st->n : CLI_STAGES_MAX;
	or_plot_bar wall[CLI_STAGES_MAX], rss[CLI_STAGES_MAX];
	char wn[CLI_STAGES_MAX][48], rn[CLI_STAGES_MAX][24];
	double t = 0;
	for (size_t i = 0; i < n; i++) {
		const or_jv *s = &st->items[i];
		const char *name = or_jdoc_str(s, "stage");
		const or_jv *res = or_jdoc_get(s, "resumed");
		int resumed = res && res->kind == OR_JV_BOOL && res->num;
		double sec = num(s, "seconds"), mib = num(s, "peak_rss_bytes") / 1048576.0;
		if (!isfinite(sec))
			sec = 0;
		if (resumed)
			snprintf(wn[i], sizeof(wn[i]), "resumed");
		else
			snprintf(wn[i], sizeof(wn[i]), "%.1f s, %.0f MiB", sec, mib);
		snprintf(rn[i], sizeof(rn[i]), "%.0f MiB", mib);
		wall[i] = (or_plot_bar){ name ? name : "?", t, sec, wn[i], resumed ? 6 : 0 };
		rss[i] = (or_plot_bar){ name ? name : "?", 0, resumed ? NAN : mib, resumed ? NULL : rn[i], 1 };
		t += sec;
	}
	or_plot p = { .section = "timeline-wall", .title = "wall time (stages one after another)",
		      .xlabel = "seconds since the first stage", .width = 760 };
	or_plot_hbars(f, &p, wall, n);
	or_plot q = { .section = "timeline-rss", .title = "peak resident memory per stage",
		      .xlabel = "MiB", .width = 760 };
	or_plot_hbars(f, &q, rss, n);
	cli_report_close(f);
}

/* ---- the data --------------------------------------------------------------------- */

static void data_row(FILE *f, const char *what, const or_jv *const *v, const char *const *key,
		     const char *fmt)
{
	fputs("<tr><td>", f);
	or_plot_text(f, what);
	fputs("</td>", f);
	for (int i = 0; i < 2; i++) {
		const or_jv *o = key[0][0] ? or_jdoc_get(v[i], key[0]) : v[i];
		cell(f, num(o, key[1]), fmt);
	}
	fputs("</tr>\n", f);
}

#define HIST 64

void cli_report_data(const cli_report *r, FILE *f)
{
	const or_jv *v[2] = { cli_report_get(r, "info-train"), cli_report_get(r, "info-test") };
	cli_report_open(f, "data", "The data");
	if (!v[0] && !v[1]) {
		cli_report_absent(f, "No data summary: no info stages (run and demo record them as "
				     "info-train and info-test).");
		cli_report_close(f);
		return;
	}
	fputs("<table><tr><th></th><th>train</th><th>test</th></tr>\n", f);
	data_row(f, "sessions", v, (const char *const[]){ "", "sessions" }, "<td>%.0f</td>");
	data_row(f, "items", v, (const char *const[]){ "", "items" }, "<td>%.0f</td>");
	data_row(f, "events", v, (const char *const[]){ "", "events" }, "<td>%.0f</td>");
	for (int t = 0; t < 3; t++) {
		char what[32];
		snprintf(what, sizeof(what), "%s", types[t]);
		data_row(f, what, v, (const char *const[]){ types[t], "count" }, "<td>%.0f</td>");
		snprintf(what, sizeof(what), "%s %%", types[t]);
		data_row(f, what, v, (const char *const[]){ types[t], "pct" }, "<td>%.2f</td>");
	}
	static const char *const stats[4] = { "mean", "p50", "p95", "max" };
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 4; s++) {
			char what[48];
			snprintf(what, sizeof(what), "events per %s: %s", k ? "item" : "session", stats[s]);
			data_row(f, what, v,
				 (const char *const[]){ k ? "events_per_item" : "events_per_session", stats[s] },
				 "<td>%.2f</td>");
		}
	fputs("<tr><td>first / last event (UTC)</td>", f);
	for (int i = 0; i < 2; i++) {
		const char *a = or_jdoc_str(v[i], "ts_min_utc"), *b = or_jdoc_str(v[i], "ts_max_utc");
		fputs("<td>", f);
		if (a && b) {
			or_plot_text(f, a);
			fputs("<br>", f);
			or_plot_text(f, b);
		} else {
			fputs("-", f);
		}
		fputs("</td>", f);
	}
	fputs("</tr>\n</table>\n<div class=\"charts\">\n", f);
	static const char *const hist[2] = { "session_hist", "item_hist" };
	static const char *const titles[2] = { "sessions by events per session",
					       "items by events per item" };
	static const char *const secs[2] = { "data-sessions", "data-items" };
	for (int k = 0; k < 2; k++) {
		static double x[2][HIST], y[2][HIST];
		or_plot_series s[2];
		for (int i = 0; i < 2; i++) {
			s[i].name = i ? "test" : "train";
			s[i].n = nums(or_jdoc_arr(v[i], hist[k]), y[i], HIST);
			for (size_t b = 0; b < s[i].n; b++)
				x[i][b] = ldexp(1.0, (int)b);
			s[i].x = x[i];
			s[i].y = y[i];
		}
		or_plot p = { .section = secs[k], .title = titles[k],
			      .xlabel = k ? "events per item (bucket 2^k..2^(k+1)-1)"
					  : "events per session (bucket 2^k..2^(k+1)-1)",
			      .ylabel = k ? "items" : "sessions", .xlog = 1, .ylog = 1, .width = 460 };
		or_plot_lines(f, &p, s, 2, NULL, 0);
	}
	fputs("</div>\n", f);
	cli_report_close(f);
}
