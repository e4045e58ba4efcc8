/*
 * or_export.h - writing an event store back out as text: OTTO JSONL (the
 * publisher's exact bytes) and CSV.  This module owns the text layouts and
 * the fast integer formatting behind them; reading text is or_ingest's job.
 *
 * JSONL, one line per session, in store order, byte-identical to the files
 * the OTTO dataset's publisher ships:
 *
 *   {"session":0,"events":[{"aid":1517085,"ts":1659304800025,"type":"clicks"},...]}\n
 *
 * CSV: a header line "session,aid,ts,type", then one row per event in store
 * order, e.g. "0,1517085,1659304800025,clicks\n".  Options choose the type as
 * a digit (0 clicks, 1 carts, 2 orders) and ts in seconds (ts / 1000, which
 * is allowed only when every ts is a whole second, so that nothing is lost).
 *
 * Outputs: path "-" is standard output (written as it goes, not atomic);
 * any other path is written atomically (or_file: tmp + rename), so a failed
 * or interrupted export leaves nothing under the final name.  Progress is
 * reported as stage "export" in events every few MB; the caller's cancel
 * flag stops the export with OR_ECANCELLED.  A store whose columns break
 * the store's rules (type > 2, offsets out of order: a damaged file that was
 * not verified) gives OR_EFORMAT, never a crash.
 */
#ifndef OR_EXPORT_H
#define OR_EXPORT_H

#include <stdint.h>

#include "or_err.h"
#include "or_log.h"
#include "or_store.h"

/* Write st as OTTO JSONL to path ("-" = stdout). */
int or_export_jsonl(const or_store *st, const char *path, const or_log *log, or_err *err);

/* Write st as CSV with the default options (type as word, ts in ms). */
int or_export_csv(const or_store *st, const char *path, const or_log *log, or_err *err);

typedef struct or_export_csv_config {
	int type_digits; /* 1: type as 0/1/2 instead of clicks/carts/orders */
	int ts_seconds;  /* 1: ts / 1000; OR_EINVAL unless every ts % 1000 == 0 */
} or_export_csv_config;

void or_export_csv_config_default(or_export_csv_config *cfg);

/* Write st as CSV with the given options (cfg NULL = defaults).  With
   ts_seconds, every ts is checked before anything is written, so even on
   stdout a store with a sub-second ts gives an error and no output. */
int or_export_csv_ex(const or_store *st, const char *path,
		     const or_export_csv_config *cfg, const or_log *log,
		     or_err *err);

#endif
