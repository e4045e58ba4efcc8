/* or_ranker_trees_json.c - XGBoost's JSON model read into or_trees (see
   or_ranker_trees.h: what is read, what is refused; the lexing is
   lib/base/or_json's, numbers are strtof/strtoll of their text).  The
   schema is XGBoost's "learner" document: learner.gradient_booster
   {name, model {gbtree_model_param, trees[], tree_info[]}},
   learner.learner_model_param {base_score, num_class, num_feature,
   num_target} and learner.objective.name; unknown keys are skipped. */
#include "or_json.h"
#include "or_ranker_trees.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vec {
	void *a;
	size_t n, cap;
} vec;

typedef struct tree_in {
	vec left, right, feat, type, dleft, cond, cat_nodes; /* int32 but cond: float */
	long long num_nodes, leaf_vector;
} tree_in;

typedef struct tp {
	or_json j;
	const char *what;
	or_err *err;
	int failed; /* err set by bad(), with this code: */
	int code;
	size_t n_features;
	or_trees *out;
	size_t root_cap, node_cap;
	tree_in t;
	char booster[32], objective[48];
	float base_score;
	int have_base;
	long long num_class, num_target, num_feature, num_trees;
	int multi_group; /* a tree_info entry other than 0 */
} tp;

static int bad(tp *p, int code, const char *fmt, ...)
{
	char m[OR_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	or_err_set(p->err, code, "%s: %s", p->what, m);
	p->failed = 1;
	p->code = code;
	return -1;
}

static int vec_push(tp *p, vec *v, const void *x, size_t size)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		void *a = cap < ((size_t)1 << 40) ? realloc(v->a, cap * size) : NULL;
		if (!a)
			return bad(p, OR_ENOMEM, "out of memory");
		v->a = a;
		v->cap = cap;
	}
	memcpy((char *)v->a + v->n++ * size, x, size);
	return 0;
}

/* A number's text (or true/false) at the cursor into buf. */
static int token(tp *p, char *buf, size_t cap, const char **at)
{
	or_json_ws(&p->j);
	const char *s = p->j.p;
	size_t n = 0;
	while (s + n < p->j.end && (isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '+' || s[n] == '.'))
		n++;
	*at = s;
	if (n == 0 || n >= cap)
		return or_json_fail(&p->j, s, "expected a number");
	memcpy(buf, s, n);
	buf[n] = '\0';
	p->j.p = s + n;
	return 0;
}

/* A number, or a string holding one (learner_model_param's values). */
static int number_text(tp *p, char *buf, size_t cap, const char **at)
{
	if (or_json_peek(&p->j) != '"')
		return token(p, buf, cap, at);
	*at = p->j.p;
	int fits;
	if (or_json_string(&p->j, buf, cap, &fits))
		return -1;
	return fits ? 0 : or_json_fail(&p->j, *at, "expected a number");
}

static int num_float(tp *p, float *v)
{
	char b[64];
	const char *at;
	char *e;
	if (number_text(p, b, sizeof(b), &at))
		return -1;
	*v = strtof(b, &e);
	return *e || e == b ? or_json_fail(&p->j, at, "expected a number") : 0;
}

static int num_int(tp *p, long long *v)
{
	char b[64];
	const char *at;
	char *e;
	if (number_text(p, b, sizeof(b), &at))
		return -1;
	if (!strcmp(b, "true") || !strcmp(b, "false")) {
		*v = b[0] == 't';
		return 0;
	}
	errno = 0;
	*v = strtoll(b, &e, 10);
	return *e || e == b || errno ? or_json_fail(&p->j, at, "expected an integer") : 0;
}

/* An array of int32 (is_float 0) or float (1) into v. */
static int array(tp *p, vec *v, int is_float)
{
	v->n = 0;
	if (or_json_expect(&p->j, '[', "expected an array"))
		return -1;
	if (or_json_eat(&p->j, ']'))
		return 0;
	do {
		if (is_float) {
			float f;
			if (num_float(p, &f) || vec_push(p, v, &f, sizeof(f)))
				return -1;
		} else {
			long long x;
			const char *at = p->j.p;
			if (num_int(p, &x))
				return -1;
			if (x < INT32_MIN || x > INT32_MAX)
				return or_json_fail(&p->j, at, "expected a 32-bit integer");
			int32_t i = (int32_t)x;
			if (vec_push(p, v, &i, sizeof(i)))
				return -1;
		}
	} while (or_json_eat(&p->j, ','));
	return or_json_expect(&p->j, ']', "expected ',' or ']'");
}

typedef int (*member_fn)(tp *p, const char *key);

/* An object: fn for each member with the cursor at its value (fn consumes
   it); keys too long for the buffer are passed as "". */
static int object(tp *p, member_fn fn)
{
	if (or_json_expect(&p->j, '{', "expected an object"))
		return -1;
	if (or_json_eat(&p->j, '}'))
		return 0;
	do {
		char key[64];
		int fits;
		if (or_json_string(&p->j, key, sizeof(key), &fits) ||
		    or_json_expect(&p->j, ':', "expected ':'") || fn(p, fits ? key : ""))
			return -1;
	} while (or_json_eat(&p->j, ','));
	return or_json_expect(&p->j, '}', "expected ',' or '}'");
}

static int string_into(tp *p, char *buf, size_t cap)
{
	const char *at = (or_json_ws(&p->j), p->j.p);
	int fits;
	if (or_json_string(&p->j, buf, cap, &fits))
		return -1;
	return fits ? 0 : or_json_fail(&p->j, at, "a string too long");
}

/* ---- one tree ------------------------------------------------------------ */

static int tree_param_member(tp *p, const char *key)
{
	if (!strcmp(key, "num_nodes"))
		return num_int(p, &p->t.num_nodes);
	if (!strcmp(key, "size_leaf_vector"))
		return num_int(p, &p->t.leaf_vector);
	return or_json_skip(&p->j);
}

static int tree_member(tp *p, const char *key)
{
	tree_in *t = &p->t;
	if (!strcmp(key, "tree_param"))
		return object(p, tree_param_member);
	if (!strcmp(key, "left_children"))
		return array(p, &t->left, 0);
	if (!strcmp(key, "right_children"))
		return array(p, &t->right, 0);
	if (!strcmp(key, "split_indices"))
		return array(p, &t->feat, 0);
	if (!strcmp(key, "split_type"))
		return array(p, &t->type, 0);
	if (!strcmp(key, "default_left"))
		return array(p, &t->dleft, 0);
	if (!strcmp(key, "split_conditions"))
		return array(p, &t->cond, 1);
	if (!strcmp(key, "categories_nodes"))
		return array(p, &t->cat_nodes, 0);
	return or_json_skip(&p->j);
}

/* The tree just read (p->t), breadth first from its root, appended to
   p->out as tree k. */
static int flatten(tp *p, size_t k)
{
	const tree_in *t = &p->t;
	or_trees *o = p->out;
	long long n = t->num_nodes;
	if (t->leaf_vector > 0)
		return bad(p, OR_EUNSUPPORTED, "unsupported: tree %zu has vector leaves (a multi-output model)", k);
	if (t->cat_nodes.n)
		return bad(p, OR_EUNSUPPORTED, "unsupported: tree %zu has categorical splits", k);
	if (n < 1 || (size_t)n > UINT32_MAX - o->n_nodes)
		return bad(p, OR_EFORMAT, "tree %zu has %lld nodes", k, n);
	const vec *need[5] = { &t->left, &t->right, &t->feat, &t->dleft, &t->cond };
	for (int i = 0; i < 5; i++)
		if (need[i]->n != (size_t)n)
			return bad(p, OR_EFORMAT, "tree %zu has %lld nodes but %zu entries in an array of them", k, n,
				   need[i]->n);
	if (t->type.n && t->type.n != (size_t)n)
		return bad(p, OR_EFORMAT, "tree %zu has %lld nodes but %zu split types", k, n, t->type.n);
	const int32_t *L = t->left.a, *R = t->right.a, *F = t->feat.a, *T = t->type.a, *D = t->dleft.a;
	const float *C = t->cond.a;
	if (o->n_trees == p->root_cap) {
		size_t cap = p->root_cap ? 2 * p->root_cap : 64;
		uint32_t *r = realloc(o->root, cap * sizeof(*r));
		if (!r)
			return bad(p, OR_ENOMEM, "out of memory");
		o->root = r;
		p->root_cap = cap;
	}
	if (o->n_nodes + (size_t)n > p->node_cap) {
		size_t cap = p->node_cap ? 2 * p->node_cap : 1024;
		while (cap < o->n_nodes + (size_t)n)
			cap *= 2;
		or_tree_node *a = realloc(o->node, cap * sizeof(*a));
		if (!a)
			return bad(p, OR_ENOMEM, "out of memory");
		o->node = a;
		p->node_cap = cap;
	}
	unsigned char *seen = calloc((size_t)n, 1);
	int32_t *order = malloc((size_t)n * sizeof(*order));
	if (!seen || !order) {
		free(seen);
		free(order);
		return bad(p, OR_ENOMEM, "out of memory");
	}
	size_t base = o->n_nodes, cnt = 1;
	int rc = 0;
	order[0] = 0;
	seen[0] = 1;
	for (size_t q = 0; q < cnt && !rc; q++) {
		int32_t s = order[q], l = L[s], r = R[s];
		or_tree_node *nd = &o->node[base + q];
		if (l == -1 && r == -1) {
			*nd = (or_tree_node){ C[s], 0, 0, 0 };
			continue;
		}
		if (l <= 0 || r <= 0 || l >= n || r >= n || l == r)
			rc = bad(p, OR_EFORMAT, "tree %zu: node %d has children %d and %d (of %lld nodes)", k, s, l,
				 r, n);
		else if (seen[l] || seen[r])
			rc = bad(p, OR_EFORMAT, "tree %zu: node %d is reached twice", k, seen[l] ? l : r);
		else if (T && T[s] != 0)
			rc = bad(p, OR_EUNSUPPORTED, "unsupported: tree %zu has categorical splits", k);
		else if (F[s] < 0 || (size_t)F[s] >= p->n_features)
			rc = bad(p, OR_EFORMAT, "tree %zu: node %d splits on feature %d, the ranker has %zu", k, s,
				 F[s], p->n_features);
		if (rc)
			break;
		*nd = (or_tree_node){ C[s], (uint32_t)F[s], (uint32_t)(base + cnt), D[s] != 0 };
		seen[l] = seen[r] = 1;
		order[cnt++] = l;
		order[cnt++] = r;
	}
	free(seen);
	free(order);
	if (rc)
		return rc;
	o->root[o->n_trees++] = (uint32_t)base;
	o->n_nodes = base + cnt;
	return 0;
}

static int tree(tp *p, size_t k)
{
	tree_in *t = &p->t;
	vec *v[7] = { &t->left, &t->right, &t->feat, &t->type, &t->dleft, &t->cond, &t->cat_nodes };
	for (int i = 0; i < 7; i++)
		v[i]->n = 0;
	t->num_nodes = -1;
	t->leaf_vector = 0;
	if (object(p, tree_member))
		return -1;
	if (t->num_nodes < 0)
		return bad(p, OR_EFORMAT, "tree %zu has no tree_param.num_nodes", k);
	return flatten(p, k);
}

/* ---- the model around the trees ------------------------------------------- */

static int model_param_member(tp *p, const char *key)
{
	if (!strcmp(key, "num_trees"))
		return num_int(p, &p->num_trees);
	return or_json_skip(&p->j);
}

static int model_member(tp *p, const char *key)
{
	if (!strcmp(key, "gbtree_model_param"))
		return object(p, model_param_member);
	if (!strcmp(key, "tree_info")) {
		vec v = { 0 };
		int rc = array(p, &v, 0);
		for (size_t i = 0; !rc && i < v.n; i++)
			p->multi_group |= ((const int32_t *)v.a)[i] != 0;
		free(v.a);
		return rc;
	}
	if (!strcmp(key, "trees")) {
		if (or_json_expect(&p->j, '[', "expected an array"))
			return -1;
		if (or_json_eat(&p->j, ']'))
			return 0;
		size_t k = 0;
		do {
			if (tree(p, k++))
				return -1;
		} while (or_json_eat(&p->j, ','));
		return or_json_expect(&p->j, ']', "expected ',' or ']'");
	}
	return or_json_skip(&p->j);
}

static int booster_member(tp *p, const char *key)
{
	if (!strcmp(key, "name"))
		return string_into(p, p->booster, sizeof(p->booster));
	if (!strcmp(key, "model"))
		return object(p, model_member);
	return or_json_skip(&p->j);
}

static int learner_param_member(tp *p, const char *key)
{
	if (!strcmp(key, "base_score")) {
		p->have_base = 1;
		return num_float(p, &p->base_score);
	}
	if (!strcmp(key, "num_class"))
		return num_int(p, &p->num_class);
	if (!strcmp(key, "num_target"))
		return num_int(p, &p->num_target);
	if (!strcmp(key, "num_feature"))
		return num_int(p, &p->num_feature);
	return or_json_skip(&p->j);
}

static int objective_member(tp *p, const char *key)
{
	if (!strcmp(key, "name"))
		return string_into(p, p->objective, sizeof(p->objective));
	return or_json_skip(&p->j);
}

static int learner_member(tp *p, const char *key)
{
	if (!strcmp(key, "gradient_booster"))
		return object(p, booster_member);
	if (!strcmp(key, "learner_model_param"))
		return object(p, learner_param_member);
	if (!strcmp(key, "objective"))
		return object(p, objective_member);
	return or_json_skip(&p->j);
}

static int top_member(tp *p, const char *key)
{
	if (!strcmp(key, "learner"))
		return object(p, learner_member);
	return or_json_skip(&p->j);
}

/* base_score as a margin: XGBoost's ProbToMargin of the objective, in
   float as it computes it. */
static int base_margin(tp *p)
{
	static const char *const identity[] = { "rank:pairwise", "rank:ndcg", "rank:map", "reg:squarederror" };
	static const char *const logit[] = { "binary:logistic", "reg:logistic", "binary:logitraw" };
	float b = p->base_score;
	for (size_t i = 0; i < sizeof(identity) / sizeof(*identity); i++)
		if (!strcmp(p->objective, identity[i])) {
			p->out->base = b;
			return 0;
		}
	for (size_t i = 0; i < sizeof(logit) / sizeof(*logit); i++)
		if (!strcmp(p->objective, logit[i])) {
			if (!(b > 0.0f && b < 1.0f))
				return bad(p, OR_EFORMAT, "base_score %g of %s is not in (0, 1)", (double)b, p->objective);
			p->out->base = -logf(1.0f / b - 1.0f);
			return 0;
		}
	return bad(p, OR_EUNSUPPORTED, "unsupported: objective '%s' (its base_score margin is not known here)",
		   p->objective);
}

static int check_model(tp *p)
{
	if (strcmp(p->booster, "gbtree"))
		return bad(p, OR_EUNSUPPORTED, "unsupported: booster '%s' (only gbtree is evaluated natively)",
			   p->booster[0] ? p->booster : "(none)");
	if (p->num_class > 1 || p->num_target > 1 || p->multi_group)
		return bad(p, OR_EUNSUPPORTED, "unsupported: a model of more than one output (num_class %lld, num_target %lld)",
			   p->num_class, p->num_target);
	if (p->num_feature != (long long)p->n_features)
		return bad(p, OR_EFORMAT, "the booster has %lld features, the ranker %zu", p->num_feature,
			   p->n_features);
	if (p->num_trees != (long long)p->out->n_trees)
		return bad(p, OR_EFORMAT, "gbtree_model_param.num_trees is %lld but %zu trees were read", p->num_trees,
			   p->out->n_trees);
	if (!p->have_base)
		return bad(p, OR_EFORMAT, "no learner_model_param.base_score");
	return base_margin(p);
}

int or_trees_from_json(const char *text, size_t len, size_t n_features, const char *what,
		       or_trees *out, or_err *err)
{
	memset(out, 0, sizeof(*out));
	while (len && text[len - 1] == '\0')
		len--;
	tp p;
	memset(&p, 0, sizeof(p));
	or_json_init(&p.j, text, text + len);
	p.what = what;
	p.err = err;
	p.n_features = n_features;
	p.out = out;
	p.num_feature = p.num_trees = -1;
	int rc = object(&p, top_member);
	if (!rc && or_json_peek(&p.j) != -1)
		rc = or_json_fail(&p.j, p.j.p, "text after the model");
	if (rc && !p.failed)
		or_err_set(err, OR_EFORMAT, "%s: XGBoost's JSON model: byte %zu: %s", what,
			   (size_t)(p.j.err_at - text), p.j.err_what);
	if (!rc)
		rc = check_model(&p);
	if (!rc && or_trees_perfect(out, err)) {
		p.failed = 1;
		p.code = OR_ENOMEM;
		rc = -1;
	}
	tree_in *t = &p.t;
	vec *v[7] = { &t->left, &t->right, &t->feat, &t->type, &t->dleft, &t->cond, &t->cat_nodes };
	for (int i = 0; i < 7; i++)
		free(v[i]->a);
	if (rc) {
		or_trees_release(out);
		return p.failed ? p.code : OR_EFORMAT;
	}
	return OR_OK;
}
