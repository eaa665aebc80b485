// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the stop-record JSON reader behind whatif's and
 * report's --records: the input is a JSON-lines file from anywhere. Each
 * line is read or refused whole; every record read counts into totals and
 * prints again, and what it prints reads back to the same CPUs and rungs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record_json.h"
#include "state.h"

static struct sw_state_totals totals;

static void on_record(void *ctx, const struct sw_record_meta *m, const struct sw_stop_record *r)
{
	struct sw_stop_record *again = calloc(1, sizeof(*again));
	struct sw_record_meta m2;
	char *buf = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)ctx;
	if (!again || !f)
		abort();
	sw_state_count(&totals, m, r);
	sw_record_print_json(f, m, r);
	fclose(f);
	if (sw_record_parse_json(buf, &m2, again, err, sizeof(err)))
		abort();	/* our own output must read back */
	for (int c = 0; c < SW_MAX_CPUS; c++)
		if (again->cpu[c].rung != r->cpu[c].rung)
			abort();
	if (memcmp(again->target, r->target, sizeof(r->target)))
		abort();
	free(buf);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r");
	char err[256];

	if (!size || !in) {
		if (in)
			fclose(in);
		return 0;
	}
	if (sw_records_read_json(in, on_record, NULL, err, sizeof(err)) < -1000)
		abort();
	fclose(in);
	return 0;
}
