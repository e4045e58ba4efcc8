/*
 * cli_models.h - opening the model files that `recommend` and `tune`
 * share: the three co-visitation tables of a `ottorec covisit` directory
 * (kind and section checksums verified) and an ANN index.
 */
#ifndef OR_CLI_MODELS_H
#define OR_CLI_MODELS_H

#include "or_ann.h"
#include "or_covisit.h"
#include "or_err.h"

/* tab[kind] = DIR/<kind name>.covisit for the three kinds, which must
   hold the same item dictionary and be the set DIR/covisit.manifest names
   (or_covisit_set.h; tab[1] and tab[2] use tab[0]'s dictionary: free them
   with cli_free_covisit); on error all are freed and NULL. */
int cli_open_covisit_dir(const char *dir, or_covisit *tab[3], or_err *err);
void cli_free_covisit(or_covisit *tab[3]);

#endif
