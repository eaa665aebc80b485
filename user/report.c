// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTML report: one self-contained file (inline SVG and CSS, no script,
 * nothing loaded) for pasting into a postmortem. Every text that comes
 * from data (host, paths, record fields) goes through sw_html_escape.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include "record.h"
#include "report.h"
#include "svg.h"

#define PLOT_W		860
#define X_MIN_US	1.0
#define X_MAX_US	1e7	/* 10 s: past the IPI rung's 1 s */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
	"#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

static const char style[] =
	"body{font-family:sans-serif;margin:2em;color:#222;max-width:1000px}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #bbb;padding:2px 8px;text-align:right}"
	"th{background:#eee}td.l,th.l{text-align:left}"
	".meta{color:#555}.note{color:#555;font-size:.9em}"
	"svg{display:block;margin:.5em 0}"
	"svg text{font-family:sans-serif}"
	".grid{stroke:#ddd;stroke-width:1}.frame{fill:none;stroke:#444}"
	".tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}"
	".wait{stroke:#000;stroke-width:1.5;stroke-dasharray:6 4}"
	".wait-label{font-size:11px;fill:#000}"
	".series{fill:none;stroke-width:2}"
	"ul.legend{list-style:none;padding:0;columns:2}"
	".sw{margin-right:.4em}"
	"tr.kernel td{font-weight:bold}";

struct series {
	char name[64];
	const struct sw_hist *h;
	__u64 censored;
};

/* The kernel's waits as vertical lines. */
static void kernel_waits(const struct sw_plot *p)
{
	sw_plot_vline(p, SW_WAIT_NMI_US, "wait", "NMI 10 ms");
	sw_plot_vline(p, SW_WAIT_SDEI_US, "wait", "SDEI 100 ms");
	sw_plot_vline(p, SW_WAIT_IPI_US, "wait", "IPI 1 s");
}

/* CDF of one histogram, linear inside each bucket; censored samples keep it below 1. */
static void cdf_line(const struct sw_plot *p, const struct series *s, const char *color)
{
	double xs[2 * SW_HIST_SLOTS + 2], ys[2 * SW_HIST_SLOTS + 2], total = s->censored, cum = 0;
	int n = 0;

	for (int i = 0; i < SW_HIST_SLOTS; i++)
		total += s->h->slots[i];
	if (!total)
		return;
	xs[n] = p->x0;
	ys[n++] = sw_plot_y(p, 0);
	for (int i = 0; i < SW_HIST_SLOTS; i++) {
		__u64 lo, hi;

		if (!s->h->slots[i])
			continue;
		sw_hist_bounds(true, i, &lo, &hi);
		if (hi == UINT64_MAX)
			hi = s->h->max_ns > lo ? s->h->max_ns : lo + 1;
		xs[n] = sw_plot_x(p, lo / 1e3);
		ys[n++] = sw_plot_y(p, cum / total);
		cum += s->h->slots[i];
		xs[n] = sw_plot_x(p, hi / 1e3);
		ys[n++] = sw_plot_y(p, cum / total);
	}
	xs[n] = p->x0 + p->w;
	ys[n] = ys[n - 1];
	n++;
	sw_svg_polyline(p->f, xs, ys, n, color);
}

static int collect_series(const struct sw_wi_data *d, struct series *out)
{
	int n = 0;

	for (int k = 0; d->in.have_live && k < SW_HIST_KINDS; k++) {
		const struct sw_hist *h = &d->live.total[SW_STREAM_IPI * SW_HIST_KINDS + k];

		if (!h->count)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "live: IPI %s delivery", sw_ipi_kind_name(k));
		out[n].h = h;
		out[n++].censored = 0;
	}
	for (int k = 0; d->in.have_live && k < SW_SDEI_KINDS; k++) {
		const struct sw_hist *h = &d->live.total[SW_STREAM_SDEI * SW_HIST_KINDS + k];

		if (!h->count)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "live: SDEI %s delivery",
			 sw_sdei_kind_name(k));
		out[n].h = h;
		out[n++].censored = 0;
	}
	for (int r = 0; r < SW_FIRE_RUNGS; r++) {
		if (!d->in.t.ack[r].count && !d->in.t.rung_acks[r].cpus_not_acked)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "records: %s rung ack (CPUs it did not stop: "
			 "%llu)", sw_rung_name(r + 1),
			 (unsigned long long)d->in.t.rung_acks[r].cpus_not_acked);
		out[n].h = &d->in.t.ack[r];
		out[n++].censored = d->in.t.rung_acks[r].cpus_not_acked;
	}
	return n;
}

static void legend(FILE *f, const struct series *s, int n)
{
	fputs("<ul class=\"legend\">\n", f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "<li><span class=\"sw\" style=\"color:%s\">&#9632;&#9632;</span>",
			palette[i % NPALETTE]);
		sw_html_escape(f, s[i].name);
		fprintf(f, " (%llu)</li>\n", (unsigned long long)s[i].h->count);
	}
	fputs("</ul>\n", f);
}

static void section_cdf(FILE *f, const struct sw_wi_data *d)
{
	struct series s[SW_HIST_KEYS + SW_FIRE_RUNGS];
	struct sw_plot p = { f, 70, 10, PLOT_W - 90, 300, X_MIN_US, X_MAX_US, 0, 1 };
	int n = collect_series(d, s);

	fputs("<h2>Delivery and ack latency</h2>\n", f);
	if (!n) {
		fputs("<p class=\"note\">No latency samples: no live window and no exact records.</p>\n", f);
		return;
	}
	sw_svg_open(f, PLOT_W, 360, "Cumulative distribution of IPI and SDEI delivery latency and "
		    "of each rung's ack latency, log time axis, with the kernel's waits");
	sw_plot_axes(&p, "latency (log scale)", "fraction of samples at or below", 5, "%.1f");
	kernel_waits(&p);
	for (int i = 0; i < n; i++)
		cdf_line(&p, &s[i], palette[i % NPALETTE]);
	sw_svg_close(f);
	legend(f, s, n);
	fputs("<p class=\"note\">Cumulative fraction, linear within each log-linear bucket (a quarter "
	      "of its lower bound wide). A rung's ack curve counts the CPUs it was sent to and did "
	      "not stop, so it stays below 1 by their share. Dashed: the kernel's waits before the "
	      "next rung.</p>\n", f);
}

static void section_escalation(FILE *f, const struct sw_wi_data *d)
{
	struct sw_plot p = { f, 70, 10, PLOT_W - 90, 200, X_MIN_US, X_MAX_US, 0, 1 };
	__u64 max = 0;

	fputs("<h2>Escalation delay</h2>\n", f);
	for (int r = 1; r < SW_FIRE_RUNGS; r++)
		for (int i = 0; i < SW_HIST_SLOTS; i++)
			max = d->in.t.escalation[r].slots[i] > max ? d->in.t.escalation[r].slots[i] : max;
	if (!max) {
		fputs("<p class=\"note\">No stop recorded an escalation.</p>\n", f);
		return;
	}
	p.ymax = max;
	sw_svg_open(f, PLOT_W, 260, "Histogram of the escalation delay, a rung's fire after the "
		    "rung before it, log time axis");
	sw_plot_axes(&p, "delay after the rung before (log scale)", "stops", max < 5 ? (int)max : 5,
		     "%.0f");
	kernel_waits(&p);
	for (int r = 1; r < SW_FIRE_RUNGS; r++)
		for (int i = 0; i < SW_HIST_SLOTS; i++) {
			__u64 n = d->in.t.escalation[r].slots[i], lo, hi;
			char tip[96];
			double x0, x1;

			if (!n)
				continue;
			sw_hist_bounds(true, i, &lo, &hi);
			if (hi == UINT64_MAX)
				hi = lo * 2;
			x0 = sw_plot_x(&p, lo / 1e3);
			x1 = sw_plot_x(&p, hi / 1e3);
			snprintf(tip, sizeof(tip), "to %s: %llu stops, %.1f to %.1f ms", sw_rung_name(r + 1),
				 (unsigned long long)n, lo / 1e6, hi / 1e6);
			sw_svg_rect(f, x0, sw_plot_y(&p, n), x1 - x0 > 2 ? x1 - x0 : 2,
				    sw_plot_y(&p, 0) - sw_plot_y(&p, n), palette[r], tip);
		}
	sw_svg_close(f);
	fprintf(f, "<ul class=\"legend\"><li><span class=\"sw\" style=\"color:%s\">&#9632;&#9632;</span>to the "
		   "NMI rung (%llu)</li><li><span class=\"sw\" style=\"color:%s\">&#9632;&#9632;</span>to the "
		   "SDEI rung (%llu)</li></ul>\n", palette[1],
		(unsigned long long)d->in.t.escalation[1].count, palette[2],
		(unsigned long long)d->in.t.escalation[2].count);
}

/* p99 of a cell: white (1 us) to dark red (1 s and beyond), log scale; grey when empty. */
static void heat_color(char out[8], const struct sw_hist *h)
{
	if (!h->count) {
		snprintf(out, 8, "#eeeeee");
		return;
	}
	sw_color_mix(out, "#fff5eb", "#7f0000", log10(sw_hist_quantile(true, h, 0.99) / 1e3) / 6);
}

/*
 * At most this many columns and rows: a long window or a big machine gets
 * cells of several seconds or CPUs, so the file stays a few hundred KB.
 */
#define HEAT_MAX_COLS	120
#define HEAT_MAX_ROWS	64

/* The merged deliveries of seconds [s0, s1) and CPUs [c0, c1). */
static void heat_cell(const struct sw_live_window *w, int s0, int s1, int c0, int c1,
		      struct sw_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (int s = s0; s < s1; s++)
		for (int c = c0; c < c1; c++)
			sw_hist_merge(out, &w->ipi_cpu_sec[s * w->nr_cpus + c]);
}

static void heat_legend(FILE *f)
{
	fputs("<p class=\"note\">Each cell: the p99 of the IPI deliveries taken there, every IPI "
	      "kind; grey: none.", f);
	for (int e = 0; e <= 6; e += 2) {
		struct sw_hist one = { .count = 1, .max_ns = (__u64)(pow(10, e) * 1e3) };
		char color[8];

		one.slots[sw_hist_slot(true, one.max_ns)] = 1;
		heat_color(color, &one);
		fprintf(f, " <span class=\"sw\" style=\"color:%s\">&#9632;&#9632;</span>%s", color,
			e == 0 ? "1 us" : e == 2 ? "100 us" : e == 4 ? "10 ms" : "1 s");
	}
	fputs("</p>\n", f);
}

static void section_heatmap(FILE *f, const struct sw_wi_data *d)
{
	const struct sw_live_window *w = &d->live;
	double x0 = 70, y0 = 10, pw = PLOT_W - 90, rowh, colw;
	int secs, cpus, rows, cols, h;
	struct sw_hist cell;

	fputs("<h2>IPI delivery latency per CPU over the live window</h2>\n", f);
	if (!d->in.have_live) {
		fputs("<p class=\"note\">No live window: run with --live-seconds N.</p>\n", f);
		return;
	}
	secs = (w->seconds + HEAT_MAX_COLS - 1) / HEAT_MAX_COLS;	/* per column */
	cpus = (w->nr_cpus + HEAT_MAX_ROWS - 1) / HEAT_MAX_ROWS;	/* per row */
	cols = (w->seconds + secs - 1) / secs;
	rows = (w->nr_cpus + cpus - 1) / cpus;
	rowh = rows <= 32 ? 18 : 576.0 / rows;
	colw = pw / cols;
	h = (int)(rowh * rows) + 60;
	sw_svg_open(f, PLOT_W, h, "Heat map: p99 IPI delivery latency per CPU and second");
	for (int x = 0; x < cols; x++)
		for (int y = 0; y < rows; y++) {
			int s0 = x * secs, s1 = s0 + secs < w->seconds ? s0 + secs : w->seconds;
			int c0 = y * cpus, c1 = c0 + cpus < w->nr_cpus ? c0 + cpus : w->nr_cpus;
			char color[8], tip[160];

			heat_cell(w, s0, s1, c0, c1, &cell);
			heat_color(color, &cell);
			snprintf(tip, sizeof(tip), "CPU %d%s%.0d, second %d%s%.0d: %llu IPIs, p99 %.1f us",
				 c0, c1 - c0 > 1 ? "-" : "", c1 - c0 > 1 ? c1 - 1 : 0, s0 + 1,
				 s1 - s0 > 1 ? "-" : "", s1 - s0 > 1 ? s1 : 0,
				 (unsigned long long)cell.count, sw_hist_quantile(true, &cell, 0.99) / 1e3);
			sw_svg_rect(f, x0 + x * colw, y0 + y * rowh, colw, rowh, color, tip);
		}
	for (int y = 0; y < rows; y += rows <= 32 ? 1 : rows / 16)
		sw_svg_text(f, x0 - 6, y0 + y * rowh + rowh * 0.7, "end", "tick", "CPU %d", y * cpus);
	for (int x = 0; x < cols; x += cols <= 20 ? 1 : cols / 10)
		sw_svg_text(f, x0 + (x + 0.5) * colw, y0 + rows * rowh + 14, "middle", "tick", "%d s",
			    x * secs + 1);
	sw_svg_text(f, x0 + pw / 2, y0 + rows * rowh + 32, "middle", "axis",
		    "second of the live window");
	sw_svg_close(f);
	heat_legend(f);
}

static void td_value(FILE *f, const struct sw_wi_value *v, double scale, const char *unit)
{
	if (!v->known) {
		fputs("<td>-</td>", f);
		return;
	}
	fprintf(f, "<td>%.2f%s", v->est * scale, unit);
	if (v->lo != v->hi)
		fprintf(f, " [%.2f, %.2f]", v->lo * scale, v->hi * scale);
	fputs("</td>", f);
}

static void section_whatif(FILE *f, const struct sw_wi_table *t)
{
	fputs("<h2>What if the stop IPI waited W instead of 1 s</h2>\n", f);
	fprintf(f, "<p class=\"meta\">Source: %s; %llu CPU samples, %llu stops.</p>\n", t->source,
		(unsigned long long)t->cpu_samples, (unsigned long long)t->stop_samples);
	fputs("<table>\n<tr><th>W</th><th class=\"l\">kernel's</th><th>CPUs later than W, %</th>"
	      "<th>stops escalated, %</th><th>stop time, ms (mean)</th></tr>\n", f);
	for (int i = 0; i < t->n; i++) {
		const struct sw_wi_row *r = &t->rows[i];

		fprintf(f, "<tr%s><td>%g ms</td><td class=\"l\">%s</td>", r->kernel ? " class=\"kernel\"" : "",
			r->wait_us / 1e3, r->kernel ? r->kernel : "");
		td_value(f, &r->cpus, 100, "");
		td_value(f, &r->stops, 100, "");
		td_value(f, &r->delta_us, 1e-3, "");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p class=\"note\">[bounds]: what the histogram buckets allow. A CPU or stop "
	      "that never took the IPI counts as later than every W. Stop time: negative is saved; "
	      "a stop that would escalate waits W, then the next rung's mean recorded ack", f);
	if (t->next_ack_us >= 0)
		fprintf(f, " (%.1f us)", t->next_ack_us);
	else
		fputs(" (unknown: taken as 0)", f);
	fputs(".</p>\n", f);
}

static void stops_counts(FILE *f, const struct sw_wi_data *d)
{
	const struct sw_state_totals *t = &d->in.t;

	fputs("<table>\n<tr><th class=\"l\">kind</th>", f);
	for (int o = 0; o < SW_OUTCOMES; o++)
		fprintf(f, "<th>%s</th>", sw_outcome_name(o));
	fputs("</tr>\n", f);
	for (int k = 0; k < SW_KIND_COUNT; k++) {
		fprintf(f, "<tr><td class=\"l\">%s</td>", sw_kind_name(k));
		for (int o = 0; o < SW_OUTCOMES; o++)
			fprintf(f, "<td>%llu</td>", (unsigned long long)t->stops[k][o]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p>CPUs stopped by", f);
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++)
		fprintf(f, " %s: %llu;", sw_rung_name(r), (unsigned long long)t->cpus_stopped[r]);
	fprintf(f, " never stopped: %llu.</p>\n", (unsigned long long)t->cpus_never_stopped);
}

/* One row per record read from --records: which rung stopped which CPUs. */
static void stops_records(FILE *f, const struct sw_wi_data *d)
{
	char list[SW_CPUSET_TEXT_MAX];

	fputs("<table>\n<tr><th>#</th><th class=\"l\">source</th><th class=\"l\">boot</th>"
	      "<th class=\"l\">kind</th><th class=\"l\">outcome</th>", f);
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++)
		fprintf(f, "<th class=\"l\">stopped by %s</th>", sw_rung_name(r));
	fputs("<th class=\"l\">never stopped</th></tr>\n", f);
	for (size_t i = 0; i < d->nrecs; i++) {
		const struct sw_stop *r = d->recs[i].s;
		struct sw_cpuset set;

		fprintf(f, "<tr><td>%zu</td><td class=\"l\">%s</td><td class=\"l\">", i + 1,
			sw_source_name(r->meta.source));
		sw_html_escape(f, r->meta.boot_id[0] ? r->meta.boot_id : "unknown");
		fprintf(f, "</td><td class=\"l\">%s</td><td class=\"l\">%s</td>", sw_kind_name(r->kind),
			sw_outcome_name(sw_stop_outcome(r)));
		for (unsigned int rung = SW_RUNG_IPI; rung < SW_RUNG_COUNT; rung++) {
			sw_cpuset_clear(&set);
			for (unsigned int c = 0; c < r->nr_cpus; c++)
				if (r->cpu[c].rung == rung)
					sw_cpuset_set(&set, c);
			sw_cpuset_format(&set, list, sizeof(list));
			fputs("<td class=\"l\">", f);
			sw_html_escape(f, list);
			fputs("</td>", f);
		}
		if (sw_stop_never_stopped(r, &set))
			sw_cpuset_format(&set, list, sizeof(list));
		else
			snprintf(list, sizeof(list), "unknown");
		fputs("<td class=\"l\">", f);
		sw_html_escape(f, list);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void section_stops(FILE *f, const struct sw_wi_data *d)
{
	fputs("<h2>Stops recorded</h2>\n", f);
	stops_counts(f, d);
	if (d->nrecs)
		stops_records(f, d);
	else
		fputs("<p class=\"note\">Per-stop rows come from --records files (the state directory "
		      "keeps counts, not records).</p>\n", f);
}

static void header(FILE *f, const struct sw_wi_data *d)
{
	struct utsname u;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	uname(&u);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	sw_html_printf(f, "stopwatch report: %s", u.nodename);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
	sw_html_printf(f, "stopwatch report: %s", u.nodename);
	fputs("</h1>\n<p class=\"meta\">", f);
	sw_html_printf(f, "%s, kernel %s %s. Sources:", when, u.release, u.machine);
	if (d->state_dir[0])
		sw_html_printf(f, " state %s (%llu records);", d->state_dir,
			       (unsigned long long)d->state_records);
	if (d->nrecs)
		sw_html_printf(f, " %zu records from --records;", d->nrecs);
	if (d->in.have_live)
		sw_html_printf(f, " %d s of live tracing on this host;", d->live.seconds);
	fputs("</p>\n", f);
}

void sw_report_write(FILE *f, const struct sw_wi_data *d, const struct sw_wi_table *t)
{
	header(f, d);
	section_cdf(f, d);
	section_escalation(f, d);
	section_heatmap(f, d);
	section_whatif(f, t);
	section_stops(f, d);
	fputs("</body>\n</html>\n", f);
}
