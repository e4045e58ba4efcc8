/* or_plot_axis.c - nice numbers, axes, scales and tick labels (or_plot.h). */
#include "or_plot.h"

#include <math.h>
#include <stdio.h>

const char *const or_plot_colours[OR_PLOT_N_COLOURS] = {
	/* Okabe & Ito (2008): blue, orange, bluish green, vermillion,
	   reddish purple, sky blue, black */
	"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"
};

double or_plot_nice(double x, int round)
{
	if (!(x > 0) || !isfinite(x))
		return 1.0;
	double e = floor(log10(x));
	double p = pow(10.0, e);
	double f = x / p, nf;
	if (round)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * p;
}

void or_axis_linear(or_axis *a, double lo, double hi, int want)
{
	a->log = 0;
	if (want < 2)
		want = 2;
	if (want > 20)
		want = 20;
	if (!isfinite(lo) || !isfinite(hi) || lo > hi) {
		lo = 0;
		hi = 1;
	} else if (lo == hi) {
		if (lo > 0) {
			hi = 2 * lo;
			lo = 0;
		} else if (lo < 0) {
			hi = 0;
			lo = 2 * lo;
		} else {
			hi = 1;
		}
	}
	/* the step is the nice number nearest range / (want - 1), from the
	   data's range itself (not rounded up first, as Heckbert's loose
	   labelling does): tighter axes, closer to `want` ticks */
	double step = or_plot_nice((hi - lo) / (want - 1), 1);
	double g0 = floor(lo / step) * step, g1 = ceil(hi / step) * step;
	size_t n = (size_t)llround((g1 - g0) / step) + 1;
	while (n > OR_PLOT_MAX_TICKS) {
		step *= 2;
		g0 = floor(lo / step) * step;
		g1 = ceil(hi / step) * step;
		n = (size_t)llround((g1 - g0) / step) + 1;
	}
	a->step = step;
	a->lo = g0;
	a->hi = g1;
	a->n_ticks = n;
	for (size_t i = 0; i < n; i++) {
		double v = g0 + (double)i * step;
		a->ticks[i] = fabs(v) < step * 1e-9 ? 0.0 : v;
	}
}

void or_axis_log(or_axis *a, double lo, double hi)
{
	a->log = 1;
	a->step = 0;
	if (!(lo > 0) || !(hi > 0) || !isfinite(lo) || !isfinite(hi) || lo > hi) {
		lo = 1;
		hi = 10;
	}
	double d0 = floor(log10(lo) + 1e-12), d1 = ceil(log10(hi) - 1e-12);
	if (d1 <= d0)
		d1 = d0 + 1;
	a->lo = pow(10.0, d0);
	a->hi = pow(10.0, d1);
	int decades = (int)(d1 - d0);
	int every = decades > 10 ? (decades + 9) / 10 : 1;
	a->n_ticks = 0;
	for (int k = 0; k <= decades && a->n_ticks < OR_PLOT_MAX_TICKS; k += every)
		a->ticks[a->n_ticks++] = pow(10.0, d0 + k);
}

double or_axis_map(const or_axis *a, double v, double r0, double r1)
{
	double t;
	if (a->log) {
		double l0 = log10(a->lo), l1 = log10(a->hi);
		t = v > 0 ? (log10(v) - l0) / (l1 - l0) : 0.0;
	} else {
		t = (v - a->lo) / (a->hi - a->lo);
	}
	if (!(t >= 0)) /* NaN too */
		t = 0;
	if (t > 1)
		t = 1;
	return r0 + t * (r1 - r0);
}

void or_axis_label(const or_axis *a, double v, char *buf, size_t n)
{
	if (a->log) {
		static const char suffix[] = { 'k', 'M', 'G', 'T' };
		int e = (int)floor(log10(v) + 1e-9);
		if (e >= 3 && e < 15)
			snprintf(buf, n, "%.0f%c", pow(10.0, e % 3), suffix[e / 3 - 1]);
		else
			snprintf(buf, n, "%g", v);
		return;
	}
	int dec = a->step >= 1 ? 0 : (int)ceil(-log10(a->step) - 1e-9);
	if (dec > 6)
		dec = 6;
	snprintf(buf, n, "%.*f", dec, v);
}
