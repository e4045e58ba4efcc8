/*
 * cmd_stats.c - `ottorec stats`: the ranker's item statistics of a training
 * period (counts, item features, next-item table: or_cand.h) built once from
 * its stores and written as a file (lib/rec/or_cand_stats_file.h), which
 * `candidates`, `recommend --strategy ranker` and `serve` then map with
 * --stats instead of building the same again.  Owns the command's options,
 * usage text and report.
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_models.h"
#include "or_cand_stats_file.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const CMD = "stats";

static const char usage_text[] =
	"usage: ottorec stats --train STORE... -o FILE [options]\n"
	"\n"
	"The item statistics the ranker's features read (docs/ranker.md), built\n"
	"from the training period's stores: per item its clicks, carts and orders\n"
	"over the period, its last week and last day, the item features made of\n"
	"them, and the next-item table.  `candidates`, `recommend --strategy\n"
	"ranker` and `serve` read FILE with --stats instead of building them\n"
	"again, with the same results.  FILE records each store's path and\n"
	"checksum: a reader given other stores, or whose stores have changed\n"
	"since, refuses it as stale.  Written beside FILE and renamed into place.\n"
	"\n"
	"options:\n"
	"      --train STORE      a store of the training period (repeatable, at\n"
	"                         most 8; `run` gives train and test)\n"
	"  -o, --output FILE      the statistics file\n"
	"  -q, --quiet            no progress line, no report\n"
	"      --json             print a one-line JSON summary on stdout\n"
	"  -h, --help             this text\n";

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "train", required_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	cli_train tr;
	memset(&tr, 0, sizeof(tr));
	int quiet = 0, json = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'R':
			if (cli_train_add(CMD, &tr, optarg))
				return CLI_USAGE;
			break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_bad_option(CMD, argv, "o:qh", opts);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s' (give stores with --train)", argv[optind]);
	if (!tr.n)
		return cli_usage_error(CMD, "give the training period's stores with --train STORE");
	if (!out)
		return cli_usage_error(CMD, "give the statistics file with -o FILE");
	cli_input ins[CLI_MAX_TRAIN + 1];
	size_t n_ins = 0;
	cli_train_inputs(&tr, ins, &n_ins);
	if (cli_check_output(CMD, out, NULL, ins, n_ins))
		return CLI_USAGE;
	cli_log_setup(quiet);
	or_err err;
	or_err_clear(&err);
	double t0 = cli_now();
	int rc = cli_train_open(&tr, &err);
	double t_build = cli_now() - t0, t1 = cli_now();
	if (!rc)
		rc = or_cand_stats_write(tr.stats, out, cli_log(), &err);
	double t_write = cli_now() - t1;
	cli_progress_done();
	uint64_t events = 0;
	size_t items = 0, n_src = 0;
	double days = 0;
	if (!rc) {
		const or_cand_stats_source *src = or_cand_stats_sources(tr.stats);
		n_src = or_cand_stats_n_sources(tr.stats);
		for (size_t i = 0; i < n_src; i++)
			events += src[i].n_events;
		items = or_cand_stats_n_items(tr.stats);
		days = or_cand_stats_period_days(tr.stats);
	}
	cli_train_free(&tr);
	if (rc)
		return cli_fail(CMD, &err);
	struct stat sb;
	long long bytes = stat(out, &sb) == 0 ? (long long)sb.st_size : -1;
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "output", out);
		cli_json_int(&j, "stores", (long long)n_src);
		cli_json_int(&j, "events", (long long)events);
		cli_json_int(&j, "items", (long long)items);
		cli_json_num(&j, "period_days", days);
		cli_json_int(&j, "bytes", bytes);
		cli_json_num(&j, "build_seconds", t_build);
		cli_json_num(&j, "write_seconds", t_write);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr, "stats: %zu items of %llu events in %zu store%s (%.1f days), wrote %s (%.1f MiB) in %.2f s, peak RSS %.0f MiB\n",
			items, (unsigned long long)events, n_src, n_src == 1 ? "" : "s", days, out,
			(double)bytes / 1048576.0, wall, (double)cli_peak_rss() / 1048576.0);
	}
	return cli_finish_stdout(CMD);
}
