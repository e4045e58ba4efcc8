/*
 * or_store_internal.h - the on-disk header of the event store as a struct,
 * shared by the store's writer and reader only.  The layout is documented
 * in or_store.h; this file must stay in step with it.
 */
#ifndef OR_STORE_INTERNAL_H
#define OR_STORE_INTERNAL_H

#include <stdint.h>

#define OR_STORE_MAGIC "OTTOSTOR"
#define OR_STORE_N_SECTIONS 6
#define OR_STORE_ALIGN 4096u

enum { SEC_SESSION_IDS, SEC_OFFSETS, SEC_AID, SEC_TS, SEC_TYPE, SEC_ITEMS };

typedef struct or_store_section {
	uint64_t offset, bytes, checksum, reserved;
} or_store_section;

typedef struct or_store_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint64_t n_sessions;
	uint64_t n_events;
	uint64_t n_type[3];
	int64_t ts_min, ts_max;
	uint32_t aid_bound;
	uint32_t n_items;
	or_store_section section[OR_STORE_N_SECTIONS];
	uint64_t header_checksum; /* XXH3-64 of the bytes before it */
} or_store_header;

_Static_assert(sizeof(or_store_header) == 280, "store header layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the store format is little-endian; this build needs byte swaps");

#endif
