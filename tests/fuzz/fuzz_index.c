/*
 * fuzz_index.c - libFuzzer target for the ANN index's reader (or_ann.h):
 * any bytes (checksums made right on even last bytes, fuzz_file.h) are
 * refused with a message or open to an index that answers a by-vector and
 * a by-item search (all lists probed, one thread) and hands out every
 * stored vector.  Built and run by `make fuzz`; the kept corpus is
 * tests/fuzz/corpus/index/.
 */
#include "fuzz_file.h"
#include "or_ann.h"

static void one(const char *path)
{
	or_ann *ix;
	or_err err;
	int rc = or_ann_open(path, &ix, &err);
	fuzz_said(rc, &err);
	if (rc == OR_OK) {
		size_t n = or_ann_n(ix), d = or_ann_dim(ix), k = 3;
		volatile float sum = 0;
		for (size_t i = 0; i < n && i < 64; i++) {
			const float *v = or_ann_vector(ix, (int64_t)i);
			for (size_t j = 0; v && j < d; j++)
				sum += v[j];
		}
		(void)sum;
		float *q = d && d < 4096 ? calloc(d, sizeof(*q)) : NULL;
		int64_t ids[3], item = 0;
		float dist[3];
		or_ann_search_params p;
		or_ann_search_params_default(&p);
		p.threads = 1;
		p.nprobe = or_ann_nlist(ix);
		if (q) {
			q[0] = 1;
			rc = or_ann_search(ix, q, 1, k, NULL, &p, ids, dist, NULL, &err);
			fuzz_said(rc, &err);
			free(q);
		}
		if (n) {
			rc = or_ann_search_items(ix, &item, 1, k, &p, ids, dist, NULL, &err);
			fuzz_said(rc, &err);
		}
		or_ann_free(ix);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 1, one);
}
