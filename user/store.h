/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The record store (struct sw_store, bpf/stopwatch.h) as a source: its
 * metadata and THE walk over its ring, used by every reader of a store
 * (pins and `dump`, vmcore, state ingest). Each record the walk yields is
 * decoded (sw_stop_from_wire) before anyone sees it.
 */
#ifndef STOPWATCH_STORE_H
#define STOPWATCH_STORE_H

#include <stdbool.h>
#include <stdio.h>
#include "stop.h"

/* A sink of decoded records: 0 to go on, negative errno to stop the walk. */
typedef int (*sw_stop_fn)(void *ctx, const struct sw_stop *s);

/* Boot id as text (a UUID), from its 16 bytes. */
void sw_boot_id_text(const __u8 id[16], char *text, int len);
/* Metadata of a store's records from its header: boot id, clock offset. */
void sw_store_meta(const struct sw_store *st, struct sw_record_meta *m);

/*
 * Say on @f what the store counted beside its records, when it counted
 * anything: records it had to drop, and stop handlers that ran with no
 * stop open (the record of such a stop may be missing or cut short).
 * @what names the source. Returns whether it said anything.
 */
bool sw_store_say_counts(const struct sw_store *st, const char *what, FILE *f);

/*
 * Every valid record of @st, oldest first, decoded with metadata @m, to
 * @fn. The ring holds the newest SW_STOP_SLOTS sequence numbers; the walk
 * counts slots, never compares with next_seq, so a torn store (next_seq
 * near 2^64: it lies outside the header checksum) ends in SW_STOP_SLOTS
 * steps. Returns how many records @fn took, or the first negative return
 * of @fn, or -ENOMEM.
 */
int sw_store_walk(const struct sw_store *st, const struct sw_record_meta *m,
		  sw_stop_fn fn, void *ctx);

#endif
