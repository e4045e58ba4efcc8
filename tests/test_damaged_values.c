/*
 * test_damaged_values.c - the event store's readers on damaged files (issue
 * 16 item 2): offsets that leave the columns are refused at open, with or
 * without a matching checksum; values the open does not check (a type of
 * 255, an aid past the dictionary, extreme times) re-sealed so that only
 * the readers see them must give OR_OK or an error that says what is
 * wrong, never a sanitizer report (this build stops at the first); and a
 * byte flipped in a column (checksum not re-sealed) is named by its
 * section's checksum by every reader that walks the store.
 */
#include "check.h"
#include "check_sfile.h"
#include "or_covisit.h"
#include "or_export.h"
#include "or_labels.h"
#include "or_pairs.h"
#include "or_recommend.h"
#include "or_split.h"
#include "or_stats.h"
#include "or_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SEC_OFF = 1, SEC_AID = 2, SEC_TS = 3, SEC_TYPE = 4 };
#define N_SESS 40
#define N_EV 6

/* N_SESS sessions of N_EV events over a few aids and all types, a day
   apart at most, into a fresh store at name. */
static const char *build(const char *name)
{
	or_err err;
	or_store_builder *b;
	CHECK_INT(or_store_builder_new(&b, &err), OR_OK);
	const int64_t day = 86400000;
	for (int s = 0; s < N_SESS; s++) {
		uint32_t aid[N_EV];
		int64_t ts[N_EV];
		uint8_t type[N_EV];
		for (int j = 0; j < N_EV; j++) {
			aid[j] = (uint32_t)((s * 7 + j * 3) % 11);
			ts[j] = 1659304800000 + (int64_t)s * day / 2 + j * 60000;
			type[j] = (uint8_t)((s + j) % 3);
		}
		CHECK_INT(or_store_builder_add(b, s, N_EV, aid, ts, type, &err), OR_OK);
	}
	static char path[4][512];
	static int k;
	char *p = path[k++ & 3];
	snprintf(p, sizeof(path[0]), "%s/%s", check_tmpdir(), name);
	CHECK_INT(or_store_builder_write(b, p, NULL, &err), OR_OK);
	or_store_builder_free(b);
	return p;
}

/* Every reader of the store at path: each must end with OR_OK or an error
   with a message; with `flipped`, each must fail naming that section's
   checksum. */
static void readers(const char *path, const char *flipped)
{
	or_store *st;
	or_err err;
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	if (!st)
		return;
	int rc[12], n = 0;
	char dir[600], out[700];
	snprintf(dir, sizeof(dir), "%s/out", check_tmpdir());
	mkdir(dir, 0755);

	or_stats s;
	int info = or_stats_compute(st, &s, NULL, &err);
	/* info reads the aids alone (and the offsets, checked at open) */
	if (flipped)
		CHECK_INT(info, strcmp(flipped, "aid") == 0 ? OR_EFORMAT : OR_OK);
	for (unsigned mask = 1; mask <= 7; mask += 6) {
		or_pairs_config pc;
		or_pairs_config_default(&pc);
		pc.type_mask = mask; /* 1: --types clicks, the masked path */
		pc.max_gap_ms = mask == 1 ? 3600000 : 0;
		snprintf(out, sizeof(out), "%s/p.pairs", dir);
		unlink(out);
		rc[n++] = or_pairs_build(&st, 1, &pc, out, NULL, NULL, &err);
		if (rc[n - 1] != OR_OK)
			CHECK_INT(access(out, F_OK), -1); /* nothing written */
	}
	for (unsigned kind = 0; kind < OR_COVISIT_N_KINDS; kind++) {
		or_covisit_config cc;
		or_covisit_config_default(&cc, kind);
		cc.threads = 1;
		or_covisit *t = NULL;
		rc[n++] = or_covisit_build(&st, 1, &cc, &t, NULL, NULL, &err);
		or_covisit_free(t);
	}
	or_split_config sc;
	or_split_config_default(&sc);
	sc.days = 7;
	or_store_builder *tr, *te;
	CHECK_INT(or_store_builder_new(&tr, &err), OR_OK);
	CHECK_INT(or_store_builder_new(&te, &err), OR_OK);
	or_labels lab;
	or_labels_init(&lab);
	rc[n++] = or_split_store(st, &sc, tr, te, &lab, NULL, NULL, &err);
	or_labels_release(&lab);
	or_store_builder_free(tr);
	or_store_builder_free(te);
	snprintf(out, sizeof(out), "%s/x.jsonl", dir);
	unlink(out);
	rc[n++] = or_export_jsonl(st, out, NULL, &err);
	snprintf(out, sizeof(out), "%s/x.csv", dir);
	unlink(out);
	rc[n++] = or_export_csv(st, out, NULL, &err);
	int64_t top[20];
	size_t ntop;
	/* popular items read aid and type */
	int pop = or_recommend_popular(st, OR_CARTS, 20, top, &ntop, &err);
	if (flipped)
		CHECK_INT(pop, strcmp(flipped, "ts") == 0 ? OR_OK : OR_EFORMAT);
	for (int i = 0; i < n; i++)
		if (flipped && rc[i] != OR_EFORMAT) {
			fprintf(stderr, "  reader %d on a flipped %s: %d\n", i, flipped, rc[i]);
			CHECK_INT(rc[i], OR_EFORMAT);
		}
	or_store_free(st);
	/* the messages: one more pass each, checked as it ends */
	CHECK_INT(or_store_open(path, &st, &err), OR_OK);
	if (flipped && st) {
		char want[64];
		snprintf(want, sizeof(want), "checksum mismatch in the %s section", flipped);
		snprintf(out, sizeof(out), "%s/x.jsonl", dir);
		unlink(out);
		CHECK_INT(or_export_jsonl(st, out, NULL, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, want);
		CHECK_INT(access(out, F_OK), -1);
		or_pairs_config pc;
		or_pairs_config_default(&pc);
		snprintf(out, sizeof(out), "%s/p.pairs", dir);
		unlink(out);
		CHECK_INT(or_pairs_build(&st, 1, &pc, out, NULL, NULL, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, want);
		CHECK_INT(access(out, F_OK), -1);
	}
	or_store_free(st);
}

/* Offsets out of order: refused at open, re-sealed or not. */
static void test_offsets(void)
{
	const char *path = build("offsets.store");
	uint64_t back = 3; /* session 1 would end before it starts, at 6 */
	CHECK(check_sfile_patch(path, SEC_OFF, 16, &back, 8));
	or_store *st = NULL;
	or_err err;
	CHECK_INT(or_store_open(path, &st, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "session 1 has bad offsets");
	CHECK(st == NULL);
	/* one past the events, checksum not re-sealed: named by it */
	path = build("offsets2.store");
	int fd = open(path, O_RDWR);
	uint64_t big = (uint64_t)1 << 40;
	CHECK(pwrite(fd, &big, 8, 4096 * 2 + 8 * 5) == 8);
	close(fd);
	CHECK_INT(or_store_open(path, &st, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "checksum mismatch in the offsets section");
}

static void test_type_255(void)
{
	const char *path = build("type255.store");
	uint8_t t = 255;
	CHECK(check_sfile_patch(path, SEC_TYPE, 7, &t, 1));
	CHECK(check_sfile_patch(path, SEC_TYPE, 8, &t, 1));
	readers(path, NULL);
}

static void test_aid_beyond(void)
{
	const char *path = build("aid.store");
	uint32_t a = 0xffffffffu, b = 12;
	CHECK(check_sfile_patch(path, SEC_AID, 4 * 7, &a, 4));
	CHECK(check_sfile_patch(path, SEC_AID, 4 * 13, &b, 4));
	readers(path, NULL);
}

static void test_ts_extremes(void)
{
	const char *path = build("ts.store");
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	CHECK(check_sfile_patch(path, SEC_TS, 8 * 7, &hi, 8));
	CHECK(check_sfile_patch(path, SEC_TS, 8 * 8, &lo, 8));
	CHECK(check_sfile_patch(path, SEC_TS, 8 * 20, &lo, 8));
	readers(path, NULL);
}

/* A byte flipped in a column, its checksum left: every reader names it. */
static void test_flipped(void)
{
	static const struct {
		unsigned sec;
		const char *name;
	} cols[] = { { SEC_AID, "aid" }, { SEC_TS, "ts" }, { SEC_TYPE, "type" } };
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		const char *path = build("flipped.store");
		int fd = open(path, O_RDWR);
		unsigned char x = 0;
		off_t at = 4096 * (off_t)(1 + cols[c].sec) + 9;
		CHECK(pread(fd, &x, 1, at) == 1);
		x ^= 1;
		CHECK(pwrite(fd, &x, 1, at) == 1);
		close(fd);
		readers(path, cols[c].name);
	}
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_offsets);
	RUN_TEST(test_type_255);
	RUN_TEST(test_aid_beyond);
	RUN_TEST(test_ts_extremes);
	RUN_TEST(test_flipped);
	CHECK_MAIN_END
}
