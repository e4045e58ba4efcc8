/*
 * or_fmt.h - decimal integers written into a caller's buffer, for every
 * text writer of the library (export JSONL/CSV, the submission, labels
 * JSONL): the digit count first (from the bit length), then two digits at
 * a time from the end, 64-bit division only to peel off 8 digits at a time
 * (a ms timestamp has 13).  Written by hand: snprintf is several times
 * slower in export's inner loop.  No terminator is written; each returns
 * the bytes written, at most 20 (the sign included).  Header-only so the
 * writers' loops inline it; the tables live in or_fmt.c.
 */
#ifndef OR_FMT_H
#define OR_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern const char or_fmt_digits2[201];  /* "00" "01" ... "99" */
extern const uint64_t or_fmt_pow10[20]; /* 10^0 .. 10^19 */

/* The number of decimal digits of v (1 for 0). */
static inline unsigned or_fmt_n_digits(uint64_t v)
{
	if (v < 10)
		return 1;
	unsigned bits = 64u - (unsigned)__builtin_clzll(v);
	unsigned t = (bits * 1233u) >> 12; /* floor(bits * log10(2)) */
	return t + (v >= or_fmt_pow10[t]);
}

/* Digits of v < 2^32 ending at e (written backwards, 32-bit arithmetic). */
static inline void or_fmt_u32_back(char *e, uint32_t v)
{
	while (v >= 100) {
		uint32_t r = v % 100;
		v /= 100;
		e -= 2;
		memcpy(e, or_fmt_digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		e -= 2;
		memcpy(e, or_fmt_digits2 + 2 * v, 2);
	} else {
		*--e = (char)('0' + v);
	}
}

/* Exactly 8 digits of v < 10^8, zero-padded, at p. */
static inline void or_fmt_8digits(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;
	memcpy(p, or_fmt_digits2 + 2 * (hi / 100), 2);
	memcpy(p + 2, or_fmt_digits2 + 2 * (hi % 100), 2);
	memcpy(p + 4, or_fmt_digits2 + 2 * (lo / 100), 2);
	memcpy(p + 6, or_fmt_digits2 + 2 * (lo % 100), 2);
}

static inline size_t or_fmt_u64(char *p, uint64_t v)
{
	unsigned n = or_fmt_n_digits(v);
	char *e = p + n;
	while (v > UINT32_MAX) {
		uint64_t q = v / 100000000u;
		e -= 8;
		or_fmt_8digits(e, (uint32_t)(v - q * 100000000u));
		v = q;
	}
	or_fmt_u32_back(e, (uint32_t)v);
	return n;
}

static inline size_t or_fmt_i64(char *p, int64_t v)
{
	if (v >= 0)
		return or_fmt_u64(p, (uint64_t)v);
	*p = '-';
	return 1 + or_fmt_u64(p + 1, 0 - (uint64_t)v);
}

/* The non-negative entries of row[0..n) (a list padded with -1), sep
   between them, at p (room: n * 21 bytes); returns the bytes written. */
static inline size_t or_fmt_id_list(char *p, const int64_t *row, size_t n, char sep)
{
	size_t o = 0;
	for (size_t j = 0; j < n; j++) {
		if (row[j] < 0)
			continue;
		if (o)
			p[o++] = sep;
		o += or_fmt_i64(p + o, row[j]);
	}
	return o;
}

#endif
