// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stop records back from their JSON (record_json.h): the inverse of
 * stop_json.c, through json-c's parser. Times come back to the ns from the
 * printed us (3 decimals), relative to start_ns; null stays unknown and a
 * bound (X_by_us, X_after_us) stays a bound. Schema 1 (release 1) had no
 * bounds and no nulls but for duration_us, and the same field names.
 */
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "loader.h"
#include "record_json.h"

/* Reading is bounded: a line longer than this is not a record of ours. */
#define MAX_LINE	(4 << 20)

static struct json_object *field(struct json_object *o, const char *name, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *str(struct json_object *o, const char *name)
{
	struct json_object *v = field(o, name, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/* A number (int or double) of µs, or false. */
static bool us_of(struct json_object *o, const char *name, double *us)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*us = json_object_get_double(v);
	return isfinite(*us) && fabs(*us) < 1e15;	/* ~30 years: past that, garbage */
}

/* NAME_us, or NAME_after_us / NAME_by_us, from @origin (ns). */
static struct sw_time time_of(struct json_object *o, const char *name, bool have_origin,
			      __u64 origin)
{
	char key[64];
	struct sw_time t = {};
	double us;

	if (!have_origin)
		return t;
	snprintf(key, sizeof(key), "%s_us", name);
	if (us_of(o, key, &us))
		return sw_time_exact(origin + (__s64)llround(us * 1000));
	snprintf(key, sizeof(key), "%s_after_us", name);
	if (us_of(o, key, &us)) {
		t.has_after = true;
		t.after = origin + (__s64)llround(us * 1000);
	}
	snprintf(key, sizeof(key), "%s_by_us", name);
	if (us_of(o, key, &us)) {
		t.has_by = true;
		t.by = origin + (__s64)llround(us * 1000);
	}
	return t;
}

static int name_index(const char *name, const char *(*names_of)(unsigned int), int count)
{
	for (int i = 0; name && i < count; i++)
		if (!strcmp(name, names_of(i)))
			return i;
	return -1;
}

static const char *source_of(unsigned int i)
{
	return sw_source_name(i);
}

static const char *irqs_of(unsigned int i)
{
	return sw_irqs_name(i);
}

/* A cpulist field: true when present as a list (null: unknown), false on a bad list. */
static bool set_of(struct json_object *o, const char *name, bool *known, struct sw_cpuset *s)
{
	const char *v = str(o, name);

	*known = v != NULL;
	return !v || !sw_cpuset_parse(v, s);
}

/* The highest CPU any field names, for a record without nr_cpus (schema 1). */
static unsigned int cpus_named(struct json_object *o, const struct sw_stop *s)
{
	struct json_object *cpus = field(o, "cpus", json_type_array);
	/* int64: json-c clamps a huge "cpu" or "initiator" to INT32_MAX, and
	 * top + 1 must not overflow (fuzz_records); the caller bounds the sum */
	int64_t top = s->initiator, t;

	if ((t = sw_cpuset_last(&s->online)) > top)
		top = t;
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		if ((t = sw_cpuset_last(&s->rung[i].targets)) > top)
			top = t;
	for (size_t i = 0; cpus && i < json_object_array_length(cpus); i++) {
		struct json_object *c = field(json_object_array_get_idx(cpus, i), "cpu", json_type_int);

		if (c && json_object_get_int64(c) > top)
			top = json_object_get_int64(c);
	}
	return top < 0 || top >= SW_CPUS_MAX ? SW_CPUS_MAX + 1 : (unsigned int)top + 1;
}

static int parse_rungs(struct json_object *rungs, struct sw_stop *s)
{
	for (size_t i = 0; i < json_object_array_length(rungs); i++) {
		struct json_object *o = json_object_array_get_idx(rungs, i);
		int rung = sw_rung_parse(str(o, "rung") ? str(o, "rung") : "");
		struct sw_stop_rung *r;

		if (rung < SW_RUNG_IPI || rung > SW_FIRE_RUNGS)
			return -EINVAL;
		r = &s->rung[rung - 1];
		r->fired = true;
		r->t = time_of(o, "fired", sw_time_known(&s->start), s->start.by);
		if (!set_of(o, "targets", &r->targets_known, &r->targets))
			return -EINVAL;
	}
	return 0;
}

static void parse_regs(struct json_object *o, struct sw_cpu_regs *regs)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "dump_regs", &v) || !v)
		return;
	if (json_object_is_type(v, json_type_boolean)) {
		if (!json_object_get_boolean(v))
			regs->state = SW_REGS_MISSING;
		return;
	}
	if (!json_object_is_type(v, json_type_object) || !str(v, "pc") || !str(v, "sp"))
		return;
	regs->state = SW_REGS_KNOWN;
	regs->pc = strtoull(str(v, "pc"), NULL, 0);
	regs->sp = strtoull(str(v, "sp"), NULL, 0);
	regs->irqs = name_index(str(v, "irqs"), irqs_of, SW_IRQS_MASKED + 1) > 0 ?
		     name_index(str(v, "irqs"), irqs_of, SW_IRQS_MASKED + 1) : SW_IRQS_UNKNOWN;
}

static int parse_cpus(struct json_object *cpus, struct sw_stop *s)
{
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		struct json_object *o = json_object_array_get_idx(cpus, i), *v;
		struct json_object *cpu = field(o, "cpu", json_type_int);
		const char *name = str(o, "rung");
		int rung = name && !strcmp(name, "unknown") ? SW_RUNG_UNKNOWN :
			   sw_rung_parse(name ? name : "");
		int c = cpu ? json_object_get_int(cpu) : -1, irqs;
		struct sw_stop_cpu *sc;

		if (c < 0 || (unsigned int)c >= s->nr_cpus || rung < 0)
			return -EINVAL;
		sc = &s->cpu[c];
		sc->rung = rung;
		sc->at = time_of(o, "at", sw_time_known(&s->start), s->start.by);
		irqs = name_index(str(o, "irqs"), irqs_of, SW_IRQS_MASKED + 1);
		sc->irqs = irqs > 0 ? irqs : SW_IRQS_UNKNOWN;
		parse_regs(o, &sc->regs);
		for (int e = 1; e < SW_SDEI_END_COUNT; e++)
			if (str(o, "sdei_end") && !strcmp(str(o, "sdei_end"), sw_sdei_end_name(e)))
				sc->sdei_end = e;
		if ((v = field(o, "capture_can_reonline", json_type_boolean)))
			sc->reonline = json_object_get_boolean(v) ? SW_REONLINE_YES : SW_REONLINE_NO;
	}
	return 0;
}

/* The wall clock of the start ("2026-12-01T09:42:51.067814Z") less start_ns: 0 when unknown. */
static __s64 clock_offset(const char *wall, const struct sw_time *start)
{
	struct tm tm = {};
	unsigned int us;
	char z;
	time_t sec;

	if (!wall || !sw_time_known(start) || start->by > INT64_MAX ||
	    sscanf(wall, "%4d-%2d-%2dT%2d:%2d:%2d.%6u%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, &z) != 8 || z != 'Z' || us > 999999)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	sec = timegm(&tm);
	if (sec < 0 || sec > INT64_MAX / 1000000000LL - 1)
		return 0;
	return sec * 1000000000LL + us * 1000LL - (__s64)start->by;
}

/* The facts of the record object @o into a new record. */
static struct sw_stop *parse(struct json_object *o, bool v1, char *err, size_t errlen)
{
	struct sw_stop head = {}, *s;
	struct json_object *v;
	bool known;
	int kind, src;
	const char *why = NULL;

	src = name_index(str(o, "source"), source_of, SW_SRC_LOG + 1);
	kind = name_index(str(o, "kind"), sw_kind_name, SW_KIND_COUNT);
	if (src < 0 || kind < 0) {
		snprintf(err, errlen, "unknown source or kind");
		return NULL;
	}
	head.meta.source = src;
	head.meta.exact = (v = field(o, "exact", json_type_boolean)) && json_object_get_boolean(v);
	/* a boot id is a UUID: anything else is refused, not passed on */
	if (str(o, "boot_id") && *str(o, "boot_id")) {
		__u8 id[16];

		if (sw_boot_id_parse(str(o, "boot_id"), id)) {
			snprintf(err, errlen, "boot_id is not a UUID");
			return NULL;
		}
		sw_boot_id_text(id, head.meta.boot_id, sizeof(head.meta.boot_id));
	}
	snprintf(head.meta.host, sizeof(head.meta.host), "%s", str(o, "host") ? : "");
	head.kind = kind;
	head.seq = (v = field(o, "seq", json_type_int)) ? (__u64)json_object_get_uint64(v) : 0;
	head.initiator = (v = field(o, "initiator", json_type_int)) ? json_object_get_int(v) : 0;
	if ((v = field(o, "start_ns", json_type_int)) && (!v1 || json_object_get_int64(v)))
		head.start = sw_time_exact(json_object_get_uint64(v));
	head.meta.mono_to_real_ns = clock_offset(str(o, "start"), &head.start);
	if (!set_of(o, "online", &head.online_known, &head.online))
		why = "bad online list";
	/*
	 * Without an online list, "never_stopped" is a log's failed list only
	 * when the record's verdict was "failed": a record still running prints
	 * the targets it has not heard from there too, and must read back as
	 * running (the fuzz_records round trip found this).
	 */
	if (!set_of(o, "never_stopped", &known, &head.failed))
		why = "bad never_stopped list";
	head.failed_known = known && !head.online_known && !sw_cpuset_empty(&head.failed) &&
			    str(o, "outcome") && !strcmp(str(o, "outcome"), sw_outcome_name(SW_OUT_FAILED));
	if ((v = field(o, "rungs", json_type_array)) && parse_rungs(v, &head))
		why = "bad rungs";
	head.nr_cpus = (v = field(o, "nr_cpus", json_type_int)) ? (unsigned int)json_object_get_int(v)
								 : cpus_named(o, &head);
	if (!why && (head.nr_cpus < 1 || head.nr_cpus > SW_CPUS_MAX || head.initiator >= SW_CPUS_MAX))
		why = "bad nr_cpus or initiator";
	if (why) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	s = sw_stop_new(head.nr_cpus);
	if (!s) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	head.cpu = s->cpu;
	*s = head;
	s->end = time_of(o, "duration", sw_time_known(&s->start), s->start.by);
	s->state = !sw_time_unknown(&s->end) || s->failed_known ? SW_REC_DONE : SW_REC_RUNNING;
	if ((v = field(o, "cpus", json_type_array)) && parse_cpus(v, s)) {
		snprintf(err, errlen, "bad cpus");
		sw_stop_free(s);
		return NULL;
	}
	return s;
}

struct sw_stop *sw_record_parse_json(const char *line, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(line);
	const char *schema;
	struct sw_stop *s = NULL;

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(o);
		return NULL;
	}
	schema = str(o, "schema") ? str(o, "schema") : "";
	if (strcmp(schema, "stopwatch.stop/2") && strcmp(schema, "stopwatch.stop/1"))
		snprintf(err, errlen, "not a stop record (schema '%.40s')", schema);
	else
		s = parse(o, !strcmp(schema, "stopwatch.stop/1"), err, errlen);
	json_object_put(o);
	return s;
}

int sw_records_read_json(FILE *in, sw_stop_fn fn, void *ctx, char *err, size_t errlen)
{
	/* one line at most MAX_LINE bytes: memory stays bounded whatever the input */
	char *line = malloc(MAX_LINE + 2), why[128];
	long lineno = 0;
	int n = 0;

	if (!line) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	while (fgets(line, MAX_LINE + 2, in)) {
		size_t len = strlen(line);
		struct sw_stop *s;

		lineno++;
		if (len > MAX_LINE) {
			snprintf(err, errlen, "line %ld: longer than %d bytes", lineno, MAX_LINE);
			n = -EINVAL;
			break;
		}
		/* recover and logscan print a text line or two around records: only objects count */
		if (line[0] != '{')
			continue;
		s = sw_record_parse_json(line, why, sizeof(why));
		if (!s) {
			snprintf(err, errlen, "line %ld: %s", lineno, why);
			n = -EINVAL;
			break;
		}
		fn(ctx, s);
		sw_stop_free(s);
		n++;
	}
	free(line);
	return n;
}
