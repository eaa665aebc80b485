/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A crash dump of any format fleets keep, read as physical memory plus the
 * CPUs' saved registers: an ELF core (/proc/vmcore, QMP dump-guest-memory,
 * makedumpfile -E), a kdump-compressed file (makedumpfile -c/-l/-p/-z,
 * RHEL's kdump) or the flattened stream of makedumpfile -F (Debian's
 * kdump-tools), from a file or from standard input ("-"). The format is told
 * by the file's first bytes, never by its name.
 */
#ifndef STOPWATCH_DUMP_H
#define STOPWATCH_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct sw_dump;

enum sw_dump_format {
	SW_DUMP_ELF = 0,
	SW_DUMP_KDUMP,		/* kdump-compressed (diskdump) */
};

/* ELF e_machine values of what stopwatch records (elf.h's EM_*). */
#define SW_DUMP_EM_X86_64	62
#define SW_DUMP_EM_AARCH64	183

/* What one PRSTATUS note holds, decoded (registers at the stop). */
struct sw_dump_regs {
	__u64 pc, sp;
	bool irqs_masked;	/* x86: RFLAGS.IF clear; arm64: PSTATE.I set */
	__u32 pid;		/* pr_pid: the task that ran on the CPU, 0 = idle */
};

/*
 * Open @path ("-": standard input) as a dump. Returns 0, or a negative errno
 * with one line in @err: -ENOENT/-EACCES (the file), -EINVAL (not a dump,
 * another architecture), -EIO (truncated, corrupt), -ENOTSUP (a format this
 * build cannot read: see dump_kdump_none.c), -ENOMEM.
 */
int sw_dump_open(const char *path, struct sw_dump **out, char *err, size_t errlen);
void sw_dump_close(struct sw_dump *d);

/*
 * Read @len bytes of physical memory at @paddr (within one page). Returns 0;
 * -ERANGE: the dump has no memory there; -ENODATA: the page is in the
 * machine's memory but the dump left it out (filtered); -EIO: truncated or
 * corrupt data.
 */
int sw_dump_read(struct sw_dump *d, __u64 paddr, void *buf, size_t len);

/* Format, its name ("ELF", "kdump-compressed (zlib)", "flattened kdump-compressed
 * (lzo)"...), the machine (SW_DUMP_EM_*), the dump's page size (0 = unknown). */
enum sw_dump_format sw_dump_format(const struct sw_dump *d);
const char *sw_dump_describe(const struct sw_dump *d);
__u16 sw_dump_machine(const struct sw_dump *d);
__u32 sw_dump_page_size(const struct sw_dump *d);
/* makedumpfile's dump level (-d) from the header; -1 when the dump does not say. */
int sw_dump_level(const struct sw_dump *d);

/*
 * For the page scan: the first stretch of memory the dump holds that ends
 * above @from, clipped to start at @from or later; false when none is left.
 */
bool sw_dump_next_range(struct sw_dump *d, __u64 from, __u64 *start, __u64 *len);

/*
 * The PRSTATUS notes, in the order the dump holds them: the kernel writes
 * one per CPU that saved its registers (crash_save_cpu()), and the capture
 * kernel merges them in CPU order, leaving out CPUs that saved nothing.
 * Returns how many; fills @regs with up to @max of them.
 */
int sw_dump_prstatus(const struct sw_dump *d, struct sw_dump_regs *regs, int max);

/* Decode one PRSTATUS note's descriptor for @machine; -EINVAL if too short. */
int sw_dump_decode_prstatus(__u16 machine, const void *desc, size_t len,
			    struct sw_dump_regs *out);

#endif
