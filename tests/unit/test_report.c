// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTML report (user/report.c) on synthetic data: record text escaped,
 * no script, every section there, the heat map binned on a long window of
 * a big machine. (Chromium and html5lib check real reports: tests/state,
 * tests/host.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "report.h"

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_report_sections_escaped_binned(void **unused)
{
	struct sw_wi_data *d = calloc(1, sizeof(*d));
	struct sw_wi_table *t = calloc(1, sizeof(*t));
	struct sw_stop_record *r = calloc(1, sizeof(*r));
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	/* a 300 s window of 200 CPUs: 100 columns of 3 s, 50 rows of 4 CPUs */
	d->in.have_live = true;
	d->live.seconds = 300;
	d->live.nr_cpus = 200;
	d->live.ipi_cpu_sec = calloc(300 * 200, sizeof(struct sw_hist));
	d->live.ipi_cpu_sec[0].slots[sw_hist_slot(true, 5000)] = 1;
	d->live.ipi_cpu_sec[0].count = 1;
	d->live.ipi_cpu_sec[0].max_ns = 5000;
	d->live.total[0] = d->live.ipi_cpu_sec[0];
	/* one record whose boot id would be markup */
	r->kind = SW_KIND_STOP;
	r->nr_cpus = 2;
	r->online[0] = 3;
	r->t_start = 1000;
	r->t_fire[0] = 2000;
	r->target[0][0] = 2;
	r->cpu[1] = (struct sw_cpu_stop){ 3000, SW_RUNG_IPI, SW_IRQS_ENABLED };
	d->recs = calloc(1, sizeof(*d->recs));
	d->recs[0].s = sw_stop_from_wire(&(struct sw_record_meta){ .source = SW_SRC_VMCORE }, r);
	assert_non_null(d->recs[0].s);
	snprintf(d->recs[0].s->meta.boot_id, sizeof(d->recs[0].s->meta.boot_id), "<script>x</script>&");
	d->nrecs = 1;
	d->in.t.stops[SW_KIND_STOP][SW_OUT_CLEAN] = 1;
	t->source = "live";
	f = open_memstream(&out, &len);
	sw_report_write(f, d, t);
	fclose(f);
	assert_memory_equal(out, "<!DOCTYPE html>", 15);
	assert_null(strstr(out, "<script"));
	assert_non_null(strstr(out, "&lt;script&gt;x&lt;/script&gt;&amp;"));
	for (const char *const *h = (const char *const[]){ "Delivery and ack latency",
			"Escalation delay", "IPI delivery latency per CPU", "What if the stop IPI",
			"Stops recorded", NULL }; *h; h++)
		if (!strstr(out, *h))
			fail_msg("no section %s", *h);
	assert_int_equal(count(out, "<title>CPU "), 100 * 50);
	assert_non_null(strstr(out, "<title>CPU 0-3, second 1-3: 1 IPIs, p99 5"));
	assert_non_null(strstr(out, "<title>CPU 196-199, second 298-300: 0 IPIs"));
	assert_int_equal(count(out, "<svg "), 2);	/* CDF and heat map; no escalation */
	assert_memory_equal(out + len - 16, "</body>\n</html>\n", 16);
	free(out);
	free(d->live.ipi_cpu_sec);
	sw_stop_free(d->recs[0].s);
	free(d->recs);
	free(d);
	free(t);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_sections_escaped_binned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
