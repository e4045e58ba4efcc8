/*
 * cli.h - what the command-line front end shares between commands: the
 * command table, the terminal progress line and logger, cancellation by
 * signal, number parsing with range checks, the one-line JSON summary, and
 * timing/peak-RSS figures.  One file per command (cmd_*.c) owns its options
 * and usage text.
 */
#ifndef OR_CLI_H
#define OR_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_log.h"

typedef int (*cli_cmd_fn)(int argc, char **argv);

int cmd_convert(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_pairs(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_item2vec(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_neighbors(int argc, char **argv);
int cmd_covisit(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_candidates(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Exit statuses of commands. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* The logger of this process: progress on stderr when it is a terminal and
   quiet is 0; warnings always.  cli_log_setup may be called again. */
const or_log *cli_log(void);
void cli_log_setup(int quiet);
/* End an open progress line (before printing anything else on stderr). */
void cli_progress_done(void);

/* Print "ottorec <cmd>: <message>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *cmd, const or_err *err);
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* After getopt_long returned '?' (with opterr = 0, so getopt printed
   nothing): one usage error naming the option (unknown, needs a value,
   takes none); returns CLI_USAGE. */
struct option;
int cli_bad_option(const char *cmd, char *const *argv, const char *shortopts,
		   const struct option *longopts);

/* Strict number parsing: the whole string, in [lo, hi]; 0 on success. */
int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);
int cli_parse_double(const char *s, double lo, double hi, double *out);
/* --threads N for command cmd: CLI_OK with *out in 1..1024, or the usage
   error already printed (CLI_USAGE) for the command to return. */
int cli_parse_threads(const char *cmd, const char *arg, int64_t *out);

/* Seconds on CLOCK_MONOTONIC. */
double cli_now(void);
/* Peak resident set size of this process so far, in bytes. */
uint64_t cli_peak_rss(void);

/* Flush stdout and report a write failure (full disk): CLI_OK or CLI_FAIL. */
int cli_finish_stdout(const char *cmd);

/* A one-line JSON object built in a fixed buffer. */
typedef struct cli_json {
	char buf[32768]; /* curves and histograms of report's sections fit */
	size_t len;
	int fields;
} cli_json;
void cli_json_begin(cli_json *j);
void cli_json_str(cli_json *j, const char *key, const char *value);
void cli_json_int(cli_json *j, const char *key, long long value);
void cli_json_num(cli_json *j, const char *key, double value);
/* Insert a raw JSON value (object/array) already formatted. */
void cli_json_raw(cli_json *j, const char *key, const char *raw);
/* Close the object and print it with a newline on stdout. */
void cli_json_print(cli_json *j);

#endif
