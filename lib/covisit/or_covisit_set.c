/* or_covisit_set.c - a covisit directory's tables as one set (see or_covisit_set.h). */
#include "or_covisit_set.h"

#include "or_file.h"
#include "or_sfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAD_LINE "ottorec covisit manifest 1"
#define REBUILD "rebuild the tables together with `ottorec covisit -o DIR STORE...`"

const char *const or_covisit_set_files[] = {
	"clicks.covisit", "carts_orders.covisit", "buy2buy.covisit", OR_COVISIT_MANIFEST, NULL
};

typedef struct manifest {
	int present;  /* the file exists */
	int complete; /* state complete (else writing) */
	int have[OR_COVISIT_N_KINDS];
	uint64_t sum[OR_COVISIT_N_KINDS];
} manifest;

static char *join(const char *dir, const char *name, or_err *err)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", dir, name) < 0) {
		or_err_set(err, OR_ENOMEM, "out of memory");
		return NULL;
	}
	return s;
}

static int parse_line(char *line, manifest *m)
{
	size_t n = strlen(line);
	if (n == 0 || line[n - 1] != '\n')
		return -1;
	line[n - 1] = '\0';
	if (!strcmp(line, "state complete") || !strcmp(line, "state writing")) {
		m->complete = !strcmp(line, "state complete");
		return 0;
	}
	char *sp = strchr(line, ' ');
	if (!sp || strlen(sp + 1) != 16)
		return -1;
	*sp = '\0';
	char *end;
	errno = 0;
	unsigned long long v = strtoull(sp + 1, &end, 16);
	if (errno || *end)
		return -1;
	for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++)
		if (!strcmp(line, or_covisit_kind_name(k)) && !m->have[k]) {
			m->have[k] = 1;
			m->sum[k] = v;
			return 0;
		}
	return -1;
}

static int manifest_read(const char *dir, manifest *m, or_err *err)
{
	memset(m, 0, sizeof(*m));
	char *path = join(dir, OR_COVISIT_MANIFEST, err);
	if (!path)
		return OR_ENOMEM;
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		int rc = e == ENOENT ? OR_OK : or_err_errno(err, e, "cannot read %s", path);
		free(path);
		return rc;
	}
	m->present = 1;
	char line[256];
	int rc = OR_OK, lineno = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		if (lineno == 1 ? strcmp(line, HEAD_LINE "\n") != 0 : parse_line(line, m) != 0)
			rc = or_err_set(err, OR_EFORMAT, "%s:%d: not a line of a covisit manifest; %s",
					path, lineno, REBUILD);
	}
	if (!rc && (ferror(f) || lineno == 0))
		rc = or_err_set(err, OR_EFORMAT, "%s: %s; %s", path,
				ferror(f) ? "read error" : "empty covisit manifest", REBUILD);
	fclose(f);
	free(path);
	return rc;
}

static int manifest_write(const char *dir, const manifest *m, or_err *err)
{
	char *path = join(dir, OR_COVISIT_MANIFEST, err);
	if (!path)
		return OR_ENOMEM;
	char text[512];
	int len = snprintf(text, sizeof(text), HEAD_LINE "\nstate %s\n",
			   m->complete ? "complete" : "writing");
	for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++)
		if (m->have[k])
			len += snprintf(text + len, sizeof(text) - (size_t)len, "%s %016" PRIx64 "\n",
					or_covisit_kind_name(k), m->sum[k]);
	or_file f;
	int rc = or_file_open(&f, path, err);
	if (!rc)
		rc = or_file_write(&f, text, (size_t)len, err);
	if (!rc)
		rc = or_file_commit(&f, err);
	else
		or_file_abort(&f);
	free(path);
	return rc;
}

/* The header checksum of dir's table of kind k: OR_OK, or an error (no
   such file, not a whole table) */
static int table_sum(const char *dir, unsigned k, uint64_t *sum, or_err *err)
{
	char *path = join(dir, or_covisit_set_files[k], err);
	if (!path)
		return OR_ENOMEM;
	char magic[9];
	int rc = or_sfile_identity(path, magic, sum, err);
	free(path);
	return rc;
}

int or_covisit_set_begin(const char *dir, or_err *err)
{
	manifest m;
	int rc = manifest_read(dir, &m, err);
	if (rc || m.present)
		return rc;
	/* no manifest: tables already there (an older ottorec's) are adopted,
	   so that `--only` keeps the others */
	or_err ignore;
	for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++)
		m.have[k] = table_sum(dir, k, &m.sum[k], &ignore) == OR_OK;
	m.complete = 0;
	return manifest_write(dir, &m, err);
}

int or_covisit_set_commit(const char *dir, const unsigned *kinds, size_t n, or_err *err)
{
	manifest old, m;
	int rc = manifest_read(dir, &old, err);
	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	m.present = m.complete = 1;
	or_err ignore;
	for (unsigned k = 0; k < OR_COVISIT_N_KINDS; k++) {
		int written = 0;
		for (size_t i = 0; i < n; i++)
			written |= kinds[i] == k;
		if (written) {
			rc = table_sum(dir, k, &m.sum[k], err);
			if (rc)
				return rc;
			m.have[k] = 1;
		} else if (old.have[k] && table_sum(dir, k, &m.sum[k], &ignore) == OR_OK) {
			m.have[k] = m.sum[k] == old.sum[k];
		}
	}
	return manifest_write(dir, &m, err);
}

/* like: the table whose dictionary this one must share (NULL for the first) */
static int open_table(const char *dir, unsigned kind, const manifest *m, const or_covisit *like,
		      or_covisit **t, or_err *err)
{
	char *path = join(dir, or_covisit_set_files[kind], err);
	if (!path)
		return OR_ENOMEM;
	int rc = or_covisit_open_like(path, like, t, err);
	if (!rc && or_covisit_kind(*t) != kind)
		rc = or_err_set(err, OR_EFORMAT, "%s: holds the %s matrix, not %s", path,
				or_covisit_kind_name(or_covisit_kind(*t)), or_covisit_kind_name(kind));
	if (!rc && m->present && !m->have[kind])
		rc = or_err_set(err, OR_EFORMAT,
				"%s: not in the set that %s/" OR_COVISIT_MANIFEST " names (a covisit run that did not write it); %s",
				path, dir, REBUILD);
	if (!rc && m->present && or_covisit_file_checksum(*t) != m->sum[kind])
		rc = or_err_set(err, OR_EFORMAT,
				"%s: not the table that %s/" OR_COVISIT_MANIFEST " names (header checksum %016" PRIx64
				", the manifest's %016" PRIx64 "): the directory mixes tables of two covisit runs (one interrupted?); %s",
				path, dir, or_covisit_file_checksum(*t), m->sum[kind], REBUILD);
	if (!rc)
		rc = or_covisit_verify(*t, err);
	if (rc && *t) {
		or_covisit_free(*t);
		*t = NULL;
	}
	free(path);
	return rc;
}

int or_covisit_set_open(const char *dir, or_covisit *tab[OR_COVISIT_N_KINDS], or_err *err)
{
	for (unsigned kind = 0; kind < OR_COVISIT_N_KINDS; kind++)
		tab[kind] = NULL;
	manifest m;
	int rc = manifest_read(dir, &m, err);
	if (!rc && m.present && !m.complete)
		rc = or_err_set(err, OR_EFORMAT,
				"%s: an `ottorec covisit` into this directory did not finish (" OR_COVISIT_MANIFEST
				" says \"writing\"); %s", dir, REBUILD);
	/* one dictionary, one lookup for the three: 1 and 2 use 0's */
	for (unsigned kind = 0; !rc && kind < OR_COVISIT_N_KINDS; kind++)
		rc = open_table(dir, kind, &m, tab[0], &tab[kind], err);
	if (rc)
		for (unsigned kind = OR_COVISIT_N_KINDS; kind-- > 0;) {
			or_covisit_free(tab[kind]);
			tab[kind] = NULL;
		}
	return rc;
}
