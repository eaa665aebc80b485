// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for kdump-compressed dumps (user/dump_kdump.c through
 * libkdumpfile, then the store reader): the input as a dump file, read with
 * the page scan and with the locators of the seeds (tests/fuzz/seeds.c:
 * frame 16 of the x86 seeds, 40 of the arm64 ones), and its registers.
 */
#include <stdint.h>
#include <sys/mman.h>
#include "dump_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path, sizeof(path));

	fuzz_read_dump(path, 0);
	fuzz_read_dump(path, 16);
	fuzz_read_dump(path, 40);
	fuzz_read_regs(path);
	close(fd);
	return 0;
}
