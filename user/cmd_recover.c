// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * stopwatch recover: read the stop records back after the stop, when the
 * process that armed them is gone. Source: a vmcore (/proc/vmcore in a
 * kdump capture kernel, or an ELF core saved by QEMU's dump-guest-memory).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "loader.h"
#include "state.h"
#include "record.h"
#include "sinks.h"
#include "trace.h"
#include "vmcore.h"
#include "dump.h"
#include "dump_regs.h"

static const char recover_doc[] =
	"Read stop records from a crash dump and print them: an ELF core\n"
	"(/proc/vmcore, QEMU's dump-guest-memory), a kdump-compressed dump\n"
	"(makedumpfile -c/-l/-p/-z, as RHEL's kdump saves) or a flattened one\n"
	"(makedumpfile -F, as Debian's kdump-tools saves /var/crash/*/dump.*), from a\n"
	"file or from standard input (-); the format is told by the content. The\n"
	"statically linked stopwatch reads ELF cores only (stopwatch-dynamic reads\n"
	"all: Debian has libkdumpfile only as a shared library). The record store is found\n"
	"by the page frame 'stopwatch arm' printed (its locator line): --pfn, or\n"
	"stopwatch.pfn= on this kernel's command line (as a kdump capture kernel\n"
	"gets it from 'kexec -p --append'); without either, page starts are\n"
	"scanned for the store's magic.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch recover --vmcore /proc/vmcore\n"
	"    stopwatch recover --vmcore guest.core --pfn 123456 --format json\n"
	"    stopwatch recover --vmcore /proc/vmcore --state-dir /var/lib/stopwatch\n"
	"    stopwatch-dynamic recover --vmcore /var/crash/202612010930/dump.202612010930\n"
	"    ssh crashhost cat /var/crash/*/dump.* | stopwatch-dynamic recover --vmcore -\n"
	"\n"
	"Or read the previous boot's persistent trace instance (--trace, see\n"
	"'stopwatch arm'): the buffer is consumed, as trace_pipe does, so with\n"
	"--state-dir the records are counted in the same run.\n"
	"    stopwatch recover --trace --state-dir /var/lib/stopwatch\n"
	"    stopwatch recover --trace=stopwatch --events   # also list the events read\n";

static const struct argp_option recover_options[] = {
	{ "vmcore", 'c', "FILE", 0, "Crash dump to read (/proc/vmcore, a saved ELF core, a "
	  "kdump-compressed or flattened dump; - for standard input)" },
	{ "pfn", 'P', "PFN", 0, "Page frame of the record store (from 'stopwatch arm')" },
	{ "boot-id", 'b', "UUID", 0, "Refuse a core whose store was armed in another boot" },
	{ "trace", 't', "NAME", OPTION_ARG_OPTIONAL, "Read trace instance NAME (default "
	  SW_TRACE_DEFAULT_INSTANCE ") instead of a vmcore" },
	{ "events", 'e', NULL, 0, "--trace: print each event read (CPU TS_NS SYSTEM:EVENT TEXT)" },
	{},
};

static error_t recover_parse(int key, char *arg, struct argp_state *state)
{
	long v;

	switch (key) {
	case 'c':
		env.vmcore = arg;
		break;
	case 'P':
		if (sw_parse_long(arg, 1, (1L << 52), &v))
			argp_error(state, "invalid page frame number '%s'", arg);
		env.pfn = v;
		break;
	case 'b':
		if (strlen(arg) != 36)
			argp_error(state, "invalid boot id '%s' (a UUID)", arg);
		env.boot_id = arg;
		break;
	case 't':
		if (arg && !sw_valid_instance_name(arg))
			argp_error(state, "invalid trace instance name '%s'", arg);
		env.trace_instance = arg ? arg : SW_TRACE_DEFAULT_INSTANCE;
		break;
	case 'e':
		env.trace_events = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.vmcore == !env.trace_instance)
			argp_error(state, "one of --vmcore FILE or --trace[=NAME] is required");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* stopwatch.pfn=N on the kernel command line (kdump capture kernels). */
static __u64 cmdline_pfn(void)
{
	char buf[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");
	__u64 pfn = 0;

	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strstr(buf, "stopwatch.pfn=")))
		pfn = strtoull(p + 14, NULL, 0);
	fclose(f);
	return pfn;
}

/* A state that ran out of memory is not committed: it stays as it was. */
static int ingest_failed(struct sw_sinks *k, int ret)
{
	if (!k->state_failed)
		return ret;
	fprintf(stderr, "stopwatch: failed to count records: %s\n", strerror(ENOMEM));
	sw_state_close(k->state);
	k->state = NULL;
	return SW_EXIT_FAIL;
}

/*
 * The stop records of a trace instance's buffer. Reading consumes it, so
 * the state (if any) is opened and locked first: a record read is counted
 * in this run or, if the commit fails, at least printed.
 */
static int recover_trace(void)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	struct sw_record_meta meta;
	struct sw_sinks k = { .out = stdout, .json = env.format == SW_FMT_JSON,
			      .per_cpu = env.per_cpu, .boot_id = env.boot_id };
	char err[256];
	int n, used, bad, ret = SW_EXIT_OK;

	if (!a) {
		fprintf(stderr, "stopwatch: out of memory\n");
		return SW_EXIT_FAIL;
	}
	if (sw_ingest_begin(&k.state)) {
		sw_trace_asm_free(a);
		return SW_EXIT_FAIL;
	}
	n = sw_trace_read_instance(env.trace_instance, a, env.trace_events ? stdout : NULL,
				   err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "stopwatch: failed to recover from the trace: %s\n", err);
		sw_trace_asm_free(a);
		sw_state_close(k.state);	/* nothing read, nothing to commit */
		return SW_EXIT_FAIL;
	}
	sw_trace_asm_stats(a, &used, &bad);
	for (int i = 0; i < sw_trace_asm_count(a) && ret == SW_EXIT_OK; i++) {
		const struct sw_stop_record *w = sw_trace_asm_record(a, i, &meta);
		struct sw_stop *s = sw_stop_from_wire(&meta, w);

		if (!s) {
			fprintf(stderr, "stopwatch: failed to decode records: %s\n", strerror(ENOMEM));
			ret = SW_EXIT_FAIL;
			break;
		}
		sw_sinks_take(&k, s);
		sw_stop_free(s);
	}
	ret = ingest_failed(&k, ret);
	if (env.format == SW_FMT_TEXT)
		printf("trace instance %s: %d events, %d stopwatch lines used, %d malformed, "
		       "%d stop records\n", env.trace_instance, n, used, bad, sw_trace_asm_count(a));
	if (bad)
		fprintf(stderr, "stopwatch: %d malformed stopwatch lines in instance %s ignored\n",
			bad, env.trace_instance);
	sw_trace_asm_free(a);
	fflush(stdout);
	return sw_ingest_end(k.state, ret);
}

/*
 * The dump's registers belong to the crash it saved: the newest record of
 * kind crash. That record goes to the sinks with each CPU's registers (or
 * that the dump lacks them); every other record as the store holds it.
 */
struct dump_walk {
	struct sw_sinks *k;
	const struct sw_dump *d;
	__u64 crash_seq;
};

static int newest_crash(void *ctx, const struct sw_stop *s)
{
	__u64 *seq = ctx;

	if (s->kind == SW_KIND_CRASH && s->seq > *seq)
		*seq = s->seq;
	return 0;
}

static int take_with_regs(void *ctx, const struct sw_stop *s)
{
	struct dump_walk *w = ctx;
	struct sw_stop *c;
	char why[256];
	int ret;

	if (s->kind != SW_KIND_CRASH || s->seq != w->crash_seq)
		return sw_sinks_take(w->k, s);
	c = sw_stop_new(s->nr_cpus);
	if (!c || sw_stop_copy(c, s)) {
		sw_stop_free(c);
		return -ENOMEM;
	}
	ret = sw_dump_fill_regs(w->d, c, why, sizeof(why));
	if (ret == -ENOENT)
		fprintf(stderr, "stopwatch: registers of record %llu: %s\n",
			(unsigned long long)s->seq, why);
	ret = ret == -ENOMEM ? ret : sw_sinks_take(w->k, c);
	sw_stop_free(c);
	return ret;
}

int cmd_recover(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_format_argp }, { &sw_records_argp }, { &sw_state_argp },
						      { &sw_common_argp }, {} };
	const struct argp argp = { recover_options, recover_parse, NULL, recover_doc, children };
	struct sw_record_meta meta = { .source = SW_SRC_VMCORE, .exact = true };
	struct sw_sinks k = { .out = stdout };
	struct dump_walk w = { .k = &k };
	struct sw_dump *d = NULL;
	struct sw_store *st;
	char err[256];
	int n = 0, ret;
	__u64 pfn;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	if (env.trace_instance)
		return recover_trace();
	k.json = env.format == SW_FMT_JSON;
	k.per_cpu = env.per_cpu;
	pfn = env.pfn ? env.pfn : cmdline_pfn();
	st = calloc(1, sizeof(*st));
	if (!st) {
		fprintf(stderr, "stopwatch: out of memory\n");
		return SW_EXIT_FAIL;
	}
	ret = sw_dump_open(env.vmcore, &d, err, sizeof(err));
	if (!ret)
		ret = sw_vmcore_find_store(d, env.vmcore, pfn, st, err, sizeof(err));
	/* what the dump is, once it gave a store: a bad dump gets one line, the error */
	if (!ret) {
		fprintf(stderr, "stopwatch: %s: %s dump", env.vmcore, sw_dump_describe(d));
		if (sw_dump_level(d) >= 0)
			fprintf(stderr, ", dump level %d", sw_dump_level(d));
		fprintf(stderr, ", registers of %d CPUs\n", sw_dump_prstatus(d, NULL, 0));
	}
	if (ret) {
		fprintf(stderr, "stopwatch: failed to recover from %s: %s\n", env.vmcore, err);
		sw_dump_close(d);
		free(st);
		/* a format this build cannot read is not bad data (recover-boot retries) */
		return ret == -ENOENT || ret == -EACCES || ret == -ENOTSUP ? SW_EXIT_FAIL
									    : SW_EXIT_DATA;
	}
	/* the store's own header: layout and size were checked by the reader */
	sw_store_meta(st, &meta);
	if (env.boot_id && strcasecmp(env.boot_id, meta.boot_id)) {
		fprintf(stderr, "stopwatch: %s holds records of boot %s, not %s\n", env.vmcore,
			meta.boot_id, env.boot_id);
		sw_dump_close(d);
		free(st);
		return SW_EXIT_DATA;
	}
	ret = sw_ingest_begin(&k.state);
	if (ret) {
		sw_dump_close(d);
		free(st);
		return ret;
	}
	sw_store_say_counts(st, env.vmcore, stderr);
	w.d = d;
	sw_store_walk(st, &meta, newest_crash, &w.crash_seq);
	n = sw_store_walk(st, &meta, take_with_regs, &w);
	if (n < 0) {
		fprintf(stderr, "stopwatch: failed to decode records: %s\n", strerror(-n));
		ret = SW_EXIT_FAIL;
		k.state_failed = true;
	}
	if (!n && env.format == SW_FMT_TEXT)
		printf("armed in boot %s, but no stop was recorded\n", meta.boot_id);
	fflush(stdout);
	ret = ingest_failed(&k, ret);
	sw_dump_close(d);
	free(st);
	return sw_ingest_end(k.state, ret);
}
