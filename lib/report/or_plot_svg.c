/* or_plot_svg.c - line, horizontal bar and grouped bar charts as SVG text
   (or_plot.h): frame, axes, gridlines, legend, the data marks. */
#include "or_plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ML 64.0   /* margins: left (y tick labels), right, top (title), bottom */
#define MR 16.0
#define MT 30.0
#define MB 44.0

static const char *const dashes[OR_PLOT_N_COLOURS] = {
	"", "6 3", "2 2", "8 3 2 3", "4 4", "1 3", "10 4"
};

void or_plot_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

typedef struct frame {
	double w, h, x0, x1, y0, y1; /* plot area: x0..x1 left to right, y0 bottom, y1 top */
} frame;

static frame open_svg(FILE *f, const or_plot *p, const char *kind, double left, double height)
{
	frame fr;
	fr.w = p->width > 0 ? p->width : 640;
	fr.h = height > 0 ? height : p->height > 0 ? p->height : 300;
	fr.x0 = left;
	fr.x1 = fr.w - MR;
	fr.y0 = fr.h - MB;
	fr.y1 = MT;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" role=\"img\" data-section=\"", fr.w, fr.h, fr.w, fr.h);
	or_plot_text(f, p->section);
	fprintf(f, "\" data-kind=\"%s\"><title>", kind);
	or_plot_text(f, p->title);
	fprintf(f, "</title><text x=\"%.1f\" y=\"18\" class=\"t\">", left);
	or_plot_text(f, p->title);
	fputs("</text>", f);
	return fr;
}

static void axis_titles(FILE *f, const or_plot *p, const frame *fr)
{
	if (p->xlabel) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (fr->x0 + fr->x1) / 2,
			fr->h - 8);
		or_plot_text(f, p->xlabel);
		fputs("</text>", f);
	}
	if (p->ylabel) {
		fprintf(f, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
			(fr->y0 + fr->y1) / 2);
		or_plot_text(f, p->ylabel);
		fputs("</text>", f);
	}
}

/* Gridlines and tick labels of a y axis (horizontal lines, labels at the
   left) or of an x axis (vertical lines, labels below). */
static void axis(FILE *f, const or_axis *a, const frame *fr, int is_y)
{
	char buf[32];
	for (size_t i = 0; i < a->n_ticks; i++) {
		double v = is_y ? or_axis_map(a, a->ticks[i], fr->y0, fr->y1)
				: or_axis_map(a, a->ticks[i], fr->x0, fr->x1);
		or_axis_label(a, a->ticks[i], buf, sizeof(buf));
		if (is_y)
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"g\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
				fr->x0, fr->x1, v, v, fr->x0 - 4, v + 4, buf);
		else
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"g\"/>"
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
				v, v, fr->y0, fr->y1, v, fr->y0 + 16, buf);
	}
}

/* The legend of n series in rows under the title (wrapped at the plot's
   right edge); returns its rows (0 for one series). */
static int legend(FILE *f, const frame *fr, const char *const *names, size_t n, int lines)
{
	if (n < 2)
		return 0;
	double x = fr->x0 + 8;
	int row = 0;
	for (size_t i = 0; i < n; i++) {
		double w = 30 + 6.5 * (double)strlen(names[i] ? names[i] : "");
		if (i && x + w > fr->x1) {
			x = fr->x0 + 8;
			row++;
		}
		double y = MT + 6 + 14.0 * row;
		const char *c = or_plot_colours[i % OR_PLOT_N_COLOURS];
		if (lines)
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				"stroke-width=\"2\" stroke-dasharray=\"%s\"/>", x, x + 18, y - 4, y - 4, c,
				dashes[i % OR_PLOT_N_COLOURS]);
		else
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>", x,
				y - 9, c);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 22, y);
		or_plot_text(f, names[i]);
		fputs("</text>", f);
		x += w;
	}
	return row + 1;
}

static int drawable(double x, double y, int xlog, int ylog)
{
	return isfinite(x) && isfinite(y) && (!xlog || x > 0) && (!ylog || y > 0);
}

size_t or_plot_lines(FILE *f, const or_plot *p, const or_plot_series *s, size_t ns,
		     const or_plot_mark *marks, size_t nm)
{
	double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < s[k].n; i++)
			if (drawable(s[k].x[i], s[k].y[i], p->xlog, p->ylog)) {
				xl = fmin(xl, s[k].x[i]);
				xh = fmax(xh, s[k].x[i]);
				yl = fmin(yl, s[k].y[i]);
				yh = fmax(yh, s[k].y[i]);
			}
	for (size_t k = 0; k < nm; k++)
		if (drawable(marks[k].x, marks[k].y, p->xlog, p->ylog)) {
			yl = fmin(yl, marks[k].y);
			yh = fmax(yh, marks[k].y);
		}
	if (p->y_zero && !p->ylog && yl <= yh && yl > 0)
		yl = 0;
	or_axis ax, ay;
	if (p->xlog)
		or_axis_log(&ax, xl, xh);
	else
		or_axis_linear(&ax, xl, xh, 8);
	if (p->ylog)
		or_axis_log(&ay, yl, yh);
	else
		or_axis_linear(&ay, yl, yh, 6);
	frame fr = open_svg(f, p, "line", ML, 0);
	const char *names[OR_PLOT_N_COLOURS * 4] = { 0 };
	size_t nn = ns < sizeof(names) / sizeof(names[0]) ? ns : sizeof(names) / sizeof(names[0]);
	for (size_t k = 0; k < nn; k++)
		names[k] = s[k].name;
	fr.y1 += 14.0 * legend(f, &fr, names, nn, 1);
	axis(f, &ay, &fr, 1);
	axis(f, &ax, &fr, 0);
	axis_titles(f, p, &fr);
	size_t drawn = 0;
	for (size_t k = 0; k < ns; k++) {
		const char *c = or_plot_colours[k % OR_PLOT_N_COLOURS];
		fprintf(f, "<g data-series=\"");
		or_plot_text(f, s[k].name);
		fputs("\">", f);
		/* the line, broken at gaps */
		int open = 0;
		for (size_t i = 0; i < s[k].n; i++) {
			if (!drawable(s[k].x[i], s[k].y[i], p->xlog, p->ylog)) {
				if (open)
					fputs("\"/>", f);
				open = 0;
				continue;
			}
			if (!open)
				fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" "
					"stroke-dasharray=\"%s\" points=\"", c, dashes[k % OR_PLOT_N_COLOURS]);
			fprintf(f, "%s%.1f,%.1f", open ? " " : "",
				or_axis_map(&ax, s[k].x[i], fr.x0, fr.x1),
				or_axis_map(&ay, s[k].y[i], fr.y0, fr.y1));
			open = 1;
		}
		if (open)
			fputs("\"/>", f);
		double r = s[k].n > 60 ? 1.2 : 2.5;
		for (size_t i = 0; i < s[k].n; i++) {
			if (!drawable(s[k].x[i], s[k].y[i], p->xlog, p->ylog))
				continue;
			fprintf(f, "<circle data-point=\"\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>",
				or_axis_map(&ax, s[k].x[i], fr.x0, fr.x1),
				or_axis_map(&ay, s[k].y[i], fr.y0, fr.y1), r, c);
			drawn++;
		}
		fputs("</g>", f);
	}
	for (size_t k = 0; k < nm; k++) {
		if (!drawable(marks[k].x, marks[k].y, p->xlog, p->ylog))
			continue;
		double x = or_axis_map(&ax, marks[k].x, fr.x0, fr.x1);
		double y = or_axis_map(&ay, marks[k].y, fr.y0, fr.y1);
		fprintf(f, "<path data-mark=\"\" d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"%s\" "
			"stroke=\"#000\"/><text x=\"%.1f\" y=\"%.1f\">", x, y - 6,
			or_plot_colours[marks[k].series % OR_PLOT_N_COLOURS], x + 9, y + 4);
		or_plot_text(f, marks[k].label);
		fputs("</text>", f);
	}
	fputs("</svg>\n", f);
	return drawn;
}

size_t or_plot_hbars(FILE *f, const or_plot *p, const or_plot_bar *bars, size_t n)
{
	double hi = 0;
	size_t longest = 0;
	for (size_t i = 0; i < n; i++) {
		double end = bars[i].start + bars[i].value;
		if (isfinite(end) && end > hi)
			hi = end;
		size_t l = strlen(bars[i].label ? bars[i].label : "");
		longest = l > longest ? l : longest;
	}
	or_axis ax;
	or_axis_linear(&ax, 0, hi > 0 ? hi : 0, 6);
	const double row = 18;
	double left = 12 + 6.5 * (double)(longest > 40 ? 40 : longest);
	if (left < ML)
		left = ML;
	frame fr = open_svg(f, p, "bars", left, MT + MB + row * (double)(n ? n : 1) + 8);
	fr.x1 -= 96; /* room for the notes */
	axis(f, &ax, &fr, 0);
	axis_titles(f, p, &fr);
	size_t drawn = 0;
	for (size_t i = 0; i < n; i++) {
		double y = fr.y1 + 4 + row * (double)i;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", fr.x0 - 4, y + 12);
		or_plot_text(f, bars[i].label);
		fputs("</text>", f);
		if (!isfinite(bars[i].start) || !isfinite(bars[i].value))
			continue;
		double a = or_axis_map(&ax, bars[i].start, fr.x0, fr.x1);
		double b = or_axis_map(&ax, bars[i].start + bars[i].value, fr.x0, fr.x1);
		fprintf(f, "<rect data-bar=\"\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\"/>", a, y, b - a > 0.5 ? b - a : 0.5, row - 4,
			or_plot_colours[bars[i].colour % OR_PLOT_N_COLOURS]);
		drawn++;
		if (bars[i].note) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", b + 4, y + 12);
			or_plot_text(f, bars[i].note);
			fputs("</text>", f);
		}
	}
	fputs("</svg>\n", f);
	return drawn;
}

size_t or_plot_groups(FILE *f, const or_plot *p, const char *const *cats, size_t nc,
		      const char *const *series, size_t ns, const double *values)
{
	double lo = 0, hi = 0;
	for (size_t i = 0; i < nc * ns; i++)
		if (isfinite(values[i])) {
			lo = fmin(lo, values[i]);
			hi = fmax(hi, values[i]);
		}
	or_axis ay;
	or_axis_linear(&ay, lo, hi, 6);
	frame fr = open_svg(f, p, "bars", ML, 0);
	fr.y1 += 14.0 * legend(f, &fr, series, ns, 0);
	axis(f, &ay, &fr, 1);
	axis_titles(f, p, &fr);
	double gw = (fr.x1 - fr.x0) / (double)(nc ? nc : 1);
	double bw = (gw * 0.8) / (double)(ns ? ns : 1);
	size_t drawn = 0;
	for (size_t c = 0; c < nc; c++) {
		double gx = fr.x0 + gw * (double)c;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", gx + gw / 2, fr.y0 + 16);
		or_plot_text(f, cats[c]);
		fputs("</text>", f);
		for (size_t s = 0; s < ns; s++) {
			double v = values[s * nc + c];
			if (!isfinite(v))
				continue;
			double y = or_axis_map(&ay, v, fr.y0, fr.y1);
			double z = or_axis_map(&ay, 0, fr.y0, fr.y1);
			fprintf(f, "<rect data-bar=\"\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"><title>", gx + gw * 0.1 + bw * (double)s, fmin(y, z), bw,
				fabs(z - y), or_plot_colours[s % OR_PLOT_N_COLOURS]);
			or_plot_text(f, series[s]);
			fputs(" (", f);
			or_plot_text(f, cats[c]);
			fprintf(f, "): %.4f</title></rect>", v);
			drawn++;
		}
	}
	fputs("</svg>\n", f);
	return drawn;
}
