/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Release 1's stop record (bpf/stopwatch.h at layout 1), frozen. Release 1
 * keyed a log record in the state by a hash of these bytes, so a state it
 * wrote holds such keys: to count nothing twice, logscan still builds each
 * log record in this form (legacy_v1 of struct sw_stop) and state.c hashes
 * it as release 1 did (sw_state_key_v1). Nothing else may use it; it must
 * not change when the BPF wire layout does.
 */
#ifndef STOPWATCH_LEGACY_V1_H
#define STOPWATCH_LEGACY_V1_H

#include <linux/types.h>

#define SW_V1_MAX_CPUS		256
#define SW_V1_MASK_WORDS	(SW_V1_MAX_CPUS / 64)
#define SW_V1_FIRE_RUNGS	3

struct sw_v1_cpu_stop {
	__u64 t_handler;
	__u32 rung;
	__u32 irqs;
};

struct sw_v1_stop_record {
	__u64 seq;
	__u32 kind;
	__u32 initiator;
	__u32 state;
	__u32 nr_cpus;
	__u64 t_start;
	__u64 t_end;
	__u64 t_fire[SW_V1_FIRE_RUNGS];
	__u64 target[SW_V1_FIRE_RUNGS][SW_V1_MASK_WORDS];
	__u64 online[SW_V1_MASK_WORDS];
	struct sw_v1_cpu_stop cpu[SW_V1_MAX_CPUS];
};

/* 4288 bytes in release 1: the size its keys hashed. */
_Static_assert(sizeof(struct sw_v1_stop_record) == 4288, "release 1's record layout");

#endif
