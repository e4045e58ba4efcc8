/* cli_guard.c - output-versus-input check and output-directory lock (see cli_guard.h). */
#include "cli_guard.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* path with its directory resolved (malloc'd), also when path itself does
   not exist yet; NULL when its directory does not exist either (then it
   cannot be any existing input) */
static char *resolved(const char *path)
{
	char *r = realpath(path, NULL);
	if (r)
		return r;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t slash = n;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	const char *base = path + slash;
	size_t base_len = n - slash;
	if (base_len == 0 || (base_len == 1 && base[0] == '.') ||
	    (base_len == 2 && base[0] == '.' && base[1] == '.'))
		return NULL;
	char *dir = slash == 0 ? strdup(".") : strndup(path, slash);
	char *rdir = dir ? realpath(dir, NULL) : NULL;
	free(dir);
	if (!rdir)
		return NULL;
	char *out = NULL;
	if (asprintf(&out, "%s%s%.*s", rdir, strcmp(rdir, "/") ? "/" : "", (int)base_len, base) < 0)
		out = NULL;
	free(rdir);
	return out;
}

/* 1 when a and b name the same file: same resolved path, or same inode */
static int same_file(const char *a, const char *b)
{
	char *ra = resolved(a), *rb = resolved(b);
	int same = ra && rb && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	struct stat sa, sb;
	if (!same && stat(a, &sa) == 0 && stat(b, &sb) == 0)
		same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return same;
}

/* 1 when path is directory dir or lies inside it */
static int inside(const char *path, const char *dir)
{
	if (same_file(path, dir))
		return 1;
	char *rp = resolved(path), *rd = realpath(dir, NULL);
	size_t nd = rd ? strlen(rd) : 0;
	int in = rp && rd && strncmp(rp, rd, nd) == 0 &&
		 (rp[nd] == '/' || (nd == 1 && rd[0] == '/'));
	free(rp);
	free(rd);
	return in;
}

static char *join(const char *dir, const char *name)
{
	char *s = NULL;
	return asprintf(&s, "%s/%s", dir, name) < 0 ? NULL : s;
}

static int is_std(const char *path)
{
	return !strcmp(path, "-");
}

int cli_check_output(const char *cmd, const char *out, const char *const *names,
		     const cli_input *inputs, size_t n_inputs)
{
	if (!out || is_std(out))
		return CLI_OK;
	/* refused before any work: the final rename would fail only at the end */
	struct stat so;
	if (stat(out, &so) == 0 && !names && S_ISDIR(so.st_mode))
		return cli_usage_error(cmd, "the output %s is a directory; give a file name", out);
	if (stat(out, &so) == 0 && names && !S_ISDIR(so.st_mode))
		return cli_usage_error(cmd, "the output directory %s exists and is not a directory", out);
	for (size_t i = 0; i < n_inputs; i++) {
		const char *in = inputs[i].path;
		if (!in || is_std(in))
			continue;
		if (inputs[i].is_dir && inside(out, in))
			return cli_usage_error(cmd, "the output %s is or lies inside the input directory %s; give another output",
					       out, in);
		if (!names) {
			if (same_file(out, in))
				return cli_usage_error(cmd, "the output %s is the input %s; give another output", out, in);
			continue;
		}
		if (same_file(out, in))
			return cli_usage_error(cmd, "the output directory %s is the input %s; give another one", out, in);
		for (const char *const *nm = names; *nm; nm++) {
			char *p = join(out, *nm);
			int clash = p && same_file(p, in);
			free(p);
			if (clash)
				return cli_usage_error(cmd, "the output directory %s would overwrite the input %s (the command writes %s/%s); give another one",
						       out, in, out, *nm);
		}
	}
	return CLI_OK;
}

int cli_check_output_argv(const char *cmd, const char *out, const char *const *names,
			  char *const *inputs, int n_inputs)
{
	for (int i = 0; i < n_inputs; i++) {
		cli_input in = { inputs[i], 0 };
		if (cli_check_output(cmd, out, names, &in, 1))
			return CLI_USAGE;
	}
	return CLI_OK;
}

int cli_lock_dir(const char *cmd, const char *dir)
{
	char *path = join(dir, ".ottorec.lock");
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666) : -1;
	if (fd < 0) {
		fprintf(stderr, "ottorec %s: cannot create the lock file %s: %s\n", cmd,
			path ? path : dir, path ? strerror(errno) : "out of memory");
		free(path);
		return CLI_FAIL;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		cli_progress_done();
		if (e == EWOULDBLOCK)
			fprintf(stderr, "ottorec %s: %s is being written by another ottorec (it holds %s); "
				"wait for it to finish or give another output directory\n", cmd, dir, path);
		else
			fprintf(stderr, "ottorec %s: cannot lock %s: %s\n", cmd, path, strerror(e));
		close(fd);
		free(path);
		return CLI_FAIL;
	}
	/* fd stays open: the lock is held until this process exits */
	free(path);
	return CLI_OK;
}
