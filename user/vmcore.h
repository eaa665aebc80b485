/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Read the record store out of an ELF core (/proc/vmcore, QMP dump-guest-memory). */
#ifndef STOPWATCH_VMCORE_H
#define STOPWATCH_VMCORE_H

#include <stddef.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"

/*
 * Find the store at physical frame @first_pfn (0: scan page starts for the
 * magic, and say so on stderr), check its header (magic, layout, size,
 * checksum, page list) and assemble its pages from the frames the header
 * lists, then decode it into @out. Returns 0, or a negative errno with a one-line reason in @err:
 * -ENOENT/-EACCES (file), -EINVAL (not an ELF core, frame outside the
 * core's PT_LOADs, no store there, stale locator), -EIO (truncated core),
 * -EBADMSG (checksum, inconsistent header), -EPROTO (another stopwatch
 * layout or size), -ENOMEM.
 */
/*
 * The same, giving the store's bytes as they are in the core (any layout
 * store.c reads), malloc'd in *@wire, *@len bytes; free() them.
 */
int sw_vmcore_read_wire(const char *path, __u64 first_pfn, void **wire, size_t *len,
			char *err, size_t errlen);
int sw_vmcore_read_store(const char *path, __u64 first_pfn, struct sw_store *out,
			 char *err, size_t errlen);

#endif
