/*
 * or_synth_catalogue.c - the item catalogue of the synthetic generator:
 * groups (categories) of heavy-tailed sizes, heavy-tailed item popularity
 * (a normal rank shared in part by a group, through a fitted curve) that
 * drifts week by week (a random walk per group and per item, kept at
 * SYNTH_KNOTS week boundaries), alias tables
 * for drawing groups and items at each knot, "next item" affinities inside a
 * group, related groups, and the random permutation from internal item
 * index to public aid.  Everything is derived from (seed, group index), so
 * the catalogue is the same whatever the thread count.
 */
#include "or_synth_internal.h"
#include "or_par.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* A group's weekly drift step is this fraction of an item's. */
#define SYNTH_GROUP_DRIFT 0.6
/* Spread of group sizes (sd of log size). */
#define SYNTH_GROUP_SIZE_SIGMA 0.8

/* Log popularity of an item at normal quantile z >= 0 of the popularity
   rank: piecewise linear through these knots (z = 0, p75, p90, p95, p99.9,
   p99.99, 5), fitted at full scale (docs/synth.md) so that events per item
   come out with OTTO's percentiles: p50 20, p75 56, p90 183, p95 398, mean
   117, sd 729, max ~129k.  The curve is steeper than the counts because
   landings and affinities lift the rare items. */
#define POP_KNOTS 7
static const double pop_z[POP_KNOTS] = { 0, 0.674, 1.2816, 1.6449, 3.0902, 3.719, 5.0 };
static const double pop_lw[POP_KNOTS] = { 0, 1.83, 3.03, 3.96, 7.17, 8.3, 9.4 };

double or_synth_pop_curve(double z)
{
	int k = 1;
	while (k < POP_KNOTS - 1 && z > pop_z[k])
		k++;
	/* beyond the last knot: the last segment's slope */
	return pop_lw[k - 1] + (pop_lw[k] - pop_lw[k - 1]) *
					     (z - pop_z[k - 1]) / (pop_z[k] - pop_z[k - 1]);
}

/* Vose's alias method over w[0..m), written at t[base..base+m). */
static void alias_build(const double *w, uint32_t m, uint32_t base, or_synth_alias *t,
			double *scaled, uint32_t *small, uint32_t *large)
{
	double sum = 0;
	for (uint32_t j = 0; j < m; j++)
		sum += w[j];
	if (!(sum > 0)) {
		for (uint32_t j = 0; j < m; j++) {
			t[base + j].prob = 1.0f;
			t[base + j].alias = base + j;
		}
		return;
	}
	uint32_t ns = 0, nl = 0;
	for (uint32_t j = 0; j < m; j++) {
		scaled[j] = w[j] * (double)m / sum;
		if (scaled[j] < 1.0)
			small[ns++] = j;
		else
			large[nl++] = j;
	}
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];
		t[base + s].prob = (float)scaled[s];
		t[base + s].alias = base + l;
		scaled[l] = (scaled[l] + scaled[s]) - 1.0;
		if (scaled[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl) {
		uint32_t l = large[--nl];
		t[base + l].prob = 1.0f;
		t[base + l].alias = base + l;
	}
	while (ns) {
		uint32_t s = small[--ns];
		t[base + s].prob = 1.0f;
		t[base + s].alias = base + s;
	}
}

void or_synth_catalogue_release(or_synth_catalogue *c)
{
	if (!c)
		return;
	free(c->slab);
	memset(c, 0, sizeof(*c));
}

/* Carve the slab: 4-byte index arrays first, then the 8-byte alias tables. */
static int catalogue_alloc(or_synth_catalogue *c, or_err *err)
{
	size_t n = c->n_items, g = c->n_groups;
	size_t words = 0, t;
	size_t parts[] = {
		g + 1, n, n, 0, g * SYNTH_RELATED, 1, /* 1: pad to 8 bytes */
		SYNTH_KNOTS * g * 2, SYNTH_KNOTS * n * 2
	};
	if (or_size_mul(n, SYNTH_SUCC, &parts[3]))
		return or_err_set(err, OR_ENOMEM, "catalogue of %zu items is too large", n);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (or_size_add(words, parts[i], &words))
			return or_err_set(err, OR_ENOMEM, "catalogue of %zu items is too large", n);
	if (or_size_mul(words, 4, &t))
		return or_err_set(err, OR_ENOMEM, "catalogue of %zu items is too large", n);
	uint32_t *p = malloc(t);
	if (!p)
		return or_err_set(err, OR_ENOMEM, "out of memory for a catalogue of %zu items (%zu bytes)",
				  n, t);
	c->slab = p;
	c->gstart = p, p += g + 1;
	c->igroup = p, p += n;
	c->aid = p, p += n;
	c->succ = p, p += n * SYNTH_SUCC;
	c->related = p, p += g * SYNTH_RELATED;
	if ((uintptr_t)p % 8)
		p++;
	or_synth_alias *a = (or_synth_alias *)p;
	for (int k = 0; k < SYNTH_KNOTS; k++) {
		c->gtab[k] = a, a += g;
		c->itab[k] = a, a += n;
	}
	return OR_OK;
}

/* Group sizes: one item each, the rest shared in proportion to lognormal
   weights by cumulative rounding (exact total, deterministic). */
static void group_sizes(or_synth_catalogue *c, or_synth_rng *r, double *tmp)
{
	uint32_t g = c->n_groups;
	double sum = 0;
	for (uint32_t i = 0; i < g; i++)
		sum += tmp[i] = exp(SYNTH_GROUP_SIZE_SIGMA * or_synth_normal(r));
	uint64_t rest = c->n_items - g;
	double cum = 0;
	c->gstart[0] = 0;
	for (uint32_t i = 0; i < g; i++) {
		cum += tmp[i];
		uint64_t upto = (uint64_t)floor((double)rest * cum / sum + 0.5);
		if (upto > rest || i == g - 1)
			upto = rest;
		c->gstart[i + 1] = (uint32_t)(upto + i + 1);
	}
	for (uint32_t i = 0; i < g; i++)
		for (uint32_t j = c->gstart[i]; j < c->gstart[i + 1]; j++)
			c->igroup[j] = i;
}

typedef struct cat_scratch {
	double *w;         /* [SYNTH_KNOTS+1][max group] weights; last row: base */
	double *drift;     /* [max group] an item's random walk */
	double *scaled;
	uint32_t *small, *large;
	or_synth_alias *btab; /* [max group] alias over base weights, local indices */
} cat_scratch;

static int scratch_init(cat_scratch *s, uint32_t m)
{
	memset(s, 0, sizeof(*s));
	s->w = malloc(sizeof(double) * (SYNTH_KNOTS + 1) * (size_t)m);
	s->drift = malloc(sizeof(double) * (size_t)m);
	s->scaled = malloc(sizeof(double) * (size_t)m);
	s->small = malloc(sizeof(uint32_t) * (size_t)m);
	s->large = malloc(sizeof(uint32_t) * (size_t)m);
	s->btab = malloc(sizeof(or_synth_alias) * (size_t)m);
	return s->w && s->drift && s->scaled && s->small && s->large && s->btab ? 0 : -1;
}

static void scratch_release(cat_scratch *s)
{
	free(s->w);
	free(s->drift);
	free(s->scaled);
	free(s->small);
	free(s->large);
	free(s->btab);
}

/* Weights, alias tables and affinities of the items of group g; adds the
   group's total weight at each knot to gw[k * n_groups + g]. */
static void build_group(or_synth_catalogue *c, const or_synth_config *cfg, uint32_t g,
			double zg, const double *gdrift, double *gw, cat_scratch *s)
{
	or_synth_rng r;
	or_synth_rng_seed(&r, cfg->seed, SYNTH_STREAM_ITEMS, g);
	uint32_t b = c->gstart[g], m = c->gstart[g + 1] - b;
	double *base = s->w + (size_t)SYNTH_KNOTS * m;
	const double wg = sqrt(cfg->group_share), wi = sqrt(1.0 - cfg->group_share);
	for (uint32_t j = 0; j < m; j++) {
		/* split normal: a long tail of hits above the median item, a
		   short one of rarities below it */
		double z = wg * zg + wi * or_synth_normal(&r);
		base[j] = z > 0 ? cfg->pop_spread * or_synth_pop_curve(z) : cfg->pop_sigma_low * z;
		s->drift[j] = 0;
	}
	for (int k = 0; k < SYNTH_KNOTS; k++) {
		double *w = s->w + (size_t)k * m;
		double tot = 0;
		for (uint32_t j = 0; j < m; j++) {
			if (k > 0)
				s->drift[j] += cfg->drift_sigma * or_synth_normal(&r);
			w[j] = exp(base[j] + s->drift[j]);
			tot += w[j];
		}
		alias_build(w, m, b, c->itab[k], s->scaled, s->small, s->large);
		gw[(size_t)k * c->n_groups + g] = tot * exp(gdrift[(size_t)k * c->n_groups + g]);
	}
	/* affinities: inside the group, never the item itself (unless the
	   group has one item) */
	uint32_t *out = c->succ + (size_t)b * SYNTH_SUCC;
	if (m == 1) {
		for (int k = 0; k < SYNTH_SUCC; k++)
			out[k] = b;
		return;
	}
	for (uint32_t j = 0; j < m; j++)
		base[j] = exp(base[j]);
	alias_build(base, m, 0, s->btab, s->scaled, s->small, s->large);
	for (uint32_t j = 0; j < m; j++, out += SYNTH_SUCC) {
		/* slot 0: the next item of a ring through the group (a product
		   line: item-specific, not predictable from popularity) */
		out[0] = b + (j + 1) % m;
		for (int k = 1; k < SYNTH_SUCC; k++) {
			uint32_t x = j;
			for (int tries = 0; tries < 8 && x == j; tries++)
				x = or_synth_alias_draw(s->btab, 0, m, &r);
			if (x == j)
				x = (j + 1) % m;
			out[k] = b + x;
		}
	}
}

int or_synth_catalogue_build(or_synth_catalogue *c, const or_synth_config *cfg,
			     size_t n_items, int threads, or_err *err)
{
	memset(c, 0, sizeof(*c));
	if (n_items < 2 || n_items > OR_AID_MAX)
		return or_err_set(err, OR_EINVAL, "catalogue size %zu is outside 2..%u",
				  n_items, OR_AID_MAX);
	double ng = floor((double)n_items / cfg->group_size + 0.5);
	if (ng < 1)
		ng = 1;
	if (ng > (double)n_items / 2)
		ng = floor((double)n_items / 2);
	c->n_items = (uint32_t)n_items;
	c->n_groups = (uint32_t)ng;
	int rc = catalogue_alloc(c, err);
	if (rc)
		return rc;
	uint32_t G = c->n_groups;
	/* group level: sizes, popularity level, drift at each knot */
	double *gdrift = malloc(sizeof(double) * (size_t)G * SYNTH_KNOTS);
	double *zg = malloc(sizeof(double) * (size_t)G);
	double *gw = calloc((size_t)G * SYNTH_KNOTS, sizeof(double));
	double *tmp = malloc(sizeof(double) * (size_t)G);
	if (!gdrift || !zg || !gw || !tmp) {
		free(gdrift);
		free(zg);
		free(gw);
		free(tmp);
		or_synth_catalogue_release(c);
		return or_err_set(err, OR_ENOMEM, "out of memory for %u groups", G);
	}
	or_synth_rng r;
	or_synth_rng_seed(&r, cfg->seed, SYNTH_STREAM_GROUPS, 0);
	group_sizes(c, &r, tmp);
	for (uint32_t g = 0; g < G; g++) {
		zg[g] = or_synth_normal(&r);
		double d = 0;
		for (int k = 0; k < SYNTH_KNOTS; k++) {
			if (k > 0)
				d += SYNTH_GROUP_DRIFT * cfg->drift_sigma * or_synth_normal(&r);
			gdrift[(size_t)k * G + g] = d;
		}
	}
	uint32_t max_m = 1;
	for (uint32_t g = 0; g < G; g++)
		if (c->gstart[g + 1] - c->gstart[g] > max_m)
			max_m = c->gstart[g + 1] - c->gstart[g];

	/* item level, in parallel over groups (each group has its own RNG) */
	int failed = OR_PAR_OK;
	OMP(omp parallel num_threads(threads > 0 ? threads : 1))
	{
		cat_scratch s;
		int ok = scratch_init(&s, max_m) == 0;
		if (!ok)
			or_par_fail(&failed, OR_PAR_FAILED);
		OMP(omp for schedule(dynamic, 16))
		for (uint32_t g = 0; g < G; g++)
			if (ok)
				build_group(c, cfg, g, zg[g], gdrift, gw, &s);
		scratch_release(&s);
	}
	free(gdrift);
	free(zg);
	if (failed) {
		free(gw);
		free(tmp);
		or_synth_catalogue_release(c);
		return or_err_set(err, OR_ENOMEM, "out of memory building the catalogue");
	}

	/* group alias tables per knot, related groups */
	uint32_t *small = malloc(sizeof(uint32_t) * G), *large = malloc(sizeof(uint32_t) * G);
	double *scaled = malloc(sizeof(double) * G);
	if (!small || !large || !scaled) {
		free(small);
		free(large);
		free(scaled);
		free(gw);
		free(tmp);
		or_synth_catalogue_release(c);
		return or_err_set(err, OR_ENOMEM, "out of memory for %u groups", G);
	}
	for (int k = 0; k < SYNTH_KNOTS; k++)
		alias_build(gw + (size_t)k * G, G, 0, c->gtab[k], scaled, small, large);
	or_synth_rng_seed(&r, cfg->seed, SYNTH_STREAM_GROUPS, 1);
	for (uint32_t g = 0; g < G; g++)
		for (int k = 0; k < SYNTH_RELATED; k++) {
			uint32_t x = g;
			for (int tries = 0; tries < 8 && x == g && G > 1; tries++)
				x = or_synth_draw_group(c, 0, &r);
			c->related[(size_t)g * SYNTH_RELATED + k] = x;
		}
	free(small);
	free(large);
	free(scaled);
	free(gw);
	free(tmp);

	/* public aids: a random permutation, so that aid says nothing about
	   group or popularity */
	or_synth_rng_seed(&r, cfg->seed, SYNTH_STREAM_AIDS, 0);
	for (uint32_t i = 0; i < c->n_items; i++)
		c->aid[i] = i;
	for (uint32_t i = c->n_items - 1; i > 0; i--) {
		uint32_t j = or_synth_below(&r, i + 1);
		uint32_t t = c->aid[i];
		c->aid[i] = c->aid[j];
		c->aid[j] = t;
	}
	return OR_OK;
}
