// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the vmcore reader on ELF cores, as `stopwatch recover
 * --vmcore` runs it (dump_target.h): the input as a core file (a memfd, so
 * the reader's own open/libelf/pread path is what runs).
 *
 * The locator (--pfn) comes from the input too: bytes 9..15 of e_ident
 * (EI_PAD, which ELF leaves unused) hold it, little endian, so one input
 * drives both the page scan (pfn 0) and the locator path.
 */
#include <elf.h>
#include <stdint.h>
#include <sys/mman.h>
#include "dump_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	__u64 pfn = 0;
	int fd = fuzz_memfd(data, size, path, sizeof(path));

	if (size >= EI_NIDENT)
		memcpy(&pfn, data + EI_PAD, EI_NIDENT - EI_PAD);
	fuzz_read_dump(path, 0);
	if (pfn)
		fuzz_read_dump(path, pfn);
	fuzz_read_regs(path);
	close(fd);
	return 0;
}
