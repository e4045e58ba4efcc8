/*
 * cmd_convert.c - `ottorec convert`: read OTTO JSONL (.gz), CSV and Parquet
 * files into one event store (a single Parquet input goes straight into the
 * store file, or_parquet_convert).
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_file.h"
#include "or_ingest.h"
#include "or_parquet.h"
#include "or_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: ottorec convert [-o STORE] [options] INPUT...\n"
	"\n"
	"Read event files into one event store (written atomically).  Each INPUT is\n"
	"OTTO JSONL (one session per line), CSV (session,aid,ts,type; header\n"
	"optional; type as clicks/carts/orders or 0/1/2), either of them gzipped,\n"
	"or Parquet (columns session, aid, ts, type, as the community's OTTO files;\n"
	"docs/parquet.md); the format is detected from the content; \"-\" reads\n"
	"standard input (not for Parquet).\n"
	"\n"
	"Rules: a session is one line / one contiguous block of rows; its events must\n"
	"be in time order (out-of-order input is rejected, not sorted); a session id\n"
	"may appear once across all inputs.  Errors name file, line and column.\n"
	"\n"
	"options:\n"
	"  -o, --output STORE     output store (default: the single INPUT with its\n"
	"                         extension replaced by .store)\n"
	"      --format F         jsonl | csv | parquet | auto (default auto)\n"
	"      --ts-unit U        ms | s | auto (default auto: JSONL is ms as OTTO\n"
	"                         publishes it; CSV and Parquet are seconds when the\n"
	"                         first ts is below 1e11, else ms; a Parquet TIMESTAMP\n"
	"                         column says its own unit).  Stored ts are always ms.\n"
	"      --max-line-bytes N longest accepted line (default 1048576)\n"
	"  -q, --quiet            no progress line\n"
	"      --json             print a one-line JSON summary on stdout\n"
	"  -h, --help             this text\n";

static char *default_output(const char *input)
{
	const char *base = strrchr(input, '/');
	base = base ? base + 1 : input;
	size_t n = strlen(input);
	for (const char *ext[] = { ".jsonl.gz", ".csv.gz", ".jsonl", ".csv", ".parquet", ".gz", NULL }, **e = ext; *e; e++) {
		size_t k = strlen(*e);
		if (n > k && (size_t)(input + n - base) > k && strcmp(input + n - k, *e) == 0) {
			n -= k;
			break;
		}
	}
	char *out = malloc(n + 7);
	if (out) {
		memcpy(out, input, n);
		memcpy(out + n, ".store", 7);
	}
	return out;
}

int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "ts-unit", required_argument, NULL, 't' },
		{ "max-line-bytes", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int quiet = 0, json = 0, c;
	or_ingest_config cfg;
	or_ingest_config_default(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		int64_t v;
		switch (c) {
		case 'o': output = optarg; break;
		case 'f':
			if (!strcmp(optarg, "jsonl")) cfg.format = OR_FORMAT_JSONL;
			else if (!strcmp(optarg, "csv")) cfg.format = OR_FORMAT_CSV;
			else if (!strcmp(optarg, "parquet")) cfg.format = OR_FORMAT_PARQUET;
			else if (!strcmp(optarg, "auto")) cfg.format = OR_FORMAT_AUTO;
			else return cli_usage_error("convert", "--format must be jsonl, csv, parquet or auto, not '%s'", optarg);
			break;
		case 't':
			if (!strcmp(optarg, "ms")) cfg.ts_unit = OR_TS_MS;
			else if (!strcmp(optarg, "s")) cfg.ts_unit = OR_TS_S;
			else if (!strcmp(optarg, "auto")) cfg.ts_unit = OR_TS_AUTO;
			else return cli_usage_error("convert", "--ts-unit must be ms, s or auto, not '%s'", optarg);
			break;
		case 'm':
			if (cli_parse_i64(optarg, 64, (int64_t)1 << 32, &v))
				return cli_usage_error("convert", "--max-line-bytes must be an integer in 64..4294967296, not '%s'", optarg);
			cfg.max_line = (size_t)v;
			break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout("convert");
		default:
			return cli_bad_option("convert", argv, "o:qh", opts);
		}
	}
	int n_inputs = argc - optind;
	if (n_inputs < 1)
		return cli_usage_error("convert", "no INPUT given");
	char *owned_output = NULL;
	if (!output) {
		if (n_inputs > 1 || !strcmp(argv[optind], "-"))
			return cli_usage_error("convert", "give the output store with -o");
		owned_output = default_output(argv[optind]);
		if (!owned_output) {
			fprintf(stderr, "ottorec convert: out of memory\n");
			return CLI_FAIL;
		}
		output = owned_output;
	}
	if (cli_check_output_argv("convert", output, NULL, argv + optind, n_inputs)) {
		free(owned_output);
		return CLI_USAGE;
	}
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	uint64_t in_bytes = 0;
	size_t ns = 0, ne = 0;
	double t_read;
	int rc;
	if (n_inputs == 1 && strcmp(argv[optind], "-") &&
	    (cfg.format == OR_FORMAT_AUTO || cfg.format == OR_FORMAT_PARQUET) &&
	    or_parquet_is_file(argv[optind])) {
		/* one Parquet file: straight into the store, on every core */
		or_parquet_convert_info info;
		rc = or_parquet_convert(argv[optind], output, &cfg, cli_log(), &info, &err);
		t_read = info.read_seconds;
		ns = info.n_sessions;
		ne = info.n_events;
		or_err ignore;
		int64_t sz = or_file_size(argv[optind], &ignore);
		if (sz > 0)
			in_bytes = (uint64_t)sz;
	} else {
		or_store_builder *b = NULL;
		rc = or_store_builder_new(&b, &err);
		for (int i = optind; i < argc && !rc; i++) {
			rc = or_ingest_file(b, argv[i], &cfg, cli_log(), &err);
			or_err ignore;
			int64_t sz = strcmp(argv[i], "-") ? or_file_size(argv[i], &ignore) : 0;
			if (sz > 0)
				in_bytes += (uint64_t)sz;
		}
		t_read = cli_now() - t0;
		if (!rc)
			rc = or_store_builder_write(b, output, cli_log(), &err);
		if (b) {
			ns = or_store_builder_n_sessions(b);
			ne = or_store_builder_n_events(b);
		}
		or_store_builder_free(b);
	}
	cli_progress_done();
	if (rc) {
		free(owned_output);
		if (strstr(err.msg, "line is longer than the limit")) {
			char msg[OR_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "%s", err.msg);
			or_err_set(&err, err.code, "%.900s (raise it with --max-line-bytes)", msg);
		}
		return cli_fail("convert", &err);
	}
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "convert");
		cli_json_str(&j, "output", output);
		cli_json_int(&j, "sessions", (long long)ns);
		cli_json_int(&j, "events", (long long)ne);
		cli_json_int(&j, "input_bytes", (long long)in_bytes);
		cli_json_num(&j, "read_seconds", t_read);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_num(&j, "read_mb_per_s", t_read > 0 ? in_bytes / 1e6 / t_read : 0);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr, "wrote %s: %zu sessions, %zu events in %.2f s\n", output, ns, ne, wall);
	}
	free(owned_output);
	return cli_finish_stdout("convert");
}
