/*
 * cmd_item2vec.c - `ottorec item2vec`: skip-gram (or, with --cbow, CBOW)
 * item embeddings of event stores (or_item2vec.h) into a .npy matrix and the rows' aids beside it,
 * as `ottorec train` writes them, and optionally word2vec's text format.
 */
#include "cli.h"
#include "or_item2vec.h"
#include "or_npy.h"
#include "or_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const CMD = "item2vec";

static const char usage_text[] =
	"usage: ottorec item2vec -o EMB.npy [options] STORE...\n"
	"\n"
	"Item embeddings by skip-gram (or, with --cbow, CBOW) with negative\n"
	"sampling (word2vec) over the sessions of the stores as sentences and\n"
	"their aids as words, with the word2vec paper's and gensim's meaning of\n"
	"every option.  Writes a float32 .npy matrix, one row per item of the\n"
	"stores' dictionary (their distinct aids) that occurs at least\n"
	"--min-count times, in increasing aid order, and the aid of each row as\n"
	"an int64 vector beside it: EMB.npy and EMB.ids.npy, as `ottorec train`\n"
	"writes them (`index build --metric cos` reads both).  Hogwild over\n"
	"threads; with --threads 1 the same seed gives the same bytes.\n"
	"\n"
	"options:\n"
	"  -o, --output EMB.npy     output matrix (required); the ids go to\n"
	"                           EMB.ids.npy (the name less .npy, plus .ids.npy)\n"
	"      --text FILE          also write word2vec's text format (gensim's\n"
	"                           KeyedVectors.load_word2vec_format reads it)\n"
	"      --dim D              vector width (default 32)\n"
	"      --window W           max distance of a context, each position's\n"
	"                           window drawn from 1..W (default 5)\n"
	"      --negative K         negatives per pair, 1..64 (default 5)\n"
	"      --ns-exponent X      negatives drawn by count^X (default 0.75; 0\n"
	"                           uniform, negative favours rare items)\n"
	"      --sample T           frequent-item downsampling threshold (default\n"
	"                           1e-3; 0 turns it off)\n"
	"      --min-count N        drop items seen fewer than N times (default 1)\n"
	"      --epochs N           passes over the sessions (default 5)\n"
	"      --alpha A            initial learning rate (default 0.025), decaying\n"
	"                           linearly to --min-alpha (default 0.0001)\n"
	"      --cbow               CBOW instead of skip-gram (gensim's sg=0, its\n"
	"                           default): the contexts of a position together\n"
	"                           predict it, one update per position\n"
	"      --cbow-mean 0|1      with --cbow: 1 the contexts' mean (default), 0\n"
	"                           their sum (gensim's cbow_mean)\n"
	"      --collapse-repeats   a run of the same aid in a session counts once\n"
	"      --shared-negatives   draw a center's negatives once for all its\n"
	"                           contexts (faster, an approximation: not\n"
	"                           word2vec's rule; docs/item2vec.md); skip-gram\n"
	"                           only\n"
	"      --seed N             initial vectors and every draw (default 1)\n"
	"      --threads N          worker threads (default: all cores)\n"
	"      --no-simd            scalar kernels only (also OTTOREC_NO_SIMD=1)\n"
	"      --quiet              no progress line, no epoch lines\n"
	"      --json               print a one-line JSON summary on stdout\n"
	"  -h, --help               this text\n";

enum { O_TEXT = 256, O_DIM, O_WINDOW, O_NEG, O_NSEXP, O_SAMPLE, O_MINC, O_EPOCHS, O_ALPHA,
       O_MINALPHA, O_COLLAPSE, O_SHARED, O_SEED, O_THREADS, O_NOSIMD, O_QUIET, O_JSON, O_CBOW,
       O_CBOW_MEAN };

typedef struct progress_ctx {
	const char *mode; /* "skip-gram" or "cbow" */
	int line;      /* draw the progress line (stderr is a terminal) */
	int epochs;    /* print a line after each epoch */
	int open;      /* a progress line is on the screen */
	double last;   /* when the line was drawn */
} progress_ctx;

static void line_done(progress_ctx *p)
{
	if (p->open) {
		fputs("\r\033[K", stderr);
		p->open = 0;
	}
}

static void on_progress(void *ctx, const or_i2v_stats *st)
{
	progress_ctx *p = ctx;
	if (st->epoch_end) {
		if (!p->epochs)
			return;
		line_done(p);
		fprintf(stderr, "epoch %d/%d (%s): loss %.4f, %.2f M words/s\n", st->epoch, st->epochs,
			p->mode, st->loss, st->words_per_s / 1e6);
		return;
	}
	double now = cli_now();
	if (!p->line || now - p->last < 0.2)
		return;
	p->last = now;
	double frac = st->words_total ? (double)st->words / (double)st->words_total : 0;
	double left = st->words_per_s > 0 ? (double)(st->words_total - st->words) / st->words_per_s : 0;
	fprintf(stderr, "\r\033[Kitem2vec %s: %5.1f%%  epoch %d/%d  %.2f M words/s  loss %.4f  alpha %.5f  ETA %d:%02d",
		p->mode, 100 * frac, st->epoch, st->epochs, st->words_per_s / 1e6, st->loss, st->alpha,
		(int)(left / 60), (int)left % 60);
	p->open = 1;
}

/* 1 when a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (!strcmp(a, b))
		return 1;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int write_outputs(const char *output, const char *ids_path, const char *text,
			 const or_i2v_model *m, or_err *err)
{
	int64_t *ids = malloc((m->n_rows ? m->n_rows : 1) * sizeof(*ids));
	if (!ids)
		return or_err_set(err, OR_ENOMEM, "out of memory (%zu row ids)", m->n_rows);
	for (size_t i = 0; i < m->n_rows; i++)
		ids[i] = m->aids[i];
	/* the ids first, as train does: a matrix is never newer than its ids */
	int rc = or_npy_write_i64(ids_path, ids, m->n_rows, err);
	free(ids);
	if (!rc)
		rc = or_npy_write_f32(output, m->vectors, m->n_rows, m->dim, err);
	if (!rc && text)
		rc = or_i2v_write_text(text, m, err);
	return rc;
}

int cmd_item2vec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "text", required_argument, NULL, O_TEXT },
		{ "dim", required_argument, NULL, O_DIM },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "negative", required_argument, NULL, O_NEG },
		{ "ns-exponent", required_argument, NULL, O_NSEXP },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "min-count", required_argument, NULL, O_MINC },
		{ "epochs", required_argument, NULL, O_EPOCHS },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "min-alpha", required_argument, NULL, O_MINALPHA },
		{ "collapse-repeats", no_argument, NULL, O_COLLAPSE },
		{ "shared-negatives", no_argument, NULL, O_SHARED },
		{ "cbow", no_argument, NULL, O_CBOW },
		{ "cbow-mean", required_argument, NULL, O_CBOW_MEAN },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "no-simd", no_argument, NULL, O_NOSIMD },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	or_i2v_config cfg;
	or_i2v_config_default(&cfg);
	const char *output = NULL, *text = NULL;
	int quiet = 0, json = 0, cbow_mean_given = 0, c;
	int64_t v;
	double x;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case O_TEXT: text = optarg; break;
		case O_DIM:
			if (cli_parse_i64(optarg, 1, 4096, &v))
				return cli_usage_error(CMD, "--dim must be in 1..4096, not '%s'", optarg);
			cfg.dim = (size_t)v;
			break;
		case O_WINDOW:
			if (cli_parse_i64(optarg, 1, 1000, &v))
				return cli_usage_error(CMD, "--window must be in 1..1000, not '%s'", optarg);
			cfg.window = (int)v;
			break;
		case O_NEG:
			if (cli_parse_i64(optarg, 1, OR_I2V_MAX_NEGATIVE, &v))
				return cli_usage_error(CMD, "--negative must be in 1..%d, not '%s'", OR_I2V_MAX_NEGATIVE, optarg);
			cfg.negative = (int)v;
			break;
		case O_NSEXP:
			if (cli_parse_double(optarg, -10, 10, &x))
				return cli_usage_error(CMD, "--ns-exponent must be a number in -10..10, not '%s'", optarg);
			cfg.ns_exponent = x;
			break;
		case O_SAMPLE:
			if (cli_parse_double(optarg, 0, 0.999999, &x))
				return cli_usage_error(CMD, "--sample must be in [0, 1), not '%s'", optarg);
			cfg.sample = x;
			break;
		case O_MINC:
			if (cli_parse_i64(optarg, 1, INT64_MAX, &v))
				return cli_usage_error(CMD, "--min-count must be a positive integer, not '%s'", optarg);
			cfg.min_count = (uint64_t)v;
			break;
		case O_EPOCHS:
			if (cli_parse_i64(optarg, 1, 100000, &v))
				return cli_usage_error(CMD, "--epochs must be in 1..100000, not '%s'", optarg);
			cfg.epochs = (int)v;
			break;
		case O_ALPHA:
			if (cli_parse_double(optarg, 1e-9, 10, &x))
				return cli_usage_error(CMD, "--alpha must be in 1e-9..10, not '%s'", optarg);
			cfg.alpha = x;
			break;
		case O_MINALPHA:
			if (cli_parse_double(optarg, 0, 10, &x))
				return cli_usage_error(CMD, "--min-alpha must be in 0..10, not '%s'", optarg);
			cfg.min_alpha = x;
			break;
		case O_COLLAPSE: cfg.collapse_repeats = 1; break;
		case O_SHARED: cfg.shared_negatives = 1; break;
		case O_CBOW: cfg.cbow = 1; break;
		case O_CBOW_MEAN:
			if (cli_parse_i64(optarg, 0, 1, &v))
				return cli_usage_error(CMD, "--cbow-mean must be 0 or 1, not '%s'", optarg);
			cfg.cbow_mean = (int)v;
			cbow_mean_given = 1;
			break;
		case O_SEED:
			if (cli_parse_i64(optarg, 0, INT64_MAX, &v))
				return cli_usage_error(CMD, "--seed must be a non-negative integer, not '%s'", optarg);
			cfg.seed = (uint64_t)v;
			break;
		case O_THREADS:
			if (cli_parse_threads(CMD, optarg, &v))
				return CLI_USAGE;
			cfg.threads = (int)v;
			break;
		case O_NOSIMD: cfg.simd = 0; break;
		case O_QUIET: quiet = 1; break;
		case O_JSON: json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_usage_error(CMD, "unknown option");
		}
	}
	if (argc - optind < 1)
		return cli_usage_error(CMD, "give at least one STORE");
	if (!output)
		return cli_usage_error(CMD, "give the output matrix with -o");
	if (cbow_mean_given && !cfg.cbow)
		return cli_usage_error(CMD, "--cbow-mean needs --cbow");
	if (cfg.cbow && cfg.shared_negatives)
		return cli_usage_error(CMD, "--shared-negatives is for skip-gram: --cbow draws a position's negatives once already");
	if (cfg.min_alpha > cfg.alpha)
		return cli_usage_error(CMD, "--min-alpha (%g) must not exceed --alpha (%g)", cfg.min_alpha, cfg.alpha);
	char *ids_path = or_npy_ids_path(output);
	if (!ids_path) {
		fprintf(stderr, "ottorec %s: out of memory\n", CMD);
		return CLI_FAIL;
	}
	const size_t n_stores = (size_t)(argc - optind);
	for (size_t i = 0; i < n_stores; i++) {
		const char *in = argv[optind + (int)i];
		const char *clash = same_file(in, output) ? output : same_file(in, ids_path) ? ids_path
				    : text && same_file(in, text) ? text : NULL;
		if (clash) {
			free(ids_path);
			return cli_usage_error(CMD, "output %s is also an input", clash);
		}
	}
	if (same_file(output, ids_path) || (text && (same_file(text, output) || same_file(text, ids_path)))) {
		free(ids_path);
		return cli_usage_error(CMD, "the outputs (-o, its ids file, --text) must be different files");
	}

	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_store **stores = calloc(n_stores, sizeof(*stores));
	int rc = stores ? OR_OK : or_err_set(&err, OR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < n_stores; i++)
		rc = or_store_open(argv[optind + (int)i], &stores[i], &err);
	const char *mode = cfg.cbow ? "cbow" : "skip-gram";
	progress_ctx pc = { mode, !quiet && isatty(STDERR_FILENO), !quiet, 0, 0 };
	or_i2v_model m;
	memset(&m, 0, sizeof(m));
	or_i2v_stats st;
	memset(&st, 0, sizeof(st));
	if (!rc)
		rc = or_i2v_train(stores, n_stores, &cfg, cli_log(), on_progress, &pc, &m, &st, &err);
	line_done(&pc);
	for (size_t i = 0; stores && i < n_stores; i++)
		or_store_free(stores[i]);
	free(stores);
	if (!rc)
		rc = write_outputs(output, ids_path, text, &m, &err);
	or_i2v_model_release(&m);
	if (rc) {
		free(ids_path);
		return cli_fail(CMD, &err);
	}
	double wall = cli_now() - t0;
	if (json) {
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", CMD);
		cli_json_str(&j, "output", output);
		cli_json_str(&j, "ids", ids_path);
		if (text)
			cli_json_str(&j, "text", text);
		cli_json_int(&j, "items", (long long)st.items);
		cli_json_int(&j, "rows", (long long)st.vocab);
		cli_json_int(&j, "dim", (long long)cfg.dim);
		cli_json_str(&j, "mode", mode);
		if (cfg.cbow)
			cli_json_int(&j, "cbow_mean", cfg.cbow_mean);
		cli_json_int(&j, "sentences", (long long)st.sentences);
		cli_json_int(&j, "corpus_words", (long long)st.corpus_words);
		cli_json_int(&j, "epochs", cfg.epochs);
		cli_json_int(&j, "window", cfg.window);
		cli_json_int(&j, "negative", cfg.negative);
		cli_json_num(&j, "ns_exponent", cfg.ns_exponent);
		cli_json_num(&j, "sample", cfg.sample);
		cli_json_int(&j, "min_count", (long long)cfg.min_count);
		cli_json_int(&j, "collapse_repeats", cfg.collapse_repeats);
		cli_json_int(&j, "shared_negatives", cfg.shared_negatives);
		cli_json_int(&j, "words", (long long)st.words);
		cli_json_int(&j, "effective_words", (long long)st.effective_words);
		/* skip-gram: (center, context) pairs; cbow: positions (center updates) */
		cli_json_int(&j, "pairs", (long long)st.pairs);
		cli_json_num(&j, "loss", st.loss);
		{
			/* the mean loss of each epoch (report's training curve) */
			char curve[16 * 16 + 8];
			size_t len = (size_t)snprintf(curve, sizeof(curve), "[");
			int ne = cfg.epochs < 16 ? cfg.epochs : 16;
			for (int e = 0; e < ne; e++)
				len += (size_t)snprintf(curve + len, sizeof(curve) - len, "%s%.6g", e ? "," : "",
							st.epoch_loss[e]);
			snprintf(curve + len, sizeof(curve) - len, "]");
			cli_json_raw(&j, "epoch_loss", curve);
		}
		cli_json_num(&j, "corpus_seconds", st.corpus_seconds);
		cli_json_num(&j, "train_seconds", st.seconds);
		cli_json_num(&j, "words_per_s", st.words_per_s);
		cli_json_str(&j, "kernels", st.kernels);
		cli_json_str(&j, "negatives_table", st.negatives_table);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	} else if (!quiet) {
		fprintf(stderr, "wrote %s: %zu x %zu float32, %s (row aids in %s%s%s) in %.2f s\n", output,
			st.vocab, cfg.dim, mode, ids_path, text ? ", text in " : "", text ? text : "", wall);
	}
	free(ids_path);
	return cli_finish_stdout(CMD);
}
