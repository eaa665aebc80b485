// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the trace-line assembler behind `recover --trace`:
 * the input is a buffer's event texts, one per line, as libtraceevent hands
 * them over (bpf_trace_printk lines and the armed marker). A previous boot's
 * buffer may hold anything a dying kernel wrote: every line must either be
 * used, ignored or rejected whole, and every assembled record must print.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "trace.h"
#include "print_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	static FILE *sink;
	char *text = malloc(size + 1), *line, *save = NULL;
	int used, bad, n = 0;

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!a || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int r = sw_trace_asm_line(a, line);

		if (r < -1000 || r > 1)
			abort();	/* 1 used, 0 not ours, -errno malformed */
		n++;
	}
	sw_trace_asm_stats(a, &used, &bad);
	if (used < 0 || bad < 0 || used + bad > n)
		abort();
	for (int i = 0; i < sw_trace_asm_count(a); i++) {
		struct sw_record_meta meta;
		const struct sw_stop_record *r = sw_trace_asm_record(a, i, &meta);
		struct sw_stop *s = sw_stop_from_wire(&meta, r);

		if (!s)
			abort();
		fuzz_print_record(sink, s);
		sw_stop_free(s);
	}
	sw_trace_asm_free(a);
	free(text);
	return 0;
}
