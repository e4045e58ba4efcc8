/*
 * or_store_internal.h - the event store's file as the store's writer and
 * reader share it: its or_sfile format and its header fields as a struct
 * (the layout is documented in or_store.h; this file must stay in step with
 * it, and the _Static_asserts pin the offsets given there).
 */
#ifndef OR_STORE_INTERNAL_H
#define OR_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "or_sfile.h"

#define OR_STORE_ALIGN 4096u

enum { SEC_SESSION_IDS, SEC_OFFSETS, SEC_AID, SEC_TS, SEC_TYPE, SEC_ITEMS, OR_STORE_N_SECTIONS };

extern const or_sfile_format or_store_format;

/* The store's fields in the sfile header (file offset 32 + these). */
typedef struct or_store_meta {
	uint64_t n_sessions;
	uint64_t n_events;
	uint64_t n_type[3];
	int64_t ts_min, ts_max;
	uint32_t aid_bound;
	uint32_t n_items;
} or_store_meta;

OR_SFILE_META_FITS(or_store_meta);
_Static_assert(offsetof(or_store_meta, n_type) == 48 - 32 &&
	       offsetof(or_store_meta, ts_min) == 72 - 32 &&
	       offsetof(or_store_meta, aid_bound) == 88 - 32 &&
	       offsetof(or_store_meta, n_items) == 92 - 32 && sizeof(or_store_meta) == 64,
	       "or_store.h's layout");

#endif
