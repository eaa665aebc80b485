// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Read stopwatch's record store out of a crash dump (user/dump.h: an ELF
 * core, kdump-compressed or flattened): the store's header lists the
 * physical frames of its pages (pfn[], in order), which the dump maps.
 * Only the pages named are read, so the time does not grow with the dump's
 * size when the locator is known; without it, page starts are probed.
 *
 * Everything read from the file is checked before use: the reader returns
 * an error, never crashes, on garbage (tests/unit/test_vmcore.c flips bits,
 * truncates, and forges headers with valid checksums).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "vmcore.h"

#define SCAN_STEP	4096ULL		/* smallest page size: store pages start on it */
#define DL_ZERO		1		/* makedumpfile -d bit: pages filled with zeros */

static bool csum_ok(const struct sw_store_hdr *h)
{
	return crc32(0, (const void *)h, offsetof(struct sw_store_hdr, hdr_csum)) == h->hdr_csum;
}

static bool page_size_ok(__u32 ps)
{
	return ps >= 4096 && ps <= 65536 && !(ps & (ps - 1));
}

/* The header of the store at @first_pfn; the magic was already seen. */
static int check_hdr(const struct sw_store_hdr *h, __u64 first_pfn, char *err, size_t errlen)
{
	if (h->magic != SW_STORE_MAGIC) {
		snprintf(err, errlen, "no stopwatch record store at page frame %llu (bad magic)",
			 (unsigned long long)first_pfn);
		return -EINVAL;
	}
	/* layout and size first: another version may checksum other bytes */
	if (h->layout != SW_LAYOUT_VERSION || h->size != sizeof(struct sw_store)) {
		snprintf(err, errlen, "record store of another stopwatch version (layout %u, %u bytes; "
			 "this one reads layout %u, %zu bytes)", h->layout, h->size,
			 SW_LAYOUT_VERSION, sizeof(struct sw_store));
		return -EPROTO;
	}
	if (!csum_ok(h)) {
		snprintf(err, errlen, "record store header checksum mismatch at page frame %llu "
			 "(corrupt core)", (unsigned long long)first_pfn);
		return -EBADMSG;
	}
	if (!page_size_ok(h->page_size) ||
	    h->nr_pages != (sizeof(struct sw_store) + h->page_size - 1) / h->page_size ||
	    h->nr_pages > SW_MAX_PAGES) {
		snprintf(err, errlen, "record store header is inconsistent (page size %u, %u pages)",
			 h->page_size, h->nr_pages);
		return -EBADMSG;
	}
	if (h->pfn[0] != first_pfn) {
		snprintf(err, errlen, "record store header names frame %llu, not %llu (stale locator)",
			 (unsigned long long)h->pfn[0], (unsigned long long)first_pfn);
		return -EINVAL;
	}
	for (__u32 i = 0; i < h->nr_pages; i++)
		if (!h->pfn[i] || h->pfn[i] > UINT64_MAX / h->page_size) {
			snprintf(err, errlen, "record store header lists an impossible frame for page %u", i);
			return -EBADMSG;
		}
	return 0;
}

/*
 * No locator: probe the first 8 bytes of every 4 KiB-aligned physical page
 * the dump holds for the magic, and take the first whose header checksum
 * holds.
 */
static bool scan_for_store(struct sw_dump *d, __u64 *pfn)
{
	__u64 from = 0, start, len;

	while (sw_dump_next_range(d, from, &start, &len)) {
		__u64 end = start + len;
		__u64 a = (start + SCAN_STEP - 1) & ~(SCAN_STEP - 1);

		if (end <= from)	/* a range that does not move on: garbage */
			break;
		from = end;
		for (; a >= start && a < end && end - a >= sizeof(struct sw_store_hdr);
		     a += SCAN_STEP) {
			struct sw_store_hdr h;
			__u64 magic;
			int r = sw_dump_read(d, a, &magic, sizeof(magic));

			/* held by the dump, it says, yet not there: the rest is garbage too */
			if (r == -ENODATA || r == -ERANGE)
				break;
			if (r || magic != SW_STORE_MAGIC)
				continue;	/* -EIO: one corrupt compressed page */
			if (sw_dump_read(d, a, &h, sizeof(h)) || !csum_ok(&h) ||
			    !page_size_ok(h.page_size) || a % h.page_size)
				continue;
			*pfn = a / h.page_size;
			return true;
		}
	}
	return false;
}

/* Page sizes of the guest (arm64 has three), tried smallest first. */
static const __u32 page_sizes[] = { 4096, 16384, 65536 };

static void level_text(const struct sw_dump *d, char *buf, size_t len)
{
	if (sw_dump_level(d) >= 0)
		snprintf(buf, len, "dump level %d", sw_dump_level(d));
	else
		snprintf(buf, len, "the dump does not say its dump level");
}

/* Page 0 at @first_pfn: the header; its page size is the guest's, not ours. */
static int find_header(struct sw_dump *d, __u64 first_pfn, struct sw_store_hdr *h,
		       char *err, size_t errlen)
{
	bool any_eio = false, any_read = false, any_filtered = false;
	__u32 dps = sw_dump_page_size(d);
	char lvl[64];

	for (size_t i = 0; i < sizeof(page_sizes) / sizeof(page_sizes[0]); i++) {
		__u64 ps = page_sizes[i];
		int r;

		if (first_pfn > UINT64_MAX / ps || (dps && ps != dps))
			continue;
		r = sw_dump_read(d, first_pfn * ps, h, sizeof(*h));
		any_eio |= r == -EIO;
		any_filtered |= r == -ENODATA;
		if (r)
			continue;
		any_read = true;
		if (h->magic == SW_STORE_MAGIC && h->page_size == ps)
			return 0;
	}
	if (any_read) {
		snprintf(err, errlen, "no stopwatch record store at page frame %llu (bad magic)",
			 (unsigned long long)first_pfn);
		return -EINVAL;
	}
	if (any_filtered) {
		level_text(d, lvl, sizeof(lvl));
		snprintf(err, errlen, "record store page 0 (frame %llu) is not in the dump: "
			 "filtered out (%s)", (unsigned long long)first_pfn, lvl);
		return -ENODATA;
	}
	if (any_eio) {
		snprintf(err, errlen, "dump is truncated or corrupt: page frame %llu cannot be "
			 "read", (unsigned long long)first_pfn);
		return -EIO;
	}
	snprintf(err, errlen, "page frame %llu is outside the dump's memory",
		 (unsigned long long)first_pfn);
	return -EINVAL;
}

/*
 * A store page the dump left out. makedumpfile's level bit 1 drops pages of
 * zeros (kdump-compressed dumps keep them as one shared zero page; ELF ones
 * leave them out), and a page of the store is all zeros whenever it holds
 * only per-CPU slots of CPUs the machine does not have. So with that bit set
 * the page reads as zeros, unless it holds the head of a live record, which
 * is never zero: then it was dropped for another reason. Without the bit (or
 * with no level known) a missing page is an error.
 */
static int missing_page(const struct sw_dump *d, const struct sw_store_hdr *hdr, __u32 page,
			char *err, size_t errlen)
{
	size_t lo = (size_t)page * hdr->page_size, hi = lo + hdr->page_size;
	__u64 last = hdr->next_seq, left = last < SW_STOP_SLOTS ? last : SW_STOP_SLOTS;
	char lvl[64];

	level_text(d, lvl, sizeof(lvl));
	if (sw_dump_level(d) >= 0 && (sw_dump_level(d) & DL_ZERO)) {
		for (__u64 seq = last - left + 1; left; left--, seq++) {
			size_t at = offsetof(struct sw_store, rec[(seq - 1) % SW_STOP_SLOTS]);

			if (at + offsetof(struct sw_stop_record, cpu) > lo && at < hi) {
				snprintf(err, errlen, "record store page %u (frame %llu) is not in "
					 "the dump, yet holds stop record %llu: filtered out (%s)",
					 page, (unsigned long long)hdr->pfn[page],
					 (unsigned long long)seq, lvl);
				return -ENODATA;
			}
		}
		return 0;
	}
	snprintf(err, errlen, "record store page %u (frame %llu) is not in the dump: "
		 "filtered out (%s)", page, (unsigned long long)hdr->pfn[page], lvl);
	return -ENODATA;
}

/* The map value is contiguous only virtually: gather it page by page. */
static int gather(struct sw_dump *d, struct sw_store *out, char *err, size_t errlen)
{
	struct sw_store_hdr hdr = out->hdr;

	for (__u32 i = 0; i < hdr.nr_pages; i++) {
		size_t off = (size_t)i * hdr.page_size;
		size_t len = sizeof(*out) - off < hdr.page_size ? sizeof(*out) - off : hdr.page_size;
		int ret = sw_dump_read(d, hdr.pfn[i] * hdr.page_size, (char *)out + off, len);

		if (ret == -ENODATA && i) {
			ret = missing_page(d, &hdr, i, err, errlen);
			if (ret)
				return ret;
			memset((char *)out + off, 0, len);
			continue;
		}
		if (ret) {
			snprintf(err, errlen, "record store page %u (frame %llu) %s", i,
				 (unsigned long long)hdr.pfn[i],
				 ret == -EIO ? "cannot be read: the dump is truncated or corrupt" :
				 ret == -ENODATA ? "is not in the dump" :
				 "is outside the dump's memory");
			return ret == -EIO ? -EIO : ret == -ENODATA ? -ENODATA : -EINVAL;
		}
	}
	/* page 0 was read again with the rest: it must be the same header */
	if (memcmp(&hdr, &out->hdr, offsetof(struct sw_store_hdr, nr_cpus))) {
		snprintf(err, errlen, "record store header changed while reading");
		return -EBADMSG;
	}
	return 0;
}

int sw_vmcore_find_store(struct sw_dump *d, const char *path, __u64 first_pfn,
			 struct sw_store *out, char *err, size_t errlen)
{
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!first_pfn) {
		fprintf(stderr, "stopwatch: no locator (--pfn or stopwatch.pfn=): "
			"scanning %s for the record store\n", path);
		if (!scan_for_store(d, &first_pfn)) {
			snprintf(err, errlen, "no stopwatch record store in this dump (was it armed?)");
			return -EINVAL;
		}
		fprintf(stderr, "stopwatch: found the record store at page frame %llu by scanning\n",
			(unsigned long long)first_pfn);
	}
	ret = find_header(d, first_pfn, &out->hdr, err, errlen);
	if (!ret)
		ret = check_hdr(&out->hdr, first_pfn, err, errlen);
	if (!ret)
		ret = gather(d, out, err, errlen);
	return ret;
}

int sw_vmcore_read_store(const char *path, __u64 first_pfn, struct sw_store *out,
			 char *err, size_t errlen)
{
	struct sw_dump *d;
	int ret = sw_dump_open(path, &d, err, errlen);

	if (ret)
		return ret;
	ret = sw_vmcore_find_store(d, path, first_pfn, out, err, errlen);
	sw_dump_close(d);
	return ret;
}
