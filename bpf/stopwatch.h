/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Types shared by the BPF side (stopwatch.bpf.c) and user space. This is
 * the only place they are defined: the BPF object, the loader, the vmcore
 * reader and the bpftool view of the pinned maps all read these layouts.
 *
 * Every field has a fixed width so the layout is the same on x86_64 and
 * arm64 and in a core file read on another machine.
 */
#ifndef STOPWATCH_H
#define STOPWATCH_H

/*
 * The BPF side is sized at load for the host's possible CPUs (rodata
 * nr_cpus, map sizes set before load): nothing here is sized for a CPU
 * count except the limits a store may claim, SW_MAX_CPUS (what x86 and
 * arm64 distribution kernels allow, NR_CPUS=8192).
 */
#define SW_MAX_CPUS		8192
#define SW_MASK_WORDS		(SW_MAX_CPUS / 64)	/* most words a CPU mask has */
#define SW_STOP_SLOTS		8	/* stop records kept, newest overwrite oldest */
/* pages of the record store listed in its header: 8192 CPUs on 4 KiB pages */
#define SW_MAX_PAGES		320
#define SW_STORE_MAGIC		0x3148435457504f54ULL	/* "TOPWTCH1" little endian */
/*
 * Layout 3 sizes the store for the host (header, then the online mask, then
 * the records, each with masks and CPU slots for nr_cpus CPUs). Layouts 1
 * (the previous release) and 2 (1 plus sw_cpu_stop.end) were one fixed
 * struct of 256 CPUs. magic, layout and size sit at the same offsets in
 * every layout: the layout decides.
 */
#define SW_LAYOUT_VERSION	3
#define SW_STORE_F_LOGLINEAR	1u	/* histograms use log-linear ns buckets */

/* Rungs of the ladder. Names (sw_rung_name) are the same in every output. */
enum sw_rung {
	SW_RUNG_NONE = 0,	/* never stopped */
	SW_RUNG_IPI = 1,	/* stop IPI */
	SW_RUNG_NMI = 2,	/* NMI (x86) or pseudo-NMI IPI (arm64) */
	SW_RUNG_SDEI = 3,	/* SDEI event 0 (arm64, the SDEI NMI series) */
	SW_RUNG_SELF = 4,	/* stopped itself (panic_smp_self_stop) */
	SW_RUNG_COUNT,
};
/* Rungs that are fired by the initiator: IPI, NMI, SDEI at index rung-1. */
#define SW_FIRE_RUNGS		3

enum sw_kind {
	SW_KIND_UNKNOWN = 0,
	SW_KIND_STOP = 1,	/* reboot, halt, power-off */
	SW_KIND_PANIC = 2,	/* smp_send_stop() from panic() */
	SW_KIND_CRASH = 3,	/* kdump crash stop */
	SW_KIND_SELF = 4,	/* a CPU stopped itself outside any sequence */
	SW_KIND_COUNT,
};

/* What the interrupted context had, as the stop handler saw it in pt_regs. */
enum sw_irqs {
	SW_IRQS_UNKNOWN = 0,	/* handler has no pt_regs */
	SW_IRQS_ENABLED = 1,
	SW_IRQS_MASKED = 2,
};

/*
 * How a stopped CPU ended, as far as the probes of the kernel's series shape
 * saw (docs/shapes.md). v3/v4's SDEI handler parks inside the event it never
 * completes; the park shape completes it into a park pad, and powers the CPU
 * off there on a crash stop; a CPU seen entering PSCI CPU_OFF (any rung) was
 * powered off. The values are user/stop.h's enum sw_sdei_end.
 */
enum sw_cpu_end {
	SW_END_UNKNOWN = 0,
	SW_END_PARKED_UNCOMPLETED = 1,
	SW_END_COMPLETED_PARKED = 2,
	SW_END_POWERED_OFF = 3,
};

/* One CPU's part of a stop sequence: written by that CPU only. */
struct sw_cpu_stop {
	__u64 t_handler;	/* ns (bpf_ktime_get_ns) its stop handler ran; 0 = never */
	__u32 rung;		/* enum sw_rung; claimed with cmpxchg, first wins */
	__u16 irqs;		/* enum sw_irqs */
	__u16 end;		/* enum sw_cpu_end, after the handler (layouts 2 on) */
};

enum sw_rec_state {
	SW_REC_EMPTY = 0,
	SW_REC_RUNNING = 1,	/* the initiator has not returned (normal for reboot) */
	SW_REC_DONE = 2,	/* the stop function returned */
};

/*
 * One stop sequence: this head, then (W = sw_mask_words(nr_cpus) words a mask)
 *   __u64 online[W];			CPUs online at the start
 *   __u64 target[SW_FIRE_RUNGS][W];	CPUs each rung was sent to
 *   struct sw_cpu_stop cpu[nr_cpus];
 * sw_rec_size() bytes in all; sw_rec_* below find the parts.
 */
struct sw_rec_head {
	__u64 seq;		/* 1, 2, ... per armed boot; 0 = empty slot */
	__u32 kind;		/* enum sw_kind */
	__u32 initiator;	/* CPU that ran the stop */
	__u32 state;		/* enum sw_rec_state */
	__u32 nr_cpus;		/* CPUs covered by the masks and slots (the store's) */
	__u64 t_start;		/* ns, entry of the stop function */
	__u64 t_end;		/* ns, its return; 0 = never returned */
	__u64 t_fire[SW_FIRE_RUNGS];	/* ns a rung fired; 0 = not fired */
};

/*
 * The record store is the single value of the mmapable array map "sw_store":
 *   struct sw_store_hdr hdr;
 *   __u64 online[W];			online CPUs, refreshed by user space
 *   record[SW_STOP_SLOTS], sw_rec_size() bytes each
 * The header is written by `stopwatch arm` and describes the store so a
 * reader of a core file can find and check it: pfn[] lists the physical
 * frames of every page of the value, in order; hdr_csum covers the header
 * up to and including pfn[] (fields below it change while running). The
 * whole header lies in the first page (the smallest page is 4 KiB).
 */
struct sw_store_hdr {
	__u64 magic;		/* SW_STORE_MAGIC */
	__u32 layout;		/* SW_LAYOUT_VERSION */
	__u32 size;		/* bytes of the store: sw_store_size(nr_cpus) */
	__u8 boot_id[16];	/* /proc/sys/kernel/random/boot_id, binary */
	__u64 build_id;		/* hash of the BPF object: detects another build's pins */
	__u64 armed_mono_ns;	/* CLOCK_MONOTONIC at arm time ... */
	__u64 armed_real_ns;	/* ... and CLOCK_REALTIME: converts record times */
	__u32 page_size;
	__u32 nr_pages;		/* entries used in pfn[] */
	__u32 nr_cpus;		/* CPUs the store is sized for (possible CPUs at load) */
	__u32 nr_slots;		/* SW_STOP_SLOTS */
	__u64 pfn[SW_MAX_PAGES];
	__u32 hdr_csum;		/* crc32 (zlib) of the bytes above */
	__u32 pad0;
	/* mutable, written by the BPF side: */
	__u64 next_seq;		/* last sequence number handed out */
	__u32 active;		/* slot + 1 of the sequence in progress, 0 = none */
	__u32 panic_cpu;	/* CPU + 1 that last entered panic(), 0 = none (on a parallel panic, maybe the loser) */
	__u64 drops;		/* records lost (no slot, CPU out of range) */
	__u64 orphans;		/* stop handlers that ran outside a sequence */
	__u32 flags;		/* SW_STORE_F_* */
	__u32 pad1;
	__u8 version[32];	/* stopwatch version string, NUL padded */
};

_Static_assert(sizeof(struct sw_store_hdr) <= 4096, "the store header fits the first page");

/* The layout, from nr_cpus alone: BPF (nr_cpus from rodata) and every reader. */
static inline __u32 sw_mask_words(__u32 nr_cpus)
{
	return (nr_cpus + 63) / 64;
}

static inline __u32 sw_rec_size(__u32 nr_cpus)
{
	return sizeof(struct sw_rec_head) + (1 + SW_FIRE_RUNGS) * sw_mask_words(nr_cpus) * 8 +
	       nr_cpus * sizeof(struct sw_cpu_stop);
}

static inline __u32 sw_store_recs_off(__u32 nr_cpus)
{
	return sizeof(struct sw_store_hdr) + sw_mask_words(nr_cpus) * 8;
}

static inline __u32 sw_store_size(__u32 nr_cpus)
{
	return sw_store_recs_off(nr_cpus) + SW_STOP_SLOTS * sw_rec_size(nr_cpus);
}

/* Offsets inside a record of @nr_cpus CPUs. */
static inline __u32 sw_rec_online_off(__u32 nr_cpus)
{
	return sizeof(struct sw_rec_head);
}

static inline __u32 sw_rec_target_off(__u32 nr_cpus, __u32 fire_index)
{
	return sizeof(struct sw_rec_head) + (1 + fire_index) * sw_mask_words(nr_cpus) * 8;
}

static inline __u32 sw_rec_cpu_off(__u32 nr_cpus)
{
	return sizeof(struct sw_rec_head) + (1 + SW_FIRE_RUNGS) * sw_mask_words(nr_cpus) * 8;
}

/* ---- live streams ---- */

/* IPI kinds, one latency histogram each. */
enum sw_ipi_kind {
	SW_IPI_RESCHED = 0,
	SW_IPI_CALL_FUNC,
	SW_IPI_CALL_FUNC_SINGLE,
	SW_IPI_CPU_STOP,
	SW_IPI_CPU_STOP_NMI,
	SW_IPI_TIMER,
	SW_IPI_IRQ_WORK,
	SW_IPI_BACKTRACE,
	SW_IPI_KGDB,
	SW_IPI_WAKEUP,
	SW_IPI_OTHER,
	SW_IPI_KINDS,
};

/*
 * Kinds whose handler runs as an interrupt, never as an NMI (arm64 sends
 * stop, backtrace and kgdb IPIs as pseudo-NMIs where it can; an unknown
 * reason may be one too): their handler-side programs run with interrupts
 * off and do not nest, so a counter only they bump takes a plain add.
 */
static inline int sw_ipi_irq_only(__u32 kind)
{
	return kind == SW_IPI_RESCHED || kind == SW_IPI_CALL_FUNC || kind == SW_IPI_CALL_FUNC_SINGLE ||
	       kind == SW_IPI_TIMER || kind == SW_IPI_IRQ_WORK || kind == SW_IPI_WAKEUP;
}

/* SDEI event-0 deliveries: why the event was signalled. */
enum sw_sdei_kind {
	SW_SDEI_BACKTRACE = 0,
	SW_SDEI_STOP,
	SW_SDEI_OTHER,		/* signalled by something stopwatch did not see */
	SW_SDEI_KINDS,
};

enum sw_stream {
	SW_STREAM_IPI = 0,
	SW_STREAM_SDEI = 1,
	SW_STREAMS,
};

/* Pending-send slots per CPU: the IPI kinds, then the SDEI kinds. */
#define SW_PENDING_KINDS	(SW_IPI_KINDS + SW_SDEI_KINDS)

/* Histogram slots: key of the per-CPU "hists" map is stream * SW_HIST_KINDS + kind. */
#define SW_HIST_KINDS		SW_IPI_KINDS
#define SW_HIST_KEYS		(SW_STREAMS * SW_HIST_KINDS)
/*
 * Two bucketings, chosen before load (rodata hist_loglinear):
 *  - log2: slot = log2(usecs), libbpf-tools style;
 *  - log-linear over nanoseconds: values below 2^SW_LL_SUB_BITS+1 ns are
 *    exact, then every power of two is cut in 2^SW_LL_SUB_BITS sub-buckets,
 *    so a bucket is at most 1/4 of its lower bound wide.
 */
#define SW_LL_SUB_BITS		2
#define SW_HIST_SLOTS		160
/*
 * The bucketing, shared by the BPF side and user space (and so by the unit
 * tests): plain integer C that the verifier accepts, no loops.
 */
static inline __u32 sw_log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static inline __u32 sw_log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? sw_log2_u32(hi) + 32 : sw_log2_u32(v);
}

static inline __u32 sw_hist_slot_of(int loglinear, __u64 ns)
{
	__u32 slot;

	if (loglinear) {
		if (ns < (2 << SW_LL_SUB_BITS))
			return ns;
		__u32 k = sw_log2_u64(ns);
		__u32 sub = (ns >> (k - SW_LL_SUB_BITS)) & ((1 << SW_LL_SUB_BITS) - 1);
		slot = (2 << SW_LL_SUB_BITS) + ((k - SW_LL_SUB_BITS - 1) << SW_LL_SUB_BITS) + sub;
	} else {
		/*
		 * log2(ns / 1000) + 1 without the division, a few ns of every
		 * event: 2^9 < 1000 < 2^10, so with b = log2(ns) the answer is
		 * b - 9 or b - 10, whichever 1000 << k does not pass.
		 */
		if (ns < 1000)
			return 0;
		__u32 b = sw_log2_u64(ns);

		slot = (ns >= (1000ULL << (b - 9)) ? b - 9 : b - 10) + 1;
	}
	return slot < SW_HIST_SLOTS ? slot : SW_HIST_SLOTS - 1;
}

struct sw_hist {
	__u64 slots[SW_HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
};

/*
 * The per-CPU "hists" map costs CPUs x keys x value bytes, so it holds
 * histograms compactly: SW_HIST_WIRE_KEYS keys (the SDEI stream has 3
 * kinds, not 11), and only the slots a latency up to max_pending_ns can
 * reach (rodata hist_slots; the map's value size is set to match at load).
 * User space expands them into struct sw_hist (sw_read_hists).
 */
#define SW_HIST_WIRE_KEYS	(SW_IPI_KINDS + SW_SDEI_KINDS)

static inline __u32 sw_hist_wire_key(__u32 stream, __u32 kind)
{
	return stream == SW_STREAM_IPI ? kind : SW_IPI_KINDS + kind;
}

struct sw_hist_wire {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 slots[SW_HIST_SLOTS];	/* the first hist_slots of them are in the map */
};

static inline __u32 sw_hist_wire_size(__u32 slots)
{
	return 3 * sizeof(__u64) + slots * sizeof(__u64);
}

/* Slots needed for latencies up to @max_ns (larger ones are stale, not binned). */
static inline __u32 sw_hist_slots_for(int loglinear, __u64 max_ns)
{
	return sw_hist_slot_of(loglinear, max_ns) + 1;
}

/*
 * Per-CPU counters, the "counters" map, index enum sw_counter. The map has
 * SW_COUNTER_SLOTS entries: the last ones are BPF-side parts of a reported
 * counter, which user space folds in (sw_read_counters).
 */
enum sw_counter {
	SW_CNT_IPI_SENT = 0,		/* IPI sends seen (per target): the single-
					 * target send point's, plus SW_CNT_IPI_SENT_MASK */
	SW_CNT_IPI_MATCHED,		/* handler entries paired with a send: not counted
					 * by BPF, user space sums the IPI histograms */
	SW_CNT_IPI_UNMATCHED,		/* handler entries with no pending send */
	SW_CNT_IPI_STALE,		/* pairs older than max_pending_ns, dropped */
	SW_CNT_SDEI_SIGNALLED,		/* event-0 signals seen (per target) */
	SW_CNT_SDEI_DELIVERED,		/* event-0 handler runs */
	SW_CNT_SDEI_MASKED,		/* ... on a busy CPU that had interrupts masked */
	SW_CNT_SDEI_IDLE,		/* ... on an idle CPU (masked in WFI; an IPI wakes it too) */
	SW_CNT_RINGBUF_DROPS,		/* bpf_ringbuf_reserve() failed */
	SW_CNT_STOP_HANDLERS,		/* stop handlers seen in a sequence */
	SW_CNT_ORPHAN_HANDLERS,		/* stop handlers seen outside any sequence */
	SW_CNT_STOPS,			/* stop sequences begun */
	SW_CNT_REASON_UNKNOWN,		/* IPI reasons not classified */
	SW_CNT_TRACE_DROPS,		/* trace lines bpf_trace_printk refused */
	SW_CNT_IPI_UNSAMPLED,		/* handler entries paired with a send that sampling
					 * left untimed (--sample): matched, not binned */
	SW_COUNTERS,			/* the counters user space reports */
	/*
	 * Hot-path sends bump a counter with a plain add, which is exact only
	 * when one program owns the counter: x86 sends to several CPUs get a
	 * slot of their own.
	 */
	SW_CNT_IPI_SENT_MASK = SW_COUNTERS,
	/* part of SW_CNT_IPI_UNSAMPLED: kinds that never arrive as an NMI (sw_ipi_irq_only) */
	SW_CNT_IPI_UNSAMPLED_IRQ,
	SW_COUNTER_SLOTS,
};

/* Ring buffer "events": discrete events for the live stream. */
enum sw_event_type {
	SW_EV_SDEI_DELIVERY = 1,
	SW_EV_STOP_BEGIN = 2,
	SW_EV_STOP_END = 3,
};

struct sw_event {
	__u32 type;		/* enum sw_event_type */
	__u32 cpu;
	__u64 ts;
	__u64 latency_ns;	/* SDEI: signal to handler; 0 = unknown */
	__u32 kind;		/* SDEI: enum sw_sdei_kind; stop: enum sw_kind */
	__u32 irqs;		/* enum sw_irqs */
	__u64 seq;		/* stop events: record seq */
	__u32 idle;		/* SDEI: the CPU was idle (its idle task) */
	__u32 pad;
};

#ifndef __bpf__
/*
 * User space only: a store's slots as user/wire.c reads them from any
 * layout, every record normalized to SW_MAX_CPUS CPUs (so it holds any
 * store), for the walk (user/store.c) and the one decoder into the record
 * (sw_stop_from_wire, user/stop.c). Not what the BPF side writes: that is
 * the layout above.
 */
struct sw_stop_record {
	__u64 seq;
	__u32 kind;
	__u32 initiator;
	__u32 state;
	__u32 nr_cpus;
	__u64 t_start;
	__u64 t_end;
	__u64 t_fire[SW_FIRE_RUNGS];
	__u64 target[SW_FIRE_RUNGS][SW_MASK_WORDS];
	__u64 online[SW_MASK_WORDS];
	struct sw_cpu_stop cpu[SW_MAX_CPUS];
};

struct sw_store {
	struct sw_store_hdr hdr;
	__u64 online[SW_MASK_WORDS];
	struct sw_stop_record rec[SW_STOP_SLOTS];
};
#endif

#endif /* STOPWATCH_H */
