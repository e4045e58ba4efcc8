/*
 * fuzz_cand_stats.c - libFuzzer target for the reader of the ranker's item
 * statistics file (or_cand_stats_file.h): any bytes (checksums made right
 * on even last bytes, fuzz_file.h) are refused with a message or open; an
 * open file has every item's features, next-item row and the week's top
 * lists read as the candidates read them, and its sources listed.  Built
 * and run by `make fuzz`; the kept corpus is tests/fuzz/corpus/cand_stats/.
 */
#include "fuzz_file.h"
#include "or_cand_stats_internal.h"

static void one(const char *path)
{
	or_cand_stats *s = NULL;
	or_err err;
	int rc = or_cand_stats_open(path, &s, &err);
	fuzz_said(rc, &err);
	if (rc == OR_OK) {
		volatile double sum = or_cand_stats_period_days(s);
		size_t n = or_cand_stats_n_items(s);
		const uint32_t *aids = or_items_aids(s->items);
		for (size_t i = 0; i < n; i++) {
			float x[OR_CF_N];
			or_cand_stats_features(s, aids[i], x);
			sum += x[OR_CF_I_CLICKS] + x[OR_CF_I_TREND];
			const uint32_t *nx;
			const float *p;
			size_t len = or_cand_stats_next(s, aids[i], &nx, &p);
			for (size_t j = 0; j < len; j++)
				sum += p[j] + or_items_index(s->items, nx[j]);
		}
		uint32_t top[100];
		for (unsigned t = 0; t < 3; t++) {
			size_t m = or_cand_stats_top_week(s, t, 100, top);
			for (size_t j = 0; j < m; j++)
				sum += top[j];
		}
		const or_cand_stats_source *src = or_cand_stats_sources(s);
		for (size_t k = 0; k < or_cand_stats_n_sources(s); k++)
			sum += (double)strlen(src[k].path) + (double)src[k].n_events;
		(void)sum;
	}
	or_cand_stats_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 1, one);
}
