// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stop records back from their JSON (the "stopwatch.stop/1" lines recover,
 * dump and logscan print), so whatif and report can read what a lab or a
 * fleet kept as JSON. The inverse of sw_record_print_json: times come back
 * to the ns from the printed us (3 decimals), relative to start_ns.
 */
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "loader.h"
#include "record.h"
#include "record_json.h"

static struct json_object *field(struct json_object *o, const char *name, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* @name's value among @count names from @names_of, or -1. */
static int name_index(const char *name, const char *(*names_of)(unsigned int), int count)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(name, names_of(i)))
			return i;
	return -1;
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f)
			return false;
	return true;
}

static const char *source_of(unsigned int i)
{
	return sw_source_name(i);
}

/* ns after @base from a us figure; 0 stays "not happened" only for a null */
static __u64 at_ns(__u64 base, struct json_object *us)
{
	return base + (__u64)llround(json_object_get_double(us) * 1000);
}

static void grow(struct sw_stop_record *r, unsigned int cpu)
{
	if (cpu + 1 > r->nr_cpus)
		r->nr_cpus = cpu + 1;
}

static int parse_rungs(struct json_object *rungs, struct sw_stop_record *r, __u64 base)
{
	for (size_t i = 0; i < json_object_array_length(rungs); i++) {
		struct json_object *o = json_object_array_get_idx(rungs, i);
		struct json_object *name = field(o, "rung", json_type_string);
		struct json_object *us = field(o, "fired_us", json_type_double);
		struct json_object *targets = field(o, "targets", json_type_string);
		int rung = name ? sw_rung_parse(json_object_get_string(name)) : -1;

		if (!us)
			us = field(o, "fired_us", json_type_int);
		if (rung < SW_RUNG_IPI || rung > SW_FIRE_RUNGS || !us || !targets ||
		    sw_mask_parse(json_object_get_string(targets), r->target[rung - 1], SW_MAX_CPUS))
			return -EINVAL;
		r->t_fire[rung - 1] = at_ns(base, us);
		for (unsigned int c = 0; c < SW_MAX_CPUS; c++)
			if (sw_mask_test(r->target[rung - 1], c))
				grow(r, c);
	}
	return 0;
}

static int parse_cpus(struct json_object *cpus, struct sw_stop_record *r, __u64 base)
{
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		struct json_object *o = json_object_array_get_idx(cpus, i);
		struct json_object *cpu = field(o, "cpu", json_type_int);
		struct json_object *name = field(o, "rung", json_type_string);
		struct json_object *us = field(o, "at_us", json_type_double);
		struct json_object *irqs = field(o, "irqs", json_type_string);
		int rung = name ? sw_rung_parse(json_object_get_string(name)) : -1;
		int c = cpu ? json_object_get_int(cpu) : -1;

		if (!us)
			us = field(o, "at_us", json_type_int);
		if (c < 0 || c >= SW_MAX_CPUS || rung < 0 || !us)
			return -EINVAL;
		r->cpu[c].rung = rung;
		r->cpu[c].t_handler = at_ns(base, us);
		r->cpu[c].irqs = !irqs ? SW_IRQS_UNKNOWN
			: !strcmp(json_object_get_string(irqs), "masked") ? SW_IRQS_MASKED
			: !strcmp(json_object_get_string(irqs), "enabled") ? SW_IRQS_ENABLED
			: SW_IRQS_UNKNOWN;
		grow(r, c);
	}
	return 0;
}

int sw_record_parse_json(const char *line, struct sw_record_meta *m, struct sw_stop_record *r,
			 char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(line), *v;
	const char *schema;
	int kind, src, ret = -EINVAL;
	__u64 base;

	memset(m, 0, sizeof(*m));
	memset(r, 0, sizeof(*r));
	if (!o) {
		snprintf(err, errlen, "not JSON");
		return -EINVAL;
	}
	v = field(o, "schema", json_type_string);
	schema = v ? json_object_get_string(v) : "";
	if (strcmp(schema, "stopwatch.stop/1")) {
		snprintf(err, errlen, "not a stop record (schema '%s')", schema);
		goto out;
	}
	v = field(o, "source", json_type_string);
	src = v ? name_index(json_object_get_string(v), source_of, SW_SRC_LOG + 1) : -1;
	v = field(o, "kind", json_type_string);
	kind = v ? name_index(json_object_get_string(v), sw_kind_name, SW_KIND_COUNT) : -1;
	if (src < 0 || kind < 0) {
		snprintf(err, errlen, "unknown source or kind");
		goto out;
	}
	m->source = src;
	m->exact = (v = field(o, "exact", json_type_boolean)) && json_object_get_boolean(v);
	/* what a record prints: a UUID, a host name of plain characters */
	if ((v = field(o, "boot_id", json_type_string)) && json_object_get_string_len(v)) {
		__u8 id[16];

		if (sw_boot_id_parse(json_object_get_string(v), id)) {
			snprintf(err, errlen, "boot_id is not a UUID");
			goto out;
		}
		sw_boot_id_text(id, m->boot_id, sizeof(m->boot_id));
	}
	if ((v = field(o, "host", json_type_string))) {
		if (!plain(json_object_get_string(v))) {
			snprintf(err, errlen, "host has quotes, backslashes or control characters");
			goto out;
		}
		snprintf(m->host, sizeof(m->host), "%s", json_object_get_string(v));
	}
	r->kind = kind;
	r->seq = (v = field(o, "seq", json_type_int)) ? json_object_get_int64(v) : 0;
	r->initiator = (v = field(o, "initiator", json_type_int)) ? json_object_get_int(v) : 0;
	r->t_start = (v = field(o, "start_ns", json_type_int)) ? json_object_get_int64(v) : 0;
	/* a time of 0 means "did not happen": an untimed log's rungs keep a base of 1 ns */
	base = r->t_start ? r->t_start : 1;
	grow(r, r->initiator);
	if ((v = field(o, "online", json_type_string)) &&
	    sw_mask_parse(json_object_get_string(v), r->online, SW_MAX_CPUS)) {
		snprintf(err, errlen, "bad online list");
		goto out;
	}
	for (unsigned int c = 0; c < SW_MAX_CPUS; c++)
		if (sw_mask_test(r->online, c))
			grow(r, c);
	if ((v = field(o, "rungs", json_type_array)) && parse_rungs(v, r, base)) {
		snprintf(err, errlen, "bad rungs");
		goto out;
	}
	if ((v = field(o, "cpus", json_type_array)) && parse_cpus(v, r, base)) {
		snprintf(err, errlen, "bad cpus");
		goto out;
	}
	v = field(o, "duration_us", json_type_double);
	if (!v)
		v = field(o, "duration_us", json_type_int);
	r->t_end = v ? at_ns(base, v) : 0;
	r->state = v ? SW_REC_DONE : SW_REC_RUNNING;
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

int sw_records_read_json(FILE *in, sw_record_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sw_stop_record *r = calloc(1, sizeof(*r));
	struct sw_record_meta m;
	char *line = NULL, why[128];
	size_t cap = 0;
	long lineno = 0;
	int n = 0;

	if (!r) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	while (getline(&line, &cap, in) > 0) {
		lineno++;
		/* recover and logscan print a text line or two around records: only objects count */
		if (line[0] != '{')
			continue;
		if (sw_record_parse_json(line, &m, r, why, sizeof(why))) {
			snprintf(err, errlen, "line %ld: %s", lineno, why);
			n = -EINVAL;
			break;
		}
		fn(ctx, &m, r);
		n++;
	}
	free(line);
	free(r);
	return n;
}
