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
#include "wire.h"
#include "vmcore.h"

#define SCAN_STEP	4096ULL		/* smallest page size: store pages start on it */

#define DL_ZERO		1		/* makedumpfile -d bit: pages filled with zeros */

/*
 * The header of the store at @first_pfn, whose first SW_STORE_HDR_MAX bytes
 * are @hdr: any layout store.c reads, checked there; then that it names
 * @first_pfn as its first frame, and frames that can be addressed.
 */
static int check_hdr(const void *hdr, __u64 first_pfn, struct sw_store_geom *g,
		     char *err, size_t errlen)
{
	int ret = sw_store_geom(hdr, SW_STORE_HDR_MAX, g, err, errlen);

	if (ret == -EINVAL)
		snprintf(err, errlen, "no stopwatch record store at page frame %llu (bad magic)",
			 (unsigned long long)first_pfn);
	if (ret)
		return ret;
	if (g->pfn[0] != first_pfn) {
		snprintf(err, errlen, "record store header names frame %llu, not %llu (stale locator)",
			 (unsigned long long)g->pfn[0], (unsigned long long)first_pfn);
		return -EINVAL;
	}
	for (__u32 i = 0; i < g->nr_pages; i++)
		if (!g->pfn[i] || g->pfn[i] > UINT64_MAX / g->page_size) {
			snprintf(err, errlen, "record store header lists an impossible frame for page %u", i);
			return -EBADMSG;
		}
	return 0;
}

/*
 * No locator: probe the first 8 bytes of every 4 KiB-aligned physical page
 * the dump holds for the magic, and take the first whose header holds
 * (checksum, sizes).
 */
static bool scan_for_store(struct sw_dump *d, __u64 *pfn)
{
	static unsigned char h[SW_STORE_HDR_MAX];
	__u64 from = 0, start, len;

	while (sw_dump_next_range(d, from, &start, &len)) {
		__u64 end = start + len;
		__u64 a = (start + SCAN_STEP - 1) & ~(SCAN_STEP - 1);

		if (end <= from)	/* a range that does not move on: garbage */
			break;
		from = end;
		for (; a >= start && a < end && end - a >= sizeof(__u64); a += SCAN_STEP) {
			struct sw_store_geom g;
			char err[8];
			__u64 magic;
			int r = sw_dump_read(d, a, &magic, sizeof(magic));

			/* held by the dump, it says, yet not there: the rest is garbage too */
			if (r == -ENODATA || r == -ERANGE)
				break;
			if (r || magic != SW_STORE_MAGIC)
				continue;	/* -EIO: one corrupt compressed page */
			/* the header lies in one page: a page short of it is no store */
			if (sw_dump_read(d, a, h, sizeof(h)) ||
			    sw_store_geom(h, sizeof(h), &g, err, sizeof(err)) || a % g.page_size)
				continue;
			*pfn = a / g.page_size;
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

/* Find the header at @first_pfn, whichever the guest's page size: 0 or -errno. */
static int read_hdr(struct sw_dump *d, __u64 first_pfn, void *hdr, char *err, size_t errlen)
{
	const struct sw_store_hdr *h = hdr;
	bool any_eio = false, any_read = false, any_filtered = false;
	__u32 dps = sw_dump_page_size(d);
	char lvl[64];

	/* the header starts page 0; its page size is the guest's, not ours */
	for (size_t i = 0; i < sizeof(page_sizes) / sizeof(page_sizes[0]); i++) {
		__u64 ps = page_sizes[i];
		int r;

		if (first_pfn > UINT64_MAX / ps || (dps && ps != dps))
			continue;
		r = sw_dump_read(d, first_pfn * ps, hdr, SW_STORE_HDR_MAX);
		any_eio |= r == -EIO;
		any_filtered |= r == -ENODATA;
		if (r)
			continue;
		any_read = true;
		/* page_size sits at the same offset in every layout */
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
 * Store pages the dump left out. makedumpfile's level bit 1 drops pages of
 * zeros (kdump-compressed dumps keep them as one shared zero page; ELF ones
 * leave them out), and a page of the store is all zeros whenever it holds
 * only per-CPU slots of CPUs with nothing recorded. So with that bit set
 * such a page reads as zeros, unless it holds the head of a live record,
 * which is never zero: then it was dropped for another reason. Without the
 * bit (or with no level known) a missing page is an error. @missing: one
 * flag per page of @buf, which holds zeros there.
 */
static int check_missing(const struct sw_dump *d, const struct sw_store_geom *g,
			 const unsigned char *buf, const bool *missing, char *err, size_t errlen)
{
	struct sw_store_view v;
	__u64 last, left;
	char lvl[64];
	__u32 first = 0;

	while (first < g->nr_pages && !missing[first])
		first++;
	if (first == g->nr_pages)
		return 0;
	level_text(d, lvl, sizeof(lvl));
	if (sw_dump_level(d) < 0 || !(sw_dump_level(d) & DL_ZERO)) {
		snprintf(err, errlen, "record store page %u (frame %llu) is not in the dump: "
			 "filtered out (%s)", first, (unsigned long long)g->pfn[first], lvl);
		return -ENODATA;
	}
	if (sw_store_view_open(&v, buf, g->size, err, errlen))
		return -EBADMSG;
	last = v.hdr.next_seq;
	left = last < SW_STOP_SLOTS ? last : SW_STOP_SLOTS;
	for (__u64 seq = last - left + 1; left; left--, seq++) {
		size_t at = v.recs_off + (size_t)((seq - 1) % SW_STOP_SLOTS) * v.rec_size;

		for (__u32 i = 0; i < g->nr_pages; i++) {
			size_t lo = (size_t)i * g->page_size;

			if (missing[i] && at + v.cpu_off > lo && at < lo + g->page_size) {
				snprintf(err, errlen, "record store page %u (frame %llu) is not in "
					 "the dump, yet holds stop record %llu: filtered out (%s)",
					 i, (unsigned long long)g->pfn[i], (unsigned long long)seq, lvl);
				return -ENODATA;
			}
		}
	}
	return 0;
}

/* The map value is contiguous only virtually: gather it page by page. */
static int gather(struct sw_dump *d, const struct sw_store_geom *g, unsigned char *out,
		  bool *missing, char *err, size_t errlen)
{
	for (__u32 i = 0; i < g->nr_pages; i++) {
		size_t off = (size_t)i * g->page_size;
		size_t len = g->size - off < g->page_size ? g->size - off : g->page_size;
		int ret = sw_dump_read(d, g->pfn[i] * g->page_size, out + off, len);

		if (ret == -ENODATA && i) {	/* checked once all is read: check_missing() */
			memset(out + off, 0, len);
			missing[i] = true;
			continue;
		}
		if (ret) {
			snprintf(err, errlen, "record store page %u (frame %llu) %s", i,
				 (unsigned long long)g->pfn[i],
				 ret == -EIO ? "cannot be read: the dump is truncated or corrupt" :
				 ret == -ENODATA ? "is not in the dump" :
				 "is outside the dump's memory");
			return ret == -EIO ? -EIO : ret == -ENODATA ? -ENODATA : -EINVAL;
		}
	}
	return 0;
}

int sw_vmcore_find_wire(struct sw_dump *d, const char *path, __u64 first_pfn, void **wire,
			size_t *len, char *err, size_t errlen)
{
	static unsigned char hdr[SW_STORE_HDR_MAX];
	struct sw_store_geom g;
	unsigned char *buf = NULL;
	bool *missing = NULL;
	int ret;

	*wire = NULL;
	*len = 0;
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
	ret = read_hdr(d, first_pfn, hdr, err, errlen);
	if (!ret)
		ret = check_hdr(hdr, first_pfn, &g, err, errlen);
	if (ret)
		return ret;
	buf = malloc(g.size);
	missing = calloc(g.nr_pages ? g.nr_pages : 1, sizeof(*missing));
	if (!buf || !missing) {
		snprintf(err, errlen, "out of memory (a store of %u bytes)", g.size);
		ret = -ENOMEM;
		goto out;
	}
	ret = gather(d, &g, buf, missing, err, errlen);
	if (ret)
		goto out;
	/* page 0 was read again with the rest: it must be the same header */
	if (memcmp(hdr, buf, g.csum_len)) {
		snprintf(err, errlen, "record store header changed while reading");
		ret = -EBADMSG;
		goto out;
	}
	ret = check_missing(d, &g, buf, missing, err, errlen);
	if (ret)
		goto out;
	*wire = buf;
	*len = g.size;
	buf = NULL;
out:
	free(buf);
	free(missing);
	return ret;
}

int sw_vmcore_find_store(struct sw_dump *d, const char *path, __u64 first_pfn,
			 struct sw_store *out, char *err, size_t errlen)
{
	void *wire;
	size_t len;
	int ret = sw_vmcore_find_wire(d, path, first_pfn, &wire, &len, err, errlen);

	if (!ret)
		ret = sw_store_decode(wire, len, out, err, errlen);
	free(wire);
	return ret;
}

int sw_vmcore_read_wire(const char *path, __u64 first_pfn, void **wire, size_t *len,
			char *err, size_t errlen)
{
	struct sw_dump *d;
	int ret = sw_dump_open(path, &d, err, errlen);

	*wire = NULL;
	*len = 0;
	if (ret)
		return ret;
	ret = sw_vmcore_find_wire(d, path, first_pfn, wire, len, err, errlen);
	sw_dump_close(d);
	return ret;
}

int sw_vmcore_read_store(const char *path, __u64 first_pfn, struct sw_store *out,
			 char *err, size_t errlen)
{
	void *wire;
	size_t len;
	int ret = sw_vmcore_read_wire(path, first_pfn, &wire, &len, err, errlen);

	if (!ret)
		ret = sw_store_decode(wire, len, out, err, errlen);
	free(wire);
	return ret;
}
