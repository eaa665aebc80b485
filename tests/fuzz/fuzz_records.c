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
#include "print_check.h"
#include "state.h"

static struct sw_state_totals totals;
static FILE *sink;

static int on_record(void *ctx, const struct sw_stop *r)
{
	struct sw_stop *again;
	char *buf, *buf2, err[128];

	(void)ctx;
	sw_state_count(&totals, r);
	buf = fuzz_json_of(r);
	fuzz_check_json(buf);
	again = sw_record_parse_json(buf, err, sizeof(err));
	if (!again)
		abort();	/* our own output must read back */
	buf2 = fuzz_json_of(again);
	if (strcmp(buf, buf2))
		abort();	/* ... to the same record */
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	sw_stop_print_text(sink, again, true);
	sw_stop_free(again);
	free(buf);
	free(buf2);
	return 0;
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
