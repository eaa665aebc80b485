// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The worst case of live mode's textfile (-C off) for the series budget:
 * every IPI kind (and on arm64 every SDEI reason) timed, every counter
 * non-zero, written by live's own textfile writer. The metrics stack test
 * counts it in Prometheus beside the worst cumulative textfile (mkcore
 * worst): no BPF needed, so every machine counts both arches' worst case.
 *
 *   mklive PATH x86_64|arm64
 */
#include <stdio.h>
#include <string.h>
#include "live.h"

/* @n observations of @ns in @h, in the log-linear slots (live -L, as the state) */
static void observe(struct sw_hist *h, __u64 ns, __u64 n)
{
	h->slots[sw_hist_slot(true, ns)] += n;
	h->count += n;
	h->sum_ns += ns * n;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

int main(int argc, char **argv)
{
	struct sw_live_maps m = { .nr_cpus = 4, .loglinear = true, .sample_every = 1 };
	static struct sw_live_snapshot s = { .nr_cpus = 4 };
	bool sdei;
	int err;

	if (argc != 3 || (strcmp(argv[2], "x86_64") && strcmp(argv[2], "arm64"))) {
		fprintf(stderr, "usage: mklive PATH x86_64|arm64\n");
		return 2;
	}
	/* x86 has no SDEI: its SDEI stream never sees an event */
	sdei = !strcmp(argv[2], "arm64");
	for (int k = 0; k < SW_IPI_KINDS; k++)
		observe(&s.total[SW_STREAM_IPI * SW_HIST_KINDS + k], 2000 + 1000 * k, 3);
	for (int k = 0; sdei && k < SW_SDEI_KINDS; k++)
		observe(&s.total[SW_STREAM_SDEI * SW_HIST_KINDS + k], 40000 + 1000 * k, 2);
	for (int c = 0; c < SW_COUNTERS; c++)
		s.counters[c] = c + 1;
	err = sw_write_textfile(argv[1], &m, &s, false);
	if (err) {
		fprintf(stderr, "mklive: failed to write %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}
