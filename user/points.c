// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The attach points, the plan, and kernel detection (the one place for it). */
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "points.h"
#include "record.h"
#include "stopwatch.skel.h"

#define A_X86	SW_ARCH_X86
#define A_ARM	SW_ARCH_ARM64
#define A_ALL	(SW_ARCH_X86 | SW_ARCH_ARM64)
#define G_STOP	SW_GROUP_STOP
#define G_LIVE	SW_GROUP_LIVE

/*
 * PROG(name): the BPF program @name as a string, and a compile error when
 * the BPF object has no program of that name: the skeleton bpftool
 * generates from it (stopwatch.skel.h) has a member per program, so the
 * programs it lists are the one list both sides are checked against.
 */
#define PROG(name) (sizeof(((struct stopwatch_bpf *)0)->progs.name) ? #name : NULL)

/* One form of a function point whose program reads parameters @params. */
#define FN_P_V(...) FN_P_V_(__VA_ARGS__)	/* expands the *_ARGS lists first */
#define FN_P_V_(method, prog, params, ...) { method, PROG(prog), { __VA_ARGS__ }, params }
#define V4_STOP_ARGS	"struct pt_regs *, bool", "arm64_nmi_cpu_stop", "arm64_cpu_stop_nmi"
#define PARK_STOP_ARGS	"struct pt_regs *", "arm64_nmi_cpu_stop"

/* Function point: fentry, then kprobe, same candidates. */
#define FN(prog, ...)							\
	{ { SW_FENTRY, PROG(fentry_##prog), { __VA_ARGS__ } },		\
	  { SW_KPROBE, PROG(kprobe_##prog), { __VA_ARGS__ } } }
/* ... whose programs read parameters @params (canonical, shape.h) */
#define FN_P(prog, params, ...)						\
	{ { SW_FENTRY, PROG(fentry_##prog), { __VA_ARGS__ }, params },	\
	  { SW_KPROBE, PROG(kprobe_##prog), { __VA_ARGS__ }, params } }
#define FN_RET(prog, ...)						\
	{ { SW_FEXIT, PROG(fexit_##prog), { __VA_ARGS__ } },		\
	  { SW_KRETPROBE, PROG(kretprobe_##prog), { __VA_ARGS__ } } }
/*
 * Tracepoint point: raw_tp first. It runs as directly as tp_btf, and unlike
 * tp_btf (and fentry) it needs no attach BTF id, so a load whose programs
 * are all raw_tp and kprobes never makes libbpf parse vmlinux BTF (see
 * kbtf.c): that parse is most of the loader's peak memory.
 */
#define TP(prog, cat, ev)						\
	{ { SW_RAW_TP, PROG(rawtp_##prog), { ev } },			\
	  { SW_TP_BTF, PROG(tpbtf_##prog), { ev } },			\
	  { SW_TRACEPOINT, PROG(tp_##prog), { cat "/" ev } } }

/*
 * Candidate names per point: symbol names differ between kernel versions
 * and between versions of the SDEI series. Order is preference.
 */
const struct sw_point sw_points[] = {
	/* stop sequences */
	{ "smp_send_stop", "stop begins (reboot, halt, panic)", A_ARM, G_STOP, 0, false, false,
	  NULL, FN(smp_send_stop, "smp_send_stop") },
	{ "smp_send_stop:return", "stop ends", A_ARM, G_STOP, 0, false, false,
	  NULL, FN_RET(smp_send_stop, "smp_send_stop") },
	{ "crash_smp_send_stop", "crash stop begins (kdump)", A_ALL, G_STOP, 0, false, false,
	  "kernel without KEXEC_CORE", FN(crash_smp_send_stop, "crash_smp_send_stop") },
	{ "crash_smp_send_stop:return", "crash stop ends", A_ALL, G_STOP, 0, false, false,
	  "kernel without KEXEC_CORE", FN_RET(crash_smp_send_stop, "crash_smp_send_stop") },
	{ "native_stop_other_cpus", "stop begins, stop IPI sent", A_X86, G_STOP, SW_RUNG_IPI, false,
	  false, NULL, FN(native_stop_other_cpus, "native_stop_other_cpus") },
	{ "native_stop_other_cpus:return", "stop ends", A_X86, G_STOP, 0, false, false, NULL,
	  FN_RET(native_stop_other_cpus, "native_stop_other_cpus") },
	{ "nmi_shootdown_cpus", "kdump stop begins, NMIs sent", A_X86, G_STOP, SW_RUNG_NMI, false,
	  false, "kernel without KEXEC_CORE", FN(nmi_shootdown_cpus, "nmi_shootdown_cpus") },
	{ "nmi_shootdown_cpus:return", "kdump stop ends", A_X86, G_STOP, 0, false, false,
	  "kernel without KEXEC_CORE", FN_RET(nmi_shootdown_cpus, "nmi_shootdown_cpus") },
	{ "register_nmi_handler", "NMI rung fires (stop handler registered)", A_X86, G_STOP,
	  SW_RUNG_NMI, false, false, NULL, FN(register_nmi_handler, "__register_nmi_handler") },
	/*
	 * panic(): variadic, so fentry cannot attach; newer kernels have vpanic().
	 * printk_legacy_allow_panic_sync() runs right after the stop in 6.12's
	 * panic() only, so it can still mark the stop a panic.
	 */
	{ "panic", "marks stops begun by panic()", A_ALL, G_STOP, 0, false, false, NULL,
	  { { SW_FENTRY, PROG(fentry_panic), { "vpanic", "printk_legacy_allow_panic_sync" } },
	    { SW_KPROBE, PROG(kprobe_panic), { "vpanic", "panic" } } } },
	/* stop handlers */
	{ "stop_this_cpu", "CPU stopped (IPI, or NMI via the callback)", A_X86, G_STOP,
	  SW_RUNG_IPI, false, false, NULL, FN(stop_this_cpu, "stop_this_cpu") },
	{ "smp_stop_nmi_callback", "CPU stopped by NMI", A_X86, G_STOP, SW_RUNG_NMI, false, false,
	  NULL, FN(smp_stop_nmi_callback, "smp_stop_nmi_callback") },
	{ "crash_nmi_callback", "CPU stopped by the kdump NMI", A_X86, G_STOP, SW_RUNG_NMI, false,
	  false, "kernel without KEXEC_CORE", FN(crash_nmi_callback, "crash_nmi_callback") },
	{ "local_cpu_stop", "CPU stopped (IPI or pseudo-NMI)", A_ARM, G_STOP, SW_RUNG_IPI, false,
	  false, "folded into arm64_nmi_cpu_stop by the SDEI NMI series",
	  FN(local_cpu_stop, "local_cpu_stop") },
	{ "ipi_cpu_crash_stop", "CPU stopped by a crash stop", A_ARM, G_STOP, SW_RUNG_IPI, false,
	  false, "inlined (arm64 6.12), or folded into arm64_nmi_cpu_stop by the series",
	  FN(ipi_cpu_crash_stop, "ipi_cpu_crash_stop") },
	/* arm64's own, or the generic __weak loop (x86): the loser of a parallel panic */
	{ "panic_smp_self_stop", "CPU stopped itself", A_ALL, G_STOP, SW_RUNG_SELF, false, false,
	  NULL, FN(panic_smp_self_stop, "panic_smp_self_stop") },
	/*
	 * v3/v4 pass die_on_crash (true from the IPI handlers); the park shape
	 * dropped it: each shape has its own forms, told apart by signature.
	 */
	{ "arm64_nmi_cpu_stop", "CPU stopped (IPI, NMI, SDEI or self)", A_ARM, G_STOP, 0, true,
	  false, "kernel lacks the SDEI NMI series",
	  { FN_P_V(SW_FENTRY, fentry_arm64_nmi_cpu_stop, V4_STOP_ARGS),
	    FN_P_V(SW_KPROBE, kprobe_arm64_nmi_cpu_stop, V4_STOP_ARGS),
	    FN_P_V(SW_FENTRY, fentry_arm64_nmi_cpu_stop_park, PARK_STOP_ARGS),
	    FN_P_V(SW_KPROBE, kprobe_arm64_nmi_cpu_stop_park, PARK_STOP_ARGS) } },
	/* the park shape: how an SDEI-stopped CPU ends */
	{ "arm64_nmi_cpu_stop_pending:return", "SDEI-stopped CPU completes its event into the park pad",
	  A_ARM, G_STOP, SW_RUNG_SDEI, true, false, "kernel has no park-shape SDEI stop (v3/v4 or stock)",
	  { { SW_FEXIT, PROG(fexit_arm64_nmi_cpu_stop_pending), { "arm64_nmi_cpu_stop_pending" }, "void" },
	    { SW_KRETPROBE, PROG(kretprobe_arm64_nmi_cpu_stop_pending), { "arm64_nmi_cpu_stop_pending" },
	      "void" } } },
	{ "sdei_nmi_parked_cpu_die", "parked CPU powered off (crash stop)", A_ARM, G_STOP,
	  SW_RUNG_SDEI, true, false, "kernel has no park-shape SDEI stop (v3/v4 or stock)",
	  FN(sdei_nmi_parked_cpu_die, "sdei_nmi_parked_cpu_die") },
	{ "cpu_psci_cpu_die", "stopped CPU powered off (PSCI CPU_OFF)", A_ARM, G_STOP, 0, false,
	  false, "kernel without HOTPLUG_CPU or PSCI", FN(cpu_psci_cpu_die, "cpu_psci_cpu_die") },
	/* the SDEI rung and SDEI backtraces (the series) */
	{ "sdei_nmi_stop_cpus", "SDEI rung fires", A_ARM, G_STOP, SW_RUNG_SDEI, true, false,
	  "kernel lacks the SDEI NMI series",
	  FN_P(sdei_nmi_stop_cpus, "struct cpumask *", "sdei_nmi_stop_cpus", "sdei_nmi_stop") },
	{ "sdei_nmi_backtrace", "SDEI backtrace signalled", A_ARM, G_LIVE, SW_RUNG_SDEI, true, false,
	  "kernel lacks the SDEI NMI series",
	  FN(sdei_nmi_backtrace, "sdei_nmi_trigger_cpumask_backtrace") },
	{ "sdei_event0_handler", "SDEI event 0 delivered", A_ARM, G_STOP | G_LIVE, SW_RUNG_SDEI,
	  true, false, "kernel lacks the SDEI NMI series (no event-0 handler)",
	  { { SW_FENTRY, PROG(fentry_sdei_nmi_handler), { "sdei_nmi_handler", "sdei_nmi_event_handler" } },
	    { SW_FENTRY, PROG(fentry_sdei_event_handler), { "sdei_event_handler" } },
	    { SW_KPROBE, PROG(kprobe_sdei_nmi_handler), { "sdei_nmi_handler", "sdei_nmi_event_handler" } } } },
	/* IPIs (arm64: one tracepoint with the reason string for every kind) */
	{ "ipi_raise", "IPI sent; stop and NMI rungs fire", A_ARM, G_STOP | G_LIVE, 0, false, false,
	  NULL, TP(ipi_raise, "ipi", "ipi_raise") },
	{ "ipi_entry", "IPI handled; CPU stopped by IPI or NMI", A_ARM, G_STOP | G_LIVE, 0, false,
	  false, NULL, TP(ipi_entry, "ipi", "ipi_entry") },
	/* IPIs (x86: generic send side, one entry tracepoint per vector) */
	{ "ipi_send_cpu", "IPI sent to one CPU", A_X86, G_LIVE, 0, false, false,
	  "kernel older than 6.5", TP(ipi_send_cpu, "ipi", "ipi_send_cpu") },
	{ "ipi_send_cpumask", "IPI sent to several CPUs", A_X86, G_LIVE, 0, false, false,
	  "kernel older than 6.5", TP(ipi_send_cpumask, "ipi", "ipi_send_cpumask") },
	{ "reschedule_entry", "reschedule IPI handled", A_X86, G_LIVE, 0, false, false, NULL,
	  TP(reschedule_entry, "irq_vectors", "reschedule_entry") },
	{ "call_function_entry", "call-function IPI handled", A_X86, G_LIVE, 0, false, false, NULL,
	  TP(call_function_entry, "irq_vectors", "call_function_entry") },
	{ "call_function_single_entry", "single call-function IPI handled", A_X86, G_LIVE, 0, false,
	  false, NULL, TP(call_function_single_entry, "irq_vectors", "call_function_single_entry") },
	{ "sched_wake_idle_without_ipi", "wake-up that needed no IPI", A_X86, G_LIVE, 0, false,
	  false, NULL, TP(sched_wake_idle_without_ipi, "sched", "sched_wake_idle_without_ipi") },
};
const int sw_nr_points = sizeof(sw_points) / sizeof(sw_points[0]);

#ifdef SW_PROG_TYPO_CHECK	/* `make unit` checks that this does not compile */
static const char *const typo __attribute__((unused)) = PROG(fentry_smp_send_stopp);
#endif

const char *sw_method_name(enum sw_method m)
{
	switch (m) {
	case SW_FENTRY: return "fentry";
	case SW_KPROBE: return "kprobe";
	case SW_FEXIT: return "fexit";
	case SW_KRETPROBE: return "kretprobe";
	case SW_TP_BTF: return "tp_btf";
	case SW_RAW_TP: return "raw_tp";
	case SW_TRACEPOINT: return "tracepoint";
	}
	return "?";
}

const char *sw_status_name(enum sw_status s)
{
	switch (s) {
	case SW_ST_SKIPPED: return "skipped";
	case SW_ST_PLANNED: return "planned";
	case SW_ST_ATTACHED: return "attached";
	case SW_ST_UNAVAILABLE: return "unavailable";
	case SW_ST_FAILED: return "failed";
	}
	return "?";
}

const char *sw_choice_prog(const struct sw_choice *c)
{
	return c->variant >= 0 ? c->pt->v[c->variant].prog : NULL;
}

static bool is_kprobe(enum sw_method m)
{
	return m == SW_KPROBE || m == SW_KRETPROBE;
}

/*
 * Whether @fn's parameters on this kernel are the ones @v's program reads.
 * Unknown (no BTF, or a kernel seen by names only) counts as yes; a no is
 * described in @mismatch.
 */
static bool params_fit(const struct sw_variant *v, const struct sw_kernel *k, const char *fn,
		       char *mismatch, int mlen)
{
	char sig[128], params[128];

	if (!v->params || !k->btf || !k->btf_func_sig ||
	    !k->btf_func_sig(k->ctx, fn, sig, sizeof(sig)))
		return true;
	if (sw_sig_params(sig, params, sizeof(params)) && !strcmp(params, v->params))
		return true;
	if (!mismatch[0])
		snprintf(mismatch, mlen, "%s is %s", fn, sig);
	return false;
}

/*
 * First target of @v that this kernel has with the parameters its program
 * reads, NULL if none (kprobes without BTF: unknown, take the first).
 */
static const char *variant_target(const struct sw_variant *v, const struct sw_kernel *k,
				  char *mismatch, int mlen)
{
	for (int t = 0; t < SW_MAX_TARGETS && v->targets[t]; t++) {
		const char *name = v->targets[t];

		switch (v->method) {
		case SW_FENTRY:
		case SW_FEXIT:
			if (k->btf && k->fentry && k->btf_func(k->ctx, name) &&
			    params_fit(v, k, name, mismatch, mlen))
				return name;
			break;
		case SW_KPROBE:
		case SW_KRETPROBE:
			/*
			 * No kallsyms scan (seconds in an emulated guest): with BTF,
			 * a function BTF lacks is taken as absent (inlined or not
			 * there); without BTF, the attach will tell.
			 */
			if (!k->kprobes)
				return NULL;
			if (!k->btf || (k->btf_func(k->ctx, name) &&
					params_fit(v, k, name, mismatch, mlen)))
				return name;
			break;
		case SW_TP_BTF:
		case SW_RAW_TP:
			if (k->btf && k->btf_tp(k->ctx, name))
				return name;
			break;
		case SW_TRACEPOINT:
			if (k->tracefs_event(k->ctx, name))
				return name;
			break;
		}
	}
	return NULL;
}

/* c->why for a point whose function is there with parameters no form reads */
static void mismatch_reason(struct sw_choice *c, const struct sw_kernel *k, const char *mismatch)
{
	const struct sw_point *pt = c->pt;
	int n = snprintf(c->why, sizeof(c->why), "unknown signature: %s; stopwatch reads ", mismatch);

	for (int v = 0; v < SW_MAX_VARIANTS && pt->v[v].prog && n < (int)sizeof(c->why); v++) {
		bool seen = false;

		for (int u = 0; u < v; u++)
			seen |= pt->v[u].params && !strcmp(pt->v[u].params, pt->v[v].params);
		if (!seen && pt->v[v].params)
			n += snprintf(c->why + n, sizeof(c->why) - n, "%s(%s)", v ? " or " : "",
				      pt->v[v].params);
	}
	if (n < (int)sizeof(c->why))
		snprintf(c->why + n, sizeof(c->why) - n, " (series shape %s)",
			 sw_shape_name(k->shape.shape));
}

static void absent_reason(struct sw_choice *c, const struct sw_kernel *k)
{
	const struct sw_point *pt = c->pt;
	bool has_kprobe_form = false;

	for (int i = 0; i < SW_MAX_VARIANTS && pt->v[i].prog; i++)
		has_kprobe_form |= is_kprobe(pt->v[i].method);
	bool has_fentry_form = pt->v[0].method == SW_FENTRY || pt->v[0].method == SW_FEXIT;

	if (!k->btf && !(has_kprobe_form && k->kprobes))
		snprintf(c->why, sizeof(c->why), "no vmlinux BTF%s",
			 has_kprobe_form ? " and no kprobes" : "");
	else if (has_fentry_form && !k->fentry && !k->kprobes)
		snprintf(c->why, sizeof(c->why), "kernel refuses fentry programs and has no kprobes");
	else
		sw_choice_why_absent(c);
}

void sw_choice_why_absent(struct sw_choice *c)
{
	const char *absent = c->pt->absent;

	snprintf(c->why, sizeof(c->why), "not in this kernel%s%s%s", absent ? " (" : "",
		 absent ? absent : "", absent ? ")" : "");
}

static bool sig_of_kernel(void *ctx, const char *fn, char *sig, int len)
{
	const struct sw_kernel *k = ctx;

	return k->btf_func_sig(k->ctx, fn, sig, len);
}

void sw_kernel_shape(struct sw_kernel *k)
{
	memset(&k->shape, 0, sizeof(k->shape));
	if (k->btf && k->btf_func_sig)
		sw_shape_detect(&k->shape, sig_of_kernel, k);
}

void sw_plan_make(struct sw_plan *plan, const struct sw_kernel *k, unsigned int groups)
{
	memset(plan, 0, sizeof(*plan));
	plan->arch = k->arch;
	plan->groups = groups;
	for (int i = 0; i < sw_nr_points && plan->n < SW_MAX_POINTS; i++) {
		const struct sw_point *pt = &sw_points[i];
		struct sw_choice *c;

		if (!(pt->arches & k->arch))
			continue;
		c = &plan->c[plan->n++];
		c->pt = pt;
		c->variant = -1;
		if (!(pt->groups & groups)) {
			c->status = SW_ST_SKIPPED;
			snprintf(c->why, sizeof(c->why), "not used by this command");
			continue;
		}
		char mismatch[160] = "";

		for (int v = 0; v < SW_MAX_VARIANTS && pt->v[v].prog; v++) {
			const char *t = variant_target(&pt->v[v], k, mismatch, sizeof(mismatch));

			if (!t)
				continue;
			c->variant = v;
			c->target = t;
			c->status = SW_ST_PLANNED;
			break;
		}
		if (c->variant < 0) {
			c->status = SW_ST_UNAVAILABLE;
			if (mismatch[0])
				mismatch_reason(c, k, mismatch);
			else
				absent_reason(c, k);
			continue;
		}
		/* a BTF-based form may still refuse to attach: keep a kprobe ready */
		if (!is_kprobe(pt->v[c->variant].method) && k->kprobes)
			for (int v = c->variant + 1; v < SW_MAX_VARIANTS && pt->v[v].prog; v++)
				if (is_kprobe(pt->v[v].method))
					c->kprobe_fallback = true;
	}
}

static const struct sw_choice *find_choice(const struct sw_plan *plan, const char *name)
{
	for (int i = 0; i < plan->n; i++)
		if (!strcmp(plan->c[i].pt->name, name))
			return &plan->c[i];
	return NULL;
}

static bool usable(const struct sw_choice *c)
{
	return c && (c->status == SW_ST_PLANNED || c->status == SW_ST_ATTACHED);
}

bool sw_plan_rung_available(const struct sw_plan *plan, const struct sw_kernel *k,
			    unsigned int rung, char *why, int len)
{
	const struct sw_choice *c;

	why[0] = '\0';
	switch (rung) {
	case SW_RUNG_IPI:
		c = find_choice(plan, k->arch == SW_ARCH_X86 ? "stop_this_cpu" : "ipi_entry");
		if (!usable(c)) {
			snprintf(why, len, "cannot observe the stop IPI: %s",
				 c ? c->why : "no attach point");
			return false;
		}
		return true;
	case SW_RUNG_NMI:
		if (k->arch == SW_ARCH_ARM64 && !k->pseudo_nmi) {
			snprintf(why, len, "pseudo-NMI is off (boot with irqchip.gicv3_pseudo_nmi=1 "
				 "on a kernel with ARM64_PSEUDO_NMI)");
			return false;
		}
		c = find_choice(plan, k->arch == SW_ARCH_X86 ? "smp_stop_nmi_callback" : "ipi_entry");
		if (!usable(c)) {
			snprintf(why, len, "cannot observe the NMI rung: %s",
				 c ? c->why : "no attach point");
			return false;
		}
		return true;
	case SW_RUNG_SDEI:
		if (k->arch != SW_ARCH_ARM64) {
			snprintf(why, len, "no SDEI rung on this architecture");
			return false;
		}
		c = find_choice(plan, "sdei_nmi_stop_cpus");
		if (!usable(c)) {
			if (c && !strncmp(c->why, "unknown signature", 17))
				snprintf(why, len, "cannot observe the SDEI rung: %s", c->why);
			else
				snprintf(why, len, "kernel lacks the SDEI NMI series (no sdei_nmi_stop_cpus)");
			return false;
		}
		c = find_choice(plan, "sdei_event0_handler");
		if (!usable(c)) {
			snprintf(why, len, "SDEI event-0 handler cannot be traced: %s",
				 c ? c->why : "no attach point");
			return false;
		}
		return true;
	}
	snprintf(why, len, "no such rung");
	return false;
}

/* ---- the real kernel ---- */

/* A FUNC is attachable by fentry unless variadic (last parameter of type 0). */
static bool func_attachable(const struct sw_kbtf *b, const struct btf_type *t)
{
	const struct btf_type *p = sw_kbtf_type(b, t->type);
	__u16 vlen = p ? BTF_INFO_VLEN(p->info) : 0;
	const struct btf_param *params = (const void *)(p + 1);

	return !(p && vlen && params[vlen - 1].type == 0);
}

/* Type id of the FUNC or TYPEDEF @name, 0 if none. */
static __u32 btf_find(const struct sw_kbtf *b, const char *name, unsigned int kind)
{
	for (__u32 id = 1; id < b->nr_types; id++) {
		const struct btf_type *t = sw_kbtf_type(b, id);

		if (BTF_INFO_KIND(t->info) == kind && !strcmp(sw_kbtf_name(b, t->name_off), name))
			return id;
	}
	return 0;
}

static bool btf_has(const struct sw_kbtf *b, const char *name, unsigned int kind)
{
	__u32 id = btf_find(b, name, kind);

	return id && (kind != BTF_KIND_FUNC || func_attachable(b, sw_kbtf_type(b, id)));
}

/*
 * Names the plan asks about are looked up in one pass and remembered: the
 * set is small and fixed (the point table and the shape's functions), so
 * the pass indexes exactly it. Signatures are kept too: the BTF is freed
 * once the plan is made.
 */
#define MAX_CACHED 112
struct kernel_ctx {
	struct sw_kbtf btf;
	__u32 some_func_id;	/* any traceable FUNC, for the fentry probe */
	int n;
	struct {
		const char *name;
		unsigned int kind;
		bool has;	/* FUNC: in BTF and attachable; TYPEDEF: the tracepoint's */
		bool found;	/* FUNC in BTF at all (has sig) */
		char sig[96];
	} cache[MAX_CACHED];
};

static void cache_add(struct kernel_ctx *kc, const char *name, unsigned int kind)
{
	for (int i = 0; i < kc->n; i++)	/* raw_tp and tp_btf share names */
		if (kc->cache[i].kind == kind && !strcmp(kc->cache[i].name, name))
			return;
	if (kc->n == MAX_CACHED)
		return;
	kc->cache[kc->n].name = name;
	kc->cache[kc->n].kind = kind;
	kc->n++;
}

static void cache_fill(struct kernel_ctx *kc)
{
	/*
	 * Each kernel FUNC and typedef is checked only against the wanted names
	 * of its bucket: comparing it with every one of them was 4-5 ms of
	 * start-up (150k types).
	 */
	short head[SW_KBTF_NAME_BUCKETS], next[MAX_CACHED];

	/* collect every name of the point table, then match in one scan */
	for (int i = 0; i < sw_nr_points; i++)
		for (int v = 0; v < SW_MAX_VARIANTS; v++) {
			const struct sw_variant *var = &sw_points[i].v[v];

			if (!var->prog || var->method == SW_TRACEPOINT)
				continue;
			for (int t = 0; t < SW_MAX_TARGETS && var->targets[t]; t++)
				cache_add(kc, var->targets[t],
					  var->method == SW_TP_BTF || var->method == SW_RAW_TP
					  ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC);
		}
	for (unsigned int i = 0; sw_shape_fn(i); i++)
		cache_add(kc, sw_shape_fn(i), BTF_KIND_FUNC);
	memset(head, 0xff, sizeof(head));
	for (int i = kc->n - 1; i >= 0; i--) {
		unsigned int b = sw_kbtf_name_bucket(kc->cache[i].name);

		next[i] = head[b];
		head[b] = i;
	}
	for (__u32 id = 1; id < kc->btf.nr_types; id++) {
		const struct btf_type *t = sw_kbtf_type(&kc->btf, id);
		unsigned int kind = BTF_INFO_KIND(t->info);
		const char *name;

		if (kind != BTF_KIND_FUNC && kind != BTF_KIND_TYPEDEF)
			continue;
		name = sw_kbtf_name(&kc->btf, t->name_off);
		if (kind == BTF_KIND_TYPEDEF) {
			if (strncmp(name, "btf_trace_", 10))
				continue;
			name += 10;
		}
		for (int i = head[sw_kbtf_name_bucket(name)]; i >= 0; i = next[i])
			if (kc->cache[i].kind == kind && !strcmp(kc->cache[i].name, name)) {
				kc->cache[i].has = kind == BTF_KIND_TYPEDEF ||
						   func_attachable(&kc->btf, t);
				if (kind == BTF_KIND_FUNC) {
					kc->cache[i].found = true;
					sw_kbtf_func_sig(&kc->btf, id, kc->cache[i].sig,
							 sizeof(kc->cache[i].sig));
				}
				if (kind == BTF_KIND_FUNC && kc->cache[i].has && !kc->some_func_id)
					kc->some_func_id = id;
			}
	}
}

static int cache_index(struct kernel_ctx *kc, const char *name, unsigned int kind)
{
	for (int i = 0; i < kc->n; i++)
		if (kc->cache[i].kind == kind && !strcmp(kc->cache[i].name, name))
			return i;
	return -1;
}

static bool cached(struct kernel_ctx *kc, const char *name, unsigned int kind)
{
	int i = cache_index(kc, name, kind);

	if (i >= 0)
		return kc->cache[i].has;
	/* not a table name: look it up directly */
	if (!kc->btf.raw)
		return false;
	if (kind == BTF_KIND_TYPEDEF) {
		char buf[128];

		snprintf(buf, sizeof(buf), "btf_trace_%s", name);
		return btf_has(&kc->btf, buf, kind);
	}
	return btf_has(&kc->btf, name, kind);
}

static bool real_btf_func_sig(void *ctx, const char *fn, char *sig, int len)
{
	struct kernel_ctx *kc = ctx;
	int i = cache_index(kc, fn, BTF_KIND_FUNC);

	if (i >= 0) {
		snprintf(sig, len, "%s", kc->cache[i].sig);
		return kc->cache[i].found;
	}
	return kc->btf.raw && sw_kbtf_func_sig(&kc->btf, btf_find(&kc->btf, fn, BTF_KIND_FUNC),
					       sig, len);
}

static bool real_btf_func(void *ctx, const char *fn)
{
	return cached(ctx, fn, BTF_KIND_FUNC);
}

static bool real_btf_tp(void *ctx, const char *ev)
{
	return cached(ctx, ev, BTF_KIND_TYPEDEF);
}

static bool real_tracefs_event(void *ctx, const char *cat_ev)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	char path[256];

	(void)ctx;
	for (unsigned int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s/id", roots[i], cat_ev);
		if (access(path, R_OK) == 0)
			return true;
	}
	return false;
}

unsigned int sw_host_arch(void)
{
	struct utsname u;

	if (uname(&u) == 0 && !strcmp(u.machine, "aarch64"))
		return SW_ARCH_ARM64;
	return SW_ARCH_X86;
}

static bool cmdline_has(const char *needle)
{
	char buf[4096];
	FILE *f = fopen("/proc/cmdline", "r");
	bool has = false;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			has = strstr(buf, needle) != NULL;
		fclose(f);
	}
	return has;
}

/*
 * Whether this kernel loads fentry programs: some refuse BPF trampolines
 * (EPERM even as root, seen on this project's CI host), some arches lack
 * them. A two-instruction program against a function the plan wants
 * answers it in well under a millisecond.
 */
static bool fentry_works(__u32 btf_id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .attach_btf_id = btf_id,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	int fd;

	if (!btf_id)
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sw_fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int sw_kernel_open(struct sw_kernel *k, char *err, int errlen)
{
	struct kernel_ctx *kc = calloc(1, sizeof(*kc));
	const char *btf_path = getenv("STOPWATCH_BTF") ?: "/sys/kernel/btf/vmlinux";

	memset(k, 0, sizeof(*k));
	if (!kc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->arch = sw_host_arch();
	k->ctx = kc;
	k->btf_func = real_btf_func;
	k->btf_tp = real_btf_tp;
	k->tracefs_event = real_tracefs_event;
	/* the kprobe PMU exists exactly when the kernel has CONFIG_KPROBES */
	k->kprobes = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
	k->pseudo_nmi = k->arch == SW_ARCH_ARM64 && cmdline_has("irqchip.gicv3_pseudo_nmi=1");
	if (sw_kbtf_load(&kc->btf, btf_path, err, errlen) == 0) {
		k->btf = true;
		k->btf_func_sig = real_btf_func_sig;
		cache_fill(kc);
		k->fentry = fentry_works(kc->some_func_id);
		sw_kernel_shape(k);
	}
	return 0;
}

const struct sw_kbtf *sw_kernel_btf(const struct sw_kernel *k)
{
	const struct kernel_ctx *kc = k->ctx;

	return kc && kc->btf.raw ? &kc->btf : NULL;
}

void sw_kernel_release_btf(struct sw_kernel *k)
{
	struct kernel_ctx *kc = k->ctx;

	if (!kc)
		return;
	sw_kbtf_free(&kc->btf);	/* later look-ups answer from the cache only */
}

void sw_kernel_close(struct sw_kernel *k)
{
	struct kernel_ctx *kc = k->ctx;

	if (kc) {
		sw_kbtf_free(&kc->btf);
		free(kc);
	}
	k->ctx = NULL;
}
