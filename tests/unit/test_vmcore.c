// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The vmcore reader (user/vmcore.c) against synthetic ELF cores: a note and
 * three PT_LOADs with holes between them, the store's pages scattered over
 * them out of order; every error it reports; and garbage (bit flips,
 * truncations, forged headers with valid checksums) that must give an
 * error or a success, never a crash (run it under ASan/UBSan to see).
 *
 * Needs only user/vmcore.c and bpf/stopwatch.h:
 *   gcc -D_GNU_SOURCE -Iuser -Ibpf user/vmcore.c tests/unit/test_vmcore.c \
 *       -o test_vmcore -lcmocka -lelf -lz && ./test_vmcore
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "record.h"
#include "stop.h"
#include "store.h"
#include "wire.h"
#include "vmcore.h"

#include "core_builder.h"

#define PAGE 4096
/* physical memory in the core: frames 16..47, 64..95, 200..207 */
static const struct core_layout x86_core = {
	.machine = EM_X86_64, .page = PAGE, .nseg = 3,
	.seg_base = { 16, 64, 200 }, .seg_pages = { 32, 32, 8 },
	.false_magic_pfn = 30,
};
#define HDRS core_hdrs(&x86_core)
#define CORE_SIZE core_size(&x86_core)

/* the store's pages, out of order and spread over all segments */
static const __u64 frames[] = { 70, 20, 33, 90, 17, 204, 47, 80, 25, 84 };
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static void fix_csum(struct sw_store *st)
{
	core_store_csum(st);
}

static struct sw_store *make_store(void)
{
	struct sw_store *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	core_store_init(st, PAGE, frames, NFRAMES);
	assert_int_equal(st->hdr.nr_pages, NFRAMES);
	st->hdr.next_seq = 2;
	st->rec[1].seq = 2;
	st->rec[1].kind = SW_KIND_PANIC;
	st->rec[1].cpu[3].rung = SW_RUNG_NMI;
	st->rec[SW_STOP_SLOTS - 1].cpu[CORE_CPUS - 1].t_handler = 0x1122334455667788ULL;
	core_store_csum(st);
	return st;
}

static long frame_off(__u64 pfn)
{
	return core_frame_off(&x86_core, pfn);
}

/*
 * Write the core with the store's pages at the frames its header lists
 * (those inside the memory), truncated to @truncate_to bytes (-1: whole).
 */
static void write_core(const char *path, const struct sw_store *st, long truncate_to)
{
	assert_int_equal(core_write(path, &x86_core, st, truncate_to), 0);
}

static char path[] = "/tmp/sw-test-core-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_read_scattered(void **state)
{
	struct sw_store *st = make_store(), *got = calloc(1, sizeof(*got));
	char err[256] = "";

	(void)state;
	write_core(path, st, -1);
	assert_int_equal(sw_vmcore_read_store(path, frames[0], got, err, sizeof(err)), 0);
	assert_memory_equal(got, st, sizeof(*st));
	free(st);
	free(got);
}

static void test_scan_fallback(void **state)
{
	struct sw_store *st = make_store(), *got = calloc(1, sizeof(*got));
	char err[256] = "";

	(void)state;
	write_core(path, st, -1);
	/* no locator: the page scan skips the false magic at frame 30 and finds frame 70 */
	assert_int_equal(sw_vmcore_read_store(path, 0, got, err, sizeof(err)), 0);
	assert_memory_equal(got, st, sizeof(*st));
	assert_int_equal(got->rec[1].kind, SW_KIND_PANIC);
	assert_int_equal(got->rec[SW_STOP_SLOTS - 1].cpu[CORE_CPUS - 1].t_handler,
			 0x1122334455667788ULL);
	free(st);
	free(got);
}

static void expect_error(const char *file, __u64 pfn, int want, const char *msg)
{
	struct sw_store *got = calloc(1, sizeof(*got));
	char err[256] = "";
	int ret = sw_vmcore_read_store(file, pfn, got, err, sizeof(err));

	if (ret != want || !strstr(err, msg))
		print_error("got %d \"%s\", wanted %d \"%s\"\n", ret, err, want, msg);
	assert_int_equal(ret, want);
	assert_non_null(strstr(err, msg));
	assert_null(strchr(err, '\n'));
	free(got);
}

static void test_file_errors(void **state)
{
	struct sw_store *st = make_store();
	Elf64_Ehdr eh;
	FILE *f;

	(void)state;
	expect_error("/nonexistent/core", 70, -ENOENT, "No such file");
	/* not an ELF file at all */
	f = fopen(path, "w");
	fputs("this is not a core\n", f);
	fclose(f);
	expect_error(path, 70, -EINVAL, "not a crash dump");
	/* an ELF file, but an executable, not a core */
	write_core(path, st, -1);
	f = fopen(path, "r+");
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	eh.e_type = ET_EXEC;
	rewind(f);
	fwrite(&eh, sizeof(eh), 1, f);
	fclose(f);
	expect_error(path, 70, -EINVAL, "not an ELF core");
	/* an empty file */
	write_core(path, st, 0);
	expect_error(path, 70, -EINVAL, "not a crash dump");
	/* the headers only: segments past the end of the file */
	write_core(path, st, HDRS);
	expect_error(path, 70, -EIO, "truncated");
	free(st);
}

static void test_locator_errors(void **state)
{
	struct sw_store *st = make_store();

	(void)state;
	write_core(path, st, -1);
	expect_error(path, 3, -EINVAL, "outside the dump's memory");	/* below all PT_LOADs */
	expect_error(path, 50, -EINVAL, "outside the dump's memory");	/* in a hole */
	expect_error(path, 1ULL << 60, -EINVAL, "outside the dump's memory");	/* would overflow */
	expect_error(path, 21, -EINVAL, "bad magic");			/* memory, no store */
	expect_error(path, 30, -EINVAL, "bad magic");			/* magic, wrong page size */
	/* truncated in the middle of page 0's segment */
	write_core(path, st, frame_off(70) + 20);
	expect_error(path, 70, -EIO, "truncated");
	/* page 0 whole, page 5 (frame 204, last segment) past the end */
	write_core(path, st, frame_off(200) + PAGE);
	expect_error(path, 70, -EIO, "truncated");
	/* no store anywhere: the scan says so */
	st->hdr.magic = 0;
	write_core(path, st, -1);
	expect_error(path, 0, -EINVAL, "was it armed");
	free(st);
}

static void test_header_errors(void **state)
{
	struct sw_store *st = make_store();

	(void)state;
	/* a flipped bit in the header */
	st->hdr.boot_id[3] ^= 1;
	write_core(path, st, -1);
	expect_error(path, 70, -EBADMSG, "checksum");
	expect_error(path, 0, -EINVAL, "was it armed");	/* the scan wants a good checksum */
	/* another layout */
	free(st);
	st = make_store();
	st->hdr.layout = 99;
	fix_csum(st);
	write_core(path, st, -1);
	expect_error(path, 70, -EPROTO, "record store of layout 99, which this stopwatch");
	/* same layout number, a size its CPU count does not make */
	free(st);
	st = make_store();
	st->hdr.size += 8;
	fix_csum(st);
	write_core(path, st, -1);
	expect_error(path, 70, -EBADMSG, "inconsistent");
	/* the header says it lives elsewhere: a locator from another arm */
	free(st);
	st = make_store();
	st->hdr.pfn[0] = 71;
	fix_csum(st);
	write_core(path, st, -1);	/* page 0 goes to frame 71 */
	expect_error(path, 71 - 1, -EINVAL, "bad magic");
	{	/* put a copy at frame 70 too */
		FILE *f = fopen(path, "r+");

		assert_int_equal(fseek(f, frame_off(70), SEEK_SET), 0);
		fwrite(st, PAGE, 1, f);
		fclose(f);
	}
	expect_error(path, 70, -EINVAL, "stale locator");
	/* forged, with a valid checksum: more pages than the size needs */
	free(st);
	st = make_store();
	st->hdr.nr_pages = SW_MAX_PAGES;
	for (int i = NFRAMES; i < SW_MAX_PAGES; i++)
		st->hdr.pfn[i] = 40 + i;
	fix_csum(st);
	write_core(path, st, -1);
	expect_error(path, 70, -EBADMSG, "inconsistent");
	/* forged: a page size that is no page size */
	free(st);
	st = make_store();
	st->hdr.page_size = 4096 + 512;
	fix_csum(st);
	write_core(path, st, -1);
	expect_error(path, 70, -EINVAL, "bad magic");
	/* forged: a store page outside the core, or at frame 0 */
	free(st);
	st = make_store();
	st->hdr.pfn[4] = 500;
	fix_csum(st);
	write_core(path, st, -1);
	expect_error(path, 70, -EINVAL, "outside the dump's memory");
	st->hdr.pfn[4] = 0;
	fix_csum(st);
	write_core(path, st, -1);
	expect_error(path, 70, -EBADMSG, "impossible frame");
	free(st);
}

/* flip random bits anywhere, truncate anywhere: an error or success, no crash */
static void test_garbage(void **state)
{
	struct sw_store *st = make_store(), *got = calloc(1, sizeof(*got));
	unsigned int seed = 7;
	char err[256];

	(void)state;
	for (int i = 0; i < 300; i++) {
		long at;
		int flips = 1 + rand_r(&seed) % 8;
		FILE *f;

		write_core(path, st, i % 4 ? -1 : (long)(rand_r(&seed) % CORE_SIZE));
		f = fopen(path, "r+");
		for (int k = 0; k < flips; k++) {
			/* mostly the ELF headers and the store's first page */
			switch (rand_r(&seed) % 3) {
			case 0: at = rand_r(&seed) % HDRS; break;
			case 1: at = frame_off(70) + rand_r(&seed) % 512; break;
			default: at = rand_r(&seed) % CORE_SIZE; break;
			}
			if (fseek(f, at, SEEK_SET) == 0) {
				int ch = fgetc(f);

				if (ch != EOF && fseek(f, at, SEEK_SET) == 0)
					fputc(ch ^ (1 << (rand_r(&seed) % 8)), f);
			}
		}
		fclose(f);
		err[0] = '\0';
		if (sw_vmcore_read_store(path, i % 2 ? frames[0] : 0, got, err, sizeof(err)))
			assert_true(err[0] != '\0');
	}
	free(st);
	free(got);
}

/* headers forged with valid checksums: random counts, sizes and frames */
static void test_forged_headers(void **state)
{
	struct sw_store *st = make_store(), *got = calloc(1, sizeof(*got));
	unsigned int seed = 11;
	char err[256];

	(void)state;
	for (int i = 0; i < 300; i++) {
		free(st);
		st = make_store();
		switch (rand_r(&seed) % 4) {
		case 0: st->hdr.nr_pages = rand_r(&seed) % (SW_MAX_PAGES + 3); break;
		case 1: st->hdr.page_size = 1u << (rand_r(&seed) % 20); break;
		case 2: st->hdr.size = rand_r(&seed); break;
		default: break;
		}
		for (int k = rand_r(&seed) % 4; k > 0; k--)
			st->hdr.pfn[rand_r(&seed) % SW_MAX_PAGES] =
				rand_r(&seed) % 2 ? (__u64)(rand_r(&seed) % 256) : (__u64)rand_r(&seed) << 40;
		fix_csum(st);
		write_core(path, st, -1);
		err[0] = '\0';
		if (sw_vmcore_read_store(path, i % 2 ? frames[0] : 0, got, err, sizeof(err)))
			assert_true(err[0] != '\0');
	}
	free(st);
	free(got);
}

/* what recover and dump say of the store's counters: nothing when none */
static void say_counts_of(const struct sw_store *st, __u64 drops, __u64 orphans)
{
	char *text = NULL, want[160];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(sw_store_say_counts(st, "core", f), drops || orphans);
	fclose(f);
	if (drops || orphans) {
		snprintf(want, sizeof(want), "stopwatch: core: the store dropped %llu records",
			 (unsigned long long)drops);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), "saw %llu stop handlers run with no stop open\n",
			 (unsigned long long)orphans);
		assert_non_null(strstr(text, want));
	} else {
		assert_int_equal(len, 0);
	}
	free(text);
}

/*
 * Hosts past the old 256-CPU limit: a store sized for @ncpu CPUs, its pages
 * scattered backwards over one big segment (4 KiB pages) or in order over
 * 64 KiB pages (arm64), where the highest CPU never stopped and the one
 * below it needed the NMI. Read back whole, with and without a locator.
 */
static void big_store_roundtrip(__u32 ncpu, __u32 page)
{
	struct core_layout big = { .machine = page == PAGE ? EM_X86_64 : EM_AARCH64, .page = page,
				   .nseg = 1, .seg_base = { 1000 }, .seg_pages = { 0 } };
	struct sw_store *st = calloc(1, sizeof(*st)), *got = calloc(1, sizeof(*got));
	struct sw_record_meta meta = { .source = SW_SRC_VMCORE, .exact = true };
	static struct sw_cpuset never;
	__u64 fr[SW_MAX_PAGES];
	struct sw_stop_record *r;
	struct sw_stop *s;
	unsigned int n;
	char err[256] = "", list[64];

	assert_non_null(st);
	assert_non_null(got);
	core_store_init(st, page, fr, 0);
	core_store_set_cpus(st, ncpu);
	n = st->hdr.nr_pages;
	assert_true(n <= SW_MAX_PAGES);
	big.seg_pages[0] = n + 8;
	for (unsigned int i = 0; i < n; i++)
		st->hdr.pfn[i] = page == PAGE ? 1000 + n + 4 - i : 1000 + i;
	st->hdr.next_seq = 1;
	for (__u32 c = 0; c < ncpu; c++)
		sw_mask_set(st->online, c);
	r = &st->rec[0];
	r->seq = 1;
	r->kind = SW_KIND_PANIC;
	r->state = SW_REC_RUNNING;
	r->nr_cpus = ncpu;
	r->t_start = 1000;
	r->t_fire[SW_RUNG_IPI - 1] = 2000;
	r->t_fire[SW_RUNG_NMI - 1] = 1002000;
	memcpy(r->online, st->online, sizeof(r->online));
	memcpy(r->target[SW_RUNG_IPI - 1], st->online, sizeof(r->online));
	r->target[SW_RUNG_IPI - 1][0] &= ~1ULL;
	sw_mask_set(r->target[SW_RUNG_NMI - 1], ncpu - 2);
	sw_mask_set(r->target[SW_RUNG_NMI - 1], ncpu - 1);
	for (__u32 c = 1; c < ncpu - 2; c++) {
		r->cpu[c].rung = SW_RUNG_IPI;
		r->cpu[c].t_handler = 3000 + c;
		r->cpu[c].irqs = SW_IRQS_ENABLED;
	}
	r->cpu[ncpu - 2].rung = SW_RUNG_NMI;
	r->cpu[ncpu - 2].t_handler = 1003000;
	r->cpu[ncpu - 2].irqs = SW_IRQS_MASKED;
	st->hdr.drops = 2;
	st->hdr.orphans = ncpu;
	core_store_csum(st);
	assert_int_equal(core_write(path, &big, st, -1), 0);
	for (int scan = 0; scan < 2; scan++) {
		memset(got, 0xa5, sizeof(*got));
		if (sw_vmcore_read_store(path, scan ? 0 : st->hdr.pfn[0], got, err, sizeof(err)))
			fail_msg("%u CPUs, %u-byte pages: %s", ncpu, page, err);
		assert_memory_equal(got, st, sizeof(*st));
		say_counts_of(got, 2, ncpu);
		/* the decoded record names the highest CPU, the one never stopped */
		s = sw_stop_from_wire(&meta, &got->rec[0]);
		assert_non_null(s);
		assert_true(sw_stop_never_stopped(s, &never));
		snprintf(err, sizeof(err), "%u", ncpu - 1);
		assert_int_equal(sw_cpuset_format(&never, list, sizeof(list)), (int)strlen(err));
		assert_string_equal(list, err);
		assert_int_equal(sw_stop_outcome(s), SW_OUT_FAILED);
		assert_int_equal(s->cpu[ncpu - 2].rung, SW_RUNG_NMI);
		assert_int_equal(s->nr_cpus, ncpu);
		sw_stop_free(s);
	}
	free(st);
	free(got);
}

static void test_store_1024_cpus(void **state)
{
	struct sw_store *none = calloc(1, sizeof(*none));

	(void)state;
	assert_non_null(none);
	say_counts_of(none, 0, 0);
	free(none);
	big_store_roundtrip(1024, PAGE);
	big_store_roundtrip(1024, 65536);
}

static void test_store_4096_cpus(void **state)
{
	(void)state;
	big_store_roundtrip(4096, PAGE);
	big_store_roundtrip(4096, 65536);
	big_store_roundtrip(SW_MAX_CPUS, PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_scattered),
		cmocka_unit_test(test_scan_fallback),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_locator_errors),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_forged_headers),
		cmocka_unit_test(test_store_1024_cpus),
		cmocka_unit_test(test_store_4096_cpus),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
