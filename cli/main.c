/*
 * main.c - the `ottorec` program: dispatches `ottorec <command>` to the
 * command's own file (git's builtin table), and prints the command list.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct cli_command {
	const char *name;
	cli_cmd_fn fn;
	const char *summary;
} cli_command;

static const cli_command commands[] = {
	{ "synth", cmd_synth, "generate OTTO-like synthetic data (train, test, test labels)" },
	{ "convert", cmd_convert, "read OTTO JSONL (.gz) or CSV into an event store" },
	{ "export", cmd_export, "write an event store back as JSONL or CSV" },
	{ "info", cmd_info, "statistics of an event store (the OTTO README's table)" },
	{ "split", cmd_split, "local validation split and labels (the organiser's testset.py)" },
	{ "evaluate", cmd_evaluate, "Recall@20 and weighted score of a submission (evaluate.py)" },
	{ "pairs", cmd_pairs, "aid -> aid_next pairs of sessions for embedding training" },
	{ "train", cmd_train, "matrix-factorisation embeddings (.npy), exact or fast mode" },
	{ "item2vec", cmd_item2vec, "skip-gram or CBOW item embeddings of sessions (.npy), word2vec semantics" },
	{ "index", cmd_index, "nearest-neighbour index of embeddings: build, eval (recall), synth" },
	{ "neighbors", cmd_neighbors, "nearest other items of an aid, or of aids listed in a file" },
	{ "covisit", cmd_covisit, "co-visitation matrices (clicks, carts-orders, buy2buy)" },
	{ "recommend", cmd_recommend, "recommendations for test sessions -> submission CSV" },
	{ "serve", cmd_serve, "live recommendations over HTTP from a run's models" },
	{ "stats", cmd_stats, "the ranker's item statistics of a training period, as a file" },
	{ "candidates", cmd_candidates, "the ranker's candidates and features of a split (.npy), recall@N" },
	{ "tune", cmd_tune, "blend weights that maximise Recall@20 on a local split" },
	{ "fit", cmd_fit, "the gbt ranker (XGBoost, per type) fitted on a candidates directory" },
	{ "run", cmd_run, "the whole pipeline: convert .. recommend, evaluate, stage table" },
	{ "demo", cmd_demo, "synthetic data, local split, every strategy, score table" },
	{ "report", cmd_report, "one HTML page of a run: scores, curves, features, timeline, data" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ottorec <command> [options] [args]\n"
		"\n"
		"Session-based recommendation on OTTO-style e-commerce logs.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"  %-10s %s\n"
		"\n"
		"`ottorec <command> -h` shows a command's options.\n",
		"help", "this list, or `ottorec help <command>`");
}

static const cli_command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "help") || !strcmp(name, "-h") || !strcmp(name, "--help")) {
		if (argc > 2 && find(argv[2])) {
			char h[] = "-h";
			char *args[] = { argv[2], h, NULL };
			return find(argv[2])->fn(2, args);
		}
		usage(stdout);
		return cli_finish_stdout("help");
	}
	const cli_command *cmd = find(name);
	if (!cmd) {
		fprintf(stderr, "ottorec: '%s' is not a command\n\n", name);
		usage(stderr);
		return CLI_USAGE;
	}
	return cmd->fn(argc - 1, argv + 1);
}
