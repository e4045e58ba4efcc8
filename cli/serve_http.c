/*
 * serve_http.c - `ottorec serve`'s routes, model swap, access log and
 * metrics over libmicrohttpd (see serve_http.h).  A request's body is
 * gathered in its own context (up to --max-body, the rest discarded and
 * answered 413), parsed by serve_request.c and answered on the MHD pool
 * thread that received it, from a reference to the model set current
 * when its headers arrived (a reload meanwhile does not touch it; the
 * reference is dropped when the request is done).
 */
#include "cli.h"
#include "serve_http.h"
#include "or_recommend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const int codes[SERVE_N_CODES - 1] = { 200, 400, 404, 405, 413, 500, 503 };
static const double bucket_le[SERVE_N_BUCKETS - 1] = { 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005,
						       0.01, 0.025, 0.05, 0.1, 0.5 };

typedef struct req {
	double t0;
	char *body;
	size_t len, cap;
	int too_big;
	int status;
	size_t sessions, out_bytes;
	char line[80]; /* "METHOD /path" for the access log */
	serve_models *m; /* /recommend: the set current when it started */
} req;

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

int serve_state_init(serve_state *s, const serve_config *cfg, const serve_limits *lim, int quiet,
		     or_err *err)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->lim = *lim;
	s->quiet = quiet;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->reload_mu, NULL);
	s->next_version = 1;
	return serve_reload(s, err);
}

void serve_state_release(serve_state *s)
{
	serve_models_unref(s->cur);
	s->cur = NULL;
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->reload_mu);
}

int serve_reload(serve_state *s, or_err *err)
{
	pthread_mutex_lock(&s->reload_mu);
	serve_models *m = NULL;
	int rc = serve_models_load(&s->cfg, s->next_version, &m, err);
	if (!rc) {
		s->next_version++;
		pthread_mutex_lock(&s->mu);
		serve_models *old = s->cur;
		s->cur = m;
		pthread_mutex_unlock(&s->mu);
		serve_models_unref(old); /* freed once its last request is done */
		atomic_fetch_add(&s->reloads_ok, 1);
	} else {
		atomic_fetch_add(&s->reloads_refused, 1);
	}
	pthread_mutex_unlock(&s->reload_mu);
	return rc;
}

static serve_models *acquire(serve_state *s)
{
	pthread_mutex_lock(&s->mu);
	serve_models *m = s->cur;
	if (m)
		serve_models_ref(m);
	pthread_mutex_unlock(&s->mu);
	return m;
}

/* Queue body (malloc'd, taken over) as the answer. */
static enum MHD_Result reply(struct MHD_Connection *c, req *r, int status, char *body, size_t len,
			     const char *type, const char *allow)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	if (allow)
		MHD_add_response_header(resp, "Allow", allow);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	r->out_bytes = len;
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, req *r, int status, const char *allow,
				   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static enum MHD_Result reply_error(struct MHD_Connection *c, req *r, int status, const char *allow,
				   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *js = serve_error_json(msg);
	if (!js)
		return MHD_NO;
	return reply(c, r, status, js, strlen(js), "application/json", allow);
}

static enum MHD_Result do_recommend(serve_state *s, struct MHD_Connection *c, req *r)
{
	if (r->too_big)
		return reply_error(c, r, 413, NULL, "request body over %zu bytes (--max-body)",
				   s->lim.max_body);
	int64_t k = 20;
	const char *ks = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k");
	if (ks && cli_parse_i64(ks, 1, OR_RECOMMEND_K_MAX, &k))
		return reply_error(c, r, 400, NULL, "k must be an integer in 1..%d, not '%.40s'",
				   OR_RECOMMEND_K_MAX, ks);
	serve_models *m = r->m;
	if (!m)
		return reply_error(c, r, 503, NULL, "no models loaded");
	or_err err;
	or_err_clear(&err);
	serve_batch b;
	memset(&b, 0, sizeof(b));
	or_store *st = NULL;
	int64_t *rows[3] = { NULL, NULL, NULL };
	char *out = NULL;
	size_t len = 0, cap = 0;
	int rc = serve_batch_parse(&b, r->body ? r->body : "", r->len, &s->lim, &err);
	int status = rc == OR_EFORMAT ? 400 : 500;
	if (!rc)
		rc = serve_batch_store(&b, &st, &err);
	size_t cells = b.ns * (size_t)k; /* both bounded by the limits */
	for (int t = 0; !rc && t < 3; t++)
		if (!(rows[t] = malloc(cells * sizeof(int64_t))))
			rc = or_err_set(&err, OR_ENOMEM, "out of memory");
	if (!rc)
		rc = serve_models_recommend(m, st, (size_t)k, rows, &err);
	for (size_t i = 0; !rc && i < b.ns; i++)
		if (serve_answer_line(&out, &len, &cap, b.sid[i], rows, i, (size_t)k))
			rc = or_err_set(&err, OR_ENOMEM, "out of memory");
	or_store_free(st);
	for (int t = 0; t < 3; t++)
		free(rows[t]);
	r->sessions = rc ? 0 : b.ns;
	serve_batch_release(&b);
	if (rc) {
		free(out);
		return reply_error(c, r, status, NULL, "%s", err.msg);
	}
	atomic_fetch_add(&s->sessions, r->sessions);
	return reply(c, r, 200, out, len, "application/x-ndjson", NULL);
}

static enum MHD_Result do_health(serve_state *s, struct MHD_Connection *c, req *r)
{
	serve_models *m = acquire(s);
	if (!m)
		return reply_error(c, r, 503, NULL, "no models loaded");
	char *js = NULL;
	int n = asprintf(&js, "{\"status\":\"ok\",\"strategy\":\"%s\",\"model_version\":%u}\n",
			 serve_models_strategy(m), serve_models_version(m));
	serve_models_unref(m);
	if (n < 0)
		return MHD_NO;
	return reply(c, r, 200, js, (size_t)n, "application/json", NULL);
}

static enum MHD_Result do_metrics(serve_state *s, struct MHD_Connection *c, req *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("# HELP ottorec_requests_total HTTP requests answered, by status code.\n"
	      "# TYPE ottorec_requests_total counter\n", f);
	for (int i = 0; i < SERVE_N_CODES; i++) {
		unsigned long long v = atomic_load(&s->requests[i]);
		if (i < SERVE_N_CODES - 1)
			fprintf(f, "ottorec_requests_total{code=\"%d\"} %llu\n", codes[i], v);
		else
			fprintf(f, "ottorec_requests_total{code=\"other\"} %llu\n", v);
	}
	fputs("# HELP ottorec_request_seconds Time from a request's first byte to its answer.\n"
	      "# TYPE ottorec_request_seconds histogram\n", f);
	unsigned long long cum = 0;
	for (int i = 0; i < SERVE_N_BUCKETS; i++) {
		cum += atomic_load(&s->bucket[i]);
		if (i < SERVE_N_BUCKETS - 1)
			fprintf(f, "ottorec_request_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[i], cum);
		else
			fprintf(f, "ottorec_request_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	}
	fprintf(f, "ottorec_request_seconds_sum %.6f\nottorec_request_seconds_count %llu\n",
		(double)atomic_load(&s->latency_us) / 1e6, cum);
	fprintf(f, "# HELP ottorec_sessions_recommended_total Sessions answered by /recommend.\n"
		"# TYPE ottorec_sessions_recommended_total counter\n"
		"ottorec_sessions_recommended_total %llu\n", atomic_load(&s->sessions));
	fprintf(f, "# HELP ottorec_reloads_total Model reloads, by result.\n"
		"# TYPE ottorec_reloads_total counter\n"
		"ottorec_reloads_total{result=\"ok\"} %llu\n"
		"ottorec_reloads_total{result=\"refused\"} %llu\n",
		atomic_load(&s->reloads_ok), atomic_load(&s->reloads_refused));
	serve_models *m = acquire(s);
	if (m) {
		double at = serve_models_loaded_at(m);
		fprintf(f, "# HELP ottorec_model_version The model set answering (1 at start, +1 per reload).\n"
			"# TYPE ottorec_model_version gauge\n"
			"ottorec_model_version{strategy=\"%s\"} %u\n"
			"# HELP ottorec_model_loaded_timestamp_seconds When that set was loaded.\n"
			"# TYPE ottorec_model_loaded_timestamp_seconds gauge\n"
			"ottorec_model_loaded_timestamp_seconds %.3f\n"
			"# HELP ottorec_model_age_seconds Seconds since that set was loaded.\n"
			"# TYPE ottorec_model_age_seconds gauge\n"
			"ottorec_model_age_seconds %.3f\n",
			serve_models_strategy(m), serve_models_version(m), at, wall_now() - at);
		serve_models_unref(m);
	}
	fprintf(f, "# HELP ottorec_requests_in_flight Requests being received or answered.\n"
		"# TYPE ottorec_requests_in_flight gauge\n"
		"ottorec_requests_in_flight %d\n", atomic_load(&s->in_flight));
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	return reply(c, r, 200, buf, len, "text/plain; version=0.0.4", NULL);
}

static enum MHD_Result do_reload(serve_state *s, struct MHD_Connection *c, req *r)
{
	or_err err;
	or_err_clear(&err);
	if (serve_reload(s, &err))
		return reply_error(c, r, 500, NULL, "reload refused, the old models are kept: %s",
				   err.msg);
	serve_models *m = acquire(s);
	char *js = NULL;
	int n = asprintf(&js, "{\"reloaded\":true,\"model_version\":%u}\n",
			 m ? serve_models_version(m) : 0);
	serve_models_unref(m);
	if (n < 0)
		return MHD_NO;
	return reply(c, r, 200, js, (size_t)n, "application/json", NULL);
}

static enum MHD_Result route(serve_state *s, struct MHD_Connection *c, const char *url,
			     const char *method, req *r)
{
	static const struct {
		const char *path, *method;
		enum MHD_Result (*fn)(serve_state *, struct MHD_Connection *, req *);
	} routes[] = {
		{ "/recommend", "POST", do_recommend },
		{ "/health", "GET", do_health },
		{ "/metrics", "GET", do_metrics },
		{ "/reload", "POST", do_reload },
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(url, routes[i].path) != 0)
			continue;
		if (strcmp(method, routes[i].method) != 0)
			return reply_error(c, r, 405, routes[i].method, "%s %s: method not allowed (use %s)",
					   method, url, routes[i].method);
		return routes[i].fn(s, c, r);
	}
	return reply_error(c, r, 404, NULL, "no such path: %.200s (POST /recommend, GET /health, GET /metrics, POST /reload)",
			   url);
}

enum MHD_Result serve_http_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **ctx)
{
	serve_state *s = cls;
	req *r = *ctx;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		r->t0 = mono_now();
		snprintf(r->line, sizeof(r->line), "%s %s", method, url);
		*ctx = r;
		atomic_fetch_add(&s->in_flight, 1);
		if (strcmp(method, "POST") != 0)
			return route(s, c, url, method, r);
		if (!strcmp(url, "/recommend")) /* a reload from now on is not its concern */
			r->m = acquire(s);
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strlen(cl) < 20 && strtoull(cl, NULL, 10) > s->lim.max_body &&
		    !strcmp(url, "/recommend")) /* refused before the body is sent */
			return reply_error(c, r, 413, NULL, "request body of %s bytes is over %zu (--max-body)",
					   cl, s->lim.max_body);
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->too_big)
			return MHD_YES;
		if (r->len + n > s->lim.max_body) {
			r->too_big = 1; /* the rest is read and dropped */
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			return MHD_YES;
		}
		if (r->len + n > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			while (cap < r->len + n)
				cap *= 2;
			char *b = realloc(r->body, cap);
			if (!b)
				return MHD_NO;
			r->body = b;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		return MHD_YES;
	}
	if (r->status) /* answered already (413 up front) */
		return MHD_YES;
	return route(s, c, url, method, r);
}

void serve_http_completed(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_RequestTerminationCode toe)
{
	serve_state *s = cls;
	req *r = *ctx;
	if (!r)
		return;
	*ctx = NULL;
	double dt = mono_now() - r->t0;
	int ci = SERVE_N_CODES - 1; /* other */
	for (int i = 0; i < SERVE_N_CODES - 1; i++)
		if (codes[i] == r->status)
			ci = i;
	atomic_fetch_add(&s->requests[ci], 1);
	int bi = SERVE_N_BUCKETS - 1;
	for (int i = 0; i < SERVE_N_BUCKETS - 1; i++)
		if (dt <= bucket_le[i]) {
			bi = i;
			break;
		}
	atomic_fetch_add(&s->bucket[bi], 1);
	atomic_fetch_add(&s->latency_us, (unsigned long long)(dt * 1e6));
	if (!s->quiet) {
		const char *how = r->status ? "" : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ?
			" (timed out)" : " (closed before the answer)";
		fprintf(stderr, "ottorec serve: %s %d %zu bytes %.3f ms %zu sessions%s\n", r->line,
			r->status, r->out_bytes, dt * 1e3, r->sessions, how);
	}
	serve_models_unref(r->m); /* the last request of a replaced set frees it */
	free(r->body);
	free(r);
	atomic_fetch_sub(&s->in_flight, 1);
}
