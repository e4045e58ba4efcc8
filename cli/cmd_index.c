/*
 * cmd_index.c - `ottorec index build|eval|synth`: build the approximate
 * nearest-neighbour index of an embeddings .npy (or_ann.h), measure its
 * recall@k against exact search and its speed, and write synthetic
 * embeddings (Gaussian or clustered) for tests and benchmarks.
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_ann.h"
#include "or_knn.h"
#include "or_npy.h"
#include "or_prng.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: ottorec index build EMB.npy -o IDX [options]\n"
	"       ottorec index eval IDX [--queries N] [-k K] [options]\n"
	"       ottorec index synth -o EMB.npy --rows N --dim D [--clusters C] [--seed S]\n"
	"\n"
	"build: index the float32 n x d matrix EMB.npy for nearest-neighbour\n"
	"queries (IVF: k-means lists of 8-bit codes, the best --rerank candidates\n"
	"re-scored exactly; nprobe chosen at build so that recall@20 against exact\n"
	"search reaches --target-recall).  The aid of each row comes from\n"
	"EMB.ids.npy beside it (as `ottorec train` writes it: int64, one aid per\n"
	"row, strictly increasing); without that file row r is aid r.  Same seed\n"
	"and data give the same file bytes.\n"
	"  -o, --output IDX       the index file (written atomically)\n"
	"      --metric M         l2 (squared euclidean, default) | ip | cos\n"
	"      --seed N           k-means sample and tuning seed (default 42)\n"
	"      --threads N        threads (default: all cores)\n"
	"      --nlist N          number of lists (default sqrt(n))\n"
	"      --iterations N     k-means iterations (default 10)\n"
	"      --target-recall R  recall@20 the default nprobe must reach (default 0.95)\n"
	"      --nprobe N         fix the default nprobe instead of tuning it\n"
	"      --rerank N         candidates re-scored exactly per query (default 32)\n"
	"\n"
	"eval: recall@k of by-item queries (the item itself left out) against exact\n"
	"search over the same vectors, and queries/s of the approximate search.\n"
	"      --queries N        items queried for recall (default 1000)\n"
	"      --speed-queries N  items queried to time the index (default: max(N, 20000))\n"
	"  -k N                   neighbours per query (default 20)\n"
	"      --nprobe N         lists scanned per query (default: the index's)\n"
	"      --rerank N         candidates re-scored exactly (default: the index's)\n"
	"      --seed N           query sample seed (default 1)\n"
	"      --threads N        threads (default: all cores)\n"
	"\n"
	"synth: write an n x d float32 .npy of test embeddings: isotropic Gaussian\n"
	"(--clusters 0, default) or clustered like trained item embeddings (C\n"
	"groups of 8 subgroups each, with noise).\n"
	"\n"
	"common: --no-simd (scalar kernels), --no-amx (the AVX-512 VNNI code scan\n"
	"even where AMX is available; answers are the same), -q/--quiet, --json\n"
	"(one-line summary with"
	" wall time, queries/s and peak RSS), -h\n";

enum { O_METRIC = 256, O_SEED, O_THREADS, O_NLIST, O_ITERS, O_TARGET, O_NPROBE,
       O_QUERIES, O_SPEED, O_NOSIMD, O_NOAMX, O_QUIET, O_JSON, O_ROWS, O_DIM, O_CLUSTERS, O_RERANK };

static const struct option opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "metric", required_argument, NULL, O_METRIC },
	{ "seed", required_argument, NULL, O_SEED },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "nlist", required_argument, NULL, O_NLIST },
	{ "iterations", required_argument, NULL, O_ITERS },
	{ "target-recall", required_argument, NULL, O_TARGET },
	{ "nprobe", required_argument, NULL, O_NPROBE },
	{ "queries", required_argument, NULL, O_QUERIES },
	{ "speed-queries", required_argument, NULL, O_SPEED },
	{ "no-simd", no_argument, NULL, O_NOSIMD },
	{ "no-amx", no_argument, NULL, O_NOAMX },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "json", no_argument, NULL, O_JSON },
	{ "rows", required_argument, NULL, O_ROWS },
	{ "dim", required_argument, NULL, O_DIM },
	{ "clusters", required_argument, NULL, O_CLUSTERS },
	{ "rerank", required_argument, NULL, O_RERANK },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

typedef struct index_opts {
	const char *output;
	int metric, threads, simd, quiet, json;
	int64_t seed, nlist, iters, nprobe, queries, speed, k, rows, dim, clusters, rerank;
	double target;
	int seed_set;
} index_opts;

static double gauss(uint64_t *s)
{
	uint64_t a = or_prng_splitmix(s);
	uint64_t b = or_prng_splitmix(s);
	double u1 = ((double)(a >> 11) + 0.5) / 9007199254740992.0;
	double u2 = (double)(b >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

static int do_synth(const index_opts *o)
{
	if (!o->output)
		return cli_usage_error("index synth", "give the output with -o");
	if (o->rows <= 0 || o->dim <= 0)
		return cli_usage_error("index synth", "give --rows and --dim");
	size_t n = (size_t)o->rows, d = (size_t)o->dim, nd, cd;
	size_t C = (size_t)o->clusters, S = C * 8;
	if (or_size_mul(n, d, &nd) || or_size_mul(nd, sizeof(float), &cd) ||
	    or_size_mul(S ? S : 1, d, &cd) || or_size_mul(cd, sizeof(float), &cd)) {
		fprintf(stderr, "ottorec index synth: %zu x %zu is too large\n", n, d);
		return CLI_FAIL;
	}
	double t0 = cli_now();
	float *x = malloc(nd * sizeof(float));
	float *sub = S ? malloc(cd) : NULL;
	if (!x || (S && !sub)) {
		free(x);
		free(sub);
		fprintf(stderr, "ottorec index synth: out of memory\n");
		return CLI_FAIL;
	}
	/* subgroup centres: group centre (scale 1) + subgroup offset (0.5) */
	uint64_t s = (uint64_t)o->seed * 0x2545f4914f6cdd1dull + 1;
	for (size_t g = 0; g < C; g++) {
		float *first = sub + g * 8 * d;
		for (size_t j = 0; j < d; j++)
			first[j] = (float)gauss(&s);
		for (size_t t = 1; t < 8; t++)
			for (size_t j = 0; j < d; j++)
				sub[(g * 8 + t) * d + j] = first[j];
		for (size_t t = 0; t < 8; t++)
			for (size_t j = 0; j < d; j++)
				sub[(g * 8 + t) * d + j] += (float)(0.5 * gauss(&s));
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t rs = (uint64_t)o->seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
		if (S) {
			/* skewed group sizes: subgroup from a squared uniform */
			double u = (double)((rs * 0xd1342543de82ef95ull) >> 11) / 9007199254740992.0;
			size_t sg = (size_t)(u * u * (double)S);
			if (sg >= S)
				sg = S - 1;
			for (size_t j = 0; j < d; j++)
				x[i * d + j] = sub[sg * d + j] + (float)(0.25 * gauss(&rs));
		} else {
			for (size_t j = 0; j < d; j++)
				x[i * d + j] = (float)gauss(&rs);
		}
	}
	or_err err;
	or_err_clear(&err);
	int rc = or_npy_write_f32(o->output, x, n, d, &err);
	free(x);
	free(sub);
	if (rc)
		return cli_fail("index synth", &err);
	if (o->json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "index synth");
		cli_json_str(&j, "output", o->output);
		cli_json_int(&j, "rows", (long long)n);
		cli_json_int(&j, "dim", (long long)d);
		cli_json_int(&j, "clusters", (long long)C);
		cli_json_num(&j, "wall_seconds", cli_now() - t0);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	}
	return cli_finish_stdout("index synth");
}

static int do_build(const index_opts *o, const char *input)
{
	if (!o->output)
		return cli_usage_error("index build", "give the output index with -o");
	{
		char *ids = or_npy_ids_path(input);
		cli_input ins[] = { { input, 0 }, { ids, 0 } };
		int bad = cli_check_output("index build", o->output, NULL, ins, 2);
		free(ids);
		if (bad)
			return CLI_USAGE;
	}
	cli_log_setup(o->quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_npy m;
	memset(&m, 0, sizeof(m));
	int rc = or_npy_open_f32(input, &m, &err);
	if (rc)
		return cli_fail("index build", &err);
	/* the rows' aids, when the matrix has an ids file (else row r = aid r) */
	char *ids_path = or_npy_ids_path(input);
	uint32_t *row_aids = NULL;
	if (!ids_path)
		rc = or_err_set(&err, OR_ENOMEM, "out of memory");
	else if (access(ids_path, F_OK) == 0)
		rc = or_npy_read_ids(ids_path, m.rows, &row_aids, &err);
	if (rc) {
		or_npy_close(&m);
		free(ids_path);
		return cli_fail("index build", &err);
	}
	or_ann_build_config cfg;
	or_ann_build_config_default(&cfg);
	cfg.metric = o->metric;
	cfg.threads = o->threads;
	cfg.simd = o->simd;
	if (o->seed_set)
		cfg.seed = (uint64_t)o->seed;
	if (o->nlist > 0)
		cfg.nlist = (size_t)o->nlist;
	if (o->iters >= 0)
		cfg.iterations = (unsigned)o->iters;
	if (o->target > 0)
		cfg.target_recall = o->target;
	if (o->rerank > 0)
		cfg.rerank = (size_t)o->rerank;
	if (o->nprobe > 0) {
		cfg.nprobe = (size_t)o->nprobe;
		cfg.tune_queries = 0;
	}
	cfg.row_aids = row_aids;
	const int have_ids = row_aids != NULL;
	size_t nprobe = 0;
	double recall = -1;
	rc = or_ann_build(m.data, m.rows, m.cols, &cfg, o->output, &nprobe, &recall, cli_log(), &err);
	size_t n = m.rows, d = m.cols;
	or_npy_close(&m);
	free(row_aids);
	cli_progress_done();
	if (rc) {
		free(ids_path);
		return cli_fail("index build", &err);
	}
	double wall = cli_now() - t0;
	size_t nlist = cfg.nlist ? cfg.nlist : or_ann_auto_nlist(n);
	if (nlist > n)
		nlist = n;
	if (o->json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "index build");
		cli_json_str(&j, "output", o->output);
		cli_json_str(&j, "metric", or_metric_name(cfg.metric));
		cli_json_int(&j, "rows", (long long)n);
		cli_json_int(&j, "dim", (long long)d);
		cli_json_str(&j, "row_aids", have_ids ? ids_path : "row numbers");
		cli_json_int(&j, "nlist", (long long)nlist);
		cli_json_int(&j, "nprobe", (long long)nprobe);
		cli_json_num(&j, "tune_recall_at_20", recall);
		cli_json_int(&j, "simd", cfg.simd && or_knn_simd_available());
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_num(&j, "rows_per_s", wall > 0 ? n / wall : 0);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!o->quiet) {
		fprintf(stderr, "wrote %s: %zu x %zu (row aids: %s), %s, %zu lists, nprobe %zu", o->output,
			n, d, have_ids ? ids_path : "row numbers", or_metric_name(cfg.metric), nlist, nprobe);
		if (recall >= 0)
			fprintf(stderr, " (recall@20 %.4f on %zu sampled items)", recall, cfg.tune_queries);
		fprintf(stderr, ", in %.2f s\n", wall);
	}
	free(ids_path);
	return cli_finish_stdout("index build");
}

static int do_eval(const index_opts *o, const char *path)
{
	cli_log_setup(o->quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_ann *ix = NULL;
	int rc = or_ann_open(path, &ix, &err);
	if (rc)
		return cli_fail("index eval", &err);
	or_ann_search_params p;
	or_ann_search_params_default(&p);
	p.threads = o->threads;
	p.simd = o->simd;
	if (o->nprobe > 0)
		p.nprobe = (size_t)o->nprobe;
	if (o->rerank > 0)
		p.rerank = (size_t)o->rerank;
	size_t nq = o->queries > 0 ? (size_t)o->queries : 1000;
	size_t speed = o->speed > 0 ? (size_t)o->speed : (nq > 20000 ? nq : 20000);
	size_t k = o->k > 0 ? (size_t)o->k : 20;
	or_ann_eval_result r;
	rc = or_ann_eval(ix, nq, k, o->seed_set ? (uint64_t)o->seed : 1, speed, &p, &r, cli_log(), &err);
	cli_progress_done();
	if (rc) {
		or_ann_free(ix);
		return cli_fail("index eval", &err);
	}
	double wall = cli_now() - t0;
	if (o->json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "index eval");
		cli_json_str(&j, "index", path);
		cli_json_str(&j, "metric", or_metric_name(or_ann_metric(ix)));
		cli_json_int(&j, "rows", (long long)or_ann_n(ix));
		cli_json_int(&j, "dim", (long long)or_ann_dim(ix));
		cli_json_int(&j, "nlist", (long long)or_ann_nlist(ix));
		cli_json_int(&j, "nprobe", (long long)r.nprobe);
		cli_json_int(&j, "rerank", (long long)(p.rerank ? p.rerank : or_ann_rerank(ix)));
		cli_json_int(&j, "queries", (long long)r.queries);
		cli_json_int(&j, "k", (long long)r.k);
		cli_json_num(&j, "recall", r.recall);
		cli_json_int(&j, "speed_queries", (long long)r.speed_queries);
		cli_json_num(&j, "queries_per_s", r.ann_qps);
		cli_json_str(&j, "scan", or_ann_scan_name(ix, p.simd));
		cli_json_num(&j, "exact_queries_per_s", r.exact_qps);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else {
		printf("index %s: %zu x %zu, %s, %zu lists\n", path, or_ann_n(ix), or_ann_dim(ix),
		       or_metric_name(or_ann_metric(ix)), or_ann_nlist(ix));
		printf("recall@%zu %.4f on %zu items (nprobe %zu)\n", r.k, r.recall, r.queries, r.nprobe);
		printf("index: %.0f queries/s (%zu queries, %s scan); exact: %.0f queries/s\n", r.ann_qps,
		       r.speed_queries, or_ann_scan_name(ix, p.simd), r.exact_qps);
	}
	or_ann_free(ix);
	return cli_finish_stdout("index eval");
}

/* "--name" of a long option, "-k" for k (for error messages) */
static const char *option_name(int val)
{
	static char buf[48];
	for (const struct option *o = opts; o->name; o++)
		if (o->val == val) {
			snprintf(buf, sizeof(buf), "--%s", o->name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "-%c", val);
	return buf;
}

int cmd_index(int argc, char **argv)
{
	index_opts o;
	memset(&o, 0, sizeof(o));
	o.metric = OR_METRIC_L2;
	o.simd = 1;
	o.iters = -1;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:k:qh", opts, NULL)) != -1) {
		int64_t v = 0;
		switch (c) {
		case 'o': o.output = optarg; break;
		case O_METRIC:
			if (or_metric_parse(optarg, &o.metric))
				return cli_usage_error("index", "--metric must be l2, ip or cos, not '%s'", optarg);
			break;
#define NUM(opt, lo, hi, dst)                                                                      \
	case opt:                                                                                  \
		if (cli_parse_i64(optarg, lo, hi, &v))                                             \
			return cli_usage_error("index", "%s must be an integer in %lld..%lld, not '%s'", \
					       option_name(opt), (long long)(lo), (long long)(hi), optarg); \
		dst = v;                                                                           \
		break;
		NUM(O_SEED, 0, INT64_MAX, o.seed)
		NUM(O_THREADS, 1, 1024, o.threads)
		NUM(O_NLIST, 1, 65536, o.nlist)
		NUM(O_ITERS, 0, 1000, o.iters)
		NUM(O_NPROBE, 1, 65536, o.nprobe)
		NUM(O_QUERIES, 1, 100000000, o.queries)
		NUM(O_SPEED, 1, 100000000, o.speed)
		NUM('k', 1, 100000, o.k)
		NUM(O_ROWS, 1, 4294967294LL, o.rows)
		NUM(O_DIM, 1, 65536, o.dim)
		NUM(O_CLUSTERS, 0, 1000000, o.clusters)
		NUM(O_RERANK, 1, 1000000, o.rerank)
#undef NUM
		case O_TARGET:
			if (cli_parse_double(optarg, 0.0, 1.0, &o.target) || o.target <= 0)
				return cli_usage_error("index", "--target-recall must be in (0, 1], not '%s'", optarg);
			break;
		case O_NOSIMD: o.simd = 0; break;
		case O_NOAMX: o.simd = o.simd ? 2 : 0; break;
		case O_QUIET: case 'q': o.quiet = 1; break;
		case O_JSON: o.json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout("index");
		default:
			return cli_bad_option("index", argv, "o:k:qh", opts);
		}
		if (c == O_SEED)
			o.seed_set = 1;
	}
	if (optind >= argc)
		return cli_usage_error("index", "give a subcommand: build, eval or synth (see -h)");
	const char *sub = argv[optind];
	int rest = argc - optind - 1;
	if (!strcmp(sub, "build")) {
		if (rest != 1)
			return cli_usage_error("index build", "give exactly one EMB.npy");
		return do_build(&o, argv[optind + 1]);
	}
	if (!strcmp(sub, "eval")) {
		if (rest != 1)
			return cli_usage_error("index eval", "give exactly one IDX");
		return do_eval(&o, argv[optind + 1]);
	}
	if (!strcmp(sub, "synth")) {
		if (rest != 0)
			return cli_usage_error("index synth", "unexpected argument '%s'", argv[optind + 1]);
		return do_synth(&o);
	}
	return cli_usage_error("index", "unknown subcommand '%s' (build, eval or synth)", sub);
}
