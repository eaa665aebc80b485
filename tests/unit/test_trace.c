// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stop records from trace lines (user/trace.c). The inputs in
 * tests/data/trace/ come from one x86 lab run (scenario 06): the events
 * `stopwatch recover --trace --events` read in the second boot, the kernel's
 * own text of the same buffer, and the record `stopwatch recover --vmcore`
 * read from the core QEMU dumped at the first boot's reset. The record
 * assembled from the lines must print exactly as the core's, but its source.
 */
#include <errno.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stop_print.h"
#include "trace.h"

#define MAX_LINES 64

struct lines {
	char *l[MAX_LINES];
	int n;
};

static void data_path(const char *name, char *out, size_t size)
{
	char src[] = __FILE__;

	snprintf(out, size, "%s/../data/trace/%s", dirname(src), name);
}

static void read_lines(const char *name, struct lines *ls)
{
	char path[4096], buf[2048];
	FILE *f;

	data_path(name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	ls->n = 0;
	while (ls->n < MAX_LINES && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ls->l[ls->n++] = strdup(buf);
	}
	fclose(f);
}

static void free_lines(struct lines *ls)
{
	for (int i = 0; i < ls->n; i++)
		free(ls->l[i]);
}

/* "CPU TS SYSTEM:EVENT TEXT" (recover --events): the TEXT */
static const char *event_text(const char *l)
{
	const char *p = l;

	for (int i = 0; i < 3 && p; i++)
		if ((p = strchr(p, ' ')))
			p++;
	return p ? p : "";
}

/* Record @i printed as JSON, "source" made "vmcore" to compare with the core's. */
static char *record_json(struct sw_trace_asm *a, int i)
{
	struct sw_record_meta meta;
	const struct sw_stop_record *r = sw_trace_asm_record(a, i, &meta);
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(r);
	assert_int_equal(meta.source, SW_SRC_TRACE);
	meta.source = SW_SRC_VMCORE;
	{
		struct sw_stop *s = sw_stop_from_wire(&meta, r);

		assert_non_null(s);
		sw_stop_print_json(f, s);
		sw_stop_free(s);
	}
	fclose(f);
	if ((p = strchr(buf, '\n')))
		*p = '\0';
	return buf;
}

static char *core_json(void)
{
	struct lines core;
	char *s;

	read_lines("x86-wedge-reboot.core.json", &core);
	assert_int_equal(core.n, 1);
	s = core.l[0];
	return s;
}

static void test_real_lines_give_the_core_record(void **state)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	struct lines ev;
	char *core = core_json(), *got;
	int used, bad;

	read_lines("x86-wedge-reboot.events", &ev);
	assert_int_equal(ev.n, 8);
	for (int i = 0; i < ev.n; i++)
		assert_int_equal(sw_trace_asm_line(a, event_text(ev.l[i])), 1);
	sw_trace_asm_stats(a, &used, &bad);
	assert_int_equal(used, 8);
	assert_int_equal(bad, 0);
	assert_int_equal(sw_trace_asm_count(a), 1);
	got = record_json(a, 0);
	/* boot id and wall clock too: the armed line carries the store header's */
	assert_string_equal(core, got);
	free(got);
	free(core);
	free_lines(&ev);
	sw_trace_asm_free(a);
}

/* Per-CPU buffers are not merged in time order by every reader: order must not matter. */
static void test_order_does_not_matter(void **state)
{
	struct sw_trace_asm *fwd = sw_trace_asm_new(), *rev = sw_trace_asm_new();
	struct lines ev;
	char *a, *b;

	read_lines("x86-wedge-reboot.events", &ev);
	/* the armed line first in both: it opens the arming the seqs belong to */
	sw_trace_asm_line(fwd, event_text(ev.l[0]));
	sw_trace_asm_line(rev, event_text(ev.l[0]));
	for (int i = 1; i < ev.n; i++) {
		sw_trace_asm_line(fwd, event_text(ev.l[i]));
		sw_trace_asm_line(rev, event_text(ev.l[ev.n - i]));
	}
	a = record_json(fwd, 0);
	b = record_json(rev, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free_lines(&ev);
	sw_trace_asm_free(fwd);
	sw_trace_asm_free(rev);
}

/* The kernel's text of a previous boot's buffer ("bpf_string=stopwatch: ...") works too. */
static void test_kernel_trace_text(void **state)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	struct lines tr;
	char *core = core_json(), *got;
	int used = 0;

	read_lines("x86-wedge-reboot.trace", &tr);
	for (int i = 0; i < tr.n; i++)
		used += sw_trace_asm_line(a, tr.l[i]) == 1;
	assert_int_equal(used, 8);	/* the 12 header lines are not stopwatch's */
	got = record_json(a, 0);
	assert_string_equal(core, got);
	free(got);
	free(core);
	free_lines(&tr);
	sw_trace_asm_free(a);
}

static void test_malformed_lines_change_nothing(void **state)
{
	static const char *const badl[] = {
		"stopwatch: begin seq=0 kind=1 cpu=0 nr=4 t=5 online=f,0,0,0",	/* seq 0 */
		"stopwatch: begin seq=1 kind=9 cpu=0 nr=4 t=5 online=f,0,0,0",	/* kind */
		"stopwatch: begin seq=1 kind=1 cpu=8192 nr=4 t=5 online=f,0,0,0",	/* cpu */
		"stopwatch: begin seq=1 kind=1 cpu=0 nr=4 t=5 online=f,0",		/* mask cut */
		"stopwatch: begin seq=1 kind=1 cpu=0 nr=8193 t=5 online=f,0,0,0",	/* nr */
		"stopwatch: fire seq=1 rung=self t=5 targets=e,0,0,0",		/* not fired */
		"stopwatch: fire seq=1 rung=ipi t=0 targets=e,0,0,0",		/* t 0 */
		"stopwatch: fire seq=1 rung=ipi t=5 targets=zz,0,0,0",
		"stopwatch: cpu=1 rung=bogus t=5 irqs=enabled seq=1",
		"stopwatch: cpu=1 rung=ipi t=5 irqs=sideways seq=1",
		"stopwatch: cpu=1 rung=ipi t=x irqs=enabled seq=1",
		"stopwatch: irqs cpu=1 irqs=unknown seq=1",
		"stopwatch: end seq=1",
		"stopwatch: armed boot_id=short",
		"stopwatch: frobnicate seq=1",
		"stopwatch: cpu=1 rung=ipi t=5 irqs=enabled",			/* no seq */
	};
	struct sw_trace_asm *a = sw_trace_asm_new();
	int used, bad;

	for (size_t i = 0; i < sizeof(badl) / sizeof(badl[0]); i++) {
		if (sw_trace_asm_line(a, badl[i]) != -EINVAL)
			fail_msg("accepted: %s", badl[i]);
	}
	assert_int_equal(sw_trace_asm_line(a, "sched_switch: prev_comm=sh"), 0);
	assert_int_equal(sw_trace_asm_count(a), 0);
	sw_trace_asm_stats(a, &used, &bad);
	assert_int_equal(used, 0);
	assert_int_equal(bad, 16);
	sw_trace_asm_free(a);
}

/*
 * A 320-CPU host: the begin and fire lines hold CPUs 0-255, mask lines the
 * words after; CPU 319 wedged, reached by the NMI rung only.
 */
static void test_mask_lines_past_cpu_255(void **state)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	const struct sw_stop_record *r;
	struct sw_record_meta m;
	int used, bad;

	(void)state;
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: begin seq=1 kind=2 cpu=0 nr=320 t=100 "
					   "online=ffffffffffffffff,ffffffffffffffff,ffffffffffffffff,ffffffffffffffff"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: mask seq=1 of=online w=4 bits=ffffffffffffffff,0,0,0"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: fire seq=1 rung=ipi t=200 "
					   "targets=fffffffffffffffe,ffffffffffffffff,ffffffffffffffff,ffffffffffffffff"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: mask seq=1 of=ipi w=4 bits=ffffffffffffffff,0,0,0"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: fire seq=1 rung=nmi t=1000200 targets=0,0,0,0"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: mask seq=1 of=nmi w=4 bits=8000000000000000,0,0,0"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpu=319 rung=nmi t=1000300 irqs=masked seq=1"), 1);
	/* a word index past any host, or not at a line's boundary: refused */
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: mask seq=1 of=online w=128 bits=1,0,0,0"), -EINVAL);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: mask seq=1 of=online w=5 bits=1,0,0,0"), -EINVAL);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: mask seq=1 of=self w=4 bits=1,0,0,0"), -EINVAL);
	assert_int_equal(sw_trace_asm_count(a), 1);
	r = sw_trace_asm_record(a, 0, &m);
	assert_int_equal(r->nr_cpus, 320);
	assert_int_equal(r->online[4], ~0ULL);
	assert_int_equal(r->target[SW_RUNG_IPI - 1][4], ~0ULL);
	assert_int_equal(r->target[SW_RUNG_NMI - 1][4], 1ULL << 63);
	assert_int_equal(r->cpu[319].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[319].irqs, SW_IRQS_MASKED);
	sw_trace_asm_stats(a, &used, &bad);
	assert_int_equal(used, 7);
	assert_int_equal(bad, 3);
	sw_trace_asm_free(a);
}

/* Two armings in one buffer (re-armed in the same boot): seq 1 twice, two records. */
static void test_armings_keep_records_apart(void **state)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	struct sw_record_meta m0, m1;
	const struct sw_stop_record *r0, *r1;

	sw_trace_asm_line(a, "stopwatch: armed boot_id=11111111-1111-1111-1111-111111111111 mono_to_real_ns=7");
	sw_trace_asm_line(a, "stopwatch: begin seq=1 kind=1 cpu=0 nr=2 t=100 online=3,0,0,0");
	sw_trace_asm_line(a, "stopwatch: armed boot_id=22222222-2222-2222-2222-222222222222 mono_to_real_ns=9");
	sw_trace_asm_line(a, "stopwatch: begin seq=1 kind=2 cpu=1 nr=2 t=200 online=3,0,0,0");
	sw_trace_asm_line(a, "stopwatch: kind seq=1 kind=3");
	assert_int_equal(sw_trace_asm_count(a), 2);
	r0 = sw_trace_asm_record(a, 0, &m0);
	r1 = sw_trace_asm_record(a, 1, &m1);
	assert_string_equal(m0.boot_id, "11111111-1111-1111-1111-111111111111");
	assert_string_equal(m1.boot_id, "22222222-2222-2222-2222-222222222222");
	assert_int_equal(m0.mono_to_real_ns, 7);
	assert_int_equal(r0->kind, SW_KIND_STOP);
	assert_int_equal(r0->t_start, 100);
	assert_int_equal(r1->kind, SW_KIND_CRASH);
	assert_int_equal(r1->initiator, 1);
	sw_trace_asm_free(a);
}

/* The begin line overwritten in the ring: CPUs still covered by what the lines name. */
static void test_lost_begin_line(void **state)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	struct sw_record_meta m;
	const struct sw_stop_record *r;

	sw_trace_asm_line(a, "stopwatch: fire seq=4 rung=nmi t=50 targets=20,0,0,0");
	sw_trace_asm_line(a, "stopwatch: cpu=5 rung=nmi t=70 irqs=unknown seq=4");
	sw_trace_asm_line(a, "stopwatch: irqs cpu=5 irqs=masked seq=4");
	r = sw_trace_asm_record(a, 0, &m);
	assert_non_null(r);
	assert_int_equal(r->nr_cpus, 6);
	assert_int_equal(r->state, SW_REC_RUNNING);
	assert_int_equal(r->cpu[5].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[5].irqs, SW_IRQS_MASKED);
	assert_int_equal(r->t_fire[SW_RUNG_NMI - 1], 50);
	assert_string_equal(m.boot_id, "");
	sw_trace_asm_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_lines_give_the_core_record),
		cmocka_unit_test(test_order_does_not_matter),
		cmocka_unit_test(test_kernel_trace_text),
		cmocka_unit_test(test_malformed_lines_change_nothing),
		cmocka_unit_test(test_armings_keep_records_apart),
		cmocka_unit_test(test_mask_lines_past_cpu_255),
		cmocka_unit_test(test_lost_begin_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
