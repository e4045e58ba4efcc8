/*
 * check_store.h - a small event store built for a unit test: sessions of
 * given lengths, aids and types, events one second apart in store order,
 * written under check_tmpdir() and opened; and the hand-made case the
 * candidate tests (blend's, the ranker's) work out by hand.
 */
#ifndef OR_CHECK_STORE_H
#define OR_CHECK_STORE_H

#include "check.h"
#include "or_covisit.h"
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

/*
 * The hand-made case.  Session 100: click 5 (0 s), click 7 (1 s), cart 5
 * (2 s).  Session 200: click 12, click 12, order 13 (3..5 s).  Clicks
 * matrix: row 5 = (8, 4), (9, 2); row 7 = (9, 3), (10, 1).  buy2buy: row
 * 5 = (11, 1).  No carts_orders matrix.
 */
static or_store *check_hand_store(const char *name)
{
	static const int64_t ids[2] = { 100, 200 };
	static const size_t len[2] = { 3, 3 };
	static const uint32_t aid[6] = { 5, 7, 5, 12, 12, 13 };
	static const uint8_t ty[6] = { 0, 0, 1, 0, 0, 2 };
	return check_make_store(name, 2, ids, len, aid, ty);
}

static void check_hand_covisit(or_covisit **cl, or_covisit **b2b)
{
	or_err err;
	uint64_t off[15];
	for (int a = 0; a <= 14; a++)
		off[a] = (uint64_t)(a <= 5 ? 0 : a <= 7 ? 2 : 4);
	uint32_t nb[4] = { 8, 9, 9, 10 };
	double w[4] = { 4, 2, 3, 1 };
	CHECK_INT(or_covisit_from_rows(OR_COVISIT_CLICKS, NULL, 14, 20, off, nb, w, cl, &err), OR_OK);
	uint64_t off2[15];
	for (int a = 0; a <= 14; a++)
		off2[a] = (uint64_t)(a <= 5 ? 0 : 1);
	uint32_t nb2[1] = { 11 };
	double w2[1] = { 1 };
	CHECK_INT(or_covisit_from_rows(OR_COVISIT_BUY2BUY, NULL, 14, 15, off2, nb2, w2, b2b, &err), OR_OK);
}

#endif
