/*
 * cmd_covisit.c - `ottorec covisit`: the three co-visitation matrices of
 * the OTTO "candidate rerank" notebook over one or more stores, written as
 * table files in a directory.  Owns the command's options and usage text;
 * the rule and the format are lib/covisit/or_covisit.c.
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_covisit.h"
#include "or_covisit_set.h"
#include "or_file.h"
#include "or_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "covisit";

static const char usage_text[] =
	"usage: ottorec covisit -o DIR [options] STORE...\n"
	"\n"
	"Count the co-visitation matrices of the OTTO \"candidate rerank\" notebook\n"
	"over the sessions of every STORE (usually train and test together):\n"
	"  per session, its last-N (30) most recent events (ts in seconds, ties in\n"
	"  store order); pairs (a, b), a != b, |ts_a - ts_b| < window; each\n"
	"  (session, a, b) counted once (the first pair in merge order);\n"
	"  clicks        weight 1 + 3 (ts_a - ts_min) / (ts_max - ts_min), top 20;\n"
	"  carts_orders  weight by the type of b: clicks 1, carts 6, orders 3, top 15;\n"
	"  buy2buy       carts and orders only, window 14 days, weight 1, top 15.\n"
	"Each row keeps its best b by weight, ties broken by the smaller aid.\n"
	"Rows are the items of the union of the STOREs' item dictionaries (their\n"
	"distinct aids): sizes follow distinct aids, never the largest aid.\n"
	"Writes DIR/clicks.covisit, DIR/carts_orders.covisit, DIR/buy2buy.covisit\n"
	"(versioned, checksummed, mmap-able, each with the dictionary; layout in\n"
	"lib/covisit/or_covisit.h), each atomically, then DIR/covisit.manifest, the\n"
	"checksums of the set that readers check (an interrupted run is refused,\n"
	"never mixed).  A second covisit into DIR at the same time fails at once.\n"
	"The same inputs give the same bytes for any thread count.\n"
	"\n"
	"options:\n"
	"  -o, --output DIR        output directory (created if missing)\n"
	"      --only KINDS        comma list of clicks,carts_orders,buy2buy (default all)\n"
	"      --last-n N          most recent events per session (default 30)\n"
	"      --window-hours H    clicks and carts_orders window (default 24)\n"
	"      --b2b-window-days D buy2buy window (default 14)\n"
	"      --top-clicks K      clicks row length (default 20)\n"
	"      --top-buys K        carts_orders and buy2buy row length (default 15)\n"
	"      --type-weights C,A,O  carts_orders weights (default 1,6,3)\n"
	"      --dedup-per-type    carts_orders: count (session, a, b) once per type of b\n"
	"      --mem-gib G         memory for the pair tables of one item-range pass\n"
	"                          (default 8); more passes when the data need more\n"
	"      --threads N         threads (default: all cores)\n"
	"  -q, --quiet             no progress line or summary\n"
	"      --json              print a one-line JSON summary on stdout\n"
	"  -h, --help              this text\n";

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);
	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}

static int parse_weights(const char *s, double w[3])
{
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	char *save = NULL, *tok = strtok_r(buf, ",", &save);
	for (int i = 0; i < 3; i++) {
		if (!tok || cli_parse_double(tok, 0, 1e9, &w[i]))
			return -1;
		tok = strtok_r(NULL, ",", &save);
	}
	return tok ? -1 : 0;
}

int cmd_covisit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "last-n", required_argument, NULL, 'n' },
		{ "window-hours", required_argument, NULL, 'w' },
		{ "b2b-window-days", required_argument, NULL, 'b' },
		{ "top-clicks", required_argument, NULL, 'c' },
		{ "top-buys", required_argument, NULL, 'k' },
		{ "type-weights", required_argument, NULL, 'W' },
		{ "dedup-per-type", no_argument, NULL, 'D' },
		{ "mem-gib", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	int quiet = 0, json = 0, c, want[3] = { 1, 1, 1 }, dedup_type = 0;
	int64_t last_n = 30, win_h = 24, b2b_d = 14, top_c = 20, top_b = 15, threads = 0;
	double mem_gib = 8, tw[3] = { 1, 6, 3 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 'O': {
			want[0] = want[1] = want[2] = 0;
			char buf[256];
			if (strlen(optarg) >= sizeof(buf))
				return cli_usage_error(CMD, "--only: list too long");
			memcpy(buf, optarg, strlen(optarg) + 1);
			char *save = NULL;
			for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int found = 0;
				for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++)
					if (!strcmp(tok, or_covisit_kind_name(k)))
						want[k] = found = 1;
				if (!found)
					return cli_usage_error(CMD, "--only takes clicks, carts_orders, buy2buy, not '%s'", tok);
			}
			break;
		}
		case 'n':
			if (cli_parse_i64(optarg, 1, 4096, &last_n))
				return cli_usage_error(CMD, "--last-n must be an integer in 1..4096, not '%s'", optarg);
			break;
		case 'w':
			if (cli_parse_i64(optarg, 0, 1000000, &win_h))
				return cli_usage_error(CMD, "--window-hours must be an integer in 0..1000000, not '%s'", optarg);
			break;
		case 'b':
			if (cli_parse_i64(optarg, 0, 100000, &b2b_d))
				return cli_usage_error(CMD, "--b2b-window-days must be an integer in 0..100000, not '%s'", optarg);
			break;
		case 'c':
			if (cli_parse_i64(optarg, 1, 1000, &top_c))
				return cli_usage_error(CMD, "--top-clicks must be an integer in 1..1000, not '%s'", optarg);
			break;
		case 'k':
			if (cli_parse_i64(optarg, 1, 1000, &top_b))
				return cli_usage_error(CMD, "--top-buys must be an integer in 1..1000, not '%s'", optarg);
			break;
		case 'W':
			if (parse_weights(optarg, tw))
				return cli_usage_error(CMD, "--type-weights must be three numbers C,A,O, not '%s'", optarg);
			break;
		case 'D': dedup_type = 1; break;
		case 'm':
			if (cli_parse_double(optarg, 0.000001, 1024, &mem_gib))
				return cli_usage_error(CMD, "--mem-gib must be a number in 0.000001..1024, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &threads))
				return CLI_USAGE;
			break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_bad_option(CMD, argv, "o:qh", opts);
		}
	}
	if (optind >= argc)
		return cli_usage_error(CMD, "no STORE given");
	if (!dir)
		return cli_usage_error(CMD, "give the output directory with -o DIR");
	if (cli_check_output_argv(CMD, dir, or_covisit_set_files, argv + optind, argc - optind))
		return CLI_USAGE;
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	size_t n_stores = (size_t)(argc - optind);
	or_store **stores = calloc(n_stores, sizeof(*stores));
	int rc = stores ? OR_OK : or_err_set(&err, OR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < n_stores; i++)
		rc = or_store_open(argv[optind + (int)i], &stores[i], &err);
	if (!rc)
		rc = or_dir_make(dir, &err);
	if (!rc && cli_lock_dir(CMD, dir)) {
		for (size_t i = 0; i < n_stores; i++)
			or_store_free(stores[i]);
		free(stores);
		return CLI_FAIL;
	}
	or_covisit_stats st[3];
	memset(st, 0, sizeof(st));
	or_covisit_config cfgs[3];
	unsigned kinds[3];
	size_t nk = 0;
	for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++) {
		if (!want[k])
			continue;
		or_covisit_config *cfg = &cfgs[nk];
		or_covisit_config_default(cfg, k);
		cfg->last_n = (uint32_t)last_n;
		cfg->window_s = k == OR_COVISIT_BUY2BUY ? b2b_d * 86400 : win_h * 3600;
		cfg->top_k = (uint32_t)(k == OR_COVISIT_CLICKS ? top_c : top_b);
		memcpy(cfg->type_weight, tw, sizeof(tw));
		cfg->dedup_per_type = dedup_type;
		cfg->mem_budget = (size_t)(mem_gib * 1073741824.0);
		cfg->threads = (int)threads;
		kinds[nk++] = k;
	}
	or_covisit *tabs[3] = { NULL, NULL, NULL };
	or_covisit_stats pst[3];
	memset(pst, 0, sizeof(pst));
	double t1 = cli_now();
	if (!rc)
		rc = or_covisit_build_many(stores, n_stores, cfgs, nk, tabs, pst, cli_log(), &err);
	double t_build = cli_now() - t1;
	cli_progress_done();
	uint32_t n_items = !rc && nk ? or_covisit_n_items(tabs[0]) : 0;
	if (!rc)
		rc = or_covisit_set_begin(dir, &err);
	for (size_t q = 0; !rc && q < nk; q++) {
		unsigned k = kinds[q];
		st[k] = pst[q];
		char name[64];
		snprintf(name, sizeof(name), "%s.covisit", or_covisit_kind_name(k));
		char *path = join(dir, name);
		if (!path)
			rc = or_err_set(&err, OR_ENOMEM, "out of memory");
		if (!rc)
			rc = or_covisit_write(tabs[q], path, &err);
		free(path);
		if (!rc && !quiet && !json)
			fprintf(stderr, "%s: %llu pairs, %llu distinct, %llu kept, %u part%s\n",
				or_covisit_kind_name(k), (unsigned long long)st[k].pairs,
				(unsigned long long)st[k].distinct, (unsigned long long)st[k].entries,
				st[k].parts, st[k].parts == 1 ? "" : "s");
	}
	if (!rc)
		rc = or_covisit_set_commit(dir, kinds, nk, &err);
	for (size_t q = 0; q < nk; q++)
		or_covisit_free(tabs[q]);
	for (size_t i = 0; stores && i < n_stores; i++)
		or_store_free(stores[i]);
	free(stores);
	cli_progress_done();
	if (rc)
		return cli_fail(CMD, &err);
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "output", dir);
		cli_json_int(&j, "items", (long long)n_items);
		for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++) {
			if (!want[k])
				continue;
			char raw[512];
			snprintf(raw, sizeof(raw),
				 "{\"pairs\":%llu,\"distinct\":%llu,\"entries\":%llu,\"parts\":%u,\"table_bytes\":%llu}",
				 (unsigned long long)st[k].pairs, (unsigned long long)st[k].distinct,
				 (unsigned long long)st[k].entries, st[k].parts,
				 (unsigned long long)st[k].table_bytes);
			cli_json_raw(&j, or_covisit_kind_name(k), raw);
		}
		cli_json_num(&j, "build_seconds", t_build);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr, "wrote %s in %.2f s, peak RSS %.0f MiB\n", dir, wall,
			(double)cli_peak_rss() / 1048576.0);
	}
	return cli_finish_stdout(CMD);
}
