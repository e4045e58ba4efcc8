/*
 * fuzz_npy.c - libFuzzer target for the .npy readers (or_npy.h): any bytes
 * are opened as a float32 matrix and read as an ids file (of the matrix's
 * rows when it opened, else of 4), and must be refused with a message or
 * give arrays that can be read whole.  Built and run by `make fuzz`; the
 * kept corpus is tests/fuzz/corpus/npy/.
 */
#include "fuzz_file.h"
#include "or_npy.h"

static void one(const char *path)
{
	or_npy m;
	memset(&m, 0, sizeof(m));
	or_err err;
	size_t rows = 4;
	int rc = or_npy_open_f32(path, &m, &err);
	fuzz_said(rc, &err);
	volatile float sum = 0;
	if (rc == OR_OK) {
		for (size_t i = 0; i < m.rows * m.cols; i++)
			sum += m.data[i];
		rows = m.rows;
	}
	or_npy_close(&m);
	uint32_t *ids = NULL;
	rc = or_npy_read_ids(path, rows, &ids, &err);
	fuzz_said(rc, &err);
	if (rc == OR_OK)
		for (size_t i = 0; i < rows; i++)
			sum += (float)ids[i];
	(void)sum;
	free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, 0, one);
}
