/* cli_pipeline.c - the stage runner of `run` and `demo` (see cli_pipeline.h). */
#include "cli_pipeline.h"

#include "cli.h"
#include "or_file.h"
#include "or_sfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void cli_argv_init(cli_argv *a)
{
	memset(a, 0, sizeof(*a));
}

static void argv_push(cli_argv *a, char *s)
{
	if (!s || a->oom) {
		a->oom = 1;
		free(s);
		return;
	}
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (!v) {
			a->oom = 1;
			free(s);
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void cli_argv_add(cli_argv *a, const char *s)
{
	argv_push(a, strdup(s));
}

void cli_argv_addf(cli_argv *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	argv_push(a, s);
}

void cli_argv_opt(cli_argv *a, const char *name, const char *value)
{
	cli_argv_add(a, name);
	cli_argv_add(a, value);
}

void cli_argv_free(cli_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

char *cli_path_join(const char *dir, const char *name)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return NULL;
	return s;
}

const char *cli_existing_file(const char *dir, const char *name, char **hold)
{
	*hold = cli_path_join(dir, name);
	struct stat sb;
	return *hold && stat(*hold, &sb) == 0 ? *hold : NULL;
}

int cli_is_store(const char *path)
{
	/* the magic of lib/store/or_store.h's layout, bytes 0..7 */
	char head[8];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	return n == (ssize_t)sizeof(head) && memcmp(head, "OTTOSTOR", 8) == 0;
}

int cli_pipeline_init(cli_pipeline *p, const char *cmd, const char *log_dir,
		      int quiet, int resume)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->quiet = quiet;
	p->resume = resume;
	p->t0 = cli_now();
	or_err err;
	or_err_clear(&err);
	p->self = realpath("/proc/self/exe", NULL);
	if (!p->self) {
		fprintf(stderr, "ottorec %s: cannot find this program's path (/proc/self/exe): %s\n",
			cmd, strerror(errno));
		cli_pipeline_free(p);
		return CLI_FAIL;
	}
	p->log_dir = strdup(log_dir);
	if (!p->log_dir)
		or_err_set(&err, OR_ENOMEM, "out of memory");
	else if (!or_dir_make_all(log_dir, &err))
		return CLI_OK;
	/* the caller frees p only after a success */
	cli_pipeline_free(p);
	return cli_fail(cmd, &err);
}

void cli_pipeline_free(cli_pipeline *p)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < p->stages[i].n_outputs; j++)
			free(p->stages[i].outputs[j]);
	free(p->self);
	free(p->log_dir);
	memset(p, 0, sizeof(*p));
}

static char *stage_file(const cli_pipeline *p, const char *name, const char *ext)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s%s", p->log_dir, name, ext) < 0)
		return NULL;
	return s;
}

char *cli_pipeline_stdout_path(const cli_pipeline *p, const char *name)
{
	return stage_file(p, name, ".txt");
}

/* The command line as one string, arguments separated by '\n'. */
static char *joined(const cli_argv *args)
{
	size_t len = 1;
	for (size_t i = 0; i < args->n; i++)
		len += strlen(args->v[i]) + 1;
	char *s = malloc(len), *q = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < args->n; i++) {
		size_t k = strlen(args->v[i]);
		memcpy(q, args->v[i], k);
		q[k] = '\n';
		q += k + 1;
	}
	*q = '\0';
	return s;
}

static char *read_small_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	while (s) {
		if (n + 1 >= cap) {
			char *t = cap < ((size_t)1 << 24) ? realloc(s, cap * 2) : NULL;
			if (!t) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
			cap *= 2;
		}
		size_t got = fread(s + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	if (s)
		s[n] = '\0';
	return s;
}

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* One line naming what path holds, cheaply: size, mtime, inode and, for a
   sectioned file (stores, pairs, tables, index), its header checksum, which
   also proves the file whole (not truncated, header intact); a directory
   gives a line for each file directly inside it (dot files aside). */
static void file_identity(FILE *m, const char *role, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(m, "%s %s missing\n", role, path);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(m, "%s %s directory\n", role, path);
		struct dirent **list = NULL;
		int n = depth == 0 ? scandir(path, &list, not_dot, alphasort) : 0;
		for (int i = 0; i < n; i++) {
			char *sub = cli_path_join(path, list[i]->d_name);
			if (sub)
				file_identity(m, role, sub, depth + 1);
			free(sub);
			free(list[i]);
		}
		free(list);
		return;
	}
	char magic[9];
	uint64_t sum = 0;
	or_err err;
	int whole = or_sfile_identity(path, magic, &sum, &err) == OR_OK;
	fprintf(m, "%s %s %lld bytes, mtime %lld.%09ld, inode %llu, %s %016llx\n", role, path,
		(long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
		(unsigned long long)st.st_ino, whole ? magic : "-", (unsigned long long)sum);
}

/* What a stage's .done file records (malloc'd): its command line, then the
   identity of every argument that names an existing file or directory (its
   inputs), of its outputs and of its captured standard output.  A stage is
   resumed only when all of it is the same now: inputs replaced under the
   same name, an output truncated or rewritten, a summary lost, and the
   stage runs again. */
static char *stage_record(const cli_argv *args, const char *cmdline, const char *const *outputs,
			  size_t n_outputs, const char *out_path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	fputs(cmdline, m);
	for (size_t i = 0; i < args->n; i++) {
		const char *a = args->v[i];
		int is_out = 0;
		for (size_t j = 0; j < n_outputs; j++)
			is_out |= !strcmp(a, outputs[j]);
		struct stat st;
		if (a[0] != '-' && !is_out && stat(a, &st) == 0)
			file_identity(m, "input", a, 0);
	}
	for (size_t j = 0; j < n_outputs; j++)
		file_identity(m, "output", outputs[j], 0);
	file_identity(m, "summary", out_path, 0);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int already_done(const cli_pipeline *p, const char *name, const char *record)
{
	char *done = stage_file(p, name, ".done");
	char *old = done ? read_small_file(done) : NULL;
	int same = old && record && strcmp(old, record) == 0;
	free(old);
	free(done);
	return same;
}

/* Write the .done record atomically (a crash never leaves a half record). */
static void record_done(const cli_pipeline *p, const char *name, const char *cmdline)
{
	char *done = stage_file(p, name, ".done");
	if (!done)
		return;
	or_file f;
	or_err err;
	or_err_clear(&err);
	if (!or_file_open(&f, done, &err)) {
		if (or_file_write(&f, cmdline, strlen(cmdline), &err) || or_file_commit(&f, &err))
			or_file_abort(&f);
	}
	free(done);
}

static void forget_done(const cli_pipeline *p, const char *name)
{
	char *done = stage_file(p, name, ".done");
	if (done)
		unlink(done);
	free(done);
}

static void announce(const cli_pipeline *p, const cli_stage *s, const cli_argv *args, const char *what)
{
	if (p->quiet)
		return;
	cli_progress_done();
	fprintf(stderr, "ottorec %s: [%zu] %s%s:", p->cmd, p->n, s->name, what);
	for (size_t i = 0; i < args->n; i++)
		fprintf(stderr, " %s", args->v[i]);
	fputc('\n', stderr);
}

/* Fork and exec the stage; its exit status in *status and rusage in *ru. */
static int spawn_wait(const cli_pipeline *p, const cli_argv *args, const char *out_path,
		      int *status, struct rusage *ru)
{
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		fprintf(stderr, "ottorec %s: cannot create %s: %s\n", p->cmd, out_path, strerror(errno));
		return -1;
	}
	char **argv = calloc(args->n + 2, sizeof(*argv));
	if (!argv) {
		close(fd);
		fprintf(stderr, "ottorec %s: out of memory\n", p->cmd);
		return -1;
	}
	argv[0] = p->self;
	for (size_t i = 0; i < args->n; i++)
		argv[i + 1] = args->v[i];
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execv(p->self, argv);
		dprintf(STDERR_FILENO, "ottorec %s: cannot run %s: %s\n", p->cmd, p->self, strerror(errno));
		_exit(127);
	}
	int saved = errno;
	free(argv);
	close(fd);
	if (pid < 0) {
		fprintf(stderr, "ottorec %s: cannot start a stage: %s\n", p->cmd, strerror(saved));
		return -1;
	}
	int forwarded = 0;
	for (;;) {
		pid_t r = wait4(pid, status, 0, ru);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "ottorec %s: waiting for a stage: %s\n", p->cmd, strerror(errno));
			return -1;
		}
		/* A signal reached this process: pass it on once (a terminal's
		   Ctrl-C already reached the whole process group). */
		if (!forwarded && or_log_cancelled(cli_log())) {
			kill(pid, SIGTERM);
			forwarded = 1;
		}
	}
}

int cli_pipeline_stage(cli_pipeline *p, const char *name, const cli_argv *args,
		       const char *const *outputs, size_t n_outputs)
{
	if (args->oom || p->n == CLI_STAGES_MAX || n_outputs > CLI_STAGE_OUTPUTS) {
		fprintf(stderr, "ottorec %s: cannot set up stage %s (%s)\n", p->cmd, name,
			args->oom ? "out of memory" : "too many stages or outputs");
		return CLI_FAIL;
	}
	if (or_log_cancelled(cli_log())) {
		fprintf(stderr, "ottorec %s: cancelled before stage %s\n", p->cmd, name);
		return CLI_FAIL;
	}
	cli_stage *s = &p->stages[p->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	for (size_t i = 0; i < n_outputs; i++) {
		s->outputs[i] = strdup(outputs[i]);
		if (!s->outputs[i]) {
			fprintf(stderr, "ottorec %s: out of memory\n", p->cmd);
			return CLI_FAIL;
		}
		s->n_outputs++;
	}
	char *cmdline = joined(args);
	char *out_path = cli_pipeline_stdout_path(p, name);
	int rc = CLI_FAIL;
	if (!cmdline || !out_path) {
		fprintf(stderr, "ottorec %s: out of memory\n", p->cmd);
		goto done;
	}
	char *record = p->resume ? stage_record(args, cmdline, outputs, n_outputs, out_path) : NULL;
	int resumed = record && already_done(p, name, record);
	free(record);
	if (resumed) {
		s->skipped = 1;
		announce(p, s, args, " (done before, skipped)");
		rc = CLI_OK;
		goto done;
	}
	forget_done(p, name);
	announce(p, s, args, "");
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	double t0 = cli_now();
	if (spawn_wait(p, args, out_path, &status, &ru))
		goto done;
	s->seconds = cli_now() - t0;
	s->peak_rss = (uint64_t)ru.ru_maxrss * 1024u;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		record = stage_record(args, cmdline, outputs, n_outputs, out_path);
		if (record)
			record_done(p, name, record);
		free(record);
		rc = CLI_OK;
		goto done;
	}
	cli_progress_done();
	if (WIFSIGNALED(status))
		fprintf(stderr, "ottorec %s: stage %s was killed by signal %d (%s)%s\n", p->cmd, name,
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			WTERMSIG(status) == SIGKILL ? "; out of memory?" : "");
	else if (or_log_cancelled(cli_log()))
		fprintf(stderr, "ottorec %s: cancelled during stage %s\n", p->cmd, name);
	else
		fprintf(stderr, "ottorec %s: stage %s failed (exit status %d)\n", p->cmd, name,
			WEXITSTATUS(status));
	if (p->n > 1)
		fprintf(stderr, "ottorec %s: the outputs of the stages before it are kept; --resume skips them\n",
			p->cmd);
done:
	free(cmdline);
	free(out_path);
	return rc;
}

int cli_pipeline_json_number(const cli_pipeline *p, const char *name,
			     const char *key, double *out)
{
	char *path = cli_pipeline_stdout_path(p, name);
	char *text = path ? read_small_file(path) : NULL;
	free(path);
	if (!text)
		return -1;
	char pat[96];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	char *at = strstr(text, pat);
	int rc = -1;
	if (at) {
		char *end;
		double v = strtod(at + strlen(pat), &end);
		if (end != at + strlen(pat)) {
			*out = v;
			rc = 0;
		}
	}
	free(text);
	return rc;
}

/* Bytes of a file, or of the regular files directly inside a directory. */
static uint64_t output_bytes(const char *path, int *exists)
{
	struct stat st;
	*exists = stat(path, &st) == 0;
	if (!*exists)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	uint64_t total = 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		char *sub = cli_path_join(path, e->d_name);
		struct stat es;
		if (sub && stat(sub, &es) == 0 && S_ISREG(es.st_mode))
			total += (uint64_t)es.st_size;
		free(sub);
	}
	closedir(d);
	return total;
}

static void human_bytes(char *out, size_t n, uint64_t b)
{
	if (b >= ((uint64_t)1 << 30))
		snprintf(out, n, "%.2f GiB", (double)b / (double)((uint64_t)1 << 30));
	else if (b >= ((uint64_t)1 << 20))
		snprintf(out, n, "%.1f MiB", (double)b / (double)((uint64_t)1 << 20));
	else
		snprintf(out, n, "%.1f KiB", (double)b / 1024.0);
}

void cli_pipeline_table(const cli_pipeline *p, FILE *out)
{
	double total = 0;
	uint64_t peak = 0;
	fprintf(out, "%-20s %9s %13s  %s\n", "stage", "wall s", "peak RSS MiB", "outputs");
	for (size_t i = 0; i < p->n; i++) {
		const cli_stage *s = &p->stages[i];
		total += s->seconds;
		if (s->peak_rss > peak)
			peak = s->peak_rss;
		char wall[32], rss[32];
		if (s->skipped) {
			snprintf(wall, sizeof(wall), "resumed");
			snprintf(rss, sizeof(rss), "-");
		} else {
			snprintf(wall, sizeof(wall), "%.2f", s->seconds);
			snprintf(rss, sizeof(rss), "%.0f", (double)s->peak_rss / 1048576.0);
		}
		fprintf(out, "%-20s %9s %13s ", s->name, wall, rss);
		for (size_t j = 0; j < s->n_outputs; j++) {
			int exists;
			char size[32];
			human_bytes(size, sizeof(size), output_bytes(s->outputs[j], &exists));
			fprintf(out, " %s (%s)", s->outputs[j], exists ? size : "missing");
		}
		fputc('\n', out);
	}
	fprintf(out, "%-20s %9.2f %13.0f  (wall: all stages, %.2f s with this program's own work;"
		" RSS: the largest stage)\n", "total", total, (double)peak / 1048576.0,
		cli_now() - p->t0);
}

char *cli_pipeline_json(const cli_pipeline *p)
{
	size_t cap = 256 + p->n * 128, len = 0;
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < p->stages[i].n_outputs; j++)
			cap += 2 * strlen(p->stages[i].outputs[j]) + 8;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	len += (size_t)snprintf(s + len, cap - len, "[");
	for (size_t i = 0; i < p->n; i++) {
		const cli_stage *st = &p->stages[i];
		len += (size_t)snprintf(s + len, cap - len,
					"%s{\"stage\":\"%s\",\"seconds\":%.3f,\"peak_rss_bytes\":%llu,\"resumed\":%s,\"outputs\":[",
					i ? "," : "", st->name, st->seconds,
					(unsigned long long)st->peak_rss, st->skipped ? "true" : "false");
		for (size_t j = 0; j < st->n_outputs; j++) {
			len += (size_t)snprintf(s + len, cap - len, "%s\"", j ? "," : "");
			for (const char *c = st->outputs[j]; *c; c++) {
				if (*c == '"' || *c == '\\')
					s[len++] = '\\';
				s[len++] = (unsigned char)*c < 0x20 ? '?' : *c;
			}
			s[len++] = '"';
		}
		len += (size_t)snprintf(s + len, cap - len, "]}");
	}
	snprintf(s + len, cap - len, "]");
	return s;
}
