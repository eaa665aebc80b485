/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the dump harnesses (fuzz_vmcore, fuzz_kdump, fuzz_flat) check on each
 * read, as `stopwatch recover --vmcore` runs it: sw_vmcore_read_store(), an
 * error only of the kinds vmcore.h documents and with one line of reason,
 * the registers of every CPU, then every record of a store it accepts
 * through the printers.
 */
#ifndef STOPWATCH_FUZZ_DUMP_TARGET_H
#define STOPWATCH_FUZZ_DUMP_TARGET_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dump.h"
#include "print_check.h"
#include "store.h"
#include "vmcore.h"

static struct sw_store fuzz_store;

static void fuzz_read_dump(const char *path, __u64 pfn)
{
	struct sw_record_meta meta = { .source = SW_SRC_VMCORE, .exact = true };
	static FILE *sink;
	char err[256];
	int ret;

	if (!sink)
		sink = fopen("/dev/null", "w");
	err[0] = 'x';
	ret = sw_vmcore_read_store(path, pfn, &fuzz_store, err, sizeof(err));
	if (ret > 0 || (ret && (!err[0] || strchr(err, '\n'))))
		abort();	/* an error must come with one line of reason */
	if (ret && ret != -EINVAL && ret != -EIO && ret != -EBADMSG && ret != -EPROTO &&
	    ret != -ENOMEM && ret != -ENODATA && ret != -ENOTSUP)
		abort();	/* only the errors vmcore.h documents (recover maps them to exits) */
	if (ret)
		return;
	sw_store_meta(&fuzz_store, &meta);
	if (sw_store_walk(&fuzz_store, &meta, fuzz_print_walk, sink) > SW_STOP_SLOTS)
		abort();
}

/* The registers of every PRSTATUS note: decoded, or skipped, never a crash. */
static void fuzz_read_regs(const char *path)
{
	struct sw_dump_regs regs[64];
	struct sw_dump *d;
	char err[256];

	if (sw_dump_open(path, &d, err, sizeof(err)))
		return;
	if (sw_dump_prstatus(d, regs, 64) < 0)
		abort();
	sw_dump_close(d);
}

/* The input as a file (a memfd: the readers' own open/pread path); its fd. */
static int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz-dump", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
