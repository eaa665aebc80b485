// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The raw kernel-BTF reader and the CO-RE subset it writes for libbpf: what
 * the subset keeps of a small synthetic kernel, that every kept type is the
 * kernel's own on this host, and (as root) that libbpf patches every CO-RE
 * relocation of the real BPF object the same with the subset as with the
 * whole vmlinux BTF.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "points.h"
#include "stopwatch.skel.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &ma, &mi) == 2 &&
	       (ma > major || (ma == major && mi >= minor));
}

/* @btf as a file: a memfd, returned with its /proc path in @path */
static int btf_file(const struct btf *btf, char *path, size_t len)
{
	__u32 size;
	const void *raw = btf__raw_data(btf, &size);
	int fd = memfd_create("test-btf", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, size), size);
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static struct btf *subset_of(const struct sw_kbtf *k, const struct btf *prog, char *path,
			     size_t len, int *fd)
{
	char err[256];

	*fd = memfd_create("test-subset", MFD_CLOEXEC);
	assert_true(*fd >= 0);
	assert_int_equal(sw_kbtf_write_core_subset(k, prog, *fd, err, sizeof(err)), 0);
	snprintf(path, len, "/proc/self/fd/%d", *fd);
	struct btf *out = btf__parse(path, NULL);

	assert_non_null(out);
	return out;
}

static const struct btf_type *find(const struct btf *b, const char *name, int kind)
{
	int id = btf__find_by_name_kind(b, name, kind);

	return id > 0 ? btf__type_by_id(b, id) : NULL;
}

/*
 * kernel: struct outer { struct inner in; struct other *p; td_big t[2]; int x; }
 *         struct inner { long a; }  struct other { struct huge *h; }
 *         typedef struct big td_big; struct big { int y; }  struct unrelated { int z; }
 * program: struct outer___v2 { int x; }
 */
static void test_subset_synthetic(void **state)
{
	struct btf *k = btf__new_empty(), *prog = btf__new_empty(), *sub;
	int i_int, i_long, i_inner, i_other, i_huge, i_big, i_td, i_arr, i_outer, i_ph, i_po;
	struct sw_kbtf kb;
	char path[64], spath[64], err[256];
	int fd, sfd;

	(void)state;
	i_int = btf__add_int(k, "int", 4, BTF_INT_SIGNED);
	i_long = btf__add_int(k, "long", 8, BTF_INT_SIGNED);
	i_inner = btf__add_struct(k, "inner", 8);
	btf__add_field(k, "a", i_long, 0, 0);
	i_huge = btf__add_struct(k, "huge", 4);
	btf__add_field(k, "q", i_int, 0, 0);
	i_ph = btf__add_ptr(k, i_huge);	/* fields must follow their struct */
	i_other = btf__add_struct(k, "other", 8);
	btf__add_field(k, "h", i_ph, 0, 0);
	i_big = btf__add_struct(k, "big", 4);
	btf__add_field(k, "y", i_int, 0, 0);
	i_td = btf__add_typedef(k, "td_big", i_big);
	i_arr = btf__add_array(k, i_int, i_td, 2);
	i_po = btf__add_ptr(k, i_other);
	i_outer = btf__add_struct(k, "outer", 32);
	btf__add_field(k, "in", i_inner, 0, 0);
	btf__add_field(k, "p", i_po, 64, 0);
	btf__add_field(k, "t", i_arr, 128, 0);
	btf__add_field(k, "x", i_int, 192, 0);
	btf__add_struct(k, "unrelated", 4);
	assert_int_equal(btf__add_field(k, "z", i_int, 0, 0), 0);
	assert_true(i_outer > 0);

	i_int = btf__add_int(prog, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(prog, "outer___v2", 4);
	btf__add_field(prog, "x", i_int, 0, 0);

	fd = btf_file(k, path, sizeof(path));
	assert_int_equal(sw_kbtf_load(&kb, path, err, sizeof(err)), 0);
	assert_int_equal(kb.nr_types, btf__type_cnt(k));
	sub = subset_of(&kb, prog, spath, sizeof(spath), &sfd);

	/* named after a program type: kept whole, with what it holds */
	const struct btf_type *o = find(sub, "outer", BTF_KIND_STRUCT);
	assert_non_null(o);
	assert_int_equal(btf_vlen(o), 4);
	assert_int_equal(btf_members(o)[3].offset, 192);
	assert_non_null(find(sub, "inner", BTF_KIND_STRUCT));
	assert_non_null(find(sub, "big", BTF_KIND_STRUCT));	/* array of typedef of it */
	assert_non_null(find(sub, "td_big", BTF_KIND_TYPEDEF));
	/* only pointed to: a forward declaration, and nothing behind it */
	assert_null(find(sub, "other", BTF_KIND_STRUCT));
	assert_non_null(find(sub, "other", BTF_KIND_FWD));
	assert_null(find(sub, "huge", BTF_KIND_STRUCT));
	assert_null(find(sub, "huge", BTF_KIND_FWD));
	/* unreferenced */
	assert_null(find(sub, "unrelated", BTF_KIND_STRUCT));

	btf__free(sub);
	sw_kbtf_free(&kb);
	close(sfd);
	close(fd);
	btf__free(prog);
	btf__free(k);
}

static void test_truncated_btf(void **state)
{
	struct btf *k = btf__new_empty();
	struct sw_kbtf kb;
	char path[64], err[256];
	__u32 size;
	const void *raw;
	int fd;

	(void)state;
	btf__add_int(k, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(k, "s", 4);
	raw = btf__raw_data(k, &size);
	for (__u32 cut = 0; cut < size; cut += 3) {
		fd = memfd_create("test-btf", MFD_CLOEXEC);
		assert_int_equal(write(fd, raw, cut), cut);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		assert_int_not_equal(sw_kbtf_load(&kb, path, err, sizeof(err)), 0);
		assert_non_null(strstr(err, path));
		close(fd);
	}
	btf__free(k);
}

/* Every struct the subset keeps whole is the kernel's, member for member. */
static void test_subset_of_this_kernel(void **state)
{
	struct stopwatch_bpf *skel;
	struct btf *full, *sub;
	struct sw_kbtf kb;
	char spath[64], err[256];
	int sfd, structs = 0;

	(void)state;
	if (access(VMLINUX, R_OK)) {
		skip();	/* no vmlinux BTF on this host: nothing real to subset */
	}
	assert_int_equal(sw_kbtf_load(&kb, VMLINUX, err, sizeof(err)), 0);
	/* since 6.16 sysfs maps it (kbtf.c): the subset below then reads the mapping */
	assert_int_equal(kb.mapped, kernel_at_least(6, 16));
	full = btf__parse(VMLINUX, NULL);
	assert_non_null(full);
	skel = stopwatch_bpf__open();
	assert_non_null(skel);
	sub = subset_of(&kb, bpf_object__btf(skel->obj), spath, sizeof(spath), &sfd);
	/* small: what the object names, not the kernel */
	assert_true(btf__type_cnt(sub) * 50 < btf__type_cnt(full));
	assert_non_null(find(sub, "pt_regs", BTF_KIND_STRUCT));
	for (__u32 id = 1; id < btf__type_cnt(sub); id++) {
		const struct btf_type *t = btf__type_by_id(sub, id), *f;
		const char *name = btf__name_by_offset(sub, t->name_off);

		if (!btf_is_composite(t) || !name[0])
			continue;
		f = find(full, name, btf_kind(t));
		assert_non_null(f);
		assert_int_equal(t->size, f->size);
		assert_int_equal(btf_vlen(t), btf_vlen(f));
		for (int m = 0; m < btf_vlen(t); m++) {
			assert_string_equal(btf__name_by_offset(sub, btf_members(t)[m].name_off),
					    btf__name_by_offset(full, btf_members(f)[m].name_off));
			assert_int_equal(btf_members(t)[m].offset, btf_members(f)[m].offset);
		}
		structs++;
	}
	assert_true(structs > 0);
	stopwatch_bpf__destroy(skel);
	btf__free(sub);
	btf__free(full);
	close(sfd);
	sw_kbtf_free(&kb);
}

/* libbpf's debug lines that say how a CO-RE relocation patched an instruction */
static char *relo_log;
static size_t relo_len;

static int capture_relos(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (!strstr(line, "relo #") || !(strstr(line, "patched insn") ||
					  strstr(line, "substituting insn")))
		return 0;
	n = strlen(line);
	relo_log = realloc(relo_log, relo_len + n + 1);
	memcpy(relo_log + relo_len, line, n + 1);
	relo_len += n;
	return 0;
}

/* Load every program against @custom (NULL: libbpf's own vmlinux BTF); returns the log. */
static char *relocations(const char *custom)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = custom);
	struct stopwatch_bpf *skel = stopwatch_bpf__open_opts(&opts);
	struct bpf_program *p;
	char *log;

	assert_non_null(skel);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, true);
	relo_log = NULL;
	relo_len = 0;
	libbpf_set_print(capture_relos);
	/* fails at the first program this kernel refuses: relocation comes before */
	(void)stopwatch_bpf__load(skel);
	libbpf_set_print(NULL);
	stopwatch_bpf__destroy(skel);
	log = relo_log;
	relo_log = NULL;
	return log;
}

static void test_relocations_match_vmlinux(void **state)
{
	struct stopwatch_bpf *skel;
	struct sw_kbtf kb;
	struct btf *sub;
	char spath[64], err[256], *with_full, *with_subset;
	int sfd;

	(void)state;
	if (geteuid() != 0 || access(VMLINUX, R_OK)) {
		/* libbpf creates the maps before it relocates: that needs root */
		print_message("skipped: needs root and %s to run libbpf's CO-RE pass\n", VMLINUX);
		skip();
	}
	assert_int_equal(sw_kbtf_load(&kb, VMLINUX, err, sizeof(err)), 0);
	skel = stopwatch_bpf__open();
	assert_non_null(skel);
	sub = subset_of(&kb, bpf_object__btf(skel->obj), spath, sizeof(spath), &sfd);
	stopwatch_bpf__destroy(skel);
	sw_kbtf_free(&kb);
	with_full = relocations(NULL);
	with_subset = relocations(spath);
	assert_non_null(with_full);
	assert_non_null(strstr(with_full, "patched insn"));
	print_message("%zu bytes of relocation log\n", strlen(with_full));
	assert_string_equal(with_subset, with_full);
	free(with_full);
	free(with_subset);
	btf__free(sub);
	close(sfd);
}

/*
 * The attach table and the BPF object are one list: user/points.c's PROG()
 * makes a name the object lacks a compile error, and this is the other
 * way, a program the table does not name (it would never be loaded).
 */
static void test_every_program_in_the_table(void **state)
{
	struct stopwatch_bpf *skel = stopwatch_bpf__open();
	struct bpf_program *p;
	int n = 0;

	(void)state;
	assert_non_null(skel);
	bpf_object__for_each_program(p, skel->obj) {
		const char *name = bpf_program__name(p);
		bool found = false;

		for (int i = 0; i < sw_nr_points && !found; i++)
			for (int v = 0; v < SW_MAX_VARIANTS && sw_points[i].v[v].prog; v++)
				found |= strcmp(sw_points[i].v[v].prog, name) == 0;
		if (!found)
			print_error("BPF program %s is in no point of user/points.c\n", name);
		assert_true(found);
		n++;
	}
	print_message("%d BPF programs, each named in the attach table\n", n);
	assert_true(n > 0);
	stopwatch_bpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subset_synthetic),
		cmocka_unit_test(test_truncated_btf),
		cmocka_unit_test(test_subset_of_this_kernel),
		cmocka_unit_test(test_relocations_match_vmlinux),
		cmocka_unit_test(test_every_program_in_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
