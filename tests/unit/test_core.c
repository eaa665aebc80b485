// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests of the user-space logic: histograms, records, masks, the attach plan, parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "env.h"
#include "hist.h"
#include "live.h"
#include "loader.h"
#include "points.h"
#include "record.h"
#include "stop_print.h"

/* ---- histograms ---- */

static void test_hist_slot_in_bounds(void **state)
{
	(void)state;
	for (int ll = 0; ll < 2; ll++) {
		__u64 vals[] = { 0, 1, 7, 8, 9, 15, 16, 999, 1000, 1001, 1999, 2000, 12345,
				 1000000, 123456789, 1ULL << 40, UINT64_MAX / 2 };

		for (unsigned int i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			unsigned int s = sw_hist_slot(ll, vals[i]);
			__u64 lo, hi;

			sw_hist_bounds(ll, s, &lo, &hi);
			assert_true(s < SW_HIST_SLOTS);
			assert_true(vals[i] >= lo);
			if (s < SW_HIST_SLOTS - 1)
				assert_true(vals[i] < hi);
		}
	}
}

/* The log2-usec slot is computed without dividing: it must equal the division's. */
static void test_hist_slot_log2_us_exact(void **state)
{
	__u64 x = 88172645463325252ULL;

	(void)state;
	/* each boundary 1000 << k, and its neighbours */
	for (int k = 0; k <= 54; k++)
		for (int d = -1; d <= 1; d++) {
			__u64 ns = (1000ULL << k) + d;
			__u64 us = ns / 1000;
			unsigned int want = us ? sw_log2_u64(us) + 1 : 0;

			if (want > SW_HIST_SLOTS - 1)
				want = SW_HIST_SLOTS - 1;
			assert_int_equal(sw_hist_slot(false, ns), want);
		}
	/* and a spread of values of every magnitude (xorshift, fixed seed) */
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		__u64 ns = x >> (i % 64);
		__u64 us = ns / 1000;

		assert_int_equal(sw_hist_slot(false, ns), us ? sw_log2_u64(us) + 1 : 0);
	}
	assert_int_equal(sw_hist_slot(false, ~0ULL), sw_log2_u64(~0ULL / 1000) + 1);
}

static void test_hist_slots_contiguous(void **state)
{
	(void)state;
	for (int ll = 0; ll < 2; ll++)
		for (unsigned int s = 0; s + 1 < SW_HIST_SLOTS - 1; s++) {
			__u64 lo, hi, lo2, hi2;

			sw_hist_bounds(ll, s, &lo, &hi);
			if (hi == UINT64_MAX)
				break; /* beyond 2^64 ns: the rest are unreachable */
			sw_hist_bounds(ll, s + 1, &lo2, &hi2);
			assert_int_equal(hi, lo2);
			assert_true(hi > lo);
		}
}

static void test_loglinear_width(void **state)
{
	(void)state;
	/* the point of log-linear buckets: width at most 1/4 of the lower bound */
	for (unsigned int s = 8; s < SW_HIST_SLOTS - 1; s++) {
		__u64 lo, hi;

		sw_hist_bounds(true, s, &lo, &hi);
		assert_true((hi - lo) * 4 <= lo);
	}
}

static void fill(struct sw_hist *h, bool ll, __u64 ns, __u64 n)
{
	h->slots[sw_hist_slot(ll, ns)] += n;
	h->count += n;
	h->sum_ns += ns * n;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static void test_quantiles(void **state)
{
	struct sw_hist h = {};

	(void)state;
	/* 100 samples at 10..1000 us; true p50 = 500 us */
	for (int i = 1; i <= 100; i++)
		fill(&h, true, i * 10000ULL, 1);
	double p50 = sw_hist_quantile(true, &h, 0.5);
	assert_true(p50 > 500000 * 0.85 && p50 < 500000 * 1.15);
	memset(&h, 0, sizeof(h));
	for (int i = 1; i <= 100; i++)
		fill(&h, false, i * 10000ULL, 1);
	p50 = sw_hist_quantile(false, &h, 0.5);
	/* log2 buckets can only promise a factor of two */
	assert_true(p50 > 250000 && p50 < 1000000);
	memset(&h, 0, sizeof(h));
	assert_true(sw_hist_quantile(true, &h, 0.99) == 0);
}

static void test_hist_delta(void **state)
{
	struct sw_hist a = {}, b = {}, d;

	(void)state;
	fill(&a, false, 5000, 3);
	b = a;
	fill(&a, false, 50000, 2);
	sw_hist_sub(&d, &a, &b);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.slots[sw_hist_slot(false, 50000)], 2);
	assert_int_equal(d.slots[sw_hist_slot(false, 5000)], 0);
	assert_int_equal(d.max_ns, 50000);
	/* max unchanged in the interval: unknown, not the old max */
	sw_hist_sub(&d, &a, &a);
	assert_int_equal(d.max_ns, 0);
}

static char *capture(void (*fn)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, arg);
	fclose(f);
	return buf;
}

static void om_all(FILE *f, void *arg)
{
	struct sw_live_maps m = { .loglinear = false };

	sw_live_print_metrics(f, &m, arg, false, SW_EXPO_OPENMETRICS);
}

static void om_per_cpu(FILE *f, void *arg)
{
	struct sw_live_maps m = { .loglinear = false };

	sw_live_print_metrics(f, &m, arg, true, SW_EXPO_OPENMETRICS);
}

static void test_openmetrics_hist(void **state)
{
	struct sw_live_snapshot s = { .nr_cpus = 1 };
	struct sw_hist *h = &s.total[SW_STREAM_IPI * SW_HIST_KINDS + SW_IPI_RESCHED];
	char *out;

	(void)state;
	fill(h, false, 3000, 3);	/* 3 us: log2 slot [2, 4) us */
	fill(h, false, 40000, 1);	/* 40 us: [32, 64) us */
	/* another kind: -C off sums the kinds into one histogram per stream */
	fill(&s.total[SW_STREAM_IPI * SW_HIST_KINDS + SW_IPI_TIMER], false, 3000, 1);
	out = capture(om_all, &s);
	/* cumulative on the export bounds (2^k ns); +Inf, _count, _sum in seconds */
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_bucket{le=\"0.000001024\"} 0\n"));
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_bucket{le=\"0.000004096\"} 4\n"));
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_bucket{le=\"0.000016384\"} 4\n"));
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_bucket{le=\"0.000065536\"} 5\n"));
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_bucket{le=\"+Inf\"} 5\n"));
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_count 5\n"));
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_sum 0.000052000\n"));
	assert_null(strstr(out, "kind="));
	free(out);
}

/* -C: the histograms per kind and CPU, only those that saw events */
static void test_openmetrics_per_cpu_hist(void **state)
{
	struct sw_hist percpu[2 * SW_HIST_KEYS] = {};
	__u64 percpu_counters[2 * SW_COUNTERS] = {};
	struct sw_live_snapshot s = { .nr_cpus = 2, .percpu = percpu,
				      .percpu_counters = percpu_counters };
	char *out;

	(void)state;
	fill(&s.total[SW_STREAM_IPI * SW_HIST_KINDS + SW_IPI_TIMER], false, 3000, 2);
	fill(&percpu[1 * SW_HIST_KEYS + SW_STREAM_IPI * SW_HIST_KINDS + SW_IPI_TIMER], false, 3000, 2);
	out = capture(om_per_cpu, &s);
	assert_non_null(strstr(out, "stopwatch_ipi_latency_seconds_count{kind=\"timer\",cpu=\"1\"} 2\n"));
	assert_null(strstr(out, "cpu=\"0\""));
	assert_null(strstr(out, "stopwatch_ipi_latency_seconds_count 2\n"));
	free(out);
}

/* -C: counters per CPU, labelled, only where they counted, and no unlabelled total beside them */
static void test_openmetrics_per_cpu_counters(void **state)
{
	struct sw_hist percpu[2 * SW_HIST_KEYS] = {};
	__u64 percpu_counters[2 * SW_COUNTERS] = {};
	struct sw_live_snapshot s = { .nr_cpus = 2, .percpu = percpu,
				      .percpu_counters = percpu_counters };
	char *out;

	(void)state;
	s.counters[SW_CNT_RINGBUF_DROPS] = 3;
	percpu_counters[1 * SW_COUNTERS + SW_CNT_RINGBUF_DROPS] = 3;
	out = capture(om_per_cpu, &s);
	assert_null(strstr(out, "stopwatch_ringbuf_drops_total{cpu=\"0\"}"));
	assert_non_null(strstr(out, "stopwatch_ringbuf_drops_total{cpu=\"1\"} 3\n"));
	assert_null(strstr(out, "stopwatch_ringbuf_drops_total 3\n"));
	free(out);
}

static void test_openmetrics_exposition(void **state)
{
	struct sw_live_snapshot s = { .nr_cpus = 1 };
	char *out, *line;
	int types = 0;

	(void)state;
	fill(&s.total[SW_STREAM_IPI * SW_HIST_KINDS + SW_IPI_RESCHED], false, 3000, 1);
	s.counters[SW_CNT_SDEI_MASKED] = 7;
	out = capture(om_all, &s);
	/* counters end in _total, the exposition ends with # EOF */
	assert_non_null(strstr(out, "stopwatch_sdei_masked_total 7\n"));
	assert_non_null(strstr(out, "# TYPE stopwatch_ipi_latency_seconds histogram\n"));
	assert_non_null(strstr(out, "\nstopwatch_ipi_latency_seconds_count 1\n"));
	assert_true(strlen(out) > 6 && !strcmp(out + strlen(out) - 6, "# EOF\n"));
	for (line = out; (line = strstr(line, "# TYPE ")); line++)
		types++;
	/* the SDEI histogram family has no samples here: left out; the sampling gauge is there */
	assert_int_equal(types, 1 + SW_COUNTERS + 1);
	assert_non_null(strstr(out, "# TYPE stopwatch_ipi_sample_every gauge\n"));
	assert_non_null(strstr(out, "\nstopwatch_ipi_sample_every 1\n"));
	free(out);
}

/*
 * The counters map holds BPF-only slots past the reported counters: a real
 * per-CPU map (root) read back through sw_read_counters folds them in.
 */
static void test_counters_fold(void **state)
{
	int nr_cpus = libbpf_num_possible_cpus(), fd;
	__u64 *vals, *percpu, out[SW_COUNTERS];

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: creating a BPF map needs root\n");
		skip();
	}
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "sw_test_cnt", sizeof(__u32),
			    sizeof(__u64), SW_COUNTER_SLOTS, NULL);
	assert_true(fd >= 0);
	vals = calloc(nr_cpus, sizeof(*vals));
	assert_non_null(vals);
	for (__u32 key = 0; key < SW_COUNTER_SLOTS; key++) {
		for (int c = 0; c < nr_cpus; c++)
			vals[c] = (key + 1) * 100 + c;
		assert_int_equal(bpf_map_update_elem(fd, &key, vals, 0), 0);
	}
	assert_int_equal(sw_read_counters(fd, nr_cpus, out, NULL), 0);
	/* each slot summed over CPUs: n * (key + 1) * 100 + n * (n - 1) / 2 */
#define SUM(key) ((__u64)nr_cpus * ((key) + 1) * 100 + (__u64)nr_cpus * (nr_cpus - 1) / 2)
	assert_int_equal(out[SW_CNT_IPI_SENT], SUM(SW_CNT_IPI_SENT) + SUM(SW_CNT_IPI_SENT_MASK));
	assert_int_equal(out[SW_CNT_IPI_UNSAMPLED],
			 SUM(SW_CNT_IPI_UNSAMPLED) + SUM(SW_CNT_IPI_UNSAMPLED_IRQ));
	assert_int_equal(out[SW_CNT_STOPS], SUM(SW_CNT_STOPS));
	assert_int_equal(out[SW_CNT_TRACE_DROPS], SUM(SW_CNT_TRACE_DROPS));
#undef SUM
	/* per CPU (live -C), folded the same way; stale values are overwritten */
	percpu = malloc(nr_cpus * SW_COUNTERS * sizeof(*percpu));
	assert_non_null(percpu);
	memset(percpu, 0xff, nr_cpus * SW_COUNTERS * sizeof(*percpu));
	assert_int_equal(sw_read_counters(fd, nr_cpus, out, percpu), 0);
	for (int c = 0; c < nr_cpus; c++) {
		__u64 *p = &percpu[c * SW_COUNTERS];

		assert_int_equal(p[SW_CNT_IPI_SENT], (SW_CNT_IPI_SENT + 1) * 100 + c +
						     (SW_CNT_IPI_SENT_MASK + 1) * 100 + c);
		assert_int_equal(p[SW_CNT_IPI_UNSAMPLED], (SW_CNT_IPI_UNSAMPLED + 1) * 100 + c +
							  (SW_CNT_IPI_UNSAMPLED_IRQ + 1) * 100 + c);
		assert_int_equal(p[SW_CNT_STOPS], (SW_CNT_STOPS + 1) * 100 + c);
		assert_int_equal(p[SW_CNT_TRACE_DROPS], (SW_CNT_TRACE_DROPS + 1) * 100 + c);
	}
	free(percpu);
	free(vals);
	close(fd);
}

/* ---- masks ---- */

static void test_mask_roundtrip(void **state)
{
	const char *lists[] = { "", "0", "1-3", "0,2,4-7,63-65,255", "5\n" };
	__u64 m[SW_MASK_WORDS];
	struct sw_cpuset s;
	char buf[256];

	(void)state;
	for (unsigned int i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s", lists[i]);
		want[strcspn(want, "\n")] = '\0';
		assert_int_equal(sw_mask_parse(lists[i], m, SW_MAX_CPUS), 0);
		sw_cpuset_from_words(&s, m, SW_MASK_WORDS);
		assert_int_equal(sw_cpuset_format(&s, buf, sizeof(buf)), (int)strlen(want));
		assert_string_equal(buf, want);
	}
	assert_int_not_equal(sw_mask_parse("3-1", m, SW_MAX_CPUS), 0);
	assert_int_not_equal(sw_mask_parse("1-", m, SW_MAX_CPUS), 0);
	assert_int_not_equal(sw_mask_parse("x", m, SW_MAX_CPUS), 0);
	assert_int_not_equal(sw_mask_parse("8192", m, SW_MAX_CPUS), 0);
	assert_int_not_equal(sw_mask_parse("1;2", m, SW_MAX_CPUS), 0);
	assert_int_not_equal(sw_mask_parse("1,", m, SW_MAX_CPUS), 0);
	/* a CPU past the bound asked for: refused, and the mask left empty */
	assert_int_not_equal(sw_mask_parse("0-4", m, 4), 0);
	assert_false(sw_mask_test(m, 0));
	assert_int_equal(sw_mask_parse("0-3", m, 4), 0);
	assert_true(sw_mask_test(m, 3) && !sw_mask_test(m, 4));
}

/* ---- records ---- */

/* 4 CPUs, initiator 0; CPU 2 wedged until the NMI rung 1 s later. */
static void escalated_record(struct sw_stop_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = 1;
	r->kind = SW_KIND_STOP;
	r->initiator = 0;
	r->nr_cpus = 4;
	r->state = SW_REC_DONE;
	r->t_start = 1000000000ULL;
	r->t_end = r->t_start + 1012000000ULL;
	sw_mask_parse("0-3", r->online, 4);
	r->t_fire[SW_RUNG_IPI - 1] = r->t_start + 2000;
	sw_mask_parse("1-3", r->target[SW_RUNG_IPI - 1], 4);
	r->t_fire[SW_RUNG_NMI - 1] = r->t_start + 1000000000ULL;
	sw_mask_parse("2", r->target[SW_RUNG_NMI - 1], 4);
	r->cpu[1] = (struct sw_cpu_stop){ r->t_start + 12000, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[3] = (struct sw_cpu_stop){ r->t_start + 15000, SW_RUNG_IPI, SW_IRQS_ENABLED };
	r->cpu[2] = (struct sw_cpu_stop){ r->t_start + 1000030000ULL, SW_RUNG_NMI, SW_IRQS_MASKED };
}

/* The derived facts of a wire record, through the one decoder. */
static struct sw_stop *decode(const struct sw_stop_record *r)
{
	struct sw_record_meta m = { .source = SW_SRC_BPF, .exact = true };
	struct sw_stop *s = sw_stop_from_wire(&m, r);

	assert_non_null(s);
	return s;
}

static enum sw_outcome sw_record_outcome(const struct sw_stop_record *r)
{
	struct sw_stop *s = decode(r);
	enum sw_outcome o = sw_stop_outcome(s);

	sw_stop_free(s);
	return o;
}

static void test_outcomes(void **state)
{
	struct sw_stop_record r;
	char buf[64];

	(void)state;
	escalated_record(&r);
	assert_int_equal(sw_record_outcome(&r), SW_OUT_ESCALATED);
	{
		struct sw_stop *d = decode(&r);

		assert_int_equal(sw_stop_top_rung(d), SW_RUNG_NMI);
		sw_stop_free(d);
	}
	/* CPU 2 never answers: failed, and listed as never stopped */
	r.cpu[2].rung = SW_RUNG_NONE;
	assert_int_equal(sw_record_outcome(&r), SW_OUT_FAILED);
	{
		struct sw_stop *d = decode(&r);
		struct sw_cpuset never;

		assert_true(sw_stop_never_stopped(d, &never));
		sw_cpuset_format(&never, buf, sizeof(buf));
		assert_string_equal(buf, "2");
		sw_stop_free(d);
	}
	/* only the IPI rung, every CPU answered */
	escalated_record(&r);
	r.t_fire[SW_RUNG_NMI - 1] = 0;
	memset(r.target[SW_RUNG_NMI - 1], 0, sizeof(r.target[0]));
	r.cpu[2].rung = SW_RUNG_IPI;
	assert_int_equal(sw_record_outcome(&r), SW_OUT_CLEAN);
	/* a reboot still running with CPUs to go: no verdict */
	r.state = SW_REC_RUNNING;
	r.t_end = 0;
	r.cpu[3].rung = SW_RUNG_NONE;
	assert_int_equal(sw_record_outcome(&r), SW_OUT_INCOMPLETE);
	/* a single-CPU system has nothing to stop */
	memset(&r, 0, sizeof(r));
	r.seq = 1;
	r.kind = SW_KIND_STOP;
	r.nr_cpus = 1;
	r.state = SW_REC_DONE;
	sw_mask_parse("0", r.online, 1);
	assert_int_equal(sw_record_outcome(&r), SW_OUT_NOOP);
}

struct print_arg {
	struct sw_record_meta m;
	struct sw_stop_record r;
};

static void print_json(FILE *f, void *arg)
{
	struct print_arg *a = arg;
	struct sw_stop *s = sw_stop_from_wire(&a->m, &a->r);

	sw_stop_print_json(f, s);
	sw_stop_free(s);
}

static void print_text(FILE *f, void *arg)
{
	struct print_arg *a = arg;
	struct sw_stop *s = sw_stop_from_wire(&a->m, &a->r);

	sw_stop_print_text(f, s, false);
	sw_stop_free(s);
}

static void test_record_json_schema(void **state)
{
	struct print_arg a = { .m = { .source = SW_SRC_VMCORE, .exact = true,
				      .boot_id = "6a66884a-d058-4bcf-9108-0f6e7296f024" } };
	char *out;

	(void)state;
	escalated_record(&a.r);
	out = capture(print_json, &a);
	/* one line, the documented fields and rung names */
	assert_non_null(strstr(out, "\"schema\":\"stopwatch.stop/2\""));
	assert_non_null(strstr(out, "\"source\":\"vmcore\""));
	assert_non_null(strstr(out, "\"kind\":\"stop\""));
	assert_non_null(strstr(out, "\"outcome\":\"escalated\""));
	assert_non_null(strstr(out, "{\"rung\":\"nmi\",\"fired_us\":1000000.000,\"targets\":\"2\"}"));
	assert_non_null(strstr(out, "{\"cpu\":2,\"rung\":\"nmi\",\"at_us\":1000030.000,"
				    "\"ack_us\":30.000,\"irqs\":\"masked\",\"dump_regs\":null,"
				    "\"sdei_end\":null,\"capture_can_reonline\":null}"));
	assert_non_null(strstr(out, "{\"cpu\":1,\"rung\":\"ipi\",\"at_us\":12.000,\"ack_us\":10.000"));
	assert_non_null(strstr(out, "\"never_stopped\":\"\""));
	assert_non_null(strstr(out, "\"duration_us\":1012000.000"));
	assert_int_equal(strcspn(out, "\n"), strlen(out) - 1);
	free(out);
	out = capture(print_text, &a);
	assert_non_null(strstr(out, "rung nmi  fired at +1000.000 ms to CPUs 2"));
	assert_non_null(strstr(out, "\n  duration 1012.000 ms\n"));
	assert_non_null(strstr(out, "\n  CPUs 1,3 ipi (times below), irqs enabled\n"));
	assert_non_null(strstr(out, "\n  2     nmi     at +1000.030 ms                    30.0 masked\n"));
	assert_non_null(strstr(out, "never stopped: none"));
	free(out);
}

/* JSON microseconds come from integers: the same text as "%.3f", negative ones too. */
static void test_record_json_us_exact(void **state)
{
	struct print_arg a = { .m = { .source = SW_SRC_BPF, .exact = true } };
	char *out, want[64];

	(void)state;
	escalated_record(&a.r);
	/* CPU 1's handler 1 ns before the stop began (clocks of two CPUs): -0.001 */
	a.r.cpu[1].t_handler = a.r.t_start - 1;
	a.r.t_fire[0] = a.r.t_start + 1234567;
	a.r.t_end = a.r.t_start + 999;
	out = capture(print_json, &a);
	snprintf(want, sizeof(want), "\"at_us\":%.3f,", -1 / 1000.0);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"at_us\":-0.001,"));
	snprintf(want, sizeof(want), "\"fired_us\":%.3f,", 1234567 / 1000.0);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"duration_us\":0.999,"));
	free(out);
}

/* Torn stores (found by tests/fuzz/fuzz_store.c): bounded printing, no bogus wall clock. */
static int print_one(void *ctx, const struct sw_stop *s)
{
	return sw_stop_print_json(ctx, s);
}

static void print_store(FILE *f, void *arg)
{
	struct sw_record_meta m = { .source = SW_SRC_BPF };

	sw_store_meta(arg, &m);
	assert_int_equal(sw_store_walk(arg, &m, print_one, f), 2);
}

static void test_store_torn(void **state)
{
	struct sw_store *st = calloc(1, sizeof(*st));
	struct print_arg a = { .m = { .source = SW_SRC_VMCORE } };
	char *out;

	(void)state;
	/* next_seq at the top of the range: the ring's last slots, then stop (no wrap) */
	st->hdr.next_seq = UINT64_MAX;
	st->rec[(UINT64_MAX - 1) % SW_STOP_SLOTS].seq = UINT64_MAX;
	st->rec[(UINT64_MAX - 8) % SW_STOP_SLOTS].seq = UINT64_MAX - 7;
	/* clocks whose difference overflows: offset unknown, so no "start" */
	st->hdr.armed_real_ns = (__u64)INT64_MAX;
	st->hdr.armed_mono_ns = (__u64)INT64_MIN;
	for (int i = 0; i < SW_STOP_SLOTS; i++)
		st->rec[i].t_start = 5;
	out = capture(print_store, st);
	assert_non_null(strstr(out, "\"start\":null"));
	assert_non_null(strstr(out, "\"seq\":18446744073709551615,"));
	assert_non_null(strstr(out, "\"seq\":18446744073709551608,"));
	free(out);
	/* a record time that overflows the wall clock: printed without one */
	a.m.mono_to_real_ns = INT64_MAX - 10;
	a.r.t_start = 100;
	out = capture(print_json, &a);
	assert_non_null(strstr(out, "\"start\":null"));
	free(out);
	a.r.t_start = (__u64)INT64_MAX + 1;
	out = capture(print_text, &a);
	assert_null(strstr(out, "started"));
	free(out);
	/* and one that does not: the wall clock is there */
	a.m.mono_to_real_ns = 1763700000000000000LL;
	a.r.t_start = 1000;
	out = capture(print_json, &a);
	assert_non_null(strstr(out, "\"start\":\"2025-11-21T"));
	free(out);
	free(st);
}

/* A rejected store's error is one printable line, whatever its version bytes hold. */
static void test_store_check_error(void **state)
{
	size_t size = sw_store_size(2);
	unsigned char *buf = calloc(1, size);
	struct sw_store_hdr *h = (void *)buf;
	char err[256];

	(void)state;
	h->magic = SW_STORE_MAGIC;
	h->layout = SW_LAYOUT_VERSION;
	h->size = size;
	h->nr_cpus = 2;
	h->nr_slots = SW_STOP_SLOTS;
	h->page_size = 4096;
	h->nr_pages = 1;
	h->build_id = ~sw_build_id();
	memcpy(h->version, "v1\nEVIL\033[31m", 13);
	h->hdr_csum = crc32(0, buf, offsetof(struct sw_store_hdr, hdr_csum));
	assert_int_equal(sw_store_check(buf, size, err, sizeof(err)), SW_EXIT_STALE);
	assert_string_equal(err, "pinned by another stopwatch build (v1?EVIL?[31m)");
	memset(h->version, 'x', sizeof(h->version));	/* no NUL at all */
	h->build_id = sw_build_id();
	h->hdr_csum = crc32(0, buf, offsetof(struct sw_store_hdr, hdr_csum));
	assert_int_equal(sw_store_check(buf, size, err, sizeof(err)), 0);
	/* cut short: the map is smaller than the header says */
	assert_int_equal(sw_store_check(buf, size - 8, err, sizeof(err)), SW_EXIT_STALE);
	assert_non_null(strstr(err, "cut short"));
	h->layout = 7;
	h->hdr_csum = crc32(0, buf, offsetof(struct sw_store_hdr, hdr_csum));
	assert_int_equal(sw_store_check(buf, size, err, sizeof(err)), SW_EXIT_STALE);
	assert_null(strchr(err, '\n'));
	assert_string_equal(err, "record store of layout 7, which this stopwatch (layouts 1 to 3) "
			    "does not read");
	h->magic = 0;
	assert_int_equal(sw_store_check(buf, size, err, sizeof(err)), SW_EXIT_DATA);
	assert_string_equal(err, "not a stopwatch record store (bad magic)");
	free(buf);
}

/*
 * Event rings: one per CPU of a power-of-two size between a page and 64 KiB,
 * and, counting the kernel's 3 pages of each, never more than 4 MiB in all.
 */
static void test_event_rings(void **state)
{
	static const struct { int cpus; long page; __u32 budget; int rings; __u32 size; } t[] = {
		{ 0, 4096, SW_RING_BUDGET, 1, 64 << 10 },	/* libbpf could not count: one ring */
		{ 1, 4096, SW_RING_BUDGET, 1, 64 << 10 },
		{ 2, 4096, SW_RING_BUDGET, 2, 64 << 10 },
		{ 4, 65536, SW_RING_BUDGET, 4, 64 << 10 },
		{ 48, 4096, SW_RING_BUDGET, 48, 64 << 10 },
		{ 64, 4096, SW_RING_BUDGET, 64, 32 << 10 },
		{ 100, 4096, SW_RING_BUDGET, 100, 16 << 10 },
		{ 256, 4096, SW_RING_BUDGET, 256, 4 << 10 },
		{ 4096, 4096, SW_RING_BUDGET, 256, 4 << 10 },	/* more CPUs than rings share */
		{ 160, 65536, SW_RING_BUDGET, 16, 64 << 10 },	/* 64 KiB pages: rings are shared */
		{ 1, 1 << 22, SW_RING_BUDGET, 1, 1 << 22 },	/* a page over the budget: still one */
		/* arm's unread rings: the same on a small host, bounded on a big one */
		{ 2, 4096, SW_RING_BUDGET_ARMED, 2, 64 << 10 },
		{ 8, 4096, SW_RING_BUDGET_ARMED, 8, 16 << 10 },
		{ 1024, 4096, SW_RING_BUDGET_ARMED, 16, 4 << 10 },
		{ 8192, 65536, SW_RING_BUDGET_ARMED, 1, 64 << 10 },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rings;
		__u32 size;

		sw_event_rings(t[i].cpus, t[i].page, t[i].budget, &rings, &size);
		if (rings != t[i].rings || size != t[i].size)
			fail_msg("%d CPUs, %ld-byte pages: %d rings of %u, want %d of %u", t[i].cpus,
				 t[i].page, rings, size, t[i].rings, t[i].size);
		assert_true(rings <= SW_MAX_RINGS && size >= t[i].page && !(size & (size - 1)));
		assert_true((__u64)rings * (size + 3 * t[i].page) <= t[i].budget || rings == 1);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sw_rung_name(SW_RUNG_SDEI), "sdei");
	assert_string_equal(sw_rung_name(SW_RUNG_SELF), "self");
	assert_string_equal(sw_rung_name(SW_RUNG_NONE), "none");
	assert_string_equal(sw_rung_name(99), "invalid");
	for (int r = 0; r < SW_RUNG_COUNT; r++)
		assert_int_equal(sw_rung_parse(sw_rung_name(r)), r);
	assert_int_equal(sw_rung_parse("bogus"), -1);
	assert_string_equal(sw_kind_name(SW_KIND_CRASH), "crash");
}

/* ---- the attach plan against fake kernels ---- */

struct fake {
	const char *const *funcs;	/* BTF FUNCs */
	const char *const *tps;		/* btf_trace_* */
	const char *const *events;	/* tracefs cat/event */
};

static bool in(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static bool fake_func(void *ctx, const char *n) { return in(((struct fake *)ctx)->funcs, n); }
static bool fake_tp(void *ctx, const char *n) { return in(((struct fake *)ctx)->tps, n); }
static bool fake_ev(void *ctx, const char *n) { return in(((struct fake *)ctx)->events, n); }

static const struct sw_choice *choice(const struct sw_plan *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->c[i].pt->name, name))
			return &p->c[i];
	return NULL;
}

static const char *const arm_stock_funcs[] = { "smp_send_stop", "crash_smp_send_stop",
	"local_cpu_stop", "panic_smp_self_stop", "sdei_event_handler",
	"printk_legacy_allow_panic_sync", NULL };
static const char *const arm_series_funcs[] = { "smp_send_stop", "crash_smp_send_stop",
	"panic_smp_self_stop", "arm64_nmi_cpu_stop", "sdei_nmi_stop_cpus",
	"sdei_nmi_trigger_cpumask_backtrace", "sdei_nmi_handler", "sdei_event_handler", NULL };
static const char *const arm_tps[] = { "ipi_raise", "ipi_entry", NULL };
static const char *const x86_funcs[] = { "native_stop_other_cpus", "stop_this_cpu",
	"smp_stop_nmi_callback", "crash_nmi_callback", "nmi_shootdown_cpus",
	"crash_smp_send_stop", "__register_nmi_handler", "vpanic", NULL };
static const char *const x86_tps[] = { "ipi_send_cpu", "ipi_send_cpumask", "reschedule_entry",
	"call_function_entry", "call_function_single_entry", "sched_wake_idle_without_ipi", NULL };
static const char *const x86_events[] = { "ipi/ipi_send_cpu", "irq_vectors/reschedule_entry", NULL };

static struct sw_kernel kernel(unsigned int arch, struct fake *f, bool btf, bool fentry, bool kprobes)
{
	return (struct sw_kernel){ .arch = arch, .btf = btf, .fentry = fentry, .kprobes = kprobes,
				   .ctx = f, .btf_func = fake_func, .btf_tp = fake_tp,
				   .tracefs_event = fake_ev };
}

static void test_plan_arm64_stock(void **state)
{
	struct fake f = { arm_stock_funcs, arm_tps, NULL };
	struct sw_kernel k = kernel(SW_ARCH_ARM64, &f, true, true, true);
	struct sw_plan p;
	char why[256];

	(void)state;
	sw_plan_make(&p, &k, SW_GROUP_STOP | SW_GROUP_LIVE);
	assert_int_equal(choice(&p, "smp_send_stop")->status, SW_ST_PLANNED);
	assert_int_equal(p.c[choice(&p, "smp_send_stop") - p.c].pt->v[choice(&p, "smp_send_stop")->variant].method, SW_FENTRY);
	assert_int_equal(choice(&p, "ipi_raise")->status, SW_ST_PLANNED);
	/* x86 points do not appear on arm64 */
	assert_null(choice(&p, "native_stop_other_cpus"));
	/* no series: no SDEI rung, and the reason says so */
	assert_false(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));
	assert_non_null(strstr(why, "kernel lacks the SDEI NMI series"));
	/* the generic SDEI dispatcher is the event-0 handler point's fallback */
	assert_string_equal(choice(&p, "sdei_event0_handler")->target, "sdei_event_handler");
	/* pseudo-NMI off: no NMI rung, with the boot parameter to use */
	assert_false(sw_plan_rung_available(&p, &k, SW_RUNG_NMI, why, sizeof(why)));
	assert_non_null(strstr(why, "irqchip.gicv3_pseudo_nmi=1"));
	assert_true(sw_plan_rung_available(&p, &k, SW_RUNG_IPI, why, sizeof(why)));
	/* the panic marker: variadic panic is skipped for fentry, the 6.12 marker is used */
	assert_string_equal(choice(&p, "panic")->target, "printk_legacy_allow_panic_sync");
}

static void test_plan_arm64_series(void **state)
{
	struct fake f = { arm_series_funcs, arm_tps, NULL };
	struct sw_kernel k = kernel(SW_ARCH_ARM64, &f, true, true, false);
	struct sw_plan p;
	char why[256];

	(void)state;
	k.pseudo_nmi = true;
	sw_plan_make(&p, &k, SW_GROUP_STOP | SW_GROUP_LIVE);
	assert_true(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));
	assert_true(sw_plan_rung_available(&p, &k, SW_RUNG_NMI, why, sizeof(why)));
	assert_string_equal(choice(&p, "sdei_event0_handler")->target, "sdei_nmi_handler");
	assert_int_equal(choice(&p, "arm64_nmi_cpu_stop")->status, SW_ST_PLANNED);
	/* folded away by the series, and said why */
	assert_int_equal(choice(&p, "local_cpu_stop")->status, SW_ST_UNAVAILABLE);
	assert_non_null(strstr(choice(&p, "local_cpu_stop")->why, "folded into arm64_nmi_cpu_stop"));
	/* no kprobes: nothing to fall back to */
	assert_false(choice(&p, "smp_send_stop")->kprobe_fallback);
}

static void test_plan_x86_fallbacks(void **state)
{
	struct fake f = { x86_funcs, x86_tps, x86_events };
	struct sw_kernel k = kernel(SW_ARCH_X86, &f, true, true, true);
	struct sw_plan p;
	const struct sw_choice *c;
	char why[256];

	(void)state;
	sw_plan_make(&p, &k, SW_GROUP_STOP | SW_GROUP_LIVE);
	c = choice(&p, "stop_this_cpu");
	assert_int_equal(c->pt->v[c->variant].method, SW_FENTRY);
	assert_true(c->kprobe_fallback);
	assert_int_equal(choice(&p, "ipi_send_cpu")->pt->v[choice(&p, "ipi_send_cpu")->variant].method,
			 SW_RAW_TP);
	assert_false(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));
	/* kernel refuses trampolines (this CI host): kprobes take over */
	k = kernel(SW_ARCH_X86, &f, true, false, true);
	sw_plan_make(&p, &k, SW_GROUP_STOP);
	c = choice(&p, "native_stop_other_cpus");
	assert_int_equal(c->pt->v[c->variant].method, SW_KPROBE);
	c = choice(&p, "native_stop_other_cpus:return");
	assert_int_equal(c->pt->v[c->variant].method, SW_KRETPROBE);
	/* live points were not asked for */
	assert_int_equal(choice(&p, "ipi_send_cpu")->status, SW_ST_SKIPPED);
	/* no fentry, no kprobes: stop points unavailable, and said why */
	k = kernel(SW_ARCH_X86, &f, true, false, false);
	sw_plan_make(&p, &k, SW_GROUP_STOP | SW_GROUP_LIVE);
	c = choice(&p, "stop_this_cpu");
	assert_int_equal(c->status, SW_ST_UNAVAILABLE);
	assert_non_null(strstr(c->why, "refuses fentry"));
	assert_int_equal(choice(&p, "reschedule_entry")->status, SW_ST_PLANNED);
	/* no BTF: classic tracepoints where tracefs has them, nothing else */
	k = kernel(SW_ARCH_X86, &f, false, false, false);
	sw_plan_make(&p, &k, SW_GROUP_LIVE);
	c = choice(&p, "ipi_send_cpu");
	assert_int_equal(c->pt->v[c->variant].method, SW_TRACEPOINT);
	assert_string_equal(c->target, "ipi/ipi_send_cpu");
	assert_int_equal(choice(&p, "ipi_send_cpumask")->status, SW_ST_UNAVAILABLE);
	assert_non_null(strstr(choice(&p, "ipi_send_cpumask")->why, "no vmlinux BTF"));
}

static void test_point_table(void **state)
{
	(void)state;
	/* every point has a form, names are unique, programs follow the naming */
	for (int i = 0; i < sw_nr_points; i++) {
		const struct sw_point *pt = &sw_points[i];

		assert_non_null(pt->v[0].prog);
		assert_non_null(pt->v[0].targets[0]);
		for (int j = i + 1; j < sw_nr_points; j++)
			assert_string_not_equal(pt->name, sw_points[j].name);
		for (int v = 0; v < SW_MAX_VARIANTS && pt->v[v].prog; v++) {
			const char *prefix = pt->v[v].method == SW_FENTRY ? "fentry_" :
					     pt->v[v].method == SW_KPROBE ? "kprobe_" :
					     pt->v[v].method == SW_FEXIT ? "fexit_" :
					     pt->v[v].method == SW_KRETPROBE ? "kretprobe_" :
					     pt->v[v].method == SW_TP_BTF ? "tpbtf_" :
					     pt->v[v].method == SW_RAW_TP ? "rawtp_" : "tp_";
			assert_int_equal(strncmp(pt->v[v].prog, prefix, strlen(prefix)), 0);
		}
	}
	assert_true(sw_nr_points <= SW_MAX_POINTS);
}

/* ---- argument parsing ---- */

static void test_parse_numbers(void **state)
{
	double d;
	long l;

	(void)state;
	assert_int_equal(sw_parse_double("1.5", 0.01, 10, &d), 0);
	assert_true(d == 1.5);
	assert_int_not_equal(sw_parse_double("", 0.01, 10, &d), 0);
	assert_int_not_equal(sw_parse_double("nan", 0.01, 10, &d), 0);
	assert_int_not_equal(sw_parse_double("1x", 0.01, 10, &d), 0);
	assert_int_not_equal(sw_parse_double("0", 0.01, 10, &d), 0);
	assert_int_not_equal(sw_parse_double("1e999", 0.01, 10, &d), 0);
	assert_int_equal(sw_parse_long("10", 1, 100, &l), 0);
	assert_int_not_equal(sw_parse_long("-1", 1, 100, &l), 0);
	assert_int_not_equal(sw_parse_long("99999999999999999999", 1, 100, &l), 0);
}

static void test_parse_fuzz(void **state)
{
	unsigned int seed = 12345;
	char buf[32];
	__u64 mask[SW_MASK_WORDS];
	enum sw_format fmt;
	double d;
	long l;

	(void)state;
	/* random bytes into every parser: no crash, and any success is in range */
	for (int i = 0; i < 200000; i++) {
		int n = rand_r(&seed) % (sizeof(buf) - 1);

		for (int j = 0; j < n; j++) {
			static const char alphabet[] = "0123456789-,.eExn \n\t+;:abcdef";

			buf[j] = rand_r(&seed) % 4 ? alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]
						   : (char)rand_r(&seed);
		}
		buf[n] = '\0';
		if (sw_parse_double(buf, 0.01, 86400, &d) == 0)
			assert_true(d >= 0.01 && d <= 86400);
		if (sw_parse_long(buf, 1, 1000, &l) == 0)
			assert_true(l >= 1 && l <= 1000);
		if (sw_mask_parse(buf, mask, 8) == 0)
			for (int c = 8; c < SW_MAX_CPUS; c++)
				assert_false(sw_mask_test(mask, c));
		sw_parse_format(buf, &fmt);
		sw_rung_parse(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_slot_in_bounds),
		cmocka_unit_test(test_hist_slot_log2_us_exact),
		cmocka_unit_test(test_hist_slots_contiguous),
		cmocka_unit_test(test_loglinear_width),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_hist_delta),
		cmocka_unit_test(test_openmetrics_hist),
		cmocka_unit_test(test_openmetrics_exposition),
		cmocka_unit_test(test_mask_roundtrip),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_record_json_schema),
		cmocka_unit_test(test_record_json_us_exact),
		cmocka_unit_test(test_store_torn),
		cmocka_unit_test(test_store_check_error),
		cmocka_unit_test(test_event_rings),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_plan_arm64_stock),
		cmocka_unit_test(test_plan_arm64_series),
		cmocka_unit_test(test_plan_x86_fallbacks),
		cmocka_unit_test(test_point_table),
		cmocka_unit_test(test_counters_fold),
		cmocka_unit_test(test_openmetrics_per_cpu_counters),
		cmocka_unit_test(test_openmetrics_per_cpu_hist),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
