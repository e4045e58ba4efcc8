/*
 * fuzz_file.h - what the fuzz targets share: an input as a file (a memfd,
 * named /proc/self/fd/N, so that readers that open and mmap a path see
 * it), and for the sectioned files (or_sfile.h) checksums made right
 * again, so that mutations get past the header checksum to the readers'
 * own checks.  Header-only, for tests/fuzz/fuzz_*.c; not part of the
 * library.
 */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include "or_sfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

/* The n bytes of data as a file: its fd (close it), its name in path;
   -1 when that fails. */
static inline int fuzz_file(const uint8_t *data, size_t n, char *path, size_t path_n)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return -1;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	snprintf(path, path_n, "/proc/self/fd/%d", fd);
	return fd;
}

/*
 * A sectioned file from the input: when the input's last byte is even,
 * each section that lies inside the input gets its right XXH3, and then
 * the header its own (an odd last byte keeps the bytes as they are, so
 * that the checksum checks are fuzzed too).  As fuzz_file.
 */
static inline int fuzz_sfile(const uint8_t *data, size_t n, char *path, size_t path_n)
{
	if (n < sizeof(or_sfile_header) || (data[n - 1] & 1))
		return fuzz_file(data, n, path, path_n);
	uint8_t *b = malloc(n);
	if (!b)
		return -1;
	memcpy(b, data, n);
	or_sfile_header h;
	memcpy(&h, b, sizeof(h));
	unsigned ns = h.n_sections < OR_SFILE_MAX_SECTIONS ? h.n_sections : OR_SFILE_MAX_SECTIONS;
	for (unsigned s = 0; s < ns; s++) {
		or_sfile_section *sec = &h.section[s];
		if (sec->offset <= n && sec->bytes <= n - sec->offset)
			sec->checksum = XXH3_64bits(b + sec->offset, (size_t)sec->bytes);
	}
	h.header_checksum = XXH3_64bits(&h, offsetof(or_sfile_header, header_checksum));
	memcpy(b, &h, sizeof(h));
	int fd = fuzz_file(b, n, path, path_n);
	free(b);
	return fd;
}

/* A reader's failure must say what was wrong: an error without a message
   stops the fuzzer. */
static inline void fuzz_said(int rc, const or_err *err)
{
	if (rc != OR_OK && err->msg[0] == '\0')
		__builtin_trap();
}

/* The body of a target: the input as a file (sfile: checksums re-sealed,
   fuzz_sfile), handed to one(path). */
static inline int fuzz_run(const uint8_t *data, size_t n, int sfile, void (*one)(const char *path))
{
	char path[64];
	int fd = sfile ? fuzz_sfile(data, n, path, sizeof(path))
		       : fuzz_file(data, n, path, sizeof(path));
	if (fd >= 0) {
		one(path);
		close(fd);
	}
	return 0;
}

#endif
