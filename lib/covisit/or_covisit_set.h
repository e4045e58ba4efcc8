/*
 * or_covisit_set.h - the three co-visitation tables of an `ottorec covisit`
 * directory as one set: DIR/clicks.covisit, DIR/carts_orders.covisit,
 * DIR/buy2buy.covisit and DIR/covisit.manifest, the text file that names the
 * set:
 *
 *   ottorec covisit manifest 1
 *   state complete                  ("writing" while a covisit run replaces tables)
 *   clicks <header checksum, 16 hex digits>
 *   carts_orders <...>
 *   buy2buy <...>
 *
 * Why a manifest rather than a directory renamed as a whole: the output
 * directory is the user's (`covisit -o .` is allowed, run's OUTDIR/covisit
 * may hold other files), and replacing a non-empty directory in one step
 * needs renameat2(RENAME_EXCHANGE), which not every file system has, and
 * then deleting the old directory's files, this run's or not.  A table's
 * header checksum covers the checksums of all its sections, so the manifest
 * names the exact content of each table in O(1), and every reader checks it
 * when it opens the tables.
 *
 * Writing (or_covisit_set_begin, the tables with or_covisit_write, then
 * or_covisit_set_commit): a directory without a manifest first gets one in
 * state "writing", so that no table is replaced before some manifest would
 * reveal a mix; the tables are then renamed into place one after another;
 * the new manifest, written atomically last, is the moment the new set
 * exists.  A run killed in between leaves a manifest that names tables no
 * longer there (or says "writing"), and readers refuse the directory with a
 * rebuild hint instead of mixing two runs.  Tables that a run did not write
 * (covisit --only) stay in the new manifest when the old one named them
 * exactly (or there was no old manifest: a directory of an older ottorec).
 *
 * Reading (or_covisit_set_open): each table is opened (the first builds the
 * dictionary's lookup, the other two must share its dictionary), its kind
 * checked, its header checksum compared with the manifest's, and its
 * sections verified.  A directory without a manifest (ottorec before the
 * manifest, or tables copied by hand) still opens as before, the shared
 * dictionary then being the only check that the tables belong together.
 */
#ifndef OR_COVISIT_SET_H
#define OR_COVISIT_SET_H

#include "or_covisit.h"
#include "or_err.h"

#define OR_COVISIT_MANIFEST "covisit.manifest"

/* The files a covisit run writes in its directory, NULL-terminated: the
   three tables (kind order) and the manifest. */
extern const char *const or_covisit_set_files[];

/* Before a covisit run replaces any table of dir: a manifest in state
   "writing" when dir has none. */
int or_covisit_set_begin(const char *dir, or_err *err);
/* After the tables of kinds[0..n) were written into dir: the new manifest
   (see above). */
int or_covisit_set_commit(const char *dir, const unsigned *kinds, size_t n, or_err *err);

/* tab[kind] = DIR/<kind name>.covisit for the three kinds, checked as above
   (tab[1] and tab[2] use tab[0]'s dictionary: free them in reverse order);
   on error all are freed and NULL, and err names the file and what is
   wrong. */
int or_covisit_set_open(const char *dir, or_covisit *tab[OR_COVISIT_N_KINDS], or_err *err);

#endif
