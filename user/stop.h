/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The decoded stop record: the one type every source produces (pins and
 * the live store, vmcore, the persistent trace instance, console logs,
 * dumps) and every sink consumes (text, JSON, state ingest, live events).
 *
 *     source --decode--> struct sw_stop --> sinks
 *
 * Data flows one way. A source fills only what it knows; everything else
 * keeps the "unknown" default that sw_stop_new() gives it. The BPF wire
 * layout (struct sw_stop_record, bpf/stopwatch.h) is decoded in exactly one
 * place, sw_stop_from_wire() in stop.c.
 *
 * A time is exact, only bounded (at or before "by", at or after "after",
 * or both: a window), or unknown: struct sw_time says which, and no sink
 * prints a bound or an unknown as if it were measured.
 *
 * Adding a per-CPU fact (for a new source, e.g. a dump's registers):
 *   1. add the field to struct sw_stop_cpu with a zero value that means
 *      "unknown / not from this source" (sw_stop_new() zeroes everything);
 *   2. fill it in your source, after sw_stop_new()/sw_stop_from_wire();
 *   3. print it in stop_json.c (cpu_json: null or absent when unknown) and,
 *      when set, in stop_text.c (cpu_facts); name it in docs/schema.md;
 *   4. if it makes a CPU worth listing on its own, add it to
 *      sw_stop_cpu_has_facts();
 *   5. a unit test that decodes, sets and prints it (tests/unit/test_stop.c).
 * State keys (sw_stop_key) deliberately ignore per-CPU facts other than
 * rung, time and irqs: a record read again with more facts is the same stop.
 */
#ifndef STOPWATCH_STOP_H
#define STOPWATCH_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"

/* CPU sets of any host Linux builds for (arm64 and x86 NR_CPUS allow 8192). */
#define SW_CPUS_MAX		8192
#define SW_CPUSET_WORDS		(SW_CPUS_MAX / 64)

struct sw_cpuset {
	__u64 w[SW_CPUSET_WORDS];
};

void sw_cpuset_clear(struct sw_cpuset *s);
void sw_cpuset_set(struct sw_cpuset *s, unsigned int cpu);
void sw_cpuset_clr(struct sw_cpuset *s, unsigned int cpu);
bool sw_cpuset_test(const struct sw_cpuset *s, unsigned int cpu);
bool sw_cpuset_empty(const struct sw_cpuset *s);
unsigned int sw_cpuset_count(const struct sw_cpuset *s);
/* Highest CPU in the set, -1 when empty. */
int sw_cpuset_last(const struct sw_cpuset *s);
void sw_cpuset_or(struct sw_cpuset *dst, const struct sw_cpuset *src);
void sw_cpuset_andnot(struct sw_cpuset *dst, const struct sw_cpuset *src);
/* From/to a mask of @words 64-bit words (a wire mask). */
void sw_cpuset_from_words(struct sw_cpuset *s, const __u64 *words, unsigned int nwords);
/* "0-3,6" like the kernel's %*pbl; its length or -ENOSPC (buf then holds a prefix). */
int sw_cpuset_format(const struct sw_cpuset *s, char *buf, size_t len);
/* Parse a cpulist ("1-3,5", ending at NUL or newline); 0 or -EINVAL (set cleared). */
int sw_cpuset_parse(const char *list, struct sw_cpuset *s);
/* Bytes a formatted set can need at most (every other CPU of 8192). */
#define SW_CPUSET_TEXT_MAX	(SW_CPUS_MAX / 2 * 5 + 1)

/* ---- times ---- */

/*
 * A time in ns on the source's clock (bpf_ktime_get_ns, or the printk clock
 * of a log). after <= t <= by where the flag says the bound is known; both
 * known and equal: exact. Neither: unknown (the zero value).
 */
struct sw_time {
	__u64 after, by;
	bool has_after, has_by;
};

static inline struct sw_time sw_time_exact(__u64 ns)
{
	return (struct sw_time){ .after = ns, .by = ns, .has_after = true, .has_by = true };
}

static inline struct sw_time sw_time_by(__u64 ns)
{
	return (struct sw_time){ .by = ns, .has_by = true };
}

static inline struct sw_time sw_time_after(__u64 ns)
{
	return (struct sw_time){ .after = ns, .has_after = true };
}

static inline bool sw_time_known(const struct sw_time *t)
{
	return t->has_after && t->has_by && t->after == t->by;
}

static inline bool sw_time_unknown(const struct sw_time *t)
{
	return !t->has_after && !t->has_by;
}

/* A window [after, by]: collapses to exact when the two meet. */
struct sw_time sw_time_window(__u64 after, __u64 by);
bool sw_time_equal(const struct sw_time *a, const struct sw_time *b);

/* ---- per-CPU facts ---- */

/*
 * A CPU's rung: enum sw_rung (SW_RUNG_NONE = no stop handler known to have
 * run), or SW_RUNG_UNKNOWN: the CPU stopped, by which rung is unknown (an
 * x86 log's NMI retry names no CPUs).
 */
#define SW_RUNG_UNKNOWN		255

/* Registers of the CPU in a dump (issue 11: libkdumpfile, ELF notes). */
enum sw_regs_state {
	SW_REGS_UNKNOWN = 0,	/* not from a dump (or the source has no registers) */
	SW_REGS_MISSING,	/* a dump, but it holds no registers for this CPU */
	SW_REGS_KNOWN,		/* pc, sp and irqs below */
};

struct sw_cpu_regs {
	__u8 state;		/* enum sw_regs_state */
	__u8 irqs;		/* enum sw_irqs, from the saved PSTATE/EFLAGS */
	__u64 pc, sp;
};

/* How a CPU stopped by SDEI ended (issue 12: the series' shapes). */
enum sw_sdei_end {
	SW_SDEI_END_UNKNOWN = 0,	/* not SDEI-stopped, or the source cannot tell */
	SW_SDEI_END_PARKED_UNCOMPLETED,	/* parked inside the never-completed event (v3, v4) */
	SW_SDEI_END_COMPLETED_PARKED,	/* event completed into the park landing pad */
	SW_SDEI_END_POWERED_OFF,	/* parked, then powered off (PSCI CPU_OFF) */
	SW_SDEI_END_COUNT,
};

/* Whether a kdump capture kernel can bring the CPU online again (issue 12). */
enum sw_reonline {
	SW_REONLINE_UNKNOWN = 0,
	SW_REONLINE_NO,		/* e.g. parked in an uncompleted event: "already on" */
	SW_REONLINE_YES,
};

struct sw_stop_cpu {
	__u8 rung;		/* enum sw_rung or SW_RUNG_UNKNOWN */
	__u8 irqs;		/* enum sw_irqs: the interrupted context, as the handler saw it */
	__u8 sdei_end;		/* enum sw_sdei_end */
	__u8 reonline;		/* enum sw_reonline: can a capture kernel online it again */
	struct sw_time at;	/* its stop handler ran */
	struct sw_cpu_regs regs;
};

/* ---- the record ---- */

enum sw_source {
	SW_SRC_BPF = 0,		/* pinned or live BPF record store */
	SW_SRC_VMCORE,		/* ELF core: /proc/vmcore or QMP dump-guest-memory */
	SW_SRC_TRACE,		/* persistent trace instance */
	SW_SRC_LOG,		/* console / dmesg / pstore / journal text */
};

#define SW_HOST_MAX		256	/* bytes of a host name, with its NUL */

struct sw_record_meta {
	enum sw_source source;
	char boot_id[37];	/* text UUID, "" when unknown */
	char host[SW_HOST_MAX];	/* "" when unknown; any bytes but NUL (sinks escape) */
	/* wall clock of t == 0 in ns, to print absolute times; 0 = unknown */
	__s64 mono_to_real_ns;
	/* times are exact BPF timestamps (false: printk resolution, from text) */
	bool exact;
};

/* One rung the initiator fired (IPI, NMI, SDEI at index rung - 1). */
struct sw_stop_rung {
	bool fired;		/* false: not fired (or not known to have fired) */
	struct sw_time t;	/* when; may be unknown although it fired */
	bool targets_known;	/* false: targets is meaningless (JSON null) */
	struct sw_cpuset targets;
};

struct sw_v1_stop_record;	/* legacy_v1.h */

struct sw_stop {
	struct sw_record_meta meta;
	__u64 seq;		/* per store or per boot of a log; 0 = none */
	__u32 kind;		/* enum sw_kind */
	__u32 state;		/* enum sw_rec_state */
	__u32 initiator;
	struct sw_time start;	/* entry of the stop function */
	struct sw_time end;	/* its return; unknown = never returned or not seen */
	struct sw_stop_rung rung[SW_FIRE_RUNGS];
	bool online_known;
	struct sw_cpuset online;	/* CPUs online at the start */
	bool failed_known;	/* a source that lists CPUs left running (a log) */
	struct sw_cpuset failed;
	unsigned int nr_cpus;	/* entries in cpu[]: the host's CPU count */
	struct sw_stop_cpu *cpu;
	/*
	 * Logs only, during the emit callback: the record as release 1 built
	 * it, whose bytes were its state key then (state.c, sw_state_key_v1).
	 */
	const struct sw_v1_stop_record *legacy_v1;
};

/* Allocate a record of @nr_cpus (1..SW_CPUS_MAX) CPUs, everything unknown. */
struct sw_stop *sw_stop_new(unsigned int nr_cpus);
void sw_stop_free(struct sw_stop *s);
/* Grow or shrink cpu[] (new CPUs unknown); 0 or -ENOMEM/-EINVAL. */
int sw_stop_resize(struct sw_stop *s, unsigned int nr_cpus);
int sw_stop_copy(struct sw_stop *dst, const struct sw_stop *src);

/*
 * THE decoder of the BPF wire record (bpf/stopwatch.h), with the metadata of
 * its store. A torn or forged record (counts past its arrays, unknown enum
 * values) decodes to what can be trusted; returns a new record or NULL (ENOMEM).
 */
struct sw_stop *sw_stop_from_wire(const struct sw_record_meta *m,
				  const struct sw_stop_record *w);

/* ---- derived facts ---- */

enum sw_outcome {
	SW_OUT_CLEAN = 0,	/* every target stopped by the first rung */
	SW_OUT_ESCALATED,	/* a later rung was needed, and every CPU stopped */
	SW_OUT_FAILED,		/* some CPU was never stopped */
	SW_OUT_INCOMPLETE,	/* still running when read: no verdict yet */
	SW_OUT_NOOP,		/* nothing to stop (single CPU, or a repeat call) */
};

enum sw_outcome sw_stop_outcome(const struct sw_stop *s);
/* CPUs the stop had to stop (online at start, less the initiator); false if unknown. */
bool sw_stop_expected(const struct sw_stop *s, struct sw_cpuset *out);
/* Expected CPUs that never stopped; false if unknown (nothing expected known). */
bool sw_stop_never_stopped(const struct sw_stop *s, struct sw_cpuset *out);
/* Highest rung that fired (SW_RUNG_NONE if none). */
unsigned int sw_stop_top_rung(const struct sw_stop *s);
/* A CPU's entry says something (a rung, registers, an SDEI end). */
bool sw_stop_cpu_has_facts(const struct sw_stop_cpu *c);

/* Names, the same in every output. */
const char *sw_rung_name(unsigned int rung);	/* "ipi" ... "none", "unknown" */
const char *sw_kind_name(unsigned int kind);	/* "stop", "panic", "crash", "self" */
const char *sw_source_name(enum sw_source src);
const char *sw_outcome_name(enum sw_outcome out);
const char *sw_irqs_name(unsigned int irqs);
const char *sw_sdei_end_name(unsigned int end);	/* NULL when unknown */
/* Parse a rung name back; -1 when unknown. */
int sw_rung_parse(const char *name);

#endif
