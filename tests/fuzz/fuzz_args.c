// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the argument parsers every subcommand uses (env.c,
 * record.c): the input is NUL-separated strings, each given to every parser,
 * whose answer must be an error or a value inside the bounds asked for.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "record.h"

static void parse_one(const char *s)
{
	__u64 mask[SW_MASK_WORDS];
	enum sw_format fmt;
	double d;
	long l;
	int r;

	if (!sw_parse_long(s, 1, 1L << 52, &l) && (l < 1 || l > 1L << 52))
		abort();
	if (!sw_parse_double(s, 0.001, 3600, &d) && !(d >= 0.001 && d <= 3600))
		abort();
	if (!sw_parse_format(s, &fmt) && fmt > SW_FMT_PROMETHEUS)	/* the last format */
		abort();
	r = sw_rung_parse(s);
	if (r >= SW_RUNG_COUNT || (r >= 0 && strcmp(sw_rung_name(r), s)))
		abort();
	for (unsigned int nbits = 1; nbits <= SW_MAX_CPUS * 2; nbits *= 4)
		if (!sw_mask_parse(s, mask, nbits)) {
			char buf[SW_CPUSET_TEXT_MAX];
			struct sw_cpuset set;

			sw_cpuset_from_words(&set, mask, SW_MASK_WORDS);
			if (sw_cpuset_last(&set) >= (int)nbits)
				abort();	/* a CPU past the bound was accepted */
			if (sw_cpuset_format(&set, buf, sizeof(buf)) < 0)
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t at = 0; at <= size; at += strlen(buf + at) + 1)
		parse_one(buf + at);
	free(buf);
	return 0;
}
