/*
 * or_synth_session.c - the session model of the synthetic generator: one
 * shopper's session as a sequence of visits (gaps of hours to days), each a
 * run of steps seconds apart.  A step re-clicks the last item, revisits an
 * earlier one, follows the last item's "next item" affinity, or picks a
 * fresh item of the session's current group at the current popularity; a
 * click may be followed by a cart of the item; a visit with open carts may
 * end in an order batch (same ts) of mostly carted items.  No allocation:
 * the caller gives arrays of OR_SYNTH_MAX_SESSION events.
 */
#include "or_synth_internal.h"

#include <math.h>

#define SESSION_GROUPS 8 /* groups a session remembers */
#define PENDING_MAX 32   /* open carts a session remembers */
/* carts that come without a click: per step as a share of p_cart, and at
   the start of a visit (back to the basket of an earlier visit) */
#define SYNTH_DIRECT_CART 0.1
#define SYNTH_VISIT_CART 0.09
/* chance that an order batch also holds an item never carted */
#define SYNTH_ORDER_UNCARTED 0.35

/* cumulative strength of the affinity slots, strongest first */
static const double succ_cdf[SYNTH_SUCC] = {
	0.30, 0.48, 0.62, 0.73, 0.82, 0.89, 0.95, 1.0
};

void or_synth_model_init(or_synth_model *m, const or_synth_catalogue *cat,
			 const or_synth_config *cfg)
{
	m->cat = cat;
	m->cfg = cfg;
	or_synth_qtab_lognormal(&m->click_gap, 35e3, 1.4);     /* 35 s; 1 s..10 min */
	or_synth_qtab_lognormal(&m->cart_gap, 6e3, 1.0);       /* 6 s */
	or_synth_qtab_lognormal(&m->order_gap, 90e3, 1.0);     /* 1.5 min */
	or_synth_qtab_lognormal(&m->visit_gap, 8 * 3600e3, 1.5); /* 8 h; 1 h..3 days */
}

uint32_t or_synth_session_length(double median, double sigma, or_synth_rng *r)
{
	double x = floor(median * exp(sigma * or_synth_normal(r)) + 0.5);
	if (!(x >= 2))
		return 2;
	if (x > OR_SYNTH_MAX_SESSION)
		return OR_SYNTH_MAX_SESSION;
	return (uint32_t)x;
}

/* The popularity knot for time t: the two week-boundary knots around t,
   mixed in proportion to where t lies between them (so popularity moves
   linearly from one knot to the next). */
static inline int knot_at(int64_t t, or_synth_rng *r)
{
	double x = (double)(t - OR_SYNTH_TS_START) / (double)OR_SYNTH_WEEK_MS;
	if (x <= 0)
		return 0;
	if (x >= SYNTH_KNOTS - 1)
		return SYNTH_KNOTS - 1;
	int k = (int)x;
	return k + (or_synth_unif(r) < x - k);
}

typedef struct sess {
	uint32_t groups[SESSION_GROUPS];
	int ng;
	uint32_t g; /* current group */
} sess;

static void remember_group(sess *s, uint32_t g, or_synth_rng *r)
{
	for (int i = 0; i < s->ng; i++)
		if (s->groups[i] == g)
			return;
	if (s->ng < SESSION_GROUPS)
		s->groups[s->ng++] = g;
	else
		s->groups[or_synth_below(r, SESSION_GROUPS)] = g;
}

/* Move the session's interest: back to a group it saw, to a group related
   to the current one, or to a popular group of the moment. */
static void switch_group(const or_synth_catalogue *c, sess *s, int64_t t, or_synth_rng *r)
{
	double v = or_synth_unif(r);
	uint32_t g;
	if (s->ng > 1 && v < 0.35)
		g = s->groups[or_synth_below(r, (uint32_t)s->ng)];
	else if (v < 0.75)
		g = c->related[(size_t)s->g * SYNTH_RELATED + or_synth_below(r, SYNTH_RELATED)];
	else
		g = or_synth_draw_group(c, knot_at(t, r), r);
	s->g = g;
	remember_group(s, g, r);
}

static inline void add_pending(uint32_t *pend, int *np, uint32_t it)
{
	for (int i = 0; i < *np; i++)
		if (pend[i] == it)
			return;
	if (*np < PENDING_MAX)
		pend[(*np)++] = it;
}

/* An earlier event of the session: mostly recent, sometimes anywhere. */
static inline size_t earlier(size_t cnt, or_synth_rng *r)
{
	if (or_synth_unif(r) < 0.6) {
		size_t back = 1 + or_synth_below(r, 2) + or_synth_below(r, 4); /* 1..5, mode 2-4 */
		return back < cnt ? cnt - 1 - back : 0;
	}
	return or_synth_below(r, (uint32_t)cnt);
}

static inline uint32_t follow(const or_synth_catalogue *c, uint32_t it, or_synth_rng *r)
{
	double u = or_synth_unif(r);
	int k = 0;
	while (k < SYNTH_SUCC - 1 && u >= succ_cdf[k])
		k++;
	return c->succ[(size_t)it * SYNTH_SUCC + k];
}

size_t or_synth_session_gen(const or_synth_model *m, or_synth_rng *r, int64_t t_start,
			    int64_t t_end, uint32_t n_target, uint32_t landing,
			    uint32_t *item, int64_t *ts, uint8_t *type)
{
	const or_synth_catalogue *c = m->cat;
	const or_synth_config *cfg = m->cfg;
	const double p_rep = cfg->p_repeat;
	const double p_rev = p_rep + cfg->p_revisit;
	const double p_fol = p_rev + cfg->p_follow;
	const size_t cap = OR_SYNTH_MAX_SESSION;
	size_t cnt = 0;
	int64_t t = t_start;
	uint32_t cur = SYNTH_NO_ITEM;
	uint32_t pend[PENDING_MAX];
	int np = 0;
	sess s;
	s.ng = 0;
	s.g = landing != SYNTH_NO_ITEM ? c->igroup[landing]
				       : or_synth_draw_group(c, knot_at(t, r), r);
	remember_group(&s, s.g, r);
	/* long sessions have longer visits (and more of them) */
	double visit_mean = 2.0 + 0.8 * sqrt((double)n_target);
	double log_q = log(1.0 - 1.0 / visit_mean);

#define EMIT(it_, t_, ty_)                        \
	do {                                      \
		item[cnt] = (it_);                \
		ts[cnt] = (t_);                   \
		type[cnt] = (uint8_t)(ty_);       \
		cnt++;                            \
	} while (0)

	for (;;) {
		/* one visit: geometric number of events */
		double u0 = 1.0 - or_synth_unif(r);
		double len = 1.0 + floor(log(u0) / log_q);
		uint32_t left = len > 1000 ? 1000 : (uint32_t)len;
		int first = 1;
		while (left > 0 && cnt < n_target) {
			int visit_start = first;
			if (!first) {
				t += (int64_t)or_synth_qtab_draw(&m->click_gap, r);
				if (t >= t_end) {
					if (cnt >= 2)
						return cnt;
					t = t_end - 1;
				}
			}
			first = 0;
			/* the item of this step; s.g follows it (affinities
			   stay inside the group, so only a revisit or the
			   landing can move it) */
			uint32_t it;
			int moved = 0;
			double u = or_synth_unif(r);
			if (cur == SYNTH_NO_ITEM) {
				it = landing != SYNTH_NO_ITEM
					     ? landing
					     : or_synth_draw_item(c, s.g, knot_at(t, r), r);
			} else if (u < p_rep) {
				it = cur;
			} else if (u < p_rev && cnt >= 2) {
				it = item[earlier(cnt, r)];
				moved = 1;
			} else if (u < p_fol) {
				it = follow(c, cur, r);
			} else {
				if (or_synth_unif(r) < cfg->p_switch)
					switch_group(c, &s, t, r);
				it = or_synth_draw_item(c, s.g, knot_at(t, r), r);
			}
			if (moved && c->igroup[it] != s.g) {
				s.g = c->igroup[it];
				remember_group(&s, s.g, r);
			}
			/* the next step may follow this item's affinities */
			__builtin_prefetch(c->succ + (size_t)it * SYNTH_SUCC);
			cur = it;
			left--;
			if (or_synth_unif(r) < (visit_start ? SYNTH_VISIT_CART
							 : SYNTH_DIRECT_CART * cfg->p_cart)) {
				/* a cart without a click (from a wish list, a
				   recommendation widget, another device) */
				EMIT(it, t, OR_CARTS);
				add_pending(pend, &np, it);
				continue;
			}
			EMIT(it, t, OR_CLICKS);
			if (or_synth_unif(r) < cfg->p_cart && cnt < cap) {
				int64_t tc = t + (int64_t)or_synth_qtab_draw(&m->cart_gap, r);
				if (tc >= t_end) {
					if (cnt >= 2)
						return cnt;
					tc = t_end - 1;
				}
				/* mostly the item just clicked, sometimes an
				   earlier one of the session */
				uint32_t ci = cnt > 2 && or_synth_unif(r) < 0.12 ? item[earlier(cnt, r)] : it;
				EMIT(ci, tc, OR_CARTS);
				t = tc;
				if (left)
					left--;
				add_pending(pend, &np, ci);
			}
		}
		/* end of the visit: maybe order some of the open carts, all at
		   one ts */
		if (np > 0 && or_synth_unif(r) < cfg->p_order) {
			int64_t to = t + (int64_t)or_synth_qtab_draw(&m->order_gap, r);
			if (to < t_end) {
				int forced = (int)or_synth_below(r, (uint32_t)np), kept = 0;
				for (int i = 0; i < np; i++) {
					if ((i == forced || or_synth_unif(r) < 0.7) && cnt < cap)
						EMIT(pend[i], to, OR_ORDERS);
					else
						pend[kept++] = pend[i];
				}
				np = kept;
				/* often an item ordered without a cart of it:
				   the last one seen or an earlier one */
				if (or_synth_unif(r) < SYNTH_ORDER_UNCARTED && cnt < cap)
					EMIT(or_synth_unif(r) < 0.5 ? cur : item[earlier(cnt, r)], to,
					     OR_ORDERS);
				t = to;
			}
		}
		if (cnt >= n_target || cnt >= cap)
			break;
		int64_t gap = (int64_t)or_synth_qtab_draw(&m->visit_gap, r);
		if (t + gap >= t_end) {
			if (cnt >= 2)
				break;
			gap = 0; /* a one-event session near the end: stay */
		}
		t += gap;
		/* a new visit often starts on a new interest */
		if (or_synth_unif(r) < 0.35)
			switch_group(c, &s, t, r);
	}
#undef EMIT
	return cnt;
}
