// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The exposition model: export buckets from the fine slots (exactly: a slot
 * counts under a bound only when all its values fit), the two renderings of
 * one model, label escaping, Accept negotiation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "expo.h"

static const struct sw_expo_buckets *const all_buckets[] = {
	&sw_buckets_delivery, &sw_buckets_ack, &sw_buckets_escalation,
};

/* Every set: ascending powers of two ns, within the cap of ~20-30 buckets. */
static void test_bucket_sets(void **st)
{
	for (size_t i = 0; i < sizeof(all_buckets) / sizeof(all_buckets[0]); i++) {
		const struct sw_expo_buckets *b = all_buckets[i];

		assert_true(b->n >= 8 && b->n <= 30);
		for (unsigned int j = 0; j < b->n; j++) {
			assert_int_equal(b->le_ns[j] & (b->le_ns[j] - 1), 0);
			if (j)
				assert_true(b->le_ns[j] > b->le_ns[j - 1]);
		}
	}
	/* the ranges the metrics need */
	assert_true(sw_buckets_delivery.le_ns[0] <= 1100 &&
		    sw_buckets_delivery.le_ns[sw_buckets_delivery.n - 1] >= 1000000000ULL);
	assert_true(sw_buckets_ack.le_ns[0] <= 1100 &&
		    sw_buckets_ack.le_ns[sw_buckets_ack.n - 1] >= 10000000000ULL);
	assert_true(sw_buckets_escalation.le_ns[0] <= 1100000 &&
		    sw_buckets_escalation.le_ns[sw_buckets_escalation.n - 1] >= 10000000000ULL);
}

static const struct sw_metric_desc hist_desc = {
	"t_seconds", SW_METRIC_HISTOGRAM, "seconds", "test", &sw_buckets_ack,
};

/* One observation of @ns: which export buckets count it. */
static void one_value(bool loglinear, __u64 ns, __u64 *cum, unsigned int n)
{
	struct sw_hist h = {};
	struct sw_expo e;
	struct sw_expo_family *f;

	h.slots[sw_hist_slot(loglinear, ns)] = 1;
	h.count = 1;
	h.sum_ns = ns;
	sw_expo_init(&e);
	f = sw_expo_family(&e, &hist_desc);
	sw_expo_hist(&e, f, "", loglinear, &h);
	assert_int_equal(e.err, 0);
	memcpy(cum, f->s[0].cum, (n + 1) * sizeof(*cum));
	sw_expo_free(&e);
}

/*
 * A value is never counted under a bound it exceeds. With log-linear slots
 * (the state's, live -L) every value below a bound is counted under it: the
 * bounds are slot edges; only the value equal to a bound sits in the slot
 * above. With log2 us slots a value may count one bound late, never early.
 */
static void test_bucket_mapping_exact(void **st)
{
	const struct sw_expo_buckets *b = &sw_buckets_ack;
	__u64 cum[SW_EXPO_MAX_BUCKETS + 1];
	__u64 v = 1;

	for (int step = 0; step < 4000; step++, v = v + 1 + v / 97) {
		for (int ll = 0; ll <= 1; ll++) {
			one_value(ll, v, cum, b->n);
			assert_int_equal(cum[b->n], 1);
			for (unsigned int j = 0; j < b->n; j++) {
				if (v > b->le_ns[j])
					assert_int_equal(cum[j], 0);
				if (ll && v < b->le_ns[j])
					assert_int_equal(cum[j], 1);
				if (!ll && v * 2 < b->le_ns[j])
					assert_int_equal(cum[j], 1);
			}
		}
		if (v > (1ULL << 36))
			break;
	}
	/* every log-linear slot lies wholly below or at/above each bound */
	for (unsigned int i = 0; i < SW_HIST_SLOTS; i++) {
		__u64 lo, hi;

		sw_hist_bounds(true, i, &lo, &hi);
		for (unsigned int j = 0; j < b->n; j++)
			assert_true(lo >= b->le_ns[j] || hi <= b->le_ns[j]);
	}
}

static char *render(const struct sw_expo *e, enum sw_expo_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sw_expo_render(f, e, fmt);
	fclose(f);
	return buf;
}

static const struct sw_expo_buckets two = { 2, { 1024, 1ULL << 30 } };
static const struct sw_metric_desc c_desc = { "sw_stops", SW_METRIC_COUNTER, NULL, "stops \\ \"x\"" };
static const struct sw_metric_desc h_desc = { "sw_lat_seconds", SW_METRIC_HISTOGRAM, "seconds",
					      "latency", &two };
static const struct sw_metric_desc empty_desc = { "sw_none", SW_METRIC_COUNTER, NULL, "never" };

static void fill(struct sw_expo *e)
{
	struct sw_hist h = {};
	char l[SW_EXPO_LABELS];

	h.slots[sw_hist_slot(true, 500)] = 2;
	h.slots[sw_hist_slot(true, 5000)] = 1;
	h.count = 3;
	h.sum_ns = 6000;
	sw_expo_init(e);
	assert_int_equal(sw_expo_labels(l, sizeof(l), "kind", "a\"b\\c\nd", NULL), 0);
	sw_expo_counter(e, sw_expo_family(e, &c_desc), l, 7);
	sw_expo_family(e, &empty_desc);
	sw_expo_hist(e, sw_expo_family(e, &h_desc), "", true, &h);
	assert_int_equal(e->err, 0);
}

static void test_render_two_ways(void **st)
{
	struct sw_expo e;
	char *prom, *om;

	fill(&e);
	prom = render(&e, SW_EXPO_PROMETHEUS);
	om = render(&e, SW_EXPO_OPENMETRICS);
	assert_string_equal(prom,
		"# HELP sw_stops_total stops \\\\ \"x\"\n"
		"# TYPE sw_stops_total counter\n"
		"sw_stops_total{kind=\"a\\\"b\\\\c\\nd\"} 7\n"
		"# HELP sw_lat_seconds latency\n"
		"# TYPE sw_lat_seconds histogram\n"
		"sw_lat_seconds_bucket{le=\"0.000001024\"} 2\n"
		"sw_lat_seconds_bucket{le=\"1.073741824\"} 3\n"
		"sw_lat_seconds_bucket{le=\"+Inf\"} 3\n"
		"sw_lat_seconds_count 3\n"
		"sw_lat_seconds_sum 0.000006000\n");
	assert_string_equal(om,
		"# TYPE sw_stops counter\n"
		"# HELP sw_stops stops \\\\ \\\"x\\\"\n"
		"sw_stops_total{kind=\"a\\\"b\\\\c\\nd\"} 7\n"
		"# TYPE sw_lat_seconds histogram\n"
		"# UNIT sw_lat_seconds seconds\n"
		"# HELP sw_lat_seconds latency\n"
		"sw_lat_seconds_bucket{le=\"0.000001024\"} 2\n"
		"sw_lat_seconds_bucket{le=\"1.073741824\"} 3\n"
		"sw_lat_seconds_bucket{le=\"+Inf\"} 3\n"
		"sw_lat_seconds_count 3\n"
		"sw_lat_seconds_sum 0.000006000\n"
		"# EOF\n");
	assert_int_equal(sw_expo_series(&e), 1 + 2 + 3);
	free(prom);
	free(om);
	sw_expo_free(&e);
}

static void test_labels_too_long(void **st)
{
	char small[16], big[64];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sw_expo_labels(small, sizeof(small), "k", big, NULL), -ENAMETOOLONG);
	assert_string_equal(small, "");
	assert_int_equal(sw_expo_labels(small, sizeof(small), "k", "v", NULL), 0);
	assert_string_equal(small, "k=\"v\"");
}

static void test_negotiate(void **st)
{
	static const struct { const char *accept; enum sw_expo_format want; } cases[] = {
		/* what Prometheus 2.42 sends */
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", SW_EXPO_OPENMETRICS },
		{ "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", SW_EXPO_PROMETHEUS },
		{ "application/openmetrics-text", SW_EXPO_OPENMETRICS },
		{ "Application/OpenMetrics-Text; version=0.0.1", SW_EXPO_OPENMETRICS },
		{ NULL, SW_EXPO_PROMETHEUS },
		{ "", SW_EXPO_PROMETHEUS },
		{ "*/*", SW_EXPO_PROMETHEUS },
		{ "application/json", SW_EXPO_PROMETHEUS },
		{ "application/openmetrics-text; version=2.0.0", SW_EXPO_PROMETHEUS },
		{ "text/plain;q=1, application/openmetrics-text;q=0.5", SW_EXPO_PROMETHEUS },
		{ "text/plain;q=0.2, application/openmetrics-text;q=0.9", SW_EXPO_OPENMETRICS },
		{ "application/openmetrics-text;q=0", SW_EXPO_PROMETHEUS },
		{ "application/openmetrics-text;q=nan", SW_EXPO_PROMETHEUS },
		{ ",,;;==;q=;,application/openmetrics-text;;q", SW_EXPO_OPENMETRICS },
	};
	const char *ct;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sw_expo_format got = sw_expo_negotiate(cases[i].accept, &ct);

		if (got != cases[i].want)
			fail_msg("Accept '%s': got %d", cases[i].accept ? cases[i].accept : "(none)", got);
		assert_string_equal(ct, got == SW_EXPO_OPENMETRICS ? SW_CT_OPENMETRICS : SW_CT_PROMETHEUS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_sets),
		cmocka_unit_test(test_bucket_mapping_exact),
		cmocka_unit_test(test_render_two_ways),
		cmocka_unit_test(test_labels_too_long),
		cmocka_unit_test(test_negotiate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
