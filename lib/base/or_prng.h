/*
 * or_prng.h - the library's small explicit-state generators (pairs, mf,
 * ann, synth): splitmix64 (seeding, hashing), xoshiro256** (streams), uniform
 * bounded integers (Lemire), standard normals (Box-Muller) and Fisher-Yates
 * permutations.  Every stream is derived from (seed, stream id) so results
 * depend on the seed and the work split, never on thread scheduling.
 * Header-only: the functions are small and sit in inner loops.
 */
#ifndef OR_PRNG_H
#define OR_PRNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct or_prng {
	uint64_t s[4];
} or_prng;

/* splitmix64 step: advances *x and returns a well-mixed 64-bit value. */
static inline uint64_t or_prng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A stateless 64-bit hash of (seed, x). */
static inline uint64_t or_prng_hash(uint64_t seed, uint64_t x)
{
	uint64_t s = seed ^ (x * 0xd1b54a32d192ed03ull);
	return or_prng_splitmix(&s);
}

/* Seed stream `stream` of generator `seed`. */
static inline void or_prng_seed(or_prng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ or_prng_hash(0x6a09e667f3bcc909ull, stream);
	for (int i = 0; i < 4; i++)
		r->s[i] = or_prng_splitmix(&x);
}

static inline uint64_t or_prng_next(or_prng *r)
{
	uint64_t *s = r->s;
	uint64_t t = s[1] << 17, x = s[1] * 5;
	uint64_t out = ((x << 7) | (x >> 57)) * 9;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return out;
}

/* Uniform integer in [0, n), n >= 1 (Lemire's nearly divisionless method). */
static inline uint64_t or_prng_below(or_prng *r, uint64_t n)
{
	__uint128_t m = (__uint128_t)or_prng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = (0 - n) % n;
		while (lo < t) {
			m = (__uint128_t)or_prng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double or_prng_unit(or_prng *r)
{
	return (double)(or_prng_next(r) >> 11) * 0x1.0p-53;
}

/* Two independent standard normals (Box-Muller). */
static inline void or_prng_normal2(or_prng *r, double *z0, double *z1)
{
	double u1 = 1.0 - or_prng_unit(r); /* (0, 1] */
	double u2 = or_prng_unit(r);
	double rad = sqrt(-2.0 * log(u1));
	*z0 = rad * cos(6.283185307179586 * u2);
	*z1 = rad * sin(6.283185307179586 * u2);
}

/* perm[0..n) = a uniform random permutation of 0..n-1 (Fisher-Yates). */
static inline void or_prng_permutation(or_prng *r, uint32_t *perm, size_t n)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)or_prng_below(r, i);
		uint32_t t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

#endif
