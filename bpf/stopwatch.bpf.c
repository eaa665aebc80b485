// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * stopwatch: what happens when Linux stops its CPUs.
 *
 * Every attach point is offered in several forms (fentry and kprobe for
 * functions, tp_btf and classic tracepoint for tracepoints); user space
 * (user/points.c) picks one per point and turns the others off with
 * bpf_program__set_autoload() before load.
 *
 * Much of this runs on CPUs that are being stopped, in hard-IRQ, NMI or
 * SDEI context, and never returns. So: no locks, no helpers that may
 * sleep or spin, array and per-CPU maps with atomics only, bounded loops,
 * and every failure counted instead of retried.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "stopwatch.h"
#include "core_fixes.bpf.h"
#include "trace_lines.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Options, set by user space before load. */
const volatile __u32 nr_cpus = 1;		/* possible CPUs, <= SW_MAX_CPUS */
const volatile bool hist_loglinear = false;	/* log-linear ns, else log2 usecs */
const volatile bool pseudo_nmi = false;		/* arm64 irqchip.gicv3_pseudo_nmi=1 */
const volatile __u64 max_pending_ns = 1000000000ULL; /* older sends are stale */
const volatile __u64 stale_seq_ns = 30000000000ULL;  /* a sequence this old is over */
const volatile __u32 nr_rings = 1;		/* event rings in "events", see emit() */
/*
 * Also write each record change as a bpf_trace_printk line (trace_lines.bpf.h)
 * for the persistent trace instance. Off, the verifier drops the calls, so
 * loading does not switch the bpf_trace_printk event on.
 */
const volatile bool trace_lines = false;
/*
 * Sampling: each CPU times 1 in sample_every of its IPI sends (a per-CPU
 * tick, so independent of the latency). An unsampled send marks its
 * target's slot with SW_UNSAMPLED instead of a clock reading; the handler
 * counts it as matched and reads no clock either. Counts stay exact; the
 * histograms hold the timed 1 in N. 1: time every send (the branch is
 * verified away).
 */
const volatile __u32 sample_every = 1;
#define SW_UNSAMPLED	1ULL	/* a pending slot's mark: no ktime is ever 1 ns */

/* The stop records: one mmapable value, found again in a vmcore. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_store);
} sw_store SEC(".maps");

/* Latency histograms, per CPU (the CPU that took the interrupt). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_HIST_KEYS);
	__type(key, __u32);
	__type(value, struct sw_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Send timestamps waiting for their handler, one per (target CPU, kind):
 * key cpu * SW_PENDING_KINDS + kind. The sender claims an empty slot with
 * cmpxchg (the first pending send is the one the handler answers), the
 * target takes it with xchg.
 */
#define SW_PENDING_KINDS	(SW_IPI_KINDS + SW_SDEI_KINDS)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_MAX_CPUS * SW_PENDING_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} pending SEC(".maps");

/*
 * arm64 IPI reasons are string pointers (ipi_types[]). Each pointer is
 * classified once by reading its text; after that the hot path compares
 * pointers only.
 */
#define SW_REASON_SLOTS 16
struct sw_reason {
	__u64 ptr;
	__u32 kind_plus1;	/* enum sw_ipi_kind + 1, 0 = not yet known */
	__u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_REASON_SLOTS);
	__type(key, __u32);
	__type(value, struct sw_reason);
} reasons SEC(".maps");

/* Per-CPU scratch: sends this CPU made since it last timed one (sampling). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sample_tick SEC(".maps");

/* Per-CPU scratch: how deep this CPU is in nested stop functions. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nest SEC(".maps");

/*
 * Event rings for the live stream, one per CPU: CPU c writes ring
 * c % nr_rings. One shared ring made CPUs drop each other's events (see
 * emit()). This is the template; user space creates the rings, sized for
 * the host (loader.c, sw_event_rings), and fills the array before attach.
 */
struct sw_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);		/* nr_rings, set before load */
	__type(key, __u32);
	__array(values, struct sw_ring);
} events SEC(".maps");

static __always_inline void count_n(__u32 idx, __u32 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	/* per-CPU, so atomic only against an NMI on this CPU: cheap enough */
	if (c)
		__sync_fetch_and_add(c, n);
}

static __always_inline void count(__u32 idx)
{
	count_n(idx, 1);
}

/*
 * For a counter that one program alone bumps, on the hot path. A program
 * never nests on its own CPU (the kernel skips, and counts as a miss, a run
 * that would: prog->active, or bpf_prog_active for the kprobe and classic
 * tracepoint forms), so a plain add is exact and saves the locked one.
 */
static __always_inline void count_own(__u32 idx, __u32 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += n;
}

static __always_inline struct sw_store *store(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sw_store, &zero);
}

/* ---- histograms ---- */

static __always_inline void hist_add(__u32 stream, __u32 kind, __u64 ns)
{
	__u32 key = stream * SW_HIST_KINDS + kind;
	struct sw_hist *h = bpf_map_lookup_elem(&hists, &key);
	__u32 slot;

	if (!h)
		return;
	slot = sw_hist_slot_of(hist_loglinear, ns);
	/*
	 * Plain adds, no atomics (they were a fifth of the per-event cost): the
	 * value is this CPU's, and each key is written from one context only.
	 * Handler-side events run with interrupts off, and the kinds that can
	 * arrive as an NMI (stop, backtrace, kgdb) or via SDEI have keys of
	 * their own, so no update of a key can interrupt another of it.
	 */
	h->slots[slot]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* ---- pending sends ---- */

static __always_inline __u64 *pending_slot(__u32 cpu, __u32 kind)
{
	__u32 key;

	if (cpu >= SW_MAX_CPUS || kind >= SW_PENDING_KINDS)
		return NULL;
	key = cpu * SW_PENDING_KINDS + kind;
	return bpf_map_lookup_elem(&pending, &key);
}

/* Returns 1 when @cpu was a valid target (the send is counted), else 0. */
static __always_inline __u32 pending_mark(__u32 cpu, __u32 kind, __u64 now)
{
	__u64 *p = pending_slot(cpu, kind);

	if (!p)
		return 0;
	__sync_val_compare_and_swap(p, 0, now);
	return 1;
}

/*
 * The stamp of a send from this CPU: the clock, or SW_UNSAMPLED for all
 * but 1 in sample_every sends (no clock read for those).
 */
static __always_inline __u64 send_stamp(void)
{
	__u32 zero = 0, *tick;

	if (sample_every <= 1)
		return bpf_ktime_get_ns();
	tick = bpf_map_lookup_elem(&sample_tick, &zero);
	if (!tick)
		return SW_UNSAMPLED;
	/* plain: per-CPU, and a send never nests in a send program on its CPU */
	if (++*tick < sample_every)
		return SW_UNSAMPLED;
	*tick = 0;
	return bpf_ktime_get_ns();
}

/*
 * Take this CPU's pending send of @kind: its latency, or 0 when there was
 * none, it was stale, or sampling left it untimed. The clock is read only
 * for a timed send.
 */
static __always_inline __u64 pending_take(__u32 cpu, __u32 kind)
{
	__u64 *p = pending_slot(cpu, kind);
	__u64 sent, now;

	if (!p)
		return 0;
	sent = __sync_lock_test_and_set(p, 0);
	if (sample_every > 1 && sent == SW_UNSAMPLED) {
		count(SW_CNT_IPI_UNSAMPLED);
		return 0;
	}
	if (!sent) {
		count(SW_CNT_IPI_UNMATCHED);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (sent > now) {
		count(SW_CNT_IPI_UNMATCHED);
		return 0;
	}
	if (now - sent > max_pending_ns) {
		count(SW_CNT_IPI_STALE);
		return 0;
	}
	return now - sent;
}

/* Visit each CPU set in a cpumask (read from kernel memory at @bits). */
#define SW_MAX_MASK_BITS 64
static __always_inline void mask_read(const void *bits, __u64 words[SW_MASK_WORDS])
{
	__u32 n = (nr_cpus + 63) / 64;

	if (n > SW_MASK_WORDS)
		n = SW_MASK_WORDS;
	if (n < 1)
		n = 1;
	/* callers pass a zeroed array; a failed read leaves it zeroed */
	bpf_probe_read_kernel(words, n * sizeof(__u64), bits);
	/* bits past nr_cpus may be whatever follows a short cpumask */
	for (__u32 i = 0; i < SW_MASK_WORDS; i++) {
		__u32 lo = i * 64;

		if (nr_cpus <= lo)
			words[i] &= 0;
		else if (nr_cpus < lo + 64)
			words[i] &= (1ULL << (nr_cpus - lo)) - 1;
	}
}

/* Returns how many target CPUs were marked. */
static __always_inline __u32 mask_pending_mark(const __u64 words[SW_MASK_WORDS],
					       __u32 kind, __u64 now, int exclude)
{
	__u32 marked = 0;

	for (__u32 w = 0; w < SW_MASK_WORDS; w++) {
		__u64 bits = words[w];

		for (__u32 i = 0; i < SW_MAX_MASK_BITS && bits; i++) {
			__u64 low = bits & -bits;
			__u32 cpu = w * 64 + sw_log2_u64(low);

			bits ^= low;
			if ((int)cpu != exclude)
				marked += pending_mark(cpu, kind, now);
		}
	}
	return marked;
}

/* ---- stop records ---- */

static __always_inline struct sw_stop_record *active_record(struct sw_store *st)
{
	__u32 a = st->hdr.active;

	if (!a || a > SW_STOP_SLOTS)
		return NULL;
	return &st->rec[(a - 1) & (SW_STOP_SLOTS - 1)];
}

static __always_inline void emit(__u32 type, __u32 cpu, __u64 ts, __u64 lat,
				 __u32 kind, __u32 irqs, __u64 seq, __u32 idle)
{
	__u32 key = cpu % nr_rings;
	struct sw_event *e = NULL;
	void *ring;

	/*
	 * In NMI and SDEI context a ring buffer only try-locks its producer
	 * lock. With one ring for all CPUs, an SDEI backtrace (it reaches every
	 * CPU at once) made CPUs drop each other's events, worst under TCG where
	 * a vCPU holding the lock can be descheduled for milliseconds. With a
	 * ring per CPU only this CPU takes the lock, unless it was interrupted
	 * inside a reservation (then retrying cannot help) or the host has
	 * more CPUs than rings (then a bounded retry rescues the event).
	 */
	ring = bpf_map_lookup_elem(&events, &key);
	for (int i = 0; i < 4 && ring && !e; i++)
		e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		count(SW_CNT_RINGBUF_DROPS);
		return;
	}
	e->type = type;
	e->cpu = cpu;
	e->ts = ts;
	e->latency_ns = lat;
	e->kind = kind;
	e->irqs = irqs;
	e->seq = seq;
	e->idle = idle;
	e->pad = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline __u32 *nest_depth(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nest, &zero);
}

/* Copy the CPUs online (as user space last saw them) less the initiator. */
static __always_inline void online_but(struct sw_store *st, __u32 cpu, __u64 out[SW_MASK_WORDS])
{
	for (__u32 w = 0; w < SW_MASK_WORDS; w++)
		out[w] = st->hdr.online[w];
	if (cpu < SW_MAX_CPUS)
		out[(cpu / 64) & (SW_MASK_WORDS - 1)] &= ~(1ULL << (cpu % 64));
}

static __always_inline void rung_fire(struct sw_stop_record *r, __u32 rung,
				      const __u64 mask[SW_MASK_WORDS], __u64 now)
{
	__u32 i = rung - 1;

	if (i >= SW_FIRE_RUNGS)
		return;
	/* the first firing of a rung is the escalation; repeats add targets */
	__sync_val_compare_and_swap(&r->t_fire[i], 0, now);
	for (__u32 w = 0; w < SW_MASK_WORDS; w++)
		__sync_fetch_and_or(&r->target[i][w], mask[w]);
	if (trace_lines && sw_tl_fire(r->seq, rung, now, mask) < 0)
		count(SW_CNT_TRACE_DROPS);
}

/*
 * A stop function was entered. Nested calls on the same CPU
 * (crash_smp_send_stop -> smp_send_stop) stay one sequence; a crash stop
 * marks it a crash.
 */
static __always_inline int stop_begin(__u32 kind, __u32 fire_rung)
{
	struct sw_store *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now = bpf_ktime_get_ns();
	__u32 *depth = nest_depth();
	struct sw_stop_record *r;
	__u64 seq, mask[SW_MASK_WORDS];
	__u32 slot;

	if (!st || !depth)
		return 0;
	r = active_record(st);
	if (r && r->state == SW_REC_RUNNING && now - r->t_start < stale_seq_ns) {
		if (r->initiator == cpu && *depth > 0) {
			*depth += 1;
			if (kind == SW_KIND_CRASH && r->kind != SW_KIND_CRASH) {
				r->kind = SW_KIND_CRASH;
				if (trace_lines && sw_tl_kind(r->seq, SW_KIND_CRASH) < 0)
					count(SW_CNT_TRACE_DROPS);
			}
			if (fire_rung) {
				online_but(st, cpu, mask);
				rung_fire(r, fire_rung, mask, now);
			}
		}
		/* another CPU's stop is running: the kernel lets only one proceed */
		return 0;
	}
	seq = __sync_fetch_and_add(&st->hdr.next_seq, 1) + 1;
	slot = (seq - 1) & (SW_STOP_SLOTS - 1);
	r = &st->rec[slot];
	r->seq = 0; /* invalid while it is being reset */
	r->state = SW_REC_RUNNING;
	if (kind == SW_KIND_STOP && st->hdr.panic_cpu == cpu + 1)
		kind = SW_KIND_PANIC;
	r->kind = kind;
	r->initiator = cpu;
	r->nr_cpus = nr_cpus;
	r->t_start = now;
	r->t_end = 0;
	for (__u32 i = 0; i < SW_FIRE_RUNGS; i++) {
		r->t_fire[i] = 0;
		for (__u32 w = 0; w < SW_MASK_WORDS; w++)
			r->target[i][w] = 0;
	}
	for (__u32 w = 0; w < SW_MASK_WORDS; w++)
		r->online[w] = st->hdr.online[w];
	for (__u32 c = 0; c < SW_MAX_CPUS && c < nr_cpus; c++) {
		r->cpu[c].t_handler = 0;
		r->cpu[c].rung = 0;
		r->cpu[c].irqs = 0;
		r->cpu[c].end = 0;
	}
	r->seq = seq;
	*depth = 1;
	/* publish: handlers on other CPUs look the sequence up through this */
	__sync_lock_test_and_set(&st->hdr.active, slot + 1);
	count(SW_CNT_STOPS);
	if (trace_lines && sw_tl_begin(seq, kind, cpu, nr_cpus, now, r->online) < 0)
		count(SW_CNT_TRACE_DROPS);
	if (fire_rung) {
		online_but(st, cpu, mask);
		rung_fire(r, fire_rung, mask, now);
	}
	emit(SW_EV_STOP_BEGIN, cpu, now, 0, kind, 0, seq, 0);
	return 0;
}

static __always_inline int stop_end(void)
{
	struct sw_store *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 *depth = nest_depth();
	struct sw_stop_record *r;
	__u64 now = bpf_ktime_get_ns();

	if (!st || !depth || *depth == 0)
		return 0;
	*depth -= 1;
	if (*depth)
		return 0;
	r = active_record(st);
	if (!r || r->initiator != cpu)
		return 0;
	r->t_end = now;
	r->state = SW_REC_DONE;
	__sync_lock_test_and_set(&st->hdr.active, 0);
	if (trace_lines && sw_tl_end(r->seq, now) < 0)
		count(SW_CNT_TRACE_DROPS);
	emit(SW_EV_STOP_END, cpu, now, 0, r->kind, 0, r->seq, 0);
	return 0;
}

/* A rung fired from the initiator while its sequence is running. */
static __always_inline void fire_from_initiator(__u32 rung, const __u64 *mask_or_null)
{
	struct sw_store *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	struct sw_stop_record *r;
	__u64 mask[SW_MASK_WORDS];

	if (!st)
		return;
	r = active_record(st);
	if (!r || r->initiator != cpu || r->state != SW_REC_RUNNING)
		return;
	if (mask_or_null) {
		for (__u32 w = 0; w < SW_MASK_WORDS; w++)
			mask[w] = mask_or_null[w];
	} else {
		/* x86 NMI rung: the CPUs that have not acknowledged yet */
		online_but(st, cpu, mask);
		for (__u32 c = 0; c < SW_MAX_CPUS && c < nr_cpus; c++)
			if (r->cpu[c].rung)
				mask[c / 64] &= ~(1ULL << (c % 64));
	}
	rung_fire(r, rung, mask, bpf_ktime_get_ns());
}

/*
 * A stop handler ran on this CPU. The first probe to claim the CPU's entry
 * names the rung; later probes on the same path only add what the first
 * could not see (the interrupted context's flags).
 */
static __always_inline void stop_handler(__u32 rung, struct pt_regs *regs, bool have_regs)
{
	struct sw_store *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now = bpf_ktime_get_ns();
	struct sw_stop_record *r;
	struct sw_cpu_stop *c;
	__u32 irqs = have_regs ? sw_regs_irqs(regs, pseudo_nmi) : SW_IRQS_UNKNOWN;

	if (!st)
		return;
	if (cpu >= SW_MAX_CPUS) {
		__sync_fetch_and_add(&st->hdr.drops, 1);
		return;
	}
	r = active_record(st);
	if (!r) {
		if (rung != SW_RUNG_SELF) {
			__sync_fetch_and_add(&st->hdr.orphans, 1);
			count(SW_CNT_ORPHAN_HANDLERS);
			return;
		}
		/* a CPU stopping itself with no stop running: its own record */
		stop_begin(SW_KIND_SELF, 0);
		r = active_record(st);
		if (!r)
			return;
	}
	if (cpu == r->initiator && rung != SW_RUNG_SELF)
		return; /* the x86 stop NMI handler also runs on the initiator */
	c = &r->cpu[cpu & (SW_MAX_CPUS - 1)];
	if (__sync_val_compare_and_swap(&c->rung, 0, rung) == 0) {
		c->t_handler = now;
		/* a maskable IPI is only taken with interrupts enabled */
		c->irqs = irqs ? irqs : (rung == SW_RUNG_IPI ? SW_IRQS_ENABLED : SW_IRQS_UNKNOWN);
		count(SW_CNT_STOP_HANDLERS);
		if (trace_lines && sw_tl_handler(cpu, rung, now, c->irqs, r->seq) < 0)
			count(SW_CNT_TRACE_DROPS);
	} else if (irqs && c->irqs == SW_IRQS_UNKNOWN) {
		c->irqs = irqs;
		if (trace_lines && sw_tl_irqs(cpu, irqs, r->seq) < 0)
			count(SW_CNT_TRACE_DROPS);
	}
}

/*
 * How this stopped CPU ends (enum sw_cpu_end). It runs after the CPU acked
 * its stop, often once the initiator has returned: the record is the last
 * one begun, whatever its state, and only a CPU that stopped in it counts.
 * Only the CPU itself writes its entry; a later end (powered off after
 * parking) replaces an earlier one.
 */
static __always_inline void cpu_ended(__u32 end)
{
	struct sw_store *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	struct sw_stop_record *r;
	struct sw_cpu_stop *c;
	__u64 seq;

	if (!st || cpu >= SW_MAX_CPUS)
		return;
	seq = st->hdr.next_seq;
	if (!seq)
		return;
	r = &st->rec[(seq - 1) & (SW_STOP_SLOTS - 1)];
	c = &r->cpu[cpu & (SW_MAX_CPUS - 1)];
	if (r->seq != seq || !c->rung || c->end >= end)
		return;
	c->end = end;
	if (trace_lines && sw_tl_cpu_end(cpu, end, seq) < 0)
		count(SW_CNT_TRACE_DROPS);
}

/* The CPU that entered panic: stops it begins (or just began) are panics. */
static __always_inline void mark_panic(void)
{
	struct sw_store *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 last;
	struct sw_stop_record *r;

	if (!st)
		return;
	st->hdr.panic_cpu = cpu + 1;
	last = st->hdr.next_seq;
	if (!last)
		return;
	r = &st->rec[(last - 1) & (SW_STOP_SLOTS - 1)];
	if (r->seq == last && r->initiator == cpu && r->kind == SW_KIND_STOP) {
		r->kind = SW_KIND_PANIC;
		if (trace_lines && sw_tl_kind(r->seq, SW_KIND_PANIC) < 0)
			count(SW_CNT_TRACE_DROPS);
	}
}

/* ---- IPI reasons (arm64) ---- */

static __always_inline bool prefix(const char *s, const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] != p[i])
			return false;
	return true;
}

static __always_inline __u32 classify_reason_text(const char *reason)
{
	char s[16] = {};

	bpf_probe_read_kernel_str(s, sizeof(s), reason);
	if (prefix(s, "Resched", 7))
		return SW_IPI_RESCHED;
	if (prefix(s, "Function", 8))
		return SW_IPI_CALL_FUNC;
	if (prefix(s, "Single f", 8))
		return SW_IPI_CALL_FUNC_SINGLE;
	if (prefix(s, "CPU stop NMI", 12))
		return SW_IPI_CPU_STOP_NMI;
	if (prefix(s, "CPU stop", 8))
		return SW_IPI_CPU_STOP;
	if (prefix(s, "Timer", 5))
		return SW_IPI_TIMER;
	if (prefix(s, "IRQ work", 8))
		return SW_IPI_IRQ_WORK;
	if (prefix(s, "CPU backtr", 10))
		return SW_IPI_BACKTRACE;
	if (prefix(s, "KGDB", 4))
		return SW_IPI_KGDB;
	if (prefix(s, "CPU wake", 8))
		return SW_IPI_WAKEUP;
	count(SW_CNT_REASON_UNKNOWN);
	return SW_IPI_OTHER;
}

static __always_inline __u32 reason_kind(const char *reason)
{
	__u64 ptr = (__u64)reason;
	__u32 kind;

	for (__u32 i = 0; i < SW_REASON_SLOTS; i++) {
		/* a copy as the key: &i would spill the counter and lose its bounds */
		__u32 key = i;
		struct sw_reason *e = bpf_map_lookup_elem(&reasons, &key);

		if (!e)
			break;
		if (e->ptr == ptr) {
			if (e->kind_plus1)
				return e->kind_plus1 - 1;
			break; /* being filled in by another CPU */
		}
		if (e->ptr == 0) {
			/* first sight of this pointer: classify the text once */
			if (__sync_val_compare_and_swap(&e->ptr, 0, ptr) == 0) {
				kind = classify_reason_text(reason);
				e->kind_plus1 = kind + 1;
				return kind;
			}
			if (e->ptr == ptr)
				break;
		}
	}
	return classify_reason_text(reason);
}

/* ---- shared handlers of the attach points ---- */

static __always_inline void on_ipi_raise(const void *mask_bits, const char *reason)
{
	__u32 kind = reason_kind(reason);
	__u64 now = send_stamp();
	__u64 words[SW_MASK_WORDS] = {};

	mask_read(mask_bits, words);
	if (kind == SW_IPI_CPU_STOP)
		fire_from_initiator(SW_RUNG_IPI, words);
	else if (kind == SW_IPI_CPU_STOP_NMI)
		fire_from_initiator(SW_RUNG_NMI, words);
	count_own(SW_CNT_IPI_SENT, mask_pending_mark(words, kind, now, -1));
}

static __always_inline void on_ipi_entry_kind(__u32 kind)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 lat = pending_take(cpu, kind);

	if (kind == SW_IPI_CPU_STOP)
		stop_handler(SW_RUNG_IPI, NULL, false);
	else if (kind == SW_IPI_CPU_STOP_NMI)
		stop_handler(SW_RUNG_NMI, NULL, false);
	if (lat)	/* ipi_matched is the histograms' count: user space sums it */
		hist_add(SW_STREAM_IPI, kind, lat);
}

static __always_inline void on_sdei_signal(const struct cpumask *mask, __u32 sdei_kind, int exclude)
{
	__u64 words[SW_MASK_WORDS] = {};
	__u64 now = bpf_ktime_get_ns();

	mask_read(mask, words);
	if (sdei_kind == SW_SDEI_STOP)
		fire_from_initiator(SW_RUNG_SDEI, words);
	/* two signal points share this counter: not count_own() */
	count_n(SW_CNT_SDEI_SIGNALLED,
		mask_pending_mark(words, SW_IPI_KINDS + sdei_kind, now, exclude));
}

static __always_inline void on_sdei_event(__u32 event, struct pt_regs *regs)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now = bpf_ktime_get_ns();
	__u32 irqs = sw_regs_irqs(regs, pseudo_nmi);
	struct sw_store *st;
	struct sw_stop_record *r;
	__u32 kind = SW_SDEI_OTHER;
	__u64 lat = 0;
	bool idle;

	if (event != 0)
		return;
	st = store();
	r = st ? active_record(st) : NULL;
	if (r && r->t_fire[SW_RUNG_SDEI - 1]) {
		kind = SW_SDEI_STOP;
		stop_handler(SW_RUNG_SDEI, regs, true);
	}
	/* one event, two services: take whichever signal is pending */
	for (__u32 k = SW_SDEI_BACKTRACE; k < SW_SDEI_OTHER; k++) {
		__u64 *p = pending_slot(cpu, SW_IPI_KINDS + k);
		__u64 sent;

		if (!p)
			continue;
		sent = __sync_lock_test_and_set(p, 0);
		if (sent && sent <= now && now - sent <= max_pending_ns && !lat) {
			lat = now - sent;
			if (kind != SW_SDEI_STOP)
				kind = k;
		}
	}
	count(SW_CNT_SDEI_DELIVERED);
	/*
	 * arm64 idles in WFI with interrupts masked, and an IPI wakes it there
	 * just as well: only a busy masked CPU needed SDEI. The idle task is
	 * pid 0.
	 */
	idle = (__u32)bpf_get_current_pid_tgid() == 0;
	if (idle)
		count(SW_CNT_SDEI_IDLE);
	else if (irqs == SW_IRQS_MASKED)
		count(SW_CNT_SDEI_MASKED);
	if (lat)
		hist_add(SW_STREAM_SDEI, kind, lat);
	emit(SW_EV_SDEI_DELIVERY, cpu, now, lat, kind, irqs, r ? r->seq : 0, idle);
}

/*
 * ---- attach points ----
 * SW_FUNC defines the fentry and kprobe forms of one function point with
 * the same typed arguments; SW_FUNC_RET the fexit and kretprobe forms.
 */
#define SW_FUNC(name, sym, body, args...)				\
SEC("fentry/" #sym) int BPF_PROG(fentry_##name, ##args) { body; return 0; } \
SEC("kprobe/" #sym) int BPF_KPROBE(kprobe_##name, ##args) { body; return 0; }

#define SW_FUNC_RET(name, sym, body)					\
SEC("fexit/" #sym) int BPF_PROG(fexit_##name) { body; return 0; }	\
SEC("kretprobe/" #sym) int BPF_KRETPROBE(kretprobe_##name) { body; return 0; }

/*
 * SW_TP defines the tp_btf and raw_tp forms of one tracepoint with the same
 * typed arguments (raw_tp needs no BTF id at load; pointers are only passed
 * on to bpf_probe_read_kernel() or compared, so both forms share a body).
 * The classic tracepoint form, with its own record layout, is written out.
 */
#define SW_TP(ev, body, args...)					\
SEC("tp_btf/" #ev) int BPF_PROG(tpbtf_##ev, ##args) { body; return 0; }	\
SEC("raw_tp/" #ev) int BPF_PROG(rawtp_##ev, ##args) { body; return 0; }

/* Stop sequences */
SW_FUNC(smp_send_stop, smp_send_stop, stop_begin(SW_KIND_STOP, 0))
SW_FUNC_RET(smp_send_stop, smp_send_stop, stop_end())
SW_FUNC(crash_smp_send_stop, crash_smp_send_stop, stop_begin(SW_KIND_CRASH, 0))
SW_FUNC_RET(crash_smp_send_stop, crash_smp_send_stop, stop_end())
/* x86: the stop IPI goes to all-but-self right at the start */
SW_FUNC(native_stop_other_cpus, native_stop_other_cpus,
	stop_begin(SW_KIND_STOP, SW_RUNG_IPI), int wait)
SW_FUNC_RET(native_stop_other_cpus, native_stop_other_cpus, stop_end())
/* x86 kdump: NMIs to all-but-self straight away */
SW_FUNC(nmi_shootdown_cpus, nmi_shootdown_cpus,
	stop_begin(SW_KIND_CRASH, SW_RUNG_NMI), void *callback)
SW_FUNC_RET(nmi_shootdown_cpus, nmi_shootdown_cpus, stop_end())
/* x86: the stop NMI handler is registered just before the NMI rung fires */
SW_FUNC(register_nmi_handler, __register_nmi_handler,
	if (type == 0 /* NMI_LOCAL */) fire_from_initiator(SW_RUNG_NMI, NULL),
	unsigned int type, void *action)
SW_FUNC(panic, panic, mark_panic())

/* Stop handlers */
SW_FUNC(stop_this_cpu, stop_this_cpu, stop_handler(SW_RUNG_IPI, NULL, false), void *dummy)
SW_FUNC(smp_stop_nmi_callback, smp_stop_nmi_callback,
	stop_handler(SW_RUNG_NMI, regs, true), unsigned int val, struct pt_regs *regs)
SW_FUNC(crash_nmi_callback, crash_nmi_callback,
	stop_handler(SW_RUNG_NMI, regs, true), unsigned int val, struct pt_regs *regs)
SW_FUNC(local_cpu_stop, local_cpu_stop, stop_handler(SW_RUNG_IPI, NULL, false))
SW_FUNC(ipi_cpu_crash_stop, ipi_cpu_crash_stop,
	stop_handler(SW_RUNG_IPI, regs, true), unsigned int cpu, struct pt_regs *regs)
SW_FUNC(panic_smp_self_stop, panic_smp_self_stop, stop_handler(SW_RUNG_SELF, NULL, false))
/*
 * v3/v4: IPI handlers pass die_on_crash=true, SDEI and self-stop false; the
 * SDEI handler's CPU then parks inside the event it never completes.
 */
static __always_inline void v4_cpu_stop(struct pt_regs *regs, bool die_on_crash)
{
	stop_handler(!regs ? SW_RUNG_SELF : (die_on_crash ? SW_RUNG_IPI : SW_RUNG_SDEI),
		     regs, regs != NULL);
	if (regs && !die_on_crash)
		cpu_ended(SW_END_PARKED_UNCOMPLETED);
}
SW_FUNC(arm64_nmi_cpu_stop, arm64_nmi_cpu_stop, v4_cpu_stop(regs, die_on_crash),
	struct pt_regs *regs, bool die_on_crash)

/*
 * The park shape: arm64_nmi_cpu_stop(regs) has no die_on_crash to tell the
 * IPI handlers from the SDEI handler. The probe that ran first on this CPU
 * (ipi_entry, the event-0 handler) has claimed the rung already; when it
 * could not, a CPU the SDEI rung was sent to is taken as stopped by it.
 */
static __always_inline __u32 park_shape_rung(struct pt_regs *regs)
{
	struct sw_store *st = store();
	struct sw_stop_record *r = st ? active_record(st) : NULL;
	__u32 cpu = bpf_get_smp_processor_id() & (SW_MAX_CPUS - 1);

	if (!regs)
		return SW_RUNG_SELF;
	if (r && r->t_fire[SW_RUNG_SDEI - 1] &&
	    (r->target[SW_RUNG_SDEI - 1][cpu / 64] & (1ULL << (cpu % 64))))
		return SW_RUNG_SDEI;
	return SW_RUNG_IPI;
}
SW_FUNC(arm64_nmi_cpu_stop_park, arm64_nmi_cpu_stop,
	stop_handler(park_shape_rung(regs), regs, regs != NULL), struct pt_regs *regs)
/*
 * The park shape's SDEI exit path asks this on every event; true on a stopped
 * CPU: it completes its event into the park pad (COMPLETE_AND_RESUME).
 */
SEC("fexit/arm64_nmi_cpu_stop_pending")
int BPF_PROG(fexit_arm64_nmi_cpu_stop_pending, bool ret)
{
	if (ret)
		cpu_ended(SW_END_COMPLETED_PARKED);
	return 0;
}
SEC("kretprobe/arm64_nmi_cpu_stop_pending")
int BPF_KRETPROBE(kretprobe_arm64_nmi_cpu_stop_pending, bool ret)
{
	if (ret)
		cpu_ended(SW_END_COMPLETED_PARKED);
	return 0;
}
/* the park pad powers the CPU off on a crash stop ... */
SW_FUNC(sdei_nmi_parked_cpu_die, sdei_nmi_parked_cpu_die, cpu_ended(SW_END_POWERED_OFF))
/* ... and so does every shape's crash stop for an IPI-stopped CPU: PSCI CPU_OFF */
SW_FUNC(cpu_psci_cpu_die, cpu_psci_cpu_die, cpu_ended(SW_END_POWERED_OFF), unsigned int cpu)

/* SDEI (the series) */
SW_FUNC(sdei_nmi_stop_cpus, sdei_nmi_stop_cpus,
	on_sdei_signal(mask, SW_SDEI_STOP, -1), const struct cpumask *mask)
SW_FUNC(sdei_nmi_backtrace, sdei_nmi_trigger_cpumask_backtrace,
	on_sdei_signal(mask, SW_SDEI_BACKTRACE, exclude_cpu),
	const struct cpumask *mask, int exclude_cpu)
/* the series' event-0 callback ... */
SW_FUNC(sdei_nmi_handler, sdei_nmi_handler,
	on_sdei_event(event, regs), __u32 event, struct pt_regs *regs, void *arg)
/* ... or the generic dispatcher every SDEI event goes through */
SW_FUNC(sdei_event_handler, sdei_event_handler,
	on_sdei_event(sdei_event_num(arg), regs), struct pt_regs *regs, void *arg)

/* Tracepoints: arm64 IPIs */
SW_TP(ipi_raise, on_ipi_raise(mask, reason), const struct cpumask *mask, const char *reason)

SEC("tracepoint/ipi/ipi_raise")
int tp_ipi_raise(struct sw_tp_ipi_raise *ctx)
{
	/* __bitmask: the mask is copied into the event at this offset */
	on_ipi_raise((void *)ctx + (ctx->data_loc_target_cpus & 0xffff), ctx->reason);
	return 0;
}

SW_TP(ipi_entry, on_ipi_entry_kind(reason_kind(reason)), const char *reason)

SEC("tracepoint/ipi/ipi_entry")
int tp_ipi_entry(struct sw_tp_ipi_handler *ctx)
{
	on_ipi_entry_kind(reason_kind(ctx->reason));
	return 0;
}

/* Tracepoints: x86 IPIs (generic send side, per-vector entry side) */
static __always_inline void on_send_cpu(__u32 cpu, void *callback)
{
	/* smp_send_reschedule() traces a NULL callback; CSD sends a function */
	count_own(SW_CNT_IPI_SENT, pending_mark(cpu, callback ? SW_IPI_CALL_FUNC_SINGLE
							       : SW_IPI_RESCHED, send_stamp()));
}

static __always_inline void on_send_mask(const void *bits)
{
	__u64 words[SW_MASK_WORDS] = {};

	mask_read(bits, words);
	count_own(SW_CNT_IPI_SENT_MASK,
		  mask_pending_mark(words, SW_IPI_CALL_FUNC, send_stamp(), -1));
}

SW_TP(ipi_send_cpu, on_send_cpu(cpu, callback),
      unsigned int cpu, unsigned long callsite, void *callback)

SEC("tracepoint/ipi/ipi_send_cpu")
int tp_ipi_send_cpu(struct sw_tp_ipi_send_cpu *ctx)
{
	on_send_cpu(ctx->cpu, ctx->callback);
	return 0;
}

SW_TP(ipi_send_cpumask, on_send_mask(mask),
      const struct cpumask *mask, unsigned long callsite, void *callback)

SEC("tracepoint/ipi/ipi_send_cpumask")
int tp_ipi_send_cpumask(struct sw_tp_ipi_send_cpumask *ctx)
{
	on_send_mask((void *)ctx + (ctx->data_loc_cpumask & 0xffff));
	return 0;
}

#define SW_VECTOR_ENTRY(tp, kind)					\
SW_TP(tp, on_ipi_entry_kind(kind), int vector)				\
SEC("tracepoint/irq_vectors/" #tp) int tp_##tp(void *ctx)		\
{ on_ipi_entry_kind(kind); return 0; }

SW_VECTOR_ENTRY(reschedule_entry, SW_IPI_RESCHED)
SW_VECTOR_ENTRY(call_function_entry, SW_IPI_CALL_FUNC)
SW_VECTOR_ENTRY(call_function_single_entry, SW_IPI_CALL_FUNC_SINGLE)

/* A wake-up that needed no IPI (the target polls): nothing will answer. */
static __always_inline void on_wake_without_ipi(__u32 cpu)
{
	__u64 *p = pending_slot(cpu, SW_IPI_CALL_FUNC_SINGLE);

	if (p)
		*p = 0;
}

SW_TP(sched_wake_idle_without_ipi, on_wake_without_ipi(cpu), int cpu)

SEC("tracepoint/sched/sched_wake_idle_without_ipi")
int tp_sched_wake_idle_without_ipi(struct sw_tp_cpu *ctx)
{
	on_wake_without_ipi(ctx->cpu);
	return 0;
}
