/*
 * cmd_synth.c - `ottorec synth`: generate an OTTO-like synthetic data set
 * (train.store, test.store, test_labels.jsonl, optionally the JSONL files)
 * into a directory.  Owns the command's options and usage text; the model
 * lives in lib/store/or_synth*.c.
 */
#include "cli.h"
#include "or_synth.h"

#include <stdio.h>
#include <string.h>

static const char *usage_text =
	"usage: ottorec synth --scale X --seed N -o DIR [--jsonl] [--threads N]\n"
	"                     [--quiet] [--json]\n"
	"\n"
	"Generate an OTTO-like synthetic data set into DIR (created if missing):\n"
	"  train.store        4 weeks of sessions (from 2022-07-31 22:00 UTC)\n"
	"  test.store         the following week, each session cut at a random point\n"
	"  test_labels.jsonl  what follows each cut, in the organiser's labels format\n"
	"Each file is written atomically; a failed or interrupted run leaves none\n"
	"of its files.  At scale 1.0 the data has OTTO's size: 12.9 M train\n"
	"sessions, 217 M events, 1.86 M items (3.2 GB of stores; about 30 s and\n"
	"3.3 GB of memory on 2 cores).  The model: docs/synth.md.\n"
	"\n"
	"options:\n"
	"  --scale X      fraction of OTTO's size, 0.0001 to 1.0 (default 0.01)\n"
	"  --seed N       random seed, 0 to 2^63-1 (default 42); the same seed gives\n"
	"                 the same bytes whatever the thread count\n"
	"  -o, --output DIR  output directory (required)\n"
	"  --jsonl        also write train.jsonl and test.jsonl (OTTO's format;\n"
	"                 about 11 GB at scale 1.0); without it, JSONL files in DIR\n"
	"                 are kept (with a warning: not this run's)\n"
	"  --threads N    worker threads (default: all cores)\n"
	"  -q, --quiet    no progress line and no summary\n"
	"  --json         print a one-line JSON summary on stdout\n"
	"  -h, --help     this text\n";

/* CLI_USAGE (with the message printed) when option i has no value */
static int need_arg(int argc, int i, const char *opt)
{
	if (i + 1 >= argc)
		return cli_usage_error("synth", "%s needs a value", opt);
	return 0;
}

int cmd_synth(int argc, char **argv)
{
	or_synth_config cfg;
	or_synth_config_default(&cfg);
	const char *out = NULL;
	int jsonl = 0, quiet = 0, json = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return cli_finish_stdout("synth");
		} else if (!strcmp(a, "--scale")) {
			if (need_arg(argc, i, a))
				return CLI_USAGE;
			if (cli_parse_double(argv[++i], OR_SYNTH_SCALE_MIN, OR_SYNTH_SCALE_MAX,
					     &cfg.scale))
				return cli_usage_error("synth",
						       "--scale '%s' is not a number from %g to %g (1.0 is OTTO's full size)",
						       argv[i], OR_SYNTH_SCALE_MIN, OR_SYNTH_SCALE_MAX);
		} else if (!strcmp(a, "--seed")) {
			int64_t v;
			if (need_arg(argc, i, a))
				return CLI_USAGE;
			if (cli_parse_i64(argv[++i], 0, INT64_MAX, &v))
				return cli_usage_error("synth", "--seed '%s' is not an integer from 0 to 2^63-1",
						       argv[i]);
			cfg.seed = (uint64_t)v;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (need_arg(argc, i, a))
				return CLI_USAGE;
			out = argv[++i];
			if (!*out)
				return cli_usage_error("synth", "%s needs a directory name", a);
		} else if (!strcmp(a, "--threads")) {
			int64_t v;
			if (need_arg(argc, i, a))
				return CLI_USAGE;
			if (cli_parse_i64(argv[++i], 1, 1024, &v))
				return cli_usage_error("synth", "--threads '%s' is not an integer from 1 to 1024",
						       argv[i]);
			cfg.threads = (int)v;
		} else if (!strcmp(a, "--jsonl")) {
			jsonl = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else {
			return cli_usage_error("synth", "unknown option or argument '%s'", a);
		}
	}
	if (!out)
		return cli_usage_error("synth", "no output directory: give -o DIR");

	cli_log_setup(quiet);
	double t0 = cli_now();
	or_synth_result res;
	or_err err;
	or_err_clear(&err);
	int rc = or_synth_write_dir(&cfg, out, jsonl, cli_log(), &res, &err);
	cli_progress_done();
	if (rc)
		return cli_fail("synth", &err);
	double wall = cli_now() - t0;

	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "synth");
		cli_json_str(&j, "output", out);
		cli_json_num(&j, "scale", cfg.scale);
		cli_json_int(&j, "seed", (long long)cfg.seed);
		cli_json_int(&j, "items", (long long)res.n_items);
		cli_json_int(&j, "train_sessions", (long long)res.train_sessions);
		cli_json_int(&j, "train_events", (long long)res.train_events);
		cli_json_int(&j, "test_sessions", (long long)res.test_sessions);
		cli_json_int(&j, "test_events", (long long)res.test_events);
		cli_json_int(&j, "labels", (long long)res.labels);
		cli_json_int(&j, "sessions", (long long)(res.train_sessions + res.test_sessions));
		cli_json_int(&j, "events", (long long)(res.train_events + res.test_events));
		cli_json_int(&j, "jsonl", jsonl);
		cli_json_num(&j, "wall_s", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		printf("wrote %s: train %zu sessions / %zu events, test %zu sessions / %zu events, "
		       "%zu labels, %zu items, in %.1f s\n",
		       out, res.train_sessions, res.train_events, res.test_sessions,
		       res.test_events, res.labels, res.n_items, wall);
	}
	return cli_finish_stdout("synth");
}
