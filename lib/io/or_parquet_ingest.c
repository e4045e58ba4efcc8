/*
 * or_parquet_ingest.c - OTTO events from Parquet into an event store
 * builder: projects the session, aid, ts and type columns and reads them in
 * batches of rows.  A decoder thread (pthreads) decodes the next batch of
 * all four columns while the calling thread checks the current one,
 * converts ts to milliseconds and hands each session to the builder with
 * the same rules and messages as the CSV reader (contiguous sessions, time
 * order, ids once).  The pages of a decoded row group are dropped from the
 * resident set.  Hand-written for the reasons in or_parquet.h.
 */
#include "or_parquet.h"
#include "or_parquet_internal.h"
#include "or_ingest_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH ((size_t)1 << 17)
#define N_SLOTS 2

enum { C_SESSION = OR_PQ_EV_SESSION, C_AID = OR_PQ_EV_AID, C_TS = OR_PQ_EV_TS,
       C_TYPE = OR_PQ_EV_TYPE, N_COLS = OR_PQ_N_EVCOLS };
static const char *const col_names[N_COLS] = { "session", "aid", "ts", "type" };

int or_parquet_magic(const void *head, size_t n)
{
	return n >= 4 && memcmp(head, "PAR1", 4) == 0;
}

int or_parquet_type_word(const uint8_t *s, size_t n, int64_t *out)
{
	int t = or_type_from_word((const char *)s, n);
	if (t < 0 && n == 1 && s[0] >= '0' && s[0] <= '2')
		t = s[0] - '0';
	*out = t;
	return t < 0 ? -1 : 0;
}

/* One decoded batch: rows [row0, row0 + n) of the file, in row group rg. */
typedef struct pq_slot {
	int64_t *v[N_COLS];
	uint8_t *def[N_COLS];
	uint32_t *aid;
	int64_t *ts;         /* ts in milliseconds */
	uint8_t *type;
	int nulls[N_COLS];   /* the column had null slots in this batch */
	size_t n;
	size_t rg;
	uint64_t row0;
	size_t at;   /* file offset reached, for progress */
	int end;     /* no more batches (after this one, which is empty) */
	int rc;
	or_err err;
} pq_slot;

typedef struct pq_ingest {
	const or_parquet_file *f;
	const char *path;
	int li[N_COLS];
	int ts_unit;          /* OR_TS_MS / OR_TS_S, or OR_TS_AUTO until decided */
	int64_t ts_div;       /* 1000 for us, 1000000 for ns, else 1 */
	size_t batch;         /* rows per batch */
	pq_slot slot[N_SLOTS];
	/* the ring between the decoder thread and the caller */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t produced, consumed; /* slot counts */
	int stop;                  /* the caller gives up */
} pq_ingest;

static int row_fail(const pq_ingest *s, or_err *err, uint64_t row, size_t rg,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int row_fail(const pq_ingest *s, or_err *err, uint64_t row, size_t rg,
		    const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return or_err_set(err, OR_EFORMAT, "%s: row %llu (row group %zu): %s", s->path,
			  (unsigned long long)row, rg, what);
}

int or_parquet_events_columns(const or_parquet_file *f, const char *path,
			      const or_ingest_config *cfg, int li[OR_PQ_N_EVCOLS],
			      int *ts_unit, int64_t *ts_div, or_err *err)
{
	for (int k = 0; k < N_COLS; k++) {
		li[k] = or_parquet_find(f, col_names[k]);
		if (li[k] < 0)
			return or_err_set(err, OR_EFORMAT,
					  "%s: no column \"%s\" (expected columns session, aid, ts, type)",
					  path, col_names[k]);
		const or_parquet_leaf *l = &f->leaf[li[k]];
		if (strcmp(l->path, col_names[k]) != 0 || l->max_rep)
			return or_err_set(err, OR_EUNSUPPORTED,
					  "%s: unsupported: column \"%s\" is nested or a list (as \"%s\"); expected a plain integer column",
					  path, col_names[k], l->path);
		if (k != C_TYPE && l->kind == OR_PQ_KIND_STRING)
			return or_err_set(err, OR_EUNSUPPORTED,
					  "%s: unsupported: column \"%s\" holds strings; expected integers",
					  path, col_names[k]);
	}
	const or_parquet_leaf *ts = &f->leaf[li[C_TS]];
	*ts_div = 1;
	switch (ts->ts_unit) {
	case 1: *ts_unit = OR_TS_MS; break;
	case 2: *ts_unit = OR_TS_MS; *ts_div = 1000; break;
	case 3: *ts_unit = OR_TS_MS; *ts_div = 1000000; break;
	default: *ts_unit = cfg ? (int)cfg->ts_unit : OR_TS_AUTO; break;
	}
	return OR_OK;
}

static int find_columns(pq_ingest *s, const or_ingest_config *cfg, or_err *err)
{
	return or_parquet_events_columns(s->f, s->path, cfg, s->li, &s->ts_unit, &s->ts_div, err);
}

/* ---- the decoder thread ---------------------------------------------------- */

/* Wait for a free slot; NULL when the caller stopped. */
static pq_slot *slot_for_writing(pq_ingest *s)
{
	pthread_mutex_lock(&s->mu);
	while (!s->stop && s->produced - s->consumed == N_SLOTS)
		pthread_cond_wait(&s->cv, &s->mu);
	pq_slot *p = s->stop ? NULL : &s->slot[s->produced % N_SLOTS];
	pthread_mutex_unlock(&s->mu);
	return p;
}

static void slot_written(pq_ingest *s)
{
	pthread_mutex_lock(&s->mu);
	s->produced++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Decode one batch of row group rg into p; 0 rows at the group's end. */
static int decode_batch(pq_ingest *s, or_parquet_col *col, pq_slot *p)
{
	size_t got[N_COLS];
	for (int k = 0; k < N_COLS; k++) {
		uint64_t nulls = col[k].nulls;
		int rc = or_parquet_col_read(&col[k], p->v[k], p->def[k], NULL, s->batch, &got[k], &p->err);
		if (rc)
			return rc;
		p->nulls[k] = col[k].nulls != nulls;
	}
	for (int k = 1; k < N_COLS; k++)
		if (got[k] != got[0])
			return or_err_set(&p->err, OR_EFORMAT,
					  "%s: row group %zu: column \"%s\" has fewer values than column \"%s\"",
					  s->path, p->rg, col_names[got[k] < got[0] ? k : 0],
					  col_names[got[k] < got[0] ? 0 : k]);
	p->n = got[0];
	return OR_OK;
}

static void *decoder(void *arg)
{
	pq_ingest *s = arg;
	const or_parquet_file *f = s->f;
	uint64_t row = 0;
	int rc = OR_OK;
	pq_slot *p = NULL;
	or_parquet_col col[N_COLS]; /* buffers kept from row group to row group */
	memset(col, 0, sizeof(col));
	for (size_t rg = 0; rg < f->n_rg && !rc; rg++) {
		int open_k = 0;
		uint64_t rg_read = 0;
		if (!(p = slot_for_writing(s))) {
			rc = OR_ECANCELLED;
			break;
		}
		for (; open_k < N_COLS && !rc; open_k++)
			if ((rc = or_parquet_col_open(&col[open_k], f, rg, (size_t)s->li[open_k],
						      open_k == C_TYPE ? or_parquet_type_word : NULL, &p->err)))
				break;
		while (!rc) {
			if (!(p = slot_for_writing(s))) {
				rc = OR_ECANCELLED;
				break;
			}
			p->rg = rg;
			p->row0 = row;
			if ((rc = decode_batch(s, col, p)) || p->n == 0)
				break;
			p->at = (size_t)(col[0].pos - f->map);
			p->end = 0;
			p->rc = OR_OK;
			row += p->n;
			rg_read += p->n;
			slot_written(s);
		}
		if (!rc && rg_read != (uint64_t)f->rg_rows[rg])
			rc = or_err_set(&p->err, OR_EFORMAT, "%s: row group %zu: columns hold %llu rows, the metadata says %lld",
					s->path, rg, (unsigned long long)rg_read, (long long)f->rg_rows[rg]);
		or_parquet_drop_pages(f, rg);
	}
	for (int k = 0; k < N_COLS; k++)
		or_parquet_col_release(&col[k]);
	if (rc == OR_ECANCELLED)
		return NULL;
	if (!rc && !(p = slot_for_writing(s)))
		return NULL;
	if (p) {
		p->n = 0;
		p->end = 1;
		p->rc = rc;
		slot_written(s);
	}
	return NULL;
}

/* ---- the calling thread: checks and sessions --------------------------------- */

typedef struct pq_state {
	int64_t cur;      /* session being gathered in ev (carried over batches) */
	uint64_t cur_row;
	size_t cur_rg;
	or_evbuf ev;
	uint64_t rows;
} pq_state;

static int add_session(const pq_ingest *s, or_store_builder *b, uint64_t row, size_t rg,
		       int64_t session, size_t n, const uint32_t *aid, const int64_t *ts,
		       const uint8_t *type, or_err *err)
{
	or_err inner;
	int rc = or_store_builder_add(b, session, n, aid, ts, type, &inner);
	if (rc)
		return or_err_set(err, rc, "%s: row %llu (row group %zu): session %lld: %s", s->path,
				  (unsigned long long)row, rg, (long long)session, inner.msg);
	return OR_OK;
}

/* Find the first bad value of the batch and say what it is. */
static int batch_error(pq_ingest *s, pq_slot *p, or_err *err, int64_t mul)
{
	const or_parquet_file *f = s->f;
	for (size_t i = 0; i < p->n; i++) {
		uint64_t r = p->row0 + i + 1;
		for (int k = 0; k < N_COLS; k++) {
			int md = f->leaf[s->li[k]].max_def;
			if (md && p->def[k][i] != md)
				return row_fail(s, err, r, p->rg, "column %s is null", col_names[k]);
		}
		int64_t se = p->v[C_SESSION][i], a = p->v[C_AID][i], t = p->v[C_TS][i],
			y = p->v[C_TYPE][i];
		if (se < 0)
			return row_fail(s, err, r, p->rg, "column session: expected a non-negative integer session id, found %lld",
					(long long)se);
		if (a < 0 || a > (int64_t)OR_AID_MAX)
			return row_fail(s, err, r, p->rg, "column aid: expected an integer aid in 0..2147483647, found %lld",
					(long long)a);
		if (y < 0 || y > 2)
			return row_fail(s, err, r, p->rg, "column type: expected type 0, 1, 2 (clicks, carts, orders), found %lld",
					(long long)y);
		if (t < 0 || t / s->ts_div > OR_TS_MAX_MS / mul)
			return row_fail(s, err, r, p->rg, "column ts: %lld%s is out of range (0 to year 9999)",
					(long long)t, mul == 1000 ? " seconds" : "");
		if (t % s->ts_div)
			return row_fail(s, err, r, p->rg, "column ts: %lld is not a whole millisecond", (long long)t);
	}
	return or_err_set(err, OR_EFORMAT, "%s: row group %zu: a bad value", s->path, p->rg);
}

static int consume(pq_ingest *s, pq_state *st, or_store_builder *b, pq_slot *p, or_err *err)
{
	const or_parquet_file *f = s->f;
	size_t n = p->n;
	int64_t *vs = p->v[C_SESSION], *va = p->v[C_AID], *vt = p->v[C_TS], *vy = p->v[C_TYPE];
	if (s->ts_unit == OR_TS_AUTO)
		s->ts_unit = or_ts_unit_guess(vt[0]);
	int64_t mul = s->ts_unit == OR_TS_S ? 1000 : 1, div = s->ts_div;
	/* checks as whole-column passes; details only when one fails */
	int bad = 0;
	for (int k = 0; k < N_COLS; k++) {
		int md = f->leaf[s->li[k]].max_def;
		if (!md || !p->nulls[k])
			continue;
		const uint8_t *d = p->def[k];
		unsigned acc = 0;
		for (size_t i = 0; i < n; i++)
			acc |= d[i] ^ (unsigned)md;
		bad |= acc != 0;
	}
	int64_t ts_hi = OR_TS_MAX_MS / mul > INT64_MAX / div ? INT64_MAX : OR_TS_MAX_MS / mul * div;
	uint64_t or_s = 0, or_a = 0, or_y = 0;
	int ts_bad = 0;
	int64_t *ts = p->ts; /* ts in ms; vt keeps the file's values for messages */
	for (size_t i = 0; i < n; i++) {
		or_s |= (uint64_t)vs[i];
		or_a |= (uint64_t)va[i];
		or_y |= (uint64_t)(vy[i] > 2 || vy[i] < 0);
		ts_bad |= vt[i] < 0 || vt[i] > ts_hi;
		p->aid[i] = (uint32_t)va[i];
		p->type[i] = (uint8_t)vy[i];
		/* wraps harmlessly where ts_bad is set (the batch is refused) */
		ts[i] = (int64_t)((uint64_t)vt[i] * (uint64_t)mul);
	}
	bad |= (or_s >> 63) != 0 || or_a > OR_AID_MAX || or_y || ts_bad;
	if (div > 1)
		for (size_t i = 0; i < n; i++)
			bad |= vt[i] % div != 0;
	if (bad)
		return batch_error(s, p, err, mul);
	if (div > 1)
		for (size_t i = 0; i < n; i++)
			ts[i] = vt[i] / div;
	/* sessions: runs of equal ids, in time order */
	size_t i = 0;
	while (i < n) {
		int64_t id = vs[i];
		size_t j = i + 1;
		for (; j < n && vs[j] == id; j++)
			if (ts[j] < ts[j - 1])
				return row_fail(s, err, p->row0 + j + 1, p->rg,
						"ts %lld is earlier than the previous row of session %lld; rows must be grouped by session and in time order",
						(long long)vt[j], (long long)id);
		int rc;
		if (i == 0 && st->ev.n && id == st->cur) {
			/* the session carried over from the previous batch goes on */
			if (ts[0] < st->ev.ts[st->ev.n - 1])
				return row_fail(s, err, p->row0 + 1, p->rg,
						"ts %lld is earlier than the previous row of session %lld; rows must be grouped by session and in time order",
						(long long)vt[0], (long long)id);
		} else {
			if (st->ev.n && (rc = add_session(s, b, st->cur_row, st->cur_rg, st->cur, st->ev.n,
							  st->ev.aid, st->ev.ts, st->ev.type, err)))
				return rc;
			st->ev.n = 0;
			st->cur = id;
			st->cur_row = p->row0 + i + 1;
			st->cur_rg = p->rg;
			if (j < n) {
				/* wholly inside this batch: straight to the builder */
				if ((rc = add_session(s, b, st->cur_row, p->rg, id, j - i, p->aid + i,
						      ts + i, p->type + i, err)))
					return rc;
				i = j;
				continue;
			}
		}
		/* may go on in the next batch: keep it */
		for (size_t k = i; k < j; k++)
			if (or_evbuf_push(&st->ev, p->aid[k], ts[k], p->type[k]))
				return or_err_set(err, OR_ENOMEM, "out of memory");
		i = j;
	}
	st->rows += n;
	return OR_OK;
}

int or_parquet_ingest(or_store_builder *b, const char *path,
		      const or_ingest_config *cfg, const or_log *log, or_err *err)
{
	or_parquet_file *f;
	int rc = or_parquet_open(path, &f, err);
	if (rc)
		return rc;
	pq_ingest s;
	memset(&s, 0, sizeof(s));
	s.f = f;
	s.path = path;
	pq_state st = { .cur = -1 };
	if ((rc = find_columns(&s, cfg, err)))
		goto out;
	/* batches of BATCH rows, or of the largest row group when smaller */
	s.batch = 1;
	for (size_t rg = 0; rg < f->n_rg; rg++)
		if ((uint64_t)f->rg_rows[rg] > s.batch)
			s.batch = f->rg_rows[rg] < (int64_t)BATCH ? (size_t)f->rg_rows[rg] : BATCH;
	for (int j = 0; j < N_SLOTS; j++) {
		pq_slot *p = &s.slot[j];
		for (int k = 0; k < N_COLS; k++) {
			p->v[k] = malloc(s.batch * sizeof(int64_t));
			p->def[k] = malloc(s.batch);
			if (!p->v[k] || !p->def[k])
				rc = OR_ENOMEM;
		}
		p->aid = malloc(s.batch * sizeof(uint32_t));
		p->ts = malloc(s.batch * sizeof(int64_t));
		if (!p->ts)
			rc = OR_ENOMEM;
		p->type = malloc(s.batch);
		if (!p->aid || !p->type)
			rc = OR_ENOMEM;
	}
	if (rc) {
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	pthread_t th;
	if (pthread_create(&th, NULL, decoder, &s)) {
		rc = or_err_set(err, OR_ENOMEM, "cannot start the Parquet decoder thread");
	} else {
		for (;;) {
			pthread_mutex_lock(&s.mu);
			while (s.produced == s.consumed)
				pthread_cond_wait(&s.cv, &s.mu);
			pthread_mutex_unlock(&s.mu);
			pq_slot *p = &s.slot[s.consumed % N_SLOTS];
			/* p belongs to the decoder again once consumed moves on */
			int end = p->end;
			if (end) {
				if ((rc = p->rc))
					*err = p->err;
			} else {
				rc = consume(&s, &st, b, p, err);
				if (!rc && or_log_cancelled(log))
					rc = or_err_set(err, OR_ECANCELLED, "interrupted");
				if (!rc)
					or_log_progress(log, "read", (double)p->at, (double)f->size, "B");
			}
			pthread_mutex_lock(&s.mu);
			s.consumed++;
			if (rc)
				s.stop = 1;
			pthread_cond_broadcast(&s.cv);
			pthread_mutex_unlock(&s.mu);
			if (rc || end)
				break;
		}
		pthread_join(th, NULL);
	}
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.mu);
	if (!rc && st.ev.n)
		rc = add_session(&s, b, st.cur_row, st.cur_rg, st.cur, st.ev.n, st.ev.aid, st.ev.ts,
				 st.ev.type, err);
	if (!rc && st.rows == 0)
		rc = or_err_set(err, OR_EFORMAT, "%s: no events in the input", path);
out:
	for (int j = 0; j < N_SLOTS; j++) {
		for (int k = 0; k < N_COLS; k++) {
			free(s.slot[j].v[k]);
			free(s.slot[j].def[k]);
		}
		free(s.slot[j].aid);
		free(s.slot[j].ts);
		free(s.slot[j].type);
	}
	or_evbuf_release(&st.ev);
	or_parquet_close(f);
	return rc;
}

int or_ingest_parquet(or_store_builder *b, const char *path, or_input *in,
		      const or_ingest_config *cfg, const or_log *log, or_err *err)
{
	if (!strcmp(path, "-"))
		return or_err_set(err, OR_EUNSUPPORTED,
				  "%s: unsupported: Parquet from standard input (give the file's name: its footer is read first)",
				  or_input_path(in));
	if (or_input_is_gzip(in))
		return or_err_set(err, OR_EUNSUPPORTED,
				  "%s: unsupported: gzip-compressed Parquet (decompress it first; Parquet compresses its own pages)",
				  path);
	return or_parquet_ingest(b, path, cfg, log, err);
}
