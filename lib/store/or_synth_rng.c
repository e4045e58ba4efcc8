/*
 * or_synth_rng.c - the random-number side of the synthetic generator:
 * seeding xoshiro256** states (or_prng.h) from (seed, stream, index) with
 * or_prng.h's splitmix64, normal draws, the inverse normal CDF and
 * lognormal quantile tables (declarations in or_synth_internal.h).
 */
#include "or_synth_internal.h"

#include <math.h>

void or_synth_rng_seed(or_synth_rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
	/* mix the three parts through splitmix64 one after another, so that
	   nearby (seed, stream, index) triples give unrelated states */
	uint64_t x = seed;
	uint64_t h = or_prng_splitmix(&x);
	x = h ^ (stream * 0xd1b54a32d192ed03ull);
	h = or_prng_splitmix(&x);
	x = h ^ (index * 0x8cb92ba72f3d8dd7ull);
	for (int i = 0; i < 4; i++)
		r->s[i] = or_prng_splitmix(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1; /* the all-zero state is the one xoshiro must avoid */
}

double or_synth_normal(or_synth_rng *r)
{
	double u1 = 1.0 - or_synth_unif(r); /* (0, 1] */
	double u2 = or_synth_unif(r);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double or_synth_probit(double p)
{
	/* bisection on the normal CDF: slow, exact to double precision, and
	   only used to build tables */
	double lo = -40.0, hi = 40.0;
	for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
		double mid = 0.5 * (lo + hi);
		double cdf = 0.5 * erfc(-mid / sqrt(2.0));
		if (cdf < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

void or_synth_qtab_lognormal(or_synth_qtab *q, double median, double sigma)
{
	for (int j = 0; j <= SYNTH_QN; j++) {
		double p = (double)j / SYNTH_QN;
		if (j == 0)
			p = 0.5 / SYNTH_QN;
		else if (j == SYNTH_QN)
			p = 1.0 - 0.5 / SYNTH_QN;
		q->v[j] = median * exp(sigma * or_synth_probit(p));
	}
}
