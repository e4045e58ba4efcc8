/*
 * fuzz_parquet.c - libFuzzer target for the Parquet reader (footer, Thrift
 * compact protocol, pages, encodings, decompression, column and labels
 * readers): any bytes must give OR_OK or an error message, never a crash,
 * hang or sanitizer report.  Each input is read as events (or_ingest_file,
 * which detects the magic), converted by the direct Parquet -> store path
 * (or_parquet_convert, into /dev/shm, removed after) and read as labels.  Built and run by `make fuzz`;
 * the kept corpus is tests/fuzz/corpus/parquet/ (seeded with the small
 * fixtures of tests/data/parquet/).
 */
#include "or_ingest.h"
#include "or_labels.h"
#include "or_parquet.h"
#include "or_store.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.parquet", 0);
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
	cfg.format = OR_FORMAT_PARQUET;
	or_store_builder *b;
	or_err err;
	if (or_store_builder_new(&b, &err) == OR_OK) {
		int rc = or_ingest_file(b, path, &cfg, NULL, &err);
		if (rc != OR_OK && err.msg[0] == '\0')
			__builtin_trap(); /* every error must say what was wrong */
		or_store_builder_free(b);
	}
	char out[64];
	snprintf(out, sizeof(out), "/dev/shm/ottorec-fuzz-%d.store", (int)getpid());
	or_parquet_convert_info info;
	int crc = or_parquet_convert(path, out, &cfg, NULL, &info, &err);
	if (crc != OR_OK && err.msg[0] == '\0')
		__builtin_trap();
	unlink(out);
	or_labels l;
	or_labels_init(&l);
	int rc = or_parquet_labels_read(&l, path, NULL, &err);
	if (rc != OR_OK && err.msg[0] == '\0')
		__builtin_trap();
	or_labels_release(&l);
	close(fd);
	return 0;
}
