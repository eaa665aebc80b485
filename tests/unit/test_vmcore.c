// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The vmcore reader against synthetic ELF cores: scattered frames, corruption, truncation. */
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
#include "vmcore.h"

#define PAGE 4096
#define SEG_PAGES 32	/* two segments: frames 16..47 and 64..95 */

static const __u64 frames[] = { 70, 20, 33, 90, 17, 64, 47, 80, 25 };

static struct sw_store *make_store(void)
{
	struct sw_store *st = calloc(1, sizeof(*st));
	struct sw_store_hdr *h = &st->hdr;

	h->magic = SW_STORE_MAGIC;
	h->layout = SW_LAYOUT_VERSION;
	h->size = sizeof(*st);
	h->page_size = PAGE;
	h->nr_pages = (sizeof(*st) + PAGE - 1) / PAGE;
	memcpy(h->pfn, frames, sizeof(frames));
	h->hdr_csum = crc32(0, (const void *)h, offsetof(struct sw_store_hdr, hdr_csum));
	h->next_seq = 2;
	st->rec[1].seq = 2;
	st->rec[1].kind = SW_KIND_PANIC;
	st->rec[1].cpu[3].rung = SW_RUNG_NMI;
	st->rec[SW_STOP_SLOTS - 1].cpu[SW_MAX_CPUS - 1].t_handler = 0x1122334455667788ULL;
	return st;
}

/* Write an ELF64 core whose PT_LOADs hold physical memory with the store's pages at frames[]. */
static void write_core(const char *path, const struct sw_store *st, long truncate_to)
{
	const __u64 seg_base[2] = { 16, 64 };
	unsigned char *mem = calloc(2, SEG_PAGES * PAGE);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { 0 };
	size_t hdrs = sizeof(eh) + sizeof(ph);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (unsigned int i = 0; i < st->hdr.nr_pages; i++) {
		__u64 pfn = frames[i];
		int s = pfn >= 64;
		size_t len = sizeof(*st) - i * PAGE < PAGE ? sizeof(*st) - i * PAGE : PAGE;

		memcpy(mem + s * SEG_PAGES * PAGE + (pfn - seg_base[s]) * PAGE,
		       (const char *)st + i * PAGE, len);
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	ph[0].p_type = PT_NOTE;	/* like a real core: notes first */
	for (int s = 0; s < 2; s++) {
		ph[s + 1].p_type = PT_LOAD;
		ph[s + 1].p_offset = hdrs + s * SEG_PAGES * PAGE;
		ph[s + 1].p_paddr = seg_base[s] * PAGE;
		ph[s + 1].p_vaddr = 0xffff888000000000ULL + seg_base[s] * PAGE;
		ph[s + 1].p_filesz = ph[s + 1].p_memsz = SEG_PAGES * PAGE;
	}
	fwrite(&eh, sizeof(eh), 1, f);
	fwrite(ph, sizeof(ph), 1, f);
	fwrite(mem, 2, SEG_PAGES * PAGE, f);
	fclose(f);
	if (truncate_to >= 0)
		assert_int_equal(truncate(path, truncate_to), 0);
	free(mem);
}

static char path[] = "/tmp/sw-test-core-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
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
	/* no locator: the page scan finds it */
	memset(got, 0, sizeof(*got));
	assert_int_equal(sw_vmcore_read_store(path, 0, got, err, sizeof(err)), 0);
	assert_int_equal(got->rec[1].kind, SW_KIND_PANIC);
	assert_int_equal(got->rec[SW_STOP_SLOTS - 1].cpu[SW_MAX_CPUS - 1].t_handler, 0x1122334455667788ULL);
	free(st);
	free(got);
}

static void expect_error(const char *file, __u64 pfn, int want, const char *msg)
{
	struct sw_store *got = calloc(1, sizeof(*got));
	char err[256] = "";

	assert_int_equal(sw_vmcore_read_store(file, pfn, got, err, sizeof(err)), want);
	assert_non_null(strstr(err, msg));
	assert_null(strchr(err, '\n'));
	free(got);
}

static void test_errors(void **state)
{
	struct sw_store *st = make_store();
	FILE *f;

	(void)state;
	write_core(path, st, -1);
	expect_error(path, 3, -EINVAL, "outside the core's memory");
	expect_error(path, 21, -EINVAL, "no stopwatch record store");
	expect_error("/nonexistent/core", 70, -ENOENT, "No such file");
	/* truncated in the middle of a store page */
	write_core(path, st, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) + 32 * PAGE + 20 * PAGE);
	expect_error(path, 70, -EIO, "truncated");
	/* a flipped bit in the header */
	st->hdr.boot_id[3] ^= 1;
	write_core(path, st, -1);
	expect_error(path, 70, -EBADMSG, "checksum");
	/* another layout */
	free(st);
	st = make_store();
	st->hdr.layout = 99;
	st->hdr.hdr_csum = crc32(0, (const void *)&st->hdr, offsetof(struct sw_store_hdr, hdr_csum));
	write_core(path, st, -1);
	expect_error(path, 70, -EPROTO, "another stopwatch");
	/* not an ELF core at all */
	f = fopen(path, "w");
	fputs("this is not a core\n", f);
	fclose(f);
	expect_error(path, 70, -EINVAL, "not an ELF core");
	free(st);
}

static void test_garbage(void **state)
{
	struct sw_store *st = make_store(), *got = calloc(1, sizeof(*got));
	unsigned int seed = 7;
	char err[256];
	FILE *f;

	(void)state;
	/* bit flips and truncations anywhere: an error or a success, never a crash */
	for (int i = 0; i < 200; i++) {
		long size = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) + 2 * SEG_PAGES * PAGE;
		long at = rand_r(&seed) % size;

		write_core(path, st, i % 3 ? -1 : rand_r(&seed) % size);
		f = fopen(path, "r+");
		if (i % 3 && fseek(f, at % (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) + 64), SEEK_SET) == 0)
			fputc(rand_r(&seed), f);
		fclose(f);
		sw_vmcore_read_store(path, i % 2 ? frames[0] : 0, got, err, sizeof(err));
	}
	free(st);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_scattered),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
