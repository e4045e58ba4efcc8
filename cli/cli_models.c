/*
 * cli_models.c - opening the co-visitation tables of a directory for the
 * commands that use them (see cli_models.h): the set of lib/covisit's
 * or_covisit_set.h, manifest checked.
 */
#include "cli_models.h"

#include "or_covisit_set.h"

void cli_free_covisit(or_covisit *tab[3])
{
	for (int i = 3; i-- > 0;) { /* 1 and 2 use the dictionary of 0 */
		or_covisit_free(tab[i]);
		tab[i] = NULL;
	}
}

int cli_open_covisit_dir(const char *dir, or_covisit *tab[3], or_err *err)
{
	return or_covisit_set_open(dir, tab, err);
}
