/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Read the record store out of an ELF core (/proc/vmcore, QMP dump-guest-memory). */
#ifndef STOPWATCH_VMCORE_H
#define STOPWATCH_VMCORE_H

#include <stddef.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"
#include "dump.h"

/*
 * Find the store at physical frame @first_pfn (0: scan page starts for the
 * magic, and say so on stderr), check its header (magic, layout, size,
 * checksum, page list) and assemble its pages from the frames the header
 * lists, then decode it into @out. @path is a crash dump of any form
 * user/dump.h reads. Returns 0, or a negative errno with a one-line reason
 * in @err: -ENOENT/-EACCES (file), -EINVAL (not a dump, another
 * architecture, frame outside the dump's memory, no store there, stale
 * locator), -EIO (truncated or corrupt dump), -ENODATA (a store page the
 * dump filtered out), -ENOTSUP (a format this build cannot read), -EBADMSG
 * (checksum, inconsistent header), -EPROTO (another stopwatch layout or
 * size), -ENOMEM.
 */
/*
 * The same, giving the store's bytes as they are in the core (any layout
 * store.c reads), malloc'd in *@wire, *@len bytes; free() them.
 */
int sw_vmcore_read_wire(const char *path, __u64 first_pfn, void **wire, size_t *len,
			char *err, size_t errlen);
int sw_vmcore_read_store(const char *path, __u64 first_pfn, struct sw_store *out,
			 char *err, size_t errlen);

/* The same two on a dump already open (@path only names it in messages). */
int sw_vmcore_find_wire(struct sw_dump *d, const char *path, __u64 first_pfn, void **wire,
			size_t *len, char *err, size_t errlen);
int sw_vmcore_find_store(struct sw_dump *d, const char *path, __u64 first_pfn,
			 struct sw_store *out, char *err, size_t errlen);

#endif
