/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Histogram math and printing for struct sw_hist (bpf/stopwatch.h). */
#ifndef STOPWATCH_HIST_H
#define STOPWATCH_HIST_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"

/* Bounds of a slot in ns: [*lo, *hi). The last slot is open-ended (hi = UINT64_MAX). */
void sw_hist_bounds(bool loglinear, unsigned int slot, __u64 *lo, __u64 *hi);
/* The slot the BPF side puts @ns in (same arithmetic, for tests and logs). */
unsigned int sw_hist_slot(bool loglinear, __u64 ns);
/* a += b */
void sw_hist_merge(struct sw_hist *a, const struct sw_hist *b);
/* d = a - b (for per-interval output of cumulative maps) */
void sw_hist_sub(struct sw_hist *d, const struct sw_hist *a, const struct sw_hist *b);
/* Quantile q in [0,1], in ns, interpolated inside its bucket; 0 when empty. */
double sw_hist_quantile(bool loglinear, const struct sw_hist *h, double q);

/* libbpf-tools style text: "usecs : count distribution" with stars. */
void sw_hist_print_text(FILE *f, bool loglinear, const struct sw_hist *h, const char *title);
/* One line: "count N  avg .. us  p50 .. us  p99 .. us  max .. us". */
void sw_hist_print_summary(FILE *f, bool loglinear, const struct sw_hist *h);
/* {"count":..,"sum_ns":..,"max_ns":..,"p50_us":..,"p99_us":..,"buckets":[[le_us,count],...]} */
/* The histogram as a JSON object (json.h): count, sums, quantiles, buckets. */
struct json_object;
struct json_object *sw_hist_json(bool loglinear, const struct sw_hist *h);

#endif
