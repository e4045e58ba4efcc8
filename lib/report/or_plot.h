/*
 * or_plot.h - the small plotting code of `ottorec report`: axes with "nice"
 * ticks (Heckbert's nice numbers, Graphics Gems I), linear and base-10 log
 * scales (or_plot_axis.c), and line/point charts and bar charts written as
 * SVG text onto a stream (or_plot_svg.c).  Hand-written because the report
 * must open from a USB stick in any browser, without script or network:
 * the charts are inline SVG, and the few kinds needed are a page of code.
 *
 * Every chart is an <svg data-section="S" data-kind="line|bars"> whose data
 * marks carry a data- attribute: one <circle data-point> per drawn point
 * of a line chart, one <rect data-bar> per bar, one <path data-mark> per
 * marked value; the browser test counts them.  Colours are the Okabe-Ito
 * palette (told apart by colour-blind readers), lines also differ by dash
 * pattern, so the charts survive a black-and-white print.
 */
#ifndef OR_PLOT_H
#define OR_PLOT_H

#include <stddef.h>
#include <stdio.h>

#define OR_PLOT_MAX_TICKS 24

/* The palette, in the order series take it. */
#define OR_PLOT_N_COLOURS 7
extern const char *const or_plot_colours[OR_PLOT_N_COLOURS];

/* Heckbert's nice number near x > 0: 1, 2, 5 or 10 times a power of ten;
   rounded to the nearest (round = 1) or the next at or above x (0). */
double or_plot_nice(double x, int round);

typedef struct or_axis {
	double lo, hi;   /* the domain drawn (ticks' range, data inside it) */
	int log;         /* base-10 log scale */
	double step;     /* linear: the tick step */
	size_t n_ticks;
	double ticks[OR_PLOT_MAX_TICKS];
} or_axis;

/* A linear axis over data in [lo, hi] with about `want` (2..20) ticks:
   lo > hi or non-finite (no data) gives [0, 1]; lo == hi (one value) a
   unit around it ([0, 2v] for v > 0).  The domain is the nice ticks'. */
void or_axis_linear(or_axis *a, double lo, double hi, int want);
/* A log axis over data in [lo, hi] (both > 0; anything else as no data:
   [1, 10]): whole decades, a tick at each power of ten (every second or
   third one when there are many). */
void or_axis_log(or_axis *a, double lo, double hi);
/* v on the axis, mapped onto [r0, r1] (r1 < r0 for a y axis); values out
   of the domain are clamped to it, v <= 0 on a log axis to its bottom. */
double or_axis_map(const or_axis *a, double v, double r0, double r1);
/* The text of tick value v: as many decimals as the step needs; log axes
   1, 10, 100, 1k, 10k, ..., 1M, ..., 1G. */
void or_axis_label(const or_axis *a, double v, char *buf, size_t n);

/* The frame of a chart. */
typedef struct or_plot {
	const char *section;  /* data-section of the <svg> */
	const char *title;    /* drawn above the chart and its <title> */
	const char *xlabel, *ylabel;
	int xlog, ylog;       /* line charts: log axes */
	int y_zero;           /* line charts: the y axis starts at 0 */
	int width, height;    /* pixels; 0 = 640 x 300 */
} or_plot;

typedef struct or_plot_series {
	const char *name;
	const double *x, *y; /* n points; a non-finite y (or x, y <= 0 on a
	                        log axis) is a gap, not drawn */
	size_t n;
} or_plot_series;

/* A marked value: a diamond with its label beside it. */
typedef struct or_plot_mark {
	double x, y;
	int series;          /* whose colour */
	const char *label;
} or_plot_mark;

/* A line chart: each series a polyline with a circle per drawn point, a
   legend when there are several.  Returns the points drawn. */
size_t or_plot_lines(FILE *f, const or_plot *p, const or_plot_series *s, size_t ns,
		     const or_plot_mark *marks, size_t nm);

/* One horizontal bar: from start to start + value on the x axis. */
typedef struct or_plot_bar {
	const char *label;   /* at the left of its row */
	double start, value;
	const char *note;    /* after the bar, or NULL */
	int colour;          /* index into the palette */
} or_plot_bar;

/* A horizontal bar chart, one row per bar (feature gains, a timeline).
   Returns the bars drawn. */
size_t or_plot_hbars(FILE *f, const or_plot *p, const or_plot_bar *bars, size_t n);

/* Vertical bars in groups: nc categories along x, in each one bar per
   series (values[s * nc + c]; non-finite: no bar), a legend of the series.
   Returns the bars drawn. */
size_t or_plot_groups(FILE *f, const or_plot *p, const char *const *cats, size_t nc,
		      const char *const *series, size_t ns, const double *values);

/* s with &, <, >, " and ' escaped for XML text and attributes. */
void or_plot_text(FILE *f, const char *s);

#endif
