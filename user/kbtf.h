/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel BTF read raw: /sys/kernel/btf/vmlinux mapped (or read), an index of type
 * offsets, and a CO-RE subset of it for libbpf (kbtf.c says why both).
 */
#ifndef STOPWATCH_KBTF_H
#define STOPWATCH_KBTF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/btf.h>
#include <linux/types.h>

struct btf;

struct sw_kbtf {
	char *raw;
	size_t len;
	const struct btf_header *hdr;
	const char *strs;
	__u32 *type_off;	/* offset in the type section of type id i */
	__u32 nr_types;		/* ids are 1 .. nr_types - 1 */
	bool mapped;		/* raw is an mmap of sysfs, not malloc'ed */
};

/* Read and index raw BTF at @path; on error, a one-line reason in @err. */
int sw_kbtf_load(struct sw_kbtf *b, const char *path, char *err, int errlen);
void sw_kbtf_free(struct sw_kbtf *b);
/* Type @id, NULL when out of range. */
const struct btf_type *sw_kbtf_type(const struct sw_kbtf *b, __u32 id);
const char *sw_kbtf_name(const struct sw_kbtf *b, __u32 name_off);
/*
 * A name's bucket by its first two bytes (no read past an empty name): name
 * scans over all kernel types check a bucket before comparing strings.
 */
#define SW_KBTF_NAME_BUCKETS 256
unsigned int sw_kbtf_name_bucket(const char *name);

/*
 * Write to @fd, as raw BTF, the part of @b that the CO-RE relocations of a
 * BPF object with program BTF @prog can resolve against: every kernel type
 * named like a type of @prog (flavor suffixes "___x" dropped) and what those
 * types contain; types only pointed to become forward declarations. Returns
 * 0, or a negative errno with a reason in @err.
 */
int sw_kbtf_write_core_subset(const struct sw_kbtf *b, const struct btf *prog, int fd,
			      char *err, int errlen);

#endif
