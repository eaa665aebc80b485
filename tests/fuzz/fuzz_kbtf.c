// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the raw kernel-BTF reader and the CO-RE subset it
 * writes for libbpf (user/kbtf.c): the input is a BTF file (STOPWATCH_BTF
 * can point the loader at any file). It must be refused with one line of
 * reason or indexed; an indexed one must give a subset libbpf can parse,
 * for a program that names a struct, a typedef and a flavored struct.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "kbtf.h"

static struct btf *prog;

static int file_of(const void *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz-btf", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_kbtf kb;
	char path[64], err[256];
	int fd, out;

	if (!prog) {
		int i = btf__add_int(prog = btf__new_empty(), "int", 4, BTF_INT_SIGNED);

		btf__add_struct(prog, "pt_regs", 4);
		btf__add_field(prog, "x", i, 0, 0);
		btf__add_struct(prog, "task_struct___sw", 4);
		btf__add_field(prog, "pid", i, 0, 0);
		btf__add_typedef(prog, "u64", i);
	}
	fd = file_of(data, size, path, sizeof(path));
	err[0] = '\0';
	if (sw_kbtf_load(&kb, path, err, sizeof(err))) {
		close(fd);
		if (!err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	out = memfd_create("fuzz-subset", MFD_CLOEXEC);
	if (sw_kbtf_write_core_subset(&kb, prog, out, err, sizeof(err)) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
		btf__free(btf__parse(path, NULL));	/* libbpf may refuse it, never crash */
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	close(out);
	sw_kbtf_free(&kb);
	close(fd);
	return 0;
}
