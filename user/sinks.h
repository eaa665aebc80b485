/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where decoded records go. A command wires a source (store walk, trace
 * instance, logscan) to one struct sw_sinks: printed as text or JSON, and
 * counted in the state directory when one is open. Nothing flows back.
 */
#ifndef STOPWATCH_SINKS_H
#define STOPWATCH_SINKS_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include "state.h"
#include "stop.h"

struct sw_sinks {
	FILE *out;		/* NULL: print nothing */
	bool json;
	bool per_cpu;		/* text: the per-CPU table for every CPU (-C) */
	const char *boot_id;	/* only records of this boot (text UUID), or NULL */
	struct sw_state *state;	/* NULL: no ingest */
	unsigned long taken;	/* records that passed the filter */
	bool state_failed;	/* the state ran out of memory: do not commit it */
};

/* -C, --per-cpu for the commands that print records: sets env.per_cpu. */
extern const struct argp sw_records_argp;

/* A sw_stop_fn: print @s and count it; never stops a walk (0). */
int sw_sinks_take(void *ctx, const struct sw_stop *s);

#endif
