// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * kdump-compressed dumps (makedumpfile -c/-l/-p/-z, zlib/lzo/snappy/zstd
 * pages) through libkdumpfile, which reads the header, the bitmaps, the page
 * descriptors, decompresses pages and parses the PRSTATUS notes.
 *
 * Only the dynamically linked stopwatch has this file: Debian 12 ships
 * libkdumpfile (0.5.1) as a shared library only, with no libkdumpfile.a, so
 * the static binary links dump_kdump_none.c instead (the busybox capture
 * kernel reads /proc/vmcore, an ELF core, with the static one).
 *
 * Two facts libkdumpfile 0.5.1 does not give are read from the header by
 * hand (check_header()): the dump level (kdump_sub_header.dump_level, in
 * block 1 after phys_base), and the compression named in
 * disk_dump_header.status.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libkdumpfile/kdumpfile.h>
#include "dump_priv.h"

/* disk_dump_header (makedumpfile's diskdump_mod.h), 64-bit layout */
#define DH_VERSION_OFF	8
#define DH_STATUS_OFF	424
#define DH_BLOCK_OFF	428
#define SUB_LEVEL_OFF	8	/* in kdump_sub_header, block 1 */
#define PAGE_DESC_SIZE	24	/* struct page_desc: offset, size, flags, page_flags */

struct kd_priv {
	kdump_ctx_t *ctx;
	kdump_bmp_t *mem;	/* RAM the machine had (1st bitmap) */
	kdump_bmp_t *file;	/* pages the dump holds (2nd bitmap) */
};

static bool bit(kdump_bmp_t *bmp, __u64 pfn)
{
	unsigned char b = 0;

	return bmp && kdump_bmp_get_bits(bmp, pfn, pfn, &b) == KDUMP_OK && (b & 1);
}

static int kd_read(struct sw_dump *d, __u64 paddr, void *buf, size_t len)
{
	struct kd_priv *p = d->priv;
	__u64 pfn = paddr / d->page_size;
	size_t got = len;
	kdump_status s;

	if (!bit(p->file, pfn))
		return bit(p->mem, pfn) ? -ENODATA : -ERANGE;
	s = kdump_read(p->ctx, KDUMP_MACHPHYSADDR, paddr, buf, &got);
	if (s == KDUMP_OK && got == len)
		return 0;
	return s == KDUMP_ERR_NODATA ? -ENODATA : -EIO;
}

/* Runs of pages the dump holds, from the dumpable-page bitmap. */
static bool kd_next_range(struct sw_dump *d, __u64 from, __u64 *start, __u64 *len)
{
	struct kd_priv *p = d->priv;
	kdump_addr_t first = from / d->page_size, end;

	if (kdump_bmp_find_set(p->file, &first) != KDUMP_OK)
		return false;
	end = first;
	if (kdump_bmp_find_clear(p->file, &end) != KDUMP_OK || end <= first)
		return false;
	*start = (__u64)first * d->page_size;
	if (*start < from)
		*start = from;
	*len = (__u64)end * d->page_size - *start;
	return *len > 0;
}

static void kd_close(struct sw_dump *d)
{
	struct kd_priv *p = d->priv;

	if (!p)
		return;
	if (p->mem)
		kdump_bmp_decref(p->mem);
	if (p->file)
		kdump_bmp_decref(p->file);
	if (p->ctx)
		kdump_free(p->ctx);
	free(p);
}

static const char *compression(__u32 status)
{
	switch (status & 0x27) {
	case 0x1: return "zlib";
	case 0x2: return "lzo";
	case 0x4: return "snappy";
	case 0x20: return "zstd";
	case 0: return "uncompressed";
	default: return "mixed";
	}
}

/* The file holds @len bytes at @off (both from the header). */
static bool inside(const struct sw_dump *d, __u64 off, __u64 len)
{
	return off <= d->size && len <= d->size - off;
}

/*
 * Header facts libkdumpfile keeps to itself (the dump level, the
 * compression), and a check that what the header says lies in the file:
 * libkdumpfile 0.5.1 allocates the bitmaps and notes as the header sizes
 * them before reading, so a corrupt header of a small file would make it
 * ask for gigabytes.
 */
/*
 * Set bits of the dumpable-page bitmap (the second half of the bitmap
 * blocks; the whole of them in old dumps too big for two): one page
 * descriptor each. -1 if it cannot be read.
 */
static long long dumpable_pages(const struct sw_dump *d, __u64 off, __u64 len)
{
	unsigned char *buf = malloc(65536);
	long long n = 0;

	if (!buf)
		return -1;
	while (len) {
		size_t chunk = len < 65536 ? len : 65536;

		if (pread(d->fd, buf, chunk, (off_t)off) != (ssize_t)chunk) {
			n = -1;
			break;
		}
		for (size_t i = 0; i < chunk; i++)
			n += __builtin_popcount(buf[i]);
		off += chunk;
		len -= chunk;
	}
	free(buf);
	return n;
}

/*
 * The first page descriptor (of @n at @off) whose size is no page's: 0 or
 * above a block (makedumpfile stores a page compressed only when that is
 * smaller, raw otherwise). libkdumpfile 0.5.1 reads such a page's data
 * into a block-sized buffer, past its end (found by fuzz_flat). -1: none.
 */
static long long bad_descriptor(const struct sw_dump *d, __u64 off, long long n, __u32 block)
{
	struct { __u64 offset; __u32 size, flags; __u64 page_flags; } pd[1024];
	long long i = 0;

	while (i < n) {
		size_t k = n - i < 1024 ? (size_t)(n - i) : 1024;

		if (pread(d->fd, pd, k * sizeof(pd[0]), (off_t)(off + i * sizeof(pd[0]))) !=
		    (ssize_t)(k * sizeof(pd[0])))
			return i;
		for (size_t j = 0; j < k; j++, i++)
			if (!pd[j].size || pd[j].size > block)
				return i;
	}
	return -1;
}

static int check_header(struct sw_dump *d, char *err, size_t errlen)
{
	__s32 version = 0, block = 0, sub_blocks = 0, level = -1;
	__u32 status = 0, bitmap_blocks = 0;
	__u64 sub[13] = { 0 };	/* kdump_sub_header, 64-bit, up to max_mapnr_64 */

	if (pread(d->fd, &version, 4, DH_VERSION_OFF) != 4 ||
	    pread(d->fd, &status, 4, DH_STATUS_OFF) != 4 ||
	    pread(d->fd, &block, 4, DH_BLOCK_OFF) != 4 ||
	    pread(d->fd, &sub_blocks, 4, DH_BLOCK_OFF + 4) != 4 ||
	    pread(d->fd, &bitmap_blocks, 4, DH_BLOCK_OFF + 8) != 4) {
		snprintf(err, errlen, "kdump-compressed dump cut short in its header");
		return -EIO;
	}
	snprintf(d->describe, sizeof(d->describe), "kdump-compressed (%s)", compression(status));
	/*
	 * makedumpfile writes header versions 1 to 6 (0 is diskdump's). libkdumpfile 0.5.1 takes
	 * a larger one at its word and sizes its tables from fields it then
	 * reads: a 4 KiB file with version 0x464c457f made it allocate and fill
	 * 16 GiB (found by fuzz_vmcore).
	 */
	if (version < 0 || version > 6) {
		snprintf(err, errlen, "%s dump corrupt: header version %d (known: 0 to 6)",
			 d->describe, version);
		return -EIO;
	}
	if (block < 4096 || block > 65536 || (block & (block - 1)) || sub_blocks < 0 ||
	    !inside(d, 0, ((__u64)1 + sub_blocks + bitmap_blocks) * block)) {
		snprintf(err, errlen, "%s dump truncated or corrupt: its header says %u-byte "
			 "blocks, %d of sub-header and %u of bitmaps; the file has %llu bytes",
			 d->describe, block, sub_blocks, bitmap_blocks, (unsigned long long)d->size);
		return -EIO;
	}
	if (version >= 1 && pread(d->fd, sub, sizeof(sub), block) == sizeof(sub)) {
		memcpy(&level, (char *)sub + SUB_LEVEL_OFF, sizeof(level));
		if (level >= 0 && level <= 31)
			d->level = level;
		/* VMCOREINFO (version 3), notes (4), eraseinfo (5): offset, size pairs */
		for (int v = 3, i = 4; v <= 5 && v <= version; v++, i += 2)
			if (sub[i + 1] && !inside(d, sub[i], sub[i + 1])) {
				snprintf(err, errlen, "%s dump truncated or corrupt: its header "
					 "places %llu bytes at %llu, past the end of the file",
					 d->describe, (unsigned long long)sub[i + 1],
					 (unsigned long long)sub[i]);
				return -EIO;
			}
	}
	/*
	 * Every page descriptor must lie in the file too: libkdumpfile 0.5.1
	 * overflows a page buffer on descriptors past the end of a truncated
	 * dump (found by fuzz_kdump).
	 */
	{
		__u64 bm = ((__u64)1 + sub_blocks) * block, half = (__u64)bitmap_blocks * block / 2;
		__u32 mapnr32 = 0;
		__u64 max_mapnr;
		long long n;

		if (pread(d->fd, &mapnr32, 4, DH_BLOCK_OFF + 12) != 4)
			mapnr32 = 0;
		max_mapnr = version >= 6 ? sub[12] : mapnr32;	/* as libkdumpfile takes it */
		/*
		 * makedumpfile writes two bitmaps, each covering max_mapnr pages;
		 * libkdumpfile reads one bitmap of both halves when they do not,
		 * and 0.5.1 then overflows a page buffer (found by fuzz_flat)
		 */
		if (max_mapnr > half * 8) {
			snprintf(err, errlen, "%s dump corrupt: its header says %llu pages, its "
				 "bitmaps cover %llu", d->describe, (unsigned long long)max_mapnr,
				 (unsigned long long)half * 8);
			return -EIO;
		}
		n = dumpable_pages(d, bm + half, half);
		if (n < 0 || !inside(d, bm + 2 * half, (__u64)n * PAGE_DESC_SIZE)) {
			snprintf(err, errlen, "%s dump truncated or corrupt: its bitmap lists %lld "
				 "pages, whose descriptors do not fit in the file (%llu bytes)",
				 d->describe, n, (unsigned long long)d->size);
			return -EIO;
		}
		n = bad_descriptor(d, bm + 2 * half, n, block);
		if (n >= 0) {
			snprintf(err, errlen, "%s dump corrupt: page descriptor %lld gives a page "
				 "no %d-byte page can be", d->describe, n, block);
			return -EIO;
		}
	}
	return 0;
}

static kdump_bmp_t *bitmap(kdump_ctx_t *ctx, const char *key)
{
	kdump_attr_t a;

	if (kdump_get_attr(ctx, key, &a) != KDUMP_OK || a.type != KDUMP_BITMAP)
		return NULL;
	kdump_bmp_incref(a.val.bitmap);
	return a.val.bitmap;
}

/* cpu.N.PRSTATUS blobs, in note order (libkdumpfile numbers notes, not CPUs). */
static int notes(struct sw_dump *d, kdump_ctx_t *ctx)
{
	kdump_num_t n = 0;

	if (kdump_get_number_attr(ctx, KDUMP_ATTR_NUM_CPUS, &n) != KDUMP_OK)
		return 0;
	for (kdump_num_t i = 0; i < n && i < SW_DUMP_MAX_CPUS; i++) {
		char key[48];
		kdump_attr_t a;
		void *blob;
		int ret;

		snprintf(key, sizeof(key), "cpu.%llu.PRSTATUS", (unsigned long long)i);
		if (kdump_get_attr(ctx, key, &a) != KDUMP_OK || a.type != KDUMP_BLOB)
			continue;
		blob = kdump_blob_pin(a.val.blob);
		ret = sw_dump_add_prstatus(d, blob, kdump_blob_size(a.val.blob));
		kdump_blob_unpin(a.val.blob);
		if (ret)
			return ret;
	}
	return 0;
}

int sw_dump_open_kdump(struct sw_dump *d, char *err, size_t errlen)
{
	struct kd_priv *p = calloc(1, sizeof(*p));
	kdump_num_t ps = 0;
	const char *arch = NULL;
	kdump_status s;

	d->format = SW_DUMP_KDUMP;
	d->read = kd_read;
	d->next_range = kd_next_range;
	d->close = kd_close;
	d->priv = p;
	if (!p || !(p->ctx = kdump_new())) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (check_header(d, err, errlen))
		return -EIO;
	/* recover reads a dozen pages: libkdumpfile's default cache of 1024 costs more */
	kdump_set_number_attr(p->ctx, "cache.size", 16);
	/*
	 * read(2), never mmap(2): a page descriptor of a corrupt or truncated
	 * dump that points past the end of the file would fault (SIGBUS) in a
	 * mapping, while a read just comes up short (found by fuzz_kdump).
	 */
	kdump_set_number_attr(p->ctx, KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER);
	s = kdump_open_fd(p->ctx, d->fd);
	if (s != KDUMP_OK) {
		snprintf(err, errlen, "%s dump unreadable: %s", d->describe, kdump_get_err(p->ctx));
		return -EIO;
	}
	if (kdump_get_number_attr(p->ctx, KDUMP_ATTR_PAGE_SIZE, &ps) != KDUMP_OK ||
	    ps < 4096 || ps > 65536 || (ps & (ps - 1))) {
		snprintf(err, errlen, "%s dump has no valid page size", d->describe);
		return -EIO;
	}
	d->page_size = ps;
	if (kdump_get_string_attr(p->ctx, KDUMP_ATTR_ARCH_NAME, &arch) != KDUMP_OK || !arch) {
		snprintf(err, errlen, "%s dump does not say its architecture", d->describe);
		return -EINVAL;
	}
	d->machine = !strcmp(arch, "x86_64") ? SW_DUMP_EM_X86_64 :
		     !strcmp(arch, "aarch64") ? SW_DUMP_EM_AARCH64 : 0;
	if (!d->machine) {
		snprintf(err, errlen, "dump of another architecture (%s): stopwatch records "
			 "x86_64 and arm64", arch);
		return -EINVAL;
	}
	p->mem = bitmap(p->ctx, KDUMP_ATTR_MEMORY_PAGEMAP);
	p->file = bitmap(p->ctx, KDUMP_ATTR_FILE_PAGEMAP);
	if (!p->file) {
		snprintf(err, errlen, "%s dump has no page bitmap", d->describe);
		return -EIO;
	}
	return notes(d, p->ctx) ? -ENOMEM : 0;
}
