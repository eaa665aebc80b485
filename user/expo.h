/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The metrics exposition: one model of what stopwatch exports (families with
 * a name, type, unit, help, and samples with labels, values and export
 * buckets), rendered as the Prometheus text format 0.0.4 (textfiles for
 * node_exporter, HTTP by default) or as OpenMetrics 1.0 (HTTP when the
 * scraper asks for it). live and stats fill a model; only the renderer knows
 * a format. docs/metrics.md lists every family.
 *
 * Hand-written: Debian 12 packages no C Prometheus client library
 * (prometheus-client-c is not in Debian), and the two formats differ in a
 * handful of lines.
 */
#ifndef STOPWATCH_EXPO_H
#define STOPWATCH_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "hist.h"

enum sw_expo_format { SW_EXPO_PROMETHEUS = 0, SW_EXPO_OPENMETRICS };
enum sw_metric_type { SW_METRIC_COUNTER = 0, SW_METRIC_HISTOGRAM, SW_METRIC_GAUGE };

#define SW_EXPO_MAX_BUCKETS	32
#define SW_EXPO_LABELS		128	/* one sample's rendered labels */

#define SW_CT_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"
#define SW_CT_OPENMETRICS	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/*
 * Export buckets of a histogram: upper bounds (le) in ns, ascending, +Inf
 * implied. The bounds are powers of two nanoseconds, so every log-linear
 * slot of the fine data lies wholly at or below a bound or wholly above it;
 * a slot is counted under a bound only when its largest value fits (see
 * sw_expo_hist).
 */
struct sw_expo_buckets {
	unsigned int n;
	__u64 le_ns[SW_EXPO_MAX_BUCKETS];
};
/* IPI and SDEI delivery latency: 1.02 us .. 1.07 s, factor 4 (11 bounds) */
extern const struct sw_expo_buckets sw_buckets_delivery;
/* ack latency (rung fired to a CPU's stop handler): 1.02 us .. 17.2 s, factor 4 (13) */
extern const struct sw_expo_buckets sw_buckets_ack;
/* escalation delay (a rung's fire after the one before): 1.05 ms .. 17.2 s, factor 4 (8) */
extern const struct sw_expo_buckets sw_buckets_escalation;

struct sw_metric_desc {
	const char *name;	/* family name; a counter's samples add _total */
	enum sw_metric_type type;
	const char *unit;	/* NULL, or the name's last word ("seconds") */
	const char *help;
	const struct sw_expo_buckets *buckets;	/* histograms */
};

struct sw_expo_sample {
	char labels[SW_EXPO_LABELS];	/* 'k="v",k2="v2"' or "" */
	__u64 value;			/* counter */
	__u64 *cum;			/* histogram: cumulative per bound, then +Inf */
	double sum;			/* histogram: in the unit (seconds) */
};

struct sw_expo_family {
	const struct sw_metric_desc *desc;
	struct sw_expo_sample *s;
	size_t n, cap;
};

struct sw_expo {
	struct sw_expo_family *f;
	size_t n, cap;
	int err;		/* first error (-ENOMEM, -ENAMETOOLONG), sticky */
};

void sw_expo_init(struct sw_expo *e);
void sw_expo_free(struct sw_expo *e);
/* Start a family (NULL after an error; the add functions take NULL and do nothing). */
struct sw_expo_family *sw_expo_family(struct sw_expo *e, const struct sw_metric_desc *d);
/*
 * Build a label set: NULL-terminated name, value pairs, values escaped
 * (backslash, double quote, newline). Returns 0 or -ENAMETOOLONG.
 */
int sw_expo_labels(char *buf, size_t len, ...);
void sw_expo_counter(struct sw_expo *e, struct sw_expo_family *f, const char *labels, __u64 v);
/* A gauge's sample: the same as a counter's, rendered without _total. */
#define sw_expo_gauge sw_expo_counter
/*
 * A histogram sample from fine data (log2 us or log-linear ns slots): slot
 * [lo, hi) holds the integer ns values lo .. hi-1, and is counted under
 * bound le only if hi - 1 <= le. The +Inf bucket and _count are every slot,
 * _sum is sum_ns in seconds.
 */
void sw_expo_hist(struct sw_expo *e, struct sw_expo_family *f, const char *labels,
		  bool loglinear, const struct sw_hist *h);

/* Render every family that has samples. */
void sw_expo_render(FILE *out, const struct sw_expo *e, enum sw_expo_format fmt);
/* Time series the rendering holds: a counter 1, a histogram its bounds + 3. */
size_t sw_expo_series(const struct sw_expo *e);

/*
 * Pick the format for an HTTP Accept header (NULL: none): OpenMetrics when
 * the scraper prefers application/openmetrics-text (version 1.0.0, 0.0.1 or
 * none) over text/plain, else the Prometheus text format, also for unknown
 * types. Sets *content_type to the matching Content-Type.
 */
enum sw_expo_format sw_expo_negotiate(const char *accept, const char **content_type);

#endif
