/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Between user/dump.c and its format readers (dump_elf.c, dump_kdump*.c, dump_flat.c). */
#ifndef STOPWATCH_DUMP_PRIV_H
#define STOPWATCH_DUMP_PRIV_H

#include <sys/types.h>
#include "dump.h"

#define SW_DUMP_MAX_CPUS	4096	/* PRSTATUS notes kept; more is garbage */

struct sw_dump_range {
	__u64 start, len;
	__u64 off;		/* ELF: file offset of start */
};

struct sw_dump {
	enum sw_dump_format format;
	char describe[64];
	__u16 machine;
	__u32 page_size;
	int level;		/* -1 unknown */
	int fd;
	__u64 size;		/* bytes in the file, UINT64_MAX unknown */
	size_t nrange;
	struct sw_dump_range *range;
	int nregs;
	struct sw_dump_regs *regs;
	/* per format */
	int (*read)(struct sw_dump *d, __u64 paddr, void *buf, size_t len);
	bool (*next_range)(struct sw_dump *d, __u64 from, __u64 *start, __u64 *len);
	void (*close)(struct sw_dump *d);
	void *priv;
};

/* Each reader fills @d from the open file d->fd; same returns as sw_dump_open(). */
int sw_dump_open_elf(struct sw_dump *d, char *err, size_t errlen);
int sw_dump_open_kdump(struct sw_dump *d, char *err, size_t errlen);

/*
 * Reassemble a flattened stream (makedumpfile -F) read from @in into a new
 * anonymous file; returns its fd, or a negative errno with one line in @err.
 * The first @have bytes of the stream were already read into @head.
 */
int sw_dump_unflatten(int in, const void *head, size_t have, char *err, size_t errlen);

/* A dump read from a pipe, not flattened: copied into an anonymous file, as above. */
int sw_dump_spool(int in, const void *head, size_t have, char *err, size_t errlen);

/* read() until @len bytes or EOF; bytes read, or -errno. */
ssize_t sw_dump_read_full(int fd, void *buf, size_t len);

/* Keep the PRSTATUS note @desc (@len bytes) of @d; -ENOMEM. Garbage is skipped. */
int sw_dump_add_prstatus(struct sw_dump *d, const void *desc, size_t len);

#endif
