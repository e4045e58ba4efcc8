/*
 * or_mf_fast.c - fast mode: Hogwild SGD over the pairs (word2vec.c's
 * scheme, with its state made explicit).  Thread t of T takes the fixed
 * shard [t n / T, (t+1) n / T) and its own RNG stream (seed, epoch, t);
 * each pair (a, b) gives one positive and `negatives` negatives drawn from
 * the aid_next frequency distribution raised to neg_power; gradients of
 * BCE-with-logits are applied at once with row-wise Adagrad steps.  Rows
 * are updated without locks (Hogwild): with more than one thread the
 * result depends on scheduling; with one thread it depends on the seed
 * only.  Rows (and Adagrad accumulators) of upcoming pairs are prefetched.
 *
 * Negatives (neg_power 1, the default): the aid_next of a pair drawn
 * uniformly from the NEG_WINDOW pairs before this one in the shard
 * (circularly).  In a shuffled pairs file (`ottorec pairs` shuffles) that
 * is a draw from the aid_next frequency distribution - the notebook's own
 * in-batch negatives are the same thing with a window of one batch - and
 * its row was touched a moment ago, so it is in the cache: a negative
 * costs no memory miss (a unigram table costs two: the table entry and the
 * row).  Other powers use word2vec.c's unigram table of 2^k entries.
 */
#include "or_mf_internal.h"
#include "or_pairs.h"
#include "or_prng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PREFETCH_AHEAD 8
#define NEG_WINDOW 1024

/* table[i] for i < size (a power of two): aid_next values, each in
   proportion to count^power. */
static int build_unigram(const uint32_t *pairs, size_t n, size_t n_rows,
			 double power, int threads, uint32_t **out,
			 size_t *out_size, or_err *err)
{
	uint64_t *cnt = calloc(n_rows, sizeof(uint64_t));
	if (!cnt)
		return or_err_set(err, OR_ENOMEM, "mf: out of memory for aid counts");
	for (size_t i = 0; i < n; i++) {
		uint32_t b = pairs[2 * i + 1];
		if (b < n_rows)
			cnt[b]++;
	}
	size_t size = 1u << 16;
	while (size < 8 * n_rows && size < ((size_t)1 << 25))
		size <<= 1;
	uint32_t *t = malloc(size * sizeof(uint32_t));
	if (!t) {
		free(cnt);
		return or_err_set(err, OR_ENOMEM, "mf: out of memory for the unigram table");
	}
	double total = 0;
	for (size_t r = 0; r < n_rows; r++)
		if (cnt[r])
			total += pow((double)cnt[r], power);
	size_t pos = 0;
	double cum = 0;
	uint32_t last = 0;
	for (size_t r = 0; r < n_rows && total > 0; r++) {
		if (!cnt[r])
			continue;
		cum += pow((double)cnt[r], power);
		size_t end = (size_t)(cum / total * (double)size);
		if (end > size)
			end = size;
		for (; pos < end; pos++)
			t[pos] = (uint32_t)r;
		last = (uint32_t)r;
	}
	for (; pos < size; pos++)
		t[pos] = last;
	(void)threads;
	free(cnt);
	*out = t;
	*out_size = size;
	return OR_OK;
}

/* all cache lines of a row of d floats, for writing */
static inline void prefetch_row(const float *row, size_t d)
{
	for (size_t o = 0; o < d * sizeof(float); o += 64)
		__builtin_prefetch((const char *)row + o, 1);
}

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

int or_mf_train_fast_epoch(or_mf_model *m, const or_mf_config *cfg,
			   const uint32_t *train, size_t n,
			   const or_log *log, double *loss, or_err *err)
{
	*loss = 0;
	if (n == 0)
		return OR_OK;
	const size_t d = m->dim, nr = m->n_rows;
	const int T = or_par_threads(cfg->threads);
	size_t first_bad = SIZE_MAX;
	const long long nl = (long long)n;
	/* in stretches of 8 MiB, each checksummed (cfg->check) while in cache */
	for (long long lo = 0; lo < nl; lo += 1 << 20) {
		const long long hi = nl - lo < (1 << 20) ? nl : lo + (1 << 20);
OMP(omp parallel for schedule(static) num_threads(T) reduction(min : first_bad))
		for (long long i = lo; i < hi; i++)
			if ((train[2 * i] >= nr || train[2 * i + 1] >= nr) && (size_t)i < first_bad)
				first_bad = (size_t)i;
		or_pairs_check_train(cfg->check, (size_t)hi);
	}
	if (first_bad != SIZE_MAX)
		return or_err_set(err, OR_EFORMAT, "mf: pair %zu has aid %u -> %u, beyond the model's %zu rows", first_bad, train[2 * first_bad], train[2 * first_bad + 1], nr);
	/* window negatives need shards of at least 2 pairs */
	const int use_window = cfg->neg_power == 1.0 && n >= 2 * (size_t)T;
	uint32_t *table = NULL;
	size_t tsize = 1;
	if (!use_window) {
		int rc = build_unigram(train, n, nr, cfg->neg_power, cfg->threads, &table, &tsize, err);
		if (rc)
			return rc;
	}
	const int K = cfg->negatives;
	const float lr = (float)cfg->lr;
	const or_mf_kernels *k = or_mf_kernels_pick(cfg->simd);
	const uint64_t tmask = tsize - 1;
	float *E = m->emb, *acc = m->acc;
	double lsum = 0;
	int failed = OR_PAR_OK; /* only cancellation: thread 0 looks */
	const uint64_t epoch = m->epoch;
OMP(omp parallel num_threads(T) reduction(+ : lsum))
	{
		int t = or_par_thread_num();
		size_t lo = n / (size_t)T * (size_t)t + (n % (size_t)T < (size_t)t ? n % (size_t)T : (size_t)t);
		size_t hi = lo + n / (size_t)T + ((size_t)t < n % (size_t)T);
		or_prng r;
		or_prng_seed(&r, cfg->seed, (epoch << 20) + 0x300000000ull + (uint64_t)t);
		float ga[4096];
		uint32_t ring[PREFETCH_AHEAD][16];
		int kk = K > 16 ? 16 : K;
		const size_t len = hi - lo;
		const uint64_t win = len - 1 < NEG_WINDOW ? len - 1 : NEG_WINDOW;
		if (!use_window)
			for (size_t i = lo; i < hi && i < lo + PREFETCH_AHEAD; i++)
				for (int q = 0; q < kk; q++)
					ring[(i - lo) % PREFETCH_AHEAD][q] = table[or_prng_next(&r) & tmask];
		double l = 0;
		for (size_t i = lo; i < hi; i++) {
			size_t slot = (i - lo) % PREFETCH_AHEAD;
			uint32_t negs[16];
			if (i + PREFETCH_AHEAD < hi) {
				const uint32_t *pp = train + 2 * (i + PREFETCH_AHEAD);
				prefetch_row(E + (size_t)pp[0] * d, d);
				prefetch_row(E + (size_t)pp[1] * d, d);
				__builtin_prefetch(acc + pp[0], 1);
				__builtin_prefetch(acc + pp[1], 1);
			}
			if (use_window) {
				for (int q = 0; q < kk; q++) {
					/* uniform in 1..win pairs back, circularly */
					uint64_t off = 1 + (((or_prng_next(&r) >> 32) * win) >> 32);
					size_t j = i - lo >= off ? i - off : i + len - off;
					negs[q] = train[2 * j + 1];
				}
			} else {
				memcpy(negs, ring[slot], sizeof(uint32_t) * (size_t)kk);
				if (i + PREFETCH_AHEAD < hi)
					for (int q = 0; q < kk; q++) {
						uint32_t ng = table[or_prng_next(&r) & tmask];
						ring[slot][q] = ng;
						prefetch_row(E + (size_t)ng * d, d);
						__builtin_prefetch(acc + ng, 1);
					}
			}
			uint32_t a = train[2 * i], b = train[2 * i + 1];
			float *ea = E + (size_t)a * d;
			float na2 = k->dot(ea, ea, d);
			memset(ga, 0, d * sizeof(float));
			for (int q = -1; q < kk; q++) {
				uint32_t c = q < 0 ? b : negs[q];
				if (q >= 0 && c == b)
					continue;
				float label = q < 0 ? 1.0f : 0.0f;
				float *ec = E + (size_t)c * d;
				float x = k->dot(ea, ec, d);
				float sx = sigm(x);
				float g = sx - label;
				if ((i & 7) == 0) /* loss estimated on every 8th pair */
					l += or_mf_bcef(x, q < 0);
				k->axpy(g, ec, ga, d);
				float sc = or_mf_adagrad_scale_sq(acc + c, g * g * na2 / (float)d, lr);
				k->axpy(-sc * g, ea, ec, d);
			}
			float sa = or_mf_adagrad_scale_sq(acc + a, k->dot(ga, ga, d) / (float)d, lr);
			k->axpy(-sa, ga, ea, d);
			if (((i - lo) & 0xffff) == 0xffff) {
				if (t == 0) {
					if (or_log_cancelled(log))
						or_par_fail(&failed, OR_PAR_CANCELLED);
					or_log_progress(log, "train (fast)", (double)(i - lo) * T, (double)n, "pairs");
				}
				if (or_par_failed(&failed))
					break;
			}
		}
		lsum += l;
	}
	free(table);
	if (failed)
		return or_err_set(err, OR_ECANCELLED, "mf: training interrupted");
	or_log_progress(log, "train (fast)", (double)n, (double)n, "pairs");
	/* mean over the outputs of the sampled pairs (every 8th) */
	*loss = lsum / ((double)((n + 7) / 8) * (1 + K));
	return OR_OK;
}
