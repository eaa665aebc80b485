// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "svg.h"

void sw_html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
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

static void vescape(FILE *f, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return;
	sw_html_escape(f, s);
	free(s);
}

void sw_html_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vescape(f, fmt, ap);
	va_end(ap);
}

void sw_svg_open(FILE *f, int width, int height, const char *label)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
		   "height=\"%d\" role=\"img\" aria-label=\"", width, height, width, height);
	sw_html_escape(f, label);
	fputs("\">\n", f);
}

void sw_svg_close(FILE *f)
{
	fputs("</svg>\n", f);
}

void sw_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *cls)
{
	fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cls, x1,
		y1, x2, y2);
}

void sw_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
		 const char *tip)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"", x, y,
		w, h, fill);
	if (!tip) {
		fputs("/>\n", f);
		return;
	}
	fputs("><title>", f);
	sw_html_escape(f, tip);
	fputs("</title></rect>\n", f);
}

void sw_svg_text(FILE *f, double x, double y, const char *anchor, const char *cls,
		 const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cls, x, y, anchor);
	va_start(ap, fmt);
	vescape(f, fmt, ap);
	va_end(ap);
	fputs("</text>\n", f);
}

void sw_svg_polyline(FILE *f, const double *x, const double *y, int n, const char *color)
{
	fprintf(f, "<polyline class=\"series\" stroke=\"%s\" points=\"", color);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", x[i], y[i]);
	fputs("\"/>\n", f);
}

double sw_plot_x(const struct sw_plot *p, double v)
{
	double lo = log10(p->xmin), hi = log10(p->xmax), t;

	t = v > 0 ? (log10(v) - lo) / (hi - lo) : 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return p->x0 + t * p->w;
}

double sw_plot_y(const struct sw_plot *p, double v)
{
	double t = (v - p->ymin) / (p->ymax - p->ymin);

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return p->y0 + p->h - t * p->h;
}

/* "1 us" ... "100 ms", "1 s", "10 s" for a power of ten of microseconds */
static void time_label(char *buf, size_t len, double us)
{
	if (us >= 1e6)
		snprintf(buf, len, "%g s", us / 1e6);
	else if (us >= 1e3)
		snprintf(buf, len, "%g ms", us / 1e3);
	else
		snprintf(buf, len, "%g us", us);
}

void sw_plot_axes(const struct sw_plot *p, const char *xlabel, const char *ylabel, int yticks,
		  const char *yfmt)
{
	char label[32];

	for (double us = pow(10, ceil(log10(p->xmin) - 1e-9)); us <= p->xmax * (1 + 1e-9); us *= 10) {
		double x = sw_plot_x(p, us);

		sw_svg_line(p->f, x, p->y0, x, p->y0 + p->h, "grid");
		time_label(label, sizeof(label), us);
		sw_svg_text(p->f, x, p->y0 + p->h + 14, "middle", "tick", "%s", label);
	}
	for (int i = 0; i <= yticks; i++) {
		double v = p->ymin + (p->ymax - p->ymin) * i / yticks, y = sw_plot_y(p, v);

		sw_svg_line(p->f, p->x0, y, p->x0 + p->w, y, "grid");
		snprintf(label, sizeof(label), yfmt, v);
		sw_svg_text(p->f, p->x0 - 6, y + 4, "end", "tick", "%s", label);
	}
	fprintf(p->f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		p->x0, p->y0, p->w, p->h);
	sw_svg_text(p->f, p->x0 + p->w / 2, p->y0 + p->h + 32, "middle", "axis", "%s", xlabel);
	fprintf(p->f, "<text class=\"axis\" transform=\"translate(%.1f,%.1f) rotate(-90)\" "
		      "text-anchor=\"middle\">", p->x0 - 44, p->y0 + p->h / 2);
	sw_html_escape(p->f, ylabel);
	fputs("</text>\n", p->f);
}

void sw_plot_vline(const struct sw_plot *p, double v, const char *cls, const char *label)
{
	double x = sw_plot_x(p, v);

	sw_svg_line(p->f, x, p->y0, x, p->y0 + p->h, cls);
	sw_svg_text(p->f, x - 3, p->y0 + 12, "end", "wait-label", "%s", label);
}

static int hex_at(const char *s, int i)
{
	char b[3] = { s[1 + 2 * i], s[2 + 2 * i], 0 };

	return (int)strtol(b, NULL, 16);
}

void sw_color_mix(char out[8], const char *lo, const char *hi, double t)
{
	int c[3];

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	for (int i = 0; i < 3; i++)
		c[i] = (int)lround(hex_at(lo, i) + t * (hex_at(hi, i) - hex_at(lo, i)));
	snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}
