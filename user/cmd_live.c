// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stopwatch live: IPI and SDEI delivery latency, every interval. */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "env.h"
#include "fileio.h"
#include "json.h"
#include "live.h"
#include "loader.h"
#include "record.h"
#include "state.h"
#include "stopwatch.skel.h"

static const char live_doc[] =
	"Stream the latency distributions behind the stop ladder on a healthy system:\n"
	"IPI delivery latency per IPI kind (how fast rung 1 would be acknowledged) and\n"
	"SDEI event-0 deliveries (signal to handler, and how many reached a CPU with\n"
	"interrupts masked).\n"
	"\n"
	"USAGE: stopwatch live [OPTION...] [interval] [count]\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch live                 # 1 s intervals until Ctrl-C\n"
	"    stopwatch live 5 3             # three 5-second intervals\n"
	"    stopwatch live -C -T           # per CPU, with timestamps\n"
	"    stopwatch live -L              # log-linear buckets: quantiles within 25%\n"
	"    stopwatch live --sample 16     # time 1 in 16 IPI sends: busy hosts, always on\n"
	"    stopwatch live --format json   # one JSON object per interval\n"
	"    stopwatch live -o /var/lib/prometheus/node-exporter/stopwatch_live.prom\n"
	"    stopwatch live --state-dir /var/lib/stopwatch   # SDEI counts for stats\n";

static const struct argp_option live_options[] = {
	{ "interval", 'i', "SECS", 0, "Seconds between outputs (default 1)" },
	{ "count", 'c', "COUNT", 0, "Number of outputs, then exit (default: until Ctrl-C)" },
	{ "timestamp", 'T', NULL, 0, "Print a timestamp with each interval" },
	{ "per-cpu", 'C', NULL, 0, "Per CPU: histograms (the CPU that took the interrupt), counters (the CPU that counted)" },
	{ "loglinear", 'L', NULL, 0, "Log-linear buckets in ns (4 per power of two) instead of log2 us" },
	{ "cumulative", 'a', NULL, 0, "Print totals since start instead of each interval" },
	{ "sample", 'S', "N", 0,
	  "Time 1 in N IPI sends per CPU, for hosts with high IPI rates: an untimed send and its "
	  "handler read no clock; counters stay exact, the histograms hold the timed ones" },
	{ "textfile", 'o', "PATH", 0,
	  "Also write the totals in the Prometheus text format to PATH each interval, atomically "
	  "(node_exporter's textfile collector); its directory must exist" },
	{},
};

static int positional;

/*
 * --state-dir: this boot's SDEI deliveries so far (the maps count from this
 * run's start) into the cumulative statistics, when they changed. The state
 * keeps the largest count seen per boot, so saving again is harmless; a
 * second live run in one boot starts from 0 and only adds above the first.
 */
static int save_sdei(const struct sw_live_snapshot *s, __u64 saved[SW_SDEI_KINDS])
{
	__u64 sdei[SW_SDEI_KINDS];
	struct sw_state *st;
	char boot[40];
	__u8 id[16];
	int ret;

	for (int k = 0; k < SW_SDEI_KINDS; k++)
		sdei[k] = s->total[SW_STREAM_SDEI * SW_HIST_KINDS + k].count;
	if (!memcmp(sdei, saved, sizeof(sdei)))
		return SW_EXIT_OK;
	if (sw_read_boot_id(id, boot, sizeof(boot))) {
		fprintf(stderr, "stopwatch: failed to read the boot id\n");
		return SW_EXIT_FAIL;
	}
	ret = sw_ingest_begin(&st);
	if (ret)
		return ret;
	if (sw_state_note_sdei(st, boot, sdei)) {
		sw_state_close(st);
		fprintf(stderr, "stopwatch: failed to count SDEI deliveries: %s\n", strerror(ENOMEM));
		return SW_EXIT_FAIL;
	}
	ret = sw_ingest_end(st, SW_EXIT_OK);
	if (!ret)
		memcpy(saved, sdei, sizeof(sdei));
	return ret;
}

static error_t live_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'i':
		if (sw_parse_double(arg, 0.01, 86400, &env.interval))
			argp_error(state, "invalid interval '%s' (0.01 to 86400 seconds)", arg);
		break;
	case 'c':
		if (sw_parse_long(arg, 1, 1000000000L, &env.count))
			argp_error(state, "invalid count '%s'", arg);
		break;
	case 'T':
		env.timestamp = true;
		break;
	case 'C':
		env.per_cpu = true;
		break;
	case 'L':
		env.loglinear = true;
		break;
	case 'a':
		env.cumulative = true;
		break;
	case 'S':
		if (sw_parse_long(arg, 1, 65536, &env.sample_every))
			argp_error(state, "invalid sample rate '%s' (1 to 65536)", arg);
		break;
	case 'o':
		if (!arg[0])
			argp_error(state, "empty textfile path");
		env.textfile = arg;
		break;
	case ARGP_KEY_ARG:
		if (positional == 0) {
			if (sw_parse_double(arg, 0.01, 86400, &env.interval))
				argp_error(state, "invalid interval '%s'", arg);
		} else if (positional == 1) {
			if (sw_parse_long(arg, 1, 1000000000L, &env.count))
				argp_error(state, "invalid count '%s'", arg);
		} else {
			argp_error(state, "unexpected argument '%s'", arg);
		}
		positional++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void print_event_json(const struct sw_event *e)
{
	sw_json *o = sw_json_obj();

	sw_json_set_str(o, "schema", "stopwatch.event/1");
	sw_json_set_str(o, "event", "sdei_delivery");
	sw_json_set_u64(o, "cpu", e->cpu);
	sw_json_set_str(o, "kind", sw_sdei_kind_name(e->kind));
	sw_json_set_bool(o, "masked", e->irqs == SW_IRQS_MASKED);
	sw_json_set_bool(o, "idle", e->idle);
	sw_json_set(o, "latency_us", sw_json_ns_as_us(e->latency_ns));
	sw_json_print(stdout, o);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct sw_event *e = data;

	(void)ctx;
	if (len < sizeof(*e))
		return 0;
	if (e->type == SW_EV_SDEI_DELIVERY && env.format == SW_FMT_TEXT)
		printf("sdei: event 0 (%s) reached CPU %u%s, latency %.1f us\n",
		       sw_sdei_kind_name(e->kind), e->cpu,
		       e->idle ? " (idle)" : e->irqs == SW_IRQS_MASKED ? " with interrupts masked" : "",
		       e->latency_ns / 1000.0);
	else if (e->type == SW_EV_SDEI_DELIVERY && env.format == SW_FMT_JSON)
		print_event_json(e);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_live(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_format_om_argp }, { &sw_state_argp },
						      { &sw_common_argp }, {} };
	const struct argp argp = { live_options, live_parse, NULL, live_doc, children };
	struct sw_live_snapshot *prev = NULL, *cur = NULL, *delta = NULL;
	__u64 sdei_saved[SW_SDEI_KINDS] = {};
	struct ring_buffer *rb = NULL;
	struct sw_live_maps maps;
	struct sw_loaded L;
	int ret;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	if (env.textfile) {
		char err[512];

		if (sw_check_writable_dir(env.textfile, err, sizeof(err))) {
			fprintf(stderr, "stopwatch: cannot write textfile %s: %s\n", env.textfile, err);
			return SW_EXIT_USAGE;
		}
	}
	if ((ret = sw_check_privileges()))
		return ret;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* a stream: a pipe or file reader sees each event and interval at once */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = sw_load(&L, &env, SW_GROUP_LIVE);
	if (ret)
		goto out;
	/* bench/: time from main() to every live probe attached, then stop */
	if (getenv("STOPWATCH_EXIT_AFTER_ATTACH")) {
		printf("attached %d points in %.2f ms\n", L.attached, now_s() * 1e3 - sw_t0_ms);
		goto out;
	}
	if (env.verbose)
		for (int i = 0; i < L.plan.n; i++)
			if (L.plan.c[i].status != SW_ST_SKIPPED)
				fprintf(stderr, "stopwatch: %s: %s %s\n", L.plan.c[i].pt->name,
					sw_status_name(L.plan.c[i].status), L.plan.c[i].why);
	maps.hists_fd = bpf_map__fd(L.skel->maps.hists);
	maps.counters_fd = bpf_map__fd(L.skel->maps.counters);
	maps.nr_cpus = L.nr_cpus;
	maps.loglinear = env.loglinear;
	maps.sample_every = env.sample_every > 1 ? env.sample_every : 1;
	/* one ring_buffer, one epoll, over every CPU's ring */
	rb = ring_buffer__new(L.ring_fds[0], on_event, NULL, NULL);
	for (int i = 1; rb && i < L.nr_rings; i++) {
		ret = ring_buffer__add(rb, L.ring_fds[i], on_event, NULL);
		if (ret) {
			fprintf(stderr, "stopwatch: failed to add event ring %d: %s\n", i,
				strerror(-ret));
			ret = SW_EXIT_FAIL;
			goto out;
		}
	}
	prev = sw_live_snapshot_new(L.nr_cpus, env.per_cpu);
	cur = sw_live_snapshot_new(L.nr_cpus, env.per_cpu);
	delta = sw_live_snapshot_new(L.nr_cpus, env.per_cpu);
	if (!rb || !prev || !cur || !delta) {
		fprintf(stderr, "stopwatch: failed to set up the live stream: %s\n", strerror(errno));
		ret = SW_EXIT_FAIL;
		goto out;
	}
	if (env.format == SW_FMT_TEXT)
		printf("Tracing IPI%s delivery latency... Hit Ctrl-C to end.\n\n",
		       L.kernel.arch == SW_ARCH_ARM64 ? " and SDEI" : "");
	fflush(stdout);
	sw_live_read(&maps, prev);
	for (long n = 0; !exiting && (!env.count || n < env.count); n++) {
		double deadline = now_s() + env.interval;

		while (!exiting) {
			double left = deadline - now_s();

			if (left <= 0)
				break;
			/*
			 * The BPF side submits with BPF_RB_NO_WAKEUP (no irq_work from
			 * SDEI/NMI context), so epoll never reports a ring ready:
			 * wait in short steps and drain them all after each.
			 */
			ret = ring_buffer__poll(rb, left > 0.1 ? 100 : (int)(left * 1000) + 1);
			if (ret >= 0 || ret == -EINTR)
				ret = ring_buffer__consume(rb);
			if (ret < 0 && ret != -EINTR) {
				fprintf(stderr, "stopwatch: failed to poll events: %s\n", strerror(-ret));
				ret = SW_EXIT_FAIL;
				goto out;
			}
		}
		if (sw_live_read(&maps, cur)) {
			fprintf(stderr, "stopwatch: failed to read maps: %s\n", strerror(errno));
			ret = SW_EXIT_FAIL;
			goto out;
		}
		if (env.cumulative) {
			sw_live_print(stdout, &env, &maps, cur, cur, NULL);
		} else {
			sw_live_delta(delta, cur, prev);
			sw_live_print(stdout, &env, &maps, delta, cur, NULL);
		}
		if (env.textfile) {
			int err = sw_write_textfile(env.textfile, &maps, cur, env.per_cpu);

			if (err) {
				fprintf(stderr, "stopwatch: failed to write %s: %s\n", env.textfile,
					strerror(-err));
				ret = SW_EXIT_FAIL;
				goto out;
			}
		}
		if (sw_state_dir && (ret = save_sdei(cur, sdei_saved)))
			goto out;
		if (!env.cumulative) {
			struct sw_live_snapshot *t = prev;

			prev = cur;
			cur = t;
		}
	}
	ret = SW_EXIT_OK;
out:
	ring_buffer__free(rb);
	sw_live_snapshot_free(prev);
	sw_live_snapshot_free(cur);
	sw_live_snapshot_free(delta);
	sw_unload(&L);
	return ret;
}
