// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "hist.h"
#include "json.h"

#define LL_EXACT	(2u << SW_LL_SUB_BITS)	/* slots below this hold exact ns */
#define LL_SUB		(1u << SW_LL_SUB_BITS)

unsigned int sw_hist_slot(bool loglinear, __u64 ns)
{
	return sw_hist_slot_of(loglinear, ns);
}

void sw_hist_bounds(bool loglinear, unsigned int slot, __u64 *lo, __u64 *hi)
{
	if (loglinear) {
		if (slot < LL_EXACT) {
			*lo = slot;
			*hi = slot + 1;
		} else {
			unsigned int k = (slot - LL_EXACT) / LL_SUB + SW_LL_SUB_BITS + 1;
			unsigned int sub = (slot - LL_EXACT) % LL_SUB;

			*lo = (__u64)(LL_SUB + sub) << (k - SW_LL_SUB_BITS);
			*hi = *lo + (1ULL << (k - SW_LL_SUB_BITS));
		}
	} else {
		/* slot 0 is [0,1) us, slot s is [2^(s-1), 2^s) us; saturate past 2^64 ns */
		*lo = !slot ? 0 : slot - 1 < 54 ? (1ULL << (slot - 1)) * 1000 : UINT64_MAX;
		*hi = slot < 54 ? (1ULL << slot) * 1000 : UINT64_MAX;
	}
	if (slot == SW_HIST_SLOTS - 1)
		*hi = UINT64_MAX;
}

void sw_hist_merge(struct sw_hist *a, const struct sw_hist *b)
{
	for (int i = 0; i < SW_HIST_SLOTS; i++)
		a->slots[i] += b->slots[i];
	a->count += b->count;
	a->sum_ns += b->sum_ns;
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
}

void sw_hist_sub(struct sw_hist *d, const struct sw_hist *a, const struct sw_hist *b)
{
	for (int i = 0; i < SW_HIST_SLOTS; i++)
		d->slots[i] = a->slots[i] - b->slots[i];
	d->count = a->count - b->count;
	d->sum_ns = a->sum_ns - b->sum_ns;
	/*
	 * An interval's max is only known when the running max rose in it;
	 * otherwise 0 (unknown), and quantiles fall back to bucket bounds.
	 */
	d->max_ns = a->max_ns > b->max_ns ? a->max_ns : 0;
}

double sw_hist_quantile(bool loglinear, const struct sw_hist *h, double q)
{
	__u64 total = 0, seen = 0;
	double rank;

	for (int i = 0; i < SW_HIST_SLOTS; i++)
		total += h->slots[i];
	if (!total)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = q * total;
	for (int i = 0; i < SW_HIST_SLOTS; i++) {
		__u64 lo, hi;

		if (!h->slots[i])
			continue;
		if (seen + h->slots[i] >= rank) {
			double frac = (rank - seen) / h->slots[i];

			sw_hist_bounds(loglinear, i, &lo, &hi);
			if (hi == UINT64_MAX)
				hi = h->max_ns > lo ? h->max_ns : lo;
			/* never report beyond what was seen */
			double v = lo + frac * (double)(hi - lo);
			if (h->max_ns && v > h->max_ns)
				v = h->max_ns;
			return v;
		}
		seen += h->slots[i];
	}
	return h->max_ns;
}

/*
 * The layout of libbpf-tools' print_log2_hist (trace_helpers.c), which bcc
 * users read at a glance: "%*s -> %-*s : %-8llu |" then the bar, padded
 * to its width, and "|". Narrow rows: bounds 10 wide, a 40-star bar, the
 * header "usecs" after 5 spaces in 19; when a bound needs more than 10
 * characters (as libbpf-tools past slot 32): 20, 20 stars, 15 and 29.
 */
#define HIST_NARROW	10
#define HIST_WIDE	20

/* A bound in us with just enough decimals for ns-wide buckets. */
static void fmt_us(char *buf, size_t len, __u64 ns)
{
	if (ns == UINT64_MAX)
		snprintf(buf, len, "inf");
	else if (ns % 1000 == 0)
		snprintf(buf, len, "%llu", (unsigned long long)(ns / 1000));
	else
		snprintf(buf, len, "%.3f", ns / 1000.0);
}

/* Inclusive bounds of a row, as libbpf-tools prints them ("2 -> 3"). */
static void row_bounds(bool loglinear, unsigned int slot, char *lo_s, char *hi_s, size_t len)
{
	__u64 lo, hi;

	sw_hist_bounds(loglinear, slot, &lo, &hi);
	fmt_us(lo_s, len, lo);
	/* log2 slots are whole us, log-linear ones whole ns: the last value in is hi less one */
	fmt_us(hi_s, len, hi == UINT64_MAX ? hi : hi - (loglinear ? 1 : 1000));
}

void sw_hist_print_text(FILE *f, bool loglinear, const struct sw_hist *h, const char *title)
{
	int first = -1, last = -1, width = HIST_NARROW, bar;
	char lo_s[32], hi_s[32];
	__u64 max = 0;

	for (int i = 0; i < SW_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (title)
		fprintf(f, "%s\n", title);
	if (last < 0) {
		fprintf(f, "     (no events)\n");
		return;
	}
	/* libbpf-tools starts log2 output at slot 0; log-linear has 160 slots: from the first used */
	if (!loglinear)
		first = 0;
	for (int i = first; i <= last; i++) {
		row_bounds(loglinear, i, lo_s, hi_s, sizeof(lo_s));
		if (strlen(lo_s) > HIST_NARROW || strlen(hi_s) > HIST_NARROW)
			width = HIST_WIDE;
	}
	bar = width == HIST_NARROW ? 40 : 20;
	fprintf(f, "%*s%-*s : count    distribution\n", width == HIST_NARROW ? 5 : 15, "",
		width == HIST_NARROW ? 19 : 29, "usecs");
	for (int i = first; i <= last; i++) {
		int n = (int)((double)h->slots[i] * bar / max);

		row_bounds(loglinear, i, lo_s, hi_s, sizeof(lo_s));
		fprintf(f, "%*s -> %-*s : %-8llu |", width, lo_s, width, hi_s,
			(unsigned long long)h->slots[i]);
		for (int s = 0; s < bar; s++)
			fputc(s < n ? '*' : ' ', f);
		fputs("|\n", f);
	}
	fprintf(f, "     ");
	sw_hist_print_summary(f, loglinear, h);
}

void sw_hist_print_summary(FILE *f, bool loglinear, const struct sw_hist *h)
{
	fprintf(f, "count %llu  avg %.1f us  p50 %.1f us  p99 %.1f us",
		(unsigned long long)h->count,
		h->count ? h->sum_ns / 1000.0 / h->count : 0.0,
		sw_hist_quantile(loglinear, h, 0.5) / 1000.0,
		sw_hist_quantile(loglinear, h, 0.99) / 1000.0);
	if (h->max_ns)
		fprintf(f, "  max %.1f us", h->max_ns / 1000.0);
	fputc('\n', f);
}

sw_json *sw_hist_json(bool loglinear, const struct sw_hist *h)
{
	sw_json *o = sw_json_obj(), *buckets = sw_json_arr();

	sw_json_set_u64(o, "count", h->count);
	sw_json_set_u64(o, "sum_ns", h->sum_ns);
	sw_json_set_u64(o, "max_ns", h->max_ns);
	sw_json_set(o, "p50_us", sw_json_fixed(sw_hist_quantile(loglinear, h, 0.5) / 1000.0, 3));
	sw_json_set(o, "p90_us", sw_json_fixed(sw_hist_quantile(loglinear, h, 0.9) / 1000.0, 3));
	sw_json_set(o, "p99_us", sw_json_fixed(sw_hist_quantile(loglinear, h, 0.99) / 1000.0, 3));
	/* [upper bound in us (null: no bound), count] of each bucket that counted */
	for (int i = 0; i < SW_HIST_SLOTS; i++) {
		sw_json *b;
		__u64 lo, hi;

		if (!h->slots[i])
			continue;
		sw_hist_bounds(loglinear, i, &lo, &hi);
		b = sw_json_arr();
		sw_json_push(b, hi == UINT64_MAX ? NULL : sw_json_ns_as_us(hi));
		sw_json_push(b, sw_json_u64(h->slots[i]));
		sw_json_push(buckets, b);
	}
	sw_json_set(o, "buckets", buckets);
	return o;
}
