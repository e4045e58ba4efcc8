/*
 * check_store.h - a small event store built for a unit test: sessions of
 * given lengths, aids and types, events one second apart in store order,
 * written under check_tmpdir() and opened.
 */
#ifndef OR_CHECK_STORE_H
#define OR_CHECK_STORE_H

#include "check.h"
#include "or_store.h"

#include <stdio.h>

static or_store *check_make_store(const char *name, size_t ns, const int64_t *ids, const size_t *len,
				  const uint32_t *aid, const uint8_t *ty)
{
	or_store_builder *b = NULL;
	or_err err;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	size_t at = 0;
	for (size_t i = 0; i < ns; i++) {
		int64_t ts[256];
		for (size_t j = 0; j < len[i]; j++)
			ts[j] = (int64_t)(at + j) * 1000;
		CHECK_INT(or_store_builder_add(b, ids[i], len[i], aid + at, ts, ty + at, &err), OR_OK);
		at += len[i];
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st = NULL;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	return st;
}

#endif
