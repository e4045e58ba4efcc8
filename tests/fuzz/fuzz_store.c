/*
 * fuzz_store.c - libFuzzer target for the event store's reader: any bytes
 * opened as a store (fuzz_file.h makes its checksums right on even last
 * bytes) must be refused with a message, or open to a store whose every
 * session can be walked the way commands walk it (offsets, aids, times,
 * types) without a read outside the file; then verified.  Built and run by
 * `make fuzz`; the kept corpus is tests/fuzz/corpus/store/.
 */
#include "fuzz_file.h"
#include "or_store.h"

static void one(const char *path)
{
	or_store *st;
	or_err err;
	int rc = or_store_open(path, &st, &err);
	fuzz_said(rc, &err);
	if (rc == OR_OK) {
		volatile uint64_t sum = 0;
		uint64_t by_type[OR_N_TYPES] = { 0, 0, 0 };
		for (size_t i = 0; i < or_store_n_sessions(st); i++) {
			or_session s;
			or_store_session(st, i, &s);
			for (size_t j = 0; j < s.n; j++) {
				sum += s.aid[j] + (uint64_t)s.ts[j];
				if (s.type[j] < OR_N_TYPES)
					by_type[s.type[j]]++;
			}
		}
		sum += by_type[0];
		(void)sum;
		fuzz_said(or_store_verify(st, NULL, &err), &err);
		or_store_free(st);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 1, one);
}
