// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for state ingest of a record store (`recover --vmcore
 * --state-dir`, `recover-boot`): the input is the store's bytes, zero-filled
 * past its end, any field torn. The ingest must end (the walk is bounded by
 * the ring, whatever next_seq says: it once looped forever holding
 * DIR/lock), count at most a ring's worth of records, count each once (the
 * same store again adds nothing), and keep the totals consistent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "state.h"

static struct sw_store store;
static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_record_meta meta = { .source = SW_SRC_VMCORE, .exact = true };
	const struct sw_state_totals *t;
	struct sw_state *s = NULL;
	struct json_object *o;
	unsigned long added, already;
	char err[512], *json = NULL;
	size_t len = 0;
	FILE *f;
	int n;

	/* an empty directory, opened read-only: no lock, no file, nothing written */
	if (!dir[0] && !mkdtemp(strcpy(dir, "/tmp/fuzz-ingest-XXXXXX")))
		abort();
	if (sw_state_open(&s, dir, false, NULL, err, sizeof(err)))
		abort();
	memset(&store, 0, sizeof(store));
	memcpy(&store, data, size < sizeof(store) ? size : sizeof(store));
	sw_store_meta(&store, &meta);
	n = sw_state_add_store(s, &meta, &store);
	if (n < 0 || n > SW_STOP_SLOTS)
		abort();
	if (sw_state_add_store(s, &meta, &store) != 0)
		abort();	/* exactly once */
	sw_state_session(s, &added, &already);
	t = sw_state_totals(s);
	if (added != (unsigned long)n || already != (unsigned long)n ||
	    t->records[SW_SRC_VMCORE] != (__u64)n || sw_state_nkeys(s) != (size_t)n)
		abort();
	/* the stats a state prints parse */
	f = open_memstream(&json, &len);
	sw_state_print_json(f, s);
	fclose(f);
	o = json_tokener_parse(json);
	if (!o)
		abort();
	json_object_put(o);
	free(json);
	sw_state_close(s);
	return 0;
}
