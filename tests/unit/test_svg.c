// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The SVG/HTML writer (user/svg.c): every text escaped, shapes written as
 * given, the log axis mapping and clamping, colour mixing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "svg.h"

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

static char *out_close(struct out *o)
{
	fclose(o->f);
	return o->buf;
}

static void test_escape(void **unused)
{
	struct out o;

	out_open(&o);
	sw_html_escape(o.f, "a<b>&\"c\"'d'</script>");
	sw_html_printf(o.f, "|%s %d|", "<&>", 7);
	assert_string_equal(out_close(&o),
			    "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;&lt;/script&gt;|&lt;&amp;&gt; 7|");
	free(o.buf);
}

static void test_shapes_escape_text(void **unused)
{
	struct out o;

	out_open(&o);
	sw_svg_open(o.f, 300, 200, "label \"quoted\" <b>");
	sw_svg_text(o.f, 1, 2, "middle", "tick", "%s", "host<1>&");
	sw_svg_rect(o.f, 1, 2, 3, 4, "#aabbcc", "tip '<x>'");
	sw_svg_rect(o.f, 1, 2, 3, 4, "#aabbcc", NULL);
	sw_svg_line(o.f, 0, 1, 2, 3, "grid");
	sw_svg_polyline(o.f, (double[]){ 0, 1.5 }, (double[]){ 2, 3 }, 2, "#123456");
	sw_svg_close(o.f);
	assert_string_equal(out_close(&o),
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 300 200\" width=\"300\" "
		"height=\"200\" role=\"img\" aria-label=\"label &quot;quoted&quot; &lt;b&gt;\">\n"
		"<text class=\"tick\" x=\"1.0\" y=\"2.0\" text-anchor=\"middle\">host&lt;1&gt;&amp;</text>\n"
		"<rect x=\"1.0\" y=\"2.0\" width=\"3.0\" height=\"4.0\" fill=\"#aabbcc\"><title>tip "
		"&#39;&lt;x&gt;&#39;</title></rect>\n"
		"<rect x=\"1.0\" y=\"2.0\" width=\"3.0\" height=\"4.0\" fill=\"#aabbcc\"/>\n"
		"<line class=\"grid\" x1=\"0.0\" y1=\"1.0\" x2=\"2.0\" y2=\"3.0\"/>\n"
		"<polyline class=\"series\" stroke=\"#123456\" points=\"0.0,2.0 1.5,3.0\"/>\n"
		"</svg>\n");
	free(o.buf);
}

/* Log x: each decade the same width; y linear, upwards; both clamped to the area. */
static void test_plot_mapping(void **unused)
{
	struct sw_plot p = { NULL, 100, 10, 600, 300, 1, 1e6, 0, 1 };

	assert_true(sw_plot_x(&p, 1) == 100);
	assert_true(sw_plot_x(&p, 1e6) == 700);
	assert_true(sw_plot_x(&p, 1e3) == 400);
	assert_true(sw_plot_x(&p, 1e9) == 700);
	assert_true(sw_plot_x(&p, 0.001) == 100);
	assert_true(sw_plot_x(&p, 0) == 100);
	assert_true(sw_plot_y(&p, 0) == 310);
	assert_true(sw_plot_y(&p, 1) == 10);
	assert_true(sw_plot_y(&p, 0.5) == 160);
	assert_true(sw_plot_y(&p, 7) == 10);
}

static void test_axes_ticks(void **unused)
{
	struct out o;
	struct sw_plot p = { NULL, 100, 10, 600, 300, 1, 1e7, 0, 1 };
	char *s;

	out_open(&o);
	p.f = o.f;
	sw_plot_axes(&p, "latency <log>", "fraction", 2, "%.1f");
	sw_plot_vline(&p, 1e6, "wait", "IPI 1 s");
	s = out_close(&o);
	for (const char *const *t = (const char *const[]){ ">1 us<", ">10 us<", ">100 us<", ">1 ms<",
			">10 ms<", ">100 ms<", ">1 s<", ">10 s<", ">0.0<", ">0.5<", ">1.0<",
			">latency &lt;log&gt;<", ">IPI 1 s<", NULL }; *t; t++)
		if (!strstr(s, *t))
			fail_msg("no %s in %s", *t, s);
	free(s);
}

static void test_color_mix(void **unused)
{
	char c[8];

	sw_color_mix(c, "#000000", "#ffffff", 0);
	assert_string_equal(c, "#000000");
	sw_color_mix(c, "#000000", "#ffffff", 1);
	assert_string_equal(c, "#ffffff");
	sw_color_mix(c, "#000000", "#ff8040", 0.5);
	assert_string_equal(c, "#804020");
	sw_color_mix(c, "#000000", "#ffffff", 7);
	assert_string_equal(c, "#ffffff");
	sw_color_mix(c, "#102030", "#ffffff", -1);
	assert_string_equal(c, "#102030");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_shapes_escape_text),
		cmocka_unit_test(test_plot_mapping),
		cmocka_unit_test(test_axes_ticks),
		cmocka_unit_test(test_color_mix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
