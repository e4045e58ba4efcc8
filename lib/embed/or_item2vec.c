/*
 * or_item2vec.c - item2vec training (or_item2vec.h says what is computed):
 * the vocabulary and the corpus built from event stores, the downsampling
 * thresholds, the negatives' sampler (an alias table over the rows, or
 * over the runs of rows of equal count), the Hogwild epoch loop over
 * blocks of sentences, the result in aid order and its word2vec text file.
 *
 * Layout for speed: the tables' rows are in order of decreasing count
 * (ties: the smaller aid first), as gensim sorts its vocabulary, so the
 * frequent items - most centers, contexts and negatives - share a few
 * cache lines and pages; the corpus is one array of those row numbers,
 * built once and read sequentially every epoch.  A block's pairs are
 * planned (window, negatives) a few pairs ahead of their training and
 * their rows prefetched then, one pair's prefetches per pair trained (a
 * CBOW position's - its contexts' input rows and its targets' output rows -
 * CBOW_AHEAD positions ahead, in the same way), so
 * the memory misses of a large table overlap the work before them without
 * coming in bursts; only the few most frequent items' downsampling
 * thresholds are read (the items above a prefix of the rows are always kept).
 */
#include "or_item2vec_internal.h"
#include "or_items.h"
#include "or_par.h"
#include "or_prng.h"
#include "or_store.h"
#include "or_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define BLOCK_WORDS 10000 /* corpus words per block (gensim's batch_words) */

void or_i2v_config_default(or_i2v_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dim = 32;
	cfg->window = 5;
	cfg->negative = 5;
	cfg->ns_exponent = 0.75;
	cfg->sample = 1e-3;
	cfg->min_count = 1;
	cfg->epochs = 5;
	cfg->alpha = 0.025;
	cfg->min_alpha = 0.0001;
	cfg->seed = 1;
	cfg->simd = 1;
	cfg->cbow_mean = 1;
	cfg->neg_rows_max = OR_I2V_NEG_ROWS_MAX;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t or_i2v_keep_threshold(uint64_t c, double threshold_count)
{
	const uint64_t always = (uint64_t)1 << 32;
	if (c == 0 || threshold_count <= 0)
		return always;
	double p = (sqrt((double)c / threshold_count) + 1.0) * (threshold_count / (double)c);
	if (p >= 1.0)
		return always;
	return (uint64_t)llround(p * 4294967296.0);
}

int or_i2v_alias_build(const double *w, size_t n, or_i2v_alias *tab, or_err *err)
{
	if (n == 0 || n > UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "item2vec: alias table of %zu entries", n);
	double *p = malloc(n * sizeof(*p));
	uint32_t *small = malloc(n * sizeof(*small)), *large = malloc(n * sizeof(*large));
	if (!p || !small || !large) {
		free(p);
		free(small);
		free(large);
		return or_err_set(err, OR_ENOMEM, "item2vec: out of memory for the negatives' table (%zu items)", n);
	}
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	size_t ns = 0, nl = 0;
	for (size_t i = 0; i < n; i++) {
		p[i] = w[i] / total * (double)n;
		if (p[i] < 1.0)
			small[ns++] = (uint32_t)i;
		else
			large[nl++] = (uint32_t)i;
	}
	/* Vose: pair each short entry with a long one; the stacks' order is
	   fixed, so the table is a function of w alone */
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];
		tab[s].thr = (uint32_t)fmin(p[s] * 4294967296.0, 4294967295.0);
		tab[s].alias = l;
		p[l] -= 1.0 - p[s];
		if (p[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	/* what is left has probability 1 up to rounding */
	while (nl) {
		uint32_t l = large[--nl];
		tab[l].thr = UINT32_MAX;
		tab[l].alias = l;
	}
	while (ns) {
		uint32_t s = small[--ns];
		tab[s].thr = UINT32_MAX;
		tab[s].alias = s;
	}
	free(p);
	free(small);
	free(large);
	return OR_OK;
}

int or_i2v_negs_build(const uint64_t *count, size_t n, double exponent, size_t row_table_max,
		      or_i2v_negs *out, or_err *err)
{
	memset(out, 0, sizeof(*out));
	if (n == 0 || n > UINT32_MAX)
		return or_err_set(err, OR_EINVAL, "item2vec: negatives over %zu items", n);
	const int by_run = n > row_table_max;
	size_t m = n; /* the table's entries: rows, or runs of equal count */
	if (by_run) {
		m = 1;
		for (size_t i = 1; i < n; i++)
			m += count[i] != count[i - 1];
	}
	or_i2v_alias *tab = malloc(m * sizeof(*tab));
	or_i2v_neg_span *span = by_run ? malloc(m * sizeof(*span)) : NULL;
	double *w = malloc(m * sizeof(*w));
	if (!tab || (by_run && !span) || !w) {
		free(tab);
		free(span);
		free(w);
		return or_err_set(err, OR_ENOMEM, "item2vec: out of memory for the negatives' table (%zu entries)", m);
	}
	/* entry r: rows [i, j), one row unless by_run */
	for (size_t i = 0, r = 0; i < n; r++) {
		size_t j = i + 1;
		while (by_run && j < n && count[j] == count[i])
			j++;
		if (span) {
			span[r].start = (uint32_t)i;
			span[r].len = (uint32_t)(j - i);
		}
		w[r] = (double)(j - i) * pow((double)count[i], exponent);
		i = j;
	}
	int rc = or_i2v_alias_build(w, m, tab, err);
	free(w);
	if (rc) {
		free(tab);
		free(span);
		return rc;
	}
	out->tab = tab;
	out->span = span;
	out->n = (uint32_t)m;
	return OR_OK;
}

void or_i2v_negs_release(or_i2v_negs *s)
{
	free(s->tab);
	free(s->span);
	memset(s, 0, sizeof(*s));
}

/* ---- vocabulary and corpus ------------------------------------------- */

typedef struct corpus {
	or_items *items;
	size_t n_items, n_vocab;
	uint32_t *vocab_item;   /* rank -> item */
	uint64_t *count;        /* rank -> count */
	uint32_t *words;        /* ranks, sentence after sentence */
	uint64_t n_words;
	uint64_t *sent;         /* sentence s = words[sent[s], sent[s+1]) */
	size_t n_sent;
	size_t *block;          /* block b = sentences [block[b], block[b+1]) */
	size_t n_blocks;
} corpus;

static void corpus_release(corpus *c)
{
	or_items_free(c->items);
	free(c->vocab_item);
	free(c->count);
	free(c->words);
	free(c->sent);
	free(c->block);
	memset(c, 0, sizeof(*c));
}

typedef struct rank_key {
	uint64_t count;
	uint32_t item;
} rank_key;

static int rank_cmp(const void *a, const void *b)
{
	const rank_key *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

/* The items of session events aid[0..n) into idx (collapsed runs out when
   asked); the count kept. */
static size_t session_items(const or_items *items, const uint32_t *aid, size_t n, int collapse,
			    uint32_t *idx)
{
	or_items_index_many(items, aid, n, idx);
	if (!collapse)
		return n;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || aid[i] != aid[i - 1])
			idx[m++] = idx[i];
	return m;
}

static size_t max_session(struct or_store *const *stores, size_t n_stores)
{
	size_t mx = 1;
	for (size_t s = 0; s < n_stores; s++) {
		const uint64_t *off = or_store_offsets(stores[s]);
		size_t ns = or_store_n_sessions(stores[s]);
		for (size_t i = 0; i < ns; i++)
			if (off[i + 1] - off[i] > mx)
				mx = (size_t)(off[i + 1] - off[i]);
	}
	return mx;
}

static int corpus_build(corpus *c, struct or_store *const *stores, size_t n_stores,
			const or_i2v_config *cfg, or_err *err)
{
	memset(c, 0, sizeof(*c));
	int rc = or_items_from_stores(stores, n_stores, &c->items, err);
	if (rc)
		return rc;
	c->n_items = or_items_count(c->items);
	size_t cap = max_session(stores, n_stores);
	uint32_t *idx = malloc(cap * sizeof(*idx));
	uint64_t *cnt = calloc(c->n_items ? c->n_items : 1, sizeof(*cnt));
	uint32_t *rank_of = malloc((c->n_items ? c->n_items : 1) * sizeof(*rank_of));
	rank_key *keys = NULL;
	if (!idx || !cnt || !rank_of) {
		rc = or_err_set(err, OR_ENOMEM, "item2vec: out of memory for counts of %zu items", c->n_items);
		goto out;
	}
	/* pass 1: counts */
	for (size_t s = 0; s < n_stores; s++) {
		const uint64_t *off = or_store_offsets(stores[s]);
		const uint32_t *aid = or_store_aids(stores[s]);
		size_t ns = or_store_n_sessions(stores[s]);
		for (size_t i = 0; i < ns; i++) {
			size_t m = session_items(c->items, aid + off[i], (size_t)(off[i + 1] - off[i]),
						 cfg->collapse_repeats, idx);
			for (size_t k = 0; k < m; k++)
				if (idx[k] != OR_ITEM_NONE)
					cnt[idx[k]]++;
		}
	}
	/* the vocabulary, by decreasing count */
	for (size_t i = 0; i < c->n_items; i++)
		c->n_vocab += cnt[i] >= cfg->min_count;
	if (c->n_vocab == 0) {
		rc = or_err_set(err, OR_EFORMAT, "item2vec: no item occurs %llu times or more (%zu items)",
				(unsigned long long)cfg->min_count, c->n_items);
		goto out;
	}
	keys = malloc(c->n_vocab * sizeof(*keys));
	c->vocab_item = malloc(c->n_vocab * sizeof(*c->vocab_item));
	c->count = malloc(c->n_vocab * sizeof(*c->count));
	if (!keys || !c->vocab_item || !c->count) {
		rc = or_err_set(err, OR_ENOMEM, "item2vec: out of memory for a vocabulary of %zu items", c->n_vocab);
		goto out;
	}
	size_t v = 0;
	for (size_t i = 0; i < c->n_items; i++)
		if (cnt[i] >= cfg->min_count)
			keys[v++] = (rank_key){ cnt[i], (uint32_t)i };
	qsort(keys, c->n_vocab, sizeof(*keys), rank_cmp);
	for (size_t i = 0; i < c->n_items; i++)
		rank_of[i] = UINT32_MAX;
	for (size_t r = 0; r < c->n_vocab; r++) {
		c->vocab_item[r] = keys[r].item;
		c->count[r] = keys[r].count;
		rank_of[keys[r].item] = (uint32_t)r;
		c->n_words += keys[r].count;
	}
	/* pass 2: the corpus in ranks, sentences without a vocabulary word left out */
	size_t n_sess = 0;
	for (size_t s = 0; s < n_stores; s++)
		n_sess += or_store_n_sessions(stores[s]);
	c->words = malloc((c->n_words ? c->n_words : 1) * sizeof(*c->words));
	c->sent = malloc((n_sess + 1) * sizeof(*c->sent));
	if (!c->words || !c->sent) {
		rc = or_err_set(err, OR_ENOMEM, "item2vec: out of memory for a corpus of %llu words",
				(unsigned long long)c->n_words);
		goto out;
	}
	uint64_t w = 0;
	c->sent[0] = 0;
	for (size_t s = 0; s < n_stores; s++) {
		const uint64_t *off = or_store_offsets(stores[s]);
		const uint32_t *aid = or_store_aids(stores[s]);
		size_t ns = or_store_n_sessions(stores[s]);
		for (size_t i = 0; i < ns; i++) {
			size_t m = session_items(c->items, aid + off[i], (size_t)(off[i + 1] - off[i]),
						 cfg->collapse_repeats, idx);
			uint64_t w0 = w;
			for (size_t k = 0; k < m; k++)
				if (idx[k] != OR_ITEM_NONE && rank_of[idx[k]] != UINT32_MAX)
					c->words[w++] = rank_of[idx[k]];
			if (w > w0)
				c->sent[++c->n_sent] = w;
		}
		or_store_evict(stores[s], 0, or_store_n_events(stores[s]));
	}
	/* blocks of at least BLOCK_WORDS words (the last one may be shorter) */
	size_t max_blocks = (size_t)(c->n_words / BLOCK_WORDS) + 2;
	c->block = malloc((max_blocks + 1) * sizeof(*c->block));
	if (!c->block) {
		rc = or_err_set(err, OR_ENOMEM, "item2vec: out of memory");
		goto out;
	}
	c->block[0] = 0;
	for (size_t s = 0; s < c->n_sent; s++)
		if (c->sent[s + 1] - c->sent[c->block[c->n_blocks]] >= BLOCK_WORDS || s + 1 == c->n_sent)
			c->block[++c->n_blocks] = s + 1;
out:
	free(idx);
	free(cnt);
	free(rank_of);
	free(keys);
	if (rc)
		corpus_release(c);
	return rc;
}

/* ---- training --------------------------------------------------------- */

/* n floats, 64-byte aligned, zeroed, in transparent huge pages where the
   kernel gives them (the tables are read at random) */
static float *table_alloc(size_t n, size_t *bytes)
{
	size_t b;
	if (or_size_mul(n, sizeof(float), &b))
		return NULL;
	b = (b + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1);
	void *p = mmap(NULL, b, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, b, MADV_HUGEPAGE);
#endif
	*bytes = b;
	return p;
}

typedef struct trainer {
	const or_i2v_config *cfg;
	const corpus *c;
	const or_i2v_kernels *k;
	or_i2v_tables tab;
	or_i2v_negs negs;
	uint64_t *keep;         /* rank -> downsampling threshold */
	size_t n_down;          /* ranks below: downsampled; at and above: always kept */
	float *syn0, *syn1;
	size_t syn0_bytes, syn1_bytes;
	uint64_t *block_word0;  /* block -> corpus words before it */
	double *block_loss;
	uint64_t *block_pairs, *block_eff;
} trainer;

#define PAIR_RING 16 /* planned pairs held (a power of 2, > PAIR_AHEAD) */
#define OR_I2V_PAIR_AHEAD 6 /* pairs planned, rows prefetched, ahead of training */

#define NEG_AHEAD 64 /* negatives resolved at a time (a power of 2) */

/* The stream of negatives, resolved NEG_AHEAD at a time in a loop that
   keeps the generator in registers.  With the per-row table the random
   numbers are drawn NEG_AHEAD ahead and their entries prefetched when
   drawn, so that a negative costs no wait on the table; the runs' table
   is in cache and takes two numbers a negative, drawn when resolved. */
typedef struct neg_ring {
	uint64_t r[NEG_AHEAD];   /* per-row form: the numbers drawn ahead */
	uint32_t neg[NEG_AHEAD]; /* resolved: neg[pos..NEG_AHEAD) are next */
	unsigned pos;
	or_prng g;
} neg_ring;

#define CBOW_AHEAD 3 /* CBOW positions planned, rows prefetched, ahead of training */

/* One planned pair: the context's row, the targets (the center, then the
   negatives that were not the center) and the sentence's learning rate;
   or one planned CBOW position: its contexts' rows ctxs[0..nc) instead. */
typedef struct pair_plan {
	uint32_t ctx;
	int nt;
	float alpha;
	uint32_t *tgt;  /* 1 + negative */
	int nc;
	uint32_t *ctxs; /* CBOW: 2 x window */
} pair_plan;

/* Where the planner is in its block: sentence s (its kept words, the
   current center i and its window [j, hi)), and its two random streams. */
typedef struct planner {
	size_t s, s_end;
	size_t n, i, j, hi;
	float alpha;
	uint64_t e_words, word0, eff;
	or_prng r;
	neg_ring neg;
	int ncneg;                         /* shared negatives: the center's */
	uint32_t cneg[OR_I2V_MAX_NEGATIVE];
} planner;

typedef struct block_ws {
	uint32_t kept[OR_I2V_MAX_SENTENCE];
	pair_plan ring[PAIR_RING];
	planner p;
	float *work, *dots, *neu1;
} block_ws;

static inline void prefetch_row(const float *row, size_t d)
{
	for (size_t o = 0; o < d * sizeof(float); o += 64)
		__builtin_prefetch((const char *)row + o, 1);
}

static inline const or_i2v_alias *alias_entry(const or_i2v_negs *negs, uint64_t r)
{
	return negs->tab + (((r >> 32) * (uint64_t)negs->n) >> 32);
}

static void neg_ring_init(neg_ring *q, const trainer *t, uint64_t stream)
{
	or_prng_seed(&q->g, t->cfg->seed, stream);
	if (!t->negs.span)
		for (unsigned i = 0; i < NEG_AHEAD; i++) {
			q->r[i] = or_prng_next(&q->g);
			__builtin_prefetch(alias_entry(&t->negs, q->r[i]));
		}
	q->pos = NEG_AHEAD;
}

/* The next NEG_AHEAD negatives: the same stream, in the same order, as
   one draw at a time. */
static void neg_ring_refill(neg_ring *q, const or_i2v_negs *negs)
{
	or_prng g = q->g;
	if (!negs->span)
		for (unsigned i = 0; i < NEG_AHEAD; i++) {
			uint64_t r = q->r[i], nx = or_prng_next(&g);
			q->r[i] = nx;
			__builtin_prefetch(alias_entry(negs, nx));
			q->neg[i] = or_i2v_alias_draw(negs->tab, negs->n, r);
		}
	else
		for (unsigned i = 0; i < NEG_AHEAD; i++) {
			uint64_t r1 = or_prng_next(&g), r2 = or_prng_next(&g);
			q->neg[i] = or_i2v_negs_draw_runs(negs, r1, r2);
		}
	q->g = g;
	q->pos = 0;
}

static inline uint32_t neg_ring_draw(neg_ring *q, const or_i2v_negs *negs)
{
	if (q->pos == NEG_AHEAD)
		neg_ring_refill(q, negs);
	return q->neg[q->pos++];
}

/* Center i of the planner's sentence: its reduced window. */
static void plan_center(trainer *t, block_ws *ws, size_t i)
{
	planner *p = &ws->p;
	const size_t W = (size_t)t->cfg->window;
	size_t red = (size_t)(((or_prng_next(&p->r) >> 32) * (uint64_t)W) >> 32);
	p->i = i;
	p->j = i + red >= W ? i + red - W : 0;
	p->hi = i + W + 1 - red;
	if (p->hi > p->n)
		p->hi = p->n;
	prefetch_row(t->syn1 + (size_t)ws->kept[i] * t->cfg->dim, t->cfg->dim);
	if (t->cfg->shared_negatives) {
		/* one draw of the negatives for all the center's pairs */
		const uint32_t center = ws->kept[i];
		p->ncneg = 0;
		for (int q = 0; q < t->cfg->negative; q++) {
			uint32_t ng = neg_ring_draw(&p->neg, &t->negs);
			if (ng != center) {
				p->cneg[p->ncneg++] = ng;
				prefetch_row(t->syn1 + (size_t)ng * t->cfg->dim, t->cfg->dim);
			}
		}
	}
}

/* The next sentence of the block with two kept words or more (its
   downsampling drawn, its learning rate set); 0 at the block's end. */
static int plan_sentence(trainer *t, block_ws *ws)
{
	const or_i2v_config *cfg = t->cfg;
	const corpus *c = t->c;
	planner *p = &ws->p;
	const double total = (double)c->n_words * cfg->epochs;
	while (p->s < p->s_end) {
		const uint32_t *sw = c->words + c->sent[p->s];
		size_t len = (size_t)(c->sent[p->s + 1] - c->sent[p->s]);
		p->s++;
		double prog = ((double)p->e_words + (double)p->word0) / total;
		p->word0 += len;
		float alpha = (float)(cfg->alpha - (cfg->alpha - cfg->min_alpha) * prog);
		p->alpha = alpha < (float)cfg->min_alpha ? (float)cfg->min_alpha : alpha;
		size_t n = 0;
		for (size_t i = 0; i < len && n < OR_I2V_MAX_SENTENCE; i++) {
			if (sw[i] < t->n_down && (or_prng_next(&p->r) >> 32) >= t->keep[sw[i]])
				continue;
			ws->kept[n++] = sw[i];
		}
		p->eff += n;
		p->n = n;
		if (n >= 2) {
			plan_center(t, ws, 0);
			return 1;
		}
	}
	return 0;
}

/* K negatives drawn into tgt[m..), a draw equal to the center skipped,
   their rows prefetched; the targets' count. */
static inline int plan_negatives(trainer *t, planner *p, uint32_t *tgt, int m, int K, uint32_t center)
{
	const size_t d = t->cfg->dim;
	for (int q = 0; q < K; q++) {
		uint32_t ng = neg_ring_draw(&p->neg, &t->negs);
		if (ng == center)
			continue;
		tgt[m++] = ng;
		prefetch_row(t->syn1 + (size_t)ng * d, d);
	}
	return m;
}

/* The block's next pair into pp, its rows prefetched; 0 at the block's
   end.  The draws are taken in the order of the pairs, so how far ahead
   the planner runs does not change them. */
static int plan_pair(trainer *t, block_ws *ws, pair_plan *pp)
{
	planner *p = &ws->p;
	const size_t d = t->cfg->dim;
	int K = t->cfg->negative;
	for (;;) {
		if (p->j < p->hi) {
			if (p->j != p->i)
				break;
			p->j++;
			continue;
		}
		if (p->i + 1 < p->n)
			plan_center(t, ws, p->i + 1);
		else if (!plan_sentence(t, ws))
			return 0;
	}
	const uint32_t center = ws->kept[p->i];
	int m = 0;
	pp->tgt[m++] = center;
	if (t->cfg->shared_negatives) {
		for (int q = 0; q < p->ncneg; q++)
			pp->tgt[m++] = p->cneg[q];
		K = 0;
	}
	pp->nt = plan_negatives(t, p, pp->tgt, m, K, center);
	pp->alpha = p->alpha;
	pp->ctx = ws->kept[p->j++];
	prefetch_row(t->syn0 + (size_t)pp->ctx * d, d);
	return 1;
}

/* The block's next CBOW position into pp (its contexts, the sentence's
   kept words within its reduced window but itself; its center and
   negatives), their rows prefetched; 0 at the block's end.  The draws in
   the order of the positions: the window's, then the negatives'. */
static int plan_position(trainer *t, block_ws *ws, pair_plan *pp)
{
	planner *p = &ws->p;
	const size_t d = t->cfg->dim;
	while (p->j >= p->hi) {
		if (p->i + 1 < p->n)
			plan_center(t, ws, p->i + 1);
		else if (!plan_sentence(t, ws))
			return 0;
	}
	int nc = 0;
	for (size_t j = p->j; j < p->hi; j++) {
		if (j == p->i)
			continue;
		pp->ctxs[nc++] = ws->kept[j];
		prefetch_row(t->syn0 + (size_t)ws->kept[j] * d, d);
	}
	p->j = p->hi; /* the center is planned */
	pp->nc = nc;
	const uint32_t center = ws->kept[p->i];
	pp->tgt[0] = center;
	pp->nt = plan_negatives(t, p, pp->tgt, 1, t->cfg->negative, center);
	pp->alpha = p->alpha;
	return 1;
}

/* Train block b of epoch e: its pairs (cbow: its positions) in order,
   each planned OR_I2V_PAIR_AHEAD pairs (CBOW_AHEAD positions) ahead of its
   training so that the memory misses of its rows overlap the work before
   it.  Inlined for each constant cbow, so each mode's loop has no test of
   the mode. */
static inline __attribute__((always_inline)) void train_block_mode(trainer *t, block_ws *ws, int e,
								   size_t b, const int cbow)
{
	const corpus *c = t->c;
	const size_t d = t->cfg->dim;
	const uint64_t stream = (uint64_t)e * c->n_blocks + b;
	planner *p = &ws->p;
	p->s = c->block[b];
	p->s_end = c->block[b + 1];
	p->n = p->i = p->j = p->hi = 0;
	p->e_words = (uint64_t)e * c->n_words;
	p->word0 = t->block_word0[b];
	p->eff = 0;
	or_prng_seed(&p->r, t->cfg->seed, 2 * stream);
	neg_ring_init(&p->neg, t, 2 * stream + 1);
	double loss = 0;
	uint64_t pairs = 0;
	size_t head = 0;
	int more = 1;
	const size_t ahead = cbow ? CBOW_AHEAD : OR_I2V_PAIR_AHEAD;
	while (head < ahead && (more = cbow ? plan_position(t, ws, &ws->ring[head])
					     : plan_pair(t, ws, &ws->ring[head])))
		head++;
	for (size_t tail = 0; tail < head; tail++) {
		pair_plan *next = &ws->ring[head & (PAIR_RING - 1)];
		if (more && (more = cbow ? plan_position(t, ws, next) : plan_pair(t, ws, next)))
			head++;
		const pair_plan *pp = &ws->ring[tail & (PAIR_RING - 1)];
		if (cbow)
			loss += t->k->cbow(t->syn0, pp->ctxs, pp->nc, t->cfg->cbow_mean, t->syn1, pp->tgt,
					   pp->nt, d, pp->alpha, &t->tab, ws->neu1, ws->work, ws->dots);
		else
			loss += t->k->pair(t->syn0 + (size_t)pp->ctx * d, t->syn1, pp->tgt, pp->nt, d,
					   pp->alpha, &t->tab, ws->work, ws->dots);
		pairs++;
	}
	t->block_loss[b] = loss;
	t->block_pairs[b] = pairs;
	t->block_eff[b] = p->eff;
}

static void train_block(trainer *t, block_ws *ws, int e, size_t b)
{
	if (t->cfg->cbow)
		train_block_mode(t, ws, e, b, 1);
	else
		train_block_mode(t, ws, e, b, 0);
}

static void trainer_release(trainer *t)
{
	or_i2v_negs_release(&t->negs);
	free(t->keep);
	if (t->syn0)
		munmap(t->syn0, t->syn0_bytes);
	if (t->syn1)
		munmap(t->syn1, t->syn1_bytes);
	free(t->block_word0);
	free(t->block_loss);
	free(t->block_pairs);
	free(t->block_eff);
}

static int trainer_init(trainer *t, const or_i2v_config *cfg, const corpus *c, or_err *err)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->c = c;
	t->k = or_i2v_kernels_pick(cfg->simd, cfg->dim);
	or_i2v_tables_init(&t->tab);
	const size_t nv = c->n_vocab, d = cfg->dim;
	size_t cells;
	if (or_size_mul(nv, d, &cells))
		return or_err_set(err, OR_ENOMEM, "item2vec: %zu x %zu table overflows", nv, d);
	t->keep = malloc(nv * sizeof(*t->keep));
	t->syn0 = table_alloc(cells, &t->syn0_bytes);
	t->syn1 = table_alloc(cells, &t->syn1_bytes);
	size_t nb = c->n_blocks ? c->n_blocks : 1;
	t->block_word0 = malloc(nb * sizeof(*t->block_word0));
	t->block_loss = calloc(nb, sizeof(*t->block_loss));
	t->block_pairs = calloc(nb, sizeof(*t->block_pairs));
	t->block_eff = calloc(nb, sizeof(*t->block_eff));
	if (!t->keep || !t->syn0 || !t->syn1 || !t->block_word0 ||
	    !t->block_loss || !t->block_pairs || !t->block_eff) {
		trainer_release(t);
		return or_err_set(err, OR_ENOMEM, "item2vec: out of memory for %zu x %zu tables", nv, d);
	}
	double thr_count = cfg->sample * (double)c->n_words;
	for (size_t r = 0; r < nv; r++) {
		t->keep[r] = cfg->sample > 0 ? or_i2v_keep_threshold(c->count[r], thr_count) : (uint64_t)1 << 32;
		if (t->keep[r] <= UINT32_MAX)
			t->n_down = r + 1;
	}
	int rc = or_i2v_negs_build(c->count, nv, cfg->ns_exponent, cfg->neg_rows_max, &t->negs, err);
	if (rc) {
		trainer_release(t);
		return rc;
	}
	/* input vectors uniform in +-1/dim (gensim 4), each row from the stream of its aid */
	for (size_t r = 0; r < nv; r++) {
		or_prng g;
		or_prng_seed(&g, cfg->seed, 0x1000000000ull + or_items_aid(c->items, c->vocab_item[r]));
		float *row = t->syn0 + r * d;
		for (size_t j = 0; j < d; j++)
			row[j] = (float)((2.0 * or_prng_unit(&g) - 1.0) / (double)d);
	}
	uint64_t acc = 0;
	for (size_t b = 0; b < c->n_blocks; b++) {
		t->block_word0[b] = acc;
		acc += c->sent[c->block[b + 1]] - c->sent[c->block[b]];
	}
	return OR_OK;
}

static int check_config(const or_i2v_config *cfg, or_err *err)
{
	if (cfg->dim < 1 || cfg->dim > 4096)
		return or_err_set(err, OR_EINVAL, "item2vec: dim %zu is not in 1..4096", cfg->dim);
	if (cfg->window < 1 || cfg->window > 1000)
		return or_err_set(err, OR_EINVAL, "item2vec: window %d is not in 1..1000", cfg->window);
	if (cfg->negative < 1 || cfg->negative > OR_I2V_MAX_NEGATIVE)
		return or_err_set(err, OR_EINVAL, "item2vec: negative %d is not in 1..%d", cfg->negative,
				  OR_I2V_MAX_NEGATIVE);
	if (!(cfg->sample >= 0 && cfg->sample < 1))
		return or_err_set(err, OR_EINVAL, "item2vec: sample %g is not in [0, 1)", cfg->sample);
	if (!isfinite(cfg->ns_exponent) || fabs(cfg->ns_exponent) > 10)
		return or_err_set(err, OR_EINVAL, "item2vec: ns_exponent %g is not in -10..10", cfg->ns_exponent);
	if (cfg->cbow && cfg->shared_negatives)
		return or_err_set(err, OR_EINVAL, "item2vec: shared_negatives is for skip-gram (CBOW draws a center's negatives once already)");
	if (cfg->cbow_mean != 0 && cfg->cbow_mean != 1)
		return or_err_set(err, OR_EINVAL, "item2vec: cbow_mean %d is not 0 or 1", cfg->cbow_mean);
	if (cfg->min_count < 1)
		return or_err_set(err, OR_EINVAL, "item2vec: min_count must be at least 1");
	if (cfg->epochs < 1)
		return or_err_set(err, OR_EINVAL, "item2vec: epochs %d is below 1", cfg->epochs);
	if (!(cfg->alpha > 0 && cfg->alpha <= 10) || !(cfg->min_alpha >= 0 && cfg->min_alpha <= cfg->alpha))
		return or_err_set(err, OR_EINVAL, "item2vec: alpha %g, min_alpha %g (need 0 <= min_alpha <= alpha <= 10, alpha > 0)",
				  cfg->alpha, cfg->min_alpha);
	return OR_OK;
}

static void ws_free(block_ws *ws)
{
	if (!ws)
		return;
	free(ws->ring[0].tgt);
	free(ws->ring[0].ctxs);
	free(ws->work);
	free(ws->dots);
	free(ws->neu1);
	free(ws);
}

static int ws_alloc(block_ws **out, const or_i2v_config *cfg)
{
	block_ws *ws = calloc(1, sizeof(*ws));
	*out = ws;
	if (!ws)
		return -1;
	const size_t nt = (size_t)cfg->negative + 1;
	uint32_t *tgt = malloc(PAIR_RING * nt * sizeof(*tgt));
	for (int k = 0; k < PAIR_RING; k++)
		ws->ring[k].tgt = tgt ? tgt + (size_t)k * nt : NULL;
	ws->work = malloc(cfg->dim * sizeof(*ws->work));
	ws->dots = malloc(nt * sizeof(*ws->dots));
	if (!tgt || !ws->work || !ws->dots)
		return -1;
	if (!cfg->cbow)
		return 0;
	const size_t nc = 2 * (size_t)cfg->window;
	uint32_t *ctxs = malloc(PAIR_RING * nc * sizeof(*ctxs));
	for (int k = 0; k < PAIR_RING; k++)
		ws->ring[k].ctxs = ctxs ? ctxs + (size_t)k * nc : NULL;
	ws->neu1 = malloc(cfg->dim * sizeof(*ws->neu1));
	return ctxs && ws->neu1 ? 0 : -1;
}

int or_i2v_train(struct or_store *const *stores, size_t n_stores, const or_i2v_config *cfg,
		 const or_log *log, or_i2v_progress_fn progress, void *ctx,
		 or_i2v_model *out, or_i2v_stats *st_out, or_err *err)
{
	memset(out, 0, sizeof(*out));
	or_i2v_stats st;
	memset(&st, 0, sizeof(st));
	int rc = check_config(cfg, err);
	if (rc)
		return rc;
	if (n_stores == 0)
		return or_err_set(err, OR_EINVAL, "item2vec: no stores");
	double t0 = now_s();
	corpus c;
	rc = corpus_build(&c, stores, n_stores, cfg, err);
	if (rc)
		return rc;
	trainer t;
	rc = trainer_init(&t, cfg, &c, err);
	if (rc) {
		corpus_release(&c);
		return rc;
	}
	st.items = c.n_items;
	st.vocab = c.n_vocab;
	st.sentences = c.n_sent;
	st.corpus_words = c.n_words;
	st.epochs = cfg->epochs;
	st.words_total = c.n_words * (uint64_t)cfg->epochs;
	st.kernels = t.k->name;
	st.negatives_table = t.negs.span ? "runs" : "rows";
	double t1 = now_s();
	st.corpus_seconds = t1 - t0;
	const int T = or_par_threads(cfg->threads);
	(void)T; /* unused without OpenMP (NO_OMP=1) */
	int failed = OR_PAR_OK;
	uint64_t words_done = 0;
	for (int e = 0; e < cfg->epochs && !failed; e++) {
		st.epoch = e + 1;
		const long long nb = (long long)c.n_blocks;
		double loss0 = 0;
		uint64_t pairs0 = 0;
OMP(omp parallel num_threads(T))
		{
			block_ws *ws = NULL;
			if (ws_alloc(&ws, cfg))
				or_par_fail(&failed, OR_PAR_FAILED);
			const int tid = or_par_thread_num();
OMP(omp for schedule(dynamic, 1))
			for (long long b = 0; b < nb; b++) {
				if (or_par_stop(&failed, log))
					continue;
				train_block(&t, ws, e, (size_t)b);
				uint64_t words = c.sent[c.block[b + 1]] - c.sent[c.block[b]];
				uint64_t dn = __atomic_add_fetch(&words_done, words, __ATOMIC_RELAXED);
				if (tid == 0) {
					loss0 += t.block_loss[b];
					pairs0 += t.block_pairs[b];
					if (progress) {
						or_i2v_stats p = st;
						p.words = dn;
						p.seconds = now_s() - t1;
						p.words_per_s = p.seconds > 0 ? (double)dn / p.seconds : 0;
						p.loss = pairs0 ? loss0 / (double)pairs0 : 0;
						double prog = (double)dn / (double)(st.words_total ? st.words_total : 1);
						p.alpha = cfg->alpha - (cfg->alpha - cfg->min_alpha) * prog;
						progress(ctx, &p);
					}
				}
			}
			ws_free(ws);
		}
		/* the epoch's figures in block order: the same for any schedule */
		double loss = 0;
		uint64_t pairs = 0;
		for (size_t b = 0; b < c.n_blocks; b++) {
			loss += t.block_loss[b];
			pairs += t.block_pairs[b];
			st.effective_words += t.block_eff[b];
		}
		st.pairs += pairs;
		st.loss = pairs ? loss / (double)pairs : 0;
		if (e < 16)
			st.epoch_loss[e] = st.loss;
		st.words = words_done;
		st.seconds = now_s() - t1;
		st.words_per_s = st.seconds > 0 ? (double)st.words / st.seconds : 0;
		st.alpha = cfg->alpha - (cfg->alpha - cfg->min_alpha) * (double)(e + 1) / cfg->epochs;
		if (progress && !failed) {
			st.epoch_end = 1;
			progress(ctx, &st);
			st.epoch_end = 0;
		}
	}
	rc = or_par_result(failed, err, "item2vec");
	if (!rc) {
		out->n_rows = c.n_vocab;
		out->dim = cfg->dim;
		out->aids = malloc(c.n_vocab * sizeof(*out->aids));
		out->vectors = malloc(c.n_vocab * cfg->dim * sizeof(*out->vectors));
		uint32_t *rank_of_item = malloc(c.n_items * sizeof(*rank_of_item));
		if (!out->aids || !out->vectors || !rank_of_item) {
			rc = or_err_set(err, OR_ENOMEM, "item2vec: out of memory for the result");
		} else {
			for (size_t i = 0; i < c.n_items; i++)
				rank_of_item[i] = UINT32_MAX;
			for (size_t r = 0; r < c.n_vocab; r++)
				rank_of_item[c.vocab_item[r]] = (uint32_t)r;
			size_t row = 0;
			for (size_t i = 0; i < c.n_items; i++) {
				if (rank_of_item[i] == UINT32_MAX)
					continue;
				out->aids[row] = or_items_aid(c.items, (uint32_t)i);
				memcpy(out->vectors + row * cfg->dim, t.syn0 + (size_t)rank_of_item[i] * cfg->dim,
				       cfg->dim * sizeof(float));
				row++;
			}
		}
		free(rank_of_item);
		if (rc)
			or_i2v_model_release(out);
	}
	trainer_release(&t);
	corpus_release(&c);
	if (st_out)
		*st_out = st;
	return rc;
}

void or_i2v_model_release(or_i2v_model *m)
{
	if (!m)
		return;
	free(m->aids);
	free(m->vectors);
	memset(m, 0, sizeof(*m));
}

int or_i2v_write_text(const char *path, const or_i2v_model *m, or_err *err)
{
	or_file f;
	memset(&f, 0, sizeof(f));
	int rc = or_file_open(&f, path, err);
	if (rc)
		return rc;
	char *p = or_file_reserve(&f, 64, err);
	if (!p) {
		or_file_abort(&f);
		return err ? err->code : OR_ENOMEM;
	}
	or_file_advance(&f, (size_t)snprintf(p, 64, "%zu %zu\n", m->n_rows, m->dim));
	for (size_t r = 0; r < m->n_rows && !rc; r++) {
		size_t need = 16 + m->dim * 20;
		p = or_file_reserve(&f, need, err);
		if (!p) {
			rc = err ? err->code : OR_ENOMEM;
			break;
		}
		size_t n = (size_t)snprintf(p, need, "%u", m->aids[r]);
		const float *v = m->vectors + r * m->dim;
		for (size_t j = 0; j < m->dim; j++)
			n += (size_t)snprintf(p + n, need - n, " %.9g", (double)v[j]);
		p[n++] = '\n';
		or_file_advance(&f, n);
	}
	if (!rc)
		rc = or_file_commit(&f, err);
	if (rc)
		or_file_abort(&f);
	return rc;
}
