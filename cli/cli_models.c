/*
 * cli_models.c - opening the co-visitation tables of a directory for the
 * commands that use them (see cli_models.h), checking that the three share
 * one item dictionary.
 */
#include "cli_models.h"

#include <stdio.h>

/* like: the table whose dictionary this one must share (NULL for the first) */
static int open_table(const char *dir, unsigned kind, const or_covisit *like, or_covisit **t,
		      or_err *err)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s.covisit", dir, or_covisit_kind_name(kind));
	if (n < 0 || (size_t)n >= sizeof(path))
		return or_err_set(err, OR_EINVAL, "--covisit path too long");
	int rc = or_covisit_open_like(path, like, t, err);
	if (!rc && or_covisit_kind(*t) != kind)
		rc = or_err_set(err, OR_EFORMAT, "%s: holds the %s matrix, not %s", path,
				or_covisit_kind_name(or_covisit_kind(*t)), or_covisit_kind_name(kind));
	if (!rc)
		rc = or_covisit_verify(*t, err);
	if (rc && *t) {
		or_covisit_free(*t);
		*t = NULL;
	}
	return rc;
}

void cli_free_covisit(or_covisit *tab[3])
{
	for (int i = 3; i-- > 0;) { /* 1 and 2 use the dictionary of 0 */
		or_covisit_free(tab[i]);
		tab[i] = NULL;
	}
}

int cli_open_covisit_dir(const char *dir, or_covisit *tab[3], or_err *err)
{
	int rc = OR_OK;
	for (unsigned kind = 0; kind < OR_COVISIT_N_KINDS; kind++)
		tab[kind] = NULL;
	/* one dictionary, one lookup for the three: 1 and 2 use 0's */
	for (unsigned kind = 0; !rc && kind < OR_COVISIT_N_KINDS; kind++)
		rc = open_table(dir, kind, tab[0], &tab[kind], err);
	if (rc)
		cli_free_covisit(tab);
	return rc;
}
