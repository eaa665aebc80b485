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
#include <stdbool.h>
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
	__u64 regs_cpus;		/* CPUs (bit n = CPU n) that saved registers: PRSTATUS notes */
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

/* Registers a test expects for CPU @cpu (core_notes() writes them). */
static inline __u64 core_cpu_pc(__u16 machine, unsigned int cpu)
{
	return (machine == EM_AARCH64 ? 0xffff800080010000ULL : 0xffffffff81000000ULL) + cpu * 0x40;
}

static inline __u64 core_cpu_sp(unsigned int cpu)
{
	return 0xffffc90000004000ULL + cpu * 0x10000;
}

/* odd CPUs were stopped with interrupts masked */
static inline bool core_cpu_masked(unsigned int cpu)
{
	return cpu & 1;
}

static inline size_t core_note(unsigned char *p, const char *name, __u32 type,
			       const void *desc, __u32 len)
{
	__u32 hdr[3] = { (__u32)strlen(name) + 1, len, type };
	size_t n = sizeof(hdr);

	if (p)
		memcpy(p, hdr, sizeof(hdr));
	if (p)
		memcpy(p + n, name, hdr[0]);
	n += (hdr[0] + 3) & ~3u;
	if (p)
		memcpy(p + n, desc, len);
	return n + ((len + 3) & ~3u);
}

/*
 * The ELF notes of a core of @l: one NT_PRSTATUS per CPU of regs_cpus, in
 * CPU order (as the capture kernel merges them), then VMCOREINFO. Written to
 * @p (may be NULL: size only, zero-filled buffer otherwise). The layout of
 * elf_prstatus: pr_pid at 32, pr_reg at 112; x86_64 pr_reg holds 27 words
 * (ip 16, flags 18, sp 19), arm64 34 (sp 31, pc 32, pstate 33).
 */
static inline size_t core_notes(const struct core_layout *l, unsigned char *p)
{
	bool arm = l->machine == EM_AARCH64;
	char vmcoreinfo[64];
	size_t n = 0;

	snprintf(vmcoreinfo, sizeof(vmcoreinfo), "OSRELEASE=6.12.0-stopwatch-test\nPAGESIZE=%u\n",
		 l->page);

	for (unsigned int cpu = 0; cpu < 64; cpu++) {
		__u64 prw[49] = { 0 };	/* 392 bytes, aligned for the register words */
		unsigned char *pr = (unsigned char *)prw;
		__u64 *reg = prw + 112 / 8;
		__u32 pid = cpu ? 0 : 4242;	/* CPU 0 ran a task, the rest were idle */

		if (!(l->regs_cpus >> cpu & 1))
			continue;
		memcpy(pr + 32, &pid, sizeof(pid));
		if (arm) {
			reg[31] = core_cpu_sp(cpu);
			reg[32] = core_cpu_pc(l->machine, cpu);
			reg[33] = 0x60000005 | (core_cpu_masked(cpu) ? 0x3c0 : 0);
		} else {
			reg[16] = core_cpu_pc(l->machine, cpu);
			reg[18] = 0x46 | (core_cpu_masked(cpu) ? 0 : 0x200);
			reg[19] = core_cpu_sp(cpu);
		}
		n += core_note(p ? p + n : NULL, "CORE", NT_PRSTATUS, pr, arm ? 392 : 336);
	}
	return n + core_note(p ? p + n : NULL, "VMCOREINFO", 0, vmcoreinfo, strlen(vmcoreinfo));
}

/*
 * The machine's memory as the core holds it: every page of every segment in
 * order, with a little noise, maybe a false magic, and the store's pages at
 * the frames its header lists. Caller frees.
 */
static inline unsigned char *core_memory(const struct core_layout *l, const struct sw_store *st)
{
	size_t hdrs = core_hdrs(l), npages = core_mem_pages(l), wsize = 0;
	unsigned char *mem = calloc(npages ? npages : 1, l->page);
	unsigned char *wire = core_store_encode(st, &wsize);

	if (!mem || !wire) {
		free(mem);
		free(wire);
		return NULL;
	}
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
	free(wire);
	return mem;
}

/*
 * Write the core to @path, then truncate it to @truncate_to bytes (-1:
 * leave it whole). Returns 0, or -1 with errno set.
 */
static inline int core_write(const char *path, const struct core_layout *l,
			     const struct sw_store *st, long truncate_to)
{
	size_t hdrs = core_hdrs(l), npages = core_mem_pages(l);
	size_t nlen = core_notes(l, NULL);
	unsigned char *mem = core_memory(l, st), *notes = calloc(1, nlen);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[CORE_MAX_SEGS + 1] = { 0 };
	long off = hdrs;
	int ret = -1;
	FILE *f;

	if (!mem || !notes || l->nseg > CORE_MAX_SEGS || !(f = fopen(path, "w"))) {
		free(mem);
		free(notes);
		return -1;
	}
	core_notes(l, notes);
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
	ph[0].p_type = PT_NOTE;	/* like a real core: notes first (their bytes go last) */
	ph[0].p_offset = hdrs + npages * l->page;
	ph[0].p_filesz = nlen;
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
	    fwrite(mem, l->page, npages, f) == npages && fwrite(notes, 1, nlen, f) == nlen)
		ret = 0;
	if (fclose(f))
		ret = -1;
	if (!ret && truncate_to >= 0)
		ret = truncate(path, truncate_to);
	free(mem);
	free(notes);
	return ret;
}

#endif
