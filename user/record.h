/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One stop-record format for every source. Whatever produced it (the live
 * BPF store, a vmcore, the persistent trace instance, console logs), a stop
 * is a struct sw_stop_record (bpf/stopwatch.h) plus this metadata, and is
 * printed by the functions below, so the schema is written in one place.
 */
#ifndef STOPWATCH_RECORD_H
#define STOPWATCH_RECORD_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "../bpf/stopwatch.h"
#include "stop.h"

const char *sw_ipi_kind_name(unsigned int kind);
const char *sw_sdei_kind_name(unsigned int kind);

enum sw_outcome sw_record_outcome(const struct sw_stop_record *r);
/* CPUs the stop had to stop (online at start, less the initiator). */
void sw_record_expected(const struct sw_stop_record *r, __u64 out[SW_MASK_WORDS]);
/* CPUs it had to stop and that never ran a stop handler. */
void sw_record_never_stopped(const struct sw_stop_record *r, __u64 out[SW_MASK_WORDS]);
/* Highest rung that fired (SW_RUNG_NONE if none). */
unsigned int sw_record_top_rung(const struct sw_stop_record *r);

/* Mask helpers: "0-3,6" lists like the kernel's %*pbl. */
void sw_mask_set(__u64 *mask, unsigned int cpu);
bool sw_mask_test(const __u64 *mask, unsigned int cpu);
int sw_mask_format(const __u64 *mask, unsigned int nbits, char *buf, size_t len);
/* Parse a cpulist ("1-3,5"); returns 0 or -EINVAL. */
int sw_mask_parse(const char *list, __u64 *mask, unsigned int nbits);

/* Printing: one JSON object on one line (schema in docs/schema.md), or text. */
void sw_record_print_json(FILE *f, const struct sw_record_meta *m,
			  const struct sw_stop_record *r);
void sw_record_print_text(FILE *f, const struct sw_record_meta *m,
			  const struct sw_stop_record *r);

/* Boot id as text (a UUID), from its 16 bytes. */
void sw_boot_id_text(const __u8 id[16], char *text, int len);
/* Metadata of a store's records from its header: boot id, clock offset. */
void sw_store_meta(const struct sw_store *st, struct sw_record_meta *m);

/* Print every valid record of a store, oldest first; returns how many. */
int sw_store_print(FILE *f, const struct sw_record_meta *m, const struct sw_store *st, bool json);

#endif
