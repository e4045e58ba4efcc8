/* test_items.c - item dictionaries (lib/store/or_items.c): the aid marks,
   the direct and hashed lookups, the union of stores' dictionaries and the
   refusal of a dictionary that is not strictly increasing. */
#include "check.h"
#include "or_items.h"
#include "or_store.h"

static void test_marks_sorted(void)
{
	or_err err;
	or_aid_marks m;
	CHECK_INT(or_aid_marks_init(&m, &err), OR_OK);
	const uint32_t a[] = { 9, 2147483647u, 0, 9, 64, 63, 2147483648u, 100000000u };
	or_aid_marks_add(&m, a, sizeof(a) / sizeof(a[0]));
	uint32_t *s;
	size_t n;
	CHECK_INT(or_aid_marks_sorted(&m, &s, &n, &err), OR_OK);
	const uint32_t want[] = { 0, 9, 63, 64, 100000000u, 2147483647u };
	CHECK_INT(n, 6);
	for (size_t i = 0; i < n && i < 6; i++)
		CHECK_INT(s[i], want[i]);
	free(s);
	or_aid_marks_release(&m);
	/* nothing marked: an empty dictionary */
	CHECK_INT(or_aid_marks_init(&m, &err), OR_OK);
	CHECK_INT(or_aid_marks_sorted(&m, &s, &n, &err), OR_OK);
	CHECK_INT(n, 0);
	CHECK(s == NULL);
	or_aid_marks_release(&m);
}

/* every aid of the dictionary maps to its position, others to NONE */
static void check_lookup(const uint32_t *aids, size_t n)
{
	or_err err;
	or_items *it;
	CHECK_INT(or_items_new(aids, n, 0, "test", &it, &err), OR_OK);
	if (!it)
		return;
	CHECK_INT(or_items_count(it), n);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		bad += or_items_index(it, aids[i]) != i;
		bad += or_items_aid(it, (uint32_t)i) != aids[i];
		if (aids[i] + 1 != (i + 1 < n ? aids[i + 1] : 0) && aids[i] < 2147483647u)
			bad += or_items_index(it, aids[i] + 1) != OR_ITEM_NONE;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(or_items_index(it, 4000000000u), OR_ITEM_NONE);
	uint32_t q[3] = { aids[n - 1], 4000000000u, aids[0] }, idx[3];
	or_items_index_many(it, q, 3, idx);
	CHECK_INT(idx[0], n - 1);
	CHECK_INT(idx[1], OR_ITEM_NONE);
	CHECK_INT(idx[2], 0);
	or_items_free(it);
}

static void test_lookup_dense_and_sparse(void)
{
	enum { N = 5000 };
	static uint32_t ident[N], dense[N], sparse[N];
	for (uint32_t i = 0; i < N; i++) {
		ident[i] = i;                         /* no table: the index is the aid */
		dense[i] = 3 * i;                     /* direct table */
		sparse[i] = 100000000u + 61000u * i; /* hash table */
	}
	sparse[N - 1] = 2147483647u;
	check_lookup(ident, N);
	check_lookup(dense, N);
	check_lookup(sparse, N);
}

static void test_refuses_unsorted(void)
{
	or_err err;
	or_items *it;
	const uint32_t a[] = { 1, 5, 5 };
	CHECK_INT(or_items_new(a, 3, 0, "x.pairs", &it, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "x.pairs: item dictionary is not strictly increasing at item 2");
	const uint32_t b[] = { 1, 2147483648u };
	CHECK_INT(or_items_new(b, 2, 0, "y", &it, &err), OR_EFORMAT);
}

static or_store *store_of(const char *name, const uint32_t *aid, size_t n)
{
	or_err err;
	or_store_builder *b;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	int64_t ts[16] = { 0 };
	uint8_t type[16] = { 0 };
	CHECK_INT(or_store_builder_add(b, 1, n, aid, ts, type, &err), OR_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
	CHECK_INT(or_store_builder_write(b, path, NULL, &err), OR_OK);
	or_store_builder_free(b);
	or_store *st = NULL;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	return st;
}

static void test_union_of_stores(void)
{
	const uint32_t a[] = { 50, 10, 30, 10 }, b[] = { 30, 40, 5, 1000000000u };
	or_store *st[2] = { store_of("a.store", a, 4), store_of("b.store", b, 4) };
	if (!st[0] || !st[1])
		return;
	or_err err;
	or_items *u;
	CHECK_INT(or_items_from_stores(st, 2, &u, &err), OR_OK);
	const uint32_t want[] = { 5, 10, 30, 40, 50, 1000000000u };
	CHECK_INT(or_items_count(u), 6);
	for (uint32_t i = 0; i < 6 && i < or_items_count(u); i++)
		CHECK_INT(or_items_aid(u, i), want[i]);
	or_items *one;
	CHECK_INT(or_items_from_stores(st, 1, &one, &err), OR_OK);
	CHECK_INT(or_items_count(one), 3);
	CHECK(!or_items_equal(u, one));
	CHECK(or_items_equal(u, u));
	or_items_free(u);
	or_items_free(one);
	or_store_free(st[0]);
	or_store_free(st[1]);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_marks_sorted);
	RUN_TEST(test_lookup_dense_and_sparse);
	RUN_TEST(test_refuses_unsorted);
	RUN_TEST(test_union_of_stores);
	CHECK_MAIN_END
}
