/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One configuration for every subcommand. */
#ifndef STOPWATCH_ENV_H
#define STOPWATCH_ENV_H

#include <stdbool.h>
#include <linux/types.h>

enum sw_format { SW_FMT_TEXT = 0, SW_FMT_JSON, SW_FMT_OPENMETRICS, SW_FMT_PROMETHEUS };

struct env {
	bool verbose;
	bool timestamp;		/* -T */
	bool per_cpu;		/* -C */
	bool loglinear;		/* --loglinear */
	bool force;		/* arm --force */
	bool cumulative;	/* live: print totals, not per-interval deltas */
	long sample_every;	/* live --sample N: time 1 in N IPI sends (0, 1: all) */
	enum sw_format format;
	double interval;	/* seconds */
	long count;		/* intervals, 0 = forever */
	const char *textfile;	/* node_exporter textfile (Prometheus text 0.0.4) */
	const char *pin_dir;	/* /sys/fs/bpf/stopwatch */
	const char *vmcore;
	__u64 pfn;
	const char *boot_id;	/* recover: expected boot id */
	const char *trace_instance; /* arm/recover: persistent trace instance */
	bool trace_lines;	/* BPF writes record lines (trace_lines.bpf.h) */
	bool trace_events;	/* recover --trace: list the decoded events */
	long live_seconds;	/* whatif/report: seconds of live tracing, 0 = none */
	const char *output;	/* report -o FILE.html */
};

extern struct env env;
/* CLOCK_MONOTONIC ms at main() entry, for the start-up benchmark */
extern double sw_t0_ms;

/* argp parser for -v, shared by every subcommand */
extern const struct argp sw_common_argp;
/* --format FMT: text|json, or text|json|prometheus|openmetrics */
extern const struct argp sw_format_argp;
extern const struct argp sw_format_om_argp;
int sw_parse_format(const char *s, enum sw_format *fmt);
/* Strict numeric parsing for arguments: the whole string or an error. */
int sw_parse_double(const char *s, double min, double max, double *out);
int sw_parse_long(const char *s, long min, long max, long *out);
/* A trace instance name (a tracefs directory): non-empty, no '/'. */
bool sw_valid_instance_name(const char *name);

#define SW_DEFAULT_PIN_DIR "/sys/fs/bpf/stopwatch"

#endif
