/*
 * fuzz_checkpoint.c - libFuzzer target for the MF checkpoint's reader
 * (or_mf.h): any bytes (checksums made right on even last bytes,
 * fuzz_file.h) are loaded in both modes (dim 4, the seed corpus's) and
 * must be refused with a message or give a model whose table can be read
 * whole.  Built and run by `make fuzz`; the kept corpus is
 * tests/fuzz/corpus/checkpoint/.
 */
#include "fuzz_file.h"
#include "or_mf.h"

static void one(const char *path)
{
	for (int mode = 0; mode < 2; mode++) {
		or_mf_config cfg;
		or_mf_config_default(&cfg);
		if (mode)
			or_mf_config_default_fast(&cfg);
		cfg.mode = mode ? OR_MF_FAST : OR_MF_EXACT;
		cfg.dim = 4;
		or_mf_model m;
		memset(&m, 0, sizeof(m));
		or_err err;
		int rc = or_mf_checkpoint_load(&m, path, &cfg, 0, &err);
		fuzz_said(rc, &err);
		if (rc == OR_OK) {
			volatile float sum = 0;
			for (size_t i = 0; i < m.n_rows * m.dim; i++)
				sum += m.emb[i];
			(void)sum;
		}
		or_mf_model_free(&m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 1, one);
}
