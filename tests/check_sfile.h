/*
 * check_sfile.h - a test helper for sectioned files (lib/base/or_sfile.h):
 * overwrite bytes of one section and re-seal the file (the section's
 * checksum and the header's), so that only a format's own semantic checks
 * can tell the damage.  Header-only, for the unit tests.
 */
#ifndef OR_CHECK_SFILE_H
#define OR_CHECK_SFILE_H

#include "check.h"
#include "or_sfile.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

/* Bytes [at, at + n) of section sec of the file at path become data; the
   checksums are made to match again.  1 on success, 0 (a failed check)
   when the file cannot be patched. */
static inline int check_sfile_patch(const char *path, unsigned sec, uint64_t at, const void *data,
				    size_t n)
{
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	if (fd < 0)
		return 0;
	or_sfile_header h;
	int ok = pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && sec < h.n_sections &&
		 at <= h.section[sec].bytes && n <= h.section[sec].bytes - at;
	size_t len = ok ? (size_t)h.section[sec].bytes : 0;
	unsigned char *b = ok ? malloc(len ? len : 1) : NULL;
	ok = b && pread(fd, b, len, (off_t)h.section[sec].offset) == (ssize_t)len;
	if (ok) {
		memcpy(b + at, data, n);
		h.section[sec].checksum = XXH3_64bits(b, len);
		h.header_checksum = XXH3_64bits(&h, offsetof(or_sfile_header, header_checksum));
		ok = pwrite(fd, b, len, (off_t)h.section[sec].offset) == (ssize_t)len &&
		     pwrite(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h);
	}
	free(b);
	close(fd);
	CHECK(ok);
	return ok;
}

#endif
