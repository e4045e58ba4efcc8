/*
 * cmd_neighbors.c - `ottorec neighbors`: the k nearest other items of one
 * item (--aid) or of every item listed in a file (--queries, one aid per
 * line), from an index built by `ottorec index build`, as CSV or TSV rows
 * `aid,rank,neighbor,distance`.
 */
#include "cli.h"
#include "cli_guard.h"
#include "or_ann.h"
#include "or_file.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: ottorec neighbors IDX --aid A [-k 20] [options]\n"
	"       ottorec neighbors IDX --queries FILE [-o OUT] [-k 20] [options]\n"
	"\n"
	"The k nearest other items of item A, or of each aid in FILE (one per line,\n"
	"\"-\" = stdin), from an index built by `ottorec index build`.  The item\n"
	"itself is left out (Annoy's get_nns_by_item(a, k + 1)[1:]).  Output rows\n"
	"are `aid,rank,neighbor,distance` (rank from 1; distance: squared euclidean\n"
	"for l2, inner product for ip, cosine similarity for cos), with a header.\n"
	"\n"
	"options:\n"
	"      --aid A            one query item\n"
	"      --queries FILE     many query items, one per line\n"
	"  -o, --output OUT       output file (default stdout; written atomically)\n"
	"  -k N                   neighbours per item (default 20)\n"
	"      --nprobe N         lists scanned per query (default: the index's)\n"
	"      --rerank N         candidates re-scored exactly (default: the index's)\n"
	"      --format F         csv (default) | tsv\n"
	"      --threads N        threads (default: all cores)\n"
	"      --no-simd          scalar kernels\n"
	"  -q, --quiet            no progress line\n"
	"      --json             one-line summary on stdout (needs -o): wall time,\n"
	"                         queries/s, peak RSS\n"
	"  -h, --help             this text\n";

/* "N items, aids A..B" of the index, for messages (a static buffer). */
static const char *index_span(const or_items *items)
{
	static char buf[96];
	size_t n = or_items_count(items);
	snprintf(buf, sizeof(buf), "%zu items, aids %u..%u", n, n ? or_items_aid(items, 0) : 0,
		 n ? or_items_aid(items, (uint32_t)(n - 1)) : 0);
	return buf;
}

enum { O_AID = 256, O_QUERIES, O_NPROBE, O_FORMAT, O_THREADS, O_NOSIMD, O_QUIET, O_JSON, O_RERANK };

/* Read one aid per line into its item (row) of the index; blank lines are
   skipped; anything else, or an aid the index does not hold, is an error
   naming the line. */
static int read_queries(const char *path, int64_t **out, size_t *nout, const or_items *items)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "ottorec neighbors: %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	char *line = NULL;
	size_t cap = 0, n = 0, alloc = 0, lineno = 0;
	int64_t *v = NULL;
	ssize_t len;
	int rc = CLI_OK;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
				   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			continue;
		int64_t a;
		if (cli_parse_i64(p, 0, INT64_MAX, &a)) {
			fprintf(stderr, "ottorec neighbors: %s:%zu: expected an aid (a non-negative integer), got '%.40s'\n",
				path, lineno, p);
			rc = CLI_FAIL;
			break;
		}
		uint32_t row = a <= (int64_t)UINT32_MAX ? or_items_index(items, (uint32_t)a) : OR_ITEM_NONE;
		if (row == OR_ITEM_NONE) {
			fprintf(stderr, "ottorec neighbors: %s:%zu: aid %lld is not in the index (%s)\n",
				path, lineno, (long long)a, index_span(items));
			rc = CLI_FAIL;
			break;
		}
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 1024;
			int64_t *nv = realloc(v, na * sizeof(int64_t));
			if (!nv) {
				fprintf(stderr, "ottorec neighbors: out of memory\n");
				rc = CLI_FAIL;
				break;
			}
			v = nv;
			alloc = na;
		}
		v[n++] = row;
	}
	if (rc == CLI_OK && ferror(f)) {
		fprintf(stderr, "ottorec neighbors: %s: read error\n", path);
		rc = CLI_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc == CLI_OK && n == 0) {
		fprintf(stderr, "ottorec neighbors: %s holds no query aids (one aid a line expected)\n", path);
		rc = CLI_FAIL;
	}
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return CLI_OK;
}

int cmd_neighbors(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "aid", required_argument, NULL, O_AID },
		{ "queries", required_argument, NULL, O_QUERIES },
		{ "output", required_argument, NULL, 'o' },
		{ "nprobe", required_argument, NULL, O_NPROBE },
		{ "rerank", required_argument, NULL, O_RERANK },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "no-simd", no_argument, NULL, O_NOSIMD },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *qfile = NULL, *output = "-";
	int64_t aid = -1, k = 20, nprobe = 0, rerank = 0, threads = 0;
	int simd = 1, quiet = 0, json = 0, c;
	char sep = ',';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:k:qh", opts, NULL)) != -1) {
		switch (c) {
		case O_AID:
			if (cli_parse_i64(optarg, 0, INT64_MAX, &aid))
				return cli_usage_error("neighbors", "--aid must be a non-negative integer, not '%s'", optarg);
			break;
		case O_QUERIES: qfile = optarg; break;
		case 'o': output = optarg; break;
		case 'k':
			if (cli_parse_i64(optarg, 1, 100000, &k))
				return cli_usage_error("neighbors", "-k must be an integer in 1..100000, not '%s'", optarg);
			break;
		case O_NPROBE:
			if (cli_parse_i64(optarg, 1, 65536, &nprobe))
				return cli_usage_error("neighbors", "--nprobe must be an integer in 1..65536, not '%s'", optarg);
			break;
		case O_RERANK:
			if (cli_parse_i64(optarg, 1, 1000000, &rerank))
				return cli_usage_error("neighbors", "--rerank must be an integer in 1..1000000, not '%s'", optarg);
			break;
		case O_THREADS:
			if (cli_parse_threads("neighbors", optarg, &threads))
				return CLI_USAGE;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "csv")) sep = ',';
			else if (!strcmp(optarg, "tsv")) sep = '\t';
			else return cli_usage_error("neighbors", "--format must be csv or tsv, not '%s'", optarg);
			break;
		case O_NOSIMD: simd = 0; break;
		case O_QUIET: case 'q': quiet = 1; break;
		case O_JSON: json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout("neighbors");
		default:
			return cli_bad_option("neighbors", argv, "o:k:qh", opts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("neighbors", "give exactly one IDX");
	if ((aid >= 0) == (qfile != NULL))
		return cli_usage_error("neighbors", "give either --aid or --queries");
	if (json && !strcmp(output, "-"))
		return cli_usage_error("neighbors", "--json needs -o (stdout carries the neighbours)");
	cli_input ins[] = { { argv[optind], 0 }, { qfile, 0 } };
	if (cli_check_output("neighbors", output, NULL, ins, 2))
		return CLI_USAGE;
	cli_log_setup(quiet);
	double t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	or_ann *ix = NULL;
	if (or_ann_open(argv[optind], &ix, &err))
		return cli_fail("neighbors", &err);
	/* queries and answers are rows of the index; aids are what users see */
	const or_items *dict = or_ann_items(ix);
	int64_t *items = NULL;
	size_t nq = 0;
	if (qfile) {
		if (read_queries(qfile, &items, &nq, dict)) {
			or_ann_free(ix);
			return CLI_FAIL;
		}
	} else {
		uint32_t row = aid <= (int64_t)UINT32_MAX ? or_items_index(dict, (uint32_t)aid) : OR_ITEM_NONE;
		if (row == OR_ITEM_NONE) {
			fprintf(stderr, "ottorec neighbors: aid %lld is not in the index (%s)\n",
				(long long)aid, index_span(dict));
			or_ann_free(ix);
			return CLI_FAIL;
		}
		items = malloc(sizeof(int64_t));
		if (items)
			items[0] = row;
		nq = 1;
	}
	size_t kk = (size_t)k, tot = 0;
	int64_t *ids = NULL;
	float *dist = NULL;
	int rc = OR_OK;
	if (!items || or_size_mul(nq ? nq : 1, kk, &tot) ||
	    !(ids = malloc(tot * sizeof(int64_t))) || !(dist = malloc(tot * sizeof(float)))) {
		rc = or_err_set(&err, OR_ENOMEM, "out of memory (%zu queries x %zu)", nq, kk);
	}
	or_ann_search_params p;
	or_ann_search_params_default(&p);
	p.nprobe = (size_t)nprobe;
	p.rerank = (size_t)rerank;
	p.threads = (int)threads;
	p.simd = simd;
	double ts = cli_now();
	if (!rc)
		rc = or_ann_search_items(ix, items, nq, kk, &p, ids, dist, cli_log(), &err);
	double search_s = cli_now() - ts;
	cli_progress_done();
	or_file f;
	memset(&f, 0, sizeof(f));
	if (!rc)
		rc = or_file_open(&f, output, &err);
	if (!rc) {
		char line[128];
		int len = snprintf(line, sizeof(line), "aid%crank%cneighbor%cdistance\n", sep, sep, sep);
		rc = or_file_write(&f, line, (size_t)len, &err);
		for (size_t q = 0; q < nq && !rc; q++)
			for (size_t r = 0; r < kk && !rc; r++) {
				if (ids[q * kk + r] < 0)
					break;
				len = snprintf(line, sizeof(line), "%u%c%zu%c%u%c%.7g\n",
					       or_items_aid(dict, (uint32_t)items[q]), sep, r + 1, sep,
					       or_items_aid(dict, (uint32_t)ids[q * kk + r]), sep,
					       (double)dist[q * kk + r]);
				rc = or_file_write(&f, line, (size_t)len, &err);
			}
		if (!rc)
			rc = or_file_commit(&f, &err);
	}
	or_file_abort(&f);
	free(items);
	free(ids);
	free(dist);
	or_ann_free(ix);
	if (rc)
		return cli_fail("neighbors", &err);
	if (json) {
		double wall = cli_now() - t0;
		cli_json j;
		cli_json_begin(&j);
		cli_json_str(&j, "command", "neighbors");
		cli_json_str(&j, "output", output);
		cli_json_int(&j, "queries", (long long)nq);
		cli_json_int(&j, "k", (long long)kk);
		cli_json_num(&j, "search_seconds", search_s);
		cli_json_num(&j, "queries_per_s", search_s > 0 ? nq / search_s : 0);
		cli_json_num(&j, "wall_seconds", wall);
		cli_json_int(&j, "peak_rss_bytes", (long long)cli_peak_rss());
		cli_json_print(&j);
	}
	return cli_finish_stdout("neighbors");
}
