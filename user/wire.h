/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The record store's wire layout, as a reader meets it: in a pinned map,
 * in a core file, or in a fuzzer's bytes. One place knows the layouts
 * (3, sized for the host's CPUs; 1 and 2, the fixed 256-CPU struct of the
 * previous release and of its successor) and hands out a view: the header's facts and where each record's
 * parts are. Readers never index the bytes themselves.
 */
#ifndef STOPWATCH_WIRE_H
#define STOPWATCH_WIRE_H

#include <stddef.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"

/* Bytes a reader reads to see any layout's whole header (all fit a 4 KiB page). */
#define SW_STORE_HDR_MAX	sizeof(struct sw_store_hdr)

/* What a store's header says, whichever layout wrote it. */
struct sw_store_geom {
	__u32 layout;
	__u32 size;		/* bytes of the whole store */
	__u32 page_size;
	__u32 nr_pages;
	__u32 nr_cpus;		/* CPUs its records cover */
	__u32 hdr_len;		/* bytes of the header (the checksummed part and the rest) */
	__u32 csum_len;		/* bytes the header checksum covers: they never change */
	const __u64 *pfn;	/* nr_pages frames, inside the header bytes given */
};

/*
 * Check the header at @hdr (@len bytes readable, at least the header):
 * magic, a layout this build reads, checksum, sizes that agree. 0, or
 * -EINVAL (no magic), -EPROTO (another layout: one line naming it),
 * -EBADMSG (checksum, inconsistent sizes) with one line in @err.
 */
int sw_store_geom(const void *hdr, size_t len, struct sw_store_geom *g, char *err, size_t errlen);

struct sw_store_view {
	const unsigned char *base;
	struct sw_store_geom g;
	struct sw_store_hdr hdr;	/* the header's fields, in layout 2's form */
	__u32 words;			/* words of a CPU mask */
	size_t recs_off, rec_size;	/* records: offset in the store, stride */
	size_t online_off, target_off, cpu_off;	/* parts of a record */
	const __u64 *online;		/* the store's online mask */
};

/*
 * A view of the @len bytes at @buf (the whole store); checks as
 * sw_store_geom and that @len holds it. The bytes must stay while the
 * view is used.
 */
int sw_store_view_open(struct sw_store_view *v, const void *buf, size_t len,
		       char *err, size_t errlen);
const struct sw_rec_head *sw_store_view_rec(const struct sw_store_view *v, unsigned int slot);
const __u64 *sw_store_view_online(const struct sw_store_view *v, const struct sw_rec_head *r);
/* Targets of rung index @i (rung - 1, below SW_FIRE_RUNGS). */
const __u64 *sw_store_view_target(const struct sw_store_view *v, const struct sw_rec_head *r,
				  unsigned int i);
/* @cpu below v->g.nr_cpus. */
const struct sw_cpu_stop *sw_store_view_cpu(const struct sw_store_view *v,
					    const struct sw_rec_head *r, unsigned int cpu);

/* The view read into the in-memory struct sw_store (bpf/stopwatch.h: user space only). */
void sw_store_view_decode(const struct sw_store_view *v, struct sw_store *out);
/* Open and decode in one; 0 or the sw_store_view_open error. */
int sw_store_decode(const void *buf, size_t len, struct sw_store *out, char *err, size_t errlen);

#endif
