// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What-if arithmetic over histograms (whatif.h) and its JSON and text. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "record.h"
#include "whatif.h"

/* Integer ns values a slot holds: [*lo, *last]; the open last slot ends at the max seen. */
static void slot_values(const struct sw_hist *h, int slot, double *lo, double *last)
{
	__u64 l, hi;

	sw_hist_bounds(true, slot, &l, &hi);
	if (hi == UINT64_MAX)
		hi = h->max_ns >= l ? h->max_ns + 1 : l + 1;
	*lo = l;
	*last = hi - 1;
}

__u64 sw_wi_samples(const struct sw_wi_dist *d)
{
	__u64 n = d->censored;

	for (int i = 0; i < SW_HIST_SLOTS; i++)
		n += d->h.slots[i];
	return n;
}

struct sw_wi_value sw_wi_later(const struct sw_wi_dist *d, double wait_ns)
{
	struct sw_wi_value v = {};
	__u64 total = sw_wi_samples(d);
	double w = floor(wait_ns);

	if (!total)
		return v;
	v.known = true;
	v.est = v.lo = v.hi = d->censored;
	for (int i = 0; i < SW_HIST_SLOTS; i++) {
		double n = d->h.slots[i], lo, last;

		if (!n)
			continue;
		slot_values(&d->h, i, &lo, &last);
		if (lo > w) {
			v.est += n;
			v.lo += n;
			v.hi += n;
		} else if (last > w) {
			/* straddles the wait: some of its samples are later, or none, or all but one */
			v.est += n * (last - w) / (last - lo + 1);
			v.hi += n;
		}
	}
	v.est /= total;
	v.lo /= total;
	v.hi /= total;
	return v;
}

/* A stop whose slowest ack is @l under a wait @w: 0, or it escalates and takes w + next ack. */
static double delta_of(double l, double w, double next_ack)
{
	return l > w ? w + next_ack - l : 0;
}

struct sw_wi_value sw_wi_stop_delta(const struct sw_wi_dist *stops, double wait_ns,
				    double esc_ns, double next_ack_ns)
{
	struct sw_wi_value v = {};
	__u64 total = sw_wi_samples(stops);
	double w = floor(wait_ns);

	if (!total)
		return v;
	v.known = true;
	v.est = v.lo = v.hi = stops->censored * (wait_ns - esc_ns);
	for (int i = 0; i < SW_HIST_SLOTS; i++) {
		double n = stops->h.slots[i], lo, last, cand[4], mn, mx, a;
		int nc = 2;

		if (!n)
			continue;
		slot_values(&stops->h, i, &lo, &last);
		/* the estimate: the samples spread evenly; those later than w escalate */
		a = lo > w + 1 ? lo : w + 1;
		if (a <= last)
			v.est += n * (last - a + 1) / (last - lo + 1) *
				 delta_of((a + last) / 2, wait_ns, next_ack_ns);
		/* the bounds: delta_of is piecewise linear in l, so its extremes are at these */
		cand[0] = lo;
		cand[1] = last;
		if (lo <= w && w < last) {
			cand[nc++] = w;
			cand[nc++] = w + 1;
		}
		mn = mx = delta_of(cand[0], wait_ns, next_ack_ns);
		for (int c = 1; c < nc; c++) {
			double d = delta_of(cand[c], wait_ns, next_ack_ns);

			mn = d < mn ? d : mn;
			mx = d > mx ? d : mx;
		}
		v.lo += n * mn;
		v.hi += n * mx;
	}
	v.est /= total;
	v.lo /= total;
	v.hi /= total;
	return v;
}

static int parse_wait(const char *s, size_t len, double *us)
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "", 1 },
	};
	char buf[64], *end;
	double v;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (errno || end == buf || !isfinite(v))
		return -EINVAL;
	for (unsigned int i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].suffix)) {
			*us = v * units[i].scale;
			return 0;
		}
	return -EINVAL;
}

int sw_wi_parse_waits(const char *list, double *waits_us, int max, int *n)
{
	const char *p = list;

	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (*n == max || parse_wait(p, len, &waits_us[*n]) || waits_us[*n] <= 0 ||
		    (*n && waits_us[*n] <= waits_us[*n - 1]))
			return -EINVAL;
		(*n)++;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int sw_wi_default_waits(double *waits_us, int max)
{
	static const double steps[] = { 1, 2, 5 };
	int n = 0;

	for (double decade = 100; decade <= SW_WAIT_IPI_US && n < max; decade *= 10)
		for (int i = 0; i < 3 && n < max; i++)
			if (decade * steps[i] <= SW_WAIT_IPI_US)
				waits_us[n++] = decade * steps[i];
	return n;
}

const char *sw_wi_kernel_wait(double wait_us)
{
	if (wait_us == SW_WAIT_IPI_US)
		return "ipi";
	if (wait_us == SW_WAIT_NMI_US)
		return "nmi";
	if (wait_us == SW_WAIT_SDEI_US)
		return "sdei";
	return NULL;
}

void sw_wi_rung_dist(const struct sw_wi_input *in, int rung_idx, struct sw_wi_dist *d)
{
	d->h = in->t.ack[rung_idx];
	d->censored = in->t.rung_acks[rung_idx].cpus_not_acked;
	/* live: how fast a CPU takes an IPI now (rung 1), or SDEI event 0 (rung 3) */
	if (in->have_live && rung_idx == SW_RUNG_IPI - 1)
		sw_hist_merge(&d->h, &in->live_ipi);
	if (in->have_live && rung_idx == SW_RUNG_SDEI - 1)
		sw_hist_merge(&d->h, &in->live_sdei);
}

void sw_wi_stop_dist(const struct sw_wi_input *in, struct sw_wi_dist *d)
{
	d->h = in->t.rung_acks[0].stop_last_ack;
	d->censored = in->t.rung_acks[0].stops_not_acked;
}

/* Mean of histograms [from, to): -1 when empty. */
static double mean_ns(const struct sw_hist *h, int from, int to)
{
	__u64 n = 0, sum = 0;

	for (int i = from; i < to; i++) {
		n += h[i].count;
		sum += h[i].sum_ns;
	}
	return n ? (double)sum / n : -1;
}

void sw_wi_compute(const struct sw_wi_input *in, const double *waits_us, int n,
		   struct sw_wi_table *out)
{
	struct sw_wi_dist rungs[SW_FIRE_RUNGS], stops;
	bool recs = in->t.ack[0].count || in->t.rung_acks[0].cpus_not_acked;
	double next;

	memset(out, 0, sizeof(*out));
	for (int r = 0; r < SW_FIRE_RUNGS; r++) {
		sw_wi_rung_dist(in, r, &rungs[r]);
		out->rung_samples[r] = sw_wi_samples(&rungs[r]);
		out->tail_us[r][0] = sw_hist_quantile(true, &rungs[r].h, 0.99) / 1e3;
		out->tail_us[r][1] = sw_hist_quantile(true, &rungs[r].h, 0.999) / 1e3;
		out->tail_us[r][2] = rungs[r].h.max_ns / 1e3;
	}
	sw_wi_stop_dist(in, &stops);
	out->cpu_samples = out->rung_samples[0];
	out->stop_samples = sw_wi_samples(&stops);
	out->source = recs && in->have_live ? "records+live" : recs ? "records" : "live";
	/*
	 * An escalated stop waited the kernel's 1 s, not the escalation delay
	 * recorded: that includes the kernel's own overrun (udelay under
	 * emulation runs seconds long), which a shorter wait would overrun
	 * in proportion. So at W = 1 s nothing changes, as it should.
	 */
	next = mean_ns(in->t.ack, 1, SW_FIRE_RUNGS);
	out->esc_us = SW_WAIT_IPI_US;
	out->next_ack_us = next < 0 ? -1 : next / 1e3;
	for (int i = 0; i < n && i < SW_WHATIF_MAX_WAITS; i++) {
		struct sw_wi_row *row = &out->rows[out->n++];
		double w = waits_us[i] * 1e3;

		row->wait_us = waits_us[i];
		row->kernel = sw_wi_kernel_wait(waits_us[i]);
		row->cpus = sw_wi_later(&rungs[0], w);
		row->stops = sw_wi_later(&stops, w);
		row->delta_us = sw_wi_stop_delta(&stops, w, out->esc_us * 1e3, next < 0 ? 0 : next);
		row->delta_us.est /= 1e3;
		row->delta_us.lo /= 1e3;
		row->delta_us.hi /= 1e3;
		for (int r = 0; r < SW_FIRE_RUNGS; r++)
			row->rung[r] = sw_wi_later(&rungs[r], w);
	}
}

/* @name: the estimate, @interval: [lo, hi]; both null when unknown. */
static void json_value(sw_json *o, const char *name, const char *interval,
		       const struct sw_wi_value *v, int decimals)
{
	sw_json *range;

	if (!v->known) {
		sw_json_set_null(o, name);
		sw_json_set_null(o, interval);
		return;
	}
	sw_json_set(o, name, sw_json_fixed(v->est, decimals));
	range = sw_json_arr();
	sw_json_push(range, sw_json_fixed(v->lo, decimals));
	sw_json_push(range, sw_json_fixed(v->hi, decimals));
	sw_json_set(o, interval, range);
}

void sw_wi_print_json(FILE *f, const struct sw_wi_table *t)
{
	sw_json *o = sw_json_obj(), *x = sw_json_obj(), *waits = sw_json_arr();

	sw_json_set_str(o, "schema", "stopwatch.whatif/1");
	sw_json_set_str(o, "source", t->source);
	sw_json_set_u64(o, "samples", t->cpu_samples);
	sw_json_set_u64(o, "stop_samples", t->stop_samples);
	sw_json_set(x, "escalated_stop_waited_us", sw_json_fixed(t->esc_us, 3));
	sw_json_set(x, "next_rung_ack_us", t->next_ack_us < 0 ? NULL : sw_json_fixed(t->next_ack_us, 3));
	sw_json_set(o, "assumed", x);
	x = sw_json_obj();
	for (int g = 0; g < SW_FIRE_RUNGS; g++) {
		sw_json *tail = NULL;

		if (t->tail_us[g][2] > 0) {
			tail = sw_json_obj();
			sw_json_set(tail, "p99", sw_json_fixed(t->tail_us[g][0], 3));
			sw_json_set(tail, "p999", sw_json_fixed(t->tail_us[g][1], 3));
			sw_json_set(tail, "max", sw_json_fixed(t->tail_us[g][2], 3));
		}
		sw_json_set(x, sw_rung_name(g + 1), tail);
	}
	sw_json_set(o, "tails_us", x);
	for (int i = 0; i < t->n; i++) {
		const struct sw_wi_row *r = &t->rows[i];
		sw_json *w = sw_json_obj(), *rungs = sw_json_obj();

		sw_json_set(w, "wait_us", sw_json_fixed(r->wait_us, 3));
		sw_json_set(w, "kernel", r->kernel ? sw_json_str(r->kernel) : NULL);
		json_value(w, "cpus_escalated_fraction", "cpus_escalated_interval", &r->cpus, 6);
		json_value(w, "stops_escalated_fraction", "stops_escalated_interval", &r->stops, 6);
		json_value(w, "stop_time_delta_us", "stop_time_delta_interval_us", &r->delta_us, 3);
		for (int g = 0; g < SW_FIRE_RUNGS; g++) {
			sw_json *rg = sw_json_obj();

			sw_json_set_u64(rg, "samples", t->rung_samples[g]);
			json_value(rg, "cpus_escalated_fraction", "cpus_escalated_interval", &r->rung[g], 6);
			sw_json_set(rungs, sw_rung_name(g + 1), rg);
		}
		sw_json_set(w, "rungs", rungs);
		sw_json_push(waits, w);
	}
	sw_json_set(o, "waits", waits);
	sw_json_print(f, o);
}

/* "12.5% [10.0%, 15.0%]", or "-" without samples; exact answers print once. */
static void text_fraction(char *buf, size_t len, const struct sw_wi_value *v)
{
	if (!v->known)
		snprintf(buf, len, "-");
	else if (v->lo == v->hi)
		snprintf(buf, len, "%.2f%%", v->est * 100);
	else
		snprintf(buf, len, "%.2f%% [%.2f, %.2f]", v->est * 100, v->lo * 100, v->hi * 100);
}

static void text_time(char *buf, size_t len, double us)
{
	double a = fabs(us);

	if (a >= 1e6)
		snprintf(buf, len, "%+.3f s", us / 1e6);
	else if (a >= 1e3)
		snprintf(buf, len, "%+.1f ms", us / 1e3);
	else
		snprintf(buf, len, "%+.1f us", us);
}

void sw_wi_print_text(FILE *f, const struct sw_wi_table *t)
{
	char wait[32], cpus[48], stops[48], d[32], dlo[32], dhi[32];

	fprintf(f, "what if the stop IPI waited W instead of 1 s (source: %s; %llu CPU samples, "
		   "%llu stops)\n", t->source, (unsigned long long)t->cpu_samples,
		(unsigned long long)t->stop_samples);
	fprintf(f, "%10s %-6s %-30s %-30s %s\n", "W", "KERNEL", "CPUS LATER THAN W [bounds]",
		"STOPS ESCALATED [bounds]", "STOP TIME (mean) [bounds]");
	for (int i = 0; i < t->n; i++) {
		const struct sw_wi_row *r = &t->rows[i];

		text_time(wait, sizeof(wait), r->wait_us);
		text_fraction(cpus, sizeof(cpus), &r->cpus);
		text_fraction(stops, sizeof(stops), &r->stops);
		if (r->delta_us.known) {
			text_time(d, sizeof(d), r->delta_us.est);
			text_time(dlo, sizeof(dlo), r->delta_us.lo);
			text_time(dhi, sizeof(dhi), r->delta_us.hi);
		}
		fprintf(f, "%10s %-6s %-30s %-30s", wait + 1, r->kernel ? r->kernel : "", cpus, stops);
		if (r->delta_us.known)
			fprintf(f, " %s [%s, %s]\n", d, dlo, dhi);
		else
			fprintf(f, " -\n");
	}
	for (int g = 0; g < SW_FIRE_RUNGS; g++)
		if (t->tail_us[g][2] > 0)
			fprintf(f, "%s acks: p99 %.1f us, p99.9 %.1f us, max %.1f us (the kernel waits %.0f ms)\n",
				sw_rung_name(g + 1), t->tail_us[g][0], t->tail_us[g][1], t->tail_us[g][2],
				(g == 0 ? SW_WAIT_IPI_US : g == 1 ? SW_WAIT_NMI_US : SW_WAIT_SDEI_US) / 1e3);
	fprintf(f, "bounds: what the histogram buckets allow; a CPU or stop that never took the IPI "
		   "counts as later than every W.\n");
	fprintf(f, "stop time: against the kernel's %.0f ms wait; an escalating stop then waits for the "
		   "next rung, ", t->esc_us / 1e3);
	if (t->next_ack_us >= 0)
		fprintf(f, "whose ack took %.1f us (mean, recorded).\n", t->next_ack_us);
	else
		fprintf(f, "whose ack time is unknown (taken as 0).\n");
}
