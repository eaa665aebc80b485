// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The JSON sink of the decoded record: schema stopwatch.stop/2
 * (docs/schema.md). Unknown is null, a bound is X_by_us / X_after_us beside
 * X_us: null, never a number that looks measured.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "json.h"
#include "stop_print.h"

#define SCHEMA "stopwatch.stop/2"

/* µs from @origin to @t (negative when before), 3 exact decimals. */
static sw_json *us_from(__u64 origin, __u64 t)
{
	return sw_json_ns_as_us((__s64)(t - origin));
}

/* The keys of a time NAME: NAME_us, NAME_by_us, NAME_after_us (literals: sw_json_set keeps them). */
struct time_keys {
	const char *us, *by_us, *after_us;
};

#define TIME_KEYS(name) (&(const struct time_keys){ name "_us", name "_by_us", name "_after_us" })

/*
 * NAME_us: exact µs from @origin, or null; then NAME_by_us and/or
 * NAME_after_us for the bounds of a time that is not exact. Without an
 * origin (start unknown) nothing is relative: null.
 */
static void put_rel(sw_json *o, const struct time_keys *k, const struct sw_time *t,
		    const struct sw_time *origin)
{
	bool rel = sw_time_known(origin);

	if (rel && sw_time_known(t)) {
		sw_json_set(o, k->us, us_from(origin->by, t->by));
		return;
	}
	sw_json_set_null(o, k->us);
	if (!rel)
		return;
	if (t->has_by)
		sw_json_set(o, k->by_us, us_from(origin->by, t->by));
	if (t->has_after)
		sw_json_set(o, k->after_us, us_from(origin->by, t->after));
}

static sw_json *cpuset_json(bool known, const struct sw_cpuset *s)
{
	char buf[SW_CPUSET_TEXT_MAX];

	if (!known)
		return NULL;
	sw_cpuset_format(s, buf, sizeof(buf));
	return sw_json_str(buf);
}

/* "dump_regs" (issue 11): null not from a dump, false the dump lacks them, or the object */
static sw_json *regs_json(const struct sw_cpu_regs *r)
{
	char hex[24];
	sw_json *o;

	if (r->state == SW_REGS_MISSING)
		return sw_json_bool(false);
	if (r->state != SW_REGS_KNOWN)
		return NULL;
	o = sw_json_obj();
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->pc);
	sw_json_set_str(o, "pc", hex);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->sp);
	sw_json_set_str(o, "sp", hex);
	sw_json_set_str(o, "irqs", sw_irqs_name(r->irqs));
	return o;
}

static sw_json *cpu_json(const struct sw_stop *s, unsigned int c)
{
	const struct sw_stop_cpu *sc = &s->cpu[c];
	sw_json *o = sw_json_obj();
	const char *end = sw_sdei_end_name(sc->sdei_end);

	sw_json_set_u64(o, "cpu", c);
	sw_json_set_str(o, "rung", sw_rung_name(sc->rung));
	put_rel(o, TIME_KEYS("at"), &sc->at, &s->start);
	/* latency from the rung that reached it: only where that rung's fire time is exact */
	if (sc->rung >= SW_RUNG_IPI && sc->rung <= SW_RUNG_SDEI)
		put_rel(o, TIME_KEYS("ack"), &sc->at, &s->rung[sc->rung - 1].t);
	else
		sw_json_set_null(o, "ack_us");
	sw_json_set_str(o, "irqs", sw_irqs_name(sc->irqs));
	sw_json_set(o, "dump_regs", regs_json(&sc->regs));
	sw_json_set(o, "sdei_end", end ? sw_json_str(end) : NULL);
	sw_json_set(o, "capture_can_reonline", sc->reonline == SW_REONLINE_UNKNOWN ? NULL :
		    sw_json_bool(sc->reonline == SW_REONLINE_YES));
	return o;
}

static void wall_time(const struct sw_stop *s, char *buf, size_t len)
{
	__s64 real, m2r = s->meta.mono_to_real_ns;
	struct tm tm;
	time_t sec;

	buf[0] = '\0';
	/* times and offset come from a store that may be torn: no wall clock if they overflow */
	if (!m2r || !sw_time_known(&s->start) || s->start.by > INT64_MAX ||
	    __builtin_add_overflow((__s64)s->start.by, m2r, &real) || real < 0)
		return;
	sec = real / 1000000000LL;
	if (!gmtime_r(&sec, &tm))
		return;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(real % 1000000000LL) / 1000);
}

void sw_stop_wall_time(const struct sw_stop *s, char *buf, size_t len)
{
	wall_time(s, buf, len);
}

sw_json *sw_stop_json(const struct sw_stop *s)
{
	struct sw_cpuset never;
	sw_json *o = sw_json_obj(), *rungs = sw_json_arr(), *cpus = sw_json_arr();
	char wall[64];
	bool never_known;

	sw_json_set_str(o, "schema", SCHEMA);
	sw_json_set_str(o, "source", sw_source_name(s->meta.source));
	sw_json_set_str(o, "boot_id", s->meta.boot_id[0] ? s->meta.boot_id : NULL);
	if (s->meta.host[0])
		sw_json_set_str(o, "host", s->meta.host);
	sw_json_set_u64(o, "seq", s->seq);
	sw_json_set_str(o, "kind", sw_kind_name(s->kind));
	sw_json_set_str(o, "outcome", sw_outcome_name(sw_stop_outcome(s)));
	sw_json_set_u64(o, "initiator", s->initiator);
	sw_json_set_bool(o, "exact", s->meta.exact);
	sw_json_set_u64(o, "nr_cpus", s->nr_cpus);
	sw_json_set(o, "start_ns", sw_time_known(&s->start) ? sw_json_u64(s->start.by) : NULL);
	wall_time(s, wall, sizeof(wall));
	sw_json_set(o, "start", wall[0] ? sw_json_str(wall) : NULL);
	put_rel(o, TIME_KEYS("duration"), &s->end, &s->start);
	sw_json_set(o, "online", cpuset_json(s->online_known, &s->online));
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		const struct sw_stop_rung *r = &s->rung[i];
		sw_json *ro;

		if (!r->fired)
			continue;
		ro = sw_json_obj();
		sw_json_set_str(ro, "rung", sw_rung_name(i + 1));
		put_rel(ro, TIME_KEYS("fired"), &r->t, &s->start);
		sw_json_set(ro, "targets", cpuset_json(r->targets_known, &r->targets));
		sw_json_push(rungs, ro);
	}
	sw_json_set(o, "rungs", rungs);
	for (unsigned int c = 0; c < s->nr_cpus; c++)
		if (sw_stop_cpu_has_facts(&s->cpu[c]))
			sw_json_push(cpus, cpu_json(s, c));
	sw_json_set(o, "cpus", cpus);
	never_known = sw_stop_never_stopped(s, &never);
	sw_json_set(o, "never_stopped", cpuset_json(never_known, &never));
	return o;
}

int sw_stop_print_json(FILE *f, const struct sw_stop *s)
{
	return sw_json_print(f, sw_stop_json(s));
}
