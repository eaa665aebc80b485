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

/* The keys of a time NAME: NAME_us, NAME_by_us, NAME_after_us. */
struct time_keys {
	const char *us, *by_us, *after_us;
};

#define TIME_KEYS(name) (&(const struct time_keys){ name "_us", name "_by_us", name "_after_us" })

/* µs from @origin to @t (negative when before), 3 exact decimals. */
static void put_us(struct sw_jw *w, const char *key, __u64 origin, __u64 t)
{
	sw_jw_key(w, key);
	sw_jw_ns_as_us(w, (__s64)(t - origin));
}

/*
 * NAME_us: exact µs from @origin, or null; then NAME_by_us and/or
 * NAME_after_us for the bounds of a time that is not exact. Without an
 * origin (start unknown) nothing is relative: null.
 */
static void put_rel(struct sw_jw *w, const struct time_keys *k, const struct sw_time *t,
		    const struct sw_time *origin)
{
	bool rel = sw_time_known(origin);

	if (rel && sw_time_known(t)) {
		put_us(w, k->us, origin->by, t->by);
		return;
	}
	sw_jw_key(w, k->us);
	sw_jw_null(w);
	if (!rel)
		return;
	if (t->has_by)
		put_us(w, k->by_us, origin->by, t->by);
	if (t->has_after)
		put_us(w, k->after_us, origin->by, t->after);
}

static void put_cpuset(struct sw_jw *w, const char *key, bool known, const struct sw_cpuset *s)
{
	char buf[SW_CPUSET_TEXT_MAX];
	int n;

	sw_jw_key(w, key);
	if (!known) {
		sw_jw_null(w);
		return;
	}
	n = sw_cpuset_format(s, buf, sizeof(buf));	/* the buffer fits any set */
	sw_jw_strn(w, buf, n < 0 ? strlen(buf) : (size_t)n);
}

static void put_str(struct sw_jw *w, const char *key, const char *s)
{
	sw_jw_key(w, key);
	sw_jw_str(w, s);
}

static void put_u64(struct sw_jw *w, const char *key, __u64 v)
{
	sw_jw_key(w, key);
	sw_jw_u64(w, v);
}

/* "dump_regs" (issue 11): null not from a dump, false the dump lacks them, or the object */
static void put_regs(struct sw_jw *w, const struct sw_cpu_regs *r)
{
	char hex[24];

	sw_jw_key(w, "dump_regs");
	if (r->state == SW_REGS_MISSING) {
		sw_jw_bool(w, false);
		return;
	}
	if (r->state != SW_REGS_KNOWN) {
		sw_jw_null(w);
		return;
	}
	sw_jw_open(w, '{');
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->pc);
	put_str(w, "pc", hex);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)r->sp);
	put_str(w, "sp", hex);
	put_str(w, "irqs", sw_irqs_name(r->irqs));
	sw_jw_close(w, '}');
}

static void put_cpu(struct sw_jw *w, const struct sw_stop *s, unsigned int c)
{
	const struct sw_stop_cpu *sc = &s->cpu[c];

	sw_jw_open(w, '{');
	put_u64(w, "cpu", c);
	put_str(w, "rung", sw_rung_name(sc->rung));
	put_rel(w, TIME_KEYS("at"), &sc->at, &s->start);
	/* latency from the rung that reached it: only where that rung's fire time is exact */
	if (sc->rung >= SW_RUNG_IPI && sc->rung <= SW_RUNG_SDEI)
		put_rel(w, TIME_KEYS("ack"), &sc->at, &s->rung[sc->rung - 1].t);
	else
		put_str(w, "ack_us", NULL);
	put_str(w, "irqs", sw_irqs_name(sc->irqs));
	put_regs(w, &sc->regs);
	put_str(w, "sdei_end", sw_sdei_end_name(sc->sdei_end));
	sw_jw_key(w, "capture_can_reonline");
	if (sc->reonline == SW_REONLINE_UNKNOWN)
		sw_jw_null(w);
	else
		sw_jw_bool(w, sc->reonline == SW_REONLINE_YES);
	sw_jw_close(w, '}');
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

/* The record, streamed: json-c's tree cost a malloc per value (json.h). */
static void put_stop(struct sw_jw *w, const struct sw_stop *s)
{
	struct sw_cpuset never;
	char wall[64];
	bool never_known;

	sw_jw_open(w, '{');
	put_str(w, "schema", SCHEMA);
	put_str(w, "source", sw_source_name(s->meta.source));
	put_str(w, "boot_id", s->meta.boot_id[0] ? s->meta.boot_id : NULL);
	if (s->meta.host[0])
		put_str(w, "host", s->meta.host);
	put_u64(w, "seq", s->seq);
	put_str(w, "kind", sw_kind_name(s->kind));
	put_str(w, "outcome", sw_outcome_name(sw_stop_outcome(s)));
	put_u64(w, "initiator", s->initiator);
	sw_jw_key(w, "exact");
	sw_jw_bool(w, s->meta.exact);
	put_u64(w, "nr_cpus", s->nr_cpus);
	sw_jw_key(w, "start_ns");
	if (sw_time_known(&s->start))
		sw_jw_u64(w, s->start.by);
	else
		sw_jw_null(w);
	wall_time(s, wall, sizeof(wall));
	put_str(w, "start", wall[0] ? wall : NULL);
	put_rel(w, TIME_KEYS("duration"), &s->end, &s->start);
	put_cpuset(w, "online", s->online_known, &s->online);
	sw_jw_key(w, "rungs");
	sw_jw_open(w, '[');
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		const struct sw_stop_rung *r = &s->rung[i];

		if (!r->fired)
			continue;
		sw_jw_open(w, '{');
		put_str(w, "rung", sw_rung_name(i + 1));
		put_rel(w, TIME_KEYS("fired"), &r->t, &s->start);
		put_cpuset(w, "targets", r->targets_known, &r->targets);
		sw_jw_close(w, '}');
	}
	sw_jw_close(w, ']');
	sw_jw_key(w, "cpus");
	sw_jw_open(w, '[');
	for (unsigned int c = 0; c < s->nr_cpus; c++)
		if (sw_stop_cpu_has_facts(&s->cpu[c]))
			put_cpu(w, s, c);
	sw_jw_close(w, ']');
	never_known = sw_stop_never_stopped(s, &never);
	put_cpuset(w, "never_stopped", never_known, &never);
	sw_jw_close(w, '}');
}

int sw_stop_print_json(FILE *f, const struct sw_stop *s)
{
	struct sw_jw w;

	sw_jw_init(&w);
	put_stop(&w, s);
	return sw_jw_print(f, &w);
}
