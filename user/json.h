/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one JSON writer: every JSON document stopwatch prints is built as a
 * json-c tree (Debian's libjson-c, linked statically like libbpf) and
 * written by sw_json_print(), so every string is escaped by the library.
 * Strings also pass through a UTF-8 check first (json-c copies bytes as
 * they are): host names and other text from logs can hold any byte, and
 * an invalid sequence becomes U+FFFD rather than invalid JSON.
 *
 * Numbers: unsigned 64-bit integers stay exact (json_object_new_uint64);
 * microseconds are written with a fixed number of decimals, as text the
 * library emits verbatim (json_object_new_double_s), so 12.5 us is 12.500
 * and never 12.499999999999998; from ns they are formatted as integers
 * (printf's float formatting was a quarter of logscan's time on dense logs).
 */
#ifndef STOPWATCH_JSON_H
#define STOPWATCH_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <json-c/json.h>

typedef struct json_object sw_json;

sw_json *sw_json_obj(void);
sw_json *sw_json_arr(void);
/* Values (NULL: out of memory, which json-c then prints as null). */
sw_json *sw_json_str(const char *s);		/* NULL s: JSON null */
sw_json *sw_json_strn(const char *s, size_t len);
sw_json *sw_json_u64(__u64 v);
sw_json *sw_json_s64(long long v);
sw_json *sw_json_bool(bool v);
sw_json *sw_json_fixed(double v, int decimals);	/* 3 decimals: "1000.453" */
/* A ns difference as µs with 3 exact decimals, from integers: "-12.345". */
sw_json *sw_json_ns_as_us(__s64 ns);

/*
 * Members of an object; a NULL value is written as null. @key must be a
 * string that outlives @o (a literal) and new in @o: it is not copied.
 */
void sw_json_set(sw_json *o, const char *key, sw_json *v);
static inline void sw_json_set_str(sw_json *o, const char *key, const char *s)
{
	sw_json_set(o, key, sw_json_str(s));
}
static inline void sw_json_set_u64(sw_json *o, const char *key, __u64 v)
{
	sw_json_set(o, key, sw_json_u64(v));
}
static inline void sw_json_set_bool(sw_json *o, const char *key, bool v)
{
	sw_json_set(o, key, sw_json_bool(v));
}
static inline void sw_json_set_null(sw_json *o, const char *key)
{
	sw_json_set(o, key, NULL);
}
/* Append to an array. */
void sw_json_push(sw_json *a, sw_json *v);

/*
 * Write @o compactly on one line and a newline, then free it (whole
 * documents only). Returns 0, or -EIO when the stream failed.
 */
int sw_json_print(FILE *f, sw_json *o);
/* Write @o without the newline and without freeing it (tests, embedding). */
const char *sw_json_text(sw_json *o);
void sw_json_free(sw_json *o);

#endif
