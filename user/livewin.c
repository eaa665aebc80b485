// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "env.h"
#include "live.h"
#include "livewin.h"
#include "loader.h"
#include "stopwatch.skel.h"

void sw_live_window_stream(const struct sw_live_window *w, int stream, struct sw_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (int k = 0; k < SW_HIST_KINDS; k++)
		sw_hist_merge(out, &w->total[stream * SW_HIST_KINDS + k]);
}

/* Each CPU's IPI deliveries of one second, every kind summed. */
static void keep_second(struct sw_live_window *w, int sec, const struct sw_live_snapshot *d)
{
	for (int c = 0; c < w->nr_cpus; c++) {
		struct sw_hist *out = &w->ipi_cpu_sec[sec * w->nr_cpus + c];

		for (int k = 0; k < SW_HIST_KINDS; k++)
			sw_hist_merge(out, &d->percpu[c * SW_HIST_KEYS + SW_STREAM_IPI * SW_HIST_KINDS + k]);
	}
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int sw_live_window_run(struct sw_live_window *w, int seconds)
{
	struct sw_live_snapshot *prev = NULL, *cur = NULL, *delta = NULL;
	struct sw_live_maps maps;
	struct sw_loaded L;
	int ret;

	memset(w, 0, sizeof(*w));
	if ((ret = sw_check_privileges()))
		return ret;
	/* log-linear: a bucket is at most a quarter of its lower bound wide */
	env.loglinear = true;
	ret = sw_load(&L, &env, SW_GROUP_LIVE);
	if (ret)
		goto out;
	maps.hists_fd = bpf_map__fd(L.skel->maps.hists);
	maps.counters_fd = bpf_map__fd(L.skel->maps.counters);
	maps.nr_cpus = L.nr_cpus;
	maps.loglinear = true;
	w->seconds = seconds;
	w->nr_cpus = L.nr_cpus;
	w->ipi_cpu_sec = calloc((size_t)seconds * L.nr_cpus, sizeof(struct sw_hist));
	prev = sw_live_snapshot_new(L.nr_cpus, true);
	cur = sw_live_snapshot_new(L.nr_cpus, true);
	delta = sw_live_snapshot_new(L.nr_cpus, true);
	if (!w->ipi_cpu_sec || !prev || !cur || !delta || sw_live_read(&maps, prev)) {
		fprintf(stderr, "stopwatch: failed to trace live: %s\n", strerror(errno ? errno : ENOMEM));
		ret = SW_EXIT_FAIL;
		goto out;
	}
	for (int s = 0; s < seconds; s++) {
		struct sw_live_snapshot *t;

		sleep_s(1);
		if (sw_live_read(&maps, cur)) {
			fprintf(stderr, "stopwatch: failed to read maps: %s\n", strerror(errno));
			ret = SW_EXIT_FAIL;
			goto out;
		}
		sw_live_delta(delta, cur, prev);
		keep_second(w, s, delta);
		for (int k = 0; k < SW_HIST_KEYS; k++)
			sw_hist_merge(&w->total[k], &delta->total[k]);
		t = prev;
		prev = cur;
		cur = t;
	}
	ret = SW_EXIT_OK;
out:
	sw_live_snapshot_free(prev);
	sw_live_snapshot_free(cur);
	sw_live_snapshot_free(delta);
	sw_unload(&L);
	if (ret)
		sw_live_window_free(w);
	return ret;
}

void sw_live_window_free(struct sw_live_window *w)
{
	free(w->ipi_cpu_sec);
	w->ipi_cpu_sec = NULL;
}
