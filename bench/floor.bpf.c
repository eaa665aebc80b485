// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The accounting floor of the per-event benchmark: programs that do nothing,
 * as raw tracepoints (stopwatch's form) on the same tracepoints. With
 * kernel.bpf_stats_enabled the kernel times every run with two sched_clock()
 * reads around the call; these programs' figure is that cost alone, measured
 * in the same run as the tools so that both see the same machine.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FLOOR(tp) SEC("raw_tp/" #tp) int floor_##tp(void *ctx) { return 0; }

FLOOR(ipi_send_cpu)
FLOOR(ipi_send_cpumask)
FLOOR(reschedule_entry)
FLOOR(call_function_entry)
FLOOR(call_function_single_entry)
FLOOR(sched_wake_idle_without_ipi)
