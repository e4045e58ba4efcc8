/*
 * or_synth.c - the driver of the synthetic generator (API in or_synth.h):
 * configuration defaults and checks, session start times (a daily cycle of
 * activity), sharding sessions into fixed-size chunks that threads generate
 * with their own RNG states, the in-order merge into the store builders and
 * labels, and writing a data set directory.
 */
#include "or_synth.h"
#include "or_synth_internal.h"
#include "or_export.h"
#include "or_file.h"
#include "or_par.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Sessions per chunk: the unit of work and of RNG state.  Fixed, so the
   output does not depend on the thread count. */
#define SYNTH_CHUNK 4096

void or_synth_config_default(or_synth_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->scale = 0.01;
	cfg->seed = 42;
	cfg->threads = 0;
	cfg->train_len_median = 6.5;
	cfg->train_len_sigma = 1.5;
	cfg->test_len_median = 4.3;
	cfg->test_len_sigma = 1.35;
	cfg->group_size = 200;
	cfg->pop_spread = 1.0;
	cfg->pop_sigma_low = 0.6;
	cfg->group_share = 0.3;
	cfg->drift_sigma = 0.6;
	cfg->p_repeat = 0.06;
	cfg->p_revisit = 0.19;
	cfg->p_follow = 0.22;
	cfg->p_switch = 0.4;
	cfg->p_cart = 0.064;
	cfg->p_order = 0.105;
	cfg->item_landings = 3;
}

static int check_range(double v, double lo, double hi, const char *name, or_err *err)
{
	if (!(v >= lo && v <= hi))
		return or_err_set(err, OR_EINVAL, "%s %g is outside %g..%g", name, v, lo, hi);
	return OR_OK;
}

int or_synth_config_check(const or_synth_config *cfg, or_err *err)
{
	int rc;
	if (!(cfg->scale >= OR_SYNTH_SCALE_MIN && cfg->scale <= OR_SYNTH_SCALE_MAX))
		return or_err_set(err, OR_EINVAL,
				  "scale %g is outside %g..%g (1.0 is OTTO's full size)",
				  cfg->scale, OR_SYNTH_SCALE_MIN, OR_SYNTH_SCALE_MAX);
	if (cfg->threads < 0 || cfg->threads > 1024)
		return or_err_set(err, OR_EINVAL, "threads %d is outside 0..1024", cfg->threads);
	if ((rc = check_range(cfg->train_len_median, 1, 500, "train_len_median", err)) ||
	    (rc = check_range(cfg->train_len_sigma, 0, 5, "train_len_sigma", err)) ||
	    (rc = check_range(cfg->test_len_median, 1, 500, "test_len_median", err)) ||
	    (rc = check_range(cfg->test_len_sigma, 0, 5, "test_len_sigma", err)) ||
	    (rc = check_range(cfg->group_size, 1, 1e6, "group_size", err)) ||
	    (rc = check_range(cfg->pop_spread, 0, 3, "pop_spread", err)) ||
	    (rc = check_range(cfg->pop_sigma_low, 0, 5, "pop_sigma_low", err)) ||
	    (rc = check_range(cfg->group_share, 0, 1, "group_share", err)) ||
	    (rc = check_range(cfg->drift_sigma, 0, 3, "drift_sigma", err)) ||
	    (rc = check_range(cfg->p_repeat, 0, 1, "p_repeat", err)) ||
	    (rc = check_range(cfg->p_revisit, 0, 1, "p_revisit", err)) ||
	    (rc = check_range(cfg->p_follow, 0, 1, "p_follow", err)) ||
	    (rc = check_range(cfg->p_switch, 0, 1, "p_switch", err)) ||
	    (rc = check_range(cfg->p_cart, 0, 1, "p_cart", err)) ||
	    (rc = check_range(cfg->p_order, 0, 1, "p_order", err)))
		return rc;
	if (cfg->item_landings < 0 || cfg->item_landings > 100)
		return or_err_set(err, OR_EINVAL, "item_landings %d is outside 0..100",
				  cfg->item_landings);
	if (cfg->p_repeat + cfg->p_revisit + cfg->p_follow > 1.0)
		return or_err_set(err, OR_EINVAL,
				  "p_repeat + p_revisit + p_follow is %g, more than 1",
				  cfg->p_repeat + cfg->p_revisit + cfg->p_follow);
	return OR_OK;
}

static size_t scaled(double full, double scale, size_t min)
{
	double v = floor(full * scale + 0.5);
	return v < (double)min ? min : (size_t)v;
}

size_t or_synth_n_train_sessions(double scale)
{
	return scaled(OR_SYNTH_OTTO_TRAIN_SESSIONS, scale, 1);
}
size_t or_synth_n_test_sessions(double scale)
{
	return scaled(OR_SYNTH_OTTO_TEST_SESSIONS, scale, 1);
}
size_t or_synth_n_items(double scale)
{
	return scaled(OR_SYNTH_OTTO_ITEMS, scale, 2);
}

/* ---- session start times: a period with a daily cycle of activity ---- */

typedef struct or_synth_period {
	int64_t t0;
	size_t n_min; /* minutes */
	double *cum;  /* [n_min+1] cumulative activity */
} or_synth_period;

static int period_init(or_synth_period *p, int64_t t0, int64_t t1, or_err *err)
{
	p->t0 = t0;
	p->n_min = (size_t)((t1 - t0) / 60000);
	p->cum = malloc(sizeof(double) * (p->n_min + 1));
	if (!p->cum)
		return or_err_set(err, OR_ENOMEM, "out of memory");
	p->cum[0] = 0;
	for (size_t m = 0; m < p->n_min; m++) {
		/* hour of day in UTC; shoppers (CEST) peak around 20:30 local */
		double h = fmod(((double)t0 / 60000.0 + (double)m) / 60.0, 24.0);
		double day = floor(((double)t0 / 60000.0 + (double)m) / 1440.0);
		double a = 1.0 + 0.6 * cos(2 * M_PI * (h - 18.5) / 24.0);
		a *= 1.0 + 0.08 * cos(2 * M_PI * fmod(day + 3, 7.0) / 7.0);
		p->cum[m + 1] = p->cum[m] + a;
	}
	return OR_OK;
}

static void period_release(or_synth_period *p)
{
	free(p->cum);
	p->cum = NULL;
}

/* The time at which a fraction q (0 <= q < 1) of the period's activity is
   behind: monotone in q, so session ids grow with start time. */
static int64_t period_at(const or_synth_period *p, double q)
{
	double x = q * p->cum[p->n_min];
	size_t lo = 0, hi = p->n_min; /* cum[lo] <= x < cum[hi] */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (p->cum[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	double f = (x - p->cum[lo]) / (p->cum[lo + 1] - p->cum[lo]);
	if (f < 0)
		f = 0;
	if (f >= 1)
		f = 0.999999;
	return p->t0 + (int64_t)(((double)lo + f) * 60000.0);
}

/* ---- chunks ---- */

typedef struct chunk_buf {
	uint32_t *item; /* internal items, turned into aids in place */
	int64_t *ts;
	uint8_t *type;
	size_t cap, n;
	uint32_t len[SYNTH_CHUNK];
	uint32_t cut[SYNTH_CHUNK];
	size_t ns;
} chunk_buf;

static int chunk_reserve(chunk_buf *b, size_t need)
{
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < need)
		cap *= 2;
	uint32_t *it = realloc(b->item, cap * sizeof(*it));
	if (!it)
		return -1;
	b->item = it;
	int64_t *ts = realloc(b->ts, cap * sizeof(*ts));
	if (!ts)
		return -1;
	b->ts = ts;
	uint8_t *ty = realloc(b->type, cap);
	if (!ty)
		return -1;
	b->type = ty;
	b->cap = cap;
	return 0;
}

static void chunk_release(chunk_buf *b)
{
	if (!b)
		return;
	free(b->item);
	free(b->ts);
	free(b->type);
	free(b);
}

typedef struct phase {
	const or_synth_model *model;
	const or_synth_period *period;
	int is_test;
	size_t n_sessions;
	int64_t id0;
	int64_t t_end;
	double len_median, len_sigma;
	size_t n_landings; /* this many sessions, evenly spaced, start on a
			      landing item */
	uint64_t scatter;  /* train: coprime with the item count, landing j is
			      on item (j mod n_items) * scatter mod n_items,
			      so every item gets the same number; test (0): a
			      random item */
} phase;

static int chunk_gen(const phase *ph, uint64_t seed, size_t ci, chunk_buf *b)
{
	or_synth_rng r;
	or_synth_rng_seed(&r, seed, ph->is_test ? SYNTH_STREAM_TEST : SYNTH_STREAM_TRAIN, ci);
	size_t first = ci * SYNTH_CHUNK;
	size_t ns = ph->n_sessions - first < SYNTH_CHUNK ? ph->n_sessions - first : SYNTH_CHUNK;
	b->n = 0;
	b->ns = ns;
	for (size_t s = 0; s < ns; s++) {
		if (chunk_reserve(b, b->n + OR_SYNTH_MAX_SESSION))
			return OR_ENOMEM;
		double q = ((double)(first + s) + or_synth_unif(&r)) / (double)ph->n_sessions;
		int64_t t0 = period_at(ph->period, q);
		uint32_t target = or_synth_session_length(ph->len_median, ph->len_sigma, &r);
		uint32_t landing = SYNTH_NO_ITEM;
		uint64_t i = first + s, n_items = ph->model->cat->n_items;
		uint64_t j = i * ph->n_landings / ph->n_sessions;
		if ((i + 1) * ph->n_landings / ph->n_sessions > j)
			landing = ph->scatter ? (uint32_t)(((j % n_items) * ph->scatter) % n_items)
					      : or_synth_below(&r, (uint32_t)n_items);
		size_t n = or_synth_session_gen(ph->model, &r, t0, ph->t_end, target, landing,
						b->item + b->n, b->ts + b->n, b->type + b->n);
		b->len[s] = (uint32_t)n;
		/* the organiser's rule: keep a random prefix of 1..n-1 events */
		b->cut[s] = ph->is_test ? 1 + or_synth_below(&r, (uint32_t)(n - 1)) : (uint32_t)n;
		b->n += n;
	}
	const uint32_t *aid = ph->model->cat->aid;
	for (size_t i = 0; i < b->n; i++)
		b->item[i] = aid[b->item[i]];
	return OR_OK;
}

/* Append a generated chunk to the builder (and labels); single-threaded. */
static int chunk_merge(const phase *ph, size_t ci, const chunk_buf *b,
		       or_store_builder *out, or_store_builder *full, or_labels *labels,
		       or_synth_result *res, or_err *err)
{
	size_t at = 0;
	for (size_t s = 0; s < b->ns; s++) {
		or_session ses = {
			.id = ph->id0 + (int64_t)(ci * SYNTH_CHUNK + s),
			.n = b->len[s],
			.aid = b->item + at,
			.ts = b->ts + at,
			.type = b->type + at,
		};
		size_t keep = b->cut[s];
		int rc = or_store_builder_add(out, ses.id, keep, ses.aid, ses.ts, ses.type, err);
		if (!rc && ph->is_test)
			rc = or_labels_add_cut(labels, &ses, keep, err);
		if (!rc && full)
			rc = or_store_builder_add(full, ses.id, ses.n, ses.aid, ses.ts, ses.type, err);
		if (rc)
			return rc;
		uint64_t *ty = ph->is_test ? res->test_type : res->train_type;
		for (size_t i = 0; i < keep; i++)
			ty[ses.type[i]]++;
		if (ph->is_test) {
			res->test_sessions++;
			res->test_events += keep;
		} else {
			res->train_sessions++;
			res->train_events += keep;
		}
		at += ses.n;
	}
	return OR_OK;
}

static int run_phase(const phase *ph, uint64_t seed, int threads,
		     or_store_builder *out, or_store_builder *full, or_labels *labels,
		     const or_log *log, or_synth_result *res, or_err *err)
{
	const char *stage = ph->is_test ? "synth test" : "synth train";
	size_t n_chunks = (ph->n_sessions + SYNTH_CHUNK - 1) / SYNTH_CHUNK;
	int failed = OR_PAR_OK, rc = OR_OK;
	(void)threads;
	OMP(omp parallel num_threads(threads))
	{
		chunk_buf *b = calloc(1, sizeof(*b));
		OMP(omp for ordered schedule(dynamic, 1))
		for (size_t ci = 0; ci < n_chunks; ci++) {
			int my = OR_OK;
			if (!or_par_failed(&failed)) {
				if (!b)
					my = OR_ENOMEM;
				else if (or_log_cancelled(log))
					my = OR_ECANCELLED;
				else
					my = chunk_gen(ph, seed, ci, b);
			}
			/* in chunk order: the first failure sets the error */
			OMP(omp ordered)
			{
				if (my && or_par_fail(&failed, my == OR_ECANCELLED ? OR_PAR_CANCELLED
										   : OR_PAR_FAILED))
					rc = my == OR_ECANCELLED
						     ? or_err_set(err, my, "interrupted")
						     : or_err_set(err, my, "out of memory generating sessions");
				if (!or_par_failed(&failed)) {
					rc = chunk_merge(ph, ci, b, out, full, labels, res, err);
					if (rc)
						or_par_fail(&failed, OR_PAR_FAILED);
					double done = (double)(ci + 1 == n_chunks ? ph->n_sessions
										  : (ci + 1) * SYNTH_CHUNK);
					or_log_progress(log, stage, done, (double)ph->n_sessions,
							"sessions");
				}
			}
		}
		chunk_release(b);
	}
	return rc;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int or_synth_generate(const or_synth_config *cfg, or_store_builder *train,
		      or_store_builder *test, or_labels *labels,
		      const or_log *log, or_synth_result *res, or_err *err)
{
	return or_synth_generate_full(cfg, train, test, NULL, labels, log, res, err);
}

int or_synth_generate_full(const or_synth_config *cfg, or_store_builder *train,
			   or_store_builder *test, or_store_builder *test_full,
			   or_labels *labels, const or_log *log,
			   or_synth_result *res, or_err *err)
{
	int rc = or_synth_config_check(cfg, err);
	if (rc)
		return rc;
	or_synth_result local;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	int threads = or_par_threads(cfg->threads);

	or_synth_catalogue cat;
	rc = or_synth_catalogue_build(&cat, cfg, or_synth_n_items(cfg->scale), threads, err);
	if (rc)
		return rc;
	res->n_items = cat.n_items;
	or_synth_model model;
	or_synth_model_init(&model, &cat, cfg);

	const int64_t t0 = OR_SYNTH_TS_START;
	const int64_t t1 = t0 + OR_SYNTH_TRAIN_WEEKS * OR_SYNTH_WEEK_MS;
	const int64_t t2 = t1 + OR_SYNTH_WEEK_MS;
	or_synth_period ptrain = { 0 }, ptest = { 0 };
	rc = period_init(&ptrain, t0, t1, err);
	if (!rc)
		rc = period_init(&ptest, t1, t2, err);
	size_t n_train = or_synth_n_train_sessions(cfg->scale);
	if (!rc) {
		/* landings: every item starts item_landings train sessions
		   (at most every session), spread evenly over the weeks; the
		   items of a group are spread apart by a multiplicative scatter */
		size_t n_land = (size_t)cfg->item_landings * cat.n_items;
		uint64_t scatter = 2654435761u % cat.n_items;
		while (scatter < 1 || gcd_u64(scatter, cat.n_items) != 1)
			scatter++;
		phase ph = { &model, &ptrain, 0, n_train, 0, t1,
			     cfg->train_len_median, cfg->train_len_sigma,
			     n_land < n_train ? n_land : n_train, scatter };
		rc = run_phase(&ph, cfg->seed, threads, train, NULL, labels, log, res, err);
	}
	if (!rc) {
		/* the same share of test sessions starts on a landing item,
		   drawn at random */
		size_t n_test = or_synth_n_test_sessions(cfg->scale);
		double share = (double)cfg->item_landings * cat.n_items / (double)n_train;
		size_t n_land = share >= 1 ? n_test : (size_t)floor(share * (double)n_test + 0.5);
		phase ph = { &model, &ptest, 1, n_test, (int64_t)n_train, t2,
			     cfg->test_len_median, cfg->test_len_sigma, n_land, 0 };
		rc = run_phase(&ph, cfg->seed, threads, test, test_full, labels, log, res, err);
	}
	res->labels = labels->n;
	period_release(&ptrain);
	period_release(&ptest);
	or_synth_catalogue_release(&cat);
	return rc;
}

/* ---- writing a data set directory ---- */

static char *join(const char *dir, const char *name, or_err *err)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p) {
		or_err_set(err, OR_ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int export_one(const char *store_path, const char *jsonl_path,
		      const or_log *log, or_err *err)
{
	or_store *st = NULL;
	int rc = or_store_open(store_path, &st, err);
	if (!rc)
		rc = or_export_jsonl(st, jsonl_path, log, err);
	or_store_free(st);
	return rc;
}

int or_synth_write_dir(const or_synth_config *cfg, const char *dir, int jsonl,
		       const or_log *log, or_synth_result *res, or_err *err)
{
	static const char *const names[] = {
		"train.store", "test.store", "test_labels.jsonl", "train.jsonl", "test.jsonl"
	};
	enum { N_OUT = 5 };
	int rc = or_synth_config_check(cfg, err);
	if (rc)
		return rc;
	rc = or_dir_make_all(dir, err);
	if (rc)
		return rc;
	char *path[N_OUT] = { 0 };
	for (int i = 0; i < N_OUT && !rc; i++)
		if (!(path[i] = join(dir, names[i], err)))
			rc = OR_ENOMEM;
	or_store_builder *train = NULL, *test = NULL;
	or_labels labels;
	or_labels_init(&labels);
	if (!rc)
		rc = or_store_builder_new(&train, err);
	if (!rc)
		rc = or_store_builder_new(&test, err);
	if (!rc)
		rc = or_synth_generate(cfg, train, test, &labels, log, res, err);
	/* from here on the directory changes: on failure, none of this run's
	   outputs stays (each file is written whole or not at all, and a
	   mix of two runs must not be left either) */
	int written[N_OUT] = { 0 };
	if (!rc)
		written[0] = !(rc = or_store_builder_write(train, path[0], log, err));
	or_store_builder_free(train);
	if (!rc)
		written[1] = !(rc = or_store_builder_write(test, path[1], log, err));
	or_store_builder_free(test);
	if (!rc)
		written[2] = !(rc = or_labels_write_jsonl(&labels, path[2], err));
	or_labels_release(&labels);
	if (!rc && jsonl)
		written[3] = !(rc = export_one(path[0], path[3], log, err));
	if (!rc && jsonl)
		written[4] = !(rc = export_one(path[1], path[4], log, err));
	/* JSONL already there is not this run's: it may be the user's own
	   (OTTO's real files), so it stays, with a warning that it does not
	   hold these stores' sessions */
	for (int i = 3; !rc && !jsonl && i < N_OUT; i++)
		if (access(path[i], F_OK) == 0)
			or_log_msg(log, OR_LOG_WARN,
				   "%s is not from this run (kept as it was): it does not hold the new stores' sessions",
				   path[i]);
	/* on failure only this run's files go (the directory never mixes two
	   runs' stores; what this run did not write is never deleted) */
	for (int i = 0; rc && i < N_OUT; i++)
		if (written[i])
			unlink(path[i]);
	for (int i = 0; i < N_OUT; i++)
		free(path[i]);
	return rc;
}
