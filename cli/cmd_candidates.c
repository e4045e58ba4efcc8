/*
 * cmd_candidates.c - `ottorec candidates`: the ranker's candidate table of a
 * local split (features, session groups, labels) as .npy files for
 * `ottorec fit` or for users who train their own model, and the candidate
 * recall@N per type.  Owns the command's options, usage text and report;
 * the candidates are lib/rec/or_cand.c, the table lib/rec/or_cand_table.c.
 */
#include "cli.h"
#include "cli_guard.h"
#include "cli_models.h"
#include "or_cand.h"
#include "or_cand_table.h"
#include "or_labels.h"
#include "or_prng.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "candidates";

static const char usage_text[] =
	"usage: ottorec candidates --test STORE [--labels LABELS] [--covisit DIR]\n"
	"                          [--train STORE]... [--stats FILE] [--index IDX]\n"
	"                          -o DIR [options]\n"
	"\n"
	"The ranker's candidates of each session of STORE (docs/ranker.md): from\n"
	"the sources (the session's history, co-visitation rows of its recent aids,\n"
	"buy2buy, embedding neighbours, the covisit rule's lists, popular items),\n"
	"cut to --max per session by a fixed stage-1 score, each with %d features.\n"
	"With --labels (the split's labels), each row gets its three labels, the\n"
	"candidate recall@20/50/100/200 per type is printed (the ceiling of any\n"
	"ranker), and sessions without a positive among their candidates are left\n"
	"out of DIR (they teach a ranker nothing; --all-sessions keeps them).\n"
	"DIR gets features.npy, labels.npy, group_sizes.npy, session.npy, aid.npy\n"
	"and candidates.json (names, settings, recall); written beside DIR and\n"
	"swapped in whole.\n"
	"\n"
	"options:\n"
	"      --test STORE       the sessions (a split's test part)\n"
	"      --labels LABELS    their labels (labels JSONL or Parquet)\n"
	"      --covisit DIR      the co-visitation matrices (of the training period)\n"
	"      --train STORE      a store of the training period, for the item\n"
	"                         features (repeatable; without it and --stats\n"
	"                         they are 0)\n"
	"      --stats FILE       the training period's item statistics from\n"
	"                         `ottorec stats` instead of building them (with\n"
	"                         --train: refused unless built from those stores)\n"
	"      --index IDX        ANN index of item embeddings (neighbour candidates,\n"
	"                         similarity features; without it they are empty)\n"
	"  -o, --output DIR       the table's directory\n"
	"      --max N            candidates kept per session (default 50, 1..1000)\n"
	"      --history H        recent distinct aids whose rows are read (30)\n"
	"      --emb-recent E     recent aids whose neighbours are searched (3, 0..16)\n"
	"      --next-recent N    recent aids whose next items are read (5, 0..30)\n"
	"      --emb-k K          neighbours per searched aid (20, 1..100)\n"
	"      --nprobe N         index lists scanned (default: at most 8)\n"
	"      --popular P        aids per popular list (20, 0..100)\n"
	"      --sources LIST     comma-separated sources (default all:\n"
	"                         history,covisit,buy2buy,embedding,rule,popular,\n"
	"                         next)\n"
	"      --share S          share of the sessions used, drawn with --seed\n"
	"                         (0 < S <= 1, default 1)\n"
	"      --max-sessions N   at most about N sessions used (lowers --share)\n"
	"      --rest-store FILE  write sessions --share leaves out there (at most\n"
	"      --rest-labels FILE about --max-sessions of them) as a store, and\n"
	"                         their labels (labels JSONL): an honest local\n"
	"                         validation set for a ranker fitted on DIR\n"
	"      --negatives N      negatives kept per session, drawn with --seed\n"
	"                         (default 0 = all)\n"
	"      --all-sessions     keep sessions without labels or positives\n"
	"      --seed N           seed of --share and --negatives (default 42)\n"
	"      --threads N        threads (default: all cores)\n"
	"  -q, --quiet            no progress line, no report\n"
	"      --json             print a one-line JSON summary on stdout\n"
	"  -h, --help             this text\n";

static int parse_size(const char *opt, const char *arg, int64_t lo, int64_t hi, size_t *out)
{
	int64_t v;
	if (cli_parse_i64(arg, lo, hi, &v))
		return cli_usage_error(CMD, "--%s must be an integer in %lld..%lld, not '%s'", opt,
				       (long long)lo, (long long)hi, arg);
	*out = (size_t)v;
	return CLI_OK;
}

/* The uniform [0, 1) draw of a session for --share: from (seed, id) only. */
static double session_draw(int64_t seed, int64_t id)
{
	return (double)(or_prng_hash((uint64_t)seed, (uint64_t)id) >> 11) * 0x1p-53;
}

/* The sessions of st drawn in [lo, hi) as a store, and their labels. */
static int write_rest(const or_store *st, const or_labels *labels, int64_t seed, double lo,
		      double hi, const char *store_path, const char *labels_path, size_t *n_rest,
		      or_err *err)
{
	or_store_builder *b = NULL;
	or_labels rest;
	or_labels_init(&rest);
	int rc = or_store_builder_new(&b, err);
	size_t ns = or_store_n_sessions(st);
	for (size_t i = 0; !rc && i < ns; i++) {
		or_session s;
		or_store_session(st, i, &s);
		double u = session_draw(seed, s.id);
		if (u >= lo && u < hi)
			rc = or_store_builder_add(b, s.id, s.n, s.aid, s.ts, s.type, err);
	}
	for (size_t i = 0; !rc && i < labels->n; i++) {
		double u = session_draw(seed, labels->rows[i].session);
		if (u >= lo && u < hi)
			rc = or_labels_copy_row(&rest, labels, i, err);
	}
	*n_rest = b ? or_store_builder_n_sessions(b) : 0;
	if (!rc)
		rc = or_store_builder_write(b, store_path, cli_log(), err);
	if (!rc)
		rc = or_labels_write_jsonl(&rest, labels_path, err);
	or_labels_release(&rest);
	or_store_builder_free(b);
	return rc;
}

/* The table's sink, timed: candidates_seconds less this is the
   generation itself (the rest is labels, recall and writing the rows). */
typedef struct timed_table {
	or_cand_table *t;
	double seconds;
} timed_table;

static int add_timed(void *ctx, const or_cand_chunk *c, or_err *err)
{
	timed_table *tt = ctx;
	double t0 = cli_now();
	int rc = or_cand_table_add(tt->t, c, err);
	tt->seconds += cli_now() - t0;
	return rc;
}

int cmd_candidates(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "test", required_argument, NULL, 'T' },
		{ "labels", required_argument, NULL, 'l' },
		{ "covisit", required_argument, NULL, 'c' },
		{ "train", required_argument, NULL, 'R' },
		{ "stats", required_argument, NULL, 'Z' },
		{ "index", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "max", required_argument, NULL, 'M' },
		{ "history", required_argument, NULL, 'H' },
		{ "emb-recent", required_argument, NULL, 'E' },
		{ "next-recent", required_argument, NULL, 'Y' },
		{ "emb-k", required_argument, NULL, 'K' },
		{ "nprobe", required_argument, NULL, 'n' },
		{ "popular", required_argument, NULL, 'P' },
		{ "sources", required_argument, NULL, 'S' },
		{ "share", required_argument, NULL, 'x' },
		{ "negatives", required_argument, NULL, 'N' },
		{ "max-sessions", required_argument, NULL, 'X' },
		{ "rest-labels", required_argument, NULL, 'r' },
		{ "rest-store", required_argument, NULL, 'u' },
		{ "all-sessions", no_argument, NULL, 'A' },
		{ "seed", required_argument, NULL, 'e' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *test_path = NULL, *labels_path = NULL, *cv_dir = NULL, *index_path = NULL;
	const char *out = NULL, *rest_path = NULL, *rest_store = NULL;
	cli_train tr;
	memset(&tr, 0, sizeof(tr));
	size_t negatives = 0, nprobe = 0, max_sessions = 0;
	int quiet = 0, json = 0, all_sessions = 0, c;
	int64_t threads = 0, seed = 42;
	double share = 1.0;
	or_cand_config cfg;
	or_cand_config_default(&cfg);
	or_err err;
	or_err_clear(&err);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		int bad = CLI_OK;
		switch (c) {
		case 'T': test_path = optarg; break;
		case 'l': labels_path = optarg; break;
		case 'c': cv_dir = optarg; break;
		case 'i': index_path = optarg; break;
		case 'o': out = optarg; break;
		case 'R':
			if (cli_train_add(CMD, &tr, optarg))
				return CLI_USAGE;
			break;
		case 'Z': tr.stats_path = optarg; break;
		case 'M': bad = parse_size("max", optarg, 1, OR_CAND_MAX, &cfg.max_candidates); break;
		case 'H': bad = parse_size("history", optarg, 1, 1000, &cfg.max_history); break;
		case 'E': bad = parse_size("emb-recent", optarg, 0, 16, &cfg.n_recent_emb); break;
		case 'Y': bad = parse_size("next-recent", optarg, 0, 30, &cfg.n_recent_next); break;
		case 'K': bad = parse_size("emb-k", optarg, 1, 100, &cfg.emb_k); break;
		case 'n': bad = parse_size("nprobe", optarg, 1, 65536, &nprobe); break;
		case 'P': bad = parse_size("popular", optarg, 0, 100, &cfg.n_popular); break;
		case 'N': bad = parse_size("negatives", optarg, 0, 1000000, &negatives); break;
		case 'X': bad = parse_size("max-sessions", optarg, 1, INT64_MAX, &max_sessions); break;
		case 'r': rest_path = optarg; break;
		case 'u': rest_store = optarg; break;
		case 'S':
			if (or_cand_sources_parse(optarg, &cfg.sources, &err))
				return cli_usage_error(CMD, "--sources: %s", err.msg);
			break;
		case 'x':
			if (cli_parse_double(optarg, 1e-9, 1.0, &share))
				return cli_usage_error(CMD, "--share must be a number in (0, 1], not '%s'", optarg);
			break;
		case 'A': all_sessions = 1; break;
		case 'e':
			if (cli_parse_i64(optarg, 0, INT64_MAX, &seed))
				return cli_usage_error(CMD, "--seed must be a non-negative integer, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &threads))
				return CLI_USAGE;
			break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			printf(usage_text, OR_CF_N);
			return cli_finish_stdout(CMD);
		default:
			return cli_bad_option(CMD, argv, "o:qh", opts);
		}
		if (bad)
			return bad;
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!test_path)
		return cli_usage_error(CMD, "give the sessions with --test STORE");
	if (!out)
		return cli_usage_error(CMD, "give the table's directory with -o DIR");
	if ((rest_path || rest_store) && !labels_path)
		return cli_usage_error(CMD, "--rest-labels and --rest-store need --labels");
	if (!rest_path != !rest_store)
		return cli_usage_error(CMD, "give both --rest-store and --rest-labels");
	cli_input ins[5 + CLI_MAX_TRAIN] = { { test_path, 0 }, { labels_path, 0 }, { cv_dir, 1 }, { index_path, 0 } };
	size_t n_ins = 4;
	cli_train_inputs(&tr, ins, &n_ins);
	static const char *const names[] = { "features.npy", "labels.npy", "group_sizes.npy", "session.npy",
					     "aid.npy", "candidates.json", NULL };
	if (cli_check_output(CMD, out, names, ins, n_ins) ||
	    (rest_store && cli_check_output(CMD, rest_store, NULL, ins, n_ins)) ||
	    (rest_path && cli_check_output(CMD, rest_path, NULL, ins, n_ins)))
		return CLI_USAGE;
	cfg.threads = (int)threads;
	cli_log_setup(quiet);
	if (!cv_dir)
		or_log_msg(cli_log(), OR_LOG_WARN, "candidates without --covisit: no co-visitation candidates or features");
	double t0 = cli_now();
	or_store *test = NULL;
	or_covisit *tab[3] = { NULL, NULL, NULL };
	or_ann *ix = NULL;
	or_labels labels;
	or_labels_init(&labels);
	or_cand_table t;
	memset(&t, 0, sizeof(t));
	uint8_t *keep = NULL;
	int rc = or_store_open(test_path, &test, &err);
	if (!rc)
		rc = cli_train_open(&tr, &err);
	if (!rc && cv_dir)
		rc = cli_open_covisit_dir(cv_dir, tab, &err);
	if (!rc && index_path)
		rc = or_ann_open(index_path, &ix, &err);
	if (!rc && labels_path)
		rc = or_labels_read(&labels, labels_path, 0, cli_log(), &err);
	if (!rc)
		rc = or_cand_table_init(&t, labels_path ? &labels : NULL, &err);
	if (!rc) /* rows straight to the files: memory does not grow with them */
		rc = or_cand_table_begin(&t, out, &err);
	size_t ns = test ? or_store_n_sessions(test) : 0, used = ns;
	if (max_sessions && (double)max_sessions < share * (double)ns)
		share = (double)max_sessions / (double)ns;
	/* the rest: draws in [share, share + rest_share) */
	double rest_share = 1.0 - share;
	if (max_sessions && ns && (double)max_sessions / (double)ns < rest_share)
		rest_share = (double)max_sessions / (double)ns;
	size_t n_rest = 0;
	if (!rc && share < 1.0) {
		keep = malloc(ns ? ns : 1);
		if (!keep)
			rc = or_err_set(&err, OR_ENOMEM, "out of memory");
		used = 0;
		const int64_t *ids = or_store_session_ids(test);
		for (size_t i = 0; keep && i < ns; i++) {
			keep[i] = session_draw(seed, ids[i]) < share;
			used += keep[i];
		}
	}
	if (!rc && rest_path)
		rc = write_rest(test, &labels, seed, share, share + rest_share, rest_store, rest_path,
				&n_rest, &err);
	t.negatives = negatives;
	t.keep_unlabelled = all_sessions || !labels_path;
	t.seed = (uint64_t)seed;
	double t1 = cli_now();
	timed_table tt = { &t, 0 };
	if (!rc) {
		or_ann_search_params sp;
		or_ann_search_params_default(&sp);
		sp.nprobe = nprobe;
		or_cand_model m = { tab[0], tab[1], tab[2], ix, sp, tr.stats, NULL, NULL };
		rc = or_cand_generate(test, &m, &cfg, keep, add_timed, &tt, cli_log(), &err);
	}
	double t_gen = cli_now() - t1;
	char extra[256];
	snprintf(extra, sizeof(extra), "\"share\":%.6f,\"negatives\":%zu,\"seed\":%lld", share,
		 negatives, (long long)seed);
	if (!rc)
		rc = or_cand_table_write(&t, out, &cfg, extra, &err);
	cli_progress_done();
	double wall = cli_now() - t0;
	if (!rc && json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "output", out);
		cli_json_int(&j, "sessions", (long long)used);
		cli_json_int(&j, "groups", (long long)t.n_groups);
		if (rest_path)
			cli_json_int(&j, "rest_sessions", (long long)n_rest);
		cli_json_int(&j, "rows", (long long)t.n_rows);
		cli_json_int(&j, "features", OR_CF_N);
		for (unsigned ty = 0; labels_path && ty < 3; ty++)
			for (int q = 0; q < OR_CAND_N_CUTS - 1; q++) {
				char key[48];
				snprintf(key, sizeof(key), "recall_%s_%zu", or_type_name(ty), or_cand_cuts[q]);
				cli_json_num(&j, key, or_cand_table_recall(&t, ty, (size_t)q));
			}
		if (labels_path) {
			/* the recall at every cut 1..OR_CAND_CURVE (report's curve) */
			char curve[3 * OR_CAND_CURVE * 12 + 64];
			size_t len = 0;
			for (unsigned ty = 0; ty < 3; ty++) {
				len += (size_t)snprintf(curve + len, sizeof(curve) - len, "%s\"%s\":[",
							ty ? "," : "{", or_type_name(ty));
				for (size_t q = 1; q <= OR_CAND_CURVE; q++)
					len += (size_t)snprintf(curve + len, sizeof(curve) - len, "%s%.5g",
								q > 1 ? "," : "", or_cand_table_curve(&t, ty, q));
				len += (size_t)snprintf(curve + len, sizeof(curve) - len, "]");
			}
			snprintf(curve + len, sizeof(curve) - len, "}");
			cli_json_raw(&j, "recall_curve", curve);
		}
		cli_json_num(&j, "candidates_seconds", t_gen);
		cli_json_num(&j, "table_seconds", tt.seconds);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!rc && !quiet) {
		fprintf(stderr, "candidates: %zu sessions, %zu kept with %zu rows x %d features in %.2f s, wrote %s\n",
			used, t.n_groups, t.n_rows, OR_CF_N, wall, out);
		if (labels_path) {
			fprintf(stderr, "candidate recall (labelled sessions: %llu; at most %zu a session)\n",
				(unsigned long long)t.labelled, cfg.max_candidates);
			fprintf(stderr, "  %-8s", "type");
			for (int q = 0; q < OR_CAND_N_CUTS - 1; q++)
				fprintf(stderr, " %8s@%zu", "recall", or_cand_cuts[q]);
			fputc('\n', stderr);
			for (unsigned ty = 0; ty < 3; ty++) {
				fprintf(stderr, "  %-8s", or_type_name(ty));
				for (int q = 0; q < OR_CAND_N_CUTS - 1; q++)
					fprintf(stderr, " %*.4f", 8 + (or_cand_cuts[q] >= 100 ? 4 : 3),
						or_cand_table_recall(&t, ty, (size_t)q));
				fputc('\n', stderr);
			}
		}
	}
	free(keep);
	or_cand_table_release(&t);
	or_labels_release(&labels);
	cli_free_covisit(tab);
	or_ann_free(ix);
	cli_train_free(&tr);
	or_store_free(test);
	if (rc)
		return cli_fail(CMD, &err);
	return cli_finish_stdout(CMD);
}
