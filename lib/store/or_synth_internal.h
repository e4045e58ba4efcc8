/*
 * or_synth_internal.h - the pieces of the synthetic generator shared by its
 * files and its tests only: the RNG (xoshiro256** seeded by splitmix64),
 * quantile tables for fast lognormal draws, alias tables, the item
 * catalogue (or_synth_catalogue.c) and the session model
 * (or_synth_session.c).  The driver (or_synth.c) shards sessions into chunks
 * and merges them into the builders.
 */
#ifndef OR_SYNTH_INTERNAL_H
#define OR_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "or_err.h"
#include "or_prng.h"
#include "or_synth.h"

/* ---- RNG: xoshiro256** (Blackman & Vigna, or_prng.h), one state per shard,
   seeded by or_synth_rng_seed (not or_prng_seed: the synthetic data's
   streams were seeded this way first, and the data must not change) ---- */

typedef or_prng or_synth_rng;

/* RNG streams: independent sequences derived from (seed, stream, index). */
enum {
	SYNTH_STREAM_GROUPS = 1, /* group sizes, weights, related groups */
	SYNTH_STREAM_ITEMS = 2,  /* per group: item weights, drift, successors */
	SYNTH_STREAM_AIDS = 3,   /* the aid permutation */
	SYNTH_STREAM_TRAIN = 4,  /* per train chunk */
	SYNTH_STREAM_TEST = 5    /* per test chunk */
};

void or_synth_rng_seed(or_synth_rng *r, uint64_t seed, uint64_t stream, uint64_t index);

static inline uint64_t or_synth_next(or_synth_rng *r) { return or_prng_next(r); }

/* uniform in [0, 1) with 53 bits */
static inline double or_synth_unif(or_synth_rng *r) { return or_prng_unit(r); }

/* uniform integer in [0, n), n >= 1 (Lemire's multiply-shift, bias < 2^-32) */
static inline uint32_t or_synth_below(or_synth_rng *r, uint32_t n)
{
	return (uint32_t)(((or_synth_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* standard normal (Box-Muller, one of the pair); for per-session and
   per-item draws, not per event */
double or_synth_normal(or_synth_rng *r);

/* inverse of the standard normal CDF, for building tables (slow) */
double or_synth_probit(double p);

/* ---- quantile tables: a distribution as SYNTH_QN+1 quantiles, drawn by
   interpolation between them (a few ns per draw, no libm call) ---- */

#define SYNTH_QN 1024

typedef struct or_synth_qtab {
	double v[SYNTH_QN + 1];
} or_synth_qtab;

/* lognormal with the given median and sigma, tails cut at the quantiles
   0.5/SYNTH_QN and 1 - 0.5/SYNTH_QN (|z| < 3.3) */
void or_synth_qtab_lognormal(or_synth_qtab *q, double median, double sigma);

static inline double or_synth_qtab_draw(const or_synth_qtab *q, or_synth_rng *r)
{
	uint64_t x = or_synth_next(r);
	uint32_t j = (uint32_t)(((x >> 32) * SYNTH_QN) >> 32);
	double f = (double)(x & 0xffffffu) * 0x1.0p-24;
	return q->v[j] + (q->v[j + 1] - q->v[j]) * f;
}

/* ---- alias tables ---- */

typedef struct or_synth_alias {
	float prob;     /* keep the drawn slot when the fraction is below it */
	uint32_t alias; /* else take this one (an absolute index) */
} or_synth_alias;

/* alias draw over [base, base+m): one 64-bit random, one cache line */
static inline uint32_t or_synth_alias_draw(const or_synth_alias *t, uint32_t base, uint32_t m,
					   or_synth_rng *r)
{
	uint64_t x = or_synth_next(r);
	uint32_t j = base + (uint32_t)(((x >> 32) * (uint64_t)m) >> 32);
	float f = (float)(x & 0xffffffu) * 0x1.0p-24f;
	return f < t[j].prob ? j : t[j].alias;
}

/* ---- the catalogue ---- */

#define SYNTH_KNOTS (OR_SYNTH_TRAIN_WEEKS + 2) /* popularity at each week boundary */
#define SYNTH_SUCC 8                           /* "next item" affinities per item */
#define SYNTH_RELATED 4                        /* related groups per group */

typedef struct or_synth_catalogue {
	uint32_t n_items, n_groups;
	uint32_t *gstart;  /* [n_groups+1]: items of group g are gstart[g]..gstart[g+1]-1 */
	uint32_t *igroup;  /* [n_items]: group of each item */
	uint32_t *succ;    /* [n_items*SYNTH_SUCC]: affinities, same group, strongest first */
	uint32_t *related; /* [n_groups*SYNTH_RELATED] */
	/* alias tables at each knot: over groups, and per group over its items */
	or_synth_alias *gtab[SYNTH_KNOTS]; /* [n_groups] */
	or_synth_alias *itab[SYNTH_KNOTS]; /* [n_items], group g at gstart[g] */
	uint32_t *aid;                  /* [n_items]: public aid of each item */
	void *slab; /* one allocation behind every array above */
} or_synth_catalogue;

/* log popularity of the item at quantile z >= 0 of the popularity rank */
double or_synth_pop_curve(double z);

int or_synth_catalogue_build(or_synth_catalogue *c, const or_synth_config *cfg,
			     size_t n_items, int threads, or_err *err);
void or_synth_catalogue_release(or_synth_catalogue *c);

static inline uint32_t or_synth_draw_group(const or_synth_catalogue *c, int knot, or_synth_rng *r)
{
	return or_synth_alias_draw(c->gtab[knot], 0, c->n_groups, r);
}

static inline uint32_t or_synth_draw_item(const or_synth_catalogue *c, uint32_t g, int knot,
					  or_synth_rng *r)
{
	uint32_t b = c->gstart[g];
	return or_synth_alias_draw(c->itab[knot], b, c->gstart[g + 1] - b, r);
}

/* ---- the session model ---- */

typedef struct or_synth_model {
	const or_synth_catalogue *cat;
	const or_synth_config *cfg;
	or_synth_qtab click_gap;  /* ms between steps of a visit */
	or_synth_qtab cart_gap;   /* ms from a click to its cart */
	or_synth_qtab order_gap;  /* ms from a visit's last event to its order batch */
	or_synth_qtab visit_gap;  /* ms between visits */
} or_synth_model;

void or_synth_model_init(or_synth_model *m, const or_synth_catalogue *cat,
			 const or_synth_config *cfg);

/* A session length target, lognormal(median, sigma) rounded and clipped to
   2..OR_SYNTH_MAX_SESSION (exact tails: Box-Muller, once per session). */
uint32_t or_synth_session_length(double median, double sigma, or_synth_rng *r);

#define SYNTH_NO_ITEM UINT32_MAX

/*
 * Generate one session starting at t_start (< t_end) with a target of
 * n_target events; events never reach t_end (the session stops early when
 * they would, once it has two events).  The first event is of item `landing`
 * unless that is SYNTH_NO_ITEM (then of a popular item of a popular group).
 * Writes internal item indices, ts and types into arrays of room
 * OR_SYNTH_MAX_SESSION; returns the number of events (2..OR_SYNTH_MAX_SESSION).
 */
size_t or_synth_session_gen(const or_synth_model *m, or_synth_rng *r, int64_t t_start,
			    int64_t t_end, uint32_t n_target, uint32_t landing,
			    uint32_t *item, int64_t *ts, uint8_t *type);

#endif
