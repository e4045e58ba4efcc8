/*
 * or_ingest.c - format detection and dispatch to the JSONL, CSV and Parquet
 * readers, and the helpers they share (see or_ingest.h, or_ingest_internal.h).
 */
#include "or_ingest_internal.h"

#include <stdlib.h>
#include <string.h>

void or_ingest_config_default(or_ingest_config *cfg)
{
	cfg->format = OR_FORMAT_AUTO;
	cfg->ts_unit = OR_TS_AUTO;
	cfg->max_line = 1u << 20;
}

const char *or_format_name(or_format f)
{
	switch (f) {
	case OR_FORMAT_JSONL: return "jsonl";
	case OR_FORMAT_CSV: return "csv";
	case OR_FORMAT_PARQUET: return "parquet";
	default: return "auto";
	}
}

or_format or_ingest_detect(const char *head, size_t n)
{
	if (n >= 4 && memcmp(head, "PAR1", 4) == 0)
		return OR_FORMAT_PARQUET;
	size_t i = 0;
	if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
		i = 3; /* UTF-8 byte order mark */
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	if (i == n)
		return OR_FORMAT_AUTO;
	if (head[i] == '{')
		return OR_FORMAT_JSONL;
	/* CSV: a first line with commas, or a lone "session" header cell */
	const char *nl = memchr(head + i, '\n', n - i);
	size_t first = nl ? (size_t)(nl - (head + i)) : n - i;
	if (memchr(head + i, ',', first) || (n - i >= 7 && memcmp(head + i, "session", 7) == 0))
		return OR_FORMAT_CSV;
	return OR_FORMAT_AUTO;
}

void or_evbuf_release(or_evbuf *e)
{
	free(e->aid);
	free(e->ts);
	free(e->type);
	memset(e, 0, sizeof(*e));
}

int or_evbuf_grow(or_evbuf *e)
{
	size_t cap = e->cap ? e->cap * 2 : 1024;
	uint32_t *a = realloc(e->aid, cap * sizeof(*a));
	if (!a)
		return -1;
	e->aid = a;
	int64_t *t = realloc(e->ts, cap * sizeof(*t));
	if (!t)
		return -1;
	e->ts = t;
	uint8_t *y = realloc(e->type, cap);
	if (!y)
		return -1;
	e->type = y;
	e->cap = cap;
	return 0;
}

int or_ingest_add(or_store_builder *b, const char *path, uint64_t line,
		  int64_t session, const or_evbuf *e, or_err *err)
{
	or_err inner;
	int rc = or_store_builder_add(b, session, e->n, e->aid, e->ts, e->type, &inner);
	if (rc)
		return or_err_set(err, rc, "%s:%llu: session %lld: %s", path,
				  (unsigned long long)line, (long long)session, inner.msg);
	return OR_OK;
}

static int only_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

int or_ingest_file(or_store_builder *b, const char *path,
		   const or_ingest_config *cfg, const or_log *log, or_err *err)
{
	or_input *in;
	int rc = or_input_open(path, cfg->max_line, &in, err);
	if (rc)
		return rc;
	char head[4096];
	size_t n = or_input_peek(in, head, sizeof(head), err);
	if (n >= 8 && memcmp(head, "OTTOSTOR", 8) == 0) {
		/* the magic of lib/store's event store */
		rc = or_err_set(err, OR_EINVAL,
				"%s is an ottorec event store already (convert reads OTTO JSONL, CSV and Parquet); give it as it is to the commands that read stores",
				or_input_path(in));
		or_input_close(in);
		return rc;
	}
	or_format f = cfg->format;
	if (f == OR_FORMAT_AUTO) {
		if (n == 0) {
			rc = or_err_set(err, OR_EFORMAT, "%s: empty input (no events)", or_input_path(in));
			or_input_close(in);
			return rc;
		}
		f = or_ingest_detect(head, n);
		if (f == OR_FORMAT_AUTO && n == sizeof(head) && only_blank(head, n)) {
			/* blank lines longer than the head: look past them */
			n = or_input_peek_past_blank(in, head, sizeof(head));
			f = n ? or_ingest_detect(head, n) : OR_FORMAT_AUTO;
		}
		if (f == OR_FORMAT_AUTO && n < sizeof(head) && only_blank(head, n)) {
			rc = or_err_set(err, OR_EFORMAT, "%s: empty input (only blank lines, no events)",
					or_input_path(in));
			or_input_close(in);
			return rc;
		}
	}
	switch (f) {
	case OR_FORMAT_JSONL:
		rc = or_ingest_jsonl(b, in, cfg, log, err);
		break;
	case OR_FORMAT_CSV:
		rc = or_ingest_csv(b, in, cfg, log, err);
		break;
	case OR_FORMAT_PARQUET:
		rc = or_ingest_parquet(b, path, in, cfg, log, err);
		break;
	default:
		rc = or_err_set(err, OR_EFORMAT,
				"%s:1:1: cannot tell the format: expected OTTO JSONL (a line starting with '{'), CSV (header session,aid,ts,type) or Parquet",
				or_input_path(in));
		break;
	}
	or_input_close(in);
	return rc;
}
