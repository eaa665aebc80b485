/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Attach points and the attach plan: which form (fentry, kprobe, tp_btf,
 * tracepoint) of which point to load on this kernel. All detection lives
 * here; the kernel is seen through struct sw_kernel so the plan can be
 * tested against fake symbol tables.
 */
#ifndef STOPWATCH_POINTS_H
#define STOPWATCH_POINTS_H

#include <stdbool.h>
#include "shape.h"

enum sw_method { SW_FENTRY, SW_KPROBE, SW_FEXIT, SW_KRETPROBE, SW_TP_BTF, SW_TRACEPOINT, SW_RAW_TP };

#define SW_ARCH_X86	1u
#define SW_ARCH_ARM64	2u

#define SW_GROUP_STOP	1u	/* records stop sequences */
#define SW_GROUP_LIVE	2u	/* live latency streams */

#define SW_MAX_TARGETS	4
#define SW_MAX_VARIANTS	4

struct sw_variant {
	enum sw_method method;
	const char *prog;			/* program in stopwatch.bpf.c (PROG(), points.c) */
	const char *targets[SW_MAX_TARGETS];	/* functions, or "category/event" */
	/*
	 * Function forms whose program reads arguments: the parameters it
	 * reads, canonical as shape.h writes them ("struct pt_regs *, bool").
	 * A target whose BTF signature has other parameters is not taken:
	 * versions of the series change signatures, not only names.
	 */
	const char *params;
};

struct sw_point {
	const char *name;
	const char *what;		/* what it tells */
	unsigned int arches;
	unsigned int groups;
	unsigned int rung;		/* the rung it observes, SW_RUNG_NONE if several */
	bool series;			/* only on kernels with the SDEI NMI series */
	bool needs_pseudo_nmi;		/* only fires with irqchip.gicv3_pseudo_nmi=1 */
	const char *absent;		/* why it may be absent on a kernel */
	struct sw_variant v[SW_MAX_VARIANTS];
};

/* What the plan needs to know of a kernel. */
struct sw_kernel {
	unsigned int arch;
	bool btf;		/* vmlinux BTF available */
	bool fentry;		/* BPF trampolines (fentry/fexit) load on this kernel */
	bool kprobes;		/* CONFIG_KPROBES (the kprobe PMU exists) */
	bool pseudo_nmi;	/* arm64 pseudo-NMI enabled */
	void *ctx;
	/* function in BTF and attachable by fentry (not variadic) */
	bool (*btf_func)(void *ctx, const char *fn);
	/* tp_btf and raw_tp: vmlinux BTF has btf_trace_<event> */
	bool (*btf_tp)(void *ctx, const char *event);
	/* classic tracepoint: tracefs has events/<category>/<event> */
	bool (*tracefs_event)(void *ctx, const char *cat_event);
	/* canonical BTF signature of a function (shape.h); NULL: names only */
	sw_sig_fn btf_func_sig;
	/* the SDEI NMI series' shape, from btf_func_sig (sw_kernel_shape) */
	struct sw_shape_info shape;
};

enum sw_status {
	SW_ST_SKIPPED = 0,	/* not for this arch or command */
	SW_ST_PLANNED,
	SW_ST_ATTACHED,
	SW_ST_UNAVAILABLE,	/* no form exists on this kernel */
	SW_ST_FAILED,		/* a form existed but would not attach */
};

struct sw_choice {
	const struct sw_point *pt;
	int variant;			/* index in pt->v, -1 when none */
	const char *target;		/* chosen function or event */
	bool kprobe_fallback;		/* the kprobe form is loaded too, tried if the first fails */
	enum sw_status status;
	char why[256];
};

#define SW_MAX_POINTS 40
struct sw_plan {
	unsigned int arch;
	unsigned int groups;
	int n;
	struct sw_choice c[SW_MAX_POINTS];
};

extern const struct sw_point sw_points[];
extern const int sw_nr_points;

/* Tell @k's series shape from btf_func_sig into k->shape. */
void sw_kernel_shape(struct sw_kernel *k);
/* Choose a form per point of @groups on kernel @k. */
void sw_plan_make(struct sw_plan *plan, const struct sw_kernel *k, unsigned int groups);
/* The chosen program name of a choice, NULL if none. */
const char *sw_choice_prog(const struct sw_choice *c);
const char *sw_method_name(enum sw_method m);
/* c->why = "not in this kernel (<why the point may be absent>)" */
void sw_choice_why_absent(struct sw_choice *c);
const char *sw_status_name(enum sw_status s);
/* Whether the rung can fire on this kernel, and if not why (into @why). */
bool sw_plan_rung_available(const struct sw_plan *plan, const struct sw_kernel *k,
			    unsigned int rung, char *why, int len);

/*
 * The real kernel: BTF from /sys/kernel/btf/vmlinux, tracefs, the kprobe PMU,
 * and one tiny fentry load to learn whether trampolines are allowed.
 */
int sw_kernel_open(struct sw_kernel *k, char *err, int errlen);
void sw_kernel_close(struct sw_kernel *k);
/* Drop the BTF copy once the plan is made: libbpf parses its own at load. */
void sw_kernel_release_btf(struct sw_kernel *k);
/* The raw kernel BTF read by sw_kernel_open(), NULL when none or released. */
struct sw_kbtf;
const struct sw_kbtf *sw_kernel_btf(const struct sw_kernel *k);
unsigned int sw_host_arch(void);

#endif
