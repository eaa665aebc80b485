/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * kdump-compressed and flattened dumps of the cores core_builder.h makes, for
 * the unit tests and fuzz seeds of the dump readers. The real makedumpfile
 * needs a real kernel's memory (it walks mem_map to filter), so these are
 * written here, in the layout makedumpfile's IMPLEMENTATION file documents;
 * the lab checks the same readers against makedumpfile's own output
 * (the kdump scenarios under scripts/vm/scenarios).
 *
 * Layout: block 0 the disk_dump_header, block 1.. the kdump_sub_header with
 * VMCOREINFO and the ELF notes after it, then the two page bitmaps (memory,
 * dumpable), one page_desc per dumpable page, and the page data.
 */
#ifndef STOPWATCH_KDUMP_BUILDER_H
#define STOPWATCH_KDUMP_BUILDER_H

#include <stdint.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zstd.h>
#include "core_builder.h"

#define KD_ZLIB		0x1
#define KD_LZO		0x2
#define KD_SNAPPY	0x4
#define KD_ZSTD		0x20

struct kd_disk_dump_header {
	char signature[8];		/* "KDUMP   " */
	int32_t header_version;
	char utsname[6][65];		/* sysname, nodename, release, version, machine, domain */
	char pad[6];
	int64_t tv_sec, tv_usec;
	uint32_t status;		/* KD_* compression */
	int32_t block_size;
	int32_t sub_hdr_size;		/* blocks */
	uint32_t bitmap_blocks;
	uint32_t max_mapnr;
	uint32_t total_ram_blocks, device_blocks, written_blocks, current_cpu;
	int32_t nr_cpus;
} __attribute__((packed));

struct kd_sub_header {
	uint64_t phys_base;
	int32_t dump_level;
	int32_t split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t offset_eraseinfo, size_eraseinfo;
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
} __attribute__((packed));

struct kd_page_desc {
	uint64_t offset;
	uint32_t size, flags;
	uint64_t page_flags;
};

struct kd_opts {
	uint32_t compress;		/* one KD_*, 0: pages stored raw */
	int dump_level;			/* written to the sub header */
	bool exclude_zero;		/* -d bit 1: all-zero pages left out */
	__u64 exclude_pfn;		/* a page left out as if filtered (0: none) */
};

/* Compress one page as makedumpfile does; 0 when it would not shrink. */
static inline size_t kd_compress(uint32_t how, const void *src, size_t len, void *dst, size_t cap)
{
	static unsigned char wrk[LZO1X_1_MEM_COMPRESS];
	size_t n = cap;

	switch (how) {
	case KD_ZLIB: {
		uLongf zl = cap;

		if (compress2(dst, &zl, src, len, 1) != Z_OK)
			return 0;
		n = zl;
		break;
	}
	case KD_LZO: {
		lzo_uint ll = cap;

		if (lzo_init() != LZO_E_OK || lzo1x_1_compress(src, len, dst, &ll, wrk) != LZO_E_OK)
			return 0;
		n = ll;
		break;
	}
	case KD_SNAPPY:
		if (snappy_compress(src, len, dst, &n) != SNAPPY_OK)
			return 0;
		break;
	case KD_ZSTD:
		n = ZSTD_compress(dst, cap, src, len, 1);
		if (ZSTD_isError(n))
			return 0;
		break;
	default:
		return 0;
	}
	return n < len ? n : 0;
}

static inline bool kd_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The page at frame @pfn of the core's memory, NULL outside it. */
static inline unsigned char *kd_frame(const struct core_layout *l, unsigned char *mem, __u64 pfn)
{
	long off = core_frame_off(l, pfn);

	return off < 0 ? NULL : mem + (off - core_hdrs(l));
}

static inline bool kd_put(FILE *f, long off, const void *p, size_t len)
{
	return fseek(f, off, SEEK_SET) == 0 && fwrite(p, 1, len, f) == len;
}

/* Write the kdump-compressed dump of the core @l holding @st. 0, or -1. */
static inline int kdump_write(const char *path, const struct core_layout *l,
			      const struct sw_store *st, const struct kd_opts *o)
{
	size_t bs = l->page, nlen = core_notes(l, NULL);
	unsigned char *mem = core_memory(l, st), *notes = calloc(1, nlen);
	unsigned char *cbuf = malloc(2 * bs + 64), *bm1 = NULL, *bm2 = NULL;
	struct kd_disk_dump_header dh = { .signature = "KDUMP   " };
	struct kd_sub_header sh = { 0 };
	__u64 max_pfn = 0, nr_dumpable = 0;
	long bm_off, pd_off, data_off, zero_off = -1;
	size_t bm_len;
	int ret = -1;
	FILE *f = NULL;

	if (!mem || !notes || !cbuf)
		goto out;
	core_notes(l, notes);
	for (unsigned int s = 0; s < l->nseg; s++)
		if (l->seg_base[s] + l->seg_pages[s] > max_pfn)
			max_pfn = l->seg_base[s] + l->seg_pages[s];
	bm_len = ((max_pfn + 7) / 8 + bs - 1) / bs * bs;
	bm1 = calloc(1, bm_len);
	bm2 = calloc(1, bm_len);
	if (!bm1 || !bm2)
		goto out;
	for (__u64 pfn = 0; pfn < max_pfn; pfn++) {
		unsigned char *pg = kd_frame(l, mem, pfn);

		if (!pg)
			continue;
		bm1[pfn / 8] |= 1 << (pfn % 8);
		if ((o->exclude_zero && kd_zero(pg, bs)) || (o->exclude_pfn && pfn == o->exclude_pfn))
			continue;
		bm2[pfn / 8] |= 1 << (pfn % 8);
		nr_dumpable++;
	}
	dh.header_version = 6;
	snprintf(dh.utsname[0], 65, "Linux");	/* libkdumpfile wants every field (uts_looks_sane) */
	snprintf(dh.utsname[1], 65, "guest");
	snprintf(dh.utsname[2], 65, "6.12.0-stopwatch-test");
	snprintf(dh.utsname[3], 65, "#1 SMP");
	snprintf(dh.utsname[5], 65, "(none)");
	snprintf(dh.utsname[4], 65, "%s", l->machine == EM_AARCH64 ? "aarch64" : "x86_64");
	dh.tv_sec = 1764547200;
	dh.status = o->compress;
	dh.block_size = bs;
	dh.sub_hdr_size = (sizeof(sh) + nlen + bs - 1) / bs;
	dh.bitmap_blocks = 2 * bm_len / bs;
	dh.max_mapnr = max_pfn;
	dh.nr_cpus = __builtin_popcountll(l->regs_cpus);
	sh.dump_level = o->dump_level;
	sh.offset_note = bs + sizeof(sh);
	sh.size_note = nlen;
	sh.max_mapnr_64 = max_pfn;
	bm_off = (1 + dh.sub_hdr_size) * bs;
	pd_off = bm_off + dh.bitmap_blocks * bs;
	data_off = pd_off + nr_dumpable * sizeof(struct kd_page_desc);
	f = fopen(path, "w");
	if (!f || !kd_put(f, 0, &dh, sizeof(dh)) || !kd_put(f, bs, &sh, sizeof(sh)) ||
	    !kd_put(f, sh.offset_note, notes, nlen) || !kd_put(f, bm_off, bm1, bm_len) ||
	    !kd_put(f, bm_off + bm_len, bm2, bm_len))
		goto out;
	for (__u64 pfn = 0; pfn < max_pfn; pfn++) {
		unsigned char *pg = kd_frame(l, mem, pfn);
		struct kd_page_desc pd = { .offset = data_off, .size = bs };
		size_t clen;

		if (!(bm2[pfn / 8] >> (pfn % 8) & 1))
			continue;
		if (kd_zero(pg, bs) && zero_off >= 0) {	/* one shared zero page, as makedumpfile */
			pd.offset = zero_off;
		} else if ((clen = kd_compress(o->compress, pg, bs, cbuf, 2 * bs + 64))) {
			pd.size = clen;
			pd.flags = o->compress;
			if (!kd_put(f, data_off, cbuf, clen))
				goto out;
			data_off += clen;
		} else {
			if (!kd_put(f, data_off, pg, bs))
				goto out;
			if (kd_zero(pg, bs))
				zero_off = data_off;
			data_off += bs;
		}
		if (!kd_put(f, pd_off, &pd, sizeof(pd)))
			goto out;
		pd_off += sizeof(pd);
	}
	ret = 0;
out:
	if (f && fclose(f))
		ret = -1;
	free(mem);
	free(notes);
	free(cbuf);
	free(bm1);
	free(bm2);
	return ret;
}

static inline void kd_be64(unsigned char *p, int64_t v)
{
	for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
		p[i] = (unsigned char)v;
}

/*
 * Rewrite the file @src as makedumpfile -F's flattened stream @dst: a
 * 4096-byte header ("makedumpfile", type 1, version 1, big endian), then
 * blocks of (offset, size) big-endian + data, then (-1, -1). Blocks of @chunk
 * bytes, every other pair swapped so offsets go back and forth as in a real
 * stream; the end marker is left off when @cut.
 */
static inline int flat_write(const char *src, const char *dst, size_t chunk, bool cut)
{
	unsigned char hdr[4096] = "makedumpfile", bh[16];
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
	unsigned char *buf = malloc(2 * chunk);
	long size, at = 0;
	int ret = -1;

	if (!in || !out || !buf || fseek(in, 0, SEEK_END) || (size = ftell(in)) < 0)
		goto out;
	kd_be64(hdr + 16, 1);
	kd_be64(hdr + 24, 1);
	if (fwrite(hdr, sizeof(hdr), 1, out) != 1)
		goto out;
	while (at < size) {
		long len[2], off[2] = { at, at + (long)chunk };

		for (int k = 0; k < 2; k++) {
			len[k] = off[k] >= size ? 0 : size - off[k] < (long)chunk ? size - off[k] : (long)chunk;
			if (len[k] && (fseek(in, off[k], SEEK_SET) ||
				       fread(buf + k * chunk, 1, len[k], in) != (size_t)len[k]))
				goto out;
		}
		for (int k = 1; k >= 0; k--) {	/* the later block first */
			if (!len[k])
				continue;
			kd_be64(bh, off[k]);
			kd_be64(bh + 8, len[k]);
			if (fwrite(bh, 16, 1, out) != 1 || fwrite(buf + k * chunk, 1, len[k], out) != (size_t)len[k])
				goto out;
		}
		at += 2 * chunk;
	}
	kd_be64(bh, -1);
	kd_be64(bh + 8, -1);
	ret = cut || fwrite(bh, 16, 1, out) == 1 ? 0 : -1;
out:
	if (in)
		fclose(in);
	if (out && fclose(out))
		ret = -1;
	free(buf);
	return ret;
}

#endif
