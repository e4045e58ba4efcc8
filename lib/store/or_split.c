/*
 * or_split.c - the organiser's local validation split (testset.py) over an
 * event store, and CPython's MT19937 `random` that draws its cut points
 * (see or_split.h for the rule and where outputs differ from Python's).
 * The set of aids seen in train is a bitmap over the input's item
 * dictionary, so its memory follows distinct aids, not the largest aid.
 */
#include "or_split.h"
#include "or_items.h"

#include <stdlib.h>
#include <string.h>

/* ---- CPython random: MT19937 as in Modules/_randommodule.c ------------- */

enum { MT_N = 624, MT_M = 397 };
#define MT_MATRIX_A 0x9908b0dfu
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu

static void mt_init(or_pyrandom *r, uint32_t s)
{
	r->mt[0] = s;
	for (int i = 1; i < MT_N; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
	r->mti = MT_N;
}

static void mt_init_by_array(or_pyrandom *r, const uint32_t *key, int len)
{
	mt_init(r, 19650218u);
	int i = 1, j = 0;
	for (int k = MT_N > len ? MT_N : len; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525u)) +
			   key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
		if (j >= len)
			j = 0;
	}
	for (int k = MT_N - 1; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941u)) -
			   (uint32_t)i;
		i++;
		if (i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
	}
	r->mt[0] = 0x80000000u; /* MSB is 1, assuring a non-zero initial array */
}

void or_pyrandom_seed(or_pyrandom *r, int64_t seed)
{
	/* Python: n = abs(seed); key = 32-bit words of n, least significant
	   first; at least one word (seed 0 gives key [0]). */
	uint64_t n = seed < 0 ? (uint64_t)0 - (uint64_t)seed : (uint64_t)seed;
	uint32_t key[2] = { (uint32_t)n, (uint32_t)(n >> 32) };
	mt_init_by_array(r, key, key[1] ? 2 : 1);
}

uint32_t or_pyrandom_u32(or_pyrandom *r)
{
	static const uint32_t mag01[2] = { 0u, MT_MATRIX_A };
	uint32_t y;
	if (r->mti >= MT_N) {
		int kk;
		for (kk = 0; kk < MT_N - MT_M; kk++) {
			y = (r->mt[kk] & MT_UPPER) | (r->mt[kk + 1] & MT_LOWER);
			r->mt[kk] = r->mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1u];
		}
		for (; kk < MT_N - 1; kk++) {
			y = (r->mt[kk] & MT_UPPER) | (r->mt[kk + 1] & MT_LOWER);
			r->mt[kk] = r->mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1u];
		}
		y = (r->mt[MT_N - 1] & MT_UPPER) | (r->mt[0] & MT_LOWER);
		r->mt[MT_N - 1] = r->mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1u];
		r->mti = 0;
	}
	y = r->mt[r->mti++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

uint64_t or_pyrandom_getrandbits(or_pyrandom *r, unsigned k)
{
	if (k == 0 || k > 64)
		return 0;
	if (k <= 32)
		return or_pyrandom_u32(r) >> (32 - k);
	/* words filled least significant first; the last one keeps its top
	   k - 32 bits */
	uint64_t lo = or_pyrandom_u32(r);
	uint64_t hi = or_pyrandom_u32(r) >> (64 - k);
	return lo | hi << 32;
}

int64_t or_pyrandom_randint(or_pyrandom *r, int64_t a, int64_t b)
{
	uint64_t n = (uint64_t)b - (uint64_t)a + 1u; /* >= 1 */
	unsigned k = 0;
	for (uint64_t x = n; x; x >>= 1)
		k++;
	uint64_t v;
	do
		v = or_pyrandom_getrandbits(r, k);
	while (v >= n);
	return (int64_t)((uint64_t)a + v);
}

/* ---- the split ----------------------------------------------------------- */

void or_split_config_default(or_split_config *cfg)
{
	cfg->days = 2;
	cfg->seed = 42;
}

/* Number of leading events with ts < limit (ts sorted non-decreasing). */
static size_t count_before(const int64_t *ts, size_t n, int64_t limit)
{
	if (ts[n - 1] < limit)
		return n;
	size_t lo = 0, hi = n - 1; /* ts[hi] >= limit */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts[mid] < limit)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

typedef struct scratch {
	uint32_t *aid, *item;
	int64_t *ts;
	uint8_t *type;
	size_t cap;
} scratch;

static int scratch_reserve(scratch *s, size_t n, or_err *err)
{
	if (n <= s->cap)
		return OR_OK;
	size_t cap = s->cap ? s->cap : 1024;
	while (cap < n)
		cap *= 2;
	uint32_t *a = realloc(s->aid, cap * sizeof(*a));
	if (a)
		s->aid = a;
	int64_t *t = a ? realloc(s->ts, cap * sizeof(*t)) : NULL;
	if (t)
		s->ts = t;
	uint8_t *y = t ? realloc(s->type, cap) : NULL;
	if (y)
		s->type = y;
	uint32_t *it = y ? realloc(s->item, cap * sizeof(*it)) : NULL;
	if (!it)
		return or_err_set(err, OR_ENOMEM, "out of memory for a session of %zu events", n);
	s->item = it;
	s->cap = cap;
	return OR_OK;
}

/* The builder's messages say what is wrong; add where (a damaged store). */
static void prefix_error(or_err *err, const char *path, int64_t session)
{
	if (!err || err->code != OR_EFORMAT)
		return;
	or_err inner = *err;
	or_err_set(err, OR_EFORMAT, "%s: session %lld: %s", path, (long long)session, inner.msg);
}

#define SPLIT_STEP 65536u /* sessions between progress / cancel checks */

int or_split_store(const or_store *in, const or_split_config *cfg,
		   or_store_builder *train, or_store_builder *test,
		   or_labels *labels, or_split_stats *stats,
		   const or_log *log, or_err *err)
{
	or_split_stats st;
	memset(&st, 0, sizeof(st));
	if (cfg->days < 0 || cfg->days > 100000)
		return or_err_set(err, OR_EINVAL, "days %lld outside 0..100000", (long long)cfg->days);
	if (or_store_builder_n_sessions(train) || or_store_builder_n_sessions(test) || labels->n)
		return or_err_set(err, OR_EINVAL, "split outputs must start empty");

	const size_t ns = or_store_n_sessions(in);
	const uint64_t ne = or_store_n_events(in);
	const int64_t *sid = or_store_session_ids(in);
	const uint64_t *off = or_store_offsets(in);
	const uint32_t *aid = or_store_aids(in);
	const int64_t *ts = or_store_ts(in);
	const uint8_t *type = or_store_types(in);
	const char *path = or_store_path(in);
	st.in_sessions = ns;
	st.in_events = ne;

	/* 1. max_ts, the largest last-event ts of a session: events being in
	   time order within sessions, that is the store's ts_max, read from
	   its header without touching the ts column.  (The offsets, checked
	   at open, keep the scans below inside the columns.) */
	const int64_t max_ts = ns ? or_store_ts_max(in) : 0;
	const int64_t split_ts = max_ts - cfg->days * 86400000LL;
	st.max_ts = max_ts;
	st.split_ts = split_ts;

	/* 2. train side, and the list of test candidates; known: the items
	   of the input's dictionary seen in train */
	or_items *items = NULL;
	int rc = or_items_new(or_store_items(in), or_store_n_items(in), 0, path, &items, err);
	if (rc)
		return rc;
	size_t words = (or_items_count(items) + 63) / 64;
	uint64_t *known = calloc(words ? words : 1, sizeof(*known));
	size_t *cand = NULL, n_cand = 0, cap_cand = 0;
	scratch sc = { NULL, NULL, NULL, NULL, 0 };
	or_pyrandom rng;
	if (!known)
		rc = or_err_set(err, OR_ENOMEM, "out of memory for the train item set");
	/* pages the scan has passed are given back (or_store_evict), so the
	   input does not stay resident beside the output being built */
	size_t released = 0;
	/* this pass reads every session: the store's checksums as it goes */
	or_store_check *chk = or_store_check_new(&in, 1, OR_STORE_CHECK_ALL);

	for (size_t i = 0; i < ns && !rc; i++) {
		if (i % SPLIT_STEP == 0 && i) {
			if (or_log_cancelled(log)) {
				rc = or_err_set(err, OR_ECANCELLED, "interrupted");
				break;
			}
			or_log_progress(log, "split", (double)i, (double)ns, "sessions");
			or_store_check_read(chk, 0, i);
			or_store_evict(in, released, (size_t)off[i]);
			released = (size_t)off[i];
		}
		size_t o = (size_t)off[i], n = (size_t)(off[i + 1] - off[i]);
		if (ts[o] > split_ts) {
			if (n_cand == cap_cand) {
				size_t cap = cap_cand ? cap_cand * 2 : 4096;
				size_t *nc = realloc(cand, cap * sizeof(*nc));
				if (!nc) {
					rc = or_err_set(err, OR_ENOMEM, "out of memory for test sessions");
					break;
				}
				cand = nc;
				cap_cand = cap;
			}
			cand[n_cand++] = i;
			continue;
		}
		size_t k = count_before(ts + o, n, split_ts);
		if (k < 2) {
			st.train_dropped++;
			continue;
		}
		rc = scratch_reserve(&sc, k, err);
		if (rc)
			break;
		or_items_index_many(items, aid + o, k, sc.item);
		for (size_t e = 0; e < k; e++) {
			uint32_t it = sc.item[e];
			if (it == OR_ITEM_NONE) {
				rc = or_err_set(err, OR_EFORMAT, "%s: damaged store: aid %u at event %zu is not in its item dictionary",
						path, aid[o + e], o + e);
				break;
			}
			known[it >> 6] |= (uint64_t)1 << (it & 63);
		}
		if (rc)
			break;
		rc = or_store_builder_add(train, sid[i], k, aid + o, ts + o, type + o, err);
		if (rc) {
			prefix_error(err, path, sid[i]);
			break;
		}
		st.train_sessions++;
		st.train_events += k;
	}
	rc = or_store_check_end(chk, rc, err);
	for (size_t w = 0; w < words && !rc; w++)
		st.train_items += (uint64_t)__builtin_popcountll(known[w]);
	st.test_candidates = n_cand;

	/* 3 and 4. filter the test candidates, draw the cuts, label */
	or_pyrandom_seed(&rng, cfg->seed);
	released = 0; /* candidates lie all over the input: release again */
	for (size_t c = 0; c < n_cand && !rc; c++) {
		size_t i = cand[c];
		if (c % 4096 == 0 && c) {
			if (or_log_cancelled(log)) {
				rc = or_err_set(err, OR_ECANCELLED, "interrupted");
				break;
			}
			or_store_evict(in, released, (size_t)off[i]);
			released = (size_t)off[i];
		}
		size_t o = (size_t)off[i], n = (size_t)(off[i + 1] - off[i]);
		rc = scratch_reserve(&sc, n, err);
		if (rc)
			break;
		size_t m = 0;
		or_items_index_many(items, aid + o, n, sc.item);
		for (size_t e = o; e < o + n; e++) {
			uint32_t a = aid[e], it = sc.item[e - o];
			if (it != OR_ITEM_NONE && (known[it >> 6] >> (it & 63) & 1)) {
				sc.aid[m] = a;
				sc.ts[m] = ts[e];
				sc.type[m] = type[e];
				m++;
			}
		}
		st.test_unknown_events += n - m;
		if (m < 2) {
			st.test_dropped++;
			continue;
		}
		size_t cut = (size_t)or_pyrandom_randint(&rng, 1, (int64_t)m - 1);
		rc = or_store_builder_add(test, sid[i], cut, sc.aid, sc.ts, sc.type, err);
		if (rc)
			prefix_error(err, path, sid[i]);
		if (!rc) {
			or_session s = { sid[i], m, sc.aid, sc.ts, sc.type };
			rc = or_labels_add_cut(labels, &s, cut, err);
		}
		if (rc)
			break;
		const or_label *lab = &labels->rows[labels->n - 1];
		st.test_sessions++;
		st.test_events += cut;
		st.label_events += m - cut;
		st.labels_clicks += lab->click >= 0;
		st.labels_carts += lab->n_carts > 0;
		st.labels_orders += lab->n_orders > 0;
	}
	if (!rc)
		or_log_progress(log, "split", (double)ns, (double)ns, "sessions");
	free(known);
	or_items_free(items);
	free(cand);
	free(sc.aid);
	free(sc.item);
	free(sc.ts);
	free(sc.type);
	if (!rc && stats)
		*stats = st;
	return rc;
}
