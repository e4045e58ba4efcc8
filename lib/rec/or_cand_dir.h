/*
 * or_cand_dir.h - the candidates directory of `ottorec candidates`: one
 * table of (session, candidate aid) rows with named float features and
 * per-type labels, as .npy files a user can also `np.load` to train a model
 * of their own.  This module owns reading and checking it; `ottorec fit`
 * (or_fit.h) trains on it.  Files of a directory DIR:
 *
 *   features.npy     '<f4' (n_rows, n_features), C order: one row per
 *                    (session, candidate); rows of one session contiguous,
 *                    sessions in store order.  NaN = missing (XGBoost's
 *                    convention); +-inf is refused.
 *   labels.npy       '<f4' (n_rows, 3): column t is 1.0 when the candidate
 *                    is among the session's labels of type t (0 clicks,
 *                    1 carts, 2 orders), else 0.0.
 *   group_sizes.npy  '<i8' (n_groups,): rows per session, in row order,
 *                    each >= 0; they sum to n_rows.
 *   session.npy      '<i8' (n_groups,): the session id of each group (>= 0).
 *   aid.npy          '<i8' (n_rows,): the candidate aid of each row, in
 *                    0..2147483647.
 *   candidates.json  one JSON object: {"format":"ottorec-candidates",
 *                    "version":1,"features":["f1",...],"n_rows":N,
 *                    "n_groups":G,"settings":{...}} (any key order; other
 *                    keys are skipped).  Feature names are non-empty,
 *                    unique, at most OR_CAND_NAME_MAX bytes of printable
 *                    ASCII; settings is any JSON object, kept verbatim.
 *
 * or_npy's readers accept '<f8' for the float files too (converted).  Every
 * check failure names the file and what is wrong (row, column, value).
 */
#ifndef OR_CAND_DIR_H
#define OR_CAND_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_json.h"
#include "or_npy.h"

#define OR_CAND_VERSION 1
#define OR_CAND_NAME_MAX 255

typedef struct or_cand_dir {
	size_t n_rows, n_groups, n_features;
	char **names;          /* n_features names */
	const float *x;        /* n_rows x n_features, row-major */
	const float *labels;   /* n_rows x 3 */
	uint64_t *group_off;   /* n_groups + 1: group g is rows [off[g], off[g+1]) */
	int64_t *session;      /* n_groups session ids */
	int64_t *aid;          /* n_rows candidate aids */
	char *settings_json;   /* the "settings" object's text, verbatim */
	or_npy features_, labels_; /* private: the mappings */
} or_cand_dir;

/* Open and check DIR (d need not be initialised); on failure d is left
   released.  Release with or_cand_dir_release (safe twice). */
int or_cand_dir_open(const char *dir, or_cand_dir *d, or_err *err);
void or_cand_dir_release(or_cand_dir *d);

/* A JSON array of feature names at j's cursor, by the rules above (also
   the model file's, or_ranker.h): the names into *names (malloc'd, *n of
   them; or_cand_names_free, also after a failure).  Errors name `where`
   (the file) and the column. */
int or_cand_names_parse(or_json *j, const char *where, char ***names, size_t *n, or_err *err);
void or_cand_names_free(char **names, size_t n);

/*
 * Write a candidates directory (creating DIR when needed), for tests and
 * tools: x n_rows x n_features, labels n_rows x 3, group_sizes, session
 * (n_groups each), aid (n_rows), settings a JSON object's text (NULL: {}).
 * Names must be JSON-safe (printable ASCII without '"' or '\\').
 */
int or_cand_dir_write(const char *dir, const char *const *names, size_t n_features,
		      const float *x, const float *labels, size_t n_rows,
		      const int64_t *group_sizes, const int64_t *session, size_t n_groups,
		      const int64_t *aid, const char *settings, or_err *err);

#endif
