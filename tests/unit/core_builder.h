/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Synthetic ELF cores holding a record store, for the vmcore reader's unit
 * test (test_vmcore.c) and the fuzz seeds (tests/fuzz/seed_vmcore.c): one
 * builder, so the seeds are the format the tests check, not hand-made bytes.
 *
 * A core is an ELF64 header, a PT_NOTE and one PT_LOAD per segment of
 * physical memory; the store's pages go to the frames its header lists.
 * Stores are built as the in-memory struct sw_store and written in the
 * BPF side's layout for hdr.nr_cpus CPUs (core_store_encode), so a test
 * sets fields by name whatever the host size it stands for.
 */
#ifndef STOPWATCH_CORE_BUILDER_H
#define STOPWATCH_CORE_BUILDER_H

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <linux/types.h>
#include "../../bpf/stopwatch.h"

#define CORE_MAX_SEGS 4

struct core_layout {
	__u16 machine;			/* EM_X86_64, EM_AARCH64 */
	__u32 page;			/* the guest's page size */
	unsigned int nseg;
	__u64 seg_base[CORE_MAX_SEGS];	/* first frame of each PT_LOAD */
	__u64 seg_pages[CORE_MAX_SEGS];	/* its length in pages */
	__u64 false_magic_pfn;		/* a bare magic the page scan must skip; 0 = none */
};

static inline size_t core_hdrs(const struct core_layout *l)
{
	return sizeof(Elf64_Ehdr) + (l->nseg + 1) * sizeof(Elf64_Phdr);
}

static inline size_t core_mem_pages(const struct core_layout *l)
{
	size_t n = 0;

	for (unsigned int s = 0; s < l->nseg; s++)
		n += l->seg_pages[s];
	return n;
}

static inline size_t core_size(const struct core_layout *l)
{
	return core_hdrs(l) + core_mem_pages(l) * l->page;
}

/* File offset of physical frame @pfn, -1 when no segment holds it. */
static inline long core_frame_off(const struct core_layout *l, __u64 pfn)
{
	long off = core_hdrs(l);

	for (unsigned int s = 0; s < l->nseg; s++) {
		if (pfn >= l->seg_base[s] && pfn < l->seg_base[s] + l->seg_pages[s])
			return off + (long)(pfn - l->seg_base[s]) * l->page;
		off += l->seg_pages[s] * l->page;
	}
	return -1;
}

#define CORE_CPUS	256	/* CPUs of a store unless a test says otherwise */

static inline void core_store_csum(struct sw_store *st)
{
	st->hdr.hdr_csum = crc32(0, (const void *)&st->hdr, offsetof(struct sw_store_hdr, hdr_csum));
}

/* The store's size and page count for @nr_cpus CPUs; the caller checksums. */
static inline void core_store_set_cpus(struct sw_store *st, __u32 nr_cpus)
{
	struct sw_store_hdr *h = &st->hdr;

	h->nr_cpus = nr_cpus;
	h->size = sw_store_size(nr_cpus);
	h->nr_pages = (h->size + h->page_size - 1) / h->page_size;
}

/* A valid, empty store header of CORE_CPUS CPUs whose pages are at @frames. */
static inline void core_store_init(struct sw_store *st, __u32 page, const __u64 *frames,
				   unsigned int nframes)
{
	struct sw_store_hdr *h = &st->hdr;

	memset(st, 0, sizeof(*st));
	h->magic = SW_STORE_MAGIC;
	h->layout = SW_LAYOUT_VERSION;
	h->page_size = page;
	h->nr_slots = SW_STOP_SLOTS;
	core_store_set_cpus(st, CORE_CPUS);
	memcpy(h->pfn, frames, nframes * sizeof(*frames));
	memcpy(h->boot_id, "0123456789abcdef", 16);
	core_store_csum(st);
}

/*
 * @st in the BPF side's layout (bpf/stopwatch.h) for its hdr.nr_cpus CPUs
 * (CORE_CPUS if that is out of range: a forged header stays as forged);
 * calloc'd, *@size bytes.
 */
static inline void *core_store_encode(const struct sw_store *st, size_t *size)
{
	__u32 n = st->hdr.nr_cpus && st->hdr.nr_cpus <= SW_MAX_CPUS ? st->hdr.nr_cpus : CORE_CPUS;
	__u32 words = sw_mask_words(n);
	unsigned char *w = calloc(1, sw_store_size(n));

	if (!w)
		return NULL;
	*size = sw_store_size(n);
	memcpy(w, &st->hdr, sizeof(st->hdr));
	memcpy(w + sizeof(st->hdr), st->online, words * 8);
	for (unsigned int s = 0; s < SW_STOP_SLOTS; s++) {
		const struct sw_stop_record *r = &st->rec[s];
		unsigned char *o = w + sw_store_recs_off(n) + (size_t)s * sw_rec_size(n);

		memcpy(o, r, sizeof(struct sw_rec_head));
		memcpy(o + sw_rec_online_off(n), r->online, words * 8);
		for (unsigned int i = 0; i < SW_FIRE_RUNGS; i++)
			memcpy(o + sw_rec_target_off(n, i), r->target[i], words * 8);
		memcpy(o + sw_rec_cpu_off(n), r->cpu, n * sizeof(struct sw_cpu_stop));
	}
	return w;
}

/*
 * Write the core to @path, then truncate it to @truncate_to bytes (-1:
 * leave it whole). Returns 0, or -1 with errno set.
 */
static inline int core_write(const char *path, const struct core_layout *l,
			     const struct sw_store *st, long truncate_to)
{
	size_t hdrs = core_hdrs(l), npages = core_mem_pages(l), wsize = 0;
	unsigned char *mem = calloc(npages, l->page);
	unsigned char *wire = core_store_encode(st, &wsize);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[CORE_MAX_SEGS + 1] = { 0 };
	long off = hdrs;
	int ret = -1;
	FILE *f;

	if (!mem || !wire || l->nseg > CORE_MAX_SEGS || !(f = fopen(path, "w"))) {
		free(mem);
		free(wire);
		return -1;
	}
	/* a little noise in memory, and maybe a false magic */
	for (size_t i = 0; i < npages; i++)
		mem[i * l->page + 100] = (unsigned char)i;
	if (l->false_magic_pfn && core_frame_off(l, l->false_magic_pfn) >= 0)
		*(__u64 *)(mem + (core_frame_off(l, l->false_magic_pfn) - hdrs)) = SW_STORE_MAGIC;
	for (unsigned int i = 0; i < st->hdr.nr_pages && i < (unsigned int)SW_MAX_PAGES; i++) {
		long fo = core_frame_off(l, st->hdr.pfn[i]);
		size_t at = (size_t)i * l->page, len;

		if (fo < 0 || at >= wsize)
			continue;
		len = wsize - at < (size_t)l->page ? wsize - at : (size_t)l->page;
		memcpy(mem + (fo - hdrs), wire + at, len);
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = l->machine;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = l->nseg + 1;
	ph[0].p_type = PT_NOTE;	/* like a real core: notes first */
	for (unsigned int s = 0; s < l->nseg; s++) {
		ph[s + 1].p_type = PT_LOAD;
		ph[s + 1].p_offset = off;
		ph[s + 1].p_paddr = l->seg_base[s] * l->page;
		ph[s + 1].p_vaddr = 0xffff888000000000ULL + l->seg_base[s] * l->page;
		ph[s + 1].p_filesz = ph[s + 1].p_memsz = l->seg_pages[s] * l->page;
		off += l->seg_pages[s] * l->page;
	}
	if (fwrite(&eh, sizeof(eh), 1, f) == 1 &&
	    fwrite(ph, sizeof(ph[0]), l->nseg + 1, f) == l->nseg + 1 &&
	    fwrite(mem, l->page, npages, f) == npages)
		ret = 0;
	if (fclose(f))
		ret = -1;
	if (!ret && truncate_to >= 0)
		ret = truncate(path, truncate_to);
	free(mem);
	free(wire);
	return ret;
}

#endif
