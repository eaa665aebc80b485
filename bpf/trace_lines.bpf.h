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
 *   stopwatch: mask seq=S of=online|ipi|nmi|sdei w=I bits=WI,WI+1,WI+2,WI+3
 *
 * A mask's first 4 words (CPUs 0-255) are in its begin or fire line; on a
 * host with more CPUs, mask lines follow with 4 more words each, from word
 * I on (words past the host's CPUs print as 0).
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

/* Word @w of mask @m of @nw words; 0 past its end. */
#define SW_TL_W(m, nw, w)	((w) < (nw) ? (m)[(w)] : 0)

/* of=NAME: 0 the online mask, else the targets of that rung. */
#define SW_TL_OF(of, pre, post, args...)					\
	({ long __r;								\
	   switch (of) {							\
	   case SW_RUNG_IPI: __r = bpf_printk(pre "ipi" post, ##args); break;	\
	   case SW_RUNG_NMI: __r = bpf_printk(pre "nmi" post, ##args); break;	\
	   case SW_RUNG_SDEI: __r = bpf_printk(pre "sdei" post, ##args); break;	\
	   default: __r = bpf_printk(pre "online" post, ##args); break;		\
	   }									\
	   __r; })

/* The words of a mask past the first 4, 4 a line; the first failure ends it. */
static __always_inline long sw_tl_mask_rest(__u64 seq, __u32 of, const __u64 *m, __u32 nw)
{
	for (__u32 w = 4; w < nw && w < SW_MASK_WORDS; w += 4) {
		long r = SW_TL_OF(of, SW_TL_PFX "mask seq=%llu of=", " w=%u bits=%llx,%llx,%llx,%llx",
				  seq, w, SW_TL_W(m, nw, w), SW_TL_W(m, nw, w + 1),
				  SW_TL_W(m, nw, w + 2), SW_TL_W(m, nw, w + 3));

		if (r < 0)
			return r;
	}
	return 0;
}

static __always_inline long sw_tl_begin(__u64 seq, __u32 kind, __u32 cpu, __u32 nr, __u64 t,
					const __u64 *online, __u32 nw)
{
	long r = bpf_printk(SW_TL_PFX "begin seq=%llu kind=%u cpu=%u nr=%u t=%llu online=%llx,%llx,%llx,%llx",
			    seq, kind, cpu, nr, t, SW_TL_W(online, nw, 0), SW_TL_W(online, nw, 1),
			    SW_TL_W(online, nw, 2), SW_TL_W(online, nw, 3));

	return r < 0 ? r : sw_tl_mask_rest(seq, 0, online, nw);
}

static __always_inline long sw_tl_kind(__u64 seq, __u32 kind)
{
	return bpf_printk(SW_TL_PFX "kind seq=%llu kind=%u", seq, kind);
}

static __always_inline long sw_tl_fire(__u64 seq, __u32 rung, __u64 t,
				       const __u64 *targets, __u32 nw)
{
	long r = SW_TL_RUNG(rung, SW_TL_PFX "fire seq=%llu rung=", " t=%llu targets=%llx,%llx,%llx,%llx",
			    seq, t, SW_TL_W(targets, nw, 0), SW_TL_W(targets, nw, 1),
			    SW_TL_W(targets, nw, 2), SW_TL_W(targets, nw, 3));

	return r < 0 ? r : sw_tl_mask_rest(seq, rung, targets, nw);
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
