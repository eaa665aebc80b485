/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Load, attach, pin and read back the BPF side. Shared by every command. */
#ifndef STOPWATCH_LOADER_H
#define STOPWATCH_LOADER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "env.h"
#include "points.h"
#include "hist.h"

struct stopwatch_bpf;

/* Most event rings: their 4 MiB budget over the smallest ring (4 pages of 4 KiB). */
#define SW_MAX_RINGS		256
#define SW_RING_BUDGET		(4u << 20)	/* live: drained every 100 ms */
#define SW_RING_BUDGET_ARMED	(256u << 10)	/* arm: nobody drains the pinned rings */
struct bpf_link;

struct sw_loaded {
	struct stopwatch_bpf *skel;
	struct sw_kernel kernel;
	struct sw_plan plan;
	struct bpf_link *links[SW_MAX_POINTS];
	struct sw_store_hdr *store;	/* mmap of the sw_store map (layout: stopwatch.h) */
	size_t store_size;
	int nr_cpus;			/* possible CPUs: per-CPU maps hold this many */
	int size_cpus;			/* CPUs the BPF side is sized for (>= nr_cpus) */
	int attached;
	int core_btf_fd;		/* memfd with the CO-RE subset of kernel BTF, or -1 */
	int nr_rings;			/* event rings created, fds in ring_fds[] */
	__u32 ring_size;		/* data bytes of each */
	int ring_fds[SW_MAX_RINGS];
	int events_fd;			/* the "events" array of rings, made before load */
	pthread_t rings_filler;		/* puts the rings in it meanwhile (loader.c) */
	bool rings_filling;
	int rings_err;
};

/* Exit codes, documented in the README. */
enum sw_exit {
	SW_EXIT_OK = 0,
	SW_EXIT_FAIL = 1,
	SW_EXIT_USAGE = 2,
	SW_EXIT_PERM = 3,	/* not root / no CAP_BPF+CAP_PERFMON */
	SW_EXIT_KERNEL = 4,	/* no BTF, no BPF, nothing attachable */
	SW_EXIT_STALE = 5,	/* pins from another stopwatch build */
	SW_EXIT_DATA = 6,	/* corrupt or foreign input file */
};

/*
 * How many event rings (CPU c writes ring c % rings) of how many data bytes
 * for @nr_cpus possible CPUs and pages of @page bytes, within @budget bytes
 * in all: see loader.c for why.
 */
void sw_event_rings(int nr_cpus, long page, __u32 budget, int *rings, __u32 *size);

/*
 * CPUs to size the BPF side for: the possible CPUs @possible, or
 * STOPWATCH_SIZE_CPUS when it is larger (tests and bench/ check a big
 * host's sizing on a small one); at most SW_MAX_CPUS.
 */
int sw_size_cpus(int possible);

/* Check privileges; prints the one-line error. */
int sw_check_privileges(void);
/* Open, plan for @groups, load and attach. Returns an sw_exit code. */
int sw_load(struct sw_loaded *L, const struct env *env, unsigned int groups);
void sw_unload(struct sw_loaded *L);
/* Hash of the BPF object this binary carries: another build, another id. */
__u64 sw_build_id(void);

/* Verify every program alone; prints a line each; returns how many failed. */
int sw_verify_programs(FILE *out, int *verified, int *skipped);

/* Pins under env->pin_dir. */
int sw_pin(struct sw_loaded *L, const struct env *env);
int sw_unpin(const struct env *env, bool quiet);
/*
 * Open the pinned store; checks layout and build, and decodes it into
 * *@store (malloc'd; free it, and close *@fd when >= 0). Returns sw_exit code.
 */
int sw_open_pinned_store(const struct env *env, int *fd, struct sw_store **store, char *err, int len);
/* Whether the store's @len bytes at @h are a store this build wrote. */
int sw_store_check(const void *h, size_t len, char *err, int len_err);

/*
 * Fill the header of the mapped store @h of @size bytes for @nr_cpus CPUs:
 * identity, clocks, online CPUs, page frames.
 */
int sw_store_init(struct sw_store_hdr *h, size_t size, int nr_cpus, char *err, int len);
/* Refresh the online mask user space keeps for the BPF side. */
void sw_store_refresh_online(struct sw_store_hdr *h);
int sw_read_boot_id(__u8 id[16], char *text, int len);
/* Text UUID (dashes optional) to binary; -EINVAL unless 32 hex digits. */
int sw_boot_id_parse(const char *text, __u8 id[16]);

/* Read the per-CPU histograms: @total[key] summed, @percpu[cpu*KEYS+key] if non-NULL. */
int sw_read_hists(int fd, int nr_cpus, struct sw_hist *total, struct sw_hist *percpu);
/*
 * Read the per-CPU counters: @out summed, @percpu[cpu*SW_COUNTERS+idx] if
 * non-NULL, with the BPF-only slots folded in.
 */
int sw_read_counters(int fd, int nr_cpus, __u64 out[SW_COUNTERS], __u64 *percpu);

#endif
