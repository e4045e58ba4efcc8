/*
 * or_input.c - line-chunked reading of plain or gzip files (see or_input.h).
 * gzip is inflated here (zlib's inflate, not gzread: gzread stops silently
 * at bytes after a member that do not start another, so garbage appended
 * to a file would pass): concatenated members are read as one stream, as
 * RFC 1952 and gzip(1) have it, and anything after the last member that is
 * not another member is an error.
 */
#include "or_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (8u << 20)

#define ZIN (1u << 18) /* compressed bytes read at a time */

/* gzip decoding state */
typedef struct gz_state {
	z_stream z;
	unsigned char *in;    /* ZIN bytes */
	uint64_t raw;         /* compressed bytes read from the file */
	uint64_t member_at;   /* where the current member starts */
	int members;          /* members begun */
	int out_of_member;    /* the last one ended: another or the end */
	int eof;              /* the file is read */
} gz_state;

struct or_input {
	char *path;
	int fd;
	gz_state *gz;         /* NULL: plain */
	uint64_t size;
	uint64_t consumed;  /* plain: bytes read from fd */
	char *buf;
	size_t cap;         /* CHUNK + max_line */
	size_t max_line;
	size_t start, end;  /* unconsumed bytes are buf[start, end) */
	int eof;
	uint64_t line;      /* number of the next line to hand out */
};

static int fd_read(or_input *in, void *dst, size_t n, size_t *got, or_err *err)
{
	for (;;) {
		ssize_t r = read(in->fd, dst, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return or_err_errno(err, errno, "cannot read %s", in->path);
		*got = (size_t)r;
		return OR_OK;
	}
}

/* Up to n bytes of the gzip members' content into dst (0 at the end). */
static int gz_read(or_input *in, char *dst, size_t n, size_t *got, or_err *err)
{
	gz_state *g = in->gz;
	z_stream *z = &g->z;
	z->next_out = (unsigned char *)dst;
	z->avail_out = n > (1u << 30) ? 1u << 30 : (unsigned)n;
	while (z->avail_out > 0) {
		if (z->avail_in == 0 && !g->eof) {
			size_t r = 0;
			int rc = fd_read(in, g->in, ZIN, &r, err);
			if (rc)
				return rc;
			g->eof = r == 0;
			g->raw += r;
			z->next_in = g->in;
			z->avail_in = (unsigned)r;
		}
		if (g->out_of_member) {
			if (z->avail_in == 0 && g->eof)
				break; /* the end, after a whole member */
			if (z->avail_in == 0)
				continue;
			/* more bytes: another member must start here */
			g->member_at = g->raw - z->avail_in;
			g->out_of_member = 0;
			g->members++;
			inflateReset(z);
		}
		if (z->avail_in == 0 && g->eof)
			return or_err_set(err, OR_EFORMAT,
					  "%s: gzip data is damaged or truncated (unexpected end of file)", in->path);
		unsigned before = z->avail_out;
		int r = inflate(z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			g->out_of_member = 1;
		} else if (r == Z_DATA_ERROR && g->members > 1 && z->total_out == 0 &&
			   before == z->avail_out) {
			return or_err_set(err, OR_EFORMAT,
					  "%s: %llu bytes of garbage after the gzip data, from byte %llu (a gzip file ends with its last member)",
					  in->path, (unsigned long long)(in->size - g->member_at),
					  (unsigned long long)g->member_at);
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return or_err_set(err, OR_EFORMAT, "%s: gzip data is damaged or truncated (%s)",
					  in->path, z->msg ? z->msg : zError(r));
		}
	}
	*got = n > (1u << 30) ? (1u << 30) - z->avail_out : n - z->avail_out;
	return OR_OK;
}

static int raw_read(or_input *in, char *dst, size_t n, size_t *got, or_err *err)
{
	if (in->gz)
		return gz_read(in, dst, n, got, err);
	int rc = fd_read(in, dst, n, got, err);
	in->consumed += *got;
	return rc;
}

/* Read until the buffer is full or the input ends. */
static int fill(or_input *in, or_err *err)
{
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	while (!in->eof && in->end < in->cap) {
		size_t want = in->cap - in->end, got = 0;
		if (want > (1u << 30))
			want = 1u << 30;
		int rc = raw_read(in, in->buf + in->end, want, &got, err);
		if (rc)
			return rc;
		if (got == 0)
			in->eof = 1;
		in->end += got;
	}
	return OR_OK;
}

int or_input_open(const char *path, size_t max_line, or_input **out, or_err *err)
{
	*out = NULL;
	or_input *in = calloc(1, sizeof(*in));
	if (!in || !(in->path = strdup(strcmp(path, "-") ? path : "(stdin)"))) {
		free(in);
		return or_err_set(err, OR_ENOMEM, "out of memory");
	}
	in->fd = -1;
	in->max_line = max_line;
	in->line = 1;
	in->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (in->fd < 0) {
		int e = errno;
		or_input_close(in);
		return or_err_errno(err, e, "cannot open %s", path);
	}
	struct stat st;
	if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		or_input_close(in);
		return or_err_set(err, OR_EIO, "%s is a directory", path);
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		in->size = (uint64_t)st.st_size;
	/* a small regular file needs no more buffer than its size */
	in->cap = CHUNK + max_line;
	if (in->size && in->size < in->cap)
		in->cap = (size_t)in->size + 1;
	in->buf = malloc(in->cap);
	if (!in->buf) {
		or_input_close(in);
		return or_err_set(err, OR_ENOMEM, "out of memory for input buffer");
	}
	/* sniff the gzip magic from the raw bytes, then keep them as content */
	int rc = fill(in, err);
	if (rc) {
		or_input_close(in);
		return rc;
	}
	if (in->end >= 2 && (unsigned char)in->buf[0] == 0x1f &&
	    (unsigned char)in->buf[1] == 0x8b) {
		if (in->size == 0 || lseek(in->fd, 0, SEEK_SET) != 0) {
			or_input_close(in);
			return or_err_set(err, OR_EUNSUPPORTED,
					  "%s: gzip input must be a regular file (pipe it through `zcat` instead)", path);
		}
		in->gz = calloc(1, sizeof(*in->gz));
		if (in->gz && !(in->gz->in = malloc(ZIN))) {
			free(in->gz);
			in->gz = NULL;
		}
		/* 16 + MAX_WBITS: gzip wrapper, its header and CRC checked */
		if (!in->gz || inflateInit2(&in->gz->z, 16 + MAX_WBITS) != Z_OK) {
			if (in->gz)
				free(in->gz->in);
			free(in->gz);
			in->gz = NULL;
			or_input_close(in);
			return or_err_set(err, OR_ENOMEM, "%s: cannot start gzip decoding", path);
		}
		in->gz->members = 1;
		char *nb = realloc(in->buf, CHUNK + max_line);
		if (!nb) {
			or_input_close(in);
			return or_err_set(err, OR_ENOMEM, "out of memory for input buffer");
		}
		in->buf = nb;
		in->cap = CHUNK + max_line;
		in->start = in->end = 0;
		in->eof = 0;
		rc = fill(in, err);
		if (rc) {
			or_input_close(in);
			return rc;
		}
	}
	*out = in;
	return OR_OK;
}

void or_input_close(or_input *in)
{
	if (!in)
		return;
	if (in->gz) {
		inflateEnd(&in->gz->z);
		free(in->gz->in);
		free(in->gz);
	}
	if (in->fd >= 0)
		close(in->fd);
	free(in->buf);
	free(in->path);
	free(in);
}

size_t or_input_peek(or_input *in, char *buf, size_t n, or_err *err)
{
	(void)err;
	size_t have = in->end - in->start;
	if (n > have)
		n = have;
	memcpy(buf, in->buf + in->start, n);
	return n;
}

size_t or_input_peek_past_blank(or_input *in, char *buf, size_t n)
{
	size_t at = in->start;
	while (at < in->end && (in->buf[at] == ' ' || in->buf[at] == '\t' || in->buf[at] == '\r' ||
				in->buf[at] == '\n'))
		at++;
	if (n > in->end - at)
		n = in->end - at;
	memcpy(buf, in->buf + at, n);
	return n;
}

/* a plain loop that the compiler vectorises: faster than memchr per line
   for short CSV rows */
static uint64_t count_newlines(const char *p, size_t n)
{
	uint64_t c = 0;
	while (n > 0) {
		size_t k = n < 65536 ? n : 65536;
		uint32_t part = 0;
		for (size_t i = 0; i < k; i++)
			part += p[i] == '\n';
		c += part;
		p += k;
		n -= k;
	}
	return c;
}

int or_input_lines(or_input *in, const char **data, size_t *len,
		   uint64_t *first_line, or_err *err)
{
	if (in->start == in->end || (!in->eof && in->end - in->start < CHUNK)) {
		int rc = fill(in, err);
		if (rc)
			return rc;
	}
	const char *p = in->buf + in->start;
	size_t have = in->end - in->start;
	*first_line = in->line;
	*data = p;
	*len = 0;
	if (have == 0)
		return OR_OK;
	size_t take = have;
	if (!in->eof) {
		/* the buffer is full: it holds CHUNK + max_line bytes, so a line
		   without its end in it is longer than the limit */
		const char *nl = memrchr(p, '\n', have);
		if (!nl)
			return or_err_set(err, OR_EFORMAT,
					  "%s:%llu: line is longer than the limit of %zu bytes",
					  in->path, (unsigned long long)in->line, in->max_line);
		take = (size_t)(nl - p) + 1;
	}
	in->line += count_newlines(p, take) + (p[take - 1] != '\n');
	in->start += take;
	*len = take;
	return OR_OK;
}


const char *or_input_path(const or_input *in) { return in->path; }
int or_input_is_gzip(const or_input *in) { return in->gz != NULL; }
uint64_t or_input_consumed(const or_input *in)
{
	if (in->gz)
		return in->gz->raw - in->gz->z.avail_in;
	return in->consumed;
}
uint64_t or_input_size(const or_input *in) { return in->size; }


void or_line_reader_init(or_line_reader *r, or_input *in, const char *stage,
			 const or_log *log)
{
	r->in = in;
	r->log = log;
	r->stage = stage;
	r->max_line = in->max_line;
	r->p = r->end = NULL;
	r->next_no = 1;
}

int or_line_reader_refill(or_line_reader *r, or_err *err)
{
	if (or_log_cancelled(r->log))
		return or_err_set(err, OR_ECANCELLED, "interrupted");
	const char *data;
	size_t len;
	int rc = or_input_lines(r->in, &data, &len, &r->next_no, err);
	if (rc)
		return rc;
	r->p = data;
	r->end = data + len;
	or_log_progress(r->log, r->stage, (double)or_input_consumed(r->in),
			(double)or_input_size(r->in), "B");
	return OR_OK;
}

int or_line_too_long(const or_line_reader *r, const or_line *line, or_err *err)
{
	return or_err_set(err, OR_EFORMAT,
			  "%s:%llu: line is longer than the limit of %zu bytes",
			  r->in->path, (unsigned long long)line->no, r->max_line);
}
