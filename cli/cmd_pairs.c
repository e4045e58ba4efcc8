/*
 * cmd_pairs.c - `ottorec pairs`: aid -> aid_next pairs of event stores into
 * a pairs file (the training data of `ottorec train`).
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_pairs.h"
#include "or_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: ottorec pairs -o PAIRS [options] STORE...\n"
	"\n"
	"Pairs (aid, aid_next) from consecutive events of every session of the\n"
	"stores (give train and test together, as the notebook does), written\n"
	"atomically as a versioned, checksummed, mmap-able pairs file.  The pairs\n"
	"of a deterministic share of sessions are held out for validation.  The\n"
	"file carries the models' item dictionary, the union of the stores' aids,\n"
	"and models trained on it have one row per distinct aid.\n"
	"\n"
	"options:\n"
	"  -o, --output PAIRS       output file (required)\n"
	"  -w, --window K           pair each event with the next K events (1..64,\n"
	"                           default 1: consecutive events)\n"
	"      --types LIST         event types used, comma-separated from clicks,\n"
	"                           carts, orders (default all); others are dropped\n"
	"                           before pairing\n"
	"      --max-gap SECONDS    skip pairs more than this far apart in time\n"
	"                           (default 0: no limit)\n"
	"      --valid-fraction F   hold out the pairs of this share of sessions\n"
	"                           (0..1, default 0.05)\n"
	"      --valid-last N       hold out the last N pairs instead (the\n"
	"                           notebook's pairs[-10_000_000:])\n"
	"      --seed N             shuffle and hold-out seed (default 42)\n"
	"      --no-shuffle         keep the training pairs in store order\n"
	"      --threads N          worker threads (default: all cores); the\n"
	"                           output bytes do not depend on it\n"
	"  -q, --quiet              no progress line\n"
	"      --json               print a one-line JSON summary on stdout\n"
	"  -h, --help               this text\n";

static int parse_types(const char *s, unsigned *mask)
{
	*mask = 0;
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned t;
		for (t = 0; t < OR_N_TYPES; t++)
			if (!strcmp(tok, or_type_name(t)))
				break;
		if (t == OR_N_TYPES)
			return -1;
		*mask |= 1u << t;
	}
	return *mask ? 0 : -1;
}

int cmd_pairs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "window", required_argument, NULL, 'w' },
		{ "types", required_argument, NULL, 'T' },
		{ "max-gap", required_argument, NULL, 'g' },
		{ "valid-fraction", required_argument, NULL, 'f' },
		{ "valid-last", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-shuffle", no_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int quiet = 0, json = 0, c;
	or_pairs_config cfg;
	or_pairs_config_default(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:w:qh", opts, NULL)) != -1) {
		int64_t v;
		switch (c) {
		case 'o': output = optarg; break;
		case 'w':
			if (cli_parse_i64(optarg, 1, 64, &v))
				return cli_usage_error("pairs", "--window must be an integer in 1..64, not '%s'", optarg);
			cfg.window = (int)v;
			break;
		case 'T':
			if (parse_types(optarg, &cfg.type_mask))
				return cli_usage_error("pairs", "--types must list clicks, carts and/or orders, not '%s'", optarg);
			break;
		case 'g': {
			double g;
			if (cli_parse_double(optarg, 0, 1e10, &g))
				return cli_usage_error("pairs", "--max-gap must be seconds in 0..1e10, not '%s'", optarg);
			cfg.max_gap_ms = (int64_t)(g * 1000.0 + 0.5);
			break;
		}
		case 'f':
			if (cli_parse_double(optarg, 0, 1, &cfg.valid_fraction))
				return cli_usage_error("pairs", "--valid-fraction must be in 0..1, not '%s'", optarg);
			break;
		case 'l':
			if (cli_parse_i64(optarg, 1, INT64_MAX, &v))
				return cli_usage_error("pairs", "--valid-last must be a positive integer, not '%s'", optarg);
			cfg.valid_last = (uint64_t)v;
			break;
		case 's':
			if (cli_parse_i64(optarg, 0, INT64_MAX, &v))
				return cli_usage_error("pairs", "--seed must be a non-negative integer, not '%s'", optarg);
			cfg.seed = (uint64_t)v;
			break;
		case 'S': cfg.shuffle = 0; break;
		case 't':
			if (cli_parse_threads("pairs", optarg, &v))
				return CLI_USAGE;
			cfg.threads = (int)v;
			break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout("pairs");
		default:
			return cli_bad_option("pairs", argv, "o:w:qh", opts);
		}
	}
	int n_stores = argc - optind;
	if (n_stores < 1)
		return cli_usage_error("pairs", "no STORE given");
	if (!output)
		return cli_usage_error("pairs", "give the output file with -o");
	if (!strcmp(output, "-"))
		return cli_usage_error("pairs", "-o -: a pairs file is written in place (mapped), not to standard output; give a file name");
	if (cli_check_output_argv("pairs", output, NULL, argv + optind, n_stores))
		return CLI_USAGE;
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_store **stores = calloc((size_t)n_stores, sizeof(*stores));
	if (!stores) {
		fprintf(stderr, "ottorec pairs: out of memory\n");
		return CLI_FAIL;
	}
	int rc = OR_OK;
	for (int i = 0; i < n_stores && !rc; i++)
		rc = or_store_open(argv[optind + i], &stores[i], &err);
	or_pairs_stats st;
	memset(&st, 0, sizeof(st));
	if (!rc)
		rc = or_pairs_build(stores, (size_t)n_stores, &cfg, output, cli_log(), &st, &err);
	for (int i = 0; i < n_stores; i++)
		or_store_free(stores[i]);
	free(stores);
	cli_progress_done();
	if (rc)
		return cli_fail("pairs", &err);
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "pairs");
		cli_json_str(&j, "output", output);
		cli_json_int(&j, "sessions", (long long)st.n_sessions);
		cli_json_int(&j, "train_pairs", (long long)st.n_train);
		cli_json_int(&j, "valid_pairs", (long long)st.n_valid);
		cli_json_int(&j, "valid_sessions", (long long)st.n_valid_sessions);
		cli_json_int(&j, "items", (long long)st.n_items);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_num(&j, "pairs_per_s", wall > 0 ? (double)(st.n_train + st.n_valid) / wall : 0);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr, "wrote %s: %llu training + %llu validation pairs of %u items from %llu sessions in %.2f s\n",
			output, (unsigned long long)st.n_train, (unsigned long long)st.n_valid,
			st.n_items, (unsigned long long)st.n_sessions, wall);
	}
	return cli_finish_stdout("pairs");
}
