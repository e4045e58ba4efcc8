/*
 * cmd_export.c - `ottorec export`: write an event store back as OTTO JSONL
 * (the publisher's exact format) or CSV.  Owns the command's options and
 * usage text; the writing itself is lib/io/or_export.c.
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_export.h"
#include "or_file.h"
#include "or_store.h"

#include <stdio.h>
#include <string.h>

static const char *const CMD = "export";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ottorec export STORE [-o OUT] [--format jsonl|csv] [--type-digits]\n"
		"                      [--ts-seconds] [--quiet] [--json]\n"
		"\n"
		"Write the events of an event store as text, sessions in store order.\n"
		"\n"
		"  jsonl  one line per session, byte-identical to the OTTO publisher's files:\n"
		"         {\"session\":0,\"events\":[{\"aid\":1517085,\"ts\":1659304800025,\"type\":\"clicks\"},...]}\n"
		"  csv    header session,aid,ts,type, one row per event, ts in milliseconds\n"
		"\n"
		"options:\n"
		"  -o, --output OUT   output file (default: standard output); written\n"
		"                     atomically: a failed run leaves nothing under OUT\n"
		"  --format F         jsonl or csv (default: csv when OUT ends in .csv,\n"
		"                     else jsonl)\n"
		"  --type-digits      csv: type as 0/1/2 (clicks/carts/orders) instead of words\n"
		"  --ts-seconds       csv: ts in seconds (ts/1000); refused unless every ts is\n"
		"                     a whole second, so that nothing is lost\n"
		"  -q, --quiet        no progress line\n"
		"  --json             print a one-line JSON summary on standard output\n"
		"                     (needs -o, since standard output would carry the data)\n"
		"  -h, --help         this text\n");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int cmd_export(int argc, char **argv)
{
	const char *store_path = NULL, *out = "-", *format = NULL;
	int type_digits = 0, ts_seconds = 0, quiet = 0, json = 0, out_given = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return cli_finish_stdout(CMD);
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc)
				return cli_usage_error(CMD, "%s needs a file name", a);
			out = argv[i];
			out_given = 1;
		} else if (!strcmp(a, "--format")) {
			if (++i >= argc)
				return cli_usage_error(CMD, "--format needs jsonl or csv");
			format = argv[i];
			if (strcmp(format, "jsonl") && strcmp(format, "csv"))
				return cli_usage_error(CMD, "--format %s: expected jsonl or csv", format);
		} else if (!strcmp(a, "--type-digits")) {
			type_digits = 1;
		} else if (!strcmp(a, "--ts-seconds")) {
			ts_seconds = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			return cli_usage_error(CMD, "unknown option %s", a);
		} else if (!store_path) {
			store_path = a;
		} else {
			return cli_usage_error(CMD, "unexpected argument %s (one STORE only)", a);
		}
	}
	if (!store_path)
		return cli_usage_error(CMD, "missing STORE");
	if (!format)
		format = ends_with(out, ".csv") ? "csv" : "jsonl";
	const int csv = !strcmp(format, "csv");
	if (!csv && (type_digits || ts_seconds))
		return cli_usage_error(CMD, "%s applies to --format csv only (JSONL keeps the publisher's format)",
				       type_digits ? "--type-digits" : "--ts-seconds");
	if (json && (!out_given || !strcmp(out, "-")))
		return cli_usage_error(CMD, "--json needs -o OUT (standard output carries the data)");

	cli_input in = { store_path, 0 };
	if (cli_check_output(CMD, out, NULL, &in, 1))
		return CLI_USAGE;

	cli_log_setup(quiet);
	or_err err;
	or_err_clear(&err);
	or_store *st = NULL;
	if (or_store_open(store_path, &st, &err))
		return cli_fail(CMD, &err);

	double t0 = cli_now();
	int rc;
	if (csv) {
		or_export_csv_config cfg;
		or_export_csv_config_default(&cfg);
		cfg.type_digits = type_digits;
		cfg.ts_seconds = ts_seconds;
		rc = or_export_csv_ex(st, out, &cfg, cli_log(), &err);
	} else {
		rc = or_export_jsonl(st, out, cli_log(), &err);
	}
	double secs = cli_now() - t0;
	cli_progress_done();
	size_t ns = or_store_n_sessions(st), ne = or_store_n_events(st);
	or_store_free(st);
	if (rc)
		return cli_fail(CMD, &err);

	if (json) {
		int64_t bytes = or_file_size(out, &err);
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "store", store_path);
		cli_json_str(&j, "output", out);
		cli_json_str(&j, "format", format);
		cli_json_int(&j, "sessions", (long long)ns);
		cli_json_int(&j, "events", (long long)ne);
		cli_json_int(&j, "bytes", (long long)bytes);
		cli_json_num(&j, "seconds", secs);
		cli_json_num(&j, "mb_per_s", bytes > 0 && secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
		cli_json_int(&j, "peak_rss", (long long)cli_peak_rss());
		cli_json_print(&j);
	}
	return cli_finish_stdout(CMD);
}
