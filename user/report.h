/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The HTML report of report.c: plots (inline SVG), the whatif table, the stops. */
#ifndef STOPWATCH_REPORT_H
#define STOPWATCH_REPORT_H

#include <stdio.h>
#include "whatif_input.h"

void sw_report_write(FILE *f, const struct sw_wi_data *d, const struct sw_wi_table *t);

#endif
