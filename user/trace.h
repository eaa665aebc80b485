/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The persistent trace instance (kernel 6.12 reserve_mem= + trace_instance=):
 * `stopwatch arm` switches the BPF side's record lines (bpf/trace_lines.bpf.h)
 * on in it, `stopwatch recover --trace` reads the previous boot's buffer
 * with libtracefs/libtraceevent and rebuilds the stop records from the
 * lines. docs/trace.md has the line format and the boot parameters.
 */
#ifndef STOPWATCH_TRACE_H
#define STOPWATCH_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include "record.h"

#define SW_TRACE_DEFAULT_INSTANCE "stopwatch"

/* ---- record assembly from lines (pure: unit-tested) ---- */

struct sw_trace_asm;

struct sw_trace_asm *sw_trace_asm_new(void);
void sw_trace_asm_free(struct sw_trace_asm *a);
/*
 * Feed one event's text, in buffer order. Lines that are not stopwatch's
 * are ignored (0); a stopwatch line that cannot be parsed returns -EINVAL
 * and changes nothing; 1 when used. The "armed" line `stopwatch arm` writes
 * to the instance's trace_marker starts a new arming: later seqs belong to it.
 */
int sw_trace_asm_line(struct sw_trace_asm *a, const char *text);
/* Stop records assembled, in the order their first line came. */
int sw_trace_asm_count(const struct sw_trace_asm *a);
const struct sw_stop_record *sw_trace_asm_record(const struct sw_trace_asm *a, int i,
						 struct sw_record_meta *meta);
/* Lines used, and stopwatch lines rejected as malformed. */
void sw_trace_asm_stats(const struct sw_trace_asm *a, int *used, int *bad);

/* The marker line `stopwatch arm` writes (boot id, clocks), into @buf. */
int sw_trace_armed_line(char *buf, size_t len, const char *boot_id, __s64 mono_to_real_ns);

/* ---- the instance (libtracefs) ---- */

enum sw_trace_state {
	SW_TRACE_ABSENT = 0,	/* no such instance */
	SW_TRACE_VOLATILE,	/* exists, not in reserved memory: lost on reboot */
	SW_TRACE_PERSISTENT,	/* boot mapped (has last_boot_info) */
};

enum sw_trace_state sw_trace_instance_state(const char *name);
/* The boot parameters that create instance @name persistently. */
void sw_trace_boot_params(const char *name, char *buf, size_t len);
/*
 * Enable bpf_trace/bpf_trace_printk in instance @name, turn its tracing on
 * and write the armed line. 0, or -errno with @err set.
 */
int sw_trace_arm(const char *name, const char *armed_line, char *err, size_t errlen);

/*
 * Read every event of instance @name (consuming, like trace_pipe) and feed
 * the text of bpf_trace_printk and trace_marker events to @a. With @events,
 * also print each event as "CPU TS_NS SYSTEM:EVENT TEXT". Returns the
 * number of events read, or -errno with @err set.
 */
int sw_trace_read_instance(const char *name, struct sw_trace_asm *a, FILE *events,
			   char *err, size_t errlen);

#endif
