/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * For the harnesses: print a decoded record through the real sinks, and
 * abort unless its JSON is one line that a real parser (json-c's tokener,
 * not the project's writer) reads back as an object of schema 2.
 */
#ifndef STOPWATCH_FUZZ_PRINT_CHECK_H
#define STOPWATCH_FUZZ_PRINT_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "stop_print.h"

static inline void fuzz_check_json(const char *text)
{
	struct json_object *o, *v;
	size_t n = strlen(text);

	if (!n || text[n - 1] != '\n' || memchr(text, '\n', n - 1))
		abort();	/* one line */
	o = json_tokener_parse(text);
	if (!o || !json_object_object_get_ex(o, "schema", &v) ||
	    strcmp(json_object_get_string(v), "stopwatch.stop/2"))
		abort();
	json_object_put(o);
}

/* A record's JSON line, as a malloc'ed string the caller frees. */
static inline char *fuzz_json_of(const struct sw_stop *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		abort();
	sw_stop_print_json(m, s);
	fclose(m);
	return buf;
}

static inline void fuzz_print_record(FILE *sink, const struct sw_stop *s)
{
	char *buf = fuzz_json_of(s);

	fuzz_check_json(buf);
	free(buf);
	sw_stop_print_text(sink, s, true);
}

static inline int fuzz_print_walk(void *ctx, const struct sw_stop *s)
{
	fuzz_print_record(ctx, s);
	return 0;
}

#endif
