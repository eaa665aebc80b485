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
#include "record.h"
#include "vmcore.h"

static const char recover_doc[] =
	"Read stop records from a vmcore and print them. The record store is found\n"
	"by the page frame 'stopwatch arm' printed (its locator line): --pfn, or\n"
	"stopwatch.pfn= on this kernel's command line (as a kdump capture kernel\n"
	"gets it from 'kexec -p --append'); without either, page starts are\n"
	"scanned for the store's magic.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch recover --vmcore /proc/vmcore\n"
	"    stopwatch recover --vmcore guest.core --pfn 123456 --format json\n";

static const struct argp_option recover_options[] = {
	{ "vmcore", 'c', "FILE", 0, "ELF core to read (/proc/vmcore, or a saved core)" },
	{ "pfn", 'P', "PFN", 0, "Page frame of the record store (from 'stopwatch arm')" },
	{ "boot-id", 'b', "UUID", 0, "Refuse a core whose store was armed in another boot" },
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
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.vmcore)
			argp_error(state, "--vmcore FILE is required");
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

int cmd_recover(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_format_argp }, { &sw_common_argp }, {} };
	const struct argp argp = { recover_options, recover_parse, NULL, recover_doc, children };
	struct sw_record_meta meta = { .source = SW_SRC_VMCORE, .exact = true };
	struct sw_store *st;
	char err[256];
	int n = 0, ret;
	__u64 pfn;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	pfn = env.pfn ? env.pfn : cmdline_pfn();
	st = calloc(1, sizeof(*st));
	if (!st) {
		fprintf(stderr, "stopwatch: out of memory\n");
		return SW_EXIT_FAIL;
	}
	ret = sw_vmcore_read_store(env.vmcore, pfn, st, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "stopwatch: failed to recover from %s: %s\n", env.vmcore, err);
		free(st);
		return ret == -ENOENT || ret == -EACCES ? SW_EXIT_FAIL : SW_EXIT_DATA;
	}
	/* the store's own header: layout and size were checked by the reader */
	sw_store_meta(st, &meta);
	if (env.boot_id && strcasecmp(env.boot_id, meta.boot_id)) {
		fprintf(stderr, "stopwatch: %s holds records of boot %s, not %s\n", env.vmcore,
			meta.boot_id, env.boot_id);
		free(st);
		return SW_EXIT_DATA;
	}
	n = sw_store_print(stdout, &meta, st, env.format == SW_FMT_JSON);
	if (!n && env.format == SW_FMT_TEXT)
		printf("armed in boot %s, but no stop was recorded\n", meta.boot_id);
	free(st);
	return SW_EXIT_OK;
}
