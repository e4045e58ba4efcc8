/* cli_common.c - progress line, signals, parsing, JSON summary (see cli.h). */
#include "cli.h"
#include "or_file.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t cancel_flag;
static int progress_enabled;
static int progress_open;
static double progress_last, progress_start;
static char progress_stage[64];

static void on_signal(int sig)
{
	if (cancel_flag) {
		/* second signal: do not wait for the library to notice */
		or_file_unlink_pending();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	cancel_flag = 1;
}

static void log_message(void *ctx, int level, const char *text)
{
	(void)ctx;
	cli_progress_done();
	fprintf(stderr, "%s%s\n", level == OR_LOG_WARN ? "warning: " : "", text);
}

static void fmt_count(char *out, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(out, n, "%.2f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(out, n, "%.2f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, n, "%.1f k", v / 1e3);
	else
		snprintf(out, n, "%.0f ", v);
}

static void log_progress(void *ctx, const char *stage, double done,
			 double total, const char *unit)
{
	(void)ctx;
	if (!progress_enabled)
		return;
	double now = cli_now();
	if (strncmp(progress_stage, stage, sizeof(progress_stage) - 1) != 0) {
		cli_progress_done();
		snprintf(progress_stage, sizeof(progress_stage), "%s", stage);
		progress_start = now;
		progress_last = 0;
	}
	if (now - progress_last < 0.2 && !(total > 0 && done >= total))
		return;
	progress_last = now;
	double el = now - progress_start;
	char d[32], r[32], eta[32] = "";
	fmt_count(d, sizeof(d), done);
	fmt_count(r, sizeof(r), el > 0 ? done / el : 0);
	if (total > 0 && done > 0 && done < total) {
		double left = el * (total - done) / done;
		snprintf(eta, sizeof(eta), "  ETA %d:%02d", (int)(left / 60), (int)fmod(left, 60));
	}
	if (total > 0)
		fprintf(stderr, "\r\033[K%s: %5.1f%%  %s%s  %s%s/s%s", stage,
			100.0 * done / total, d, unit, r, unit, eta);
	else
		fprintf(stderr, "\r\033[K%s: %s%s  %s%s/s", stage, d, unit, r, unit);
	progress_open = 1;
}

static or_log the_log = { log_message, log_progress, NULL, &cancel_flag };

void cli_log_setup(int quiet)
{
	progress_enabled = !quiet && isatty(STDERR_FILENO);
	static int installed;
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		/* past a file-size limit (ulimit -f) a write or fallocate then
		   fails with EFBIG, reported like a full disk and with the
		   temporary removed, instead of the signal killing the process
		   and leaving it */
		signal(SIGXFSZ, SIG_IGN);
		installed = 1;
	}
}

const or_log *cli_log(void) { return &the_log; }

void cli_progress_done(void)
{
	if (progress_open) {
		fputs("\r\033[K", stderr);
		progress_open = 0;
	}
	progress_stage[0] = '\0';
}

int cli_fail(const char *cmd, const or_err *err)
{
	cli_progress_done();
	if (err->code == OR_ECANCELLED)
		fprintf(stderr, "ottorec %s: interrupted; no output was written\n", cmd);
	else
		fprintf(stderr, "ottorec %s: %s\n", cmd,
			err->msg[0] ? err->msg : or_err_name(err->code));
	return CLI_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	cli_progress_done();
	fprintf(stderr, "ottorec %s: ", cmd);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see `ottorec %s -h`)\n", cmd);
	return CLI_USAGE;
}

int cli_bad_option(const char *cmd, char *const *argv, const char *shortopts,
		   const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	if (arg && !strncmp(arg, "--", 2) && arg[2]) {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		const struct option *o = longopts;
		while (o && o->name && !(strlen(o->name) == n && !strncmp(o->name, name, n)))
			o++;
		/* optopt is 0 for an unknown long option, its val otherwise;
		   a short option inside a later cluster has its own optopt */
		if (!optopt || (o && o->name && o->val == optopt)) {
			if (!o || !o->name)
				return cli_usage_error(cmd, "unknown option --%.*s", (int)n, name);
			if (eq && o->has_arg == no_argument)
				return cli_usage_error(cmd, "option --%s takes no value", o->name);
			return cli_usage_error(cmd, "option --%s needs a value", o->name);
		}
	}
	const char *known = optopt && optopt != ':' ? strchr(shortopts, optopt) : NULL;
	if (known && known[1] == ':')
		return cli_usage_error(cmd, "option -%c needs a value", optopt);
	if (optopt > 0x20 && optopt < 0x7f)
		return cli_usage_error(cmd, "unknown option -%c", optopt);
	return cli_usage_error(cmd, "unknown option %s", arg ? arg : "");
}

int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_threads(const char *cmd, const char *arg, int64_t *out)
{
	if (cli_parse_i64(arg, 1, 1024, out))
		return cli_usage_error(cmd, "--threads must be an integer in 1..1024, not '%s'", arg);
	return CLI_OK;
}

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t cli_peak_rss(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024u;
}

int cli_finish_stdout(const char *cmd)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ottorec %s: cannot write standard output: %s\n", cmd,
			strerror(errno));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static void json_append(cli_json *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void json_append(cli_json *j, const char *fmt, ...)
{
	if (j->len >= sizeof(j->buf))
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(j->buf + j->len, sizeof(j->buf) - j->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->len += (size_t)n;
	if (j->len >= sizeof(j->buf))
		j->len = sizeof(j->buf) - 1;
}

static void json_key(cli_json *j, const char *key)
{
	json_append(j, "%s\"%s\":", j->fields++ ? "," : "", key);
}

void cli_json_begin(cli_json *j)
{
	j->len = 0;
	j->fields = 0;
	j->buf[0] = '\0';
	json_append(j, "{");
}

void cli_json_str(cli_json *j, const char *key, const char *value)
{
	json_key(j, key);
	json_append(j, "\"");
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '"' || *p == '\\')
			json_append(j, "\\%c", *p);
		else if (*p < 0x20)
			json_append(j, "\\u%04x", *p);
		else
			json_append(j, "%c", *p);
	}
	json_append(j, "\"");
}

void cli_json_int(cli_json *j, const char *key, long long value)
{
	json_key(j, key);
	json_append(j, "%lld", value);
}

void cli_json_num(cli_json *j, const char *key, double value)
{
	json_key(j, key);
	if (isfinite(value))
		json_append(j, "%.6g", value);
	else
		json_append(j, "null");
}

void cli_json_raw(cli_json *j, const char *key, const char *raw)
{
	json_key(j, key);
	json_append(j, "%s", raw);
}

void cli_json_print(cli_json *j)
{
	json_append(j, "}");
	puts(j->buf);
}
