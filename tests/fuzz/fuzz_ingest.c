/*
 * fuzz_ingest.c - libFuzzer target for the JSONL and CSV readers (and format
 * detection, gzip included): any bytes must give OR_OK or an error message,
 * never a crash, hang or sanitizer report.  Built and run by `make fuzz`;
 * the kept corpus is tests/fuzz/corpus/ingest/.
 */
#include "or_ingest.h"
#include "or_store.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	or_ingest_config cfg;
	or_ingest_config_default(&cfg);
	cfg.max_line = 4096;
	or_store_builder *b;
	or_err err;
	if (or_store_builder_new(&b, &err) == OR_OK) {
		int rc = or_ingest_file(b, path, &cfg, NULL, &err);
		if (rc != OR_OK && err.msg[0] == '\0')
			__builtin_trap(); /* every error must say what was wrong */
		or_store_builder_free(b);
	}
	close(fd);
	return 0;
}
