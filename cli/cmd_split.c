/*
 * cmd_split.c - `ottorec split`: the OTTO organiser's local validation split
 * (testset.py) of a store or of any input `convert` reads, into
 * DIR/train.store, DIR/test.store and DIR/test_labels.jsonl.  Owns the
 * command's options and usage text; the rule is lib/store/or_split.c.
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_file.h"
#include "or_ingest.h"
#include "or_labels.h"
#include "or_split.h"
#include "or_store.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const CMD = "split";

static const char usage_text[] =
	"usage: ottorec split -o DIR [--days D] [--seed S] [options] INPUT\n"
	"\n"
	"Split a training set into a local train and test set exactly as the OTTO\n"
	"organiser's testset.py does (github.com/otto-de/recsys-dataset):\n"
	"  - split_ts = (largest session-end ts) - D days;\n"
	"  - sessions starting after split_ts are test sessions; every other session\n"
	"    is trimmed to its events before split_ts and kept for train when it\n"
	"    still has 2 events;\n"
	"  - test events whose aid never occurs in train are removed, and test\n"
	"    sessions with fewer than 2 events left are dropped;\n"
	"  - each test session of n events is cut after random.randint(1, n-1)\n"
	"    events, Python's random seeded with random.seed(S), drawn in session\n"
	"    order: the same cut points as Python; the events after the cut are the\n"
	"    labels (next click, carted aids, ordered aids).\n"
	"\n"
	"INPUT is an event store or anything `ottorec convert` reads (OTTO JSONL,\n"
	"CSV, gzipped or not; \"-\" for standard input).  Writes, each atomically:\n"
	"  DIR/train.store        train sessions\n"
	"  DIR/test.store         test sessions, cut\n"
	"  DIR/test_labels.jsonl  {\"session\":S,\"labels\":{\"clicks\":A,\"carts\":[..],\"orders\":[..]}}\n"
	"\n"
	"options:\n"
	"  -o, --output DIR       output directory (created if missing)\n"
	"      --days D           test window in days (default 2)\n"
	"      --seed S           seed of Python's random.seed (default 42)\n"
	"      --format F         text input: jsonl | csv | auto (default auto)\n"
	"      --ts-unit U        text input: ms | s | auto (as for convert)\n"
	"  -q, --quiet            no progress line or summary\n"
	"      --json             print a one-line JSON summary on stdout\n"
	"  -h, --help             this text\n";

static int is_store(const char *path)
{
	if (!strcmp(path, "-"))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char magic[8];
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 8 && memcmp(magic, "OTTOSTOR", 8) == 0;
}

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

/* Read a text input into a temporary store in dir and open it; the file is
   unlinked as soon as it is mapped. */
static int open_text_input(const char *input, const char *dir,
			   const or_ingest_config *cfg, or_store **st, or_err *err)
{
	or_store_builder *b = NULL;
	int rc = or_store_builder_new(&b, err);
	if (!rc)
		rc = or_ingest_file(b, input, cfg, cli_log(), err);
	char name[64];
	snprintf(name, sizeof(name), ".split-input-%ld.store", (long)getpid());
	char *tmp = join(dir, name);
	if (!rc && !tmp)
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = or_store_builder_write(b, tmp, NULL, err);
	or_store_builder_free(b);
	if (!rc) {
		rc = or_store_open(tmp, st, err);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int cmd_split(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "ts-unit", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	int quiet = 0, json = 0, c;
	or_split_config scfg;
	or_split_config_default(&scfg);
	or_ingest_config icfg;
	or_ingest_config_default(&icfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 'd':
			if (cli_parse_i64(optarg, 0, 100000, &scfg.days))
				return cli_usage_error(CMD, "--days must be an integer in 0..100000, not '%s'", optarg);
			break;
		case 's':
			if (cli_parse_i64(optarg, INT64_MIN, INT64_MAX, &scfg.seed))
				return cli_usage_error(CMD, "--seed must be a 64-bit integer, not '%s'", optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "jsonl")) icfg.format = OR_FORMAT_JSONL;
			else if (!strcmp(optarg, "csv")) icfg.format = OR_FORMAT_CSV;
			else if (!strcmp(optarg, "auto")) icfg.format = OR_FORMAT_AUTO;
			else return cli_usage_error(CMD, "--format must be jsonl, csv or auto, not '%s'", optarg);
			break;
		case 't':
			if (!strcmp(optarg, "ms")) icfg.ts_unit = OR_TS_MS;
			else if (!strcmp(optarg, "s")) icfg.ts_unit = OR_TS_S;
			else if (!strcmp(optarg, "auto")) icfg.ts_unit = OR_TS_AUTO;
			else return cli_usage_error(CMD, "--ts-unit must be ms, s or auto, not '%s'", optarg);
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
	if (argc - optind != 1)
		return cli_usage_error(CMD, argc - optind < 1 ? "no INPUT given" : "give exactly one INPUT");
	if (!dir)
		return cli_usage_error(CMD, "give the output directory with -o DIR");
	const char *input = argv[optind];
	static const char *const written[] = { "train.store", "test.store", "test_labels.jsonl", NULL };
	if (cli_check_output_argv(CMD, dir, written, argv + optind, 1))
		return CLI_USAGE;
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_store *in = NULL;
	or_store_builder *train = NULL, *test = NULL;
	or_labels labels;
	or_labels_init(&labels);
	or_split_stats st;
	char *p_train = join(dir, "train.store"), *p_test = join(dir, "test.store");
	char *p_labels = join(dir, "test_labels.jsonl");
	int rc = p_train && p_test && p_labels ? OR_OK : or_err_set(&err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = or_dir_make(dir, &err);
	if (!rc)
		rc = is_store(input) ? or_store_open(input, &in, &err)
				     : open_text_input(input, dir, &icfg, &in, &err);
	double t_read = cli_now() - t0;
	if (!rc)
		rc = or_store_builder_new(&train, &err);
	if (!rc)
		rc = or_store_builder_new(&test, &err);
	if (!rc)
		rc = or_split_store(in, &scfg, train, test, &labels, &st, cli_log(), &err);
	double t_split = cli_now() - t0 - t_read;
	if (!rc)
		rc = or_store_builder_write(train, p_train, cli_log(), &err);
	or_store_builder_free(train);
	or_store_free(in);
	if (!rc)
		rc = or_store_builder_write(test, p_test, cli_log(), &err);
	if (!rc)
		rc = or_labels_write_jsonl(&labels, p_labels, &err);
	or_store_builder_free(test);
	or_labels_release(&labels);
	free(p_train);
	free(p_test);
	free(p_labels);
	cli_progress_done();
	if (rc)
		return cli_fail(CMD, &err);
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "output", dir);
		cli_json_int(&j, "days", (long long)scfg.days);
		cli_json_int(&j, "seed", (long long)scfg.seed);
		cli_json_int(&j, "max_ts", (long long)st.max_ts);
		cli_json_int(&j, "split_ts", (long long)st.split_ts);
		cli_json_int(&j, "input_sessions", (long long)st.in_sessions);
		cli_json_int(&j, "input_events", (long long)st.in_events);
		cli_json_int(&j, "train_sessions", (long long)st.train_sessions);
		cli_json_int(&j, "train_events", (long long)st.train_events);
		cli_json_int(&j, "train_dropped", (long long)st.train_dropped);
		cli_json_int(&j, "train_items", (long long)st.train_items);
		cli_json_int(&j, "test_candidates", (long long)st.test_candidates);
		cli_json_int(&j, "test_unknown_events", (long long)st.test_unknown_events);
		cli_json_int(&j, "test_dropped", (long long)st.test_dropped);
		cli_json_int(&j, "test_sessions", (long long)st.test_sessions);
		cli_json_int(&j, "test_events", (long long)st.test_events);
		cli_json_int(&j, "label_events", (long long)st.label_events);
		cli_json_int(&j, "labels_clicks", (long long)st.labels_clicks);
		cli_json_int(&j, "labels_carts", (long long)st.labels_carts);
		cli_json_int(&j, "labels_orders", (long long)st.labels_orders);
		cli_json_num(&j, "read_seconds", t_read);
		cli_json_num(&j, "split_seconds", t_split);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr,
			"split at ts %lld (%lld days before %lld)\n"
			"train: %llu sessions, %llu events (%llu sessions left with < 2 events)\n"
			"test:  %llu sessions, %llu events before the cut, %llu after "
			"(%llu events of unseen aids removed, %llu sessions dropped)\n"
			"labels: %llu with a click, %llu with carts, %llu with orders\n"
			"wrote %s/{train.store,test.store,test_labels.jsonl} in %.2f s\n",
			(long long)st.split_ts, (long long)scfg.days, (long long)st.max_ts,
			(unsigned long long)st.train_sessions, (unsigned long long)st.train_events,
			(unsigned long long)st.train_dropped,
			(unsigned long long)st.test_sessions, (unsigned long long)st.test_events,
			(unsigned long long)st.label_events,
			(unsigned long long)st.test_unknown_events, (unsigned long long)st.test_dropped,
			(unsigned long long)st.labels_clicks, (unsigned long long)st.labels_carts,
			(unsigned long long)st.labels_orders, dir, wall);
	}
	return cli_finish_stdout(CMD);
}
