/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Live streams: snapshots of the histogram and counter maps, and their output. */
#ifndef STOPWATCH_LIVE_H
#define STOPWATCH_LIVE_H

#include <stdbool.h>
#include <stdio.h>
#include "env.h"
#include "expo.h"
#include "hist.h"

struct sw_live_maps {
	int hists_fd;
	int counters_fd;
	int nr_cpus;
	bool loglinear;
	unsigned int sample_every;	/* 1 in N IPI sends timed (1: all) */
};

struct sw_live_snapshot {
	struct sw_hist total[SW_HIST_KEYS];
	struct sw_hist *percpu;		/* [cpu * SW_HIST_KEYS + key], NULL without -C */
	__u64 counters[SW_COUNTERS];
	__u64 *percpu_counters;		/* [cpu * SW_COUNTERS + idx], NULL without -C */
	int nr_cpus;
};

struct sw_live_snapshot *sw_live_snapshot_new(int nr_cpus, bool per_cpu);
void sw_live_snapshot_free(struct sw_live_snapshot *s);
int sw_live_read(const struct sw_live_maps *m, struct sw_live_snapshot *s);
/* d = a - b */
void sw_live_delta(struct sw_live_snapshot *d, const struct sw_live_snapshot *a,
		   const struct sw_live_snapshot *b);
const char *sw_counter_name(unsigned int idx);

/*
 * Print one interval in env->format. @shown is what to print (a delta or
 * the totals), @cumulative the totals since start (OpenMetrics is always
 * cumulative); either may be the same snapshot. @st, if set, adds the
 * stop-store counters.
 */
struct sw_store;
void sw_live_print(FILE *f, const struct env *e, const struct sw_live_maps *m,
		   const struct sw_live_snapshot *shown, const struct sw_live_snapshot *cumulative,
		   const struct sw_store *st);
/* Add the live families (histograms, counters) of the totals @cum to @e. */
void sw_live_expo(struct sw_expo *e, const struct sw_live_maps *m,
		  const struct sw_live_snapshot *cum, bool per_cpu);
/* Print them in @fmt; 0 or -ENOMEM. */
int sw_live_print_metrics(FILE *f, const struct sw_live_maps *m,
			  const struct sw_live_snapshot *cum, bool per_cpu, enum sw_expo_format fmt);
/* Write the Prometheus text exposition to @path atomically (temp file, fsync, rename). */
int sw_write_textfile(const char *path, const struct sw_live_maps *m,
		      const struct sw_live_snapshot *cum, bool per_cpu);

#endif
