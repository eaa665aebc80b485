/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Replace a file atomically: readers see the old or the new content, never a mix. */
#ifndef STOPWATCH_FILEIO_H
#define STOPWATCH_FILEIO_H

#include <stdbool.h>
#include <stdio.h>

/* Writes the new content to @f; returns 0 or a negative errno. */
typedef int (*sw_fill_fn)(FILE *f, void *ctx);

/*
 * Write @path through a temporary file beside it: fill, fflush, fsync,
 * rename over @path, and with @sync_dir also fsync the directory so the
 * rename itself survives a power cut. @mode is the new file's mode.
 * Returns 0 or a negative errno; the temporary file never stays behind
 * unless the process dies.
 */
int sw_replace_file(const char *path, int mode, bool sync_dir, sw_fill_fn fill, void *ctx);

/*
 * Whether a file can be created at @path: its directory exists, is a
 * directory and is writable. Returns 0, or a negative errno with a
 * one-line reason in @err (for options such as --textfile, checked before
 * any work is done).
 */
int sw_check_writable_dir(const char *path, char *err, size_t errlen);

/* The state directory and its files: root (and its group, e.g. a metrics reader) only. */
#define SW_STATE_DIR_MODE	0750
#define SW_STATE_FILE_MODE	0640

/* Make directory @path (or keep it) with exactly @mode; 0 or a negative errno. */
int sw_make_dir(const char *path, int mode);

/* fsync the directory holding @path (a rename or unlink in it is durable). */
int sw_sync_parent_dir(const char *path);

#endif
