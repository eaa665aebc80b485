// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for a record store as `stopwatch dump` maps it from
 * bpffs and `recover` assembles it from a core: the input is the store's
 * bytes (zero-filled past its end). sw_store_check() is dump's check (a
 * rejection must come with one line of reason); the records are printed
 * whatever it says, as recover prints any store the vmcore reader accepts.
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

static struct sw_store store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_record_meta meta = { .source = SW_SRC_BPF, .exact = true };
	static FILE *sink;
	char err[256];

	if (!sink)
		sink = fopen("/dev/null", "w");
	memset(&store, 0, sizeof(store));
	memcpy(&store, data, size < sizeof(store) ? size : sizeof(store));
	err[0] = '\0';
	if (sw_store_check(&store.hdr, err, sizeof(err)) && (!err[0] || strchr(err, '\n')))
		abort();	/* a rejected store must come with one line of reason */
	sw_store_meta(&store, &meta);
	if (sw_store_walk(&store, &meta, fuzz_print_walk, sink) > SW_STOP_SLOTS)
		abort();
	return 0;
}
