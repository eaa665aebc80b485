/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * logscan: stop records from kernel text (console, dmesg, netconsole,
 * pstore, syslog, journal export) of hosts stopwatch never armed.
 * Recognised lines and the inferences made are in docs/logscan.md.
 */
#ifndef STOPWATCH_LOGSCAN_H
#define STOPWATCH_LOGSCAN_H

#include <stddef.h>
#include "record.h"
#include "stop.h"

/* @s is valid during the call only (its legacy_v1 too). */
typedef void (*sw_logscan_emit_fn)(void *ctx, const struct sw_stop *s);

/*
 * Scan @buf (@len bytes, need not be NUL terminated, may hold any bytes) and
 * call @emit once per stop found, in the order the stops happened per host
 * (hosts in the order they first appear). @host names lines that carry no
 * host of their own (syslog/journal fields win); NULL or "" = unknown.
 * Returns the number of records emitted, or -ENOMEM.
 */
int sw_logscan_buffer(const char *buf, size_t len, const char *host,
		      sw_logscan_emit_fn emit, void *ctx);

struct sw_logscan_stats {
	unsigned long long bytes;	/* read */
	unsigned long skipped;		/* lines with a keyword over 4 KiB or holding NUL */
};

/*
 * The same as sw_logscan_buffer, reading @fd to its end in bounded memory
 * (a 4 MiB window, whatever the input's size or kind: file, pipe,
 * terminal). Returns the number of records emitted, -ENOMEM, or -errno of
 * a read.
 */
int sw_logscan_fd(int fd, const char *host, sw_logscan_emit_fn emit, void *ctx,
		  struct sw_logscan_stats *st);

/* The same with a window of @window bytes (tests: many window ends in little input). */
#define SW_LOGSCAN_WINDOW_MIN	(160u << 10)
int sw_logscan_fd_window(int fd, const char *host, sw_logscan_emit_fn emit, void *ctx,
			 struct sw_logscan_stats *st, size_t window);

/* `stopwatch logscan FILE...` (cmd_logscan.c). */
int cmd_logscan(int argc, char **argv);

#endif
