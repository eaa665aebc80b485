// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Read stopwatch's record store out of an ELF core: a kdump /proc/vmcore
 * or a QEMU dump-guest-memory file. Both describe memory with PT_LOAD
 * program headers whose p_paddr is the physical address, which is what the
 * store's header lists (pfn[] = physical frames of its pages, in order).
 *
 * The ELF headers are read with libelf (elfutils): stopwatch links it for
 * libbpf already, and it reads program headers lazily, so a 1 GB
 * /proc/vmcore costs a few small reads. Memory is read with pread() at the
 * offsets the PT_LOADs give, so nothing is mapped or read in bulk.
 *
 * Everything read from the file is checked before use: the reader returns
 * an error, never crashes, on garbage (tests/unit/test_vmcore.c flips bits,
 * truncates, and forges headers with valid checksums).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "wire.h"
#include "vmcore.h"

#define SCAN_STEP	4096ULL		/* smallest page size: store pages start on it */

struct seg {
	__u64 paddr, len, off;
};

struct core {
	int fd;
	__u64 size;		/* bytes in the file */
	size_t nseg;
	struct seg *seg;
	bool only_4k;		/* x86: no other page size */
};

/*
 * Physical range to file offset through the PT_LOADs. -ERANGE: not inside
 * one segment; -EIO: inside a segment that the file does not hold entirely
 * (truncated core).
 */
static int phys_off(const struct core *c, __u64 paddr, __u64 len, __u64 *off)
{
	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *s = &c->seg[i];

		if (paddr < s->paddr || paddr - s->paddr > s->len ||
		    len > s->len - (paddr - s->paddr))
			continue;
		*off = s->off + (paddr - s->paddr);	/* no overflow: checked at open */
		return *off + len <= c->size ? 0 : -EIO;
	}
	return -ERANGE;
}

static int read_phys(const struct core *c, __u64 paddr, void *buf, size_t len)
{
	__u64 off;
	int ret = phys_off(c, paddr, len, &off);

	if (ret)
		return ret;
	return pread(c->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

static int open_core(const char *path, struct core *c, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	struct stat st;
	Elf *elf;
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	/* a size of 0 (some special files) means unknown: pread() tells */
	c->size = fstat(c->fd, &st) == 0 && st.st_size > 0 ? (__u64)st.st_size : UINT64_MAX;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	elf = elf_begin(c->fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    eh.e_type != ET_CORE || elf_getphdrnum(elf, &n)) {
		snprintf(err, errlen, "not an ELF core file");
		if (elf)
			elf_end(elf);
		return -EINVAL;
	}
	c->only_4k = eh.e_machine == EM_X86_64 || eh.e_machine == EM_386;
	c->seg = calloc(n ? n : 1, sizeof(*c->seg));
	if (!c->seg) {
		elf_end(elf);
		snprintf(err, errlen, "out of memory (%zu program headers)", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		/* offsets and addresses that wrap around are garbage: skip them */
		if (ph.p_offset + ph.p_filesz < ph.p_offset || ph.p_paddr + ph.p_filesz < ph.p_paddr)
			continue;
		c->seg[c->nseg].paddr = ph.p_paddr;
		c->seg[c->nseg].len = ph.p_filesz;
		c->seg[c->nseg].off = ph.p_offset;
		c->nseg++;
	}
	elf_end(elf);
	if (!c->nseg) {
		snprintf(err, errlen, "ELF core has no memory segments (PT_LOAD)");
		return -EINVAL;
	}
	return 0;
}

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
 * for the magic, and take the first whose header holds (checksum, sizes).
 */
static bool scan_for_store(const struct core *c, __u64 *pfn)
{
	static unsigned char h[SW_STORE_HDR_MAX];

	for (size_t i = 0; i < c->nseg; i++) {
		const struct seg *s = &c->seg[i];
		__u64 end = s->paddr + s->len;
		__u64 a = (s->paddr + SCAN_STEP - 1) & ~(SCAN_STEP - 1);

		for (; a >= s->paddr && a < end && end - a >= sizeof(__u64); a += SCAN_STEP) {
			struct sw_store_geom g;
			char err[8];
			__u64 magic;
			int r = read_phys(c, a, &magic, sizeof(magic));

			if (r == -EIO)	/* the rest of this segment is past EOF */
				break;
			if (r || magic != SW_STORE_MAGIC)
				continue;
			/* the header lies in one page: a page short of it is no store */
			if (read_phys(c, a, h, sizeof(h)) ||
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

/* Find the header at @first_pfn, whichever the guest's page size: 0 or -errno. */
static int read_hdr(const struct core *c, __u64 first_pfn, void *hdr, char *err, size_t errlen)
{
	const struct sw_store_hdr *h = hdr;
	bool any_eio = false, any_read = false;

	/* the header starts page 0; its page size is the guest's, not ours */
	for (size_t i = 0; i < sizeof(page_sizes) / sizeof(page_sizes[0]); i++) {
		__u64 ps = page_sizes[i];
		int r;

		if (first_pfn > UINT64_MAX / ps || (c->only_4k && ps != 4096))
			continue;
		r = read_phys(c, first_pfn * ps, hdr, SW_STORE_HDR_MAX);
		any_eio |= r == -EIO;
		if (r)
			continue;
		any_read = true;
		/* page_size sits at the same offset in every layout */
		if (h->magic == SW_STORE_MAGIC && h->page_size == ps)
			return 0;
	}
	if (any_read)
		snprintf(err, errlen, "no stopwatch record store at page frame %llu (bad magic)",
			 (unsigned long long)first_pfn);
	else if (any_eio)
		snprintf(err, errlen, "core is truncated: page frame %llu lies past the end "
			 "of the file (%llu bytes)", (unsigned long long)first_pfn,
			 (unsigned long long)c->size);
	else
		snprintf(err, errlen, "page frame %llu is outside the core's memory "
			 "(no PT_LOAD holds it)", (unsigned long long)first_pfn);
	return any_read || !any_eio ? -EINVAL : -EIO;
}

/* The map value is contiguous only virtually: gather it page by page. */
static int gather(const struct core *c, const struct sw_store_geom *g, unsigned char *out,
		  char *err, size_t errlen)
{
	for (__u32 i = 0; i < g->nr_pages; i++) {
		size_t off = (size_t)i * g->page_size;
		size_t len = g->size - off < g->page_size ? g->size - off : g->page_size;
		int ret = read_phys(c, g->pfn[i] * g->page_size, out + off, len);

		if (ret) {
			snprintf(err, errlen, "record store page %u (frame %llu) %s", i,
				 (unsigned long long)g->pfn[i],
				 ret == -EIO ? "lies past the end of the file: core is truncated"
					     : "is outside the core's memory");
			return ret == -EIO ? -EIO : -EINVAL;
		}
	}
	return 0;
}

int sw_vmcore_read_wire(const char *path, __u64 first_pfn, void **wire, size_t *len,
			char *err, size_t errlen)
{
	static unsigned char hdr[SW_STORE_HDR_MAX];
	struct sw_store_geom g;
	unsigned char *buf = NULL;
	struct core c;
	int ret;

	*wire = NULL;
	*len = 0;
	if (errlen)
		err[0] = '\0';
	ret = open_core(path, &c, err, errlen);
	if (ret)
		goto out;
	if (!first_pfn) {
		fprintf(stderr, "stopwatch: no locator (--pfn or stopwatch.pfn=): "
			"scanning %s for the record store\n", path);
		if (!scan_for_store(&c, &first_pfn)) {
			snprintf(err, errlen, "no stopwatch record store in this core (was it armed?)");
			ret = -EINVAL;
			goto out;
		}
		fprintf(stderr, "stopwatch: found the record store at page frame %llu by scanning\n",
			(unsigned long long)first_pfn);
	}
	ret = read_hdr(&c, first_pfn, hdr, err, errlen);
	if (!ret)
		ret = check_hdr(hdr, first_pfn, &g, err, errlen);
	if (ret)
		goto out;
	buf = malloc(g.size);
	if (!buf) {
		snprintf(err, errlen, "out of memory (a store of %u bytes)", g.size);
		ret = -ENOMEM;
		goto out;
	}
	ret = gather(&c, &g, buf, err, errlen);
	if (ret)
		goto out;
	/* page 0 was read again with the rest: it must be the same header */
	if (memcmp(hdr, buf, g.csum_len)) {
		snprintf(err, errlen, "record store header changed while reading");
		ret = -EBADMSG;
		goto out;
	}
	*wire = buf;
	*len = g.size;
	buf = NULL;
out:
	if (c.fd >= 0)
		close(c.fd);
	free(c.seg);
	free(buf);
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
