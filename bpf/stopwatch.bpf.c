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
/*
 * Possible CPUs, <= SW_MAX_CPUS. The maps are sized for them at load, and
 * every loop over CPUs or mask words is bounded by them: the verifier knows
 * rodata values, so a small host verifies and runs the short loops.
 */
const volatile __u32 nr_cpus = 1;
const volatile __u32 hist_slots = SW_HIST_SLOTS;	/* slots of a "hists" value */
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

/*
 * arm64: CPUs that stopped themselves (self_open). The kernel keeps such a
 * CPU online until its arm64_nmi_cpu_stop() takes it out, so a stop that
 * begins meanwhile still sends it a rung it will never take: fire_end()
 * claims it there as stopped by itself. nr_self_stopped skips that walk
 * when no CPU ever stopped itself.
 */
__u64 self_stopped[SW_MASK_WORDS];
__u32 nr_self_stopped;
#define SW_UNSAMPLED	1ULL	/* a pending slot's mark: no ktime is ever 1 ns */

/*
 * The stop records: one mmapable value, found again in a vmcore. Its size,
 * sw_store_size(nr_cpus), is set at load (loader.c, sw_size_maps), so the
 * map has no BTF value type: stopwatch.h describes the layout.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct sw_store_hdr));
} sw_store SEC(".maps");

/*
 * Latency histograms, per CPU (the CPU that took the interrupt), keyed
 * sw_hist_wire_key(); the value holds hist_slots slots (size set at load).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_HIST_WIRE_KEYS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct sw_hist_wire));
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Send timestamps waiting for their handler, one per (target CPU, kind):
 * key cpu * SW_PENDING_KINDS + kind, nr_cpus * SW_PENDING_KINDS entries
 * (set at load). The sender claims an empty slot with cmpxchg (the first
 * pending send is the one the handler answers), the target takes it with
 * xchg.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SW_PENDING_KINDS);
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

/*
 * Per-CPU scratch: [NEST_DEPTH] how deep this CPU is in nested stop
 * functions; [NEST_PANIC] 1 once this CPU entered panic(); [NEST_SELF] 1
 * once this CPU stopped itself (a self-stop never returns).
 */
enum { NEST_DEPTH, NEST_PANIC, NEST_SELF, NEST_SLOTS };
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NEST_SLOTS);
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

/* ---- the record store (layout in stopwatch.h) ---- */

static __always_inline struct sw_store_hdr *store(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sw_store, &zero);
}

static __always_inline __u32 mask_words(void)
{
	return sw_mask_words(nr_cpus);
}

/* Online CPUs as user space last saw them: the words after the header. */
static __always_inline __u64 *store_online(struct sw_store_hdr *st)
{
	return (void *)(st + 1);
}

static __always_inline struct sw_rec_head *rec_at(struct sw_store_hdr *st, __u32 slot)
{
	return (void *)st + sw_store_recs_off(nr_cpus) +
	       (slot & (SW_STOP_SLOTS - 1)) * sw_rec_size(nr_cpus);
}

static __always_inline __u64 *rec_online(struct sw_rec_head *r)
{
	return (void *)r + sw_rec_online_off(nr_cpus);
}

/* Targets of fired rung index @i (rung - 1); the caller checks i < SW_FIRE_RUNGS. */
static __always_inline __u64 *rec_target(struct sw_rec_head *r, __u32 i)
{
	return (void *)r + sw_rec_target_off(nr_cpus, i);
}

/* The caller checks cpu < nr_cpus. */
static __always_inline struct sw_cpu_stop *rec_cpu(struct sw_rec_head *r, __u32 cpu)
{
	return (void *)r + sw_rec_cpu_off(nr_cpus) + cpu * sizeof(struct sw_cpu_stop);
}

/*
 * A CPU number the compiler may not turn into a running pointer or key
 * across a loop's steps: the verifier would lose its bound, cpu < nr_cpus.
 */
static __always_inline __u32 opaque_cpu(__u32 cpu)
{
	asm volatile("" : "+r"(cpu));
	return cpu;
}

/* Bits of mask word @w that stand for CPUs below nr_cpus. */
static __always_inline __u64 word_valid(__u32 w)
{
	__u32 lo = w * 64;

	if (nr_cpus <= lo)
		return 0;
	return nr_cpus - lo >= 64 ? ~0ULL : (1ULL << (nr_cpus - lo)) - 1;
}

/* ---- histograms ---- */

static __always_inline void hist_add(__u32 stream, __u32 kind, __u64 ns)
{
	__u32 key = sw_hist_wire_key(stream, kind);
	struct sw_hist_wire *h = bpf_map_lookup_elem(&hists, &key);
	__u32 slot;

	if (!h)
		return;
	/* below hist_slots whenever ns <= max_pending_ns, as the callers ensure */
	slot = sw_hist_slot_of(hist_loglinear, ns);
	if (slot >= hist_slots)
		slot = hist_slots - 1;
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

	if (cpu >= nr_cpus || kind >= SW_PENDING_KINDS)
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
		/* the sampled hot path (rescheduling, function calls): no locked add */
		if (sw_ipi_irq_only(kind))
			count_own(SW_CNT_IPI_UNSAMPLED_IRQ, 1);
		else
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

/*
 * ---- CPU masks ----
 * A mask has mask_words() words (a kernel cpumask: nr_cpu_ids bits). A
 * kernel mask is read SW_CHUNK_WORDS words at a time onto the stack (all of
 * it would not fit the 512-byte BPF stack past 4096 CPUs). Up to 256 CPUs
 * (SW_INLINE_WORDS) the words are walked inline, as before the sizing;
 * beyond, one word per bpf_loop() step, so what the verifier walks, and so
 * the load time, does not grow with the host. (Inline at 512 CPUs, or a
 * step per chunk with a loop over its words inside, let the verifier's
 * states multiply from word to word, past its limit.)
 */
#define SW_CHUNK_WORDS	8
#define SW_INLINE_WORDS	4

/*
 * Call fn(w, ctx) for each word w of a CPU mask: inline up to
 * SW_INLINE_WORDS words, with bpf_loop() and fn_cb beyond.
 */
#define for_each_mask_word(fn, ctx)						\
	do {									\
		__u32 __nw = mask_words();					\
		if (__nw <= SW_INLINE_WORDS) {					\
			for (__u32 __w = 0; __w < SW_INLINE_WORDS && __w < __nw; __w++) \
				fn(__w, ctx);					\
		} else {							\
			bpf_loop(__nw, fn##_cb, ctx, 0);			\
		}								\
	} while (0)

struct mask_walk {
	const void *bits;	/* kernel cpumask */
	__u64 *target;		/* record targets to OR it into, or NULL */
	__u64 now;
	__u32 kind;		/* pending-send kind to mark for each CPU */
	int exclude;		/* CPU not to mark, -1 = none */
	__u32 marked;		/* sends marked */
	__u32 pad;
	__u64 words[SW_CHUNK_WORDS];	/* the chunk of the mask word w is in */
};

/*
 * Mark a pending send of @kind at @now for each CPU of one mask word, the
 * CPUs base..base+63, but @exclude (-1: none); returns how many were marked.
 * A global function: the verifier checks it once, with its arguments as
 * any scalars, not once per word and state of every caller. Inline, the bit
 * loop's states multiplied from word to word, past the verifier's limit
 * at 256, 257 and 1000 CPUs (probes --verify measured 1000001 insns).
 * Bit by bit, not by the lowest set bit's log2: a constant step merges the
 * verifier's states. A few CPUs (the usual send) end the loop as early.
 */
__noinline int sw_mark_word(__u64 bits, __u32 base, __u32 kind, __u64 now, int exclude)
{
	int marked = 0;

	/*
	 * Checked once here, the excluded CPU too: a compare with it in the
	 * loop would narrow its range differently on each step, and the
	 * steps' states would no longer merge.
	 */
	if (kind >= SW_PENDING_KINDS || base >= nr_cpus || (base & 63))
		return 0;
	if (exclude >= 0 && (__u32)exclude - base < 64)
		bits &= ~(1ULL << ((__u32)exclude - base));
	for (__u32 b = 0; b < 64 && (bits >> b); b++) {
		if ((bits >> b) & 1)
			marked += pending_mark(opaque_cpu(base | b), kind, now);
	}
	return marked;
}

static __always_inline long walk_word(__u32 w, struct mask_walk *m)
{
	__u32 nw = mask_words(), i = w % SW_CHUNK_WORDS, n;
	__u64 bits;

	if (w >= nw)
		return 1;
	if (i == 0) {
		n = nw - w < SW_CHUNK_WORDS ? nw - w : SW_CHUNK_WORDS;
		if (bpf_probe_read_kernel(m->words, n * sizeof(__u64),
					  m->bits + w * sizeof(__u64)))
			for (__u32 k = 0; k < SW_CHUNK_WORDS; k++)
				m->words[k] = 0;
	}
	/* bits past nr_cpus may be whatever follows a short cpumask */
	bits = m->words[i] & word_valid(w);
	if (m->target && bits)
		__sync_fetch_and_or(&m->target[w], bits);
	if (bits)
		m->marked += sw_mark_word(bits, w * 64, m->kind, m->now, m->exclude);
	return 0;
}

static long walk_word_cb(__u32 w, void *m)
{
	return walk_word(w, m);
}

/* Mark a pending send for each CPU of the mask; returns how many. */
static __always_inline __u32 mask_walk(struct mask_walk *m)
{
	for_each_mask_word(walk_word, m);
	return m->marked;
}

/* ---- stop records ---- */

static __always_inline struct sw_rec_head *active_record(struct sw_store_hdr *st)
{
	__u32 a = st->active;

	if (!a || a > SW_STOP_SLOTS)
		return NULL;
	return rec_at(st, a - 1);
}

/* The record the initiator, this CPU, is running, or NULL. */
static __always_inline struct sw_rec_head *initiator_record(struct sw_store_hdr *st)
{
	struct sw_rec_head *r = st ? active_record(st) : NULL;

	if (!r || r->initiator != bpf_get_smp_processor_id() || r->state != SW_REC_RUNNING)
		return NULL;
	return r;
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
	__u32 key = NEST_DEPTH;

	return bpf_map_lookup_elem(&nest, &key);
}

static __always_inline __u32 *entered_panic(void)
{
	__u32 key = NEST_PANIC;

	return bpf_map_lookup_elem(&nest, &key);
}

/*
 * True the first time this CPU's self-stop is seen. arm64's passes two
 * probes (panic_smp_self_stop, arm64_nmi_cpu_stop); the second adds nothing
 * and must not open a record. The newest record is no guide: the winner's
 * stop may take a sequence number between the two (arm64 lab scenario 9,
 * park, CI 2026-12-02: two self records of CPU 1).
 */
static __always_inline bool first_self_stop(void)
{
	__u32 key = NEST_SELF, *stopped = bpf_map_lookup_elem(&nest, &key);

	if (!stopped || *stopped)
		return false;
	*stopped = 1;
	return true;
}

/*
 * Rung @rung fired: the first firing is the escalation, repeats add
 * targets. Returns the targets to OR this firing's CPUs into, or NULL.
 */
static __always_inline __u64 *fire_begin(struct sw_rec_head *r, __u32 rung, __u64 now)
{
	__u32 i = rung - 1;

	if (!r || i >= SW_FIRE_RUNGS)
		return NULL;
	__sync_val_compare_and_swap(&r->t_fire[i], 0, now);
	return rec_target(r, i);
}

static __always_inline bool claim_cpu(struct sw_rec_head *r, __u32 cpu, __u32 rung,
				      __u64 now, __u32 irqs);

struct self_walk {
	struct sw_rec_head *r;
	__u64 *target;
};

static long claim_self_target_cb(__u32 cpu, void *ctx)
{
	struct self_walk *s = ctx;
	__u32 w = (cpu / 64) & (SW_MASK_WORDS - 1);
	__u64 bit = 1ULL << (cpu % 64);

	if (cpu >= nr_cpus)
		return 1;
	/* its time is its self record's: here it is only known to be before */
	if ((self_stopped[w] & bit) && (s->target[w] & bit))
		claim_cpu(s->r, cpu, SW_RUNG_SELF, 0, SW_IRQS_UNKNOWN);
	return 0;
}

static __always_inline void fire_end(struct sw_rec_head *r, __u32 rung, __u64 now)
{
	__u32 i = rung - 1;

	if (i >= SW_FIRE_RUNGS)
		return;
#if defined(__TARGET_ARCH_arm64)
	if (nr_self_stopped) {
		struct self_walk s = { .r = r, .target = rec_target(r, i) };

		bpf_loop(nr_cpus, claim_self_target_cb, &s, 0);
	}
#endif
	if (trace_lines && sw_tl_fire(r->seq, rung, now, rec_target(r, i), mask_words()) < 0)
		count(SW_CNT_TRACE_DROPS);
}

/* The store's online mask, a word at a time, for the stop path. */
struct online_walk {
	struct sw_store_hdr *st;
	struct sw_rec_head *r;
	__u64 *target;		/* fire: OR the word into these targets */
	__u64 unacked;		/* fire: only CPUs with no stop handler yet */
};

/* A new record: copy the online word, clear its targets and CPU slots. */
static __always_inline long reset_word(__u32 w, struct online_walk *o)
{
	struct sw_rec_head *r = o->r;

	if (w >= mask_words())
		return 1;
	rec_online(r)[w] = store_online(o->st)[w] & word_valid(w);
	for (__u32 i = 0; i < SW_FIRE_RUNGS; i++)
		rec_target(r, i)[w] = 0;
	for (__u32 b = 0; b < 64; b++) {
		__u32 cpu = opaque_cpu(w * 64 + b);
		struct sw_cpu_stop *c;

		if (cpu >= nr_cpus)
			break;
		c = rec_cpu(r, cpu);
		c->t_handler = 0;
		c->rung = 0;
		c->irqs = 0;
		c->end = 0;
	}
	return 0;
}

static long reset_word_cb(__u32 w, void *o)
{
	return reset_word(w, o);
}

/* Fire at the word's online CPUs but the initiator (and those acked, if asked). */
static __always_inline long fire_word(__u32 w, struct online_walk *o)
{
	struct sw_rec_head *r = o->r;
	__u32 initiator = r->initiator;
	__u64 bits, left;

	if (w >= mask_words())
		return 1;
	bits = store_online(o->st)[w] & word_valid(w);
	if (initiator / 64 == w)
		bits &= ~(1ULL << (initiator % 64));
	left = o->unacked ? bits : 0;
	for (__u32 b = 0; b < 64 && (left >> b); b++) {
		__u32 cpu = opaque_cpu(w * 64 + b);

		if (((left >> b) & 1) && cpu < nr_cpus && rec_cpu(r, cpu)->rung)
			bits &= ~(1ULL << b);
	}
	if (bits)
		__sync_fetch_and_or(&o->target[w], bits);
	return 0;
}

static long fire_word_cb(__u32 w, void *o)
{
	return fire_word(w, o);
}

/* Fire @rung at the CPUs online but the initiator (@unacked: and not stopped yet). */
static __always_inline void fire_online(struct sw_store_hdr *st, struct sw_rec_head *r,
					__u32 rung, __u64 now, bool unacked)
{
	struct online_walk o = { .st = st, .r = r, .unacked = unacked };

	o.target = fire_begin(r, rung, now);
	if (!o.target)
		return;
	for_each_mask_word(fire_word, &o);
	fire_end(r, rung, now);
}

/*
 * arm64: a CPU that stopped itself (self_open) while this record was being
 * opened leaves its online word once published; else it sees this record
 * active and claims its slot itself (self_join).
 */
static __always_inline long recheck_online_word(__u32 w, struct online_walk *o)
{
	if (w >= mask_words())
		return 1;
	rec_online(o->r)[w] &= store_online(o->st)[w];
	return 0;
}

static long recheck_online_word_cb(__u32 w, void *o)
{
	return recheck_online_word(w, o);
}

static __always_inline void recheck_online(struct sw_store_hdr *st, struct sw_rec_head *r)
{
	struct online_walk o = { .st = st, .r = r };

	for_each_mask_word(recheck_online_word, &o);
}

/*
 * Open record @seq's slot for a stop of @kind begun by @cpu: reset, then
 * valid (its seq set). The caller publishes it as active, or not.
 */
static __always_inline struct sw_rec_head *rec_open(struct sw_store_hdr *st, __u64 seq,
						     __u32 kind, __u32 cpu, __u64 now)
{
	struct sw_rec_head *r = rec_at(st, seq - 1);
	struct online_walk reset = { .st = st, .r = r };

	r->seq = 0; /* invalid while it is being reset */
	r->state = SW_REC_RUNNING;
	r->kind = kind;
	r->initiator = cpu;
	r->nr_cpus = nr_cpus;
	r->t_start = now;
	r->t_end = 0;
	for (__u32 i = 0; i < SW_FIRE_RUNGS; i++)
		r->t_fire[i] = 0;
	for_each_mask_word(reset_word, &reset);
	r->seq = seq;
	count(SW_CNT_STOPS);
	if (trace_lines && sw_tl_begin(seq, kind, cpu, nr_cpus, now, rec_online(r), mask_words()) < 0)
		count(SW_CNT_TRACE_DROPS);
	return r;
}

/* Close a record: done at @now (the caller unpublished it, if it was active). */
static __always_inline void rec_close(struct sw_rec_head *r, __u32 cpu, __u64 now)
{
	r->t_end = now;
	r->state = SW_REC_DONE;
	if (trace_lines && sw_tl_end(r->seq, now) < 0)
		count(SW_CNT_TRACE_DROPS);
	emit(SW_EV_STOP_END, cpu, now, 0, r->kind, 0, r->seq, 0);
}

/*
 * A stop function was entered. Nested calls on the same CPU
 * (crash_smp_send_stop -> smp_send_stop) stay one sequence; a crash stop
 * marks it a crash.
 */
static __always_inline int stop_begin(__u32 kind, __u32 fire_rung)
{
	struct sw_store_hdr *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now = bpf_ktime_get_ns();
	__u32 *depth = nest_depth(), *panicked;
	struct sw_rec_head *r;
	__u64 seq;

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
			if (fire_rung)
				fire_online(st, r, fire_rung, now, false);
		}
		/* another CPU's stop is running: the kernel lets only one proceed */
		return 0;
	}
	/*
	 * This CPU's own flag, not st->panic_cpu: on a parallel panic the loser
	 * may mark that last, before it stops itself.
	 */
	if (kind == SW_KIND_STOP && (panicked = entered_panic()) && *panicked)
		kind = SW_KIND_PANIC;
	seq = __sync_fetch_and_add(&st->next_seq, 1) + 1;
	r = rec_open(st, seq, kind, cpu, now);
	*depth = 1;
	/* publish: handlers on other CPUs look the sequence up through this */
	__sync_lock_test_and_set(&st->active, ((seq - 1) & (SW_STOP_SLOTS - 1)) + 1);
#if defined(__TARGET_ARCH_arm64)
	recheck_online(st, r);
#endif
	if (fire_rung)
		fire_online(st, r, fire_rung, now, false);
	emit(SW_EV_STOP_BEGIN, cpu, now, 0, kind, 0, seq, 0);
	return 0;
}

static __always_inline int stop_end(void)
{
	struct sw_store_hdr *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 *depth = nest_depth();
	struct sw_rec_head *r;
	__u64 now = bpf_ktime_get_ns();

	if (!st || !depth || *depth == 0)
		return 0;
	*depth -= 1;
	if (*depth)
		return 0;
	r = active_record(st);
	if (!r || r->initiator != cpu)
		return 0;
	__sync_lock_test_and_set(&st->active, 0);
	rec_close(r, cpu, now);
	return 0;
}

/* x86's NMI rung, fired from the initiator: the CPUs that have not acknowledged yet. */
static __always_inline void fire_nmi_unacked(void)
{
	struct sw_store_hdr *st = store();
	struct sw_rec_head *r = initiator_record(st);

	if (r)
		fire_online(st, r, SW_RUNG_NMI, bpf_ktime_get_ns(), true);
}

/*
 * A CPU stopped itself with no stop running (the loser of a parallel panic,
 * before the winner stops the others): a record of its own, which the
 * caller fills like any and closes at once. It is never published as
 * active: this CPU never returns to end it, and an open record would make
 * the winner's stop, moments later, record nothing ("another CPU's stop is
 * running").
 */
static __always_inline struct sw_rec_head *self_open(struct sw_store_hdr *st, __u32 cpu, __u64 now)
{
	__u64 seq = __sync_fetch_and_add(&st->next_seq, 1) + 1;
	struct sw_rec_head *r;

	r = rec_open(st, seq, SW_KIND_SELF, cpu, now);
	emit(SW_EV_STOP_BEGIN, cpu, now, 0, SW_KIND_SELF, 0, seq, 0);
#if defined(__TARGET_ARCH_arm64)
	/*
	 * arm64's self-stop takes the CPU offline (set_cpu_online(false)), so
	 * the winner's stop does not target it: later records must not expect
	 * it either. x86's generic loop stays online and is stopped again.
	 */
	__sync_fetch_and_and(&store_online(st)[cpu / 64], ~(1ULL << (cpu % 64)));
	__sync_fetch_and_or(&self_stopped[(cpu / 64) & (SW_MASK_WORDS - 1)], 1ULL << (cpu % 64));
	__sync_fetch_and_add(&nr_self_stopped, 1);
#endif
	return r;
}

/* The first probe on this CPU's path names its rung in @r: true if this one did. */
static __always_inline bool claim_cpu(struct sw_rec_head *r, __u32 cpu, __u32 rung,
				      __u64 now, __u32 irqs)
{
	struct sw_cpu_stop *c = rec_cpu(r, cpu);

	if (__sync_val_compare_and_swap(&c->rung, 0, rung) != 0)
		return false;
	c->t_handler = now;
	/* a maskable IPI is only taken with interrupts enabled */
	c->irqs = irqs ? irqs : (rung == SW_RUNG_IPI ? SW_IRQS_ENABLED : SW_IRQS_UNKNOWN);
	if (trace_lines && sw_tl_handler(cpu, rung, now, c->irqs, r->seq) < 0)
		count(SW_CNT_TRACE_DROPS);
	return true;
}

/*
 * arm64: a stop published since this CPU's self record was opened may have
 * copied it as online or sent it a rung before self_open() marked it
 * (arm64 lab scenario 9, park, under host load: "never stopped" in the
 * winner's record). The CPU then stopped itself during that stop. This
 * CPU writes (self_open), then reads the active stop; the stop's initiator
 * publishes it, then reads the marks (recheck_online(), fire_end()). With
 * fully ordered atomics on both sides, one of them sees the other.
 */
static __always_inline void self_join(struct sw_store_hdr *st, __u32 cpu)
{
#if defined(__TARGET_ARCH_arm64)
	struct sw_rec_head *r = active_record(st);

	if (r && r->state == SW_REC_RUNNING && r->initiator != cpu)
		claim_cpu(r, cpu, SW_RUNG_SELF, bpf_ktime_get_ns(), SW_IRQS_UNKNOWN);
#endif
}

/*
 * A stop handler ran on this CPU. The first probe to claim the CPU's entry
 * names the rung; later probes on the same path only add what the first
 * could not see (the interrupted context's flags).
 */
static __always_inline void stop_handler(__u32 rung, struct pt_regs *regs, bool have_regs)
{
	struct sw_store_hdr *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now = bpf_ktime_get_ns();
	struct sw_rec_head *r, *self = NULL;
	struct sw_cpu_stop *c;
	__u32 irqs = have_regs ? sw_regs_irqs(regs, pseudo_nmi) : SW_IRQS_UNKNOWN;

	if (!st)
		return;
	if (cpu >= nr_cpus) {
		__sync_fetch_and_add(&st->drops, 1);
		return;
	}
	if (rung == SW_RUNG_SELF && !first_self_stop())
		return;
	r = active_record(st);
	if (!r) {
		if (rung != SW_RUNG_SELF) {
			__sync_fetch_and_add(&st->orphans, 1);
			count(SW_CNT_ORPHAN_HANDLERS);
			return;
		}
		r = self = self_open(st, cpu, now);
	}
	if (cpu == r->initiator && rung != SW_RUNG_SELF)
		return; /* the x86 stop NMI handler also runs on the initiator */
	c = rec_cpu(r, cpu);
	if (claim_cpu(r, cpu, rung, now, irqs)) {
		count(SW_CNT_STOP_HANDLERS);
	} else if (irqs && c->irqs == SW_IRQS_UNKNOWN) {
		c->irqs = irqs;
		if (trace_lines && sw_tl_irqs(cpu, irqs, r->seq) < 0)
			count(SW_CNT_TRACE_DROPS);
	}
	if (self) {
		rec_close(self, cpu, now);
		self_join(st, cpu);
	}
}

/* records back that cpu_ended() looks for the stop a CPU stopped in */
#define SW_END_LOOKBACK		4

/*
 * How this stopped CPU ends (enum sw_cpu_end). It runs after the CPU acked
 * its stop, often once the initiator has returned, and sometimes once the
 * initiator has begun another stop (panic=-1: the restart's, with this CPU
 * already offline; arm64 lab scenario 9, park): the record is the newest of
 * the last few in which this CPU stopped, whatever its state. Only the CPU
 * itself writes its entry; a later end (powered off after parking)
 * replaces an earlier one.
 */
static __always_inline void cpu_ended(__u32 end)
{
	struct sw_store_hdr *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	struct sw_rec_head *r = NULL;
	struct sw_cpu_stop *c = NULL;
	__u64 seq;

	if (!st || cpu >= nr_cpus)
		return;
	seq = st->next_seq;
	for (__u32 i = 0; i < SW_END_LOOKBACK && i < seq; i++) {
		r = rec_at(st, seq - 1 - i);
		c = rec_cpu(r, cpu);
		if (r->seq == seq - i && c->rung)
			break;
		c = NULL;
	}
	if (!c || c->end >= end)
		return;
	c->end = end;
	if (trace_lines && sw_tl_cpu_end(cpu, end, r->seq) < 0)
		count(SW_CNT_TRACE_DROPS);
}

/* records back that mark_panic() looks for this CPU's own (one per other panicking CPU) */
#define SW_PANIC_LOOKBACK	4

/* The CPU that entered panic: stops it begins (or just began) are panics. */
static __always_inline void mark_panic(void)
{
	struct sw_store_hdr *st = store();
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 *panicked = entered_panic();
	struct sw_rec_head *r;
	__u64 last;

	if (panicked)
		*panicked = 1;
	if (!st)
		return;
	st->panic_cpu = cpu + 1;
	last = st->next_seq;
	if (!last)
		return;
	/*
	 * This CPU's newest record, not just the newest: a parallel panic's
	 * loser may have taken a sequence number for its self record since.
	 */
	for (__u32 i = 0; i < SW_PANIC_LOOKBACK && i < last; i++) {
		r = rec_at(st, last - 1 - i);
		if (r->seq != last - i || r->initiator != cpu)
			continue;
		if (r->kind == SW_KIND_STOP) {
			r->kind = SW_KIND_PANIC;
			if (trace_lines && sw_tl_kind(r->seq, SW_KIND_PANIC) < 0)
				count(SW_CNT_TRACE_DROPS);
		}
		break;
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
	struct mask_walk m = { .bits = mask_bits, .now = send_stamp(), .exclude = -1 };
	struct sw_rec_head *r = NULL;
	__u32 rung = 0;
	__u64 t = 0;

	m.kind = reason_kind(reason);
	if (m.kind == SW_IPI_CPU_STOP)
		rung = SW_RUNG_IPI;
	else if (m.kind == SW_IPI_CPU_STOP_NMI)
		rung = SW_RUNG_NMI;
	/* a stop rung's time is always read: sampling is for the live stream */
	if (rung && (r = initiator_record(store()))) {
		t = bpf_ktime_get_ns();
		m.target = fire_begin(r, rung, t);
	}
	count_own(SW_CNT_IPI_SENT, mask_walk(&m));
	if (m.target)
		fire_end(r, rung, t);
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
	struct mask_walk m = { .bits = mask, .now = bpf_ktime_get_ns(), .exclude = exclude,
			       .kind = SW_IPI_KINDS + sdei_kind };
	struct sw_rec_head *r = NULL;

	if (sdei_kind == SW_SDEI_STOP && (r = initiator_record(store())))
		m.target = fire_begin(r, SW_RUNG_SDEI, m.now);
	/* two signal points share this counter: not count_own() */
	count_n(SW_CNT_SDEI_SIGNALLED, mask_walk(&m));
	if (m.target)
		fire_end(r, SW_RUNG_SDEI, m.now);
}

static __always_inline void on_sdei_event(__u32 event, struct pt_regs *regs)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now = bpf_ktime_get_ns();
	__u32 irqs = sw_regs_irqs(regs, pseudo_nmi);
	struct sw_store_hdr *st;
	struct sw_rec_head *r;
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
	if (type == 0 /* NMI_LOCAL */) fire_nmi_unacked(),
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
	struct sw_store_hdr *st = store();
	struct sw_rec_head *r = st ? active_record(st) : NULL;
	__u32 cpu = bpf_get_smp_processor_id();

	if (!regs)
		return SW_RUNG_SELF;
	if (r && r->t_fire[SW_RUNG_SDEI - 1] && cpu < nr_cpus &&
	    (rec_target(r, SW_RUNG_SDEI - 1)[cpu / 64] & (1ULL << (cpu % 64))))
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
/*
 * ... or the generic dispatcher every SDEI event goes through: fentry only,
 * as it is NOKPROBE_SYMBOL (drivers/firmware/arm_sdei.c), so a kprobe form
 * could never attach
 */
SEC("fentry/sdei_event_handler")
int BPF_PROG(fentry_sdei_event_handler, struct pt_regs *regs, void *arg)
{
	on_sdei_event(sdei_event_num(arg), regs);
	return 0;
}

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
	struct mask_walk m = { .bits = bits, .now = send_stamp(), .exclude = -1,
			       .kind = SW_IPI_CALL_FUNC };

	count_own(SW_CNT_IPI_SENT_MASK, mask_walk(&m));
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
