// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "vmcore.h"

struct core {
	int fd;
	off_t size;
	size_t nseg;
	struct { __u64 paddr, len, off; } *seg;
};

/* Physical address to file offset through the PT_LOAD segments. */
static int phys_off(const struct core *c, __u64 paddr, __u64 len, off_t *off)
{
	for (size_t i = 0; i < c->nseg; i++) {
		if (paddr >= c->seg[i].paddr && paddr - c->seg[i].paddr + len <= c->seg[i].len) {
			*off = c->seg[i].off + (paddr - c->seg[i].paddr);
			return *off + (off_t)len <= c->size ? 0 : -EIO;
		}
	}
	return -ERANGE;
}

static int read_phys(const struct core *c, __u64 paddr, void *buf, size_t len)
{
	off_t off;
	int ret = phys_off(c, paddr, len, &off);

	if (ret)
		return ret;
	return pread(c->fd, buf, len, off) == (ssize_t)len ? 0 : -EIO;
}

static int open_core(const char *path, struct core *c, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	struct stat st;
	Elf *elf;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->fd = open(path, O_RDONLY);
	if (c->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	if (fstat(c->fd, &st) == 0)
		c->size = st.st_size;
	/* /proc/vmcore reports its size; a saved core may be truncated */
	elf_version(EV_CURRENT);
	elf = elf_begin(c->fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || eh.e_type != ET_CORE ||
	    elf_getphdrnum(elf, &n)) {
		snprintf(err, errlen, "not an ELF core file");
		if (elf)
			elf_end(elf);
		return -EINVAL;
	}
	c->seg = calloc(n ? n : 1, sizeof(*c->seg));
	for (size_t i = 0; c->seg && i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		c->seg[c->nseg].paddr = ph.p_paddr;
		c->seg[c->nseg].len = ph.p_filesz;
		c->seg[c->nseg].off = ph.p_offset;
		c->nseg++;
	}
	elf_end(elf);
	if (!c->nseg) {
		snprintf(err, errlen, "ELF core has no memory segments");
		return -EINVAL;
	}
	return 0;
}

static int check_hdr(const struct sw_store_hdr *h, char *err, size_t errlen)
{
	if (h->magic != SW_STORE_MAGIC) {
		snprintf(err, errlen, "no stopwatch record store at that page frame");
		return -EINVAL;
	}
	if (h->layout != SW_LAYOUT_VERSION || h->size != sizeof(struct sw_store)) {
		snprintf(err, errlen, "record store of another stopwatch (layout %u, %u bytes; "
			 "this reads layout %u)", h->layout, h->size, SW_LAYOUT_VERSION);
		return -EPROTO;
	}
	if (h->page_size < 4096 || h->page_size > 65536 || (h->page_size & (h->page_size - 1)) ||
	    h->nr_pages == 0 || h->nr_pages > SW_MAX_PAGES ||
	    (__u64)h->nr_pages * h->page_size < sizeof(struct sw_store)) {
		snprintf(err, errlen, "record store header is corrupt (pages)");
		return -EBADMSG;
	}
	if (crc32(0, (const void *)h, offsetof(struct sw_store_hdr, hdr_csum)) != h->hdr_csum) {
		snprintf(err, errlen, "record store header checksum mismatch (corrupt core)");
		return -EBADMSG;
	}
	return 0;
}

/* No locator: probe the first 8 bytes of every page for the magic. */
static __u64 scan_for_store(const struct core *c)
{
	for (size_t i = 0; i < c->nseg; i++)
		for (__u64 a = (c->seg[i].paddr + 4095) & ~4095ULL;
		     a + sizeof(struct sw_store_hdr) <= c->seg[i].paddr + c->seg[i].len; a += 4096) {
			struct sw_store_hdr h;

			if (read_phys(c, a, &h.magic, sizeof(h.magic)) || h.magic != SW_STORE_MAGIC)
				continue;
			if (read_phys(c, a, &h, sizeof(h)) == 0 &&
			    crc32(0, (const void *)&h, offsetof(struct sw_store_hdr, hdr_csum)) == h.hdr_csum)
				return a / h.page_size;
		}
	return 0;
}

int sw_vmcore_read_store(const char *path, __u64 first_pfn, struct sw_store *out,
			 char *err, size_t errlen)
{
	struct sw_store_hdr *h = &out->hdr;
	struct core c;
	int ret;

	ret = open_core(path, &c, err, errlen);
	if (ret)
		goto out;
	if (!first_pfn) {
		fprintf(stderr, "stopwatch: no locator (--pfn or stopwatch.pfn=): scanning %s\n", path);
		first_pfn = scan_for_store(&c);
		if (!first_pfn) {
			snprintf(err, errlen, "no stopwatch record store in this core (was it armed?)");
			ret = -EINVAL;
			goto out;
		}
	}
	/* the header sits at the start of the first page; its page size is the guest's */
	int first_err = 0;
	bool readable = false;

	ret = -EINVAL;
	for (__u64 ps = 4096; ps <= 65536; ps <<= 2) {
		int r = read_phys(&c, first_pfn * ps, h, sizeof(*h));

		if (!r && h->magic == SW_STORE_MAGIC && h->page_size == ps) {
			ret = 0;
			break;
		}
		readable |= !r;
		if (!first_err)
			first_err = r;
	}
	if (ret && readable) {
		snprintf(err, errlen, "no stopwatch record store at page frame %llu",
			 (unsigned long long)first_pfn);
		goto out;
	}
	if (ret && first_err == -EIO) {
		snprintf(err, errlen, "core is truncated (page frame %llu beyond end of file)",
			 (unsigned long long)first_pfn);
		ret = -EIO;
		goto out;
	}
	if (ret) {
		snprintf(err, errlen, "page frame %llu is outside the core's memory",
			 (unsigned long long)first_pfn);
		goto out;
	}
	ret = check_hdr(h, err, errlen);
	if (ret)
		goto out;
	if (h->pfn[0] != first_pfn) {
		snprintf(err, errlen, "record store header names frame %llu, not %llu (stale locator)",
			 (unsigned long long)h->pfn[0], (unsigned long long)first_pfn);
		ret = -EINVAL;
		goto out;
	}
	/* the value is virtually contiguous only: gather page by page */
	for (__u32 i = 0; i < h->nr_pages; i++) {
		size_t off = (size_t)i * h->page_size;
		size_t len = sizeof(*out) - off < h->page_size ? sizeof(*out) - off : h->page_size;
		__u64 pfn = h->pfn[i];

		if (!pfn) {
			snprintf(err, errlen, "record store page %u has no frame in the header", i);
			ret = -EBADMSG;
			goto out;
		}
		ret = read_phys(&c, pfn * h->page_size, (char *)out + off, len);
		if (ret) {
			snprintf(err, errlen, "record store page %u (frame %llu) %s", i,
				 (unsigned long long)pfn,
				 ret == -EIO ? "is past the end of a truncated core" : "is not in the core");
			ret = ret == -EIO ? -EIO : -EINVAL;
			goto out;
		}
		if (i == 0) /* the rest of page 0 was read over the header: check again */
			if ((ret = check_hdr(h, err, errlen)))
				goto out;
	}
	ret = 0;
out:
	if (c.fd >= 0)
		close(c.fd);
	free(c.seg);
	return ret;
}
