/*
 * or_ranker_internal.h - what or_ranker.c (scoring, the linear ranker),
 * or_ranker_trees*.c (the gbt evaluator), or_ranker_file.c (the model
 * file) and or_fit.c (fitting) share: the ranker's layout, the gbt
 * constructor over live XGBoost boosters, the model file's writer and
 * XGBoost's error text.  Not for other modules.
 */
#ifndef OR_RANKER_INTERNAL_H
#define OR_RANKER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <xgboost/c_api.h>

#include "or_ranker.h"
#include "or_ranker_trees.h"

enum { OR_RANKER_LINEAR = 0, OR_RANKER_GBT = 1 };

struct or_ranker {
	int kind;
	size_t n_features;
	char **names;           /* n_features, owned */
	char *path;             /* for messages: the model file, or "(linear weights)" */
	double *w;              /* linear: 3 x n_features */
	BoosterHandle boost[3]; /* gbt: per type, NULL for a fallback type; kept for
				   saving (or_fit.c), never called to score */
	or_trees trees[3];      /* gbt: boost[t]'s trees, what scores */
	unsigned uses[3];       /* gbt: the type whose booster type t uses */
	char *settings;         /* owned JSON text */
	char *meta;             /* owned JSON text */
	int threads;
};

/* A gbt ranker that takes ownership of boost[] (NULL where uses[t] != t)
   and copies names, path, settings and meta; boost[] is NULL after (also
   on failure, when they are freed).  Each booster's trees are flattened
   (or_ranker_trees.h): a model the native evaluator cannot score exactly
   is refused here, OR_EUNSUPPORTED naming path and type. */
int or_ranker_gbt_new(size_t n_features, const char *const *names, const char *path,
		      BoosterHandle boost[3], const unsigned uses[3], const char *settings,
		      const char *meta, or_ranker **out, or_err *err);

/* XGBoost's global verbosity 0 (its warnings would go to stderr): called
   before any fit or load. */
void or_xgb_quiet(void);

/* Set err from XGBoost's last error: "WHAT: <its first line, without the
   time stamp>"; returns code. */
int or_xgb_error(or_err *err, int code, const char *what);

/* Write the model file: meta JSON text, the UBJ bytes of each type's
   booster (bytes[t] 0 for a fallback type), header fields. */
typedef struct or_ranker_file_fields {
	uint32_t n_features;
	uint32_t nthread;
	uint32_t uses[3];
	uint32_t xgb_version[3];
} or_ranker_file_fields;

int or_ranker_file_write(const char *path, const char *meta, const void *const booster[3],
			 const size_t bytes[3], const or_ranker_file_fields *fields, or_err *err);

#endif
