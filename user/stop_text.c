// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The text sink of the decoded record: readable at 320 CPUs and more. */
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "stop_print.h"

/* "+12.3 us" / "+1000.453 ms" from the origin. */
static void rel_text(char *buf, size_t len, __u64 origin, __u64 t)
{
	__s64 ns = (__s64)(t - origin);
	/* printf's unit choice was |ns / 1000.0| < 1000, exactly |ns| < 10^6 */
	bool us = ns < 1000000 && ns > -1000000;
	size_t n = sw_fmt_fixed_ns(buf, len, ns, us ? 1000 : 1000000, us ? 1 : 3, true);

	snprintf(buf + n, len - n, us ? " us" : " ms");
}

/* "at +12.3 us", "by +1000.453 ms", "after +2.0 us, by +1.000 s", "time unknown". */
static void time_text(char *buf, size_t len, const struct sw_time *t, const struct sw_time *origin)
{
	char a[48], b[48];

	if (!sw_time_known(origin) || sw_time_unknown(t)) {
		snprintf(buf, len, "time unknown");
		return;
	}
	rel_text(a, sizeof(a), origin->by, t->after);
	rel_text(b, sizeof(b), origin->by, t->by);
	if (sw_time_known(t))
		snprintf(buf, len, "at %s", b);
	else if (t->has_after && t->has_by)
		snprintf(buf, len, "after %s, by %s", a, b);
	else if (t->has_by)
		snprintf(buf, len, "by %s", b);
	else
		snprintf(buf, len, "after %s", a);
}

static void header(FILE *f, const struct sw_stop *s)
{
	char wall[64], dur[128];

	fprintf(f, "stop #%llu  kind %s  outcome %s  initiator CPU %u  source %s%s\n",
		(unsigned long long)s->seq, sw_kind_name(s->kind),
		sw_outcome_name(sw_stop_outcome(s)), s->initiator, sw_source_name(s->meta.source),
		s->meta.exact ? "" : " (printk resolution)");
	sw_stop_wall_time(s, wall, sizeof(wall));
	if (s->meta.boot_id[0] || wall[0])
		fprintf(f, "  boot %s%s%s\n", s->meta.boot_id[0] ? s->meta.boot_id : "?",
			wall[0] ? "  started " : "", wall);
	if (sw_time_unknown(&s->end)) {
		fprintf(f, "  duration: %s\n", s->state == SW_REC_DONE || !s->meta.exact ? "unknown" :
			"the stop function never returned (normal on reboot)");
		return;
	}
	time_text(dur, sizeof(dur), &s->end, &s->start);
	if (sw_time_known(&s->end) && sw_time_known(&s->start))
		fprintf(f, "  duration %s\n", dur + 4);	/* "at +" */
	else
		fprintf(f, "  returned %s\n", dur);
}

static void rungs(FILE *f, const struct sw_stop *s)
{
	char when[128], set[SW_CPUSET_TEXT_MAX];

	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		const struct sw_stop_rung *r = &s->rung[i];

		if (!r->fired)
			continue;
		time_text(when, sizeof(when), &r->t, &s->start);
		if (r->targets_known)
			sw_cpuset_format(&r->targets, set, sizeof(set));
		fprintf(f, "  rung %-4s fired %s to CPUs %s\n", sw_rung_name(i + 1), when,
			r->targets_known ? set : "(not known)");
	}
}

/* CPUs printed in the table rather than in a range line. */
static bool in_table(const struct sw_stop_cpu *c, bool per_cpu)
{
	return per_cpu || sw_time_known(&c->at) || c->regs.state != SW_REGS_UNKNOWN ||
	       c->sdei_end != SW_SDEI_END_UNKNOWN || c->reonline != SW_REONLINE_UNKNOWN;
}

/* Same line: same rung, same bound, same irqs (exact times go in the table). */
static bool same_group(const struct sw_stop_cpu *a, const struct sw_stop_cpu *b)
{
	return a->rung == b->rung && a->irqs == b->irqs &&
	       (sw_time_known(&a->at) ? sw_time_known(&b->at) : sw_time_equal(&a->at, &b->at));
}

/*
 * One line per group of stopped CPUs: "CPUs 1-2,4-7 ipi by +1000.453 ms".
 * Groups are found by a pass per distinct group: O(CPUs x groups), and a
 * record has a handful of groups.
 */
static void ranges(FILE *f, const struct sw_stop *s, bool per_cpu)
{
	bool *done = calloc(s->nr_cpus, sizeof(*done));
	char when[128], set[SW_CPUSET_TEXT_MAX];
	struct sw_cpuset g;

	if (!done)
		return;
	for (unsigned int c = 0; c < s->nr_cpus; c++) {
		const struct sw_stop_cpu *lead = &s->cpu[c];

		if (done[c] || lead->rung == SW_RUNG_NONE)
			continue;
		sw_cpuset_clear(&g);
		for (unsigned int d = c; d < s->nr_cpus; d++)
			if (!done[d] && s->cpu[d].rung != SW_RUNG_NONE && same_group(lead, &s->cpu[d])) {
				sw_cpuset_set(&g, d);
				done[d] = true;
			}
		sw_cpuset_format(&g, set, sizeof(set));
		if (sw_time_known(&lead->at))
			snprintf(when, sizeof(when), "%s", in_table(lead, per_cpu) ? "(times below)" : "");
		else
			time_text(when, sizeof(when), &lead->at, &s->start);
		fprintf(f, "  CPU%s %s %s %s%s%s\n", sw_cpuset_count(&g) > 1 ? "s" : "", set,
			lead->rung == SW_RUNG_UNKNOWN ? "stopped, rung unknown," : sw_rung_name(lead->rung),
			when, lead->irqs ? ", irqs " : "", lead->irqs ? sw_irqs_name(lead->irqs) : "");
	}
	free(done);
}

/* A CPU's own facts, for the table: registers, how an SDEI stop ended. */
static void cpu_facts(char *buf, size_t len, const struct sw_stop_cpu *c)
{
	const char *end = sw_sdei_end_name(c->sdei_end);
	size_t o = 0;

	buf[0] = '\0';
	if (c->regs.state == SW_REGS_MISSING)
		o += snprintf(buf + o, len - o, " regs: not in the dump");
	else if (c->regs.state == SW_REGS_KNOWN)
		o += snprintf(buf + o, len - o, " pc 0x%llx sp 0x%llx irqs %s",
			      (unsigned long long)c->regs.pc, (unsigned long long)c->regs.sp,
			      sw_irqs_name(c->regs.irqs));
	if (end && o < len)
		o += snprintf(buf + o, len - o, " sdei end %s", end);
	if (c->reonline != SW_REONLINE_UNKNOWN && o < len)
		snprintf(buf + o, len - o, " capture kernel can online it: %s",
			 c->reonline == SW_REONLINE_YES ? "yes" : "no");
}

static void ack_text(char *buf, size_t len, const struct sw_stop *s, const struct sw_stop_cpu *c)
{
	if (c->rung < SW_RUNG_IPI || c->rung > SW_RUNG_SDEI || !sw_time_known(&c->at) ||
	    !sw_time_known(&s->rung[c->rung - 1].t))
		snprintf(buf, len, "-");
	else
		sw_fmt_fixed_ns(buf, len, (__s64)(c->at.by - s->rung[c->rung - 1].t.by), 1000, 1,
				   false);
}

static void table(FILE *f, const struct sw_stop *s, bool per_cpu)
{
	char at[128], ack[32], facts[160];
	bool head = false;

	for (unsigned int c = 0; c < s->nr_cpus; c++) {
		const struct sw_stop_cpu *sc = &s->cpu[c];

		if (!sw_stop_cpu_has_facts(sc) || !in_table(sc, per_cpu))
			continue;
		if (!head) {
			fprintf(f, "  %-5s %-7s %-28s %10s %s\n", "CPU", "RUNG", "STOPPED", "ACK(us)",
				"IRQS");
			head = true;
		}
		time_text(at, sizeof(at), &sc->at, &s->start);
		ack_text(ack, sizeof(ack), s, sc);
		cpu_facts(facts, sizeof(facts), sc);
		fprintf(f, "  %-5u %-7s %-28s %10s %s%s\n", c, sw_rung_name(sc->rung), at, ack,
			sw_irqs_name(sc->irqs), facts);
	}
}

/*
 * From a crash dump: whose registers it lacks, first, as that is what an
 * operator reading the crash needs before anything else.
 */
static void dump_regs(FILE *f, const struct sw_stop *s)
{
	struct sw_cpuset *miss = calloc(2, sizeof(*miss)), *have = miss + 1;
	char *set = malloc(SW_CPUSET_TEXT_MAX);
	bool any = false;

	if (!miss || !set)
		goto out;
	for (unsigned int c = 0; c < s->nr_cpus; c++) {
		if (s->cpu[c].regs.state == SW_REGS_MISSING)
			sw_cpuset_set(miss, c);
		else if (s->cpu[c].regs.state == SW_REGS_KNOWN)
			sw_cpuset_set(have, c);
		else
			continue;
		any = true;
	}
	if (!any)
		goto out;
	sw_cpuset_format(miss, set, SW_CPUSET_TEXT_MAX);
	if (set[0])
		fprintf(f, "  registers in the dump: missing for CPUs %s;", set);
	else
		fprintf(f, "  registers in the dump: none missing;");
	sw_cpuset_format(have, set, SW_CPUSET_TEXT_MAX);
	fprintf(f, " saved for CPUs %s\n", set[0] ? set : "none");
out:
	free(miss);
	free(set);
}

void sw_stop_print_text(FILE *f, const struct sw_stop *s, bool per_cpu)
{
	char set[SW_CPUSET_TEXT_MAX];
	struct sw_cpuset never;

	header(f, s);
	dump_regs(f, s);
	rungs(f, s);
	ranges(f, s, per_cpu);
	table(f, s, per_cpu);
	if (!sw_stop_never_stopped(s, &never))
		fprintf(f, "  never stopped: unknown (the source names no CPUs)\n");
	else if (sw_cpuset_format(&never, set, sizeof(set)), set[0])
		fprintf(f, "  never stopped: %s\n", set);
	else
		fprintf(f, "  never stopped: none\n");
}

void sw_stop_print(FILE *f, const struct sw_stop *s, bool json, bool per_cpu)
{
	if (json)
		sw_stop_print_json(f, s);
	else
		sw_stop_print_text(f, s, per_cpu);
}
