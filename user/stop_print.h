/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The sinks of the decoded record that print it: JSON (stop_json.c, schema
 * stopwatch.stop/2 in docs/schema.md) and text (stop_text.c).
 */
#ifndef STOPWATCH_STOP_PRINT_H
#define STOPWATCH_STOP_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"
#include "stop.h"

/* The record as one JSON object on one line. 0, -EIO or -ENOMEM. */
int sw_stop_print_json(FILE *f, const struct sw_stop *s);
/*
 * Text for people: CPUs with the same rung and the same bound collapse into
 * ranges ("1-2,4-7 ipi by +1000.453 ms"); the per-CPU table lists the CPUs
 * whose times are exact (they differ) and any CPU with facts of its own
 * (registers, how it ended), or every CPU with @per_cpu (-C).
 */
void sw_stop_print_text(FILE *f, const struct sw_stop *s, bool per_cpu);
/* Either, by --format: @json or text. */
void sw_stop_print(FILE *f, const struct sw_stop *s, bool json, bool per_cpu);
/* Wall clock of the start ("2026-12-01T08:00:00.000000Z"), "" when unknown. */
void sw_stop_wall_time(const struct sw_stop *s, char *buf, size_t len);

#endif
