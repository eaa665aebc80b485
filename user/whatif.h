/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What-if: replay the stop ladder's waits against recorded ack latencies
 * and live IPI/SDEI delivery latencies. Pure arithmetic on histograms, so
 * the unit tests give it synthetic data with known answers.
 *
 * A latency is known to its bucket only, so a fraction "later than W" is
 * exact when no bucket straddles W, and otherwise lies between the count
 * of buckets wholly above W and the count of those reaching above W: the
 * interval [lo, hi] each answer carries. The point estimate spreads a
 * straddling bucket's samples evenly over it.
 */
#ifndef STOPWATCH_WHATIF_H
#define STOPWATCH_WHATIF_H

#include <stdbool.h>
#include <stdio.h>
#include "hist.h"
#include "state.h"

/* The kernel's own waits before the next rung (later series shape for SDEI). */
#define SW_WAIT_IPI_US	1000000.0
#define SW_WAIT_NMI_US	10000.0
#define SW_WAIT_SDEI_US	100000.0
#define SW_WHATIF_MAX_WAITS 64

/*
 * Latencies in log-linear ns buckets, and samples known only to be later
 * than the kernel's wait (a CPU a rung never stopped): later than any
 * candidate wait, taken to be so for longer waits too (a CPU that ignored
 * the stop IPI for a second spins with interrupts masked).
 */
struct sw_wi_dist {
	struct sw_hist h;
	__u64 censored;
};

/* A value and its bucket-resolution bounds; !known when there were no samples. */
struct sw_wi_value {
	bool known;
	double est, lo, hi;
};

__u64 sw_wi_samples(const struct sw_wi_dist *d);
/* Fraction of @d's samples later than @wait_ns. */
struct sw_wi_value sw_wi_later(const struct sw_wi_dist *d, double wait_ns);
/*
 * Mean change, in ns, of a stop's time if its first rung waited @wait_ns:
 * @stops holds each stop's slowest ack of the rung (censored: stops where
 * some CPU never took it, so escalated after @esc_ns, the mean wait the
 * kernel really had); @next_ack_ns is the next rung's mean ack latency.
 * A stop whose slowest ack L is later than the wait now escalates: it
 * takes wait + next ack instead of L. An escalated stop takes wait + next
 * ack instead of esc + next ack. Negative: time saved.
 */
struct sw_wi_value sw_wi_stop_delta(const struct sw_wi_dist *stops, double wait_ns,
				    double esc_ns, double next_ack_ns);

/* Parse "100us,1ms,0.5s" (bare numbers are us); -EINVAL unless positive and increasing. */
int sw_wi_parse_waits(const char *list, double *waits_us, int max, int *n);
/* The default series: 1-2-5 steps from 100 us to 1 s (the kernel's waits are on it). */
int sw_wi_default_waits(double *waits_us, int max);
/* "ipi", "nmi", "sdei" when @wait_us is one of the kernel's waits, else NULL. */
const char *sw_wi_kernel_wait(double wait_us);

/* Everything whatif and report read. */
struct sw_wi_input {
	struct sw_state_totals t;	/* records: state dir and --records files */
	__u64 exact_records;		/* records with exact (BPF) times among them */
	bool have_live;
	double live_seconds;
	struct sw_hist live_ipi;	/* every IPI kind, log-linear ns */
	struct sw_hist live_sdei;	/* SDEI event-0 deliveries, every reason */
};

struct sw_wi_row {
	double wait_us;
	const char *kernel;		/* "ipi" | "nmi" | "sdei" | NULL */
	struct sw_wi_value cpus;	/* fraction of first-rung CPUs later than the wait */
	struct sw_wi_value stops;	/* fraction of stops that would escalate */
	struct sw_wi_value delta_us;	/* mean stop time added (negative: saved) */
	struct sw_wi_value rung[SW_FIRE_RUNGS];	/* each rung's CPUs later than the wait */
};

struct sw_wi_table {
	int n;
	struct sw_wi_row rows[SW_WHATIF_MAX_WAITS];
	__u64 cpu_samples, stop_samples;	/* first rung (IPI) */
	__u64 rung_samples[SW_FIRE_RUNGS];
	/* how close each rung's acks come to the kernel's waits: p99, p99.9, max in us (acked only) */
	double tail_us[SW_FIRE_RUNGS][3];
	double esc_us, next_ack_us;		/* what the stop deltas assumed; next <0: unknown */
	const char *source;			/* "records", "live", "records+live" */
};

/* The distributions each rung's answer comes from. */
void sw_wi_rung_dist(const struct sw_wi_input *in, int rung_idx, struct sw_wi_dist *d);
void sw_wi_stop_dist(const struct sw_wi_input *in, struct sw_wi_dist *d);
void sw_wi_compute(const struct sw_wi_input *in, const double *waits_us, int n,
		   struct sw_wi_table *out);

void sw_wi_print_json(FILE *f, const struct sw_wi_table *t);
void sw_wi_print_text(FILE *f, const struct sw_wi_table *t);

#endif
