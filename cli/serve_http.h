/*
 * serve_http.h - `ottorec serve`'s HTTP side over libmicrohttpd (Debian's
 * libmicrohttpd-dev: a maintained HTTP/1.1 server with a thread pool,
 * per-connection timeouts and memory limits; an HTTP parser is not
 * written here): the routes, the current model set and its atomic swap,
 * the access log and the Prometheus metrics.  cmd_serve.c owns the
 * options, the daemon's start and stop and the signals.
 *
 * Routes: POST /recommend[?k=N] (JSONL sessions -> one JSON line each),
 * GET /health, GET /metrics, POST /reload.  Errors are 4xx/5xx with
 * {"error":"..."}: 400 bad body or k, 404 unknown path, 405 wrong method
 * (with Allow), 413 body over --max-body, 500 a refused reload, 503 no
 * models.
 */
#ifndef OR_SERVE_HTTP_H
#define OR_SERVE_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <microhttpd.h>

#include "serve_models.h"
#include "serve_request.h"

#define SERVE_N_CODES 8   /* 200 400 404 405 413 500 503 and "other" (last) */
#define SERVE_N_BUCKETS 12

typedef struct serve_state {
	serve_config cfg;
	serve_limits lim;
	int quiet;
	pthread_mutex_t mu;        /* cur */
	serve_models *cur;
	pthread_mutex_t reload_mu; /* one reload at a time */
	unsigned next_version;
	atomic_int in_flight;
	atomic_ullong requests[SERVE_N_CODES];
	atomic_ullong bucket[SERVE_N_BUCKETS]; /* latency, cumulative at print */
	atomic_ullong latency_us;
	atomic_ullong sessions;
	atomic_ullong reloads_ok, reloads_refused;
} serve_state;

int serve_state_init(serve_state *s, const serve_config *cfg, const serve_limits *lim, int quiet,
		     or_err *err); /* loads the first models */
void serve_state_release(serve_state *s);

/* Load the configured OUTDIR again and swap it in; on failure the old set
   stays and err says why.  Serialised. */
int serve_reload(serve_state *s, or_err *err);

/* MHD's access handler and request-completed callback (cls: the state). */
enum MHD_Result serve_http_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **ctx);
void serve_http_completed(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_RequestTerminationCode toe);

#endif
