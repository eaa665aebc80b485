// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Seed inputs for the vmcore and store harnesses, made with the unit test's
 * core builder (tests/unit/core_builder.h) so they are the real format:
 * whole cores of both arches with a store holding stops, and the truncated
 * and corrupt variants whose errors test_vmcore.c checks.
 *
 * The kdump and flat harnesses get the same x86 and arm64 machines as
 * kdump-compressed dumps of every page compression and as flattened streams
 * (tests/unit/kdump_builder.h), whole, cut and with a store page filtered.
 *
 *   seeds DIR    writes DIR/{vmcore,store,kdump,flat}/seed-*
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../unit/kdump_builder.h"

static const char *dir;

/* x86_64: two PT_LOADs, the store's pages out of order over both, a false magic at 20 */
static const struct core_layout x86 = {
	.machine = EM_X86_64, .page = 4096, .nseg = 2,
	.seg_base = { 16, 64 }, .seg_pages = { 6, 5 }, .false_magic_pfn = 20,
	.regs_cpus = 0xb,	/* CPU 2 saved no registers */
};
static const __u64 x86_frames[] = { 16, 65, 66, 17, 18, 67, 68, 19, 21 };

/* arm64 with 16 KiB pages: the store is 3 pages */
static const struct core_layout arm64_16k = {
	.machine = EM_AARCH64, .page = 16384, .nseg = 2,
	.seg_base = { 40, 90 }, .seg_pages = { 1, 2 }, .regs_cpus = 0xf,
};
static const __u64 arm64_frames[] = { 40, 91, 90 };

/* Two stops on a 4-CPU machine: a clean stop IPI, and a panic that needed NMIs. */
static void add_stops(struct sw_store *st)
{
	struct sw_stop_record *r = &st->rec[0];

	core_store_set_cpus(st, 4);
	st->hdr.armed_mono_ns = 5000000000ULL;
	st->hdr.armed_real_ns = 1763700000000000000ULL;
	st->hdr.next_seq = 2;
	st->online[0] = 0xf;
	snprintf((char *)st->hdr.version, sizeof(st->hdr.version), "seed");
	r->seq = 1;
	r->kind = SW_KIND_STOP;
	r->state = SW_REC_DONE;
	r->nr_cpus = 4;
	r->t_start = 9000000000ULL;
	r->t_end = r->t_start + 40000;
	r->t_fire[SW_RUNG_IPI - 1] = r->t_start + 1000;
	r->target[SW_RUNG_IPI - 1][0] = 0xe;
	r->online[0] = 0xf;
	for (int c = 1; c < 4; c++) {
		r->cpu[c].rung = SW_RUNG_IPI;
		r->cpu[c].t_handler = r->t_start + 3000 + c * 500;
		r->cpu[c].irqs = SW_IRQS_ENABLED;
	}
	r = &st->rec[1];
	r->seq = 2;
	r->kind = SW_KIND_PANIC;
	r->initiator = 2;
	r->state = SW_REC_RUNNING;
	r->nr_cpus = 4;
	r->t_start = 12000000000ULL;
	r->t_fire[SW_RUNG_IPI - 1] = r->t_start + 1000;
	r->t_fire[SW_RUNG_NMI - 1] = r->t_start + 1000000000ULL;
	r->target[SW_RUNG_IPI - 1][0] = 0xb;
	r->target[SW_RUNG_NMI - 1][0] = 0x8;
	r->online[0] = 0xf;
	r->cpu[0] = (struct sw_cpu_stop){ r->t_start + 2500, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[1] = (struct sw_cpu_stop){ r->t_start + 2700, SW_RUNG_IPI, SW_IRQS_UNKNOWN };
	r->cpu[3] = (struct sw_cpu_stop){ r->t_start + 1000004000ULL, SW_RUNG_NMI, SW_IRQS_MASKED };
}

static struct sw_store *store(__u32 page, const __u64 *frames, unsigned int n)
{
	static struct sw_store st;

	core_store_init(&st, page, frames, n);
	add_stops(&st);
	core_store_csum(&st);	/* the clocks are in the checksummed part */
	return &st;
}

static void die(const char *what)
{
	fprintf(stderr, "seeds: failed to write %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A core; the harness reads the locator from e_ident[EI_PAD..] (0 = scan). */
static void core(const char *name, const struct core_layout *l, const struct sw_store *st,
		 long truncate_to, __u64 locator)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vmcore/seed-%s", dir, name);
	if (core_write(path, l, st, truncate_to))
		die(path);
	if (!locator)
		return;
	f = fopen(path, "r+");
	if (!f || fseek(f, EI_PAD, SEEK_SET) || fwrite(&locator, EI_NIDENT - EI_PAD, 1, f) != 1 ||
	    fclose(f))
		die(path);
}

/* kdump-compressed dumps, and flattened streams of them and of an ELF core */
static void kdumps(const struct sw_store *x86_st, const struct sw_store *arm_st)
{
	static const struct { uint32_t how; const char *name; } comp[] = {
		{ 0, "raw" }, { KD_ZLIB, "zlib" }, { KD_LZO, "lzo" }, { KD_SNAPPY, "snappy" },
		{ KD_ZSTD, "zstd" },
	};
	char path[512], flat[512];

	for (unsigned int i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
		struct kd_opts o = { .compress = comp[i].how, .dump_level = 31, .exclude_zero = true };

		snprintf(path, sizeof(path), "%s/kdump/seed-x86-%s", dir, comp[i].name);
		if (kdump_write(path, &x86, x86_st, &o))
			die(path);
	}
	{
		struct kd_opts o = { .compress = KD_ZLIB, .dump_level = 31 };

		snprintf(path, sizeof(path), "%s/kdump/seed-arm64-16k-zlib", dir);
		if (kdump_write(path, &arm64_16k, arm_st, &o))
			die(path);
		o.exclude_pfn = 65;	/* store page 1: filtered, not zero */
		snprintf(path, sizeof(path), "%s/kdump/seed-x86-filtered-page", dir);
		if (kdump_write(path, &x86, x86_st, &o))
			die(path);
	}
	snprintf(path, sizeof(path), "%s/kdump/seed-x86-lzo", dir);
	snprintf(flat, sizeof(flat), "%s/flat/seed-kdump-lzo", dir);
	if (flat_write(path, flat, 1500, false))
		die(flat);
	snprintf(flat, sizeof(flat), "%s/flat/seed-kdump-lzo-cut", dir);
	if (flat_write(path, flat, 1500, true))
		die(flat);
	snprintf(path, sizeof(path), "%s/vmcore/seed-x86", dir);
	snprintf(flat, sizeof(flat), "%s/flat/seed-elf", dir);
	if (flat_write(path, flat, 4096, false))
		die(flat);
}

/* The first @len bytes of a store as the BPF side lays it out: the harness zero-fills the rest. */
static void store_prefix(const char *name, const struct sw_store *st, size_t len)
{
	char path[512];
	size_t size;
	void *wire = core_store_encode(st, &size);
	FILE *f;

	snprintf(path, sizeof(path), "%s/store/seed-%s", dir, name);
	f = fopen(path, "w");
	if (!wire || !f || fwrite(wire, len < size ? len : size, 1, f) != 1 || fclose(f))
		die(path);
	free(wire);
}

int main(int argc, char **argv)
{
	const size_t stops_len = sw_store_recs_off(4) + 2 * sw_rec_size(4);
	/* everything up to the end of the store's first page (frame 16) */
	const long page0_end = core_frame_off(&x86, 16) + 4096;
	struct sw_store *st;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	{	/* DIR and its four corpus directories */
		static const char *const sub[] = { "", "/vmcore", "/store", "/kdump", "/flat" };
		char path[512];

		for (unsigned int i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", dir, sub[i]);
			if (mkdir(path, 0755) && errno != EEXIST)
				die(path);
		}
	}
	st = store(4096, x86_frames, 9);
	core("x86", &x86, st, -1, 16);
	core("x86-headers-only", &x86, st, core_hdrs(&x86), 16);
	core("x86-truncated-page0", &x86, st, core_frame_off(&x86, 16) + 20, 16);
	core("x86-truncated-after-page0", &x86, st, page0_end, 16);
	core("x86-outside-memory", &x86, st, page0_end, 50);
	core("x86-locator-past-end", &x86, st, page0_end, 17);
	store_prefix("two-stops", st, stops_len);
	store_prefix("whole", st, SIZE_MAX);

	st->hdr.boot_id[3] ^= 1;	/* a flipped bit: checksum mismatch */
	core("x86-bad-checksum", &x86, st, page0_end, 16);
	st = store(4096, x86_frames, 9);
	st->hdr.layout = 99;
	core_store_csum(st);
	core("x86-other-layout", &x86, st, page0_end, 16);
	store_prefix("other-layout", st, stops_len);
	st = store(4096, x86_frames, 9);
	st->hdr.nr_pages = SW_MAX_PAGES;	/* forged, checksum valid */
	core_store_csum(st);
	core("x86-forged-nr-pages", &x86, st, page0_end, 16);
	st = store(4096, x86_frames, 9);
	st->hdr.pfn[4] = 0;
	core_store_csum(st);
	core("x86-frame-zero", &x86, st, page0_end, 16);

	st = store(16384, arm64_frames, 3);
	core("arm64-16k", &arm64_16k, st, -1, 40);
	core("arm64-16k-truncated", &arm64_16k, st, core_frame_off(&arm64_16k, 91) + 100, 40);
	{
		static struct sw_store x86_st;

		x86_st = *store(4096, x86_frames, 9);
		kdumps(&x86_st, store(16384, arm64_frames, 3));
	}
	return 0;
}
