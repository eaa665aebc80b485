// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * whatif (user/whatif.c) on synthetic histograms and records with known
 * answers; a longer wait never escalates more (property, random data);
 * the state's per-rung ack facts; stop records back from their JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libgen.h>
#include "record_json.h"
#include "stop_print.h"
#include "state.h"
#include "whatif.h"

static void add(struct sw_hist *h, __u64 ns, __u64 n)
{
	h->slots[sw_hist_slot(true, ns)] += n;
	h->count += n;
	h->sum_ns += ns * n;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

#define assert_near(a, b) assert_true(absd((double)(a) - (double)(b)) < 1e-9)
static double absd(double x) { return x < 0 ? -x : x; }

/* No bucket straddles the wait: the answer is exact, lo = est = hi. */
static void test_later_exact(void **unused)
{
	struct sw_wi_dist d = { .censored = 1 };
	struct sw_wi_value v;

	add(&d.h, 1000, 3);		/* bucket [896, 1023] */
	add(&d.h, 5000, 1);		/* bucket [4096, 5119] */
	v = sw_wi_later(&d, 2000);
	assert_true(v.known);
	assert_near(v.est, 0.4);
	assert_near(v.lo, 0.4);
	assert_near(v.hi, 0.4);
	v = sw_wi_later(&d, 1e12);	/* censored: later than any wait */
	assert_near(v.est, 0.2);
	v = sw_wi_later(&d, 0);
	assert_near(v.est, 1.0);
}

/* A straddling bucket: between none and all of it, spread evenly for the estimate. */
static void test_later_straddle(void **unused)
{
	struct sw_wi_dist d = { .censored = 1 };
	struct sw_wi_value v;

	add(&d.h, 1000, 3);
	add(&d.h, 5000, 1);
	v = sw_wi_later(&d, 950);
	assert_near(v.lo, 2.0 / 5);
	assert_near(v.hi, 5.0 / 5);
	assert_near(v.est, (2 + 3.0 * (1023 - 950) / 128) / 5);
	assert_true(v.lo <= v.est && v.est <= v.hi);
}

static void test_later_empty(void **unused)
{
	struct sw_wi_dist d = {};

	assert_false(sw_wi_later(&d, 1000).known);
	assert_false(sw_wi_stop_delta(&d, 1000, 1e9, 0).known);
}

/* Exact buckets (< 8 ns): stop 1 acked at 5 ns, stop 2 escalated. */
static void test_stop_delta_known(void **unused)
{
	struct sw_wi_dist s = { .censored = 1 };
	struct sw_wi_value v;

	add(&s.h, 5, 1);
	/* wait 2: stop 1 escalates: 2 + 10 - 5 = +7; stop 2 waited 100, now 2: -98 */
	v = sw_wi_stop_delta(&s, 2, 100, 10);
	assert_near(v.est, (7 - 98) / 2.0);
	assert_near(v.lo, v.est);
	assert_near(v.hi, v.est);
	/* wait 6: stop 1 no change; stop 2: 6 - 100 */
	v = sw_wi_stop_delta(&s, 6, 100, 10);
	assert_near(v.est, -94 / 2.0);
	/* the kernel's own wait: nothing changes */
	v = sw_wi_stop_delta(&s, 100, 100, 10);
	assert_near(v.est, 0);
}

/* A longer wait never escalates more: random distributions, every wait pair. */
static void test_longer_wait_escalates_less(void **unused)
{
	double waits[SW_WHATIF_MAX_WAITS];
	int nw;

	srand(16);
	assert_int_equal(sw_wi_parse_waits("1us,3us,10us,33us,100us,150us,333us,1ms,2.5ms,10ms,"
					   "33ms,100ms,150ms,333ms,1s,2s", waits,
					   SW_WHATIF_MAX_WAITS, &nw), 0);
	for (int trial = 0; trial < 200; trial++) {
		struct sw_wi_dist d = { .censored = rand() % 3 };
		struct sw_wi_value prev = {};

		for (int i = 0; i < 1 + rand() % 50; i++)
			add(&d.h, (__u64)rand() * (1 + rand() % 1000) % 3000000000ULL, 1 + rand() % 20);
		for (int i = 0; i < nw; i++) {
			struct sw_wi_value v = sw_wi_later(&d, waits[i] * 1e3);

			assert_true(v.known);
			assert_true(v.lo <= v.est + 1e-12 && v.est <= v.hi + 1e-12);
			assert_true(v.lo >= 0 && v.hi <= 1 + 1e-12);
			if (i) {
				assert_true(v.est <= prev.est + 1e-12);
				assert_true(v.lo <= prev.lo + 1e-12);
				assert_true(v.hi <= prev.hi + 1e-12);
			}
			prev = v;
		}
	}
}

static void test_parse_waits(void **unused)
{
	double w[SW_WHATIF_MAX_WAITS];
	int n;

	assert_int_equal(sw_wi_parse_waits("100us,1ms,0.5s,2", w, SW_WHATIF_MAX_WAITS, &n), -EINVAL);
	assert_int_equal(sw_wi_parse_waits("2,100us,1ms,0.5s", w, SW_WHATIF_MAX_WAITS, &n), 0);
	assert_int_equal(n, 4);
	assert_near(w[0], 2);
	assert_near(w[1], 100);
	assert_near(w[2], 1000);
	assert_near(w[3], 500000);
	static const char *const bad[] = { "", "0", "-5", "5,3", "1ms,1ms", "abc", "1ms,", ",1ms",
					   "1 ms", "1h", "nan", "inf" };
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sw_wi_parse_waits(bad[i], w, SW_WHATIF_MAX_WAITS, &n), -EINVAL);
}

static void test_default_waits(void **unused)
{
	double w[SW_WHATIF_MAX_WAITS];
	int n = sw_wi_default_waits(w, SW_WHATIF_MAX_WAITS), marked = 0;

	assert_int_equal(n, 13);
	assert_near(w[0], 100);
	assert_near(w[n - 1], 1e6);
	for (int i = 0; i < n; i++) {
		if (i)
			assert_true(w[i] > w[i - 1]);
		marked += sw_wi_kernel_wait(w[i]) != NULL;
	}
	assert_int_equal(marked, 3);
	assert_string_equal(sw_wi_kernel_wait(1e4), "nmi");
	assert_string_equal(sw_wi_kernel_wait(1e5), "sdei");
	assert_string_equal(sw_wi_kernel_wait(1e6), "ipi");
}

#define T0 1000000000ULL
/* IPI to 1-3 at T0 + 1000: CPU 1 acks after 100 ns, CPU 3 after 300, CPU 2 needs the NMI. */
static void escalated_record(struct sw_stop_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = 1;
	r->kind = SW_KIND_STOP;
	r->state = SW_REC_RUNNING;
	r->nr_cpus = 4;
	r->t_start = T0;
	r->online[0] = 0xf;
	r->t_fire[0] = T0 + 1000;
	r->target[0][0] = 0xe;
	r->t_fire[1] = T0 + 1000000;
	r->target[1][0] = 0x4;
	r->cpu[0].rung = SW_RUNG_NONE;
	r->cpu[1] = (struct sw_cpu_stop){ T0 + 1100, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[3] = (struct sw_cpu_stop){ T0 + 1300, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[2] = (struct sw_cpu_stop){ T0 + 1000007, SW_RUNG_NMI, SW_IRQS_MASKED };
}

/* Count a wire record as the state does: through the one decoder. */
static void count(struct sw_state_totals *t, const struct sw_record_meta *m,
		  const struct sw_stop_record *r)
{
	struct sw_stop *s = sw_stop_from_wire(m, r);

	assert_non_null(s);
	sw_state_count(t, s);
	sw_stop_free(s);
}

static void test_state_rung_acks(void **unused)
{
	struct sw_record_meta m = { .source = SW_SRC_VMCORE, .exact = true };
	struct sw_state_totals *t = calloc(1, sizeof(*t));
	struct sw_stop_record *r = calloc(1, sizeof(*r));
	struct sw_wi_input *in = calloc(1, sizeof(*in));
	struct sw_wi_table *tab = calloc(1, sizeof(*tab));
	double waits[] = { 0.2, 1000 };

	escalated_record(r);
	count(t, &m, r);
	assert_int_equal(t->rung_acks[0].cpus_not_acked, 1);
	assert_int_equal(t->rung_acks[0].stops_not_acked, 1);
	assert_int_equal(t->rung_acks[0].stop_last_ack.count, 0);
	assert_int_equal(t->rung_acks[1].cpus_not_acked, 0);
	assert_int_equal(t->rung_acks[1].stop_last_ack.max_ns, 7);
	/* the same stop, CPU 2 on the IPI after 5000 ns: clean, slowest ack 5000 */
	r->t_fire[1] = 0;
	r->target[1][0] = 0;
	r->cpu[2] = (struct sw_cpu_stop){ T0 + 6000, SW_RUNG_IPI, SW_IRQS_ENABLED };
	count(t, &m, r);
	assert_int_equal(t->rung_acks[0].stops_not_acked, 1);
	assert_int_equal(t->rung_acks[0].stop_last_ack.count, 1);
	assert_int_equal(t->rung_acks[0].stop_last_ack.max_ns, 5000);
	/* a log record bounds times only: none of this */
	m.exact = false;
	count(t, &m, r);
	assert_int_equal(t->rung_acks[0].stop_last_ack.count, 1);
	/* whatif: at 200 ns the acks of 300 and 5000 ns and CPU 2 are later (4 of 6); both stops escalate */
	in->t = *t;
	sw_wi_compute(in, waits, 2, tab);
	assert_string_equal(tab->source, "records");
	assert_int_equal(tab->cpu_samples, 6);
	assert_int_equal(tab->stop_samples, 2);
	assert_near(tab->rows[0].cpus.lo, 4.0 / 6);
	assert_near(tab->rows[0].stops.est, 1.0);
	/* at 1 ms: only CPU 2 of the first stop */
	assert_near(tab->rows[1].cpus.est, 1.0 / 6);
	assert_near(tab->rows[1].stops.est, 0.5);
	assert_near(tab->next_ack_us, 0.007);
	free(t);
	free(r);
	free(in);
	free(tab);
}

/* The JSON a record prints reads back to the same record. */
static void test_record_json_round_trip(void **unused)
{
	struct sw_record_meta m = { .source = SW_SRC_VMCORE, .exact = true };
	struct sw_stop_record *r = calloc(1, sizeof(*r));
	struct sw_stop *s, *s2;
	char *buf = NULL, *buf2 = NULL, err[128];
	size_t len = 0, len2 = 0;
	FILE *f = open_memstream(&buf, &len);

	strcpy(m.boot_id, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	escalated_record(r);
	s = sw_stop_from_wire(&m, r);
	/* facts of other sources and bounds survive the round trip too */
	s->cpu[2].regs = (struct sw_cpu_regs){ SW_REGS_KNOWN, SW_IRQS_MASKED, 0xffff800080001234ULL, 0x1000 };
	s->cpu[2].sdei_end = SW_SDEI_END_PARKED_UNCOMPLETED;
	s->cpu[2].reonline = SW_REONLINE_NO;
	s->cpu[3].at = sw_time_window(T0 + 1200, T0 + 1300);
	sw_stop_print_json(f, s);
	fclose(f);
	s2 = sw_record_parse_json(buf, err, sizeof(err));
	assert_non_null(s2);
	f = open_memstream(&buf2, &len2);
	sw_stop_print_json(f, s2);
	fclose(f);
	assert_string_equal(buf2, buf);
	assert_int_equal(s2->meta.source, SW_SRC_VMCORE);
	assert_true(s2->meta.exact);
	assert_string_equal(s2->meta.boot_id, m.boot_id);
	assert_int_equal(s2->cpu[2].regs.pc, 0xffff800080001234ULL);
	assert_int_equal(sw_stop_outcome(s2), sw_stop_outcome(s));
	sw_stop_free(s2);
	assert_null(sw_record_parse_json("{\"schema\":\"stopwatch.live/1\"}", err, sizeof(err)));
	assert_non_null(strstr(err, "not a stop record"));
	assert_null(sw_record_parse_json("{\"schema\":", err, sizeof(err)));
	/* a boot id is a UUID or refused; a host is any text, escaped both ways */
	assert_null(sw_record_parse_json("{\"schema\":\"stopwatch.stop/2\",\"source\":\"log\","
					 "\"kind\":\"stop\",\"boot_id\":\"x\\\\\\\"y\"}", err, sizeof(err)));
	assert_string_equal(err, "boot_id is not a UUID");
	s2 = sw_record_parse_json("{\"schema\":\"stopwatch.stop/2\",\"source\":\"log\","
				  "\"kind\":\"stop\",\"host\":\"a\\\"b\\\\c\"}", err, sizeof(err));
	assert_non_null(s2);
	assert_string_equal(s2->meta.host, "a\"b\\c");
	sw_stop_free(s2);
	/* release 1's JSON still reads */
	s2 = sw_record_parse_json("{\"schema\":\"stopwatch.stop/1\",\"source\":\"bpf\","
				  "\"kind\":\"stop\",\"seq\":3,\"initiator\":0,\"exact\":true,"
				  "\"start_ns\":1000,\"duration_us\":null,\"online\":\"0-1\","
				  "\"rungs\":[{\"rung\":\"ipi\",\"fired_us\":0.000,\"targets\":\"1\"}],"
				  "\"cpus\":[{\"cpu\":1,\"rung\":\"ipi\",\"at_us\":2.500,"
				  "\"ack_us\":2.500,\"irqs\":\"enabled\"}],\"never_stopped\":\"\"}",
				  err, sizeof(err));
	assert_non_null(s2);
	assert_int_equal(s2->nr_cpus, 2);
	assert_int_equal(s2->cpu[1].at.by, 3500);
	assert_int_equal(sw_stop_outcome(s2), SW_OUT_CLEAN);
	sw_stop_free(s2);
	sw_stop_free(s);
	free(buf);
	free(buf2);
	free(r);
}

/*
 * A version 1 state file (tests/data/state-v1, from before rung_acks joined
 * the totals) reads with its counts, rung_acks at zero.
 */
static void test_state_v1_has_no_rung_acks(void **unused)
{
	char src[] = __FILE__, dir[4096], err[256];
	struct sw_state *s;

	snprintf(dir, sizeof(dir), "%s/../data/state-v1", dirname(src));
	assert_int_equal(sw_state_open(&s, dir, false, NULL, err, sizeof(err)), 0);
	assert_true(sw_state_totals(s)->records[SW_SRC_LOG] > 0);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		assert_int_equal(sw_state_totals(s)->rung_acks[i].cpus_not_acked, 0);
		assert_int_equal(sw_state_totals(s)->rung_acks[i].stops_not_acked, 0);
		assert_int_equal(sw_state_totals(s)->rung_acks[i].stop_last_ack.count, 0);
	}
	sw_state_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_later_exact),
		cmocka_unit_test(test_later_straddle),
		cmocka_unit_test(test_later_empty),
		cmocka_unit_test(test_stop_delta_known),
		cmocka_unit_test(test_longer_wait_escalates_less),
		cmocka_unit_test(test_parse_waits),
		cmocka_unit_test(test_default_waits),
		cmocka_unit_test(test_state_rung_acks),
		cmocka_unit_test(test_record_json_round_trip),
		cmocka_unit_test(test_state_v1_has_no_rung_acks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
