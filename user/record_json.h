/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A source of decoded records: their JSON lines (the "stopwatch.stop/2"
 * objects recover, dump and logscan print, or "stopwatch.stop/1" of
 * earlier releases), as a lab or a fleet kept them, for whatif and report.
 */
#ifndef STOPWATCH_RECORD_JSON_H
#define STOPWATCH_RECORD_JSON_H

#include <stddef.h>
#include <stdio.h>
#include "store.h"

/* One record object: a new record, or NULL with a reason in @err. */
struct sw_stop *sw_record_parse_json(const char *line, char *err, size_t errlen);
/* Every record of a JSON-lines stream to @fn (other lines skipped): how many, or -EINVAL/-ENOMEM. */
int sw_records_read_json(FILE *in, sw_stop_fn fn, void *ctx, char *err, size_t errlen);

#endif
