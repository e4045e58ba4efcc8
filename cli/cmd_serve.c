/*
 * cmd_serve.c - `ottorec serve`: live recommendations over HTTP from the
 * models of `ottorec run -o OUTDIR`.  Owns the command's options and usage
 * text, the daemon's start (libmicrohttpd's thread pool, one worker per
 * --threads), the port file, and the signals: SIGHUP reloads, SIGTERM and
 * SIGINT stop accepting, let the requests in flight finish, and exit 0.
 * Routes, metrics and the model swap are serve_http.c's; the body parser
 * serve_request.c's; the models serve_models.c's.
 */
#include "cli.h"
#include "cli_pipeline.h"
#include "or_file.h"
#include "serve_http.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const CMD = "serve";

static const char usage_text[] =
	"usage: ottorec serve --model OUTDIR [--listen HOST:PORT] [--strategy S]\n"
	"                     [options]\n"
	"\n"
	"Answer recommendation requests over HTTP/1.1 from the models that\n"
	"`ottorec run -o OUTDIR` leaves (OUTDIR/covisit, index.ann, ranker.model,\n"
	"fit/blend.weights),\n"
	"opened read-only (mmap) once and shared by the worker threads.\n"
	"\n"
	"  POST /recommend[?k=N]  body: OTTO JSONL session lines, e.g.\n"
	"        {\"session\":42,\"events\":[{\"aid\":1,\"ts\":1661200010000,\"type\":\"clicks\"}]}\n"
	"      -> one line per session, in order:\n"
	"        {\"session\":42,\"clicks\":[..k aids],\"carts\":[..],\"orders\":[..]}\n"
	"  GET /health    200 once the models are loaded\n"
	"  GET /metrics   Prometheus text: requests by status, latency, sessions,\n"
	"                 model version and age\n"
	"  POST /reload   load OUTDIR again and swap it in (as SIGHUP); a model\n"
	"                 that fails to load is refused and the old one kept\n"
	"Bad requests get a 4xx and {\"error\":\"...\"} naming the problem.  The\n"
	"answers equal `ottorec recommend`'s for the same files, with the test\n"
	"period's popularity from --period (recommend --period STORE), read\n"
	"once at load.  SIGTERM: stop accepting, finish the requests in flight,\n"
	"exit 0.  One access-log line per request on stderr (unless -q).\n"
	"\n"
	"options:\n"
	"      --model OUTDIR     the run's output directory\n"
	"      --strategy S       covisit, seed, blend or ranker (default covisit)\n"
	"      --weights FILE     blend's weights (default OUTDIR/fit/blend.weights\n"
	"                         when it exists, else the built-in ones); blend\n"
	"                         uses OUTDIR/index.ann when it exists\n"
	"      --stats FILE       the ranker's item statistics (`ottorec stats`;\n"
	"                         default OUTDIR/ranker.stats when it exists and\n"
	"                         no --train is given), mapped, not built\n"
	"      --train STORE      a store of the training period (ranker;\n"
	"                         repeatable; without --stats and ranker.stats:\n"
	"                         default OUTDIR/train.store and OUTDIR/test.store,\n"
	"                         those that exist; with --stats: checked to be\n"
	"                         the stores it was built from)\n"
	"      --period STORE     the test period whose popularity fills the lists\n"
	"                         (covisit, blend, ranker; default\n"
	"                         OUTDIR/test.store)\n"
	"      --listen HOST:PORT IPv4 address and port (default 127.0.0.1:8080;\n"
	"                         port 0: any free one, see --port-file)\n"
	"      --port-file FILE   write the port listened on to FILE once ready\n"
	"      --threads N        worker threads (default: all cores)\n"
	"      --max-body BYTES   largest request body (default 1048576)\n"
	"      --max-sessions N   session lines per request (default 1000)\n"
	"      --max-events N     events per session (default 10000)\n"
	"      --timeout S        seconds a connection may stay idle or slow\n"
	"                         (default 10)\n"
	"  -q, --quiet            no access log\n"
	"  -h, --help             this text\n";

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	int64_t port;
	if (!colon || (size_t)(colon - s) >= sizeof(host) || cli_parse_i64(colon + 1, 0, 65535, &port))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int write_port(const char *path, unsigned port, or_err *err)
{
	char line[16];
	int n = snprintf(line, sizeof(line), "%u\n", port);
	or_file f;
	memset(&f, 0, sizeof(f));
	int rc = or_file_open(&f, path, err);
	if (!rc)
		rc = or_file_write(&f, line, (size_t)n, err);
	if (!rc)
		rc = or_file_commit(&f, err);
	or_file_abort(&f);
	return rc;
}

/* Wait until the requests in flight are done (at most `limit` seconds). */
static void drain(serve_state *s, double limit)
{
	double t0 = cli_now();
	while (atomic_load(&s->in_flight) > 0 && cli_now() - t0 < limit) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "strategy", required_argument, NULL, 's' },
		{ "train", required_argument, NULL, 'R' },
		{ "stats", required_argument, NULL, 'Z' },
		{ "period", required_argument, NULL, 'P' },
		{ "weights", required_argument, NULL, 'W' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'B' },
		{ "max-sessions", required_argument, NULL, 'S' },
		{ "max-events", required_argument, NULL, 'E' },
		{ "timeout", required_argument, NULL, 'O' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	serve_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.strategy = "covisit";
	serve_limits lim;
	serve_limits_default(&lim);
	const char *listen = "127.0.0.1:8080", *port_file = NULL;
	int64_t threads = 0, v, timeout = 10;
	int quiet = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'm': cfg.dir = optarg; break;
		case 's': cfg.strategy = optarg; break;
		case 'R':
			if (cfg.n_train == CLI_MAX_TRAIN)
				return cli_usage_error(CMD, "at most %d --train stores", CLI_MAX_TRAIN);
			cfg.train[cfg.n_train++] = optarg;
			break;
		case 'Z': cfg.stats = optarg; break;
		case 'P': cfg.period = optarg; break;
		case 'W': cfg.weights = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': port_file = optarg; break;
		case 't':
			if (cli_parse_threads(CMD, optarg, &threads))
				return CLI_USAGE;
			break;
		case 'B':
			if (cli_parse_i64(optarg, 1, (int64_t)1 << 32, &v))
				return cli_usage_error(CMD, "--max-body must be an integer in 1..4294967296, not '%s'", optarg);
			lim.max_body = (size_t)v;
			break;
		case 'S':
			if (cli_parse_i64(optarg, 1, 1000000, &v))
				return cli_usage_error(CMD, "--max-sessions must be an integer in 1..1000000, not '%s'", optarg);
			lim.max_sessions = (size_t)v;
			break;
		case 'E':
			if (cli_parse_i64(optarg, 1, 100000000, &v))
				return cli_usage_error(CMD, "--max-events must be an integer in 1..100000000, not '%s'", optarg);
			lim.max_events = (size_t)v;
			break;
		case 'O':
			if (cli_parse_i64(optarg, 1, 3600, &timeout))
				return cli_usage_error(CMD, "--timeout must be an integer in 1..3600, not '%s'", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CMD);
		default:
			return cli_bad_option(CMD, argv, "qh", opts);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!cfg.dir)
		return cli_usage_error(CMD, "give the run's output directory with --model OUTDIR");
	const or_strategy *st = or_strategy_find(cfg.strategy);
	if (!st || !(st->needs & OR_PER_SESSION))
		return cli_usage_error(CMD, "--strategy must be covisit, seed, blend or ranker, not '%s'",
				       cfg.strategy);
	if (cfg.weights && !(st->needs & OR_USES_WEIGHTS))
		return cli_usage_error(CMD, "--weights is for --strategy blend");
	struct sockaddr_in sa;
	if (parse_listen(listen, &sa))
		return cli_usage_error(CMD, "--listen must be IPV4:PORT (e.g. 127.0.0.1:8080), not '%s'", listen);
	char *hold[4] = { NULL, NULL, NULL, NULL };
	if ((st->needs & OR_NEEDS_TRAIN) && !cfg.n_train && !cfg.stats)
		cfg.stats = cli_existing_file(cfg.dir, "ranker.stats", &hold[3]);
	if ((st->needs & OR_NEEDS_TRAIN) && !cfg.n_train && !cfg.stats) {
		const char *a = cli_existing_file(cfg.dir, "train.store", &hold[0]);
		const char *b = cli_existing_file(cfg.dir, "test.store", &hold[1]);
		if (a)
			cfg.train[cfg.n_train++] = a;
		if (b)
			cfg.train[cfg.n_train++] = b;
	}
	if ((st->needs & OR_USES_PERIOD) && !cfg.period)
		cfg.period = cli_existing_file(cfg.dir, "test.store", &hold[2]);
	int rc = CLI_OK;
	if ((st->needs & OR_NEEDS_TRAIN) && !cfg.n_train && !cfg.stats)
		rc = cli_usage_error(CMD, "no %s/ranker.stats, train.store or test.store: give the training period's stores with --train STORE or their statistics with --stats FILE",
				     cfg.dir);
	else if ((st->needs & OR_USES_PERIOD) && !cfg.period)
		rc = cli_usage_error(CMD, "no %s/test.store: give the test period with --period STORE", cfg.dir);
	cfg.workers = (size_t)(threads ? threads : sysconf(_SC_NPROCESSORS_ONLN));
	if (cfg.workers < 1)
		cfg.workers = 1;
	/* the signals are taken by sigwait below, in this thread only */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	serve_state s;
	or_err err;
	or_err_clear(&err);
	double t0 = cli_now();
	int have_state = 0;
	if (!rc) {
		rc = serve_state_init(&s, &cfg, &lim, quiet, &err) ? CLI_FAIL : CLI_OK;
		have_state = 1;
		if (rc)
			cli_fail(CMD, &err);
	}
	struct MHD_Daemon *d = NULL;
	if (!rc) {
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
				     MHD_USE_TURBO,
				     0, NULL, NULL, serve_http_handler, &s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg.workers,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout,
				     MHD_OPTION_NOTIFY_COMPLETED, serve_http_completed, &s,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				     MHD_OPTION_END);
		if (!d) {
			fprintf(stderr, "ottorec %s: cannot listen on %s (address in use, or not this machine's?)\n",
				CMD, listen);
			rc = CLI_FAIL;
		}
	}
	if (!rc) {
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		unsigned port = info ? info->port : ntohs(sa.sin_port);
		if (port_file && write_port(port_file, port, &err))
			rc = cli_fail(CMD, &err);
		else
			fprintf(stderr, "ottorec serve: %s on %s port %u, %zu threads, ready in %.3f s (model version 1%s)\n",
				cfg.strategy, inet_ntoa(sa.sin_addr), port, cfg.workers, cli_now() - t0,
				serve_models_detail(s.cur));
	}
	while (!rc) {
		int sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			or_err_clear(&err);
			if (serve_reload(&s, &err))
				fprintf(stderr, "ottorec serve: reload refused, the old models are kept: %s\n", err.msg);
			else
				fprintf(stderr, "ottorec serve: reloaded %s\n", cfg.dir);
			continue;
		}
		fprintf(stderr, "ottorec serve: %s: finishing %d request(s) in flight, then exiting\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT", atomic_load(&s.in_flight));
		MHD_quiesce_daemon(d); /* no new connections */
		drain(&s, (double)timeout);
		break;
	}
	if (d)
		MHD_stop_daemon(d);
	if (have_state)
		serve_state_release(&s);
	for (int i = 0; i < 4; i++)
		free(hold[i]);
	return rc;
}
