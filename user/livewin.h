/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A window of live tracing for whatif and report: N seconds of the live
 * streams in log-linear ns buckets, the totals and, per second and CPU,
 * the IPI delivery latencies (report's heat map).
 */
#ifndef STOPWATCH_LIVEWIN_H
#define STOPWATCH_LIVEWIN_H

#include "hist.h"

struct sw_live_window {
	int seconds;
	int nr_cpus;
	struct sw_hist total[SW_HIST_KEYS];	/* key: stream * SW_HIST_KINDS + kind */
	struct sw_hist *ipi_cpu_sec;		/* [sec * nr_cpus + cpu], every IPI kind */
};

/* Load the live probes, trace @seconds, unload. Returns an sw_exit code (error said). */
int sw_live_window_run(struct sw_live_window *w, int seconds);
void sw_live_window_free(struct sw_live_window *w);
/* Every IPI kind, or every SDEI reason, of the whole window. */
void sw_live_window_stream(const struct sw_live_window *w, int stream, struct sw_hist *out);

#endif
