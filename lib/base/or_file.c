/* or_file.c - atomic output files and buffered writing (see or_file.h). */
#include "or_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OR_FILE_BUF (1u << 20)
#define PENDING_MAX 64

/* Temporaries that a signal handler must remove; plain pointers so that the
   handler only reads them (unlink is async-signal-safe). */
static char *volatile pending[PENDING_MAX];

static void pending_add(char *p)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (!pending[i]) {
			pending[i] = p;
			return;
		}
}

static void pending_remove(const char *p)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i] == p)
			pending[i] = NULL;
}

/* Temporary directories, removed after the files (once they are empty). */
static char *volatile pending_dirs[PENDING_MAX];

void or_dir_pending_add(char *path)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (!pending_dirs[i]) {
			pending_dirs[i] = path;
			return;
		}
}

void or_dir_pending_remove(const char *path)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending_dirs[i] == path)
			pending_dirs[i] = NULL;
}

void or_file_unlink_pending(void)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i])
			unlink(pending[i]);
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending_dirs[i])
			rmdir(pending_dirs[i]);
}

int or_file_open(or_file *f, const char *path, or_err *err)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->buf = malloc(OR_FILE_BUF);
	f->path = strdup(path);
	if (!f->buf || !f->path) {
		or_file_abort(f);
		return or_err_set(err, OR_ENOMEM, "out of memory opening %s", path);
	}
	f->cap = OR_FILE_BUF;
	if (strcmp(path, "-") == 0) {
		f->fd = STDOUT_FILENO;
		f->is_stdout = 1;
		return OR_OK;
	}
	size_t n = strlen(path) + 16;
	f->tmp_path = malloc(n);
	if (!f->tmp_path) {
		or_file_abort(f);
		return or_err_set(err, OR_ENOMEM, "out of memory opening %s", path);
	}
	memcpy(f->tmp_path, path, n - 16);
	memcpy(f->tmp_path + n - 16, ".tmp.XXXXXX", 12);
	f->fd = mkstemp(f->tmp_path);
	if (f->fd < 0) {
		int e = errno;
		free(f->tmp_path);
		f->tmp_path = NULL;
		or_file_abort(f);
		return or_err_errno(err, e, "cannot create output %s", path);
	}
	pending_add(f->tmp_path);
	/* mkstemp makes 0600; outputs are ordinary files */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(f->fd, 0666 & ~mask);
	return OR_OK;
}

static int write_all(or_file *f, const char *p, size_t n, or_err *err)
{
	while (n > 0) {
		ssize_t w = write(f->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return or_err_errno(err, errno, "cannot write %s",
					    f->is_stdout ? "standard output" : f->path);
		}
		p += w;
		n -= (size_t)w;
		f->written += (uint64_t)w;
	}
	return OR_OK;
}

static int flush(or_file *f, or_err *err)
{
	int rc = write_all(f, f->buf, f->len, err);
	f->len = 0;
	return rc;
}

int or_file_write(or_file *f, const void *data, size_t n, or_err *err)
{
	if (f->len + n > f->cap) {
		int rc = flush(f, err);
		if (rc)
			return rc;
		if (n >= f->cap)
			return write_all(f, data, n, err);
	}
	memcpy(f->buf + f->len, data, n);
	f->len += n;
	return OR_OK;
}

char *or_file_reserve(or_file *f, size_t n, or_err *err)
{
	if (f->len + n > f->cap) {
		if (flush(f, err))
			return NULL;
		if (n > f->cap) {
			char *nb = realloc(f->buf, n);
			if (!nb) {
				or_err_set(err, OR_ENOMEM, "out of memory writing %s", f->path);
				return NULL;
			}
			f->buf = nb;
			f->cap = n;
		}
	}
	return f->buf + f->len;
}

int or_file_patch(or_file *f, uint64_t offset, const void *data, size_t n, or_err *err)
{
	if (f->is_stdout)
		return or_err_set(err, OR_EINVAL, "cannot rewrite standard output");
	if (offset + n > f->written + f->len)
		return or_err_set(err, OR_EINVAL, "%s: rewrite past the end of what was written", f->path);
	const char *p = data;
	/* the part already handed to write(), then the part still buffered */
	while (n > 0 && offset < f->written) {
		size_t k = f->written - offset < n ? (size_t)(f->written - offset) : n;
		ssize_t w = pwrite(f->fd, p, k, (off_t)offset);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return or_err_errno(err, w < 0 ? errno : EIO, "cannot write %s", f->path);
		p += w;
		offset += (uint64_t)w;
		n -= (size_t)w;
	}
	if (n > 0)
		memcpy(f->buf + (offset - f->written), p, n);
	return OR_OK;
}

int or_file_commit(or_file *f, or_err *err)
{
	int rc = flush(f, err);
	if (rc) {
		or_file_abort(f);
		return rc;
	}
	if (f->is_stdout) {
		free(f->buf);
		free(f->path);
		memset(f, 0, sizeof(*f));
		f->fd = -1;
		return OR_OK;
	}
	if (close(f->fd) != 0) {
		f->fd = -1;
		rc = or_err_errno(err, errno, "cannot write %s", f->path);
		or_file_abort(f);
		return rc;
	}
	f->fd = -1;
	if (rename(f->tmp_path, f->path) != 0) {
		rc = or_err_errno(err, errno, "cannot rename %s to %s", f->tmp_path, f->path);
		or_file_abort(f);
		return rc;
	}
	pending_remove(f->tmp_path);
	free(f->tmp_path);
	f->tmp_path = NULL;
	or_file_abort(f); /* frees the rest */
	return OR_OK;
}

void or_file_abort(or_file *f)
{
	if (f->fd >= 0 && !f->is_stdout)
		close(f->fd);
	f->fd = -1;
	if (f->tmp_path) {
		unlink(f->tmp_path);
		pending_remove(f->tmp_path);
		free(f->tmp_path);
		f->tmp_path = NULL;
	}
	free(f->buf);
	f->buf = NULL;
	free(f->path);
	f->path = NULL;
	f->len = f->cap = 0;
}

int64_t or_file_size(const char *path, or_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		or_err_errno(err, errno, "cannot stat %s", path);
		return -1;
	}
	return (int64_t)st.st_size;
}

int or_dir_make(const char *path, or_err *err)
{
	if (mkdir(path, 0777) == 0 || errno == EEXIST) {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return OR_OK;
		return or_err_set(err, OR_EIO, "%s exists and is not a directory", path);
	}
	return or_err_errno(err, errno, "cannot create directory %s", path);
}

int or_dir_make_all(const char *path, or_err *err)
{
	char *p = strdup(path);
	if (!p)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	int rc = OR_OK;
	for (char *q = p + 1; *q && !rc; q++)
		if (*q == '/' && q[-1] != '/') {
			*q = '\0';
			rc = or_dir_make(p, err);
			*q = '/';
		}
	if (!rc)
		rc = or_dir_make(p, err);
	free(p);
	return rc;
}
