/*
 * cmd_info.c - `ottorec info`: the statistics of an event store as the OTTO
 * dataset's README tabulates them (counts, events by type, time range,
 * events per session and per item described as pandas does), as an aligned
 * text table or one JSON line.  Owns the command's options, usage text and
 * layout; the numbers come from lib/store/or_stats.c.
 */
#include "cli.h"
#include "or_stats.h"
#include "or_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "info";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ottorec info STORE [--verify] [--json] [--quiet]\n"
		"\n"
		"Statistics of an event store, as in the OTTO dataset's README: sessions,\n"
		"items (distinct aids), events, events by type (count and %%), time range\n"
		"(UTC), and events per session / per item: mean, std, min, 50%%, 75%%, 90%%,\n"
		"95%%, max.  std is the sample standard deviation (ddof=1) and percentiles\n"
		"use linear interpolation between closest ranks (numpy's default, as in\n"
		"pandas' describe), so the numbers match df.groupby(...).size().describe().\n"
		"\n"
		"options:\n"
		"  --verify     first check the whole store (checksums, offsets, order,\n"
		"               types); a damaged store is an error\n"
		"  --json       one JSON line with all the same numbers instead of the table\n"
		"  -q, --quiet  no progress line\n"
		"  -h, --help   this text\n");
}

/* 12,345,678 */
static const char *thousands(char *buf, size_t n, uint64_t v)
{
	char raw[32];
	int len = snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v);
	size_t k = 0;
	for (int i = 0; i < len && k + 1 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0 && k + 2 < n)
			buf[k++] = ',';
		buf[k++] = raw[i];
	}
	buf[k] = '\0';
	return buf;
}

/* A describe figure for the table: integers as integers, else 2 decimals. */
static const char *fig(char *buf, size_t n, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (!decimals && v == floor(v) && fabs(v) < 1e18)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.2f", v);
	return buf;
}

/* A JSON number: integers exactly, others round-trip; NaN as null. */
static const char *jnum(char *buf, size_t n, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, n, "null");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(buf, n, "%.0f", v);
	} else {
		snprintf(buf, n, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, n, "%.17g", v);
	}
	return buf;
}

static void describe_json(char *out, size_t n, const or_describe *d)
{
	char m[40], s[40], a[40], b[40], c[40], e[40];
	snprintf(out, n,
		 "{\"n\":%llu,\"mean\":%s,\"std\":%s,\"min\":%llu,\"p50\":%s,\"p75\":%s,\"p90\":%s,\"p95\":%s,\"max\":%llu}",
		 (unsigned long long)d->n, jnum(m, sizeof(m), d->mean), jnum(s, sizeof(s), d->std),
		 (unsigned long long)d->min, jnum(a, sizeof(a), d->p50), jnum(b, sizeof(b), d->p75),
		 jnum(c, sizeof(c), d->p90), jnum(e, sizeof(e), d->p95), (unsigned long long)d->max);
}

/* A log-2 histogram as [count of 1, of 2-3, of 4-7, ...] up to its last
   non-empty bucket. */
static void hist_json(char *out, size_t n, const uint64_t *h)
{
	size_t last = 0, len = 0;
	for (size_t k = 0; k < OR_STATS_HIST; k++)
		if (h[k])
			last = k + 1;
	len += (size_t)snprintf(out + len, n - len, "[");
	for (size_t k = 0; k < last && len < n; k++)
		len += (size_t)snprintf(out + len, n - len, "%s%llu", k ? "," : "", (unsigned long long)h[k]);
	if (len < n)
		snprintf(out + len, n - len, "]");
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : NAN;
}

static void print_json(const char *path, int verified, const or_stats *s, double secs)
{
	char buf[64], raw[2048];
	cli_json j;
	cli_json_begin(&j);
	cli_json_str(&j, "command", CMD);
	cli_json_str(&j, "store", path);
	cli_json_raw(&j, "verified", verified ? "true" : "false");
	cli_json_int(&j, "sessions", (long long)s->n_sessions);
	cli_json_int(&j, "items", (long long)s->n_items);
	cli_json_int(&j, "events", (long long)s->n_events);
	for (unsigned t = 0; t < OR_N_TYPES; t++) {
		char p[40];
		snprintf(raw, sizeof(raw), "{\"count\":%llu,\"pct\":%s}",
			 (unsigned long long)s->n_type[t], jnum(p, sizeof(p), pct(s->n_type[t], s->n_events)));
		cli_json_raw(&j, or_type_name(t), raw);
	}
	if (s->n_events) {
		cli_json_int(&j, "ts_min", (long long)s->ts_min);
		cli_json_int(&j, "ts_max", (long long)s->ts_max);
		cli_json_str(&j, "ts_min_utc", or_stats_utc_iso(s->ts_min, buf, sizeof(buf)));
		cli_json_str(&j, "ts_max_utc", or_stats_utc_iso(s->ts_max, buf, sizeof(buf)));
	} else {
		cli_json_raw(&j, "ts_min", "null");
		cli_json_raw(&j, "ts_max", "null");
		cli_json_raw(&j, "ts_min_utc", "null");
		cli_json_raw(&j, "ts_max_utc", "null");
	}
	cli_json_int(&j, "aid_bound", (long long)s->aid_bound);
	describe_json(raw, sizeof(raw), &s->per_session);
	cli_json_raw(&j, "events_per_session", raw);
	describe_json(raw, sizeof(raw), &s->per_item);
	cli_json_raw(&j, "events_per_item", raw);
	hist_json(raw, sizeof(raw), s->hist_session);
	cli_json_raw(&j, "session_hist", raw);
	hist_json(raw, sizeof(raw), s->hist_item);
	cli_json_raw(&j, "item_hist", raw);
	cli_json_num(&j, "seconds", secs);
	cli_json_print(&j);
}

enum { N_COLS = 8 };

static void describe_cells(const or_describe *d, char cell[N_COLS][40])
{
	fig(cell[0], 40, d->mean, 1);
	fig(cell[1], 40, d->std, 1);
	if (d->n)
		thousands(cell[2], 40, d->min);
	else
		snprintf(cell[2], 40, "-");
	fig(cell[3], 40, d->p50, 0);
	fig(cell[4], 40, d->p75, 0);
	fig(cell[5], 40, d->p90, 0);
	fig(cell[6], 40, d->p95, 0);
	if (d->n)
		thousands(cell[7], 40, d->max);
	else
		snprintf(cell[7], 40, "-");
}

static void print_table(const char *path, int verified, const or_stats *s)
{
	char a[40], b[40];
	const int w = 20; /* label column */
	thousands(a, sizeof(a), s->n_events);
	const int nw = (int)strlen(a); /* widest count */
	printf("%-*s%s%s\n", w, "store", path, verified ? "  (verified)" : "");
	printf("%-*s%*s\n", w, "sessions", nw, thousands(a, sizeof(a), s->n_sessions));
	printf("%-*s%*s\n", w, "items (aids)", nw, thousands(a, sizeof(a), s->n_items));
	printf("%-*s%*s\n", w, "events", nw, thousands(a, sizeof(a), s->n_events));
	for (unsigned t = 0; t < OR_N_TYPES; t++) {
		double p = pct(s->n_type[t], s->n_events);
		char label[32];
		snprintf(label, sizeof(label), "  %s", or_type_name(t));
		if (isnan(p))
			snprintf(b, sizeof(b), "-");
		else
			snprintf(b, sizeof(b), "%.2f%%", p);
		printf("%-*s%*s  %7s\n", w, label, nw, thousands(a, sizeof(a), s->n_type[t]), b);
	}
	if (s->n_events) {
		printf("%-*s%s\n", w, "first event (UTC)", or_stats_utc_iso(s->ts_min, a, sizeof(a)));
		printf("%-*s%s\n", w, "last event (UTC)", or_stats_utc_iso(s->ts_max, a, sizeof(a)));
	} else {
		printf("%-*s-\n", w, "first event (UTC)");
		printf("%-*s-\n", w, "last event (UTC)");
	}

	static const char *const head[N_COLS] = { "mean", "std", "min", "50%", "75%", "90%", "95%", "max" };
	char rows[2][N_COLS][40];
	describe_cells(&s->per_session, rows[0]);
	describe_cells(&s->per_item, rows[1]);
	int cw[N_COLS];
	for (int c = 0; c < N_COLS; c++) {
		cw[c] = (int)strlen(head[c]);
		for (int r = 0; r < 2; r++)
			if ((int)strlen(rows[r][c]) > cw[c])
				cw[c] = (int)strlen(rows[r][c]);
	}
	printf("\n%-*s", w, "");
	for (int c = 0; c < N_COLS; c++)
		printf("  %*s", cw[c], head[c]);
	static const char *const label[2] = { "events per session", "events per item" };
	for (int r = 0; r < 2; r++) {
		printf("\n%-*s", w, label[r]);
		for (int c = 0; c < N_COLS; c++)
			printf("  %*s", cw[c], rows[r][c]);
	}
	printf("\n\nstd: sample (ddof=1); percentiles: linear interpolation (numpy/pandas default)\n");
}

int cmd_info(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, verify = 0, quiet = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return cli_finish_stdout(CMD);
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--verify")) {
			verify = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			return cli_usage_error(CMD, "unknown option %s", a);
		} else if (!path) {
			path = a;
		} else {
			return cli_usage_error(CMD, "unexpected argument %s (one STORE only)", a);
		}
	}
	if (!path)
		return cli_usage_error(CMD, "missing STORE");

	cli_log_setup(quiet);
	or_err err;
	or_err_clear(&err);
	or_store *st = NULL;
	if (or_store_open(path, &st, &err))
		return cli_fail(CMD, &err);
	double t0 = cli_now();
	int rc = verify ? or_store_verify(st, cli_log(), &err) : OR_OK;
	or_stats s;
	if (!rc)
		rc = or_stats_compute(st, &s, cli_log(), &err);
	double secs = cli_now() - t0;
	cli_progress_done();
	or_store_free(st);
	if (rc)
		return cli_fail(CMD, &err);
	if (json)
		print_json(path, verify, &s, secs);
	else
		print_table(path, verify, &s);
	return cli_finish_stdout(CMD);
}
