/*
 * or_ranker.h - the ranker interface: a score per candidate row of named
 * float features, per target type (0 clicks, 1 carts, 2 orders), larger =
 * better.  Two implementations behind one opaque handle:
 *
 *   linear  score = sum over f, in f order, of w[t * n_features + f] *
 *           (double)x[f]: exactly or_blend_score's arithmetic
 *           (lib/rec/or_blend.h), so the blend weights keep working.
 *   gbt     gradient-boosted trees fitted by `ottorec fit` (or_fit.h) with
 *           XGBoost, one booster per type (a type may use another type's
 *           booster: the fallback of a type without positives), read from a
 *           model file; the score is XGBoost's margin (the raw sum of the
 *           trees, before any sigmoid) as a double.  The trees are scored
 *           by our own evaluator (lib/rec/or_ranker_trees.h), not by
 *           XGBoost's predictor: bit-identical to XGBoost 1.7's margin, and
 *           a model it cannot score exactly (dart, gblinear, categorical
 *           splits, several outputs) is refused when the ranker is made.
 *
 * Scores are deterministic: the same model and rows give the same doubles
 * for any thread count (each row is scored on its own).  or_ranker_score
 * only reads the ranker: any number of threads may call it on one ranker
 * at once (serve shares one among its workers).  Making, freeing and
 * or_ranker_set_threads are not to run alongside other calls.  A call of
 * at least a few thousand rows spreads them over or_ranker_set_threads
 * threads; a small call stays on the calling thread and costs nothing
 * beyond its rows.
 *
 * The model file (written by or_fit.h, read by or_ranker_open): a
 * sectioned file (lib/base/or_sfile.h), little-endian:
 *
 *   offset  size  field
 *   0       8     magic "OTTORANK"
 *   8       4     format version (OR_RANKER_VERSION)
 *   12      148   or_sfile.h's header fields: 4 sections aligned to 8 bytes
 *   32      4     n_features
 *   36      4     nthread: XGBoost's threads at fit time
 *   40      12    uses[3]: the type whose booster type t uses (t = gbt)
 *   52      12    XGBoost's version at fit time (major, minor, patch)
 *   160     128   section table (or_sfile.h):
 *                   0 meta     the meta JSON below (UTF-8 text)
 *                   1 clicks   XGBoost booster of clicks, UBJ
 *                              (XGBoosterSaveModelToBuffer "ubj"); empty
 *                              when clicks is a fallback type
 *                   2 carts    the same for carts
 *                   3 orders   the same for orders
 *   672     8     header checksum
 *
 * The meta JSON: {"format":"ottorec-ranker","version":1,
 *   "features":[names in order],"settings":{the candidates' settings,
 *   verbatim},"types":{"clicks":{"model":"gbt"|"fallback","uses":TYPE},...},
 *   "fit":{parameters},"summary":{per type: groups, rows, positives,
 *   valid_groups, valid_metric, baseline_metric, gain per feature},
 *   "xgboost":"1.7.4","nthread":N}.  Nothing in the file depends on time:
 *   the same candidates, options, seed and nthread give the same bytes.
 *   XGBoost's trees depend on nthread (its histogram sums are added per
 *   thread), so the same data fitted with other threads gives another model.
 *
 * Opening verifies every section's checksum (the file is small), parses
 * the meta and loads each booster; anything damaged, truncated or of
 * another version is OR_EFORMAT / OR_EUNSUPPORTED naming the path and how
 * to rebuild the file (`ottorec fit`).
 */
#ifndef OR_RANKER_H
#define OR_RANKER_H

#include <stddef.h>

#include "or_err.h"

#define OR_RANKER_VERSION 1u

typedef struct or_ranker or_ranker;

/* Linear ranker over n_features named features (names copied; need not be
   unique here) with weights w[3 * n_features] (copied). */
int or_ranker_linear_new(size_t n_features, const char *const *names, const double *w,
			 or_ranker **out, or_err *err);
/* Open a model file (above). */
int or_ranker_open(const char *path, or_ranker **out, or_err *err);

size_t or_ranker_n_features(const or_ranker *r);
/* Name of feature f (< n_features), valid until or_ranker_free. */
const char *or_ranker_feature_name(const or_ranker *r, size_t f);
/* OR_OK when names[0..n) are exactly the ranker's features in order; else
   OR_EFORMAT "model PATH expects features a,b,... but the candidates have
   ...: feature i is 'x' in the model, 'y' in the candidates" (the first
   difference; long lists abbreviated). */
int or_ranker_check_features(const or_ranker *r, const char *const *names, size_t n, or_err *err);
/* scores[i] (i < n) for the features x[i * stride + 0 .. n_features) of
   type t (0..2); stride >= n_features.  NaN features are missing values
   for a gbt ranker. */
int or_ranker_score(const or_ranker *r, unsigned t, const float *x, size_t n, size_t stride,
		    double *scores, or_err *err);
/* or_ranker_score with `threads` (0 = all cores) in place of the
   ranker's own setting: what a caller sharing the ranker uses, as it may
   not call or_ranker_set_threads. */
int or_ranker_score_threads(const or_ranker *r, unsigned t, const float *x, size_t n,
			    size_t stride, int threads, double *scores, or_err *err);
/* The threads of a large or_ranker_score call (0 = all cores, the
   default); no effect on a linear ranker or on the scores. */
void or_ranker_set_threads(or_ranker *r, int threads);
/* The candidates' "settings" the model was fitted on, verbatim JSON; "{}"
   for a linear ranker. */
const char *or_ranker_settings_json(const or_ranker *r);
/* The whole meta JSON of a model file ("{}" for a linear ranker). */
const char *or_ranker_meta_json(const or_ranker *r);
/* Whether type t has its own booster (1) or uses another type's (0), and
   which type's model it uses. */
int or_ranker_type_fitted(const or_ranker *r, unsigned t);
unsigned or_ranker_type_uses(const or_ranker *r, unsigned t);
/* NULL is fine. */
void or_ranker_free(or_ranker *r);

#endif
