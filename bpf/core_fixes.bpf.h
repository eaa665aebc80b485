/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel and architecture differences, in one place (libbpf-tools'
 * core_fixes.bpf.h pattern). Everything else in stopwatch.bpf.c is the same
 * on every kernel.
 */
#ifndef STOPWATCH_CORE_FIXES_BPF_H
#define STOPWATCH_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/*
 * drivers/firmware/arm_sdei.c keeps struct sdei_registered_event private;
 * it is in vmlinux BTF, and this flavour lets CO-RE find event_num in it on
 * any kernel that has it (and compile where it does not, as on x86_64).
 */
struct sdei_registered_event___sw {
	__u32 event_num;
} __attribute__((preserve_access_index));

/* Event number of an SDEI dispatch; ~0 where the kernel has no SDEI. */
static __always_inline __u32 sdei_event_num(void *arg)
{
	if (!bpf_core_type_exists(struct sdei_registered_event___sw))
		return ~0u;
	return BPF_CORE_READ((struct sdei_registered_event___sw *)arg, event_num);
}

/* arm64 pt_regs: the saved GIC PMR is "pmr_save" (6.12) or "pmr" (later). */
struct pt_regs___pmr_save {
	__u64 pmr_save;
} __attribute__((preserve_access_index));
struct pt_regs___pmr {
	__u64 pmr;
} __attribute__((preserve_access_index));

#define SW_ARM64_PSR_I_BIT	0x80	/* PSTATE.I: IRQs masked */
#define SW_GIC_PRIO_IRQON	0xe0	/* PMR value with IRQs unmasked (pseudo-NMI) */
#define SW_X86_EFLAGS_IF	0x200

/*
 * Whether the interrupted context had interrupts masked. With pseudo-NMI
 * (arm64), local_irq_disable() writes the GIC PMR, not PSTATE.I, so the
 * saved PMR counts too; it is only meaningful when pseudo-NMI is on.
 */
static __always_inline __u32 sw_regs_irqs(struct pt_regs *regs, bool pseudo_nmi)
{
	if (!regs)
		return 0; /* SW_IRQS_UNKNOWN */
#if defined(__TARGET_ARCH_arm64)
	__u64 pstate = BPF_CORE_READ(regs, pstate);
	if (pstate & SW_ARM64_PSR_I_BIT)
		return 2;
	if (pseudo_nmi) {
		__u64 pmr;
		if (bpf_core_field_exists(((struct pt_regs___pmr *)regs)->pmr))
			pmr = BPF_CORE_READ((struct pt_regs___pmr *)regs, pmr);
		else
			pmr = BPF_CORE_READ((struct pt_regs___pmr_save *)regs, pmr_save);
		if (pmr != SW_GIC_PRIO_IRQON)
			return 2;
	}
	return 1;
#elif defined(__TARGET_ARCH_x86)
	return (BPF_CORE_READ(regs, flags) & SW_X86_EFLAGS_IF) ? 1 : 2;
#else
	return 0;
#endif
}

/*
 * Classic tracepoint records. Their layout is the tracefs "format" of each
 * event (an ABI), but vmlinux BTF only has a trace_event_raw_* type for
 * events the arch uses (x86 BTF has no ipi_raise), so they are spelled out
 * here without CO-RE.
 */
struct sw_tp_ipi_raise {
	__u64 common;
	__u32 data_loc_target_cpus;	/* __bitmask: offset | size << 16 */
	__u32 pad;
	const char *reason;
};

struct sw_tp_ipi_handler {
	__u64 common;
	const char *reason;
};

struct sw_tp_ipi_send_cpu {
	__u64 common;
	__u32 cpu;
	__u32 pad;
	void *callsite;
	void *callback;
};

struct sw_tp_ipi_send_cpumask {
	__u64 common;
	__u32 data_loc_cpumask;
	__u32 pad;
	void *callsite;
	void *callback;
};

struct sw_tp_cpu {
	__u64 common;
	__s32 cpu;
};

#endif
