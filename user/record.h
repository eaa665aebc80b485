/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Helpers of the BPF wire layout (bpf/stopwatch.h): its fixed-size CPU
 * masks (the trace instance's lines carry them) and the names of the live
 * streams' kinds. The stop record itself, decoded, is struct sw_stop
 * (stop.h); stores are walked in store.h.
 */
#ifndef STOPWATCH_RECORD_H
#define STOPWATCH_RECORD_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"
#include "stop.h"
#include "store.h"

const char *sw_ipi_kind_name(unsigned int kind);
const char *sw_sdei_kind_name(unsigned int kind);

/* Mask helpers (to print one, sw_cpuset_from_words and sw_cpuset_format). */
void sw_mask_set(__u64 *mask, unsigned int cpu);
bool sw_mask_test(const __u64 *mask, unsigned int cpu);
/* A cpulist ("1-3,5", as sw_cpuset_parse) of CPUs below @nbits; 0 or -EINVAL. */
int sw_mask_parse(const char *list, __u64 *mask, unsigned int nbits);

#endif
