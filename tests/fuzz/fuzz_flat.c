// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for makedumpfile's flattened stream (user/dump_flat.c),
 * read as `stopwatch recover --vmcore -` reads it: from standard input,
 * reassembled, then the dump it carries (ELF or kdump-compressed) read with
 * the page scan and the seeds' locator (frame 16).
 */
#include <stdint.h>
#include <sys/mman.h>
#include "dump_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path, sizeof(path)), saved = dup(0);

	if (saved < 0 || dup2(fd, 0) < 0)
		abort();
	for (__u64 pfn = 0; pfn <= 16; pfn += 16) {
		if (lseek(0, 0, SEEK_SET))	/* a dup shares the offset: rewind for each read */
			abort();
		fuzz_read_dump("-", pfn);
	}
	dup2(saved, 0);
	close(saved);
	close(fd);
	return 0;
}
