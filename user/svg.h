/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small writer of inline SVG plots and escaped HTML text, for report.
 *
 * Hand-written rather than a Debian library: cairo's SVG surface draws
 * text as glyph outlines (nothing to search or copy in a postmortem) and
 * its static link pulls pixman, freetype, fontconfig and libpng; GNU
 * libplot writes a standalone SVG document (XML prolog, fixed page), not
 * an element to place inside HTML. What report needs is lines, rects,
 * text and axes with escaping: this, about 200 lines, unit-tested.
 */
#ifndef STOPWATCH_SVG_H
#define STOPWATCH_SVG_H

#include <stdbool.h>
#include <stdio.h>

/* @s with & < > " ' as character references: safe in HTML text, attributes and SVG. */
void sw_html_escape(FILE *f, const char *s);
/* printf, then escaped. */
void sw_html_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* <svg> with a viewBox of @width x @height and @label for screen readers; and its end. */
void sw_svg_open(FILE *f, int width, int height, const char *label);
void sw_svg_close(FILE *f);
/* Shapes; @cls is a CSS class of the page's style sheet (never NULL). */
void sw_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *cls);
/* A rect filled with @fill (#rrggbb), @tip as its hover title (NULL: none). */
void sw_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
		 const char *tip);
/* Text at (x, y); @anchor "start" | "middle" | "end". */
void sw_svg_text(FILE *f, double x, double y, const char *anchor, const char *cls,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A polyline through @n points, stroked in @color. */
void sw_svg_polyline(FILE *f, const double *x, const double *y, int n, const char *color);

/* A plot area: pixels [x0, x0 + w] x [y0, y0 + h], data x on a log10 axis, y linear. */
struct sw_plot {
	FILE *f;
	double x0, y0, w, h;
	double xmin, xmax;	/* data, > 0 */
	double ymin, ymax;
};
double sw_plot_x(const struct sw_plot *p, double v);	/* clamped to the area */
double sw_plot_y(const struct sw_plot *p, double v);
/*
 * Frame, grid and tick labels: x at each power of ten of microseconds
 * ("1 us", "10 us", ... "1 s"), y at @yticks steps formatted with @yfmt.
 */
void sw_plot_axes(const struct sw_plot *p, const char *xlabel, const char *ylabel, int yticks,
		  const char *yfmt);
/* A vertical marker at data x @v with a label at its top. */
void sw_plot_vline(const struct sw_plot *p, double v, const char *cls, const char *label);

/* #rrggbb between @lo and @hi (#rrggbb) at @t in [0, 1]. */
void sw_color_mix(char out[8], const char *lo, const char *hi, double t);

#endif
