// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the vmcore reader, as `stopwatch recover --vmcore`
 * runs it: sw_vmcore_read_store() on the input as a core file (a memfd, so
 * the reader's own open/libelf/pread path is what runs), then every record
 * of a store it accepts through the printers.
 *
 * The locator (--pfn) comes from the input too: bytes 9..15 of e_ident
 * (EI_PAD, which ELF leaves unused) hold it, little endian, so one input
 * drives both the page scan (pfn 0) and the locator path.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "record.h"
#include "print_check.h"
#include "vmcore.h"

static struct sw_store store;

static void read_core(const char *path, __u64 pfn)
{
	struct sw_record_meta meta = { .source = SW_SRC_VMCORE, .exact = true };
	static FILE *sink;
	char err[256];
	int ret;

	if (!sink)
		sink = fopen("/dev/null", "w");
	err[0] = 'x';
	ret = sw_vmcore_read_store(path, pfn, &store, err, sizeof(err));
	if (ret > 0 || (ret && (!err[0] || strchr(err, '\n'))))
		abort();	/* an error must come with one line of reason */
	if (ret && ret != -EINVAL && ret != -EIO && ret != -EBADMSG && ret != -EPROTO &&
	    ret != -ENOMEM)
		abort();	/* only the errors vmcore.h documents (recover maps them to exits) */
	if (ret)
		return;
	sw_store_meta(&store, &meta);
	if (sw_store_walk(&store, &meta, fuzz_print_walk, sink) > SW_STOP_SLOTS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	__u64 pfn = 0;
	int fd = memfd_create("fuzz-core", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (size >= EI_NIDENT)
		memcpy(&pfn, data + EI_PAD, EI_NIDENT - EI_PAD);
	read_core(path, 0);
	if (pfn)
		read_core(path, pfn);
	close(fd);
	return 0;
}
