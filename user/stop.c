// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The decoded stop record (stop.h): CPU sets, times, the wire decoder, derived facts, names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "stop.h"

/* ---- CPU sets ---- */

void sw_cpuset_clear(struct sw_cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void sw_cpuset_set(struct sw_cpuset *s, unsigned int cpu)
{
	if (cpu < SW_CPUS_MAX)
		s->w[cpu / 64] |= 1ULL << (cpu % 64);
}

void sw_cpuset_clr(struct sw_cpuset *s, unsigned int cpu)
{
	if (cpu < SW_CPUS_MAX)
		s->w[cpu / 64] &= ~(1ULL << (cpu % 64));
}

bool sw_cpuset_test(const struct sw_cpuset *s, unsigned int cpu)
{
	return cpu < SW_CPUS_MAX && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

bool sw_cpuset_empty(const struct sw_cpuset *s)
{
	for (int i = 0; i < SW_CPUSET_WORDS; i++)
		if (s->w[i])
			return false;
	return true;
}

/* up to the last set word: without POPCNT (Debian's x86_64 baseline) each word is a libgcc call */
unsigned int sw_cpuset_count(const struct sw_cpuset *s)
{
	int words = (sw_cpuset_last(s) + 64) / 64;	/* last -1: none */
	unsigned int n = 0;

	for (int i = 0; i < words; i++)
		n += __builtin_popcountll(s->w[i]);
	return n;
}

int sw_cpuset_last(const struct sw_cpuset *s)
{
	int i = SW_CPUSET_WORDS - 1;

	/* eight words at a time past the empty top of a small host's set */
	while (i >= 7 && !(s->w[i] | s->w[i - 1] | s->w[i - 2] | s->w[i - 3] |
			   s->w[i - 4] | s->w[i - 5] | s->w[i - 6] | s->w[i - 7]))
		i -= 8;
	for (; i >= 0; i--)
		if (s->w[i])
			return i * 64 + 63 - __builtin_clzll(s->w[i]);
	return -1;
}

void sw_cpuset_or(struct sw_cpuset *dst, const struct sw_cpuset *src)
{
	for (int i = 0; i < SW_CPUSET_WORDS; i++)
		dst->w[i] |= src->w[i];
}

void sw_cpuset_andnot(struct sw_cpuset *dst, const struct sw_cpuset *src)
{
	for (int i = 0; i < SW_CPUSET_WORDS; i++)
		dst->w[i] &= ~src->w[i];
}

void sw_cpuset_from_words(struct sw_cpuset *s, const __u64 *words, unsigned int nwords)
{
	sw_cpuset_clear(s);
	memcpy(s->w, words, (nwords < SW_CPUSET_WORDS ? nwords : SW_CPUSET_WORDS) * sizeof(__u64));
}

/* First CPU at or after @cpu whose bit is @set (SW_CPUS_MAX if none): a word at a time. */
static unsigned int next_bit(const struct sw_cpuset *s, unsigned int cpu, bool set)
{
	while (cpu < SW_CPUS_MAX) {
		__u64 w = (set ? s->w[cpu / 64] : ~s->w[cpu / 64]) >> (cpu % 64);

		if (w)
			return cpu + __builtin_ctzll(w);
		cpu = (cpu / 64 + 1) * 64;
	}
	return SW_CPUS_MAX;
}

/* Next run of set CPUs from @cpu: its first CPU (or SW_CPUS_MAX) and last in *end. */
static unsigned int next_run(const struct sw_cpuset *s, unsigned int cpu, unsigned int *end)
{
	cpu = next_bit(s, cpu, true);
	*end = cpu < SW_CPUS_MAX ? next_bit(s, cpu, false) - 1 : cpu;
	return cpu;
}

int sw_cpuset_format(const struct sw_cpuset *s, char *buf, size_t len)
{
	int last = sw_cpuset_last(s);
	size_t off = 0;
	unsigned int cpu, end;

	if (len)
		buf[0] = '\0';
	if (last < 0)
		return 0;
	/* runs up to the last set CPU: no scan of the empty words above it */
	for (cpu = next_run(s, 0, &end);; cpu = next_run(s, end + 1, &end)) {
		char item[24];
		size_t n = 0;

		if (off)
			item[n++] = ',';
		n += sw_fmt_u64(item + n, cpu);
		if (end != cpu) {
			item[n++] = '-';
			n += sw_fmt_u64(item + n, end);
		}
		if (off + n >= len)
			return -ENOSPC;	/* buf holds the runs before this one */
		memcpy(buf + off, item, n);
		off += n;
		buf[off] = '\0';
		if ((int)end >= last)
			return off;
	}
}

/* Decimal CPU number at *p below SW_CPUS_MAX. */
static bool parse_cpu(const char **pp, unsigned long *out)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v >= SW_CPUS_MAX)
			return false;
	}
	*out = v;
	*pp = p;
	return true;
}

int sw_cpuset_parse(const char *list, struct sw_cpuset *s)
{
	const char *p = list;

	sw_cpuset_clear(s);
	while (*p && *p != '\n') {
		unsigned long a, b;

		if (!parse_cpu(&p, &a))
			goto bad;
		b = a;
		if (*p == '-' && (p++, !parse_cpu(&p, &b)))
			goto bad;
		if (b < a)
			goto bad;
		for (unsigned long c = a; c <= b; c++)
			sw_cpuset_set(s, c);
		if (*p == ',' && p[1] && p[1] != '\n')
			p++;
		else if (*p && *p != '\n')
			goto bad;
	}
	return 0;
bad:
	sw_cpuset_clear(s);
	return -EINVAL;
}

/* ---- times ---- */

struct sw_time sw_time_window(__u64 after, __u64 by)
{
	if (after > by)		/* a log out of order: trust neither */
		return (struct sw_time){};
	return (struct sw_time){ .after = after, .by = by, .has_after = true, .has_by = true };
}

bool sw_time_equal(const struct sw_time *a, const struct sw_time *b)
{
	return a->has_after == b->has_after && a->has_by == b->has_by &&
	       (!a->has_after || a->after == b->after) && (!a->has_by || a->by == b->by);
}

/* ---- the record ---- */

struct sw_stop *sw_stop_new(unsigned int nr_cpus)
{
	struct sw_stop *s;

	if (!nr_cpus || nr_cpus > SW_CPUS_MAX)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cpu = calloc(nr_cpus, sizeof(*s->cpu));
	if (!s->cpu) {
		free(s);
		return NULL;
	}
	s->nr_cpus = nr_cpus;
	return s;
}

void sw_stop_free(struct sw_stop *s)
{
	if (!s)
		return;
	free(s->cpu);
	free(s);
}

int sw_stop_resize(struct sw_stop *s, unsigned int nr_cpus)
{
	struct sw_stop_cpu *c;

	if (!nr_cpus || nr_cpus > SW_CPUS_MAX)
		return -EINVAL;
	c = realloc(s->cpu, nr_cpus * sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (nr_cpus > s->nr_cpus)
		memset(c + s->nr_cpus, 0, (nr_cpus - s->nr_cpus) * sizeof(*c));
	s->cpu = c;
	s->nr_cpus = nr_cpus;
	return 0;
}

int sw_stop_copy(struct sw_stop *dst, const struct sw_stop *src)
{
	struct sw_stop_cpu *keep = dst->cpu;
	unsigned int keep_n = dst->nr_cpus;

	if (keep_n != src->nr_cpus) {
		keep = malloc(src->nr_cpus * sizeof(*keep));
		if (!keep)
			return -ENOMEM;
		free(dst->cpu);
		keep_n = src->nr_cpus;
	}
	*dst = *src;
	dst->cpu = keep;
	dst->nr_cpus = keep_n;
	memcpy(dst->cpu, src->cpu, keep_n * sizeof(*keep));
	dst->legacy_v1 = NULL;	/* valid only where the source handed it out */
	return 0;
}

static struct sw_time wire_time(__u64 ns)
{
	/* the wire uses 0 for "did not happen / not seen": unknown, not time 0 */
	return ns ? sw_time_exact(ns) : (struct sw_time){};
}

/*
 * How a CPU ended (layout 2's end, set by the series shape's probes): an
 * SDEI-stopped CPU's sdei_end; and, on a crash stop, whether the capture
 * kernel can bring the CPU online again: yes once it was powered off (PSCI
 * CPU_OFF, whatever the rung); no for a CPU left parked (in the SDEI event,
 * in the park pad, or a self-stop, which always parks); unknown otherwise.
 */
static void wire_end(const struct sw_stop *s, struct sw_stop_cpu *sc, unsigned int end)
{
	if (end >= SW_SDEI_END_COUNT)	/* torn or forged */
		end = SW_SDEI_END_UNKNOWN;
	if (sc->rung == SW_RUNG_SDEI)
		sc->sdei_end = end;
	if (s->kind != SW_KIND_CRASH || sc->rung == SW_RUNG_NONE)
		return;
	if (end == SW_SDEI_END_POWERED_OFF)
		sc->reonline = SW_REONLINE_YES;
	else if (end != SW_SDEI_END_UNKNOWN || sc->rung == SW_RUNG_SELF)
		sc->reonline = SW_REONLINE_NO;
}

struct sw_stop *sw_stop_from_wire(const struct sw_record_meta *m, const struct sw_stop_record *w)
{
	unsigned int nr = w->nr_cpus && w->nr_cpus <= SW_MAX_CPUS ? w->nr_cpus : SW_MAX_CPUS;
	struct sw_stop *s = sw_stop_new(nr);

	if (!s)
		return NULL;
	s->meta = *m;
	s->seq = w->seq;
	s->kind = w->kind < SW_KIND_COUNT ? w->kind : SW_KIND_UNKNOWN;
	s->state = w->state <= SW_REC_DONE ? w->state : SW_REC_RUNNING;
	s->initiator = w->initiator;
	s->start = wire_time(w->t_start);
	s->end = wire_time(w->t_end);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		s->rung[i].fired = w->t_fire[i] != 0;
		s->rung[i].t = wire_time(w->t_fire[i]);
		/* the BPF side records every target it sent a rung to */
		s->rung[i].targets_known = s->rung[i].fired;
		if (s->rung[i].fired)
			sw_cpuset_from_words(&s->rung[i].targets, w->target[i], SW_MASK_WORDS);
	}
	s->online_known = true;
	sw_cpuset_from_words(&s->online, w->online, SW_MASK_WORDS);
	for (unsigned int c = 0; c < nr; c++) {
		const struct sw_cpu_stop *wc = &w->cpu[c];
		struct sw_stop_cpu *sc = &s->cpu[c];

		/* a torn rung value is not a rung: the CPU ran some handler, which is unknown */
		sc->rung = wc->rung < SW_RUNG_COUNT ? wc->rung : SW_RUNG_UNKNOWN;
		sc->irqs = wc->irqs <= SW_IRQS_MASKED ? wc->irqs : SW_IRQS_UNKNOWN;
		sc->at = sc->rung != SW_RUNG_NONE ? wire_time(wc->t_handler) : (struct sw_time){};
		wire_end(s, sc, wc->end);
	}
	return s;
}

/* ---- derived facts ---- */

static bool stopped(const struct sw_stop_cpu *c)
{
	return c->rung != SW_RUNG_NONE;
}

/* dst |= src over the first @words words (a record's CPUs: most of 8192 bits are past them). */
static void or_words(struct sw_cpuset *dst, const struct sw_cpuset *src, unsigned int words)
{
	for (unsigned int i = 0; i < words; i++)
		dst->w[i] |= src->w[i];
}

bool sw_stop_expected(const struct sw_stop *s, struct sw_cpuset *out)
{
	unsigned int words = (s->nr_cpus + 63) / 64;
	bool known = s->online_known;

	sw_cpuset_clear(out);
	if (s->online_known)
		or_words(out, &s->online, words);
	/* a target the kernel sent a rung to counts even if the online copy missed it */
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		if (s->rung[i].fired && s->rung[i].targets_known) {
			or_words(out, &s->rung[i].targets, words);
			known = true;
		}
	if (s->failed_known) {
		or_words(out, &s->failed, words);
		known = true;
	}
	sw_cpuset_clr(out, s->initiator);
	if (s->nr_cpus % 64)	/* CPUs past the record's */
		out->w[words - 1] &= (1ULL << (s->nr_cpus % 64)) - 1;
	return known;
}

bool sw_stop_never_stopped(const struct sw_stop *s, struct sw_cpuset *out)
{
	if (!sw_stop_expected(s, out))
		return false;
	for (unsigned int c = 0; c < s->nr_cpus; c++)
		if (stopped(&s->cpu[c]))
			sw_cpuset_clr(out, c);
	return true;
}

unsigned int sw_stop_top_rung(const struct sw_stop *s)
{
	for (int i = SW_FIRE_RUNGS - 1; i >= 0; i--)
		if (s->rung[i].fired)
			return i + 1;
	return SW_RUNG_NONE;
}

enum sw_outcome sw_stop_outcome(const struct sw_stop *s)
{
	struct sw_cpuset never, expected;
	bool any_handler = false, later_rung = false;
	unsigned int top = sw_stop_top_rung(s);

	if (s->kind == SW_KIND_SELF)
		return SW_OUT_CLEAN;
	sw_stop_expected(s, &expected);
	sw_stop_never_stopped(s, &never);
	for (unsigned int c = 0; c < s->nr_cpus; c++) {
		unsigned int r = s->cpu[c].rung;

		if (r != SW_RUNG_NONE && c != s->initiator)
			any_handler = true;
		if (r == SW_RUNG_NMI || r == SW_RUNG_SDEI)
			later_rung = true;
	}
	if (sw_cpuset_empty(&expected) ||
	    (!any_handler && top == SW_RUNG_NONE && s->state == SW_REC_DONE))
		return SW_OUT_NOOP;
	if (!sw_cpuset_empty(&never))
		/* a reboot never returns from the stop: no verdict while CPUs may still ack */
		return s->state == SW_REC_DONE || top > SW_RUNG_IPI || !sw_time_unknown(&s->end)
		       ? SW_OUT_FAILED : SW_OUT_INCOMPLETE;
	if (later_rung || top > SW_RUNG_IPI)
		return SW_OUT_ESCALATED;
	return SW_OUT_CLEAN;
}

bool sw_stop_cpu_has_facts(const struct sw_stop_cpu *c)
{
	return c->rung != SW_RUNG_NONE || c->regs.state != SW_REGS_UNKNOWN ||
	       c->sdei_end != SW_SDEI_END_UNKNOWN || c->reonline != SW_REONLINE_UNKNOWN;
}

/* ---- names ---- */

static const char *const rung_names[SW_RUNG_COUNT] = {
	[SW_RUNG_NONE] = "none", [SW_RUNG_IPI] = "ipi", [SW_RUNG_NMI] = "nmi",
	[SW_RUNG_SDEI] = "sdei", [SW_RUNG_SELF] = "self",
};

static const char *const kind_names[SW_KIND_COUNT] = {
	[SW_KIND_UNKNOWN] = "unknown", [SW_KIND_STOP] = "stop", [SW_KIND_PANIC] = "panic",
	[SW_KIND_CRASH] = "crash", [SW_KIND_SELF] = "self",
};

static const char *const sdei_end_names[SW_SDEI_END_COUNT] = {
	[SW_SDEI_END_PARKED_UNCOMPLETED] = "parked_uncompleted",
	[SW_SDEI_END_COMPLETED_PARKED] = "completed_parked",
	[SW_SDEI_END_POWERED_OFF] = "powered_off",
};

const char *sw_rung_name(unsigned int rung)
{
	if (rung == SW_RUNG_UNKNOWN)
		return "unknown";
	return rung < SW_RUNG_COUNT ? rung_names[rung] : "invalid";
}

int sw_rung_parse(const char *name)
{
	for (int i = 0; i < SW_RUNG_COUNT; i++)
		if (!strcmp(name, rung_names[i]))
			return i;
	return -1;
}

const char *sw_kind_name(unsigned int kind)
{
	return kind < SW_KIND_COUNT ? kind_names[kind] : "invalid";
}

const char *sw_source_name(enum sw_source src)
{
	switch (src) {
	case SW_SRC_BPF: return "bpf";
	case SW_SRC_VMCORE: return "vmcore";
	case SW_SRC_TRACE: return "trace";
	case SW_SRC_LOG: return "log";
	}
	return "invalid";
}

const char *sw_outcome_name(enum sw_outcome out)
{
	switch (out) {
	case SW_OUT_CLEAN: return "clean";
	case SW_OUT_ESCALATED: return "escalated";
	case SW_OUT_FAILED: return "failed";
	case SW_OUT_INCOMPLETE: return "incomplete";
	case SW_OUT_NOOP: return "noop";
	}
	return "invalid";
}

const char *sw_irqs_name(unsigned int irqs)
{
	return irqs == SW_IRQS_MASKED ? "masked" : irqs == SW_IRQS_ENABLED ? "enabled" : "unknown";
}

const char *sw_sdei_end_name(unsigned int end)
{
	return end < SW_SDEI_END_COUNT ? sdei_end_names[end] : NULL;
}
