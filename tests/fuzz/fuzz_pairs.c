/*
 * fuzz_pairs.c - libFuzzer target for the pairs file's reader (or_pairs.h):
 * any bytes (checksums made right on even last bytes, fuzz_file.h) are
 * refused with a message or open to a file whose pairs can be read whole,
 * and verified.  Built and run by `make fuzz`; the kept corpus is
 * tests/fuzz/corpus/pairs/.
 */
#include "fuzz_file.h"
#include "or_pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_sfile(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	or_pairs *p;
	or_err err;
	int rc = or_pairs_open(path, &p, &err);
	if (rc != OR_OK && err.msg[0] == '\0')
		__builtin_trap();
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
		if (or_pairs_verify(p, &err) != OR_OK && err.msg[0] == '\0')
			__builtin_trap();
		or_pairs_free(p);
	}
	close(fd);
	return 0;
}
