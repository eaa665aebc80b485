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
#include "print_check.h"

static FILE *sink;

static void emit(void *ctx, const struct sw_stop *r)
{
	(*(int *)ctx)++;
	if (r->kind >= SW_KIND_COUNT || r->state > SW_REC_DONE || !r->nr_cpus ||
	    r->nr_cpus > SW_CPUS_MAX || !r->legacy_v1)
		abort();
	for (unsigned int c = 0; c < r->nr_cpus; c++)
		if (r->cpu[c].rung >= SW_RUNG_COUNT && r->cpu[c].rung != SW_RUNG_UNKNOWN)
			abort();
	fuzz_print_record(sink, r);
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
