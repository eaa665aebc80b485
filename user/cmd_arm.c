// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * stopwatch arm / disarm / dump: pin the probes and maps in bpffs so the
 * stop is recorded after every process is gone (a reboot kills user space
 * before the kernel stops its CPUs), and read the pinned state back.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "env.h"
#include "live.h"
#include "loader.h"
#include "record.h"
#include "sinks.h"
#include "trace.h"

static const struct argp_option pin_options[] = {
	{ "force", 'F', NULL, 0, "arm: replace pins left by another stopwatch build" },
	{ "pin-dir", 'p', "DIR", 0, "bpffs directory of the pins (default " SW_DEFAULT_PIN_DIR ")" },
	{ "loglinear", 'L', NULL, 0, "arm: log-linear histograms (4 buckets per power of two)" },
	{ "trace-instance", 'I', "NAME", 0, "arm: persistent trace instance for the record lines "
	  "(default " SW_TRACE_DEFAULT_INSTANCE ")" },
	{},
};

static error_t pin_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'F':
		env.force = true;
		break;
	case 'p':
		env.pin_dir = arg;
		break;
	case 'L':
		env.loglinear = true;
		break;
	case 'I':
		if (!sw_valid_instance_name(arg))
			argp_error(state, "invalid trace instance name '%s'", arg);
		env.trace_instance = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = { { &sw_format_om_argp }, { &sw_common_argp }, {} };

static const char arm_doc[] =
	"Load the stop-path and live probes and pin them, with their maps, under\n"
	SW_DEFAULT_PIN_DIR ", so the next reboot, halt, panic or kdump is recorded\n"
	"after stopwatch exits. Prints a locator line for 'recover --pfn'.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch arm                # arm now\n"
	"    stopwatch arm --force        # replace pins of another stopwatch version\n"
	"    stopwatch arm -I stopwatch   # record lines in the trace instance booted with\n"
	"                                 # reserve_mem=12M:4096:trace trace_instance=stopwatch^traceoff@trace\n"
	"    kexec -p ... --append=\"... stopwatch.pfn=$(stopwatch arm | sed -n 's/.*pfn=\\([0-9]*\\).*/\\1/p')\"\n";

/*
 * Switch the record lines on in the trace instance, or say which boot
 * parameters would create it: its absence is not a failure of arm.
 */
static void arm_trace_instance(const struct sw_store_hdr *h, enum sw_trace_state state)
{
	char params[160], line[256], boot[40], err[256];

	sw_trace_boot_params(env.trace_instance, params, sizeof(params));
	if (state == SW_TRACE_ABSENT) {
		printf("  trace instance %s: absent, stop records are not kept over a warm reboot; "
		       "boot with: %s\n", env.trace_instance, params);
		return;
	}
	sw_boot_id_text(h->boot_id, boot, sizeof(boot));
	sw_trace_armed_line(line, sizeof(line), boot,
			    (__s64)h->armed_real_ns - (__s64)h->armed_mono_ns);
	if (sw_trace_arm(env.trace_instance, line, err, sizeof(err))) {
		printf("  trace instance %s: %s\n", env.trace_instance, err);
		return;
	}
	if (state == SW_TRACE_VOLATILE)
		printf("  trace instance %s: record lines on, but the instance is not in reserved "
		       "memory (lost on reboot); boot with: %s\n", env.trace_instance, params);
	else
		printf("  trace instance %s: record lines on (persistent)\n", env.trace_instance);
}

int cmd_arm(int argc, char **argv)
{
	const struct argp argp = { pin_options, pin_parse, NULL, arm_doc, children };
	struct sw_loaded L;
	struct sw_store *old;
	char err[256], boot[40];
	enum sw_trace_state trace_state;
	struct stat st;
	int ret, fd;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	if ((ret = sw_check_privileges()))
		return ret;
	if (stat(env.pin_dir, &st) == 0) {
		ret = sw_open_pinned_store(&env, &fd, &old, err, sizeof(err));
		if (old)
			free(old);
		if (fd >= 0)
			close(fd);
		if (ret == SW_EXIT_OK && !env.force) {
			printf("already armed (%s)\n", env.pin_dir);
			return SW_EXIT_OK;
		}
		if (ret != SW_EXIT_OK && !env.force) {
			fprintf(stderr, "stopwatch: stale pins in %s: %s; run 'stopwatch disarm' "
				"or 'stopwatch arm --force'\n", env.pin_dir, err);
			return SW_EXIT_STALE;
		}
		if (sw_unpin(&env, true))
			return SW_EXIT_FAIL;
	}
	/* the record lines go to the trace instance when there is one */
	if (!env.trace_instance)
		env.trace_instance = SW_TRACE_DEFAULT_INSTANCE;
	trace_state = sw_trace_instance_state(env.trace_instance);
	env.trace_lines = trace_state != SW_TRACE_ABSENT;
	ret = sw_load(&L, &env, SW_GROUP_STOP | SW_GROUP_LIVE);
	if (ret) {
		sw_unload(&L);
		return ret;
	}
	ret = sw_pin(&L, &env);
	if (ret) {
		sw_unpin(&env, true);
		sw_unload(&L);
		return ret;
	}
	sw_boot_id_text(L.store->boot_id, boot, sizeof(boot));
	printf("armed: %d attach points pinned under %s\n", L.attached, env.pin_dir);
	for (int i = 0; i < L.plan.n; i++) {
		const struct sw_choice *c = &L.plan.c[i];

		if (c->status == SW_ST_UNAVAILABLE || c->status == SW_ST_FAILED)
			printf("  %s: %s\n", c->pt->name, c->why);
	}
	for (unsigned int r = SW_RUNG_IPI; r <= SW_RUNG_SDEI; r++)
		if (!sw_plan_rung_available(&L.plan, &L.kernel, r, err, sizeof(err)))
			printf("  rung %s unavailable: %s\n", sw_rung_name(r), err);
	if (!L.store->pfn[0])
		printf("  warning: page frames unknown (no CAP_SYS_ADMIN?): recover will scan\n");
	arm_trace_instance(L.store, trace_state);
	printf("locator: pfn=%llu boot_id=%s pages=%u\n",
	       (unsigned long long)L.store->pfn[0], boot, L.store->nr_pages);
	fflush(stdout);
	sw_unload(&L); /* the pins keep everything alive */
	return SW_EXIT_OK;
}

static const char disarm_doc[] =
	"Remove the pinned probes and maps: recording stops.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch disarm\n";

int cmd_disarm(int argc, char **argv)
{
	const struct argp argp = { pin_options, pin_parse, NULL, disarm_doc, children };
	int ret;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	if ((ret = sw_check_privileges()))
		return ret;
	ret = sw_unpin(&env, false);
	if (!ret)
		printf("disarmed\n");
	return ret;
}

static const char dump_doc[] =
	"Print what the armed probes recorded: stop records, then the live\n"
	"histograms and counters accumulated since 'stopwatch arm'.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch dump\n"
	"    stopwatch dump --format json\n"
	"    bpftool map dump pinned " SW_DEFAULT_PIN_DIR "/sw_store\n";

int cmd_dump(int argc, char **argv)
{
	static const struct argp_child dump_children[] = { { &sw_format_om_argp },
							   { &sw_records_argp },
							   { &sw_common_argp }, {} };
	const struct argp argp = { pin_options, pin_parse, NULL, dump_doc, dump_children };
	struct sw_record_meta meta = { .source = SW_SRC_BPF, .exact = true };
	struct sw_live_maps maps = {};
	struct sw_store *st;
	char err[256], path[512];
	int ret, fd, n = 0;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	if ((ret = sw_check_privileges()))
		return ret;
	ret = sw_open_pinned_store(&env, &fd, &st, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "stopwatch: %s\n", err);
		if (st)
			free(st);
		if (fd >= 0)
			close(fd);
		return ret;
	}
	sw_store_meta(st, &meta);
	sw_store_say_counts(st, env.pin_dir, stderr);
	if (env.format != SW_FMT_OPENMETRICS && env.format != SW_FMT_PROMETHEUS) {
		struct sw_sinks k = { .out = stdout, .json = env.format == SW_FMT_JSON,
				      .per_cpu = env.per_cpu };

		n = sw_store_walk(st, &meta, sw_sinks_take, &k);
	}
	if (env.format == SW_FMT_TEXT && !n)
		printf("no stop recorded since arming\n");
	snprintf(path, sizeof(path), "%s/hists", env.pin_dir);
	maps.hists_fd = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/counters", env.pin_dir);
	maps.counters_fd = bpf_obj_get(path);
	maps.nr_cpus = libbpf_num_possible_cpus();
	maps.loglinear = st->hdr.flags & SW_STORE_F_LOGLINEAR;
	if (maps.hists_fd >= 0 && maps.counters_fd >= 0) {
		struct sw_live_snapshot *snap = sw_live_snapshot_new(maps.nr_cpus, env.per_cpu);

		if (snap && !sw_live_read(&maps, snap))
			sw_live_print(stdout, &env, &maps, snap, NULL, st);
		sw_live_snapshot_free(snap);
	}
	free(st);
	close(fd);
	return SW_EXIT_OK;
}
