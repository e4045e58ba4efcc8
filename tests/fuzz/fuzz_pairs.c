/*
 * fuzz_pairs.c - libFuzzer target for the pairs file's reader (or_pairs.h):
 * any bytes (checksums made right on even last bytes, fuzz_file.h) are
 * refused with a message or open to a file whose pairs can be read whole,
 * and verified.  Built and run by `make fuzz`; the kept corpus is
 * tests/fuzz/corpus/pairs/.
 */
#include "fuzz_file.h"
#include "or_pairs.h"

static void one(const char *path)
{
	or_pairs *p;
	or_err err;
	int rc = or_pairs_open(path, &p, &err);
	fuzz_said(rc, &err);
	if (rc == OR_OK) {
		volatile uint64_t sum = 0;
		const uint32_t *t = or_pairs_train(p), *v = or_pairs_valid(p);
		for (size_t i = 0; i < 2 * or_pairs_n_train(p); i++)
			sum += t[i];
		for (size_t i = 0; i < 2 * or_pairs_n_valid(p); i++)
			sum += v[i];
		for (size_t i = 0; i < or_pairs_n_items(p); i++)
			sum += or_pairs_items(p)[i];
		(void)sum;
		fuzz_said(or_pairs_verify(p, &err), &err);
		or_pairs_free(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 1, one);
}
