/*
 * cli_report.c - reading a run's logs and writing `ottorec report`'s page
 * (cli_report.h): the logs directory's <stage>.txt files each parsed whole
 * (their first line, by lib/report/or_jdoc), the page's frame (head, inline
 * style, the sections in order), and the atomic write.
 */
#include "cli_report.h"

#include "cli.h"
#include "cli_pipeline.h"
#include "or_file.h"
#include "or_plot.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MAX ((size_t)4 << 20) /* a summary line, at most */

static const char style[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
	"max-width:1000px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}"
	"h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}"
	"th,td{padding:.15em .7em;border-bottom:1px solid #e4e4e4;text-align:right}"
	"th:first-child,td:first-child{text-align:left}"
	"svg{display:block;margin:.6em 0;max-width:100%;height:auto}"
	"svg text{font-size:11px;fill:#222;font-family:inherit}svg .t{font-size:13px;font-weight:600}"
	"svg .g{stroke:#e0e0e0;stroke-width:1}.absent{color:#666;font-style:italic}"
	".note{color:#555;font-size:.9em}.charts{display:flex;flex-wrap:wrap;gap:0 1em}"
	"@media print{body{max-width:none;margin:0}section{break-inside:avoid}h2{break-after:avoid}}";

const or_jv *cli_report_get(const cli_report *r, const char *name)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->logs[mid].name, name);
		if (!c)
			return &r->logs[mid].v;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void cli_report_open(FILE *f, const char *id, const char *title)
{
	fprintf(f, "<section id=\"%s\" data-section=\"%s\"><h2>", id, id);
	or_plot_text(f, title);
	fputs("</h2>\n", f);
}

void cli_report_close(FILE *f)
{
	fputs("</section>\n", f);
}

void cli_report_absent(FILE *f, const char *why)
{
	fputs("<p class=\"absent\" data-absent=\"\">", f);
	or_plot_text(f, why);
	fputs("</p>\n", f);
}

static int ends_with_txt(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 4 && !strcmp(e->d_name + n - 4, ".txt");
}

/* The first line of path (malloc'd, NUL-terminated), or NULL with errno. */
static char *first_line(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	int e = errno;
	fclose(f);
	if (n < 0) {
		free(line);
		errno = n < 0 && !e ? ENODATA : e;
		return NULL;
	}
	if ((size_t)n > LOG_MAX) {
		free(line);
		errno = EFBIG;
		return NULL;
	}
	*len = (size_t)n;
	return line;
}

static void report_free(cli_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->logs[i].name);
		or_jdoc_release(&r->logs[i].v);
	}
	for (size_t i = 0; i < r->n_unreadable; i++)
		free(r->unreadable[i]);
	free(r->logs);
	free(r->unreadable);
}

/* Read dir/logs/<stage>.txt (alphasort order, so cli_report_get can
   bisect); a log that does not parse is listed, not fatal. */
static int report_read(const char *cmd, const char *dir, cli_report *r)
{
	memset(r, 0, sizeof(*r));
	r->dir = dir;
	char *logs = cli_path_join(dir, "logs");
	struct dirent **list = NULL;
	int n = logs ? scandir(logs, &list, ends_with_txt, alphasort) : -1;
	if (n < 0) {
		fprintf(stderr, "ottorec %s: cannot read %s: %s (is %s a run's output directory?)\n", cmd,
			logs ? logs : dir, strerror(errno), dir);
		free(logs);
		return CLI_FAIL;
	}
	r->logs = calloc((size_t)n + 1, sizeof(*r->logs));
	r->unreadable = calloc((size_t)n + 1, sizeof(*r->unreadable));
	int rc = r->logs && r->unreadable ? CLI_OK : CLI_FAIL;
	for (int i = 0; i < n; i++) {
		char *path = rc ? NULL : cli_path_join(logs, list[i]->d_name);
		size_t len = 0;
		char *line = path ? first_line(path, &len) : NULL;
		char *why = NULL, what[300];
		or_err err;
		or_err_clear(&err);
		cli_report_log *l = &r->logs[r->n];
		if (!path) {
			rc = CLI_FAIL;
		} else if (!line) {
			if (asprintf(&why, "%s: %s", list[i]->d_name, strerror(errno)) < 0)
				why = NULL;
		} else if (snprintf(what, sizeof(what), "%s:1", list[i]->d_name),
			   or_jdoc_parse(line, len, what, &l->v, &err)) {
			why = strdup(err.msg); /* "name.txt:1:column: what" */
		} else {
			size_t k = strlen(list[i]->d_name) - 4;
			l->name = strndup(list[i]->d_name, k);
			if (l->name)
				r->n++;
			else
				or_jdoc_release(&l->v);
		}
		if (why)
			r->unreadable[r->n_unreadable++] = why;
		free(line);
		free(path);
		free(list[i]);
	}
	free(list);
	free(logs);
	if (rc) {
		fprintf(stderr, "ottorec %s: out of memory reading the logs\n", cmd);
		report_free(r);
	}
	return rc;
}

static void page(const cli_report *r, FILE *f)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<title>ottorec report: ", f);
	or_plot_text(f, r->dir);
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>ottorec report</h1>\n"
		"<p class=\"note\">Run directory <code>", style);
	or_plot_text(f, r->dir);
	fprintf(f, "</code>: %zu stage summaries read from logs/", r->n);
	const or_jv *pl = cli_report_get(r, "pipeline");
	const char *status = or_jdoc_str(pl, "status"), *cmd = or_jdoc_str(pl, "command");
	double wall;
	if (status && cmd && or_jdoc_num(pl, "wall_seconds", &wall)) {
		fputs("; <code>ottorec ", f);
		or_plot_text(f, cmd);
		fputs("</code> ", f);
		or_plot_text(f, status);
		fprintf(f, " after %.1f s", wall);
	}
	fputs(". Every number is one a stage recorded in its <code>--json</code> summary.</p>\n", f);
	for (size_t i = 0; i < r->n_unreadable; i++) {
		fputs("<p class=\"absent\">Unreadable log: ", f);
		or_plot_text(f, r->unreadable[i]);
		fputs("</p>\n", f);
	}
	cli_report_scores(r, f);
	cli_report_by_length(r, f);
	cli_report_candidates(r, f);
	cli_report_features(r, f);
	cli_report_training(r, f);
	cli_report_timeline(r, f);
	cli_report_data(r, f);
	fputs("</body></html>\n", f);
}

int cli_report_write(const char *cmd, const char *dir, const char *out, size_t *bytes)
{
	cli_report r;
	if (report_read(cmd, dir, &r))
		return CLI_FAIL;
	char *def = out ? NULL : cli_path_join(dir, "report.html");
	const char *path = out ? out : def;
	char *text = NULL;
	size_t len = 0;
	FILE *m = path ? open_memstream(&text, &len) : NULL;
	or_err err;
	or_err_clear(&err);
	int rc = m ? OR_OK : or_err_set(&err, OR_ENOMEM, "out of memory");
	if (m) {
		page(&r, m);
		if (fclose(m) != 0)
			rc = or_err_set(&err, OR_ENOMEM, "out of memory for the page");
	}
	or_file f;
	if (!rc && !(rc = or_file_open(&f, path, &err))) {
		if ((rc = or_file_write(&f, text, len, &err)) || (rc = or_file_commit(&f, &err)))
			or_file_abort(&f);
	}
	if (bytes)
		*bytes = len;
	free(text);
	free(def);
	report_free(&r);
	return rc ? cli_fail(cmd, &err) : CLI_OK;
}
