// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the state file reader (`stats`, and every ingest):
 * the input is DIR/state. A file a crash, a full disk or another version
 * left must be refused with one line of reason, never crash the reader,
 * and never be changed by a reader; an accepted one must print and commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "expo.h"
#include "state.h"

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_state *s = NULL;
	static FILE *sink;
	char path[96], err[512];
	bool recovered = false;
	int fd, ret;

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!dir[0] && !mkdtemp(strcpy(dir, "/tmp/fuzz-state-XXXXXX")))
		abort();
	snprintf(path, sizeof(path), "%s/state", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	err[0] = '\0';
	ret = sw_state_open(&s, dir, false, &recovered, err, sizeof(err));
	if (ret) {
		if (!err[0] || strchr(err, '\n'))
			abort();	/* one line of reason */
		return 0;
	}
	sw_state_print_json(sink, s);
	sw_state_print_text(sink, s);
	{
		struct sw_expo e;

		sw_expo_init(&e);
		sw_state_expo(&e, s);
		if (!e.err)
			sw_expo_render(sink, &e, SW_EXPO_OPENMETRICS);
		sw_expo_free(&e);
	}
	sw_state_close(s);
	return 0;
}
