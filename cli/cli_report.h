/*
 * cli_report.h - `ottorec report`'s page: one self-contained HTML file
 * (inline SVG from lib/report/or_plot.h, inline CSS, no script, no network,
 * no font file) drawn from the numbers the stages of `run` and `demo`
 * already recorded: their one-line `--json` summaries in DIR/logs/<stage>.txt
 * and the stage table in DIR/logs/pipeline.txt.  Nothing is recomputed from
 * the data: a section whose summary is absent says so in one line.
 * cli_report.c reads the logs and writes the page; cli_report_sections.c
 * draws each section.
 */
#ifndef OR_CLI_REPORT_H
#define OR_CLI_REPORT_H

#include <stdio.h>

#include "or_jdoc.h"

/* The stage table's file in the logs directory (written by run and demo). */
#define CLI_REPORT_PIPELINE "pipeline.txt"

typedef struct cli_report_log {
	char *name;  /* the stage: the file name without .txt */
	or_jv v;     /* its first line */
} cli_report_log;

typedef struct cli_report {
	const char *dir;        /* as given */
	cli_report_log *logs;   /* sorted by name */
	size_t n;
	char **unreadable;      /* "name.txt: why" of logs that did not parse */
	size_t n_unreadable;
} cli_report;

/* The summary of stage `name`, NULL when there is none. */
const or_jv *cli_report_get(const cli_report *r, const char *name);

/* The sections, in page order (cli_report_sections.c). */
void cli_report_scores(const cli_report *r, FILE *f);
void cli_report_by_length(const cli_report *r, FILE *f);
void cli_report_candidates(const cli_report *r, FILE *f);
void cli_report_features(const cli_report *r, FILE *f);
void cli_report_training(const cli_report *r, FILE *f);
void cli_report_timeline(const cli_report *r, FILE *f);
void cli_report_data(const cli_report *r, FILE *f);

/* A section's opening (<section> and its heading) and closing. */
void cli_report_open(FILE *f, const char *id, const char *title);
void cli_report_close(FILE *f);
/* The one line of a section whose numbers are absent. */
void cli_report_absent(FILE *f, const char *why);

/*
 * Write the page of run directory dir (dir/logs/) to out (NULL:
 * dir/report.html), atomically.  CLI_OK, or CLI_FAIL after a message on
 * stderr naming cmd.  *bytes (may be NULL): the page's size.
 */
int cli_report_write(const char *cmd, const char *dir, const char *out, size_t *bytes);

#endif
