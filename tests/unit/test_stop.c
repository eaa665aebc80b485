// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The decoded stop record (user/stop.h): CPU sets to 8192, times, the wire decoder, outcomes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stop.h"
#include "fmt.h"

static void test_cpuset_roundtrip(void **state)
{
	static const char *const lists[] = { "", "0", "0-3", "1-2,4-7", "5,290", "0-8191",
					     "8191", "255-256,4095-4097", "63-64,127-128" };
	struct sw_cpuset s;
	char buf[SW_CPUSET_TEXT_MAX];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		assert_int_equal(sw_cpuset_parse(lists[i], &s), 0);
		assert_int_equal(sw_cpuset_format(&s, buf, sizeof(buf)), (int)strlen(lists[i]));
		assert_string_equal(buf, lists[i]);
	}
	assert_int_equal(sw_cpuset_parse("0-8191", &s), 0);
	assert_int_equal(sw_cpuset_count(&s), 8192);
	assert_int_equal(sw_cpuset_last(&s), 8191);
	/* out of range, reversed, junk, trailing comma: rejected and the set left empty */
	static const char *const bad[] = { "8192", "3-1", "1-", "x", "1;2", "1,", "-1",
					   "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sw_cpuset_parse(bad[i], &s), -EINVAL);
		assert_true(sw_cpuset_empty(&s));
	}
	/* the worst case fits the documented size; one byte less does not */
	for (unsigned int c = 0; c < SW_CPUS_MAX; c += 2)
		sw_cpuset_set(&s, c);
	n = sw_cpuset_format(&s, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(sw_cpuset_format(&s, buf, strlen(buf)), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
}

static void test_time_kinds(void **state)
{
	struct sw_time t = {};

	(void)state;
	assert_true(sw_time_unknown(&t));
	t = sw_time_exact(5);
	assert_true(sw_time_known(&t));
	t = sw_time_by(5);
	assert_false(sw_time_known(&t));
	assert_false(sw_time_unknown(&t));
	t = sw_time_window(3, 3);
	assert_true(sw_time_known(&t));
	t = sw_time_window(4, 3);	/* out of order: unknown, not a made-up bound */
	assert_true(sw_time_unknown(&t));
}

/* The wire record of 4 CPUs, initiator 0; CPU 2 wedged until the NMI rung 1 s later. */
static void wire_escalated(struct sw_stop_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = 1;
	r->kind = SW_KIND_STOP;
	r->nr_cpus = 4;
	r->state = SW_REC_DONE;
	r->t_start = 1000000000ULL;
	r->t_end = r->t_start + 1012000000ULL;
	r->online[0] = 0xf;
	r->t_fire[0] = r->t_start + 2000;
	r->target[0][0] = 0xe;
	r->t_fire[1] = r->t_start + 1000000000ULL;
	r->target[1][0] = 0x4;
	r->cpu[1] = (struct sw_cpu_stop){ r->t_start + 12000, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[3] = (struct sw_cpu_stop){ r->t_start + 15000, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[2] = (struct sw_cpu_stop){ r->t_start + 1000030000ULL, SW_RUNG_NMI, SW_IRQS_MASKED };
}

static void test_decode_wire(void **state)
{
	struct sw_record_meta m = { .source = SW_SRC_VMCORE, .exact = true };
	struct sw_stop_record *w = calloc(1, sizeof(*w));
	struct sw_cpuset never;
	struct sw_stop *s;

	(void)state;
	wire_escalated(w);
	s = sw_stop_from_wire(&m, w);
	assert_non_null(s);
	assert_int_equal(s->nr_cpus, 4);
	assert_int_equal(s->meta.source, SW_SRC_VMCORE);
	assert_true(sw_time_known(&s->start));
	assert_int_equal(s->start.by, 1000000000ULL);
	assert_true(s->rung[0].fired && s->rung[0].targets_known);
	assert_true(sw_cpuset_test(&s->rung[1].targets, 2));
	assert_false(s->rung[2].fired);
	assert_int_equal(s->cpu[2].rung, SW_RUNG_NMI);
	assert_int_equal(s->cpu[2].irqs, SW_IRQS_MASKED);
	assert_true(sw_time_known(&s->cpu[2].at));
	/* the initiator never ran a handler: its time is unknown, not 0 */
	assert_int_equal(s->cpu[0].rung, SW_RUNG_NONE);
	assert_true(sw_time_unknown(&s->cpu[0].at));
	/* the per-CPU facts of other sources start unknown */
	assert_int_equal(s->cpu[2].regs.state, SW_REGS_UNKNOWN);
	assert_int_equal(s->cpu[2].sdei_end, SW_SDEI_END_UNKNOWN);
	assert_int_equal(s->cpu[2].reonline, SW_REONLINE_UNKNOWN);
	assert_int_equal(sw_stop_outcome(s), SW_OUT_ESCALATED);
	assert_int_equal(sw_stop_top_rung(s), SW_RUNG_NMI);
	sw_stop_free(s);

	/* CPU 2 never answers: failed, listed as never stopped */
	w->cpu[2].rung = SW_RUNG_NONE;
	s = sw_stop_from_wire(&m, w);
	assert_int_equal(sw_stop_outcome(s), SW_OUT_FAILED);
	assert_true(sw_stop_never_stopped(s, &never));
	assert_int_equal(sw_cpuset_count(&never), 1);
	assert_true(sw_cpuset_test(&never, 2));
	sw_stop_free(s);

	/* torn: counts and enums past their ranges decode to what can be trusted */
	w->nr_cpus = 100000;
	w->kind = 77;
	w->state = 9;
	w->cpu[3].rung = 200;
	w->cpu[3].irqs = 9;
	s = sw_stop_from_wire(&m, w);
	assert_int_equal(s->nr_cpus, SW_MAX_CPUS);
	assert_int_equal(s->kind, SW_KIND_UNKNOWN);
	assert_int_equal(s->state, SW_REC_RUNNING);
	assert_int_equal(s->cpu[3].rung, SW_RUNG_UNKNOWN);
	assert_int_equal(s->cpu[3].irqs, SW_IRQS_UNKNOWN);
	assert_string_equal(sw_rung_name(s->cpu[3].rung), "unknown");
	sw_stop_free(s);
	free(w);
}

/* A host of 4096 CPUs: per-CPU entries sized to it, sets past 256. */
static void test_big_host(void **state)
{
	struct sw_stop *s = sw_stop_new(4096);
	struct sw_cpuset never;

	(void)state;
	assert_non_null(s);
	assert_null(sw_stop_new(0));
	assert_null(sw_stop_new(SW_CPUS_MAX + 1));
	s->kind = SW_KIND_PANIC;
	s->state = SW_REC_DONE;
	s->online_known = true;
	for (unsigned int c = 0; c < 4096; c++) {
		sw_cpuset_set(&s->online, c);
		if (c && c != 4000)
			s->cpu[c].rung = SW_RUNG_IPI;
	}
	s->rung[0].fired = true;
	assert_int_equal(sw_stop_outcome(s), SW_OUT_FAILED);
	assert_true(sw_stop_never_stopped(s, &never));
	assert_int_equal(sw_cpuset_count(&never), 1);
	assert_true(sw_cpuset_test(&never, 4000));
	/* rung unknown (stopped, by which rung unknown) is not "never stopped" */
	s->cpu[4000].rung = SW_RUNG_UNKNOWN;
	assert_int_equal(sw_stop_outcome(s), SW_OUT_CLEAN);
	assert_int_equal(sw_stop_resize(s, 8192), 0);
	assert_int_equal(s->cpu[8191].rung, SW_RUNG_NONE);
	sw_stop_free(s);
}

/* Nothing known about online CPUs or targets: no CPU is "never stopped", no verdict of failure. */
static void test_unknown_expected(void **state)
{
	struct sw_stop *s = sw_stop_new(1);
	struct sw_cpuset never;

	(void)state;
	s->kind = SW_KIND_STOP;
	s->rung[0].fired = true;
	assert_false(sw_stop_never_stopped(s, &never));
	assert_int_equal(sw_stop_outcome(s), SW_OUT_NOOP);
	sw_stop_free(s);
}

/* The text sink's times: what printf printed of the double, for every kind of value. */
static void check_fixed(__s64 ns)
{
	char got[64], want[64];
	double us = (double)ns / 1000.0;

	sw_fmt_fixed_ns(got, sizeof(got), ns, 1000, 1, true);
	snprintf(want, sizeof(want), "%+.1f", us);
	assert_string_equal(got, want);
	sw_fmt_fixed_ns(got, sizeof(got), ns, 1000000, 3, true);
	snprintf(want, sizeof(want), "%+.3f", us / 1000.0);
	assert_string_equal(got, want);
	sw_fmt_fixed_ns(got, sizeof(got), ns, 1000, 1, false);
	snprintf(want, sizeof(want), "%.1f", us);
	assert_string_equal(got, want);
}

static void test_fixed_like_printf(void **state)
{
	static const __s64 edge[] = { 0, 1, -1, 49, 50, 51, -50, 149, 150, 250, 1150, 1250, 1350,
				      999949, 999950, 999999, 1000000, 1000499, 1000500, 1000501,
				      1500500, -1500500, 5828108000LL, (1LL << 50) - 1, 1LL << 50,
				      INT64_MAX, INT64_MIN };

	(void)state;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		check_fixed(edge[i]);
	/* every magnitude, ties (x50, x500) included; fixed seed */
	srandom(11);
	for (int i = 0; i < 200000; i++) {
		__s64 ns = (__s64)((__u64)random() << 31 | random()) >> (random() % 63);

		if (i % 4 == 0)
			ns = ns / 100 * 100 + 50;
		else if (i % 4 == 1)
			ns = ns / 1000 * 1000 + 500;
		check_fixed(random() % 2 ? ns : -ns);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuset_roundtrip),
		cmocka_unit_test(test_fixed_like_printf),
		cmocka_unit_test(test_time_kinds),
		cmocka_unit_test(test_decode_wire),
		cmocka_unit_test(test_big_host),
		cmocka_unit_test(test_unknown_expected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
