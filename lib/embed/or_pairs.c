/*
 * or_pairs.c - building, writing, opening and verifying pairs files (the
 * layout is in or_pairs.h).
 *
 * Building is two parallel passes over fixed chunks of sessions (count,
 * then fill at the prefix-summed offsets) straight into the memory-mapped
 * temporary output, so the bytes do not depend on the thread count.  The
 * fill writes item indices of the stores' union dictionary; when that is
 * the identity (aids 0..n-1, as OTTO's) the aids are copied as they are.
 *
 * Shuffled runs fuse the shuffle into the fill (a two-pass bucketed
 * shuffle, cache-friendly): training pair number p (in store order) goes
 * to bucket hash(seed, p) mod 1024, a stateless hash, so after the count
 * pass every chunk knows how many of its pairs go to each bucket; the fill
 * pass writes each chunk's pairs to a small per-thread buffer and scatters
 * them to the chunk's own bucket cursors in a huge-page scratch array,
 * through 64-byte write-combining buffers flushed as whole lines with
 * non-temporal stores; then each bucket (~1.6 MB at full scale: cache
 * resident) is shuffled by an inside-out Fisher-Yates with its own stream
 * into a per-thread buffer and written to the file with one pwrite.  The
 * bucket of each pair is uniform and independent and each bucket's order
 * is then uniform, so the result is a uniform permutation, and it depends
 * on the seed only, not on the thread count.
 *
 * The file is an or_sfile written in place (OR_SFILE_MAPPED); its fields
 * are pairs_meta below.
 */
#include "or_cpu.h"
#include "or_items.h"
#include "or_pairs.h"
#include "or_par.h"
#include "or_prng.h"
#include "or_sfile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK_SESSIONS 16384
#define SHUF_BUCKETS 1024

/* The file's fields (or_pairs.h gives their offsets: 32 + these). */
typedef struct pairs_meta {
	uint64_t n_train, n_valid;
	uint32_t n_items, window, type_mask, flags;
	int64_t max_gap_ms;
	uint64_t seed;
	uint64_t valid_param; /* valid_fraction's bits, or N with flag bit 1 */
	uint64_t n_valid_sessions;
} pairs_meta;
OR_SFILE_META_FITS(pairs_meta);
_Static_assert(offsetof(pairs_meta, n_items) == 48 - 32 &&
	       offsetof(pairs_meta, max_gap_ms) == 64 - 32 &&
	       offsetof(pairs_meta, n_valid_sessions) == 88 - 32, "or_pairs.h's layout");

enum { SEC_TRAIN, SEC_VALID, SEC_ITEMS, N_SECTIONS };
static const char *const sec_names[N_SECTIONS] = { "train pairs", "valid pairs", "items" };
static const or_sfile_format pairs_format = {
	.magic = "OTTOPAIR", .version = OR_PAIRS_VERSION, .align = 8,
	.n_sections = N_SECTIONS, .section_names = sec_names, .what = "pairs file",
	.rebuild = "rebuild it with `ottorec pairs`",
};

void or_pairs_config_default(or_pairs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->window = 1;
	cfg->type_mask = 7;
	cfg->max_gap_ms = 0;
	cfg->shuffle = 1;
	cfg->seed = 42;
	cfg->valid_fraction = 0.05;
	cfg->valid_last = 0;
	cfg->threads = 0;
}

/* The item of aid: its index in items, or aid itself when items is NULL
   (the identity dictionary). */
static inline uint32_t item_of(const or_items *items, uint32_t aid)
{
	return items ? or_items_index(items, aid) : aid;
}

/* Pairs of one session; writes them to out (2 uint32 items each) unless
   NULL. */
static size_t session_pairs(const uint32_t *aid, const int64_t *ts,
			    const uint8_t *type, size_t n,
			    const or_pairs_config *cfg, const or_items *items, uint32_t *out)
{
	size_t cnt = 0;
	const unsigned mask = cfg->type_mask;
	const int64_t gap = cfg->max_gap_ms;
	if (mask == 7 && cfg->window == 1 && gap == 0) {
		if (n < 2)
			return 0;
		if (out && !items) {
			for (size_t j = 0; j + 1 < n; j++) {
				out[2 * j] = aid[j];
				out[2 * j + 1] = aid[j + 1];
			}
		} else if (out) {
			uint32_t prev = or_items_index(items, aid[0]);
			for (size_t j = 0; j + 1 < n; j++) {
				uint32_t next = or_items_index(items, aid[j + 1]);
				out[2 * j] = prev;
				out[2 * j + 1] = next;
				prev = next;
			}
		}
		return n - 1;
	}
	/* mask < 8: a type beyond 2 (a damaged store) is never used */
	for (size_t j = 0; j < n; j++) {
		if (type[j] > 7 || !((mask >> type[j]) & 1))
			continue;
		int got = 0;
		for (size_t l = j + 1; l < n && got < cfg->window; l++) {
			if (type[l] > 7 || !((mask >> type[l]) & 1))
				continue;
			got++;
			/* ts are non-decreasing: later ones are too far too (in
			   unsigned arithmetic: a damaged ts cannot overflow) */
			if (gap > 0 && ts[l] >= ts[j] && (uint64_t)ts[l] - (uint64_t)ts[j] > (uint64_t)gap)
				break;
			if (out) {
				out[2 * cnt] = item_of(items, aid[j]);
				out[2 * cnt + 1] = item_of(items, aid[l]);
			}
			cnt++;
		}
	}
	return cnt;
}

typedef struct chunk {
	size_t store, s0, s1;     /* sessions [s0, s1) of stores[store] */
	uint64_t n_train, n_valid, n_vsess;
	uint64_t off_train, off_valid;
} chunk;

static int is_valid_session(const or_pairs_config *cfg, size_t store, int64_t id)
{
	if (cfg->valid_last || cfg->valid_fraction <= 0)
		return 0;
	if (cfg->valid_fraction >= 1)
		return 1;
	uint64_t h = or_prng_hash(cfg->seed ^ (0x5851f42d4c957f2dull * (store + 1)), (uint64_t)id);
	return (double)(h >> 11) * 0x1.0p-53 < cfg->valid_fraction;
}

/* Count (tout NULL) or write chunk c's pairs: training pairs to tout,
   validation pairs to vout, each contiguous from the chunk's start (items:
   the dictionary, NULL for the identity). */
static void chunk_run(or_store *const *stores, const or_pairs_config *cfg,
		      const or_items *items, chunk *c, uint32_t *tout, uint32_t *vout)
{
	const or_store *st = stores[c->store];
	const uint64_t *off = or_store_offsets(st);
	const int64_t *ids = or_store_session_ids(st);
	const uint32_t *aid = or_store_aids(st);
	const int64_t *ts = or_store_ts(st);
	const uint8_t *type = or_store_types(st);
	uint64_t nt = 0, nv = 0, vs = 0;
	for (size_t i = c->s0; i < c->s1; i++) { /* offsets: checked at open */
		size_t b = (size_t)off[i], n = (size_t)(off[i + 1] - off[i]);
		int v = is_valid_session(cfg, c->store, ids[i]);
		uint32_t *out = NULL;
		if (tout)
			out = v ? vout + 2 * nv : tout + 2 * nt;
		size_t k = session_pairs(aid + b, ts + b, type + b, n, cfg, items, out);
		if (v) {
			nv += k;
			vs++;
		} else {
			nt += k;
		}
	}
	c->n_train = nt;
	c->n_valid = nv;
	c->n_vsess = vs;
	if (tout)
		or_store_evict(st, (size_t)off[c->s0], (size_t)off[c->s1]);
}

/* malloc'ed memory (free() it) of at least `bytes`, 2 MiB aligned and
   advised for transparent huge pages: the scatter writes to 1024 places
   at once, and 4 KiB pages would make most of those writes TLB misses */
static void *alloc_huge(size_t bytes)
{
	const size_t huge = (size_t)2 << 20;
	size_t r = (bytes + huge - 1) & ~(huge - 1);
	if (r < bytes)
		return NULL;
	void *p = aligned_alloc(huge, r ? r : huge);
#ifdef MADV_HUGEPAGE
	if (p)
		madvise(p, r ? r : huge, MADV_HUGEPAGE);
#endif
	return p;
}

#ifdef OR_SIMD_X86
#include <emmintrin.h>
/* 64 bytes to a 64-byte aligned destination with non-temporal stores (no
   read for ownership of a line that is wholly overwritten; SSE2, which
   every x86-64 has) */
static inline void stream_line(uint64_t *dst, const uint64_t *src)
{
	for (int k = 0; k < 4; k++)
		_mm_stream_si128((__m128i *)dst + k, _mm_load_si128((const __m128i *)src + k));
}
static inline void stream_fence(void) { _mm_sfence(); }
#else
static inline void stream_line(uint64_t *dst, const uint64_t *src) { memcpy(dst, src, 64); }
static inline void stream_fence(void) { }
#endif

/* The shuffle bucket of training pair number p (store order). */
static inline unsigned shuf_bucket(uint64_t seed, uint64_t p)
{
	return (unsigned)(or_prng_hash(seed ^ 0x9e6c63d0676a9a99ull, p) >> 54); /* 1024 buckets */
}

/* Fill pass of a shuffled build: chunk i's pairs into buf, then training
   pair p goes to dst at its chunk's cursor for bucket(p) (cur: that
   chunk's SHUF_BUCKETS cursors), or, past nt (valid_last), to the
   validation section at p - nt.  wc: SHUF_BUCKETS x 8 pairs of
   write-combining buffer, wn their fill. */
static void chunk_scatter(or_store *const *stores, const or_pairs_config *cfg,
			  const or_items *items, chunk *c, uint64_t nt, uint64_t *buf,
			  uint64_t *dst, uint64_t *valid, uint64_t *cur, uint64_t *wc,
			  uint8_t *wn)
{
	chunk_run(stores, cfg, items, c, (uint32_t *)buf, (uint32_t *)valid + 2 * c->off_valid);
	const uint64_t seed = cfg->seed;
	memset(wn, 0, SHUF_BUCKETS);
	for (uint64_t j = 0; j < c->n_train; j++) {
		uint64_t p = c->off_train + j;
		if (p >= nt) {
			valid[p - nt] = buf[j];
			continue;
		}
		unsigned b = shuf_bucket(seed, p);
		uint64_t *w = wc + 8 * (size_t)b;
		w[wn[b]++] = buf[j];
		/* flush when the cursor reaches a cache-line boundary: after
		   the first, every flush is one whole line of this chunk's own
		   region, written around the cache */
		if (((cur[b] + wn[b]) & 7) == 0) {
			if (wn[b] == 8)
				stream_line(dst + cur[b], w);
			else
				memcpy(dst + cur[b], w, (size_t)wn[b] * 8);
			cur[b] += wn[b];
			wn[b] = 0;
		}
	}
	for (unsigned b = 0; b < SHUF_BUCKETS; b++) {
		memcpy(dst + cur[b], wc + 8 * (size_t)b, (size_t)wn[b] * 8);
		cur[b] += wn[b];
	}
	stream_fence();
}

/* Shuffled fill: count buckets per chunk, scatter, shuffle each bucket. */
static int fill_shuffled(or_store *const *stores, const or_pairs_config *cfg,
			 const or_items *items, chunk *ch, size_t nch, uint64_t nt, or_sfile_writer *out,
			 uint64_t *valid, int threads, const or_log *log, or_err *err)
{
	size_t cells, maxc = 1;
	if (or_size_mul(nch ? nch : 1, SHUF_BUCKETS, &cells))
		return or_err_set(err, OR_ENOMEM, "pairs: too many chunks to shuffle");
	for (size_t i = 0; i < nch; i++)
		if (ch[i].n_train > maxc)
			maxc = (size_t)ch[i].n_train;
	uint64_t *cnt = calloc(cells, sizeof(uint64_t));
	uint64_t *bstart = calloc(SHUF_BUCKETS + 1, sizeof(uint64_t));
	uint64_t *scratch = alloc_huge((size_t)nt * 8);
	if (!cnt || !bstart || !scratch) {
		free(cnt);
		free(bstart);
		free(scratch);
		return or_err_set(err, OR_ENOMEM, "pairs: out of memory for the shuffle (%llu pairs)", (unsigned long long)nt);
	}
	const uint64_t seed = cfg->seed;
	const long long nc = (long long)nch;
OMP(omp parallel for schedule(dynamic, 4) num_threads(threads))
	for (long long i = 0; i < nc; i++) {
		uint64_t *cc = cnt + (size_t)i * SHUF_BUCKETS;
		uint64_t hi = ch[i].off_train + ch[i].n_train;
		if (hi > nt)
			hi = nt;
		for (uint64_t p = ch[i].off_train; p < hi; p++)
			cc[shuf_bucket(seed, p)]++;
	}
	/* bucket-major prefix sums: bucket b's part of chunk i starts at pos */
	uint64_t pos = 0;
	for (size_t b = 0; b < SHUF_BUCKETS; b++) {
		bstart[b] = pos;
		for (size_t i = 0; i < nch; i++) {
			uint64_t k = cnt[i * SHUF_BUCKETS + b];
			cnt[i * SHUF_BUCKETS + b] = pos;
			pos += k;
		}
	}
	bstart[SHUF_BUCKETS] = pos;
	or_log_progress(log, "pairs: shuffle", 1, 3, "steps");
	int failed = OR_PAR_OK;
OMP(omp parallel num_threads(threads))
	{
		uint64_t *buf = malloc(maxc * 8);
		uint64_t *wc = aligned_alloc(64, SHUF_BUCKETS * 64);
		uint8_t *wn = malloc(SHUF_BUCKETS);
		if (!buf || !wc || !wn)
			or_par_fail(&failed, OR_PAR_FAILED);
OMP(omp for schedule(dynamic, 2))
		for (long long i = 0; i < nc; i++) {
			if (or_par_stop(&failed, log))
				continue;
			chunk_scatter(stores, cfg, items, &ch[i], nt, buf, scratch, valid,
				      cnt + (size_t)i * SHUF_BUCKETS, wc, wn);
		}
		free(buf);
		free(wc);
		free(wn);
	}
	int rc = OR_OK;
	if (failed == OR_PAR_FAILED)
		rc = or_err_set(err, OR_ENOMEM, "pairs: out of memory for the fill buffers (%zu pairs a chunk)", maxc);
	else if (failed == OR_PAR_CANCELLED)
		rc = or_err_set(err, OR_ECANCELLED, "pairs: interrupted");
	if (!rc) {
		or_log_progress(log, "pairs: shuffle", 2, 3, "steps");
		size_t maxb = 1;
		for (size_t b = 0; b < SHUF_BUCKETS; b++)
			if (bstart[b + 1] - bstart[b] > maxb)
				maxb = (size_t)(bstart[b + 1] - bstart[b]);
		int werr = 0; /* a write failed (its error in werr_e), else out of memory */
		or_err werr_e;
OMP(omp parallel num_threads(threads))
		{
			or_err te;
			uint64_t *p = malloc(maxb * 8);
			if (!p)
				or_par_fail(&failed, OR_PAR_FAILED);
OMP(omp for schedule(dynamic, 1))
			for (long long b = 0; b < SHUF_BUCKETS; b++) {
				if (!p || or_par_failed(&failed))
					continue;
				or_prng r;
				or_prng_seed(&r, seed, 0x20000000000ull + (uint64_t)b);
				const uint64_t *src = scratch + bstart[b];
				size_t m = (size_t)(bstart[b + 1] - bstart[b]);
				/* inside-out Fisher-Yates: a uniform shuffle of the
				   bucket into a cache-resident buffer, then one write */
				for (size_t i = 0; i < m; i++) {
					size_t j = (size_t)or_prng_below(&r, i + 1);
					p[i] = p[j];
					p[j] = src[i];
				}
				if (or_sfile_writer_put(out, SEC_TRAIN, bstart[b] * 8, p, m * 8, &te)) {
					if (or_par_fail(&failed, OR_PAR_FAILED)) {
						werr = 1;
						werr_e = te;
					}
				}
			}
			free(p);
		}
		if (werr)
			rc = or_err_set(err, werr_e.code, "%s", werr_e.msg);
		else if (failed)
			rc = or_err_set(err, OR_ENOMEM, "pairs: out of memory for the shuffle buffers");
		or_log_progress(log, "pairs: shuffle", 3, 3, "steps");
	}
	free(cnt);
	free(bstart);
	free(scratch);
	return rc;
}

int or_pairs_build(or_store *const *stores, size_t n_stores,
		   const or_pairs_config *cfg, const char *path,
		   const or_log *log, or_pairs_stats *st, or_err *err)
{
	if (cfg->window < 1 || cfg->window > 64)
		return or_err_set(err, OR_EINVAL, "pairs: window must be in 1..64, not %d", cfg->window);
	if (cfg->type_mask < 1 || cfg->type_mask > 7)
		return or_err_set(err, OR_EINVAL, "pairs: type mask must select at least one of clicks, carts, orders");
	if (!(cfg->valid_fraction >= 0 && cfg->valid_fraction <= 1) || cfg->max_gap_ms < 0)
		return or_err_set(err, OR_EINVAL, "pairs: valid fraction must be in 0..1 and the gap >= 0");
	const int T = or_par_threads(cfg->threads);
	size_t nch = 0;
	uint64_t n_sessions = 0;
	for (size_t s = 0; s < n_stores; s++) {
		size_t ns = or_store_n_sessions(stores[s]);
		nch += (ns + CHUNK_SESSIONS - 1) / CHUNK_SESSIONS;
		n_sessions += ns;
	}
	/* the models' dictionary: the union of the stores' */
	or_items *dict = NULL;
	int rc = or_items_from_stores(stores, n_stores, &dict, err);
	if (rc)
		return rc;
	const size_t n_items = or_items_count(dict); /* <= OR_AID_MAX + 1: fits the header */
	const uint32_t *item_aids = or_items_aids(dict);
	/* aids 0..n-1: the items are the aids, copied without a lookup */
	const or_items *items = n_items && item_aids[n_items - 1] == n_items - 1 ? NULL : dict;
	chunk *ch = calloc(nch ? nch : 1, sizeof(chunk));
	if (!ch) {
		or_items_free(dict);
		return or_err_set(err, OR_ENOMEM, "pairs: out of memory");
	}
	size_t c = 0;
	for (size_t s = 0; s < n_stores; s++) {
		size_t ns = or_store_n_sessions(stores[s]);
		for (size_t i = 0; i < ns; i += CHUNK_SESSIONS, c++) {
			ch[c].store = s;
			ch[c].s0 = i;
			ch[c].s1 = i + CHUNK_SESSIONS < ns ? i + CHUNK_SESSIONS : ns;
		}
	}
	const long long nchl = (long long)nch;
	/* the count pass reads every event once: the stores' checksums are
	   checked as it goes, and before anything is written */
	or_store_check *chk = or_store_check_new((const or_store *const *)stores, n_stores, OR_STORE_CHECK_ALL);
OMP(omp parallel for schedule(dynamic, 4) num_threads(T))
	for (long long i = 0; i < nchl; i++) {
		chunk_run(stores, cfg, items, &ch[i], NULL, NULL);
		or_store_check_read(chk, ch[i].store, ch[i].s1);
	}
	rc = or_store_check_end(chk, OR_OK, err);
	if (rc) {
		free(ch);
		or_items_free(dict);
		return rc;
	}
	uint64_t nt = 0, nv = 0, nvs = 0;
	for (size_t i = 0; i < nch; i++) {
		ch[i].off_train = nt;
		ch[i].off_valid = nv;
		nt += ch[i].n_train;
		nv += ch[i].n_valid;
		nvs += ch[i].n_vsess;
	}
	if (cfg->valid_last) {
		/* positional hold-out: everything counted as train so far */
		uint64_t k = cfg->valid_last < nt ? cfg->valid_last : nt;
		nt -= k;
		nv = k;
	}
	or_log_progress(log, "pairs: count", 1, 1, "steps");
	const uint64_t bytes[N_SECTIONS] = { nt * 8, nv * 8, (uint64_t)n_items * 4 };
	or_sfile_writer *w = NULL;
	rc = or_sfile_writer_open(&w, path, &pairs_format, bytes, OR_SFILE_MAPPED, err);
	if (rc) {
		free(ch);
		or_items_free(dict);
		return rc;
	}
	/* the layout puts the valid pairs right after the train pairs (8-byte
	   alignment), which the fills below rely on */
	uint32_t *train_sec = or_sfile_writer_map(w, SEC_TRAIN);
	uint32_t *valid_sec = or_sfile_writer_map(w, SEC_VALID);
	rc = or_sfile_writer_put(w, SEC_ITEMS, 0, item_aids, n_items * 4, err);
	if (rc)
		goto fail;
	if (cfg->shuffle && nt > 1) {
		rc = fill_shuffled(stores, cfg, items, ch, nch, nt, w, (uint64_t *)valid_sec, T, log, err);
		if (rc)
			goto fail;
	} else {
		/* store order: with valid_last, train and valid are contiguous
		   and the fill simply runs on past nt */
		int failed = OR_PAR_OK; /* only cancellation */
OMP(omp parallel for schedule(dynamic, 4) num_threads(T))
		for (long long i = 0; i < nchl; i++) {
			if (or_par_stop(&failed, log))
				continue;
			chunk_run(stores, cfg, items, &ch[i], train_sec + 2 * ch[i].off_train,
				  cfg->valid_last ? NULL : valid_sec + 2 * ch[i].off_valid);
		}
		if (failed) {
			rc = or_err_set(err, OR_ECANCELLED, "pairs: interrupted");
			goto fail;
		}
	}
	or_log_progress(log, "pairs: fill", 1, 1, "steps");
	pairs_meta meta = {
		.n_train = nt, .n_valid = nv, .n_items = (uint32_t)n_items, .window = (uint32_t)cfg->window,
		.type_mask = cfg->type_mask,
		.flags = (cfg->shuffle && nt > 1 ? 1u : 0u) | (cfg->valid_last ? 2u : 0u),
		.max_gap_ms = cfg->max_gap_ms, .seed = cfg->seed,
		.valid_param = cfg->valid_last, .n_valid_sessions = cfg->valid_last ? 0 : nvs,
	};
	if (!cfg->valid_last)
		memcpy(&meta.valid_param, &cfg->valid_fraction, 8);
	free(ch);
	or_items_free(dict);
	if (st) {
		st->n_train = nt;
		st->n_valid = nv;
		st->n_valid_sessions = cfg->valid_last ? 0 : nvs;
		st->n_sessions = n_sessions;
		st->n_items = (uint32_t)n_items;
	}
	return or_sfile_writer_commit(w, &meta, sizeof(meta), log, err);
fail:
	free(ch);
	or_items_free(dict);
	or_sfile_writer_abort(w);
	return rc;
}

struct or_pairs {
	or_sfile f;
	uint64_t n_train, n_valid;
	uint32_t n_items;
};

int or_pairs_open(const char *path, or_pairs **out, or_err *err)
{
	*out = NULL;
	or_pairs *p = calloc(1, sizeof(*p));
	if (!p)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	int rc = or_sfile_open(&p->f, path, &pairs_format, err);
	pairs_meta m;
	if (!rc) {
		or_sfile_meta(&p->f, &m, sizeof(m));
		rc = or_sfile_expect(&p->f, SEC_TRAIN, m.n_train, 8, err);
	}
	if (!rc)
		rc = or_sfile_expect(&p->f, SEC_VALID, m.n_valid, 8, err);
	if (!rc)
		rc = or_sfile_expect(&p->f, SEC_ITEMS, m.n_items, 4, err);
	/* the dictionary: checked whole at open (O(n_items), a few ms at OTTO's
	   1.86 M items), since a model's rows are its items */
	if (!rc)
		rc = or_sfile_verify_section(&p->f, SEC_ITEMS, err);
	const uint32_t *a = rc ? NULL : or_sfile_section_data(&p->f, SEC_ITEMS);
	for (uint32_t i = 0; !rc && i < m.n_items; i++)
		if ((i > 0 && a[i] <= a[i - 1]) || a[i] > OR_AID_MAX)
			rc = or_sfile_damaged(&p->f, err, "item dictionary is not strictly increasing in 0..%u at item %u",
					      OR_AID_MAX, i);
	if (rc) {
		or_pairs_free(p);
		return rc;
	}
	p->n_train = m.n_train;
	p->n_valid = m.n_valid;
	p->n_items = m.n_items;
	*out = p;
	return OR_OK;
}

void or_pairs_free(or_pairs *p)
{
	if (!p)
		return;
	or_sfile_release(&p->f);
	free(p);
}

int or_pairs_verify(const or_pairs *p, or_err *err)
{
	int rc = or_sfile_verify(&p->f, NULL, err);
	if (rc)
		return rc;
	const uint32_t *a = or_pairs_train(p);
	size_t n = 2 * (size_t)(p->n_train + p->n_valid);
	for (size_t i = 0; i < n; i++)
		if (a[i] >= p->n_items)
			return or_sfile_damaged(&p->f, err, "pair %zu names item %u, not below the %u items",
						i / 2, a[i], p->n_items);
	return OR_OK;
}

struct or_pairs_check {
	or_sfile_check *c;
};

or_pairs_check *or_pairs_check_new(const or_pairs *p)
{
	or_pairs_check *c = malloc(sizeof(*c));
	if (c && !(c->c = or_sfile_check_new(&p->f, 1u << SEC_TRAIN | 1u << SEC_VALID))) {
		free(c);
		c = NULL;
	}
	return c;
}

void or_pairs_check_train(or_pairs_check *c, size_t n)
{
	if (c)
		or_sfile_check_to(c->c, SEC_TRAIN, (uint64_t)n * 8);
}

int or_pairs_check_end(or_pairs_check *c, int rc, or_err *err)
{
	if (rc != OR_OK && rc != OR_EFORMAT) {
		if (c)
			or_sfile_check_free(c->c);
		free(c);
		return rc;
	}
	if (!c)
		return rc ? rc : or_err_set(err, OR_ENOMEM, "out of memory for a pairs file's checksum check");
	int bad = or_sfile_check_end(c->c, err);
	free(c);
	return bad ? bad : rc;
}

size_t or_pairs_n_train(const or_pairs *p) { return (size_t)p->n_train; }
size_t or_pairs_n_valid(const or_pairs *p) { return (size_t)p->n_valid; }
size_t or_pairs_n_items(const or_pairs *p) { return p->n_items; }
const uint32_t *or_pairs_items(const or_pairs *p) { return or_sfile_section_data(&p->f, SEC_ITEMS); }
const uint32_t *or_pairs_train(const or_pairs *p) { return or_sfile_section_data(&p->f, SEC_TRAIN); }
const uint32_t *or_pairs_valid(const or_pairs *p) { return or_sfile_section_data(&p->f, SEC_VALID); }
