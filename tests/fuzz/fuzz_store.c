// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for a record store as `stopwatch dump` maps it from
 * bpffs and `recover` assembles it from a core: the input is the store's
 * bytes, in any layout. sw_store_check() is dump's check and
 * sw_store_decode() the readers' (a rejection must come with one line of
 * reason); the records of any store the decoder accepts are printed.
 * The BPF side writes the store while the host dies, so any field may be
 * torn: the printers must cope with any record.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "record.h"
#include "print_check.h"
#include "wire.h"

static struct sw_store store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_record_meta meta = { .source = SW_SRC_BPF, .exact = true };
	static FILE *sink;
	char err[256];

	if (!sink)
		sink = fopen("/dev/null", "w");
	err[0] = '\0';
	if (sw_store_check(data, size, err, sizeof(err)) && (!err[0] || strchr(err, '\n')))
		abort();	/* a rejected store must come with one line of reason */
	err[0] = '\0';
	if (sw_store_decode(data, size, &store, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	sw_store_meta(&store, &meta);
	if (sw_store_walk(&store, &meta, fuzz_print_walk, sink) > SW_STOP_SLOTS)
		abort();
	return 0;
}
