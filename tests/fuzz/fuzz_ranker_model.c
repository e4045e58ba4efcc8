/*
 * fuzz_ranker_model.c - libFuzzer target for the ranker model reader
 * (or_ranker_open, lib/rec/or_ranker_file.c): any bytes must give OR_OK or
 * an error message, never a crash, hang or sanitizer report.  An input whose
 * first byte is even is the whole file (header, section table, checksums);
 * one whose first byte is odd is the meta JSON of an otherwise valid file
 * (checksums right, written by the model writer, into /dev/shm, removed
 * after), so that the fuzzer gets past the checksums to the meta parser.
 * XGBoost itself only ever sees booster bytes whose checksum holds.  Built
 * and run by `make fuzz` (tests/fuzz/fuzz_*.c).
 */
#include "or_ranker.h"
#include "or_ranker_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void open_check(const char *path)
{
	or_ranker *r = NULL;
	or_err err;
	or_err_clear(&err);
	int rc = or_ranker_open(path, &r, &err);
	if (rc != OR_OK && err.msg[0] == '\0')
		__builtin_trap(); /* every error must say what was wrong */
	or_ranker_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		int fd = memfd_create("fuzz.rank", 0);
		if (fd < 0)
			return 0;
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			open_check(path);
		}
		close(fd);
		return 0;
	}
	char *meta = malloc(size);
	if (!meta)
		return 0;
	memcpy(meta, data + 1, size - 1);
	meta[size - 1] = '\0';
	char path[64];
	snprintf(path, sizeof(path), "/dev/shm/ottorec-fuzz-%d.rank", (int)getpid());
	/* every type on the clicks booster, which is empty: the reader gets
	   through the meta before it refuses the file */
	or_ranker_file_fields fields = { .n_features = 2, .nthread = 1, .uses = { 0, 0, 0 },
					 .xgb_version = { 1, 7, 4 } };
	const void *boost[3] = { NULL, NULL, NULL };
	size_t bytes[3] = { 0, 0, 0 };
	or_err err;
	if (or_ranker_file_write(path, meta, boost, bytes, &fields, &err) == OR_OK) {
		open_check(path);
		unlink(path);
	}
	free(meta);
	return 0;
}
