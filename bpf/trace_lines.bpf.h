/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The stop record as text lines in the trace buffer (bpf_trace_printk, the
 * event bpf_trace/bpf_trace_printk). `stopwatch arm` enables that event in
 * the persistent trace instance, so the lines survive a warm reboot and
 * `stopwatch recover --trace` rebuilds the same record from them
 * (user/trace.c; format in docs/trace.md). Every change the BPF side makes
 * to a record is one line, keyed by the record's seq:
 *
 *   stopwatch: begin seq=S kind=K cpu=C nr=N t=NS online=W0,W1,W2,W3
 *   stopwatch: kind seq=S kind=K
 *   stopwatch: fire seq=S rung=NAME t=NS targets=W0,W1,W2,W3
 *   stopwatch: cpu=C rung=NAME t=NS irqs=NAME seq=S     (logscan reads it too)
 *   stopwatch: irqs cpu=C irqs=NAME seq=S
 *   stopwatch: end seq=S t=NS
 *   stopwatch: cpuend cpu=C end=NAME seq=S    (how a stopped CPU ended)
 *
 * NMI/SDEI safety (kernel 6.12, kernel/bpf/helpers.c): bpf_trace_printk and
 * bpf_trace_vprintk take no lock; bpf_bprintf_prepare() uses per-CPU
 * buffers with 3 nesting levels and fails with -EBUSY beyond them, and the
 * trace event is written to the lockless ring buffer. A line that fails is
 * counted by the caller, never retried.
 *
 * Formats are literals (one per rung name) rather than "%s" with a string
 * pointer: nothing for bpf_bprintf_prepare to read from memory.
 */
#ifndef STOPWATCH_TRACE_LINES_BPF_H
#define STOPWATCH_TRACE_LINES_BPF_H

#define SW_TL_PFX "stopwatch: "

/* Evaluate to the bpf_printk result for the literal rung/irqs name. */
#define SW_TL_RUNG(rung, pre, post, args...)					\
	({ long __r;								\
	   switch (rung) {							\
	   case SW_RUNG_IPI: __r = bpf_printk(pre "ipi" post, ##args); break;	\
	   case SW_RUNG_NMI: __r = bpf_printk(pre "nmi" post, ##args); break;	\
	   case SW_RUNG_SDEI: __r = bpf_printk(pre "sdei" post, ##args); break;	\
	   case SW_RUNG_SELF: __r = bpf_printk(pre "self" post, ##args); break;	\
	   default: __r = bpf_printk(pre "none" post, ##args); break;		\
	   }									\
	   __r; })

static __always_inline long sw_tl_begin(__u64 seq, __u32 kind, __u32 cpu, __u32 nr, __u64 t,
					const __u64 online[SW_MASK_WORDS])
{
	return bpf_printk(SW_TL_PFX "begin seq=%llu kind=%u cpu=%u nr=%u t=%llu online=%llx,%llx,%llx,%llx",
			  seq, kind, cpu, nr, t, online[0], online[1], online[2], online[3]);
}

static __always_inline long sw_tl_kind(__u64 seq, __u32 kind)
{
	return bpf_printk(SW_TL_PFX "kind seq=%llu kind=%u", seq, kind);
}

static __always_inline long sw_tl_fire(__u64 seq, __u32 rung, __u64 t,
				       const __u64 targets[SW_MASK_WORDS])
{
	return SW_TL_RUNG(rung, SW_TL_PFX "fire seq=%llu rung=", " t=%llu targets=%llx,%llx,%llx,%llx",
			  seq, t, targets[0], targets[1], targets[2], targets[3]);
}

static __always_inline long sw_tl_handler(__u32 cpu, __u32 rung, __u64 t, __u32 irqs, __u64 seq)
{
	if (irqs == SW_IRQS_MASKED)
		return SW_TL_RUNG(rung, SW_TL_PFX "cpu=%u rung=", " t=%llu irqs=masked seq=%llu",
				  cpu, t, seq);
	if (irqs == SW_IRQS_ENABLED)
		return SW_TL_RUNG(rung, SW_TL_PFX "cpu=%u rung=", " t=%llu irqs=enabled seq=%llu",
				  cpu, t, seq);
	return SW_TL_RUNG(rung, SW_TL_PFX "cpu=%u rung=", " t=%llu irqs=unknown seq=%llu",
			  cpu, t, seq);
}

static __always_inline long sw_tl_irqs(__u32 cpu, __u32 irqs, __u64 seq)
{
	if (irqs == SW_IRQS_MASKED)
		return bpf_printk(SW_TL_PFX "irqs cpu=%u irqs=masked seq=%llu", cpu, seq);
	return bpf_printk(SW_TL_PFX "irqs cpu=%u irqs=enabled seq=%llu", cpu, seq);
}

static __always_inline long sw_tl_cpu_end(__u32 cpu, __u32 end, __u64 seq)
{
	switch (end) {
	case SW_END_PARKED_UNCOMPLETED:
		return bpf_printk(SW_TL_PFX "cpuend cpu=%u end=parked_uncompleted seq=%llu", cpu, seq);
	case SW_END_COMPLETED_PARKED:
		return bpf_printk(SW_TL_PFX "cpuend cpu=%u end=completed_parked seq=%llu", cpu, seq);
	default:
		return bpf_printk(SW_TL_PFX "cpuend cpu=%u end=powered_off seq=%llu", cpu, seq);
	}
}

static __always_inline long sw_tl_end(__u64 seq, __u64 t)
{
	return bpf_printk(SW_TL_PFX "end seq=%llu t=%llu", seq, t);
}

#endif
