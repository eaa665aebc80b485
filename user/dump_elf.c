// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * ELF cores: a kdump /proc/vmcore, a QEMU dump-guest-memory file, or
 * makedumpfile -E output. PT_LOAD program headers map physical addresses
 * (p_paddr) to file offsets; PT_NOTE holds the CPUs' PRSTATUS notes.
 *
 * Read with libelf (elfutils), not libkdumpfile: the static binary that
 * runs in busybox capture kernels must read /proc/vmcore, and Debian has no
 * static libkdumpfile (dump_kdump_none.c). libelf reads program headers
 * lazily, so a 1 GB /proc/vmcore costs a few small reads; memory is read
 * with pread() at the offsets the PT_LOADs give, nothing is mapped.
 *
 * A PT_LOAD whose file size is below its memory size (makedumpfile -E
 * leaves out filtered pages at its end) makes the rest of it a filtered
 * range: -ENODATA, not a hole.
 */
#include <errno.h>
#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dump_priv.h"

#define MAX_NOTES_BYTES	(16u << 20)	/* PRSTATUS of 4096 CPUs and VMCOREINFO fit */

struct elf_priv {
	size_t n;
	__u64 *memsz;		/* per range: bytes of memory (>= the range's file bytes) */
};

static int elf_read(struct sw_dump *d, __u64 paddr, void *buf, size_t len)
{
	struct elf_priv *p = d->priv;
	bool filtered = false;

	/* a range whose file bytes hold it; else one whose memory does (filtered) */
	for (size_t i = 0; i < d->nrange; i++) {
		const struct sw_dump_range *s = &d->range[i];
		__u64 in = paddr - s->start, off;

		if (paddr < s->start || in > p->memsz[i] || len > p->memsz[i] - in)
			continue;
		if (in > s->len || len > s->len - in) {
			filtered = true;
			continue;
		}
		off = s->off + in;		/* no overflow: checked at open */
		if (off + len > d->size)
			return -EIO;
		return pread(d->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
	}
	return filtered ? -ENODATA : -ERANGE;
}

/*
 * PT_LOADs need not be sorted: the lowest one ending above @from, of the
 * file bytes it has (a truncated core holds less than it says).
 */
static bool elf_next_range_any(struct sw_dump *d, __u64 from, __u64 *start, __u64 *len,
			       __u64 *file_off)
{
	bool found = false;

	for (size_t i = 0; i < d->nrange; i++) {
		const struct sw_dump_range *s = &d->range[i];
		__u64 have = s->off >= d->size ? 0 : d->size - s->off < s->len ? d->size - s->off : s->len;
		__u64 a = s->start > from ? s->start : from;

		if (s->start + have <= from || (found && a >= *start))
			continue;
		*start = a;
		*len = s->start + have - a;
		*file_off = s->off + (a - s->start);
		found = true;
	}
	return found;
}

/*
 * A hole of the file holds no page: clip the range at @file_off to the data
 * that follows (SEEK_DATA, SEEK_HOLE); false when it is all hole. A
 * flattened dump is unpacked into a sparse memfd, where a corrupt block
 * offset can leave up to a petabyte of hole, which the page scan read 8
 * bytes a page (fuzz_flat: 2 M reads, 1 s, for a 50 KB input). Where the
 * file cannot say (/proc/vmcore), the range stays whole.
 */
static bool clip_to_data(struct sw_dump *d, __u64 file_off, __u64 *start, __u64 *len)
{
	off_t data = lseek(d->fd, (off_t)file_off, SEEK_DATA), hole;

	if (data < 0)
		return errno != ENXIO;	/* ENXIO: nothing but hole from here on */
	if ((__u64)data < file_off)
		return true;		/* not an answer: keep the range */
	if ((__u64)data - file_off >= *len)
		return false;
	*start += data - file_off;
	*len -= data - file_off;
	hole = lseek(d->fd, data, SEEK_HOLE);
	if (hole > data && (__u64)(hole - data) < *len)
		*len = hole - data;
	return true;
}

static bool elf_next_range(struct sw_dump *d, __u64 from, __u64 *start, __u64 *len)
{
	__u64 file_off = 0;

	while (elf_next_range_any(d, from, start, len, &file_off)) {
		__u64 end = *start + *len;

		if (clip_to_data(d, file_off, start, len))
			return true;
		from = end;
	}
	return false;
}

static void elf_close(struct sw_dump *d)
{
	struct elf_priv *p = d->priv;

	if (p)
		free(p->memsz);
	free(p);
}

/* PRSTATUS notes of one PT_NOTE; a note past the end of the file is no note. */
static int read_notes(struct sw_dump *d, Elf *elf, const GElf_Phdr *ph)
{
	size_t len = ph->p_filesz, off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	Elf_Data *data;

	if (!len || len > MAX_NOTES_BYTES || ph->p_offset > d->size || len > d->size - ph->p_offset)
		return 0;
	data = elf_getdata_rawchunk(elf, ph->p_offset, len, ELF_T_NHDR);
	if (!data)
		return 0;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;

		if (nh.n_type != NT_PRSTATUS || nh.n_namesz != 5 || memcmp(name, "CORE", 5))
			continue;
		if (sw_dump_add_prstatus(d, (const char *)data->d_buf + desc_off, nh.n_descsz))
			return -ENOMEM;
	}
	return 0;
}

int sw_dump_open_elf(struct sw_dump *d, char *err, size_t errlen)
{
	struct elf_priv *p = calloc(1, sizeof(*p));
	GElf_Ehdr eh;
	Elf *elf = NULL;
	size_t n = 0;
	int ret = -EINVAL;

	d->format = SW_DUMP_ELF;
	d->read = elf_read;
	d->next_range = elf_next_range;
	d->close = elf_close;
	d->priv = p;
	snprintf(d->describe, sizeof(d->describe), "ELF");
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	elf = elf_begin(d->fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    eh.e_type != ET_CORE || elf_getphdrnum(elf, &n)) {
		snprintf(err, errlen, "not an ELF core file");
		goto out;
	}
	d->machine = eh.e_machine;
	d->page_size = eh.e_machine == EM_X86_64 ? 4096 : 0;	/* arm64: 4, 16 or 64 KiB */
	d->range = calloc(n ? n : 1, sizeof(*d->range));
	p->memsz = calloc(n ? n : 1, sizeof(*p->memsz));
	if (!d->range || !p->memsz) {
		snprintf(err, errlen, "out of memory (%zu program headers)", n);
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct sw_dump_range *r = &d->range[d->nrange];
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			continue;
		if (ph.p_type == PT_NOTE && read_notes(d, elf, &ph)) {
			snprintf(err, errlen, "out of memory (notes)");
			ret = -ENOMEM;
			goto out;
		}
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		/* offsets and addresses that wrap around are garbage: skip them */
		if (ph.p_offset + ph.p_filesz < ph.p_offset || ph.p_paddr + ph.p_memsz < ph.p_paddr ||
		    ph.p_filesz > ph.p_memsz)
			continue;
		r->start = ph.p_paddr;
		r->len = ph.p_filesz;
		r->off = ph.p_offset;
		p->memsz[d->nrange++] = ph.p_memsz;
	}
	if (!d->nrange) {
		snprintf(err, errlen, "ELF core has no memory segments (PT_LOAD)");
		goto out;
	}
	ret = 0;
out:
	if (elf)
		elf_end(elf);
	return ret;
}
