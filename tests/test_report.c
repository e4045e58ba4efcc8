/*
 * test_report.c - unit tests of lib/report/: the plot code's nice numbers,
 * linear and log axes (empty, one-value and ordinary ranges), the scale's
 * mapping and tick labels, the charts' data marks (empty and one-point
 * series, gaps, log axes), and the JSON tree reader of the run's logs.
 */
#include "check.h"
#include "or_jdoc.h"
#include "or_plot.h"

#include <math.h>

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1);
}

static void test_nice(void)
{
	CHECK(near(or_plot_nice(1.0, 1), 1));
	CHECK(near(or_plot_nice(1.4, 1), 1));
	CHECK(near(or_plot_nice(1.6, 1), 2));
	CHECK(near(or_plot_nice(4.0, 1), 5));
	CHECK(near(or_plot_nice(7.5, 1), 10));
	CHECK(near(or_plot_nice(0.031, 1), 0.05));
	CHECK(near(or_plot_nice(0.029, 1), 0.02));
	CHECK(near(or_plot_nice(1.1, 0), 2));
	CHECK(near(or_plot_nice(2.0, 0), 2));
	CHECK(near(or_plot_nice(2.1, 0), 5));
	CHECK(near(or_plot_nice(6, 0), 10));
	CHECK(near(or_plot_nice(340, 0), 500));
	CHECK(near(or_plot_nice(0, 1), 1));   /* degenerate: a unit */
	CHECK(near(or_plot_nice(NAN, 0), 1));
}

static void test_linear_axis(void)
{
	or_axis a;
	or_axis_linear(&a, 0.13, 0.67, 6);
	CHECK(near(a.step, 0.1));
	CHECK(near(a.lo, 0.1));
	CHECK(near(a.hi, 0.7));
	CHECK_INT(a.n_ticks, 7);
	CHECK(near(a.ticks[3], 0.4));
	char buf[32];
	or_axis_label(&a, a.ticks[3], buf, sizeof(buf));
	CHECK(!strcmp(buf, "0.4"));
	or_axis_linear(&a, 0, 1234, 6);
	CHECK(near(a.step, 200));
	CHECK(near(a.hi, 1400));
	or_axis_label(&a, a.ticks[2], buf, sizeof(buf));
	CHECK(!strcmp(buf, "400"));
	/* ticks straddling 0 are exactly 0, not -1e-17 */
	or_axis_linear(&a, -0.3, 0.3, 6);
	int zero = 0;
	for (size_t i = 0; i < a.n_ticks; i++)
		zero |= a.ticks[i] == 0.0;
	CHECK(zero);
	/* no data (an empty series: lo > hi), one value, NaN */
	or_axis_linear(&a, INFINITY, -INFINITY, 6);
	CHECK(near(a.lo, 0) && near(a.hi, 1));
	or_axis_linear(&a, NAN, NAN, 6);
	CHECK(near(a.lo, 0) && near(a.hi, 1));
	or_axis_linear(&a, 5, 5, 6);
	CHECK(a.lo <= 0 && a.hi >= 10 && a.n_ticks >= 2);
	or_axis_linear(&a, 0, 0, 6);
	CHECK(near(a.lo, 0) && near(a.hi, 1));
	or_axis_linear(&a, -2, -2, 6);
	CHECK(a.lo <= -4 && a.hi >= 0);
	/* never more ticks than fit */
	or_axis_linear(&a, 0, 1e6, 50);
	CHECK(a.n_ticks <= OR_PLOT_MAX_TICKS && a.n_ticks >= 2);
	/* the map: ends, middle, clamped */
	or_axis_linear(&a, 0, 10, 6);
	CHECK(near(or_axis_map(&a, 0, 100, 200), 100));
	CHECK(near(or_axis_map(&a, 10, 100, 200), 200));
	CHECK(near(or_axis_map(&a, 5, 200, 100), 150));
	CHECK(near(or_axis_map(&a, 99, 100, 200), 200));
	CHECK(near(or_axis_map(&a, NAN, 100, 200), 100));
}

static void test_log_axis(void)
{
	or_axis a;
	or_axis_log(&a, 3, 4500);
	CHECK(a.log);
	CHECK(near(a.lo, 1) && near(a.hi, 10000));
	CHECK_INT(a.n_ticks, 5);
	CHECK(near(a.ticks[2], 100));
	CHECK(near(or_axis_map(&a, 100, 0, 400), 200));
	CHECK(near(or_axis_map(&a, 0, 0, 400), 0));   /* <= 0: the bottom */
	CHECK(near(or_axis_map(&a, -5, 0, 400), 0));
	char buf[32];
	or_axis_label(&a, 1, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1"));
	or_axis_label(&a, 1000, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1k"));
	or_axis_label(&a, 1e7, buf, sizeof(buf));
	CHECK(!strcmp(buf, "10M"));
	/* exact powers stay the decade they are */
	or_axis_log(&a, 10, 1000);
	CHECK(near(a.lo, 10) && near(a.hi, 1000) && a.n_ticks == 3);
	/* one value: a whole decade */
	or_axis_log(&a, 100, 100);
	CHECK(near(a.lo, 100) && near(a.hi, 1000));
	/* empty, zero, negative: [1, 10] */
	or_axis_log(&a, INFINITY, -INFINITY);
	CHECK(near(a.lo, 1) && near(a.hi, 10));
	or_axis_log(&a, 0, 100);
	CHECK(near(a.lo, 1) && near(a.hi, 10));
	/* many decades: thinned ticks */
	or_axis_log(&a, 1e-3, 1e20);
	CHECK(a.n_ticks <= 12 && a.n_ticks >= 2);
}

/* Count occurrences of needle in the chart text. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *render_lines(const or_plot *p, const or_plot_series *s, size_t ns,
			  const or_plot_mark *m, size_t nm, size_t *drawn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*drawn = or_plot_lines(f, p, s, ns, m, nm);
	fclose(f);
	return buf;
}

static void test_line_chart(void)
{
	or_plot p = { .section = "t<1>", .title = "a & b", .xlabel = "N", .ylabel = "recall" };
	double x[4] = { 1, 2, 3, 4 }, y[4] = { 0.1, NAN, 0.3, 0.4 };
	or_plot_series s[2] = { { "one", x, y, 4 }, { "two", x, x, 4 } };
	or_plot_mark m = { 2, 0.5, 0, "final" };
	size_t drawn;
	char *svg = render_lines(&p, s, 2, &m, 1, &drawn);
	CHECK_INT(drawn, 7); /* the NaN is a gap */
	CHECK_INT(count(svg, "data-point"), 7);
	CHECK_INT(count(svg, "data-mark"), 1);
	CHECK_INT(count(svg, "<polyline"), 3); /* "one" broken in two */
	CHECK_STR_CONTAINS(svg, "data-section=\"t&lt;1&gt;\"");
	CHECK_STR_CONTAINS(svg, "a &amp; b");
	free(svg);
	/* empty series, and no series at all: a frame, no marks, no crash */
	or_plot_series e = { "empty", x, y, 0 };
	svg = render_lines(&p, &e, 1, NULL, 0, &drawn);
	CHECK_INT(drawn, 0);
	CHECK_INT(count(svg, "data-point"), 0);
	CHECK_STR_CONTAINS(svg, "</svg>");
	free(svg);
	svg = render_lines(&p, NULL, 0, NULL, 0, &drawn);
	CHECK_INT(drawn, 0);
	free(svg);
	/* one point */
	double one = 3;
	or_plot_series o = { "one", &one, &one, 1 };
	svg = render_lines(&p, &o, 1, NULL, 0, &drawn);
	CHECK_INT(drawn, 1);
	CHECK(!strstr(svg, "nan") && !strstr(svg, "inf"));
	free(svg);
	/* log axes: values <= 0 are not drawn */
	p.xlog = p.ylog = 1;
	double lx[3] = { 1, 10, 100 }, ly[3] = { 5, 0, 50 };
	or_plot_series l = { "log", lx, ly, 3 };
	svg = render_lines(&p, &l, 1, NULL, 0, &drawn);
	CHECK_INT(drawn, 2);
	CHECK_STR_CONTAINS(svg, ">100<");
	free(svg);
}

static void test_bar_charts(void)
{
	or_plot p = { .section = "b", .title = "bars" };
	or_plot_bar b[3] = { { "x", 0, 2, "2 s", 0 }, { "y", 2, 3, NULL, 1 }, { "z", 0, NAN, NULL, 2 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK_INT(or_plot_hbars(f, &p, b, 3), 2);
	CHECK_INT(or_plot_hbars(f, &p, b, 0), 0);
	const char *cats[2] = { "1", "2-3" }, *series[2] = { "s", "t" };
	double v[4] = { 0.5, 0.25, NAN, 0.75 };
	CHECK_INT(or_plot_groups(f, &p, cats, 2, series, 2, v), 3);
	fclose(f);
	CHECK_INT(count(buf, "data-bar"), 5);
	CHECK(!strstr(buf, "nan"));
	free(buf);
}

static void test_jdoc(void)
{
	const char *t = " {\"a\":1,\"b\":[1.5,-2e3,0.25E-1],\"c\":{\"d\":\"x\\\"y\"},\"e\":null,"
			"\"f\":true,\"g\":[]} ";
	or_jv v;
	or_err err;
	CHECK_INT(or_jdoc_parse(t, strlen(t), "t", &v, &err), OR_OK);
	double d = 0;
	CHECK(or_jdoc_num(&v, "a", &d) && d == 1);
	const or_jv *b = or_jdoc_arr(&v, "b");
	CHECK(b && b->n == 3 && b->items[0].num == 1.5 && b->items[1].num == -2000 &&
	      near(b->items[2].num, 0.025));
	CHECK(!strcmp(or_jdoc_str(or_jdoc_get(&v, "c"), "d"), "x\"y"));
	CHECK(or_jdoc_get(&v, "e")->kind == OR_JV_NULL);
	CHECK(!or_jdoc_num(&v, "e", &d));
	CHECK(or_jdoc_get(&v, "f")->num == 1);
	CHECK(or_jdoc_arr(&v, "g")->n == 0);
	CHECK(!or_jdoc_get(&v, "zz") && !or_jdoc_get(NULL, "a") && !or_jdoc_arr(&v, "a"));
	or_jdoc_release(&v);
	/* errors name the column */
	static const char *const bad[] = { "{\"a\":}", "[1,]", "01", "{\"a\" 1}", "1.", "[1] x",
					   "\"abc", "-", "1e", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(or_jdoc_parse(bad[i], strlen(bad[i]), "f.txt", &v, &err), OR_EFORMAT);
		CHECK_STR_CONTAINS(err.msg, "f.txt:");
		CHECK(v.kind == OR_JV_NULL && v.n == 0);
	}
	CHECK_INT(or_jdoc_parse("[1,]", 4, "f.txt", &v, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "f.txt:4:");
	/* nesting is bounded */
	char deep[200];
	memset(deep, '[', sizeof(deep));
	CHECK_INT(or_jdoc_parse(deep, sizeof(deep), "d", &v, &err), OR_EFORMAT);
	CHECK_STR_CONTAINS(err.msg, "nested too deep");
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_nice);
	RUN_TEST(test_linear_axis);
	RUN_TEST(test_log_axis);
	RUN_TEST(test_line_chart);
	RUN_TEST(test_bar_charts);
	RUN_TEST(test_jdoc);
	CHECK_MAIN_END
}
