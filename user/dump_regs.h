/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The registers a crash dump saved, given to the CPUs of the stop record (dump_regs.c). */
#ifndef STOPWATCH_DUMP_REGS_H
#define STOPWATCH_DUMP_REGS_H

#include <stddef.h>
#include "dump.h"
#include "stop.h"

/*
 * Set s->cpu[].regs of the crash stop @s from the PRSTATUS notes of @d:
 * SW_REGS_KNOWN with pc, sp and irqs for each CPU whose note it is,
 * SW_REGS_MISSING for the others. 0; -ENOENT when the notes cannot be
 * matched to CPUs (@why says why, every CPU left SW_REGS_UNKNOWN); -ENOMEM.
 */
int sw_dump_fill_regs(const struct sw_dump *d, struct sw_stop *s, char *why, size_t len);

#endif
