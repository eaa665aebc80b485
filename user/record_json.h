/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Stop records read back from their JSON lines (record_json.c). */
#ifndef STOPWATCH_RECORD_JSON_H
#define STOPWATCH_RECORD_JSON_H

#include <stddef.h>
#include <stdio.h>
#include "record.h"

/* One "stopwatch.stop/1" object; -EINVAL with a reason in @err. */
int sw_record_parse_json(const char *line, struct sw_record_meta *m, struct sw_stop_record *r,
			 char *err, size_t errlen);

typedef void (*sw_record_fn)(void *ctx, const struct sw_record_meta *m,
			     const struct sw_stop_record *r);
/* Every record of a JSON-lines stream (other lines skipped): how many, or -EINVAL/-ENOMEM. */
int sw_records_read_json(FILE *in, sw_record_fn fn, void *ctx, char *err, size_t errlen);

#endif
