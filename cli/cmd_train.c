/*
 * cmd_train.c - `ottorec train`: matrix-factorisation embeddings from a
 * pairs file into a .npy matrix (n_items x dim float32) and the rows' aids
 * beside it (EMB.ids.npy, int64).
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_mf.h"
#include "or_npy.h"
#include "or_pairs.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: ottorec train -o EMB.npy [options] PAIRS\n"
	"\n"
	"Train aid embeddings on a pairs file (from `ottorec pairs`) and write them\n"
	"as a float32 .npy matrix, one row per distinct aid of the pairs file's\n"
	"dictionary in increasing aid order, and the aid of each row as an int64\n"
	"vector beside it: EMB.npy and EMB.ids.npy (np.load reads both; `index\n"
	"build` reads the ids).  After each epoch it prints the training loss and\n"
	"the notebook's validation accuracy (positive sigmoid > 0.5, shuffled\n"
	"negative < 0.5) on the held-out pairs.\n"
	"\n"
	"modes:\n"
	"  exact  the notebook's model and optimiser step for step: batches of\n"
	"         --batch pairs, one negative per pair from a permutation of the\n"
	"         batch's aid_next column, mean BCE-with-logits, PyTorch's\n"
	"         SparseAdam (lr 0.1, betas 0.9/0.999, eps 1e-8), N(0,1) init.\n"
	"         Same seed, same bytes, whatever --threads.\n"
	"  fast   the same objective by multithreaded Hogwild SGD: --negatives\n"
	"         negatives per pair drawn by aid_next frequency (the aid_next\n"
	"         of a random one of the previous 1024 pairs: the notebook's\n"
	"         in-batch negatives; the pairs file must be shuffled),\n"
	"         row-wise Adagrad steps (lr 0.3), small uniform init (--init).\n"
	"         With several threads results vary slightly from run to run\n"
	"         (lock-free updates).\n"
	"\n"
	"options:\n"
	"  -o, --output EMB.npy     output matrix (required); the ids go to\n"
	"                           EMB.ids.npy (the name less .npy, plus .ids.npy)\n"
	"  -m, --mode exact|fast    default exact\n"
	"      --dim D              embedding width (default 32)\n"
	"      --epochs N           default 1\n"
	"      --batch B            exact: pairs per step (default 65536)\n"
	"      --lr X               learning rate (exact 0.1, fast 0.3)\n"
	"      --negatives K        fast: negatives per pair, 1..16 (default 1)\n"
	"      --init normal|small  initial table: N(0,1) (nn.Embedding's) or\n"
	"                           uniform +-0.5/dim (word2vec's); default: normal\n"
	"                           in exact mode, small in fast mode\n"
	"      --seed N             initialisation, permutations, negatives (42)\n"
	"      --threads N          worker threads (default: all cores)\n"
	"      --checkpoint FILE    save the whole state there after every epoch\n"
	"      --resume             continue from --checkpoint FILE when it exists\n"
	"      --no-simd            scalar kernels only (also OTTOREC_NO_SIMD=1)\n"
	"      --max-pairs N        train on the first N training pairs only\n"
	"  -q, --quiet              no progress line and no epoch lines\n"
	"      --json               print a one-line JSON summary on stdout\n"
	"  -h, --help               this text\n";

#define CURVE_EPOCHS 64 /* epochs whose numbers the --json curves keep */

typedef struct epoch_ctx {
	int quiet;
	int epochs;
	int n;          /* epochs recorded */
	int epoch[CURVE_EPOCHS];
	double train_loss[CURVE_EPOCHS], valid_accuracy[CURVE_EPOCHS], valid_loss[CURVE_EPOCHS];
} epoch_ctx;

/* name:[v,...] of n numbers (non-finite: null) onto j. */
static void json_array(cli_json *j, const char *name, const double *v, size_t n)
{
	char buf[CURVE_EPOCHS * OR_MF_CURVE * 14 + 8];
	size_t len = (size_t)snprintf(buf, sizeof(buf), "[");
	for (size_t i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, isfinite(v[i]) ? "%s%.6g" : "%snull",
					i ? "," : "", v[i]);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "]");
	cli_json_raw(j, name, buf);
}

static void on_epoch(void *ctx, int epoch, const or_mf_stats *st)
{
	epoch_ctx *e = ctx;
	if (e->n < CURVE_EPOCHS) {
		e->epoch[e->n] = epoch;
		e->train_loss[e->n] = st->train_loss;
		e->valid_accuracy[e->n] = st->valid_accuracy;
		e->valid_loss[e->n++] = st->valid_loss;
	}
	if (e->quiet)
		return;
	cli_progress_done();
	fprintf(stderr, "epoch %d/%d: train loss %.4f, valid accuracy %.4f, valid loss %.4f, %.2f M pairs/s\n",
		epoch, e->epochs, st->train_loss, st->valid_accuracy, st->valid_loss, st->pairs_per_s / 1e6);
}

/* The rows' aids (the pairs file's dictionary) to ids_path, then the
   matrix to output, each atomically (tmp + rename).  The ids go first, so
   a matrix is never newer than its ids: an interrupted run may leave new
   ids beside an old matrix (index build refuses them when the counts
   differ; `run` has not recorded the stage as done and redoes it). */
static int write_outputs(const char *output, const char *ids_path, const or_mf_model *m,
			 const or_pairs *p, or_err *err)
{
	size_t n = or_pairs_n_items(p);
	const uint32_t *items = or_pairs_items(p);
	int64_t *ids = malloc(n * sizeof(*ids));
	if (!ids)
		return or_err_set(err, OR_ENOMEM, "out of memory (%zu row ids)", n);
	for (size_t i = 0; i < n; i++)
		ids[i] = items[i];
	int rc = or_npy_write_i64(ids_path, ids, n, err);
	free(ids);
	if (!rc)
		rc = or_npy_write_f32(output, m->emb, m->n_rows, m->dim, err);
	return rc;
}

int cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "dim", required_argument, NULL, 'd' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "batch", required_argument, NULL, 'b' },
		{ "lr", required_argument, NULL, 'l' },
		{ "negatives", required_argument, NULL, 'n' },
		{ "init", required_argument, NULL, 'I' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "resume", no_argument, NULL, 'r' },
		{ "no-simd", no_argument, NULL, 'S' },
		{ "max-pairs", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int quiet = 0, json = 0, resume = 0, c, mode = OR_MF_EXACT;
	int64_t dim = -1, epochs = -1, batch = -1, negatives = -1, seed = -1, threads = -1;
	double lr = -1;
	const char *checkpoint = NULL;
	int no_simd = 0, init = -1;
	int64_t max_pairs = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:m:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'm':
			if (!strcmp(optarg, "exact")) mode = OR_MF_EXACT;
			else if (!strcmp(optarg, "fast")) mode = OR_MF_FAST;
			else return cli_usage_error("train", "--mode must be exact or fast, not '%s'", optarg);
			break;
		case 'd':
			if (cli_parse_i64(optarg, 1, 4096, &dim))
				return cli_usage_error("train", "--dim must be in 1..4096, not '%s'", optarg);
			break;
		case 'e':
			if (cli_parse_i64(optarg, 1, 100000, &epochs))
				return cli_usage_error("train", "--epochs must be in 1..100000, not '%s'", optarg);
			break;
		case 'b':
			if (cli_parse_i64(optarg, 1, 100000000, &batch))
				return cli_usage_error("train", "--batch must be in 1..100000000, not '%s'", optarg);
			break;
		case 'l':
			if (cli_parse_double(optarg, 1e-9, 1e3, &lr))
				return cli_usage_error("train", "--lr must be in 1e-9..1000, not '%s'", optarg);
			break;
		case 'n':
			if (cli_parse_i64(optarg, 1, 16, &negatives))
				return cli_usage_error("train", "--negatives must be in 1..16, not '%s'", optarg);
			break;
		case 's':
			if (cli_parse_i64(optarg, 0, INT64_MAX, &seed))
				return cli_usage_error("train", "--seed must be a non-negative integer, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_threads("train", optarg, &threads))
				return CLI_USAGE;
			break;
		case 'I':
			if (!strcmp(optarg, "normal")) init = OR_MF_INIT_NORMAL;
			else if (!strcmp(optarg, "small")) init = OR_MF_INIT_SMALL;
			else return cli_usage_error("train", "--init must be normal or small, not '%s'", optarg);
			break;
		case 'c': checkpoint = optarg; break;
		case 'r': resume = 1; break;
		case 'S': no_simd = 1; break;
		case 'M':
			if (cli_parse_i64(optarg, 1, INT64_MAX, &max_pairs))
				return cli_usage_error("train", "--max-pairs must be a positive integer, not '%s'", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout("train");
		default:
			return cli_bad_option("train", argv, "o:m:qh", opts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("train", "give exactly one PAIRS file");
	if (!output)
		return cli_usage_error("train", "give the output matrix with -o");
	if (resume && !checkpoint)
		return cli_usage_error("train", "--resume needs --checkpoint FILE");
	{
		/* the matrix and its ids file beside it are both outputs */
		cli_input ins[] = { { argv[optind], 0 }, { checkpoint, 0 } };
		char *ids = or_npy_ids_path(output);
		int bad = cli_check_output("train", output, NULL, ins, 2) ||
			  (ids && cli_check_output("train", ids, NULL, ins, 2)) ||
			  cli_check_output("train", checkpoint, NULL, ins, 1);
		free(ids);
		if (bad)
			return CLI_USAGE;
	}
	or_mf_config cfg;
	if (mode == OR_MF_FAST)
		or_mf_config_default_fast(&cfg);
	else
		or_mf_config_default(&cfg);
	if (dim > 0) cfg.dim = (size_t)dim;
	if (epochs > 0) cfg.epochs = (int)epochs;
	if (batch > 0) cfg.batch = (size_t)batch;
	if (lr > 0) cfg.lr = lr;
	if (negatives > 0) cfg.negatives = (int)negatives;
	if (seed >= 0) cfg.seed = (uint64_t)seed;
	if (threads > 0) cfg.threads = (int)threads;
	if (no_simd) cfg.simd = 0;
	if (init >= 0) cfg.init = init;
	cfg.checkpoint = checkpoint;

	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_pairs *p = NULL;
	or_mf_model m;
	memset(&m, 0, sizeof(m));
	or_mf_stats st;
	memset(&st, 0, sizeof(st));
	char *ids_path = or_npy_ids_path(output);
	int rc = ids_path ? or_pairs_open(argv[optind], &p, &err) : or_err_set(&err, OR_ENOMEM, "out of memory");
	if (!rc && or_pairs_n_items(p) == 0)
		rc = or_err_set(&err, OR_EFORMAT, "%s: no items (empty pairs file)", argv[optind]);
	int resumed = 0;
	if (!rc && resume && access(checkpoint, F_OK) == 0) {
		/* a checkpoint has one row per item: the count must be the pairs file's */
		rc = or_mf_checkpoint_load(&m, checkpoint, &cfg, or_pairs_n_items(p), &err);
		resumed = !rc;
		if (resumed && !quiet)
			fprintf(stderr, "resumed %s after epoch %llu (step %llu)\n", checkpoint,
				(unsigned long long)m.epoch, (unsigned long long)m.step);
	} else if (!rc) {
		rc = or_mf_model_init(&m, or_pairs_n_items(p), &cfg, &err);
	}
	static epoch_ctx ec; /* 2 KiB of curves: off the stack */
	ec.quiet = quiet;
	ec.epochs = cfg.epochs;
	/* the loss every 5 % of the epochs (exact mode), for --json's curve */
	size_t n_curve = (size_t)(cfg.epochs < CURVE_EPOCHS ? cfg.epochs : CURVE_EPOCHS) * OR_MF_CURVE;
	double *curve = json ? malloc(cfg.epochs * OR_MF_CURVE * sizeof(double)) : NULL;
	for (size_t i = 0; curve && i < (size_t)cfg.epochs * OR_MF_CURVE; i++)
		curve[i] = NAN;
	cfg.loss_curve = curve;
	size_t n_use = p ? or_pairs_n_train(p) : 0;
	if (max_pairs > 0 && (uint64_t)max_pairs < n_use)
		n_use = (size_t)max_pairs;
	/* the pairs' checksums as the first epoch reads them */
	if (!rc && !(cfg.check = or_pairs_check_new(p)))
		rc = or_err_set(&err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = or_mf_train(&m, &cfg, or_pairs_train(p), n_use, or_pairs_valid(p),
				 or_pairs_n_valid(p), cli_log(), on_epoch, &ec, &st, &err);
	if (!rc)
		rc = write_outputs(output, ids_path, &m, p, &err);
	cli_progress_done();
	size_t n_train = n_use, n_valid = p ? or_pairs_n_valid(p) : 0;
	size_t rows = m.n_rows;
	or_mf_model_free(&m);
	or_pairs_free(p);
	if (rc) {
		free(ids_path);
		free(curve);
		return cli_fail("train", &err);
	}
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "train");
		cli_json_str(&j, "mode", cfg.mode == OR_MF_EXACT ? "exact" : "fast");
		cli_json_str(&j, "output", output);
		cli_json_str(&j, "ids", ids_path);
		cli_json_int(&j, "rows", (long long)rows);
		cli_json_int(&j, "dim", (long long)cfg.dim);
		cli_json_int(&j, "epochs", cfg.epochs);
		cli_json_int(&j, "resumed", resumed);
		cli_json_int(&j, "train_pairs", (long long)n_train);
		cli_json_int(&j, "valid_pairs", (long long)n_valid);
		cli_json_num(&j, "train_loss", st.train_loss);
		cli_json_num(&j, "valid_accuracy", st.valid_accuracy);
		cli_json_num(&j, "valid_loss", st.valid_loss);
		cli_json_num(&j, "train_seconds", st.train_seconds);
		cli_json_num(&j, "pairs_per_s", st.pairs_per_s);
		/* curves (`ottorec report`): per epoch of this run, and the train
		   loss of each 5 % of an epoch (exact mode; null where none) */
		double ep[CURVE_EPOCHS];
		for (int e = 0; e < ec.n; e++)
			ep[e] = ec.epoch[e];
		json_array(&j, "curve_epoch", ep, (size_t)ec.n);
		json_array(&j, "curve_train_loss", ec.train_loss, (size_t)ec.n);
		json_array(&j, "curve_valid_accuracy", ec.valid_accuracy, (size_t)ec.n);
		json_array(&j, "curve_valid_loss", ec.valid_loss, (size_t)ec.n);
		if (curve && cfg.mode == OR_MF_EXACT)
			json_array(&j, "loss_curve", curve, n_curve);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr, "wrote %s: %zu x %zu float32 (row aids in %s) in %.2f s\n", output, rows,
			cfg.dim, ids_path, wall);
	}
	free(ids_path);
	free(curve);
	return cli_finish_stdout("train");
}
