/*
 * or_cand_table.h - the candidate table of a labelled split, for fitting a
 * ranker: or_cand_generate's blocks (or_cand.h) gathered with each row's
 * labels, the candidate recall at several cuts (the ceiling of any ranker),
 * sessions without a positive dropped and negatives subsampled on request,
 * and the directory `ottorec candidates` writes and `ottorec fit` reads:
 *   features.npy     '<f4' (n_rows, n_features), rows of a session contiguous
 *   labels.npy       '<f4' (n_rows, 3): 1 when the row's aid is among the
 *                    session's clicks / carts / orders labels
 *   group_sizes.npy  '<i8' (n_groups,): rows per session, in row order
 *   session.npy      '<i8' (n_groups,): the session id of each group
 *   aid.npy          '<i8' (n_rows,)
 *   candidates.json  {"format":"ottorec-candidates","version":1,
 *                     "features":[...],"n_rows":N,"n_groups":G,
 *                     "settings":{...},"recall":{...},...}
 * Written into a fresh temporary directory beside DIR, then swapped in
 * whole (an existing candidates directory is replaced; anything else at DIR
 * is refused), so a reader never sees a half-written table.
 */
#ifndef OR_CAND_TABLE_H
#define OR_CAND_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "or_cand.h"
#include "or_err.h"
#include "or_labels.h"
#include "or_npy.h"

#define OR_CAND_N_CUTS 5
extern const size_t or_cand_cuts[OR_CAND_N_CUTS]; /* 20, 50, 100, 200, 1000 */
/* the recall curve: at every cut N = 1..OR_CAND_CURVE (`ottorec report`) */
#define OR_CAND_CURVE 200

typedef struct or_cand_table {
	/* settings (set before the first block) */
	size_t negatives;      /* kept negatives per session, seeded; 0 = all */
	int keep_unlabelled;   /* keep sessions without labels or positives */
	uint64_t seed;
	/* the rows */
	size_t n_rows, n_groups, cap_rows, cap_groups;
	float *x, *label;
	int64_t *aid, *group_size, *session;
	/* recall of the generated candidates, before any dropping */
	uint64_t hits[3][OR_CAND_N_CUTS], truth[3];
	uint64_t curve_hits[3][OR_CAND_CURVE]; /* [N - 1]: as hits, cut N */
	uint64_t sessions, labelled;
	/* private */
	const or_labels *labels_;
	size_t *by_session_;   /* label rows sorted by session id */
	float *scratch_;
	size_t cap_scratch_;
	char *tmp_dir_;        /* the directory being written beside DIR */
	or_npy_writer out_[3]; /* features, labels, aid while streaming */
	int streaming_, replace_;
} or_cand_table;

/* labels may be NULL (no labels: every row 0, nothing dropped, no recall).
   Rows are kept in memory (x, label, aid) unless or_cand_table_begin
   was called first. */
int or_cand_table_init(or_cand_table *t, const or_labels *labels, or_err *err);
void or_cand_table_release(or_cand_table *t);
/* An or_cand_sink: ctx is the table. */
int or_cand_table_add(void *ctx, const or_cand_chunk *chunk, or_err *err);
/* Recall of type t at cut c: sum over labelled sessions of min(hits, 20)
   over sum of min(20, labels), as the organiser's metric. */
double or_cand_table_recall(const or_cand_table *t, unsigned type, size_t cut);
/* The same at cut n in 1..OR_CAND_CURVE (0 outside). */
double or_cand_table_curve(const or_cand_table *t, unsigned type, size_t n);
/* Stream the rows that follow straight into the directory's files, in the
   temporary directory beside dir (x, label and aid then stay empty: memory
   is the session arrays only, whatever the row count).  Refuses a dir that
   exists and is not a candidates directory, before any work is done. */
int or_cand_table_begin(or_cand_table *t, const char *dir, or_err *err);
/* Write the directory (layout above; into the temporary begun, or one made
   now) and swap it in; extra_json: more top-level keys ("\"key\":value,..."
   without braces) or NULL.  On failure the temporary is removed by
   or_cand_table_release. */
int or_cand_table_write(or_cand_table *t, const char *dir, const or_cand_config *cfg,
			const char *extra_json, or_err *err);

#endif
