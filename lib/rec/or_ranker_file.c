/* or_ranker_file.c - the ranker model file: writing it (for or_fit.c) and
   or_ranker_open (layout in or_ranker.h). */
#include "or_cand_dir.h"
#include "or_json.h"
#include "or_ranker_internal.h"
#include "or_sfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranker_meta {
	uint32_t n_features;
	uint32_t nthread;
	uint32_t uses[3];
	uint32_t xgb_version[3];
} ranker_meta;
OR_SFILE_META_FITS(ranker_meta);
_Static_assert(offsetof(ranker_meta, nthread) == 36 - 32 && offsetof(ranker_meta, uses) == 40 - 32 &&
	       offsetof(ranker_meta, xgb_version) == 52 - 32, "or_ranker.h's layout");
_Static_assert(sizeof(ranker_meta) == sizeof(or_ranker_file_fields), "the writer's fields are the header's");

enum { SEC_META, SEC_CLICKS, SEC_CARTS, SEC_ORDERS, N_SECTIONS };
static const char *const sec_names[N_SECTIONS] = { "meta", "clicks booster", "carts booster",
						   "orders booster" };
static const or_sfile_format ranker_format = {
	.magic = "OTTORANK", .version = OR_RANKER_VERSION, .align = 8,
	.n_sections = N_SECTIONS, .section_names = sec_names, .what = "ranker model",
	.rebuild = "rebuild it with `ottorec fit`",
};

static const char *const type_names[3] = { "clicks", "carts", "orders" };

int or_ranker_file_write(const char *path, const char *meta, const void *const booster[3],
			 const size_t bytes[3], const or_ranker_file_fields *fields, or_err *err)
{
	size_t mlen = strlen(meta);
	const uint64_t sizes[N_SECTIONS] = { mlen, bytes[0], bytes[1], bytes[2] };
	or_sfile_writer *w = NULL;
	int rc = or_sfile_writer_open(&w, path, &ranker_format, sizes, OR_SFILE_STREAM, err);
	if (rc)
		return rc;
	rc = or_sfile_writer_append(w, SEC_META, meta, mlen, err);
	for (unsigned t = 0; !rc && t < 3; t++)
		if (bytes[t])
			rc = or_sfile_writer_append(w, SEC_CLICKS + t, booster[t], bytes[t], err);
	if (rc) {
		or_sfile_writer_abort(w);
		return rc;
	}
	ranker_meta m;
	memcpy(&m, fields, sizeof(m));
	return or_sfile_writer_commit(w, &m, sizeof(m), NULL, err);
}

/* ---- reading ---------------------------------------------------------- */

typedef struct meta_parse {
	char **names;
	size_t n_names;
	char *settings;
	int model[3]; /* 1 gbt, 0 fallback, -1 not given */
	int uses[3];  /* -1 not given */
} meta_parse;

static int type_by_name(const char *s)
{
	for (int t = 0; t < 3; t++)
		if (!strcmp(s, type_names[t]))
			return t;
	return -1;
}

/* One type's {"model":..., "uses":...}. */
static int parse_type(or_json *j, meta_parse *mp, int t)
{
	if (or_json_expect(j, '{', "a type must be an object"))
		return -1;
	if (or_json_eat(j, '}'))
		return 0;
	for (;;) {
		char key[32], val[32];
		int fits, vfits;
		if (or_json_string(j, key, sizeof(key), &fits) || or_json_expect(j, ':', "expected ':'"))
			return -1;
		if (fits && (!strcmp(key, "model") || !strcmp(key, "uses"))) {
			const char *at = j->p;
			if (or_json_string(j, val, sizeof(val), &vfits))
				return -1;
			if (!strcmp(key, "model")) {
				if (!vfits || (strcmp(val, "gbt") && strcmp(val, "fallback")))
					return or_json_fail(j, at, "\"model\" must be \"gbt\" or \"fallback\"");
				mp->model[t] = !strcmp(val, "gbt");
			} else {
				if (!vfits || type_by_name(val) < 0)
					return or_json_fail(j, at, "\"uses\" must be clicks, carts or orders");
				mp->uses[t] = type_by_name(val);
			}
		} else if (or_json_skip(j)) {
			return -1;
		}
		if (or_json_eat(j, '}'))
			return 0;
		if (or_json_expect(j, ',', "expected ',' or '}'"))
			return -1;
	}
}

static int parse_types(or_json *j, meta_parse *mp)
{
	if (or_json_expect(j, '{', "\"types\" must be an object"))
		return -1;
	if (or_json_eat(j, '}'))
		return 0;
	for (;;) {
		char key[32];
		int fits;
		const char *at = j->p;
		if (or_json_string(j, key, sizeof(key), &fits) || or_json_expect(j, ':', "expected ':'"))
			return -1;
		int t = fits ? type_by_name(key) : -1;
		if (t < 0)
			return or_json_fail(j, at, "a type must be clicks, carts or orders");
		if (parse_type(j, mp, t))
			return -1;
		if (or_json_eat(j, '}'))
			return 0;
		if (or_json_expect(j, ',', "expected ',' or '}'"))
			return -1;
	}
}

/* The meta JSON: 0, or an error in err (a JSON error already worded). */
static int parse_meta(const char *text, size_t len, const char *where, meta_parse *mp, or_err *err)
{
	or_json j;
	or_json_init(&j, text, text + len);
	int have_format = 0, have_version = 0, have_features = 0;
	for (int t = 0; t < 3; t++)
		mp->model[t] = mp->uses[t] = -1;
	if (or_json_expect(&j, '{', "expected a JSON object"))
		goto json_fail;
	if (!or_json_eat(&j, '}')) {
		for (;;) {
			char key[32];
			int fits;
			if (or_json_string(&j, key, sizeof(key), &fits) || or_json_expect(&j, ':', "expected ':'"))
				goto json_fail;
			const char *at = j.p;
			if (fits && !strcmp(key, "format")) {
				char v[32];
				if (or_json_string(&j, v, sizeof(v), &fits))
					goto json_fail;
				if (!fits || strcmp(v, "ottorec-ranker")) {
					or_json_fail(&j, at, "\"format\" is not \"ottorec-ranker\"");
					goto json_fail;
				}
				have_format = 1;
			} else if (fits && !strcmp(key, "version")) {
				int neg;
				uint64_t v;
				or_json_ws(&j);
				at = j.p;
				if (or_json_int(&j, &neg, &v) != OR_JSON_INT_OK || neg || v != OR_RANKER_VERSION) {
					or_json_fail(&j, at, "\"version\" is not 1");
					goto json_fail;
				}
				have_version = 1;
			} else if (fits && !strcmp(key, "features")) {
				if (have_features) {
					or_json_fail(&j, at, "\"features\" given twice");
					goto json_fail;
				}
				if (or_cand_names_parse(&j, where, &mp->names, &mp->n_names, err))
					return -1;
				have_features = 1;
			} else if (fits && !strcmp(key, "settings")) {
				if (or_json_peek(&j) != '{' || mp->settings) {
					or_json_fail(&j, j.p, "\"settings\" must be one JSON object");
					goto json_fail;
				}
				const char *s0 = j.p;
				if (or_json_skip(&j))
					goto json_fail;
				size_t n = (size_t)(j.p - s0);
				if (!(mp->settings = malloc(n + 1))) {
					or_err_set(err, OR_ENOMEM, "out of memory");
					return -1;
				}
				memcpy(mp->settings, s0, n);
				mp->settings[n] = '\0';
			} else if (fits && !strcmp(key, "types")) {
				if (parse_types(&j, mp))
					goto json_fail;
			} else if (or_json_skip(&j)) {
				goto json_fail;
			}
			if (or_json_eat(&j, '}'))
				break;
			if (or_json_expect(&j, ',', "expected ',' or '}'"))
				goto json_fail;
		}
	}
	if (or_json_peek(&j) != -1) {
		or_json_fail(&j, j.p, "text after the JSON object");
		goto json_fail;
	}
	if (!have_format || !have_version || !have_features || !mp->settings) {
		or_err_set(err, OR_EFORMAT, "%s: meta JSON lacks format, version, features or settings", where);
		return -1;
	}
	for (int t = 0; t < 3; t++)
		if (mp->model[t] < 0 || mp->uses[t] < 0) {
			or_err_set(err, OR_EFORMAT, "%s: meta JSON lacks the model of %s", where, type_names[t]);
			return -1;
		}
	return 0;
json_fail:
	or_err_set(err, OR_EFORMAT, "%s: column %zu: %s", where,
		   (size_t)((j.err_at ? j.err_at : j.p) - j.begin) + 1, j.err_what ? j.err_what : "malformed");
	return -1;
}

/* err's message (of a check of the file's content) as a damage message. */
static int damaged(const or_sfile *f, or_err *err)
{
	char why[OR_ERR_MSG_MAX];
	memcpy(why, err->msg, sizeof(why));
	return or_sfile_damaged(f, err, "%s", why);
}

int or_ranker_open(const char *path, or_ranker **out, or_err *err)
{
	*out = NULL;
	or_sfile f;
	memset(&f, 0, sizeof(f));
	meta_parse mp;
	memset(&mp, 0, sizeof(mp));
	BoosterHandle boost[3] = { NULL, NULL, NULL };
	char *meta = NULL;
	ranker_meta m;
	or_xgb_quiet();
	int rc = or_sfile_open(&f, path, &ranker_format, err);
	if (!rc) {
		or_sfile_meta(&f, &m, sizeof(m));
		/* small: every checksum now, so that XGBoost never reads damaged bytes */
		rc = or_sfile_verify(&f, NULL, err);
	}
	if (!rc && m.n_features == 0)
		rc = or_sfile_damaged(&f, err, "no features");
	for (unsigned t = 0; !rc && t < 3; t++)
		if (m.uses[t] > 2 || m.uses[m.uses[t]] != m.uses[t])
			rc = or_sfile_damaged(&f, err, "%s uses the model of type %u, which has none",
					      type_names[t], m.uses[t]);
	size_t mlen = rc ? 0 : (size_t)or_sfile_section_bytes(&f, SEC_META);
	if (!rc && (!(meta = malloc(mlen + 1))))
		rc = or_err_set(err, OR_ENOMEM, "out of memory");
	if (!rc) {
		memcpy(meta, or_sfile_section_data(&f, SEC_META), mlen);
		meta[mlen] = '\0';
		if (strlen(meta) != mlen)
			rc = or_sfile_damaged(&f, err, "a NUL byte in the meta JSON");
	}
	if (!rc && parse_meta(meta, mlen, "meta JSON", &mp, err))
		rc = damaged(&f, err);
	if (!rc && mp.n_names != m.n_features)
		rc = or_sfile_damaged(&f, err, "the meta JSON names %zu features, the header %u", mp.n_names,
				      m.n_features);
	for (unsigned t = 0; !rc && t < 3; t++) {
		int gbt = m.uses[t] == t;
		uint64_t nb = or_sfile_section_bytes(&f, SEC_CLICKS + t);
		if (mp.model[t] != gbt || (unsigned)mp.uses[t] != m.uses[t])
			rc = or_sfile_damaged(&f, err, "the meta JSON and the header disagree on the model of %s",
					      type_names[t]);
		else if (gbt != (nb > 0))
			rc = or_sfile_damaged(&f, err, "the %s booster is %s", type_names[t],
					      gbt ? "empty" : "there, for a fallback type");
		if (rc || !gbt)
			continue;
		bst_ulong nf = 0;
		if (XGBoosterCreate(NULL, 0, &boost[t]) != 0 ||
		    XGBoosterSetParam(boost[t], "verbosity", "0") != 0 ||
		    XGBoosterLoadModelFromBuffer(boost[t], or_sfile_section_data(&f, SEC_CLICKS + t),
						 (bst_ulong)nb) != 0 ||
		    XGBoosterGetNumFeature(boost[t], &nf) != 0) {
			char what[64];
			snprintf(what, sizeof(what), "%s booster", type_names[t]);
			or_xgb_error(err, OR_EFORMAT, what);
			rc = damaged(&f, err);
		} else if (nf != m.n_features) {
			rc = or_sfile_damaged(&f, err, "the %s booster has %llu features, the header %u",
					      type_names[t], (unsigned long long)nf, m.n_features);
		}
	}
	if (!rc) {
		unsigned uses[3] = { m.uses[0], m.uses[1], m.uses[2] };
		rc = or_ranker_gbt_new(mp.n_names, (const char *const *)mp.names, path, boost, uses,
				       mp.settings, meta, out, err);
	}
	for (unsigned t = 0; t < 3; t++)
		if (boost[t])
			XGBoosterFree(boost[t]);
	or_cand_names_free(mp.names, mp.n_names);
	free(mp.settings);
	free(meta);
	or_sfile_release(&f);
	return rc;
}
