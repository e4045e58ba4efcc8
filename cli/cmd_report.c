/*
 * cmd_report.c - `ottorec report`: the HTML page of a run directory (the
 * options, the output check, the summary line); the page is cli_report.c's.
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_pipeline.h"
#include "cli_report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "report";

static const char usage_text[] =
	"usage: ottorec report OUTDIR [-o FILE] [--json] [-q]\n"
	"\n"
	"One self-contained HTML page of a run (`ottorec run` and `ottorec demo`\n"
	"write it at their end): inline SVG charts, no script, no network, no font\n"
	"file, printable.  From the numbers the stages recorded in OUTDIR/logs/\n"
	"(their --json summaries and the stage table), nothing recomputed:\n"
	"  scores     Recall@20 per type and the total, per strategy, local\n"
	"             validation and test\n"
	"  by length  the same by session length (evaluate --by-length)\n"
	"  candidates the candidates' recall at N = 1..200 per type, the ranker's\n"
	"             final Recall@20 marked\n"
	"  features   the ranker's 20 features of most gain, per type\n"
	"  training   MF loss every 5 % of an epoch and per epoch, validation\n"
	"             accuracy; item2vec loss per epoch\n"
	"  timeline   wall time and peak RSS of each stage\n"
	"  data       the info table of train and test, log-log histograms of\n"
	"             events per session and per item\n"
	"A section whose numbers the run did not record says so in one line.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE  the page (default OUTDIR/report.html), written atomically\n"
	"      --json         print a one-line JSON summary on stdout\n"
	"  -q, --quiet        no message naming the page\n"
	"  -h, --help         this text\n";

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int json = 0, quiet = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_bad_option(CMD, argv, "o:qh", opts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(CMD, argc - optind < 1 ? "no OUTDIR given" : "give exactly one OUTDIR");
	const char *dir = argv[optind];
	char *def = out ? NULL : cli_path_join(dir, "report.html");
	char *logs = cli_path_join(dir, "logs");
	const char *path = out ? out : def;
	cli_input ins[] = { { logs, 1 } };
	if (!path || !logs || cli_check_output(CMD, path, NULL, ins, 1)) {
		free(def);
		free(logs);
		return CLI_USAGE;
	}
	double t0 = cli_now();
	size_t bytes = 0;
	int rc = cli_report_write(CMD, dir, path, &bytes);
	double wall = cli_now() - t0;
	if (!rc && json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "output", path);
		cli_json_int(&j, "bytes", (long long)bytes);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!rc && !quiet) {
		fprintf(stderr, "wrote %s (%zu bytes) in %.3f s\n", path, bytes, wall);
	}
	free(def);
	free(logs);
	return rc ? rc : cli_finish_stdout(CMD);
}
