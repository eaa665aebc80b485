// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * logscan: turn kernel text logs into stop records.
 *
 * Speed comes from never looking at ordinary lines: the buffer is scanned
 * 32 bytes at a time for a pair of bytes of each rare keyword (GCC vector
 * extensions: SSE2 on x86_64, NEON on arm64), candidates are checked with
 * memcmp, and only a line holding a keyword is cut out (memrchr/memchr) and
 * parsed. Per-line state such as "the timestamp went backwards" is only
 * evaluated on those lines.
 *
 * The state machine follows arch/arm64/kernel/smp.c smp_send_stop(),
 * arch/x86/kernel/smp.c native_stop_other_cpus(), kernel/panic.c and
 * kernel/reboot.c of 6.12; docs/logscan.md lists the lines and inferences.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "legacy_v1.h"
#include "logscan.h"

#define MAX_LINE	4096		/* longer lines are skipped */
#define MAX_BLOCK	(64 * 1024)	/* journal export entry searched for its fields */
#define NS_PER_SEC	1000000000ULL

/* ---- keyword filter ---- */

struct needle {
	const char *s;
	unsigned char len;
};

enum { N_SMP, N_SMP_UP, N_CPU, N_NMI, N_KERNEL, N_SW, N_REBOOT, N_LINUX, N_CRASHDUMP, N_BYE, N_COUNT };
#define IN(n)		(1u << (n))

/* Every line of interest holds one of these. The vector filter below must
 * accept each (first byte at 0 and one probe byte); keep the two in sync. */
static const struct needle needles[N_COUNT] = {
	[N_SMP] = { "SMP: ", 5 },		/* S..: arm64 stop lines, SMP: Total of */
	[N_SMP_UP] = { "smp: Brought up", 15 },	/* s..: */
	[N_CPU] = { "CPU: ", 5 },		/* C..: dump_stack header */
	[N_NMI] = { "cpus with NMI", 13 },	/* c.........N x86 */
	[N_KERNEL] = { "Kernel ", 7 },		/* K.....' ' panic, command line */
	[N_SW] = { "stopwatch:", 10 },		/* s........: BPF side's printk */
	[N_REBOOT] = { "reboot: ", 8 },		/* r.....: */
	[N_LINUX] = { "Linux version ", 14 },	/* L.....v */
	[N_CRASHDUMP] = { "crashdump kernel", 16 },	/* c.........k */
	[N_BYE] = { "Bye!", 4 },		/* B..! */
};
#define PROBE_SPAN	16	/* bytes past a block start a probe may read */

/* Bit k set at a byte that starts needles[k]: filled once (scan_init) from the table */
static unsigned short needle_starts[256];

static void needle_starts_init(void)
{
	for (int k = 0; k < N_COUNT; k++)
		needle_starts[(unsigned char)needles[k].s[0]] |= IN(k);
}

/* The needle starting at @p (its index), or -1 (none is a prefix of another) */
static int needle_at(const char *p, const char *end)
{
	for (unsigned int m = needle_starts[(unsigned char)*p]; m; m &= m - 1) {
		int k = __builtin_ctz(m);
		const struct needle *n = &needles[k];

		if ((size_t)(end - p) >= n->len && !memcmp(p, n->s, n->len))
			return k;
	}
	return -1;
}

/*
 * 32-byte blocks: two SSE2 or NEON registers, or one AVX2 register in the
 * x86_64 clone of scan_window that the CPU picks at load (target_clones).
 */
#define BLOCK		32
typedef unsigned char vbu __attribute__((vector_size(BLOCK)));
typedef signed char vbs __attribute__((vector_size(BLOCK)));

/*
 * One block: nonzero bytes of @w mark positions that may start a needle.
 * The vectors stay inside (no 32-byte vector is passed or returned, which
 * would change the ABI without AVX: clang refuses it).
 */
static inline __attribute__((always_inline)) void block_marks(const char *p, __u64 w[BLOCK / 8])
{
	vbu a0, a3, a6, a9, a10;
	vbs m;

	memcpy(&a0, p, BLOCK);
	memcpy(&a3, p + 3, BLOCK);
	memcpy(&a6, p + 6, BLOCK);
	memcpy(&a9, p + 9, BLOCK);
	memcpy(&a10, p + 10, BLOCK);

	m = (a3 == ':') & ((a0 == 'S') | (a0 == 's') | (a0 == 'C'));
	m |= (a10 == 'N') & (a0 == 'c');
	m |= (a10 == 'k') & (a0 == 'c');
	m |= (a6 == ' ') & (a0 == 'K');
	m |= (a9 == ':') & (a0 == 's');
	m |= (a6 == ':') & (a0 == 'r');
	m |= (a6 == 'v') & (a0 == 'L');
	m |= (a3 == '!') & (a0 == 'B');
	memcpy(w, &m, BLOCK);
}

/*
 * The needles @line holds from @from on, as bits IN(N_...), in one pass, so
 * that classify looks only for the phrases of these (each line went through
 * a dozen strstr calls). Byte by byte: what is left of a line is short, and
 * the 32-byte blocks of scan_window are only quick where AVX2 is.
 */
static unsigned int needles_in(const char *line, size_t from, size_t n)
{
	unsigned int in = 0;

	for (size_t i = from; i < n; i++)
		if (needle_starts[(unsigned char)line[i]] & ~in) {
			int k = needle_at(line + i, line + n);

			if (k >= 0)
				in |= IN(k);
		}
	return in;
}

/* ---- per-host state ---- */

enum {
	F_BY_PANIC = 1 << 0,
	F_BY_REBOOT = 1 << 1,
	F_STOPPING = 1 << 2,	/* "SMP: stopping secondary CPUs" seen */
	F_NMI = 1 << 3,		/* NMI rung fired */
	F_NMI_KNOWN = 1 << 4,	/* ... with a printed target list (release 1's form only) */
	F_SDEI = 1 << 5,
	F_SDEI_KNOWN = 1 << 6,	/* (release 1's form only) */
	F_FAILED = 1 << 7,
	F_INIT_GUESS = 1 << 8,	/* initiator not from a caller id */
	F_HDR_AFTER = 1 << 9,	/* a dump_stack header followed the panic line */
	F_CRASHDUMP = 1 << 10,	/* "Starting crashdump kernel..." */
	F_FIRED_IPI = 1 << 11,	/* stop IPI implied (ladder started) */
	F_X86_CRASH = 1 << 12,	/* kdump on x86: NMIs straight away */
};

/* A CPU's own line from the BPF side (stopwatch: cpu=N ...). */
struct sw_ent {
	__u64 t;
	__u16 cpu;
	__u8 rung, irqs;
};

/*
 * A stop being read, compact: a full struct sw_stop_record (4 kB of per-CPU
 * slots) is only built when the stop is emitted, so thousands of hosts in
 * one syslog file cost little.
 */
struct stop_acc {
	/* printk ns of the lines; 0 = the line had no timestamp (time unknown) */
	__u64 t_start, t_end, t_fire[SW_FIRE_RUNGS];
	__u8 fired;			/* bit i: rung i + 1 fired */
	bool ended;			/* the stop function returned (t_end's line seen) */
	/* printed lists, allocated when seen (most stops print none): NULL = not printed */
	struct sw_cpuset *target[SW_FIRE_RUNGS];
	struct sw_cpuset *failed;	/* "failed to stop" list */
	__u32 kind, initiator, state, flags;
	struct sw_ent *ents;
	__u32 nents, cap;
	/* of its boot, copied when the stop is closed */
	__u64 seq;
	__u32 nr_online;		/* CPUs 0..nr_online-1 online, 0 = unknown */
	char boot_id[37];
	__s64 m2r;
};

struct host_state {
	char host[SW_HOST_MAX];
	char boot_id[37];
	__s64 m2r;			/* mono_to_real_ns of this boot, 0 = unknown */
	__u64 last_ts;
	bool have_last;
	__u64 seq;			/* records numbered in this boot */
	unsigned int nr_online;		/* from "smp: Brought up", 0 = not seen */
	bool panic;
	int panic_cpu;
	int last_hdr_cpu;
	/* the stop being read */
	bool active;
	struct stop_acc cur;
	/* the last stop of the previous boot, held until the next boot's command
	 * line tells whether it is a kdump capture kernel */
	bool have_prev;
	struct stop_acc prev;
};

struct scan {
	const char *buf;		/* the window of input in memory */
	size_t len;
	bool at_start;			/* buf[0] is the input's first byte */
	bool in_long_line;		/* the window ended inside a line being skipped */
	unsigned long skipped;		/* lines with a keyword, too long or holding NUL */
	char def_host[SW_HOST_MAX];
	sw_logscan_emit_fn emit;
	void *ctx;
	int emitted;
	int err;
	struct sw_v1_stop_record legacy;	/* scratch: release 1's form of the record (state keys) */
	struct host_state **hosts;	/* first-seen order */
	size_t nhosts, cap;
	int *index;			/* open addressing, -1 = empty */
	size_t index_cap;
};

/* A host name as the log has it (the JSON writer escapes it); cut at a NUL or the size. */
static void copy_name(char *dst, size_t size, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < size && src[i]; i++)
		dst[o++] = src[i];
	dst[o] = '\0';
}

static __u64 hash_name(const char *s)
{
	__u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void host_reset_boot(struct host_state *h)
{
	h->boot_id[0] = '\0';
	h->m2r = 0;
	h->have_last = false;
	h->last_ts = 0;
	h->seq = 0;
	h->nr_online = 0;
	h->panic = false;
	h->panic_cpu = -1;
	h->last_hdr_cpu = -1;
}

static struct host_state *host_get(struct scan *s, const char *name)
{
	struct host_state *h;
	size_t mask, i;

	if (s->index_cap) {
		mask = s->index_cap - 1;
		for (i = hash_name(name) & mask; s->index[i] >= 0; i = (i + 1) & mask)
			if (!strcmp(s->hosts[s->index[i]]->host, name))
				return s->hosts[s->index[i]];
	}
	if (s->nhosts == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct host_state **n = realloc(s->hosts, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->hosts = n;
		s->cap = cap;
	}
	if ((s->nhosts + 1) * 2 > s->index_cap) {
		size_t cap = s->index_cap ? s->index_cap * 2 : 16;
		int *n = malloc(cap * sizeof(*n));

		if (!n)
			return NULL;
		memset(n, 0xff, cap * sizeof(*n));
		for (size_t k = 0; k < s->nhosts; k++) {
			for (i = hash_name(s->hosts[k]->host) & (cap - 1); n[i] >= 0; i = (i + 1) & (cap - 1))
				;
			n[i] = k;
		}
		free(s->index);
		s->index = n;
		s->index_cap = cap;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	snprintf(h->host, sizeof(h->host), "%s", name);
	host_reset_boot(h);
	mask = s->index_cap - 1;
	for (i = hash_name(name) & mask; s->index[i] >= 0; i = (i + 1) & mask)
		;
	s->index[i] = s->nhosts;
	s->hosts[s->nhosts++] = h;
	return h;
}

/* ---- records ---- */

static void acc_release(struct stop_acc *a)
{
	free(a->ents);
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		free(a->target[i]);
	free(a->failed);
	memset(a, 0, sizeof(*a));
}

/* Keep a printed list: 0 or -ENOMEM. */
static int keep_set(struct sw_cpuset **dst, const struct sw_cpuset *src)
{
	if (!*dst && !(*dst = malloc(sizeof(**dst))))
		return -ENOMEM;
	**dst = *src;
	return 0;
}

static bool fired(const struct stop_acc *a, int i)
{
	return a->fired & (1u << i);
}

static bool in_set(const struct sw_cpuset *s, unsigned int c)
{
	return s && sw_cpuset_test(s, c);
}

static struct sw_time line_time(__u64 ts)
{
	return ts ? sw_time_exact(ts) : (struct sw_time){};
}

/* CPUs the record covers: every CPU any line named, and the boot's online count. */
static unsigned int acc_cpus(const struct stop_acc *a)
{
	int top = a->initiator;

	for (__u32 i = 0; i < a->nents; i++)
		if (a->ents[i].cpu > top)
			top = a->ents[i].cpu;
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		if (a->target[i] && sw_cpuset_last(a->target[i]) > top)
			top = sw_cpuset_last(a->target[i]);
	if (a->failed && sw_cpuset_last(a->failed) > top)
		top = sw_cpuset_last(a->failed);
	if (a->nr_online > (unsigned int)(top + 1))
		top = a->nr_online - 1;
	return top + 1;
}

/*
 * A CPU the log does not name on its own: which rung stopped it, and the
 * window in which it went offline. It stopped on the highest rung whose
 * printed list names it (the IPI goes to every CPU), unless a later rung
 * fired with no list: then its rung is unknown. It was offline by the fire
 * of the first later rung whose list leaves it out, else by the failure
 * line (it is not in the failed list), else by the stop's end if printed.
 */
static void infer_cpu(const struct stop_acc *a, unsigned int c, struct sw_stop_cpu *sc)
{
	int rung = 0;		/* index of the rung that stopped it */
	bool unknown = false;
	__u64 after, by = 0;

	if (a->flags & F_X86_CRASH) {
		/* nmi_shootdown_cpus(): NMIs at once, no later line */
		sc->rung = SW_RUNG_NMI;
		sc->at = a->t_fire[1] ? sw_time_after(a->t_fire[1]) : (struct sw_time){};
		return;
	}
	for (int i = 1; i < SW_FIRE_RUNGS; i++) {
		if (!fired(a, i))
			continue;
		if (!a->target[i])
			unknown = true;
		else if (sw_cpuset_test(a->target[i], c))
			rung = i, unknown = false;
	}
	after = a->t_fire[unknown ? 0 : rung] ? a->t_fire[unknown ? 0 : rung] : a->t_start;
	for (int i = rung + 1; i < SW_FIRE_RUNGS && !by; i++)
		if (fired(a, i) && a->target[i] && !sw_cpuset_test(a->target[i], c))
			by = a->t_fire[i];
	if (!by && a->ended)
		by = a->t_end;	/* the failure line or the end of the panic */
	sc->rung = unknown ? SW_RUNG_UNKNOWN : rung + 1;
	if (!after || (!by && (a->flags & F_FAILED) && !a->failed))
		sc->at = (struct sw_time){};	/* untimed, or the failure names no CPUs */
	else
		sc->at = by ? sw_time_window(after, by) : sw_time_after(after);
}

/*
 * The record. The log says which rungs fired, to which CPUs, and which CPUs
 * were left; every other CPU the stop had to reach is inferred (infer_cpu).
 * Times are printk times: the line that opened the stop is its start.
 */
static struct sw_stop *materialize(const struct stop_acc *a, const struct sw_record_meta *m)
{
	struct sw_stop *r = sw_stop_new(acc_cpus(a));
	struct sw_cpuset expected;

	if (!r)
		return NULL;
	r->meta = *m;
	r->seq = a->seq;
	r->kind = a->kind;
	r->initiator = a->initiator;
	r->state = a->state;
	r->start = line_time(a->t_start);
	r->end = a->ended ? line_time(a->t_end) : (struct sw_time){};
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		r->rung[i].fired = fired(a, i);
		r->rung[i].t = fired(a, i) ? line_time(a->t_fire[i]) : (struct sw_time){};
		r->rung[i].targets_known = a->target[i] != NULL;
		if (a->target[i])
			r->rung[i].targets = *a->target[i];
	}
	/* the IPI of a stop no "SMP: stopping" line opened: sent after the line that did */
	if (fired(a, 0) && !(a->flags & F_STOPPING) && a->t_fire[0])
		r->rung[0].t = sw_time_after(a->t_fire[0]);
	r->online_known = a->nr_online > 0;
	for (unsigned int c = 0; c < a->nr_online; c++)
		sw_cpuset_set(&r->online, c);
	r->failed_known = a->failed != NULL;
	if (a->failed)
		r->failed = *a->failed;
	for (__u32 i = 0; i < a->nents; i++) {
		struct sw_stop_cpu *cs = &r->cpu[a->ents[i].cpu];

		cs->rung = a->ents[i].rung;
		cs->at = line_time(a->ents[i].t);	/* the BPF side's own clock reading */
		cs->irqs = a->ents[i].irqs;
	}
	sw_stop_expected(r, &expected);
	for (unsigned int c = 0; c < r->nr_cpus; c++)
		if (c != r->initiator && sw_cpuset_test(&expected, c) &&
		    r->cpu[c].rung == SW_RUNG_NONE && !in_set(a->failed, c))
			infer_cpu(a, c, &r->cpu[c]);
	return r;
}

/* ---- release 1's form of a log record: only for its state key (state.c) ---- */

static void v1_set(__u64 *mask, unsigned int cpu)
{
	if (cpu < SW_V1_MAX_CPUS)
		mask[cpu / 64] |= 1ULL << (cpu % 64);
}

static bool v1_test(const __u64 *mask, unsigned int cpu)
{
	return cpu < SW_V1_MAX_CPUS && (mask[cpu / 64] >> (cpu % 64)) & 1;
}

/* A list release 1 read: it refused lists naming a CPU past its 256. */
static bool v1_list(const struct sw_cpuset *s, __u64 *mask)
{
	if (!s || sw_cpuset_last(s) >= SW_V1_MAX_CPUS)
		return false;
	memcpy(mask, s->w, SW_V1_MASK_WORDS * sizeof(__u64));
	return true;
}

static __u64 v1_time(bool happened, __u64 ts)
{
	return happened ? (ts ? ts : 1) : 0;	/* release 1 marked "untimed" as 1 ns */
}

/* Release 1's materialize(), kept as it was: its bytes were the key. */
static void legacy_v1(const struct stop_acc *a, struct sw_v1_stop_record *r)
{
	__u64 all[SW_V1_MASK_WORDS] = {}, expected[SW_V1_MASK_WORDS], failed[SW_V1_MASK_WORDS] = {};
	unsigned int f = a->flags & ~(F_NMI_KNOWN | F_SDEI_KNOWN);
	int top;

	memset(r, 0, sizeof(*r));
	if (v1_list(a->target[1], r->target[1]))
		f |= F_NMI_KNOWN;
	if (v1_list(a->target[2], r->target[2]))
		f |= F_SDEI_KNOWN;
	v1_list(a->failed, failed);
	r->seq = a->seq;
	r->kind = a->kind;
	r->initiator = a->initiator;
	r->state = a->state;
	r->t_start = a->t_start;
	r->t_end = v1_time(a->ended, a->t_end);
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		r->t_fire[i] = v1_time(fired(a, i), a->t_fire[i]);
	if (a->nr_online <= SW_V1_MAX_CPUS)
		for (unsigned int c = 0; c < a->nr_online; c++)
			v1_set(r->online, c);
	for (__u32 i = 0; i < a->nents; i++) {
		struct sw_v1_cpu_stop *cs;

		if (a->ents[i].cpu >= SW_V1_MAX_CPUS)
			continue;
		cs = &r->cpu[a->ents[i].cpu];
		cs->rung = a->ents[i].rung;
		cs->t_handler = a->ents[i].t;
		cs->irqs = a->ents[i].irqs;
		v1_set(all, a->ents[i].cpu);
	}
	for (int w = 0; w < SW_V1_MASK_WORDS; w++) {
		all[w] |= r->online[w] | failed[w];
		for (int i = 0; i < SW_FIRE_RUNGS; i++)
			all[w] |= r->target[i][w];
	}
	for (top = SW_V1_MAX_CPUS - 1; top >= 0 && !v1_test(all, top); top--)
		;
	if ((int)r->initiator > top)
		top = r->initiator;
	if (a->nr_online <= SW_V1_MAX_CPUS && a->nr_online > (unsigned int)(top + 1))
		top = a->nr_online - 1;
	r->nr_cpus = top + 1;
	for (int w = 0; w < SW_V1_MASK_WORDS; w++)
		expected[w] = r->online[w] | r->target[0][w] | r->target[1][w] | r->target[2][w];
	for (unsigned int c = 0; c < r->nr_cpus && c < SW_V1_MAX_CPUS; c++) {
		struct sw_v1_cpu_stop *cs = &r->cpu[c];
		__u64 t;

		if (c == r->initiator || !v1_test(expected, c) || cs->rung != SW_RUNG_NONE ||
		    v1_test(failed, c))
			continue;
		if (f & F_X86_CRASH) {
			cs->rung = SW_RUNG_NMI;
			t = r->t_fire[1];
		} else if ((f & F_SDEI) && v1_test(r->target[2], c)) {
			cs->rung = SW_RUNG_SDEI;
			t = (f & F_FAILED) ? r->t_end : r->t_fire[2];
		} else if ((f & F_NMI) && v1_test(r->target[1], c)) {
			cs->rung = SW_RUNG_NMI;
			t = (f & F_SDEI) ? r->t_fire[2] : (f & F_FAILED) ? r->t_end : r->t_fire[1];
		} else {
			cs->rung = SW_RUNG_IPI;
			t = (f & F_NMI_KNOWN) ? r->t_fire[1] : (f & F_SDEI_KNOWN) ? r->t_fire[2] :
			    (f & F_FAILED) ? r->t_end : r->t_fire[0] ? r->t_fire[0] : r->t_start;
		}
		cs->t_handler = t;
	}
}

static void emit_acc(struct scan *s, const struct host_state *h, struct stop_acc *a)
{
	struct sw_record_meta m = { .source = SW_SRC_LOG, .exact = false };
	struct sw_stop *r;

	snprintf(m.boot_id, sizeof(m.boot_id), "%s", a->boot_id);
	snprintf(m.host, sizeof(m.host), "%s", h->host);
	m.mono_to_real_ns = a->m2r;
	r = materialize(a, &m);
	if (!r) {
		s->err = -ENOMEM;
	} else {
		legacy_v1(a, &s->legacy);
		r->legacy_v1 = &s->legacy;
		s->emitted++;
		if (s->emit)
			s->emit(s->ctx, r);
		sw_stop_free(r);
	}
	acc_release(a);
}

static void flush_prev(struct scan *s, struct host_state *h)
{
	if (h->have_prev) {
		h->have_prev = false;
		emit_acc(s, h, &h->prev);
	}
}

/* The stop is over as far as its boot goes: take the boot's facts along. */
static void close_cur(struct host_state *h)
{
	struct stop_acc *a = &h->cur;

	a->seq = ++h->seq;
	a->nr_online = h->nr_online;
	memcpy(a->boot_id, h->boot_id, sizeof(a->boot_id));
	a->m2r = h->m2r;
	h->active = false;
}

static void close_active(struct scan *s, struct host_state *h)
{
	if (!h->active)
		return;
	close_cur(h);
	emit_acc(s, h, &h->cur);
}

static void new_boot(struct scan *s, struct host_state *h)
{
	flush_prev(s, h);
	if (h->active) {
		close_cur(h);
		h->prev = h->cur;	/* takes ents and lists along */
		memset(&h->cur, 0, sizeof(h->cur));
		h->have_prev = true;
	}
	host_reset_boot(h);
}

static void open_rec(struct scan *s, struct host_state *h, unsigned int kind, __u64 ts,
		     unsigned int flags, int caller)
{
	struct stop_acc *a = &h->cur;

	close_active(s, h);
	acc_release(a);
	h->active = true;
	a->flags = flags;
	a->kind = kind;
	a->state = SW_REC_RUNNING;
	a->t_start = ts;
	if (flags & F_FIRED_IPI) {
		a->fired |= 1;
		a->t_fire[0] = ts;
	}
	if (caller >= 0) {
		a->initiator = caller;
	} else if (kind == SW_KIND_PANIC && h->panic_cpu >= 0) {
		a->initiator = h->panic_cpu;
		a->flags |= F_INIT_GUESS;
	} else {
		a->initiator = 0;	/* reboot_cpu, the default */
		a->flags |= F_INIT_GUESS;
	}
}

static int add_ent(struct stop_acc *a, unsigned int cpu, unsigned int rung, unsigned int irqs,
		   __u64 t)
{
	__u32 i;

	for (i = 0; i < a->nents && a->ents[i].cpu != cpu; i++)
		;
	if (i == a->nents) {
		if (a->nents == a->cap) {
			__u32 cap = a->cap ? a->cap * 2 : 4;
			struct sw_ent *n = realloc(a->ents, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			a->ents = n;
			a->cap = cap;
		}
		a->nents++;
	}
	a->ents[i] = (struct sw_ent){ .t = t, .cpu = cpu, .rung = rung, .irqs = irqs };
	return 0;
}

/* ---- line parsing ---- */

enum ev {
	EV_NONE = 0,
	EV_BOOT,	/* Linux version */
	EV_SMP_UP,	/* smp: Brought up / SMP: Total of: arg = CPUs */
	EV_STOPPING,
	EV_RETRY_NMI,	/* list */
	EV_RETRY_SDEI,	/* list */
	EV_FAILED,	/* list */
	EV_X86_NMI,
	EV_PANIC,
	EV_PANIC_END,
	EV_REBOOT,
	EV_CRASHDUMP,
	EV_BYE,
	EV_CMDLINE,	/* arg = 1 when a kdump capture kernel */
	EV_CPU_HDR,	/* arg = cpu */
	EV_SW,		/* stopwatch: cpu=N rung=NAME t=NS */
};

struct line_ev {
	enum ev ev;
	const char *at;		/* where the keyword starts in the line */
	long arg;
	bool list_ok;
	struct sw_cpuset mask;
	/* EV_SW */
	unsigned int sw_cpu, sw_rung, sw_irqs;
	__u64 sw_t;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits at *p (at most 19); false when none. */
static bool parse_u64(const char **pp, __u64 *out)
{
	const char *p = *pp;
	__u64 v = 0;
	int n = 0;

	while (is_digit(*p) && n < 19) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (!n || is_digit(*p))
		return false;
	*out = v;
	*pp = p;
	return true;
}

/* A %*pbl cpulist token at p. */
static bool parse_list(const char *p, struct sw_cpuset *mask)
{
	char tok[1024];
	size_t n = 0;

	while (*p == ' ')
		p++;
	while ((is_digit(*p) || *p == ',' || *p == '-') && n + 1 < sizeof(tok))
		tok[n++] = *p++;
	tok[n] = '\0';
	if (!n)
		return false;
	if (sw_cpuset_parse(tok, mask))
		return false;
	return true;
}

static const char *after(const char *s, const char *pfx)
{
	size_t n = strlen(pfx);

	return strncmp(s, pfx, n) ? NULL : s + n;
}

static void parse_sw(const char *p, struct line_ev *e)
{
	bool have_cpu = false, have_rung = false;

	e->sw_t = 0;
	e->sw_irqs = SW_IRQS_UNKNOWN;
	while (*p) {
		const char *v;
		__u64 x;

		while (*p == ' ' || *p == '\t')
			p++;
		if ((v = after(p, "cpu=")) && parse_u64(&v, &x)) {
			if (x < SW_CPUS_MAX) {
				e->sw_cpu = x;
				have_cpu = true;
			}
		} else if ((v = after(p, "rung="))) {
			char name[8];
			size_t n = 0;
			int r;

			while (v[n] && v[n] != ' ' && v[n] != '\t' && n < sizeof(name) - 1) {
				name[n] = v[n];
				n++;
			}
			name[n] = '\0';
			r = sw_rung_parse(name);
			if (r >= 0) {
				e->sw_rung = r;
				have_rung = true;
			}
		} else if ((v = after(p, "t=")) && parse_u64(&v, &x)) {
			e->sw_t = x;
		} else if ((v = after(p, "irqs="))) {
			if (after(v, "masked"))
				e->sw_irqs = SW_IRQS_MASKED;
			else if (after(v, "enabled"))
				e->sw_irqs = SW_IRQS_ENABLED;
		}
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (have_cpu && have_rung)
		e->ev = EV_SW;
}

/*
 * What the line says; e->at points at the keyword. @in: the needles it
 * holds (needles_in); each phrase below holds one, so a line without it
 * cannot hold the phrase.
 */
static void classify(const char *line, unsigned int in, struct line_ev *e)
{
	const char *p, *q;
	__u64 x, y;

	memset(e, 0, sizeof(*e));
	if ((in & IN(N_SMP)) && (p = strstr(line, "SMP: "))) {
		e->at = p;
		p += 5;
		if (after(p, "stopping secondary CPUs")) {
			e->ev = EV_STOPPING;
		} else if ((q = after(p, "retry stop with "))) {
			if ((p = after(q, "NMI for CPUs "))) {
				e->ev = EV_RETRY_NMI;
				e->list_ok = parse_list(p, &e->mask);
			} else if (after(q, "SDEI") && (p = strstr(q, " for CPUs "))) {
				e->ev = EV_RETRY_SDEI;
				e->list_ok = parse_list(p + 10, &e->mask);
			}
		} else if ((q = after(p, "failed to stop secondary CPUs"))) {
			e->ev = EV_FAILED;
			e->list_ok = parse_list(q, &e->mask);
		} else if ((q = after(p, "Total of ")) && parse_u64(&q, &x) &&
			   after(q, " processors activated")) {
			e->ev = EV_SMP_UP;
			e->arg = x;
		}
		if (e->ev)
			return;
	}
	if ((in & IN(N_SMP_UP)) && (p = strstr(line, "smp: Brought up "))) {
		/* "smp: Brought up %d node%s, %d CPU%s" */
		q = p + 16;
		if (parse_u64(&q, &x) && (q = strstr(q, ", ")) && (q += 2, parse_u64(&q, &y)) &&
		    after(q, " CPU")) {
			e->ev = EV_SMP_UP;
			e->at = p;
			e->arg = y;
			return;
		}
	}
	if ((in & IN(N_SW)) && (p = strstr(line, "stopwatch: "))) {
		e->at = p;
		parse_sw(p + 11, e);
		if (e->ev)
			return;
	}
	if ((in & IN(N_NMI)) && (p = strstr(line, "Shutting down cpus with NMI"))) {
		e->ev = EV_X86_NMI;
		e->at = p;
		return;
	}
	if ((in & IN(N_KERNEL)) && (p = strstr(line, "Kernel panic - not syncing"))) {
		e->at = p;
		e->ev = (p - line >= 6 && !memcmp(p - 6, "[ end ", 6)) ? EV_PANIC_END : EV_PANIC;
		return;
	}
	if ((in & IN(N_KERNEL)) && (p = strstr(line, "Kernel command line:"))) {
		e->ev = EV_CMDLINE;
		e->at = p;
		e->arg = strstr(p, "elfcorehdr=") != NULL;
		return;
	}
	if ((in & IN(N_REBOOT)) && (p = strstr(line, "reboot: "))) {
		q = p + 8;
		if (after(q, "Restarting system") || after(q, "Power down") ||
		    after(q, "System halted") || after(q, "Power off not available") ||
		    after(q, "machine restart")) {
			e->ev = EV_REBOOT;
			e->at = p;
			return;
		}
	}
	if ((in & IN(N_CRASHDUMP)) && (p = strstr(line, "Starting crashdump kernel"))) {
		e->ev = EV_CRASHDUMP;
		e->at = p;
		return;
	}
	if ((in & IN(N_LINUX)) && (p = strstr(line, "Linux version ")) && is_digit(p[14])) {
		e->ev = EV_BOOT;
		e->at = p;
		return;
	}
	if ((in & IN(N_BYE)) && (p = strstr(line, "Bye!")) && (!p[4] || p[4] == ' ')) {
		e->ev = EV_BYE;
		e->at = p;
		return;
	}
	for (p = line; (in & IN(N_CPU)) && (p = strstr(p, "CPU: ")); p += 5) {
		q = p + 5;
		if (parse_u64(&q, &x) && x < SW_CPUS_MAX && (after(q, " UID: ") || after(q, " PID: "))) {
			e->ev = EV_CPU_HDR;
			e->at = p;
			e->arg = x;
			return;
		}
	}
}

struct prefix {
	bool have_ts;
	__u64 ts;
	int caller;		/* CPU from a printk caller id [ C3], -1 = none */
	const char *host;	/* in the line, not NUL terminated */
	size_t host_len;
	bool reject;		/* a syslog line of another program */
};

/* "[   12.345678]" at p: seconds and fraction to ns. */
static bool parse_ts_bracket(const char *p, __u64 *ts, const char **end)
{
	__u64 sec, frac = 0;
	int nf = 0;

	if (*p++ != '[')
		return false;
	while (*p == ' ')
		p++;
	if (!parse_u64(&p, &sec) || *p++ != '.' || sec > 100000000000ULL)
		return false;
	while (is_digit(*p)) {
		if (nf < 9) {
			frac = frac * 10 + (*p - '0');
			nf++;
		}
		p++;
	}
	if (!nf || *p != ']')
		return false;
	while (nf++ < 9)
		frac *= 10;
	*ts = sec * NS_PER_SEC + frac;
	*end = p + 1;
	return true;
}

static const char *const months[] = { "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ",
				      "Jul ", "Aug ", "Sep ", "Oct ", "Nov ", "Dec " };

/* Skip n space-separated tokens. */
static const char *skip_tokens(const char *p, int n)
{
	while (n--) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	return p;
}

static void parse_prefix(const char *line, const char *kw, struct prefix *px)
{
	const char *p = line, *q;
	__u64 a, b, c;

	memset(px, 0, sizeof(*px));
	px->caller = -1;
	if ((q = after(p, "MESSAGE=")))
		p = q;
	if (*p == '<') {
		q = p + 1;
		if (parse_u64(&q, &a) && *q == '>')
			p = q + 1;
	}
	/* /dev/kmsg and extended netconsole: "6,1234,12345678,-;msg" (usec) */
	q = p;
	if (parse_u64(&q, &a) && *q == ',' && (q++, parse_u64(&q, &b)) && *q == ',' &&
	    (q++, parse_u64(&q, &c)) && *q == ',' && (q = strchr(q, ';')) && q < kw) {
		px->have_ts = true;
		px->ts = c * 1000;
		return;
	}
	/* syslog: "Nov 21 13:04:18 host kernel: ..." or RFC 3339 "2024-11-21T13:04:18+00:00 host kernel: ..." */
	for (int i = 0; i < 12; i++) {
		if (!strncmp(p, months[i], 4)) {
			q = skip_tokens(p, 3);
			goto syslog;
		}
	}
	if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && p[4] == '-' &&
	    p[7] == '-' && p[10] == 'T') {
		q = skip_tokens(p, 1);
		goto syslog;
	}
	goto brackets;
syslog:
	{
		const char *h = q, *t = skip_tokens(q, 1);

		if (t >= kw || (strncmp(t, "kernel:", 7) && strncmp(t, "kernel[", 7))) {
			px->reject = true;
			return;
		}
		px->host = h;
		px->host_len = strcspn(h, " ");
		p = t;
	}
brackets:
	/* first printk timestamp before the keyword, then an optional caller id */
	for (q = p; (q = strchr(q, '[')) && q < kw; q++) {
		const char *end;

		if (!parse_ts_bracket(q, &px->ts, &end))
			continue;
		px->have_ts = true;
		if (*end == '[') {
			const char *r = end + 1;

			while (*r == ' ')
				r++;
			if (*r == 'C' && (r++, parse_u64(&r, &a)) && *r == ']' && a < SW_CPUS_MAX)
				px->caller = a;
		}
		/* journalctl -o short-monotonic: "[   12.345678] host kernel: msg" */
		if (!px->host) {
			const char *h = skip_tokens(end, 0), *t = skip_tokens(h, 1);

			if (h < kw && t < kw && !strncmp(t, "kernel: ", 8)) {
				px->host = h;
				px->host_len = strcspn(h, " ");
			}
		}
		break;
	}
}

/* A field "NAME=value\n" inside a journal export entry [lo, hi). */
static const char *block_field(const char *lo, const char *hi, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *p = lo;

	while (p < hi) {
		const char *nl = memchr(p, '\n', hi - p);
		const char *e = nl ? nl : hi;

		if ((size_t)(e - p) > n && !memcmp(p, name, n)) {
			*vlen = e - p - n;
			return p + n;
		}
		p = e + 1;
	}
	return NULL;
}

static bool field_u64(const char *v, size_t n, __u64 *out)
{
	char tmp[24];
	const char *p = tmp;

	if (!v || !n || n >= sizeof(tmp))
		return false;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	return parse_u64(&p, out) && !*p;
}

struct journal {
	bool valid;
	bool not_kernel;
	const char *host;
	size_t host_len;
	char boot_id[37];
	bool have_ts;
	__u64 ts;
	__s64 m2r;
};

/* The export entry around line [ls, le): blank lines separate entries. */
static void journal_fields(const struct scan *s, const char *ls, const char *le, struct journal *j)
{
	const char *lo = ls, *hi = le, *stop, *v;
	size_t n;
	__u64 mono, real;

	memset(j, 0, sizeof(*j));
	stop = ls - s->buf > MAX_BLOCK ? ls - MAX_BLOCK : s->buf;
	while (lo > stop && !(lo - s->buf >= 2 && lo[-1] == '\n' && lo[-2] == '\n')) {
		const char *nl = lo - 1 > stop ? memrchr(stop, '\n', lo - 1 - stop) : NULL;

		lo = nl ? nl + 1 : stop;
	}
	stop = (size_t)(s->buf + s->len - le) > MAX_BLOCK ? le + MAX_BLOCK : s->buf + s->len;
	while (hi < stop && !(hi + 1 < stop && hi[1] == '\n')) {
		const char *nl = hi + 1 < stop ? memchr(hi + 1, '\n', stop - hi - 1) : NULL;

		hi = nl ? nl : stop;
	}
	j->valid = true;
	if ((v = block_field(lo, hi, "_TRANSPORT=", &n)) && !(n == 6 && !memcmp(v, "kernel", 6)))
		j->not_kernel = true;
	if ((v = block_field(lo, hi, "_HOSTNAME=", &n))) {
		j->host = v;
		j->host_len = n;
	}
	if ((v = block_field(lo, hi, "_BOOT_ID=", &n)) && n == 32) {
		int o = 0;

		for (int i = 0; i < 32; i++) {
			char c = v[i];

			if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) {
				o = 0;
				break;
			}
			if (i == 8 || i == 12 || i == 16 || i == 20)
				j->boot_id[o++] = '-';
			j->boot_id[o++] = c;
		}
		j->boot_id[o] = '\0';
	}
	v = block_field(lo, hi, "_SOURCE_MONOTONIC_TIMESTAMP=", &n);
	if (!field_u64(v, n, &mono)) {
		v = block_field(lo, hi, "__MONOTONIC_TIMESTAMP=", &n);
		if (!field_u64(v, n, &mono))
			return;
	}
	if (mono > UINT64_MAX / 1000)
		return;
	j->have_ts = true;
	j->ts = mono * 1000;
	v = block_field(lo, hi, "__REALTIME_TIMESTAMP=", &n);
	if (field_u64(v, n, &real) && real < UINT64_MAX / 1000)
		j->m2r = (__s64)(real * 1000 - j->ts);
}

/* ---- events ---- */

static bool ladder_seen(unsigned int f)
{
	return f & (F_STOPPING | F_NMI | F_SDEI | F_FAILED);
}

static void handle(struct scan *s, struct host_state *h, const struct line_ev *e,
		   const struct prefix *px)
{
	__u64 ts = px->have_ts ? px->ts : 0;
	unsigned int kind = h->panic ? SW_KIND_PANIC : SW_KIND_STOP;
	struct stop_acc *r = &h->cur;

	if (e->ev != EV_BOOT)
		flush_prev(s, h);
	switch (e->ev) {
	case EV_NONE:
		break;
	case EV_BOOT:
		break;		/* the caller started the boot */
	case EV_SMP_UP:
		if (e->arg > 0 && e->arg <= SW_CPUS_MAX)
			h->nr_online = e->arg;
		break;
	case EV_STOPPING:
		if (h->active && !ladder_seen(r->flags)) {
			/* joins the panic/reboot that led here: the stop function starts now */
			if (px->have_ts)
				r->t_start = ts;
			r->flags |= F_FIRED_IPI;
			r->fired |= 1;
			r->t_fire[0] = r->t_start;
			if (px->caller >= 0) {
				r->initiator = px->caller;
				r->flags &= ~F_INIT_GUESS;
			}
		} else {
			open_rec(s, h, kind, ts, F_FIRED_IPI, px->caller);
		}
		r->flags |= F_STOPPING;
		break;
	case EV_RETRY_NMI:
	case EV_X86_NMI:
		if (!h->active || (r->flags & (F_NMI | F_SDEI | F_FAILED)))
			open_rec(s, h, kind, ts, F_FIRED_IPI, px->caller);
		r->t_fire[1] = ts;
		r->fired |= 2;
		r->flags |= F_NMI;
		if (e->ev == EV_RETRY_NMI && e->list_ok && keep_set(&r->target[1], &e->mask))
			s->err = -ENOMEM;
		break;
	case EV_RETRY_SDEI:
		if (!h->active || (r->flags & (F_SDEI | F_FAILED)))
			open_rec(s, h, kind, ts, F_FIRED_IPI, px->caller);
		r->t_fire[2] = ts;
		r->fired |= 4;
		r->flags |= F_SDEI;
		if (e->list_ok && keep_set(&r->target[2], &e->mask))
			s->err = -ENOMEM;
		break;
	case EV_FAILED:
		if (!h->active || (r->flags & F_FAILED))
			open_rec(s, h, kind, ts, F_FIRED_IPI, px->caller);
		r->flags |= F_FAILED;
		if (e->list_ok && keep_set(&r->failed, &e->mask))
			s->err = -ENOMEM;
		r->state = SW_REC_DONE;
		r->ended = true;
		r->t_end = ts;
		break;
	case EV_PANIC:
		h->panic = true;
		h->panic_cpu = px->caller >= 0 ? px->caller : h->last_hdr_cpu;
		open_rec(s, h, SW_KIND_PANIC, ts, F_BY_PANIC | F_FIRED_IPI, px->caller);
		break;
	case EV_PANIC_END:
		if (h->active && r->state != SW_REC_DONE &&
		    (r->kind == SW_KIND_PANIC || r->kind == SW_KIND_CRASH)) {
			r->state = SW_REC_DONE;
			r->ended = true;
			r->t_end = ts;
		}
		break;
	case EV_REBOOT:
		if (h->active && ((r->flags & F_BY_REBOOT) || r->kind == SW_KIND_PANIC ||
				  r->kind == SW_KIND_CRASH) && !ladder_seen(r->flags))
			break;	/* x86 "reboot: machine restart" after "Restarting system" */
		open_rec(s, h, SW_KIND_STOP, ts, F_BY_REBOOT | F_FIRED_IPI, -1);
		break;
	case EV_CRASHDUMP:
		if (h->active) {
			r->kind = SW_KIND_CRASH;
			r->flags |= F_CRASHDUMP;
		}
		break;
	case EV_BYE:
		break;
	case EV_CMDLINE:
		break;		/* the caller checked it against the previous boot */
	case EV_CPU_HDR:
		h->last_hdr_cpu = e->arg;
		if (h->active && r->kind == SW_KIND_PANIC && (r->flags & F_INIT_GUESS) &&
		    !(r->flags & (F_HDR_AFTER | F_STOPPING))) {
			r->initiator = e->arg;
			r->flags |= F_HDR_AFTER;
		}
		break;
	case EV_SW:
		if (!h->active)
			open_rec(s, h, kind, e->sw_t, 0, -1);
		if (add_ent(r, e->sw_cpu, e->sw_rung, e->sw_irqs, e->sw_t))
			s->err = -ENOMEM;
		break;
	}
}

/* One line holding a keyword. */
/* The line [@ls, @le) whose first keyword scan_window found at @hit */
static void process_line(struct scan *s, const char *ls, const char *le, const char *hit)
{
	char line[MAX_LINE + 1];
	size_t n = le - ls;
	struct line_ev e;
	struct prefix px;
	struct journal j = {};
	struct host_state *h;
	char host[SW_HOST_MAX];

	if (n && ls[n - 1] == '\r')
		n--;
	if (n > MAX_LINE || memchr(ls, '\0', n)) {
		s->skipped++;
		return;
	}
	memcpy(line, ls, n);
	line[n] = '\0';
	classify(line, needles_in(line, hit - ls, n), &e);
	if (e.ev == EV_NONE)
		return;
	parse_prefix(line, e.at, &px);
	if (px.reject)
		return;
	if (!strncmp(line, "MESSAGE=", 8)) {
		journal_fields(s, ls, le, &j);
		if (j.not_kernel)
			return;
		if (j.have_ts && !px.have_ts) {
			px.have_ts = true;
			px.ts = j.ts;
		}
		if (j.host && !px.host) {
			px.host = j.host;
			px.host_len = j.host_len;
		}
	}
	if (px.host && px.host_len)
		copy_name(host, sizeof(host), px.host, px.host_len);
	else
		snprintf(host, sizeof(host), "%s", s->def_host);
	h = host_get(s, host);
	if (!h) {
		s->err = -ENOMEM;
		return;
	}
	/* boot boundaries: a new boot id, the banner, or time going backwards */
	if ((j.boot_id[0] && h->boot_id[0] && strcmp(j.boot_id, h->boot_id)) ||
	    e.ev == EV_BOOT ||
	    (px.have_ts && h->have_last && px.ts + NS_PER_SEC < h->last_ts))
		new_boot(s, h);
	if (j.boot_id[0])
		memcpy(h->boot_id, j.boot_id, sizeof(h->boot_id));
	if (j.m2r && !h->m2r)
		h->m2r = j.m2r;
	if (px.have_ts) {
		h->last_ts = px.ts;
		h->have_last = true;
	}
	if (e.ev == EV_CMDLINE && e.arg && h->have_prev && h->prev.kind == SW_KIND_PANIC) {
		/* this boot is the kdump capture kernel of the panic before it */
		struct stop_acc *p = &h->prev;

		p->kind = SW_KIND_CRASH;
		if (!(p->flags & (F_STOPPING | F_NMI | F_SDEI)) && fired(p, 0)) {
			/* no ladder lines: x86, where nmi_shootdown_cpus() sends NMIs at once */
			p->t_fire[1] = p->t_fire[0];
			p->t_fire[0] = 0;
			p->fired = (p->fired & ~1) | 2;
			p->flags |= F_X86_CRASH;
		}
	}
	handle(s, h, &e, &px);
}

/*
 * The line of a keyword at @hit: [*ls, *le). False when it is longer than
 * MAX_LINE (counted as skipped): then *le is its end if the window holds
 * it, else NULL.
 */
static bool line_at(struct scan *s, const char *hit, bool eof, const char **ls, const char **le)
{
	const char *buf = s->buf, *end = buf + s->len;
	const char *lo = hit - buf > MAX_LINE ? hit - MAX_LINE : buf;
	size_t fwd = (size_t)(end - hit) <= MAX_LINE ? (size_t)(end - hit) : MAX_LINE + 1;

	*ls = memrchr(lo, '\n', hit - lo);
	if (*ls)
		(*ls)++;
	else if (lo == buf && s->at_start)
		*ls = buf;
	*le = memchr(hit, '\n', fwd);
	if (!*le && eof && fwd == (size_t)(end - hit))
		*le = end;
	if (*ls && *le)
		return true;
	s->skipped++;
	if (!*le)
		*le = memchr(hit, '\n', end - hit);
	return false;
}

/*
 * Scan the window s->buf from @from for keywords and handle their lines.
 * Unless @eof, stops short of the window's end by what a line and its
 * journal entry may need (they wait for the next window). Returns where it
 * stopped.
 */
#define WINDOW_TAIL	(MAX_LINE + MAX_BLOCK + BLOCK + PROBE_SPAN + 2)
#ifdef __x86_64__
__attribute__((target_clones("avx2", "default")))
#endif
static size_t scan_window(struct scan *s, size_t from, bool eof)
{
	const char *buf = s->buf, *p = buf + from, *end = buf + s->len;
	const char *limit = eof ? end : s->len > WINDOW_TAIL ? end - WINDOW_TAIL : buf;

	if (s->in_long_line) {
		const char *nl = memchr(p, '\n', end - p);

		if (!nl)
			return s->len;
		s->in_long_line = false;
		p = nl + 1;
	}
	while (p < limit && !s->err) {
		const char *hit = NULL, *ls, *le;

		/* most of a log holds no keyword: skip two blocks at a time, one test for both */
		while (limit - p >= 2 * BLOCK && end - p >= 2 * BLOCK + PROBE_SPAN) {
			__u64 a[BLOCK / 8], b[BLOCK / 8];

			block_marks(p, a);
			block_marks(p + BLOCK, b);
			if ((a[0] | b[0]) | (a[1] | b[1]) | (a[2] | b[2]) | (a[3] | b[3]))
				break;
			p += 2 * BLOCK;
		}
		if (end - p >= BLOCK + PROBE_SPAN) {
			__u64 w[BLOCK / 8];

			block_marks(p, w);
			if (!(w[0] | w[1] | w[2] | w[3])) {
				p += BLOCK;
				continue;
			}
			/* only the marked bytes (0xff each), lowest first */
			for (int i = 0; i < BLOCK / 8 && !hit; i++)
				for (__u64 x = w[i]; x && !hit;) {
					int bit = __builtin_ctzll(x);

					if (needle_at(p + i * 8 + bit / 8, end) >= 0)
						hit = p + i * 8 + bit / 8;
					x &= ~(0xffULL << bit);
				}
			if (!hit) {
				p += BLOCK;
				continue;
			}
		} else {
			if (needle_at(p, end) < 0) {
				p++;
				continue;
			}
			hit = p;
		}
		if (line_at(s, hit, eof, &ls, &le))
			process_line(s, ls, le, hit);
		if (!le) {
			/* a line too long to read, past this window: skip to its end */
			s->in_long_line = !eof;
			return s->len;
		}
		p = le + 1;
	}
	return p - buf;
}

static void scan_init(struct scan *s, const char *host, sw_logscan_emit_fn emit_fn, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->emit = emit_fn;
	s->ctx = ctx;
	s->at_start = true;
	if (!needle_starts['S'])
		needle_starts_init();
	if (host)
		copy_name(s->def_host, sizeof(s->def_host), host, strlen(host));
}

/* End of input: emit what is still open, free everything. */
static int scan_finish(struct scan *s)
{
	for (size_t i = 0; i < s->nhosts; i++) {
		struct host_state *h = s->hosts[i];

		if (!s->err) {
			flush_prev(s, h);
			close_active(s, h);
		}
		acc_release(&h->cur);
		if (h->have_prev)
			acc_release(&h->prev);
		free(h);
	}
	free(s->hosts);
	free(s->index);
	return s->err ? s->err : s->emitted;
}

int sw_logscan_buffer(const char *buf, size_t len, const char *host,
		      sw_logscan_emit_fn emit_fn, void *ctx)
{
	struct scan s;

	scan_init(&s, host, emit_fn, ctx);
	s.buf = buf;
	s.len = len;
	scan_window(&s, 0, true);
	return scan_finish(&s);
}

/*
 * The window: read() into a fixed buffer, scan it, keep the context a
 * line's journal entry may reach back into, read on. Memory stays the
 * window's size whatever the input (a pipe, a 10 GB file); reading files
 * this way too, rather than mapping them, keeps one path and costs a copy
 * from the page cache.
 */
#define WINDOW		(4u << 20)
#define WINDOW_KEEP	(MAX_LINE + MAX_BLOCK + 2)
_Static_assert(SW_LOGSCAN_WINDOW_MIN > WINDOW_KEEP + WINDOW_TAIL + 4096, "window too small");

int sw_logscan_fd(int fd, const char *host, sw_logscan_emit_fn emit_fn, void *ctx,
		  struct sw_logscan_stats *st)
{
	return sw_logscan_fd_window(fd, host, emit_fn, ctx, st, WINDOW);
}

int sw_logscan_fd_window(int fd, const char *host, sw_logscan_emit_fn emit_fn, void *ctx,
			 struct sw_logscan_stats *st, size_t window)
{
	struct scan s;
	char *buf;
	size_t len = 0, pos = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	if (window < SW_LOGSCAN_WINDOW_MIN)
		return -EINVAL;
	buf = malloc(window);
	if (!buf)
		return -ENOMEM;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	scan_init(&s, host, emit_fn, ctx);
	for (;;) {
		ssize_t n = read(fd, buf + len, window - len);
		bool eof = n == 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			scan_finish(&s);
			free(buf);
			return ret;
		}
		len += n;
		st->bytes += n;
		if (!eof && len < window)
			continue;	/* a pipe gives a little at a time: fill the window first */
		s.buf = buf;
		s.len = len;
		pos = scan_window(&s, pos, eof);
		if (eof || s.err)
			break;
		if (pos > WINDOW_KEEP) {
			size_t drop = pos - WINDOW_KEEP;

			memmove(buf, buf + drop, len - drop);
			len -= drop;
			pos -= drop;
			s.at_start = false;
		}
	}
	st->skipped = s.skipped;
	free(buf);
	return scan_finish(&s);
}
