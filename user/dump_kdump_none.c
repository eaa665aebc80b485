// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The static stopwatch's stand-in for dump_kdump.c: Debian 12 ships
 * libkdumpfile as a shared library only (no libkdumpfile.a), so the static
 * binary that busybox capture kernels run reads ELF cores (/proc/vmcore) and
 * flattened ELF, and names the binary that reads kdump-compressed dumps.
 */
#include <errno.h>
#include <stdio.h>
#include "dump_priv.h"

int sw_dump_open_kdump(struct sw_dump *d, char *err, size_t errlen)
{
	(void)d;
	snprintf(err, errlen, "kdump-compressed dump: this static build reads ELF cores only; "
		 "use stopwatch-dynamic (linked with libkdumpfile)");
	return -ENOTSUP;
}
