/*
 * bench_open.c - times opening an event store (or_store_open + a touch of
 * the first and last session + or_store_free), or with --stats the ranker's
 * item statistics file (or_cand_stats_open, which verifies every section,
 * + or_cand_stats_free), repeated, and prints the median in milliseconds.
 * Used by bench/run.sh and bench/stats.sh.
 */
#include "or_cand_stats_file.h"
#include "or_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int stats = argc == 3 && !strcmp(argv[1], "--stats");
	if (argc != 2 && !stats) {
		fprintf(stderr, "usage: bench_open STORE | bench_open --stats FILE\n");
		return 2;
	}
	enum { RUNS = 21 };
	double t[RUNS];
	unsigned long long sink = 0;
	for (int r = 0; stats && r < RUNS; r++) {
		double t0 = now_ms();
		or_cand_stats *s;
		or_err err;
		if (or_cand_stats_open(argv[2], &s, &err)) {
			fprintf(stderr, "bench_open: %s\n", err.msg);
			return 1;
		}
		sink += or_cand_stats_n_items(s);
		or_cand_stats_free(s);
		t[r] = now_ms() - t0;
	}
	for (int r = 0; !stats && r < RUNS; r++) {
		double t0 = now_ms();
		or_store *st;
		or_err err;
		if (or_store_open(argv[1], &st, &err)) {
			fprintf(stderr, "bench_open: %s\n", err.msg);
			return 1;
		}
		or_session s;
		size_t n = or_store_n_sessions(st);
		if (n) {
			or_store_session(st, 0, &s);
			sink += s.aid[0];
			or_store_session(st, n - 1, &s);
			sink += s.aid[s.n - 1];
		}
		or_store_free(st);
		t[r] = now_ms() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	printf("%s open: median %.3f ms (min %.3f, max %.3f, %d runs) [%llu]\n",
	       stats ? "statistics" : "store", t[RUNS / 2], t[0], t[RUNS - 1], RUNS, sink % 10);
	return 0;
}
