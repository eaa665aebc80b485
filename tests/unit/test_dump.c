// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The dump readers (user/dump*.c) and the store reader on top of them
 * (user/vmcore.c) against the same machine saved as an ELF core, as
 * kdump-compressed dumps with every page compression makedumpfile writes
 * (tests/unit/kdump_builder.h), and as flattened streams of both, from a
 * file and from a pipe on standard input: every one must give the store the
 * ELF core gives, and the same registers per CPU. Then what -d leaves out,
 * and garbage: truncations, flips, streams cut short, other architectures.
 * (makedumpfile's own output is checked in the kdump lab scenarios.)
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "dump.h"
#include "dump_regs.h"
#include "stop_print.h"
#include "vmcore.h"

#include "kdump_builder.h"

#define PAGE 4096
/* frames 16..47, 64..95, 200..207; CPUs 0, 1 and 3 saved registers, CPU 2 did not */
static const struct core_layout x86 = {
	.machine = EM_X86_64, .page = PAGE, .nseg = 3,
	.seg_base = { 16, 64, 200 }, .seg_pages = { 32, 32, 8 },
	.false_magic_pfn = 30, .regs_cpus = 0xb,
};
static const struct core_layout arm64 = {
	.machine = EM_AARCH64, .page = 16384, .nseg = 2,
	.seg_base = { 40, 90 }, .seg_pages = { 1, 2 }, .regs_cpus = 0x5,
};
static const __u64 frames[] = { 70, 20, 33, 90, 17, 204, 47, 80, 25, 84 };
static const __u64 arm64_frames[] = { 40, 91, 90 };
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static char elf_path[] = "/tmp/sw-test-dump-elf-XXXXXX";
static char kd_path[] = "/tmp/sw-test-dump-kd-XXXXXX";
static char flat_path[] = "/tmp/sw-test-dump-flat-XXXXXX";

static struct sw_store *make_store(__u32 page, const __u64 *fr, unsigned int n)
{
	struct sw_store *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	core_store_init(st, page, fr, n);
	st->hdr.next_seq = 2;
	st->rec[1].seq = 2;
	st->rec[1].kind = SW_KIND_CRASH;
	st->rec[1].nr_cpus = 4;
	st->rec[1].cpu[3].rung = SW_RUNG_NMI;
	st->rec[SW_STOP_SLOTS - 1].cpu[CORE_CPUS - 1].t_handler = 0x1122334455667788ULL;
	core_store_csum(st);
	return st;
}

static int mktemps(void **state)
{
	char *paths[] = { elf_path, kd_path, flat_path };

	(void)state;
	for (int i = 0; i < 3; i++) {
		int fd = mkstemp(paths[i]);

		assert_true(fd >= 0);
		close(fd);
	}
	return 0;
}

static int rmtemps(void **state)
{
	(void)state;
	unlink(elf_path);
	unlink(kd_path);
	unlink(flat_path);
	return 0;
}

static void kd(const struct core_layout *l, const struct sw_store *st, uint32_t compress,
	       int level, bool exclude_zero, __u64 exclude_pfn)
{
	struct kd_opts o = { .compress = compress, .dump_level = level,
			     .exclude_zero = exclude_zero, .exclude_pfn = exclude_pfn };

	assert_int_equal(kdump_write(kd_path, l, st, &o), 0);
}

/* @path must give exactly @want, with the locator and by the page scan */
static void expect_store(const char *path, const struct sw_store *want, __u64 pfn)
{
	struct sw_store *got = calloc(1, sizeof(*got));
	char err[256] = "";

	for (int scan = 0; scan < 2; scan++) {
		int ret = sw_vmcore_read_store(path, scan ? 0 : pfn, got, err, sizeof(err));

		if (ret)
			print_error("%s: %d %s\n", path, ret, err);
		assert_int_equal(ret, 0);
		assert_memory_equal(got, want, sizeof(*want));
	}
	free(got);
}

static void expect_error(const char *path, __u64 pfn, int want, const char *msg)
{
	struct sw_store *got = calloc(1, sizeof(*got));
	char err[256] = "";
	int ret = sw_vmcore_read_store(path, pfn, got, err, sizeof(err));

	if (ret != want || !strstr(err, msg))
		print_error("got %d \"%s\", wanted %d \"%s\"\n", ret, err, want, msg);
	assert_int_equal(ret, want);
	assert_non_null(strstr(err, msg));
	assert_null(strchr(err, '\n'));
	free(got);
}

static const char *describe(const char *path)
{
	static char buf[64];
	struct sw_dump *d;
	char err[256];

	assert_int_equal(sw_dump_open(path, &d, err, sizeof(err)), 0);
	snprintf(buf, sizeof(buf), "%s", sw_dump_describe(d));
	sw_dump_close(d);
	return buf;
}

static void test_every_format_same_store(void **state)
{
	static const struct { uint32_t how; const char *name; } comp[] = {
		{ 0, "kdump-compressed (uncompressed)" }, { KD_ZLIB, "kdump-compressed (zlib)" },
		{ KD_LZO, "kdump-compressed (lzo)" }, { KD_SNAPPY, "kdump-compressed (snappy)" },
		{ KD_ZSTD, "kdump-compressed (zstd)" },
	};
	struct sw_store *st = make_store(PAGE, frames, NFRAMES);

	(void)state;
	assert_int_equal(core_write(elf_path, &x86, st, -1), 0);
	expect_store(elf_path, st, frames[0]);
	assert_string_equal(describe(elf_path), "ELF");
	for (unsigned int i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
		kd(&x86, st, comp[i].how, 31, false, 0);
		expect_store(kd_path, st, frames[0]);
		assert_string_equal(describe(kd_path), comp[i].name);
		assert_int_equal(flat_write(kd_path, flat_path, 1000, false), 0);
		expect_store(flat_path, st, frames[0]);
		assert_true(!strncmp(describe(flat_path), "flattened kdump-compressed", 26));
	}
	/* a flattened ELF (makedumpfile -F -E) */
	assert_int_equal(flat_write(elf_path, flat_path, 4096, false), 0);
	expect_store(flat_path, st, frames[0]);
	assert_string_equal(describe(flat_path), "flattened ELF");
	/* arm64, 16 KiB pages */
	free(st);
	st = make_store(16384, arm64_frames, 3);
	assert_int_equal(core_write(elf_path, &arm64, st, -1), 0);
	expect_store(elf_path, st, 40);
	kd(&arm64, st, KD_ZLIB, 31, false, 0);
	expect_store(kd_path, st, 40);
	free(st);
}

/* a flattened stream on a pipe as standard input ("-"), as kdump-tools' ssh transport sends it */
static void test_stdin_stream(void **state)
{
	struct sw_store *st = make_store(PAGE, frames, NFRAMES), *got = calloc(1, sizeof(*got));
	int saved = dup(0), pfd[2];
	char err[256] = "";
	pid_t child;

	(void)state;
	kd(&x86, st, KD_LZO, 31, false, 0);
	assert_int_equal(flat_write(kd_path, flat_path, 3000, false), 0);
	for (int cut = 0; cut < 2; cut++) {
		int ret, status;

		if (cut)
			assert_int_equal(flat_write(kd_path, flat_path, 3000, true), 0);
		assert_int_equal(pipe(pfd), 0);
		child = fork();
		if (!child) {	/* cat the stream into the pipe */
			char buf[8192];
			int fd = open(flat_path, O_RDONLY);
			ssize_t n;

			close(pfd[0]);
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				if (write(pfd[1], buf, n) != n)
					_exit(1);
			_exit(0);
		}
		close(pfd[1]);
		dup2(pfd[0], 0);
		close(pfd[0]);
		ret = sw_vmcore_read_store("-", frames[0], got, err, sizeof(err));
		dup2(saved, 0);
		waitpid(child, &status, 0);
		if (!cut) {
			assert_int_equal(ret, 0);
			assert_memory_equal(got, st, sizeof(*st));
		} else {
			assert_int_equal(ret, -EIO);
			assert_non_null(strstr(err, "cut short"));
		}
	}
	close(saved);
	free(st);
	free(got);
}

static void check_regs(const char *path, const struct core_layout *l)
{
	struct sw_dump_regs regs[8];
	struct sw_dump *d;
	char err[256];
	int n, i = 0;

	assert_int_equal(sw_dump_open(path, &d, err, sizeof(err)), 0);
	n = sw_dump_prstatus(d, regs, 8);
	assert_int_equal(n, __builtin_popcountll(l->regs_cpus));
	for (unsigned int cpu = 0; cpu < 64; cpu++) {
		if (!(l->regs_cpus >> cpu & 1))
			continue;
		assert_int_equal(regs[i].pc, core_cpu_pc(l->machine, cpu));
		assert_int_equal(regs[i].sp, core_cpu_sp(cpu));
		assert_int_equal(regs[i].irqs_masked, core_cpu_masked(cpu));
		assert_int_equal(regs[i].pid, cpu ? 0 : 4242);
		i++;
	}
	sw_dump_close(d);
}

/* PRSTATUS notes: from libelf (ELF) and from libkdumpfile (kdump), one decoder */
static void test_registers(void **state)
{
	struct sw_store *st = make_store(PAGE, frames, NFRAMES);

	(void)state;
	assert_int_equal(core_write(elf_path, &x86, st, -1), 0);
	check_regs(elf_path, &x86);
	kd(&x86, st, KD_ZLIB, 31, false, 0);
	check_regs(kd_path, &x86);
	assert_int_equal(flat_write(kd_path, flat_path, 5000, false), 0);
	check_regs(flat_path, &x86);
	free(st);
	st = make_store(16384, arm64_frames, 3);
	assert_int_equal(core_write(elf_path, &arm64, st, -1), 0);
	check_regs(elf_path, &arm64);
	kd(&arm64, st, KD_SNAPPY, 31, false, 0);
	check_regs(kd_path, &arm64);
	free(st);
}

/* a crash stop on 4 CPUs: the initiator 0, CPUs 1 and 3 stopped, CPU 2 per @cpu2_rung */
static struct sw_stop *crash_stop(unsigned int cpu2_rung)
{
	struct sw_stop *s = sw_stop_new(4);

	assert_non_null(s);
	s->kind = SW_KIND_CRASH;
	s->initiator = 0;
	s->online_known = true;
	for (unsigned int c = 0; c < 4; c++)
		sw_cpuset_set(&s->online, c);
	s->cpu[1].rung = SW_RUNG_IPI;
	s->cpu[3].rung = SW_RUNG_NMI;
	s->cpu[2].rung = cpu2_rung;
	return s;
}

static int fill(const char *path, struct sw_stop *s, char *why, size_t len)
{
	struct sw_dump *d;
	char err[256];
	int ret;

	assert_int_equal(sw_dump_open(path, &d, err, sizeof(err)), 0);
	ret = sw_dump_fill_regs(d, s, why, len);
	sw_dump_close(d);
	return ret;
}

/* notes in CPU order, the silent CPU left out: matched through the record */
static void test_regs_to_cpus(void **state)
{
	struct sw_store *st = make_store(PAGE, frames, NFRAMES);
	struct core_layout none = x86;
	struct sw_stop *s = crash_stop(SW_RUNG_NONE);
	char why[256];

	(void)state;
	kd(&x86, st, KD_ZLIB, 31, false, 0);	/* CPUs 0, 1, 3 saved registers */
	assert_int_equal(fill(kd_path, s, why, sizeof(why)), 0);
	assert_int_equal(s->cpu[2].regs.state, SW_REGS_MISSING);
	{	/* as recover prints it: whose registers are missing first; dump_regs per CPU */
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		sw_stop_print_text(m, s, false);
		sw_stop_print_json(m, s);
		fclose(m);
		assert_non_null(strstr(buf, "\n  registers in the dump: missing for CPUs 2; saved for CPUs 0-1,3\n"));
		assert_non_null(strstr(buf, "{\"cpu\":2,\"rung\":\"none\""));
		assert_non_null(strstr(buf, "\"dump_regs\":false"));
		assert_non_null(strstr(buf, "\"dump_regs\":{\"pc\":\"0xffffffff810000c0\","
				       "\"sp\":\"0xffffc90000034000\",\"irqs\":\"masked\"}"));
		free(buf);
	}
	for (unsigned int c = 0; c < 4; c += c == 1 ? 2 : 1) {
		assert_int_equal(s->cpu[c].regs.state, SW_REGS_KNOWN);
		assert_int_equal(s->cpu[c].regs.pc, core_cpu_pc(EM_X86_64, c));
		assert_int_equal(s->cpu[c].regs.sp, core_cpu_sp(c));
		assert_int_equal(s->cpu[c].regs.irqs,
				 core_cpu_masked(c) ? SW_IRQS_MASKED : SW_IRQS_ENABLED);
	}
	sw_stop_free(s);
	/* the record says CPU 2 stopped too: 3 notes for 4 CPUs cannot be told apart */
	s = crash_stop(SW_RUNG_NMI);
	assert_int_equal(fill(kd_path, s, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "3 register sets for 4 CPUs"));
	for (unsigned int c = 0; c < 4; c++)
		assert_int_equal(s->cpu[c].regs.state, SW_REGS_UNKNOWN);
	sw_stop_free(s);
	/* CPU 2 stopped itself: it saved nothing, the 3 notes are CPUs 0, 1, 3 */
	s = crash_stop(SW_RUNG_SELF);
	assert_int_equal(fill(kd_path, s, why, sizeof(why)), 0);
	assert_int_equal(s->cpu[2].regs.state, SW_REGS_MISSING);
	assert_int_equal(s->cpu[3].regs.state, SW_REGS_KNOWN);
	assert_int_equal(s->cpu[3].regs.pc, core_cpu_pc(EM_X86_64, 3));
	sw_stop_free(s);
	/* a dump with no registers at all: every CPU's are missing */
	none.regs_cpus = 0;
	assert_int_equal(core_write(elf_path, &none, st, -1), 0);
	s = crash_stop(SW_RUNG_NMI);
	assert_int_equal(fill(elf_path, s, why, sizeof(why)), 0);
	for (unsigned int c = 0; c < 4; c++)
		assert_int_equal(s->cpu[c].regs.state, SW_REGS_MISSING);
	sw_stop_free(s);
	free(st);
}

/* the page of the store that holds record slot @slot's head */
static __u64 frame_of_slot(unsigned int slot)
{
	return frames[(sw_store_recs_off(CORE_CPUS) + slot * sw_rec_size(CORE_CPUS)) / PAGE];
}

static void test_filtered_pages(void **state)
{
	struct sw_store *st = make_store(PAGE, frames, NFRAMES);
	size_t wsize = 0;
	unsigned char *wire = core_store_encode(st, &wsize);
	int zero_pages = 0;

	(void)state;
	assert_non_null(wire);
	for (unsigned int i = 0; i < NFRAMES; i++)
		zero_pages += kd_zero(wire + i * PAGE, wsize - i * PAGE < PAGE ? wsize - i * PAGE : PAGE);
	free(wire);
	assert_true(zero_pages > 0);	/* else the next case proves nothing */
	/* -d 31 left the store's zero pages out: they read as zeros */
	kd(&x86, st, KD_ZLIB, 31, true, 0);
	expect_store(kd_path, st, frames[0]);
	/* the same with a level that does not drop zeros: something else did */
	kd(&x86, st, KD_ZLIB, 30, true, 0);
	expect_error(kd_path, frames[0], -ENODATA, "filtered out (dump level 30)");
	/* page 0, or a page holding a live record's head, is never zero */
	kd(&x86, st, KD_ZLIB, 31, false, frames[0]);
	expect_error(kd_path, frames[0], -ENODATA,
		     "record store page 0 (frame 70) is not in the dump: filtered out (dump level 31)");
	kd(&x86, st, KD_LZO, 31, false, frame_of_slot(1));
	expect_error(kd_path, frames[0], -ENODATA, "holds stop record 2: filtered out (dump level 31)");
	/* a page the machine had, not in a dump whose level is unknown (a cut ELF) */
	free(st);
	st = make_store(PAGE, frames, NFRAMES);
	assert_int_equal(core_write(elf_path, &x86, st, -1), 0);
	{	/* the last PT_LOAD (frames 200..207) keeps 4 of its 8 pages in the file */
		FILE *f = fopen(elf_path, "r+");
		Elf64_Phdr ph;
		long at = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);

		assert_int_equal(fseek(f, at, SEEK_SET), 0);
		assert_int_equal(fread(&ph, sizeof(ph), 1, f), 1);
		ph.p_filesz = 4 * PAGE;
		assert_int_equal(fseek(f, at, SEEK_SET), 0);
		assert_int_equal(fwrite(&ph, sizeof(ph), 1, f), 1);
		fclose(f);
	}
	expect_error(elf_path, frames[0], -ENODATA,
		     "record store page 5 (frame 204) is not in the dump: filtered out "
		     "(the dump does not say its dump level)");
	free(st);
}

/*
 * A hole in the dump file holds no page: the ranges skip it (a flattened
 * dump unpacks into a sparse file whose corrupt offsets can leave a
 * petabyte of hole), and the page scan still finds the store around it.
 */
static void test_ranges_skip_holes(void **state)
{
	struct sw_store *st = make_store(PAGE, frames, NFRAMES);
	__u64 start, len;
	struct sw_dump *d;
	char err[256];
	int fd;

	(void)state;
	assert_int_equal(core_write(elf_path, &x86, st, -1), 0);
	/* frames 36..45 of the first PT_LOAD (16..47) out of the file; no store page there */
	fd = open(elf_path, O_RDWR);
	assert_true(fd >= 0);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, core_frame_off(&x86, 36),
		      10 * PAGE)) {
		close(fd);
		free(st);
		print_message("skipped: /tmp cannot punch holes: %s\n", strerror(errno));
		skip();
	}
	close(fd);
	/* the core's pages are not block-aligned in the file: the hole is what
	 * whole blocks of the punched span made, within frames 36 and 45 */
	assert_int_equal(sw_dump_open(elf_path, &d, err, sizeof(err)), 0);
	assert_true(sw_dump_next_range(d, 0, &start, &len));
	assert_int_equal(start, 16 * PAGE);
	assert_in_range(start + len, 36 * PAGE + 1, 37 * PAGE);
	assert_true(sw_dump_next_range(d, start + len, &start, &len));
	assert_in_range(start, 45 * PAGE, 46 * PAGE - 1);
	assert_int_equal(start + len, 48 * PAGE);
	assert_true(sw_dump_next_range(d, start + len, &start, &len));
	assert_int_equal(start, 64 * PAGE);
	sw_dump_close(d);
	expect_store(elf_path, st, frames[0]);
	free(st);
}

static void test_bad_input(void **state)
{
	struct sw_store *st = make_store(PAGE, frames, NFRAMES), *got = calloc(1, sizeof(*got));
	unsigned int seed = 5;
	long size;
	char err[256];
	FILE *f;

	(void)state;
	/* another architecture: a ppc64 core, and a kdump of an s390x */
	assert_int_equal(core_write(elf_path, &x86, st, -1), 0);
	f = fopen(elf_path, "r+");
	{
		__u16 m = EM_PPC64;

		assert_int_equal(fseek(f, offsetof(Elf64_Ehdr, e_machine), SEEK_SET), 0);
		assert_int_equal(fwrite(&m, 2, 1, f), 1);
	}
	fclose(f);
	expect_error(elf_path, frames[0], -EINVAL, "dump of another architecture (ppc64");
	kd(&x86, st, KD_ZLIB, 31, false, 0);
	f = fopen(kd_path, "r+");
	assert_int_equal(fseek(f, offsetof(struct kd_disk_dump_header, utsname[4]), SEEK_SET), 0);
	assert_int_equal(fwrite("s390x\0", 6, 1, f), 1);
	fclose(f);
	expect_error(kd_path, frames[0], -EINVAL, "dump of another architecture (s390x)");
	/* a flattened stream cut short, or with a garbage block */
	kd(&x86, st, KD_ZSTD, 31, false, 0);
	assert_int_equal(flat_write(kd_path, flat_path, 2000, true), 0);
	expect_error(flat_path, frames[0], -EIO, "no end marker");
	assert_int_equal(flat_write(kd_path, flat_path, 2000, false), 0);
	assert_int_equal(truncate(flat_path, 4096 + 16 + 700), 0);
	expect_error(flat_path, frames[0], -EIO, "cut short in block 0");
	assert_int_equal(flat_write(kd_path, flat_path, 2000, false), 0);
	f = fopen(flat_path, "r+");
	assert_int_equal(fseek(f, 4096, SEEK_SET), 0);
	assert_int_equal(fwrite("\x80", 1, 1, f), 1);	/* a negative offset */
	fclose(f);
	expect_error(flat_path, frames[0], -EIO, "flattened dump corrupt: block 0");
	/* truncated and flipped kdump dumps of every compression: an error or the store */
	for (int i = 0; i < 400; i++) {
		static const uint32_t how[] = { 0, KD_ZLIB, KD_LZO, KD_SNAPPY, KD_ZSTD };
		int ret;

		kd(&x86, st, how[i % 5], 31, i % 3 == 0, 0);
		f = fopen(kd_path, "r+");
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		size = ftell(f);
		for (int k = 1 + rand_r(&seed) % 6; k > 0; k--) {
			long at = rand_r(&seed) % 2 ? rand_r(&seed) % 4096 * 2 : rand_r(&seed) % size;
			int ch;

			if (fseek(f, at, SEEK_SET) == 0 && (ch = fgetc(f)) != EOF &&
			    fseek(f, at, SEEK_SET) == 0)
				fputc(ch ^ (1 << (rand_r(&seed) % 8)), f);
		}
		fclose(f);
		if (i % 4 == 1)
			assert_int_equal(truncate(kd_path, rand_r(&seed) % size), 0);
		if (i % 7 == 2) {
			assert_int_equal(flat_write(kd_path, flat_path, 1 + rand_r(&seed) % 5000,
						    i % 2), 0);
			ret = sw_vmcore_read_store(flat_path, i % 2 ? frames[0] : 0, got, err, sizeof(err));
		} else {
			ret = sw_vmcore_read_store(kd_path, i % 2 ? frames[0] : 0, got, err, sizeof(err));
		}
		if (ret) {
			assert_true(err[0] != '\0');
			assert_null(strchr(err, '\n'));
		}
	}
	free(st);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_format_same_store),
		cmocka_unit_test(test_stdin_stream),
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_regs_to_cpus),
		cmocka_unit_test(test_filtered_pages),
		cmocka_unit_test(test_ranges_skip_holes),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, mktemps, rmtemps);
}
