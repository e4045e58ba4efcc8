/*
 * or_jdoc.h - a JSON document read whole into a tree of values: what
 * `ottorec report` reads the stages' one-line `--json` summaries (OUTDIR/
 * logs/<stage>.txt) with.  The lexing is lib/base/or_json's (strings, integers,
 * literals, punctuation); this module adds numbers with a fraction or an
 * exponent (strtod of the validated RFC 8259 text) and the tree.  Written
 * by hand because the summaries are small, the readers look values up by
 * key, and the project's other JSON readers are streaming scanners over
 * fixed schemas.  Strings keep only what or_json decodes (ASCII escapes):
 * the summaries hold paths, names and numbers.
 */
#ifndef OR_JDOC_H
#define OR_JDOC_H

#include <stddef.h>

#include "or_err.h"

enum { OR_JV_NULL, OR_JV_BOOL, OR_JV_NUM, OR_JV_STR, OR_JV_ARR, OR_JV_OBJ };

typedef struct or_jv {
	int kind;
	double num;          /* OR_JV_NUM; OR_JV_BOOL: 0 or 1 */
	char *str;           /* OR_JV_STR, NUL-terminated */
	size_t n;            /* OR_JV_ARR, OR_JV_OBJ: members */
	struct or_jv *items; /* their values */
	char **keys;         /* OR_JV_OBJ: their keys */
} or_jv;

/* Parse text[0..len) (one value, whitespace around it) into *out; on an
   error *out is empty and err names "what:column: what was expected". */
int or_jdoc_parse(const char *text, size_t len, const char *what, or_jv *out, or_err *err);
void or_jdoc_release(or_jv *v);

/* The member of an object by key (the first one), NULL when v is not an
   object or has no such key; v may be NULL. */
const or_jv *or_jdoc_get(const or_jv *v, const char *key);
/* A number member: 1 and *out when present and a number, else 0. */
int or_jdoc_num(const or_jv *v, const char *key, double *out);
/* A string member, NULL when absent or not a string. */
const char *or_jdoc_str(const or_jv *v, const char *key);
/* An array member, NULL when absent or not an array. */
const or_jv *or_jdoc_arr(const or_jv *v, const char *key);

#endif
