// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Text histograms (user/hist.c) against the exact layout of libbpf-tools'
 * print_log2_hist: header, "lo -> hi : count |bar|" rows, column widths,
 * the wide variant, and the bar between two '|'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hist.h"

static char *print(bool loglinear, const struct sw_hist *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	sw_hist_print_text(f, loglinear, h, "title");
	fclose(f);
	return buf;
}

static void add(struct sw_hist *h, bool loglinear, __u64 ns, __u64 n)
{
	h->slots[sw_hist_slot(loglinear, ns)] += n;
	h->count += n;
	h->sum_ns += ns * n;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* The README's sample: log2 us, from slot 0, 40 stars for the largest count. */
static void test_log2_layout(void **unused)
{
	struct sw_hist h = {};
	char *out;

	add(&h, false, 9000, 830);
	add(&h, false, 20000, 250);
	add(&h, false, 40000, 22);
	add(&h, false, 300000, 2);
	add(&h, false, 1100000, 1);
	out = print(false, &h);
	assert_string_equal(out,
		"title\n"
		"     usecs               : count    distribution\n"
		"         0 -> 0          : 0        |                                        |\n"
		"         1 -> 1          : 0        |                                        |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 0        |                                        |\n"
		"         8 -> 15         : 830      |****************************************|\n"
		"        16 -> 31         : 250      |************                            |\n"
		"        32 -> 63         : 22       |*                                       |\n"
		"        64 -> 127        : 0        |                                        |\n"
		"       128 -> 255        : 0        |                                        |\n"
		"       256 -> 511        : 2        |                                        |\n"
		"       512 -> 1023       : 0        |                                        |\n"
		"      1024 -> 2047       : 1        |                                        |\n"
		"     count 1105  avg 13.6 us  p50 13.3 us  p99 52.3 us  max 1100.0 us\n");
	free(out);
}

/* Log-linear ns buckets: inclusive bounds in us to the ns, from the first used slot. */
static void test_loglinear_layout(void **unused)
{
	struct sw_hist h = {};
	char *out;

	add(&h, true, 1000, 4);
	add(&h, true, 1300, 2);
	out = print(true, &h);
	assert_string_equal(out,
		"title\n"
		"     usecs               : count    distribution\n"
		"     0.896 -> 1.023      : 4        |****************************************|\n"
		"     1.024 -> 1.279      : 0        |                                        |\n"
		"     1.280 -> 1.535      : 2        |********************                    |\n"
		"     count 6  avg 1.1 us  p50 1.0 us  p99 1.3 us  max 1.3 us\n");
	free(out);
}

/* A bound longer than 10 characters: libbpf-tools' wide rows (20, 15/29, 20 stars). */
static void test_wide_layout(void **unused)
{
	struct sw_hist h = {};
	char *out, *line;

	add(&h, true, 20000000000ULL, 1);	/* 20 s in ns: "17179869.184 -> ..." */
	out = print(true, &h);
	line = strchr(out, '\n') + 1;
	assert_memory_equal(line, "               usecs                         : count    distribution\n",
			    strlen("               usecs                         : count    distribution\n"));
	line = strchr(line, '\n') + 1;
	assert_memory_equal(line, "        17179869.184 -> 21474836.479         : 1        |********************|\n",
			    strlen("        17179869.184 -> 21474836.479         : 1        |********************|\n"));
	free(out);
}

/* Every row's bar starts under "distribution" and ends at one column, whatever the counts. */
static void test_columns_aligned(void **unused)
{
	struct sw_hist h = {};
	char *out, *line, *save = NULL;
	long bar_at = -1, end_at = -1;
	int rows = 0;

	add(&h, false, 1500, 12345678);
	add(&h, false, 3000, 7);
	add(&h, false, 70000, 123);
	out = print(false, &h);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "distribution")) {
			bar_at = strstr(line, "distribution") - line;
			continue;
		}
		if (!strstr(line, " -> "))
			continue;
		assert_int_equal(strchr(line, '|') - line, bar_at);
		if (end_at < 0)
			end_at = strrchr(line, '|') - line;
		assert_int_equal(strrchr(line, '|') - line, end_at);
		assert_int_equal(end_at - bar_at, 41);
		rows++;
	}
	assert_int_equal(rows, 8);	/* slots 0..7: 64 -> 127 us */
	free(out);
}

static void test_empty(void **unused)
{
	struct sw_hist h = {};
	char *out = print(false, &h);

	assert_string_equal(out, "title\n     (no events)\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_layout),
		cmocka_unit_test(test_loglinear_layout),
		cmocka_unit_test(test_wide_layout),
		cmocka_unit_test(test_columns_aligned),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
