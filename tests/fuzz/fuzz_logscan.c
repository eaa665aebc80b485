// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for sw_logscan_buffer(): any bytes in, records out, each
 * printed through the real printers so their output paths are exercised.
 * Built and run by `make fuzz` / `make fuzz-check` (docs/fuzzing.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "logscan.h"

static FILE *sink;

static void emit(void *ctx, const struct sw_record_meta *m, const struct sw_stop_record *r)
{
	(*(int *)ctx)++;
	if (r->kind >= SW_KIND_COUNT || r->state > SW_REC_DONE || r->nr_cpus > SW_MAX_CPUS)
		abort();
	for (int c = 0; c < SW_MAX_CPUS; c++)
		if (r->cpu[c].rung >= SW_RUNG_COUNT)
			abort();
	for (const char *p = m->host; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			abort();	/* the JSON printer does not escape */
	sw_record_print_json(sink, m, r);
	sw_record_print_text(sink, m, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n = 0, ret;

	if (!sink)
		sink = fopen("/dev/null", "w");
	/* the first byte picks a default host, so its handling is fuzzed too */
	ret = sw_logscan_buffer((const char *)data, size, size && data[0] & 1 ? "fz\"h" : NULL,
				emit, &n);
	if (ret != n)
		abort();
	return 0;
}
