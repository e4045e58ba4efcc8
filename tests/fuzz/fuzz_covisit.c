/*
 * fuzz_covisit.c - libFuzzer target for the co-visitation table's reader
 * (or_covisit.h): any bytes (checksums made right on even last bytes,
 * fuzz_file.h) are refused with a message or open; an open table is
 * verified (as every command that reads one does, cli_models.c: open
 * checks the dictionary and the offsets' ends, verify every row), and one
 * that passes has every row read as recommend reads it.  Built and run by
 * `make fuzz`; the kept corpus is tests/fuzz/corpus/covisit/.
 */
#include "fuzz_file.h"
#include "or_covisit.h"
#include "or_items.h"

static void one(const char *path)
{
	or_covisit *t;
	or_err err;
	int rc = or_covisit_open(path, &t, &err);
	fuzz_said(rc, &err);
	if (rc == OR_OK) {
		rc = or_covisit_verify(t, &err);
		fuzz_said(rc, &err);
	}
	if (rc == OR_OK) {
		volatile double sum = 0;
		const or_items *d = or_covisit_items(t);
		for (uint64_t i = 0; i <= or_covisit_n_items(t); i++) {
			const uint32_t *nb;
			const double *w;
			size_t n = or_covisit_row(t, i, &nb, &w);
			for (size_t j = 0; j < n; j++)
				sum += w[j] + nb[j];
			if (i < or_covisit_n_items(t))
				sum += or_items_index(d, or_items_aid(d, (uint32_t)i));
		}
		(void)sum;
	}
	or_covisit_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 1, one);
}
